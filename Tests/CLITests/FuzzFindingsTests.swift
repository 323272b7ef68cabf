import Foundation
import Testing

/// The inputs that once broke qrobust (a fuzzing campaign's reproducers,
/// copied from `../shared/fuzz-findings` into `Fixtures/fuzz-findings`):
/// every one must now end with an answer or one clear error (exit 0, 1, 2,
/// 64 or 65), print at most one line on stderr, return within its time limit
/// + 10 % + 1 s, and the `sdp` cases must print no certificate.
@Suite("Fuzzing reproducers", .serialized)
struct FuzzFindingsTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var file: String
        var args: [String]
        var found: String
        var testDescription: String { args.dropFirst().joined(separator: " ") }
        /// Whether the command reads the shared reference networks (`../networks/…`).
        var needsSharedNetworks: Bool { args.contains { $0.hasPrefix("../networks/") } }

        /// The time limit the command sets (seconds), if any.
        var limit: Double? {
            for (i, a) in args.enumerated() {
                if (a == "--timeout" || a == "--timeout-per-query"), i + 1 < args.count { return Double(args[i + 1]) }
                if a.hasPrefix("--timeout=") { return Double(a.dropFirst("--timeout=".count)) }
            }
            return nil
        }
    }

    static let folder = packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/fuzz-findings")
    static let sharedNetworks = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/networks")
    static let cases: [Case] = {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("cases.json")),
              let cases = try? JSONDecoder().decode([Case].self, from: data) else { return [] }
        return cases
    }()

    @Test("the reproducers are all there")
    func fixturesPresent() {
        #expect(Self.cases.count >= 40)
        for c in Self.cases where !c.file.hasPrefix("../") {
            #expect(FileManager.default.fileExists(atPath: Self.folder.appendingPathComponent(c.file).path), "\(c.file)")
        }
    }

    @Test("a reproducer of the repository's own", arguments: cases.filter { !$0.needsSharedNetworks })
    func reproducer(_ c: Case) throws {
        try Self.check(c)
    }

    @Test("a reproducer on the shared reference networks", .enabled(if: FileManager.default.fileExists(atPath: sharedNetworks.path)),
          arguments: cases.filter(\.needsSharedNetworks))
    func sharedReproducer(_ c: Case) throws {
        try Self.check(c)
    }

    /// Runs one case in a scratch copy of the folder (some write files), with
    /// `../networks` pointing at the shared reference networks.
    static func check(_ c: Case) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-fuzz-\(UUID().uuidString)")
        let work = scratch.appendingPathComponent("fuzz-findings")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: folder, to: work)
        if FileManager.default.fileExists(atPath: sharedNetworks.path) {
            try FileManager.default.createSymbolicLink(at: scratch.appendingPathComponent("networks"), withDestinationURL: sharedNetworks)
        }
        let start = Date()
        let run = try qrobust(Array(c.args.dropFirst()), in: work)
        let seconds = Date().timeIntervalSince(start)
        #expect([0, 1, 2, 64, 65].contains(run.code), "exit \(run.code); stderr: \(run.stderr.prefix(300))")
        let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count <= 1, "stderr has \(lines.count) lines: \(run.stderr.prefix(300))")
        if c.args.dropFirst().first == "sdp" {
            #expect(run.code != 0 || !run.stdout.contains("certified"), "an sdp case printed a certificate")
            #expect(!run.stdout.contains("≤ 0 "), "an sdp case printed a zero bound")
        }
        // The promise is limit + 10 % + 1 s for the release binary; the tests run
        // the debug build, which gets 3 s more for its slower start and report.
        let budget = (c.limit ?? 10) * 1.1 + 1 + 3
        #expect(seconds <= budget, "took \(seconds) s, budget \(budget) s")
    }
}
