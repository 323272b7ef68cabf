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
