import Foundation
import Testing

@Suite("qrobust sdp", .serialized)
struct SDPCLITests {
    let relu = "Examples/moons-relu.json"

    @Test("sdp --json has the documented keys and a bound above sampled errors")
    func sdpJSON() throws {
        let run = try qrobust(["sdp", relu, "--bits", "6", "--box=-1:2,-1:1.5", "--pairs", "diagonal", "--boxes", "2", "--json"])
        #expect(run.code == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["command"] as? String == "sdp")
        #expect(object["pairs"] as? String == "diagonal")
        #expect(object["crossCheck"] is NSNull)
        let norm = try #require(object["squaredNorm"] as? [String: Any])
        let certified = try #require(norm["certified"] as? Double)
        let whole = try #require(norm["wholeBoxCertified"] as? Double)
        #expect(norm["boxes"] as? Int == 2)
        #expect(certified <= whole)
        #expect(certified > 0 && certified <= (norm["intervalBound"] as? Double ?? 0))
        #expect((object["perOutput"] as? [Any])?.isEmpty == true)
    }

    @Test("by default each box's pairs are chosen (auto) and the report counts the choices")
    func automaticPairs() throws {
        let run = try qrobust(["sdp", relu, "--bits", "6", "--box=-1:2,-1:1.5", "--boxes", "2", "--json"])
        #expect(run.code == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["pairs"] as? String == "auto")
        let norm = try #require(object["squaredNorm"] as? [String: Any])
        // moons-relu has few ReLUs: every box's SDP gets full pairs.
        #expect(norm["fullPairBoxes"] as? Int == 2 && norm["diagonalPairBoxes"] as? Int == 0, "\(norm)")
        let text = try qrobust(["sdp", relu, "--bits", "6", "--box=-1:2,-1:1.5", "--boxes", "2"])
        #expect(text.stdout.contains("(2 boxes, auto pairs: full,"), "\(text.stdout)")
    }

    @Test("sdp --cross-check prints the three answers in order; --export writes SDPA files")
    func crossCheckAndExport() throws {
        let prefix = try temporaryFile("moons.dat-s", "")
        let run = try qrobust(["sdp", relu, "--bits", "6", "--box=0:0.5,0:0.5", "--pairs", "diagonal", "--boxes", "2",
                               "--cross-check", "--export", prefix])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("consistent: sampled ≤ SMT ≤ SDP"))
        let stem = String(prefix.dropLast(".dat-s".count))
        for k in 1...2 {
            let text = try String(contentsOfFile: "\(stem)-norm-box\(k).dat-s", encoding: .utf8)
            let lines = text.split(separator: "\n")
            #expect(lines.first?.hasPrefix("\" qrobust SDP bound") == true)
            #expect(lines.contains { $0.hasSuffix("= nblocks") })
        }
    }

    @Test("sdp usage and data errors are one line with the documented exit codes")
    func sdpErrors() throws {
        let none = try qrobust(["sdp", relu, "--box=-1:2,-1:1.5"])
        #expect(none.code == 64 && none.stderr.contains("exactly one compression"))
        let negative = try qrobust(["sdp", relu, "--bits", "4", "--box=-1:2,-1:1.5", "--input-quantization=-1"])
        #expect(negative.code == 64 && negative.stderr.contains("≥ 0"))
        let boxes = try qrobust(["sdp", relu, "--bits", "4", "--box=-1:2,-1:1.5", "--boxes", "0"])
        #expect(boxes.code == 64)
        let wrongBox = try qrobust(["sdp", relu, "--bits", "4", "--box=-1:2"])
        #expect(wrongBox.code == 65 && wrongBox.stderr == "qrobust: error: the box has 1 intervals, the network takes 2 inputs\n")
        let unwritable = try qrobust(["sdp", relu, "--bits", "4", "--box=-1:2,-1:1.5", "--export", "/nonexistent/p.dat-s"])
        #expect(unwritable.code == 65 && unwritable.stderr.contains("/nonexistent/p.dat-s: cannot write"))
    }
}

/// Failures injected into CSDP and Z3 (the test-only `QROBUST_TEST_FAULT`
/// hook): each is reported as one line with the documented exit code, and a
/// CSDP that never answers is stopped at the time limit.
@Suite("Injected solver failures", .serialized)
struct InjectedFailureTests {
    let pair = ["sdp", "Examples/moons-relu.json", "--bits", "4", "--box=0:1,0:1", "--pairs", "diagonal", "--boxes", "2"]

    @Test("CSDP calling exit(205) ends only its child process: one line, exit 70, no certificate")
    func csdpExit() throws {
        let run = try qrobust(pair, environment: ["QROBUST_TEST_FAULT": "csdp-exit"])
        #expect(run.code == 70, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("qrobust: SDP error:") && run.stderr.contains("exit(205)"))
        #expect(run.stderr.filter { $0 == "\n" }.count == 1)
        #expect(!run.stdout.contains("certified"))
    }

    @Test("a CSDP that never answers is killed at --timeout: exit 2, the bound propagation's bound")
    func csdpHang() throws {
        let start = Date()
        let run = try qrobust(pair + ["--timeout", "1", "--json"], environment: ["QROBUST_TEST_FAULT": "csdp-hang"])
        // The limit + 10 % + 1 s, and 3 s more for the debug build.
        let budget: Double = 1 * 1.1 + 1 + 3
        #expect(Date().timeIntervalSince(start) < budget)
        #expect(run.code == 2, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let norm = try #require(object["squaredNorm"] as? [String: Any])
        #expect(norm["certified"] as? Double == norm["intervalBound"] as? Double)
        #expect(norm["csdpCode"] as? Int == -1 && norm["wholeBoxSolverValue"] is NSNull)
    }

    @Test("a qrobust killed during a solve takes its CSDP process with it")
    func csdpDiesWithQrobust() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qrobust")
        let process = Process()
        // `env -C` as in qrobust(_:): it execs qrobust, so the pid is qrobust's.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["-C", packageRoot.path, binary.path] + pair
        process.environment = ProcessInfo.processInfo.environment.merging(["QROBUST_TEST_FAULT": "csdp-hang"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        /// The processes whose parent is `pid`, from /proc.
        func children(of pid: Int32) -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap(Int32.init).filter { child in
                guard let status = try? String(contentsOfFile: "/proc/\(child)/status", encoding: .utf8) else { return false }
                return status.split(separator: "\n").contains { $0.hasPrefix("PPid:") && $0.dropFirst(5).trimmingCharacters(in: .whitespaces) == String(pid) }
            }
        }
        /// Whether `pid` is still running (not gone, not a zombie).
        func running(_ pid: Int32) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return false }
            return !stat[close...].hasPrefix(") Z")
        }
        var solver: Int32?
        let start = Date()
        while solver == nil, Date().timeIntervalSince(start) < 20 {
            solver = children(of: process.processIdentifier).first
            if solver == nil { usleep(20_000) }
        }
        let child = try #require(solver, "no CSDP process appeared within 20 s")
        kill(process.processIdentifier, SIGKILL)
        let killed = Date()
        while running(child), Date().timeIntervalSince(killed) < 5 { usleep(20_000) }
        #expect(!running(child), "CSDP's process \(child) outlived qrobust")
        if running(child) { kill(child, SIGKILL) }
        // Only now: Foundation waits until every holder of the child's descriptors is gone.
        process.waitUntilExit()
    }

    @Test("a Z3 failure in local and global: one line 'solver error', exit 70")
    func z3Failure() throws {
        for command in [["local", "Examples/moons-relu.json", "--input", "0.5,0.25", "--bits", "8", "--encoding", "nonlinear"],
                        ["global", "Examples/moons-relu.json", "--box", "0:1,0:1", "--bits", "8", "--timeout", "5"]] {
            let run = try qrobust(command, environment: ["QROBUST_TEST_FAULT": "z3-check"])
            #expect(run.stderr.filter { $0 == "\n" }.count <= 1, "\(command[0]): \(run.stderr)")
            if command[0] == "local" {
                #expect(run.code == 70 && run.stderr.hasPrefix("qrobust: solver error:"), "\(run.stderr)")
            } else {
                // global keeps its certified bounds when Z3 fails on a box, and says so.
                #expect(run.code == 70 || run.code == 2, "\(run.stderr)")
            }
        }
    }
}
