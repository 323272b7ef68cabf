import Foundation
import TestSupport
import Testing

/// Runs the built `qrobust` binary (it sits beside the test bundle in .build/…/debug),
/// from `directory` (the package root by default), with `environment` added to the test's own.
func qrobust(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:],
             binary: URL? = nil) throws -> (code: Int32, stdout: String, stderr: String) {
    let binary = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("qrobust")
    let process = Process()
    // `env -C` changes the child's directory. Process.currentDirectoryURL would
    // change the test process's own for a moment, and suites run in parallel.
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["-C", directory.path, binary.path] + arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    // Output goes to files, not pipes: reading pipes with Foundation on Linux
    // can fail with EINTR while other child processes exit.
    let stdoutPath = try temporaryFile("stdout-\(UUID().uuidString)", "")
    let stderrPath = try temporaryFile("stderr-\(UUID().uuidString)", "")
    process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
    process.standardError = FileHandle(forWritingAtPath: stderrPath)
    try process.run()
    process.waitUntilExit()
    defer {
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
    }
    // A signal (a trap, an abort) shows as its negative number, as in the fuzz findings.
    let code = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
    return (code, String(decoding: try Data(contentsOf: URL(fileURLWithPath: stdoutPath)), as: UTF8.self),
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: stderrPath)), as: UTF8.self))
}

/// The exact upper end of a `local --json` report's deviation.
func upperExact(_ json: String) -> String? {
    let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    return (object?["deviation"] as? [String: Any])?["upperExact"] as? String
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Writes a temporary file and returns its path.
func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-cli-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("qrobust CLI", .serialized)
struct CLITests {
    let relu = "Examples/moons-relu.json"

    @Test("local --json has the documented keys; exit codes follow the verdict")
    func localJSON() throws {
        let loose = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "10", "--tau", "0.5", "--json"])
        #expect(loose.code == 0, "\(loose.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(loose.stdout.utf8)) as? [String: Any])
        #expect(object["verdict"] as? String == "robust")
        let deviation = try #require(object["deviation"] as? [String: Any])
        let lower = try #require(deviation["lower"] as? Double), upper = try #require(deviation["upper"] as? Double)
        #expect(lower <= upper && upper <= 0.5)
        #expect(object["seconds"] is Double)
        #expect(object.keys.contains("witness"))

        let tight = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "4", "--tau", "0.01", "--json"])
        #expect(tight.code == 1)
        let violated = try #require(try JSONSerialization.jsonObject(with: Data(tight.stdout.utf8)) as? [String: Any])
        #expect(violated["verdict"] as? String == "notRobust")
        let witness = try #require(violated["witness"] as? [String: Any])
        #expect((witness["compressedLogitsExact"] as? [String])?.count == 1)
    }

    @Test("measuring without --tau reports the interval and exits 0; concrete ≤ perturbation")
    func measure() throws {
        func upper(_ extra: [String]) throws -> Double {
            let run = try qrobust(["local", relu, "--input", "1,0", "--bits", "6", "--metric", "logit", "--json"] + extra)
            #expect(run.code == 0, "\(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            #expect(object["verdict"] is NSNull)
            return try #require((object["deviation"] as? [String: Any])?["upper"] as? Double)
        }
        #expect(try upper(["--model", "concrete"]) <= upper([]))
    }

    @Test("quantize writes a network that info and local --compressed read back")
    func quantize() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-q\(ProcessInfo.processInfo.processIdentifier).nnet").path
        let written = try qrobust(["quantize", relu, "--bits", "5", "-o", out])
        #expect(written.code == 0, "\(written.stderr)")
        let info = try qrobust(["info", out, "--json"])
        #expect(info.code == 0)
        #expect(info.stdout.contains("\"parameters\" : 105"))
        // The written file, compared as a second network, equals --model concrete.
        let viaFile = try qrobust(["local", relu, "--input", "0.1,0.2", "--compressed", out, "--metric", "logit", "--json"])
        let viaScheme = try qrobust(["local", relu, "--input", "0.1,0.2", "--bits", "5", "--model", "concrete", "--metric", "logit", "--json"])
        #expect(viaFile.code == 0, "\(viaFile.stderr)")
        #expect(upperExact(viaFile.stdout) != nil && upperExact(viaFile.stdout) == upperExact(viaScheme.stdout))
    }

    @Test("bad input gives exit 65 and one clear line naming the problem", arguments: [
        ("truncated.nnet", "2,2,1,2,\n2,2,1,\n0,\n", "the file ends before"),
        ("nan.nnet", "1,1,1,1,\n1,1,\n0,\n0,\n1,\n0,0,\n1,1,\nnan,\n0,\n", "line 8: nan is not a finite number"),
        ("sizes.json", #"{"inputSize": 2, "layers": [{"activation": "identity", "weights": [[1]], "biases": [0]}]}"#, "layers[0].weights[0]: expected 2 weights"),
        ("empty.json", "", "the file is empty"),
    ])
    func badFiles(_ name: String, _ contents: String, _ expected: String) throws {
        let path = try temporaryFile(name, contents)
        let run = try qrobust(["local", path, "--input", "0.5,0.5", "--bits", "4"])
        #expect(run.code == 65)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(run.stderr.contains(path) && run.stderr.contains(expected), "\(run.stderr)")
    }

    static let badArgumentCases: [([String], Int32)] = [
        (["--input", "0.5,0.5", "--bits", "4", "--tau", "0"], 64),
        (["--input", "0.5,0.5", "--bits", "4", "--tau", "-1/2"], 64),
        (["--input", "0.5,0.5", "--bits=-1"], 64),
        (["--input", "0.5,0.5"], 64),
        (["--input", "0.5,0.5", "--bits", "4", "--precision", "float16"], 64),
        (["--input", "0.5,abc", "--bits", "4"], 64),
        (["--input", "", "--bits", "4"], 64),
        (["--input", "0.5", "--bits", "4"], 65),
    ]

    @Test("bad arguments give exit 64 (τ ≤ 0, k < 0, no compression, an input that does not parse) or 65 (an input of the wrong length)",
          arguments: badArgumentCases)
    func badArguments(_ arguments: [String], _ code: Int32) throws {
        let run = try qrobust(["local", relu] + arguments)
        #expect(run.code == code, "\(run.stderr)")
        #expect(!run.stderr.isEmpty)
        #expect(!run.stderr.contains("Fatal error"))
    }

    @Test("a missing model file and an unknown format are one-line errors")
    func missingFile() throws {
        let missing = try qrobust(["info", "no/such/model.nnet"])
        #expect(missing.code == 65 && missing.stderr == "qrobust: error: no/such/model.nnet: no such file\n")
        let unknown = try qrobust(["info", "model.h5"])
        #expect(unknown.code == 65 && unknown.stderr == "qrobust: error: model.h5: unknown model format '.h5' (qrobust reads .onnx, .nnet and .json)\n")
    }

    @Test("quantize -o F.onnx writes a model that info, local and a second quantize read back")
    func onnxRoundTrip() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-q\(ProcessInfo.processInfo.processIdentifier).onnx").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let written = try qrobust(["quantize", relu, "--bits", "5", "-o", out])
        #expect(written.code == 0, "\(written.stderr)")
        let info = try qrobust(["info", out, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["parameters"] as? Int == 105 && object["output"] as? String == "sigmoid")
        #expect((object["format"] as? String)?.hasPrefix("ONNX, opset 13") == true)
        #expect((object["folded"] as? [String])?.count == 6)
        // The ONNX file, compared as a second network, equals --model concrete exactly.
        let viaFile = try qrobust(["local", relu, "--input", "0.1,0.2", "--compressed", out, "--metric", "logit", "--json"])
        let viaScheme = try qrobust(["local", relu, "--input", "0.1,0.2", "--bits", "5", "--model", "concrete", "--metric", "logit", "--json"])
        #expect(viaFile.code == 0, "\(viaFile.stderr)")
        #expect(upperExact(viaFile.stdout) != nil && upperExact(viaFile.stdout) == upperExact(viaScheme.stdout))
        // Quantising the 5-bit file again at 5 bits changes nothing.
        let again = try qrobust(["quantize", out, "--bits", "5", "-o", out + ".json"])
        #expect(again.stdout.contains("0 of 105 parameters changed"), "\(again.stdout)")
        try? FileManager.default.removeItem(atPath: out + ".json")
    }

    @Test("quantize --int B -o F.onnx writes int8/uint8 weights (B ≤ 8, opset 13) or int16/uint16 ones (9 ≤ B ≤ 16, opset 21) with DequantizeLinear (QDQ) that read back to the same network",
          arguments: [["--int", "8"], ["--int", "8", "--per-channel"], ["--int", "4", "--asymmetric", "--per-channel"], ["--int", "12"],
                      ["--int", "16", "--asymmetric", "--per-channel"]])
    func onnxQDQ(_ scheme: [String]) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-qdq\(ProcessInfo.processInfo.processIdentifier)-\(scheme.joined()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let written = try qrobust(["quantize", relu, "-o", out] + scheme)
        #expect(written.code == 0, "\(written.stderr)")
        let wide = Int(scheme[1])! > 8
        #expect(written.stdout.contains(wide ? "16-bit integers with DequantizeLinear (QDQ, opset 21)" : "8-bit integers with DequantizeLinear (QDQ)"),
                "\(written.stdout)")
        let info = try qrobust(["info", out])
        #expect(info.code == 0, "\(info.stderr)")
        #expect(info.stdout.contains("format: ONNX, opset \(wide ? 21 : 13)"), "\(info.stdout)")
        // Three weight matrices dequantised as constants; no quantizer on the data path.
        #expect(info.stdout.components(separatedBy: "dequantised exactly").count - 1 == 3, "\(info.stdout)")
        #expect(!info.stdout.contains("activation quantisation"))
        let viaFile = try qrobust(["local", relu, "--input", "0.1,0.2", "--compressed", out, "--metric", "logit", "--json"])
        let viaScheme = try qrobust(["local", relu, "--input", "0.1,0.2", "--compression-model", "concrete", "--metric", "logit", "--json"] + scheme)
        #expect(viaFile.code == 0, "\(viaFile.stderr)")
        #expect(upperExact(viaFile.stdout) != nil && upperExact(viaFile.stdout) == upperExact(viaScheme.stdout))
    }

    @Test("info on an ONNX file lists the nodes it read and the ones it ignored")
    func onnxInfo() throws {
        let run = try qrobust(["info", "Tests/NeuralNetworkTests/Fixtures/onnx/sklearn_binary_relu.onnx"])
        #expect(run.code == 0)
        #expect(run.stdout.contains("2 inputs → 6 relu → 6 relu → 1 identity → sigmoid"))
        #expect(run.stdout.contains("format: ONNX, opset 13, from skl2onnx"))
        #expect(run.stdout.contains("(Sigmoid) → sigmoid output") && run.stdout.contains("'ArgMax' (ArgMax)"))
        let bad = try temporaryFile("garbage.onnx", "this is not protobuf")
        let error = try qrobust(["info", bad])
        #expect(error.code == 65 && error.stderr.split(separator: "\n").count == 1 && error.stderr.contains("garbage.onnx"), "\(error.stderr)")
    }
}

@Suite("qrobust on quantised (QDQ) ONNX models")
struct QuantizedCLITests {
    let qdq = "Tests/NeuralNetworkTests/Fixtures/qdq"

    @Test("info lists a QDQ model's quantizers; local --compressed gives ONNX Runtime's logit, exactly; global certifies a box; sdp with it and a QDQ model as the original are one-line errors")
    func quantizedModel() throws {
        let info = try qrobust(["info", "\(qdq)/sklearn_moons_qdq_per_tensor.onnx"])
        #expect(info.code == 0)
        #expect(info.stdout.contains("activation quantisation") && info.stdout.contains("the input: scale"))
        // The quantiser removed the Relu nodes; the quantizers' clamps at 0 are the ReLUs.
        #expect(info.stdout.contains("2 inputs → 16 relu (quantizer clamp) → 16 relu (quantizer clamp) → 1 identity → sigmoid"), "\(info.stdout)")
        #expect(info.stdout.contains("quantised probabilities") && info.stdout.contains("not modelled"))
        // The logits' quantizer, as info prints it: "layer 2's pre-activations: scale S, zero point Z, int8".
        let line = try #require(info.stdout.split(separator: "\n").first { $0.contains("layer 2's pre-activations: scale") })
        let fields = line.split(separator: " ")
        let scale = try #require(Double(fields[fields.firstIndex(of: "scale")! + 1].dropLast()))
        let zero = try #require(Int(fields[fields.firstIndex(of: "point")! + 1].dropLast()))
        // The fixture's first rows: inputs drawn as scripts/make-quantized-fixtures.py draws them,
        // and the integers ONNX Runtime computed.
        let csv = try String(contentsOfFile: packageRoot.appendingPathComponent("\(qdq)/sklearn_moons_qdq_per_tensor.ort.csv").path, encoding: .utf8)
        let runtime = csv.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { Int($0)! }
        var rng = SeededGenerator(seed: 20261130)
        for row in 0..<5 {
            let input = zip([-2, -2], [5, 4]).map { low, width in "\(low * (1 << 20) + width * Int(rng.next() >> 44))/1048576" }
            let run = try qrobust(["local", "\(qdq)/sklearn_moons.onnx", "--compressed", "\(qdq)/sklearn_moons_qdq_per_tensor.onnx",
                                   "--input", input.joined(separator: ","), "--metric", "logit", "--json"])
            #expect(run.code == 0, "\(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let witness = try #require(object["witness"] as? [String: Any])
            let logit = try #require((witness["compressedLogits"] as? [Double])?.first)
            #expect(abs(logit - Double(runtime[row] - zero) * scale) <= 1e-12 * max(1, abs(logit)),
                    "row \(row): qrobust \(logit), ONNX Runtime \(Double(runtime[row] - zero) * scale)")
            #expect((object["compression"] as? String)?.contains("integer arithmetic") == true)
        }
        let global = try qrobust(["global", "\(qdq)/sklearn_moons.onnx", "--compressed", "\(qdq)/sklearn_moons_qdq_per_tensor.onnx",
                                  "--box", "0:1,0:1", "--metric", "logit", "--json"])
        #expect(global.code == 0, "\(global.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(global.stdout.utf8)) as? [String: Any])
        let deviation = try #require(report["deviation"] as? [String: Any])
        let (lower, upper) = (try #require(deviation["lower"] as? Double), try #require(deviation["upper"] as? Double))
        #expect(0 < lower && lower <= upper && upper - lower <= 1e-4 * (1 + 1e-9), "[\(lower), \(upper)]")
        let sdp = try qrobust(["sdp", "\(qdq)/sklearn_moons.onnx", "--compressed", "\(qdq)/sklearn_moons_qdq_per_tensor.onnx", "--box", "0:1,0:1"])
        #expect(sdp.code == 65 && sdp.stderr.split(separator: "\n").count == 1, "\(sdp.stderr)")
        let original = try qrobust(["local", "\(qdq)/sklearn_moons_qdq_per_tensor.onnx", "--input", "0,0", "--bits", "8"])
        #expect(original.code == 65 && original.stderr.split(separator: "\n").count == 1
                && original.stderr.contains("quantises its activations"), "\(original.stderr)")
    }
}

@Suite("qrobust global and bits", .serialized)
struct GlobalCLITests {
    let relu = "Examples/moons-relu.json"

    @Test("global --json reports a certified interval no wider than the tolerance, and a replayed witness")
    func globalJSON() throws {
        let run = try qrobust(["global", relu, "--box=-1:2,-1:1.5", "--bits", "6", "--model", "concrete",
                               "--metric", "logit", "--tolerance", "1e-3", "--json"])
        #expect(run.code == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["command"] as? String == "global")
        let deviation = try #require(object["deviation"] as? [String: Any])
        let lower = try #require(deviation["lower"] as? Double), upper = try #require(deviation["upper"] as? Double)
        #expect(lower <= upper && upper - lower <= 1e-3)
        let witness = try #require(object["witness"] as? [String: Any])
        #expect((witness["input"] as? [String])?.count == 2)
        #expect(object.keys.contains("reason") && object.keys.contains("statistics"))
    }

    @Test("negative numbers need no '=', and the input, box and τ are echoed as written (text and JSON)")
    func negativeNumbersAndEcho() throws {
        let local = try qrobust(["local", relu, "--input", "-1.2,0.7", "--bits", "8", "--tau", "0.01"])
        #expect(local.code == 0, "\(local.stderr)")
        #expect(local.stdout.contains("at (-1.2, 0.7)"), "\(local.stdout)")
        #expect(local.stdout.contains("τ = 0.01)"), "\(local.stdout)")
        let json = try qrobust(["local", relu, "--input", "-1.2,0.7", "--bits", "8", "--tau", "0.01", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["input"] as? [String] == ["-1.2", "0.7"])
        #expect(object["tau"] as? Double == 0.01)
        let global = try qrobust(["global", relu, "--box", "-1:2,-1:1.5", "--bits", "6", "--model", "concrete",
                                  "--tau", "0.5", "--json"])
        #expect(global.code == 0, "\(global.stderr)")
        let box = try #require(try JSONSerialization.jsonObject(with: Data(global.stdout.utf8)) as? [String: Any])
        #expect(box["box"] as? [[String]] == [["-1", "2"], ["-1", "1.5"]])
        let text = try qrobust(["global", relu, "--box", "-1:2,-1:1.5", "--bits", "6", "--model", "concrete", "--tau", "0.5"])
        #expect(text.stdout.contains("over [-1, 2] × [-1, 1.5]"), "\(text.stdout)")
    }

    @Test("--int: affine integer weights per tensor or per channel, as a concrete network (the same as quantize writes) and as a perturbation set; misuse is a usage error")
    func integerWeights() throws {
        let common = [relu, "--input", "0.5,0.25", "--metric", "logit", "--json"]
        let concrete = try qrobust(["local"] + common + ["--int", "8", "--per-channel", "--compression-model", "concrete"])
        #expect(concrete.code == 0, "\(concrete.stderr)")
        let file = try temporaryFile("moons-int8-\(UUID().uuidString).json", "")
        let written = try qrobust(["quantize", relu, "--int", "8", "--per-channel", "-o", file])
        #expect(written.code == 0 && written.stdout.contains("int8 affine, per channel, symmetric"), "\(written.stdout)\(written.stderr)")
        let viaFile = try qrobust(["local"] + common + ["--compressed", file])
        let a = try #require(try JSONSerialization.jsonObject(with: Data(concrete.stdout.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(viaFile.stdout.utf8)) as? [String: Any])
        #expect((a["deviation"] as? [String: Any])?["upperExact"] as? String == (b["deviation"] as? [String: Any])?["upperExact"] as? String)
        let set = try qrobust(["local"] + common + ["--int", "4", "--asymmetric"])
        #expect(set.code == 0 && set.stdout.contains("int4 affine, per tensor, asymmetric"), "\(set.stdout)\(set.stderr)")
        // The set contains the rounded network, so its maximum is at least the concrete one's.
        let setObject = try #require(try JSONSerialization.jsonObject(with: Data(set.stdout.utf8)) as? [String: Any])
        let oneNetwork = try qrobust(["local"] + common + ["--int", "4", "--asymmetric", "--compression-model", "concrete"])
        let oneObject = try #require(try JSONSerialization.jsonObject(with: Data(oneNetwork.stdout.utf8)) as? [String: Any])
        let setUpper = try #require((setObject["deviation"] as? [String: Any])?["upper"] as? Double)
        let oneLower = try #require((oneObject["deviation"] as? [String: Any])?["lower"] as? Double)
        #expect(oneLower <= setUpper)
        for bad in [["--int", "1"], ["--bits", "8", "--per-channel"], ["--int", "8", "--asymmetric", "--restricted-range"],
                    ["--int", "8", "--bits", "8"]] {
            let run = try qrobust(["local", relu, "--input", "0.5,0.25"] + bad)
            #expect(run.code == 64 && run.stderr.split(separator: "\n").count == 1, "\(bad): \(run.stderr)")
        }
    }

    @Test("--vnnlib takes the box from a VNN-LIB file: the same answer as --box, the bounds echoed as written and the ignored output assertion counted")
    func vnnlibBox() throws {
        let property = try temporaryFile("moons-\(UUID().uuidString).vnnlib", """
            ; the box -1:2, -1:1.5
            (declare-const X_0 Real)
            (declare-const X_1 Real)
            (declare-const Y_0 Real)
            (assert (>= X_0 -1))
            (assert (<= X_0 2))
            (assert (and (>= X_1 (- 1)) (<= X_1 1.5)))
            (assert (<= Y_0 0))
            """)
        let common = [relu, "--bits", "6", "--compression-model", "concrete", "--tau", "0.5", "--json"]
        let fromFile = try qrobust(["global", "--vnnlib", property] + common)
        let fromOption = try qrobust(["global", "--box=-1:2,-1:1.5"] + common)
        #expect(fromFile.code == 0 && fromOption.code == 0, "\(fromFile.stderr)")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(fromFile.stdout.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(fromOption.stdout.utf8)) as? [String: Any])
        #expect(a["box"] as? [[String]] == [["-1", "2"], ["-1", "1.5"]])
        #expect(a["deviation"] as? [String: AnyHashable] == b["deviation"] as? [String: AnyHashable])
        #expect((a["boxSource"] as? String)?.hasSuffix("1 output assertion ignored)") == true, "\(a)")
        #expect(b["boxSource"] == nil)
        let sdp = try qrobust(["sdp", relu, "--vnnlib", property, "--bits", "4", "--boxes", "1"])
        #expect(sdp.code == 0 && sdp.stdout.contains("over -1:2,-1:1.5"), "\(sdp.stdout)\(sdp.stderr)")
        #expect(sdp.stdout.contains("matrix entries"), "\(sdp.stdout)")
        // Over the memory limit: no SDP, the bound propagation's bound, the estimate, exit 2.
        let refused = try qrobust(["sdp", relu, "--vnnlib", property, "--bits", "4", "--boxes", "1",
                                   "--memory-limit", "0.000001", "--json"])
        #expect(refused.code == 2, "\(refused.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(refused.stdout.utf8)) as? [String: Any])
        let norm = try #require(report["squaredNorm"] as? [String: Any])
        #expect((norm["refusal"] as? String)?.contains("memory limit of 1 kB") == true, "\(norm)")
        #expect(norm["certified"] as? Double == norm["intervalBound"] as? Double)
        #expect((report["notes"] as? [String])?.contains { $0.hasPrefix("CSDP was not run on 1 box") } == true, "\(report)")
        let badLimit = try qrobust(["sdp", relu, "--vnnlib", property, "--bits", "4", "--memory-limit=0"])
        #expect(badLimit.code == 64 && badLimit.stderr.contains("positive number of gigabytes"), "\(badLimit.stderr)")
        let both = try qrobust(["global", relu, "--vnnlib", property, "--box", "0:1,0:1", "--bits", "4"])
        #expect(both.code == 64 && both.stderr.contains("either --box"), "\(both.stderr)")
        let bad = try qrobust(["global", relu, "--vnnlib", property + ".missing", "--bits", "4"])
        #expect(bad.code == 65 && bad.stderr == "qrobust: error: \(property).missing: cannot read the file\n", "\(bad.stderr)")
    }

    @Test("flip on the PyTorch MNIST export (raw logits) works without --output, at a real image; long inputs are abbreviated",
          .enabled(if: FileManager.default.fileExists(atPath: packageRoot.path + "/../shared/networks/mnist/mnist-net_256x2.onnx"),
                   "needs ../shared/networks/mnist"))
    func flipOnMNISTLogits() throws {
        let csv = try String(contentsOf: packageRoot.appendingPathComponent("Examples/mnist/mnist-100.csv"), encoding: .utf8)
        let row = try #require(csv.split(separator: "\n").first { !$0.hasPrefix("#") && !$0.hasPrefix("p0") })
        let pixels = row.split(separator: ",").dropLast().map { "\($0)/255" }
        #expect(pixels.count == 784)
        let run = try qrobust(["local", "../shared/networks/mnist/mnist-net_256x2.onnx", "--input", pixels.joined(separator: ","),
                               "--bits", "8", "--metric", "flip", "--timeout", "60"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("original class: 0"))   // the row's label is 0
        #expect(run.stdout.contains("verdict: robust"))
        #expect(run.stdout.contains("; 784 values)"))
        #expect(run.stdout.split(separator: "\n").first.map { $0.count < 300 } == true)
    }

    @Test("--inputs: one row per input, a summary, JSON Lines, and the exit code of the worst row")
    func batch() throws {
        let file = URL(fileURLWithPath: try temporaryFile("batch-\(UUID().uuidString).csv",
                                                          "# moons points\nx1,x2,label\n0.5,0.25,0\n-1.2,0.7,0\n1.5,-0.3,1\n"))
        let text = try qrobust(["local", relu, "--inputs", file.path, "--label-column", "label", "--bits", "6", "--tau", "0.05", "--jobs", "2"])
        // Each row agrees with its own single-input run.
        let single = try (["0.5,0.25", "-1.2,0.7", "1.5,-0.3"]).map { try qrobust(["local", relu, "--input", $0, "--bits", "6", "--tau", "0.05"]).code }
        #expect(single == [1, 0, 0])
        #expect(text.code == 1, "\(text.stderr)")
        #expect(text.stdout.contains("robust at 2 of 3 rows (not robust 1, unknown 0); every original prediction matches its label"))
        let json = try qrobust(["local", relu, "--inputs", file.path, "--label-column", "label", "--bits", "6", "--tau", "0.05", "--json"])
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 4)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["row"] as? Int == 1 && first["line"] as? Int == 3 && first["label"] as? Int == 0)
        #expect(first["verdict"] as? String == "notRobust" && first["input"] as? [String] == ["0.5", "0.25"])
        let summary = try #require((try JSONSerialization.jsonObject(with: Data(lines[3].utf8)) as? [String: Any])?["summary"] as? [String: Any])
        #expect(summary["robust"] as? Int == 2 && summary["notRobust"] as? Int == 1 && summary["rows"] as? Int == 3)
        let bad = try qrobust(["local", relu, "--inputs", file.path, "--label-column", "nope", "--bits", "6"])
        #expect(bad.code == 65 && bad.stderr.contains("line 2: no column named 'nope'"), "\(bad.stderr)")
        let both = try qrobust(["local", relu, "--inputs", file.path, "--input", "0,0", "--bits", "6"])
        #expect(both.code == 64)
    }

    @Test("--inputs on the PyTorch MNIST export over 100 real images: summary, JSON Lines and exit code (release binary)",
          .enabled(if: FileManager.default.fileExists(atPath: packageRoot.path + "/../shared/networks/mnist/mnist-net_256x2.onnx"),
                   "needs ../shared/networks/mnist"),
          .enabled(if: FileManager.default.isExecutableFile(atPath: packageRoot.path + "/.build/release/qrobust"),
                   "needs the release build (scripts/test.sh makes it)"))
    func batchMNIST() throws {
        let release = packageRoot.appendingPathComponent(".build/release/qrobust")
        let arguments = ["local", "../shared/networks/mnist/mnist-net_256x2.onnx", "--inputs", "Examples/mnist/mnist-100.csv",
                         "--label-column", "label", "--input-scale", "1/255", "--bits", "8", "--model", "concrete",
                         "--metric", "flip", "--jobs", "2"]
        let text = try qrobust(arguments, binary: release)
        #expect(text.code == 0, "\(text.stderr)")
        let last = try #require(text.stdout.split(separator: "\n").last)
        #expect(last.hasPrefix("robust at 100 of 100 rows (not robust 0, unknown 0); no class flips; every original prediction matches its label"))
        let json = try qrobust(arguments + ["--json"], binary: release)
        let lines = json.stdout.split(separator: "\n")
        #expect(lines.count == 101)
        let rows = try lines.dropLast().map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        // The labels are 10 of each digit in order, and the network gets every one right.
        #expect(rows.map { $0["label"] as? Int } == (0..<100).map { $0 / 10 })
        #expect(rows.allSatisfy { $0["originalClass"] as? Int == $0["label"] as? Int && $0["verdict"] as? String == "robust" })
    }

    @Test("--compression-model and --output-kind; the old --model and --output still work, hidden from --help; both at once is a usage error")
    func renamedOptions() throws {
        let help = try qrobust(["local", "--help"])
        #expect(help.stdout.contains("--compression-model") && help.stdout.contains("--output-kind"))
        #expect(!help.stdout.contains("--model <") && !help.stdout.contains("--output <"))
        let new = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "8", "--compression-model", "concrete",
                               "--output-kind", "sigmoid", "--json"])
        let old = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "8", "--model", "concrete", "--output", "sigmoid", "--json"])
        #expect(new.code == 0 && old.code == 0)
        let deviation = { (run: (code: Int32, stdout: String, stderr: String)) in
            ((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any])?["deviation"] as? [String: Any]
        }
        #expect(deviation(new)?["upperExact"] as? String == deviation(old)?["upperExact"] as? String)
        let both = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "8", "--model", "concrete", "--compression-model", "concrete"])
        #expect(both.code == 64 && both.stderr.contains("old name of --compression-model"))
        #expect(try qrobust(["--version"]).stdout.hasPrefix("qrobust "))
    }

    @Test("global with τ exits 0 when proved and 1 with a witness")
    func globalVerdicts() throws {
        let proved = try qrobust(["global", relu, "--box", "0:1,0:0.5", "--bits", "10", "--model", "concrete", "--tau", "0.1"])
        #expect(proved.code == 0, "\(proved.stderr)")
        #expect(proved.stdout.contains("verdict: robust"))
        let violated = try qrobust(["global", relu, "--box", "0:1,0:0.5", "--bits", "2", "--model", "concrete", "--tau", "0.01"])
        #expect(violated.code == 1, "\(violated.stderr)")
        #expect(violated.stdout.contains("NOT robust"))
    }

    @Test("bad boxes and options give one line and the documented exit code")
    func globalErrors() throws {
        // A box that does not parse is a usage error (64); one that does not fit the network is bad data (65).
        for (box, code, fragment) in [("0:1", 65, "2 inputs"), ("1:0,0:1", 65, "empty"), ("0:1,a:2", 64, "not a finite number"),
                                      ("0:1,2", 64, "lo:hi")] as [(String, Int32, String)] {
            let run = try qrobust(["global", relu, "--box", box, "--bits", "4"])
            #expect(run.code == code, "\(box): \(run.stderr)")
            #expect(run.stderr.contains(fragment), "\(box): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
        #expect(try qrobust(["global", relu, "--box", "0:1,0:1", "--bits", "4", "--jobs", "0"]).code == 64)
        // Flip over a box is decided, with no τ.
        let flipTau = try qrobust(["global", relu, "--box", "0:1,0:1", "--bits", "4", "--metric", "flip", "--tau", "0.1"])
        #expect(flipTau.code == 64 && flipTau.stderr.split(separator: "\n").count == 1, "\(flipTau.stderr)")
        let flips = try qrobust(["global", relu, "--box", "0:1,0:1", "--bits", "4", "--compression-model", "concrete", "--metric", "flip"])
        #expect(flips.code == 1 && flips.stdout.contains("verdict: NOT robust (the witness below changes class)"), "\(flips.stdout)")
        let none = try qrobust(["global", relu, "--box", "0:1,-1:-0.5", "--bits", "8", "--compression-model", "concrete",
                                "--metric", "flip", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [String: Any]
        #expect(none.code == 0 && report?["verdict"] as? String == "robust" && report?["metric"] as? String == "flip", "\(none.stdout)")
    }

    @Test("bits --metric flip over a box: the fewest bits with no class change, which global --metric flip confirms on both sides; no τ")
    func bitsFlip() throws {
        let box = "--box=-1:-0.5,0.3:1"
        let run = try qrobust(["bits", relu, box, "--metric", "flip", "--range", "1:10", "--json"])
        #expect(run.code == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let fewest = try #require(report["fewestBits"] as? Int)
        #expect(report["tau"] is NSNull)
        // The perturbation set of fewest bits admits no flip over the box; one bit fewer does.
        #expect(try qrobust(["global", relu, box, "--bits", String(fewest), "--metric", "flip"]).code == 0)
        if fewest > 1 { #expect(try qrobust(["global", relu, box, "--bits", String(fewest - 1), "--metric", "flip"]).code == 1) }
        for wrong in [["--metric", "flip", "--tau", "0.1"], []] {
            let refused = try qrobust(["bits", relu, box] + wrong)
            #expect(refused.code == 64 && refused.stderr.split(separator: "\n").count == 1, "\(wrong): \(refused.stderr)")
        }
    }

    @Test("bits prints the table and the fewest k; --json has one row per checked k")
    func bits() throws {
        let run = try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--range", "4:12"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("fewest fractional bits: 9"))
        let json = try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--model", "concrete", "--range", "2:6", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["rows"] as? [[String: Any]])?.count == 5)
        #expect(object.keys.contains("fewestBits"))
        #expect(try qrobust(["bits", relu, "--tau", "0.05"]).code == 64)
        #expect(try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--range", "9:3"]).code == 64)
    }

    @Test("bits --scheme int searches integer widths (2–16) and says so; fixed-point and integer options do not mix")
    func integerBits() throws {
        let json = try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--scheme", "int", "--per-channel", "--json"])
        #expect(json.code == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["bitsKind"] as? String == "integer")
        #expect(object["scheme"] as? String == "int affine, per channel, symmetric")
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.allSatisfy { (2...16).contains($0["bits"] as? Int ?? 0) })
        let text = try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--scheme", "int"])
        #expect(text.stdout.contains("fewest integer bits: "))
        for wrong in [["--scheme", "int", "--rounding", "truncate"], ["--scheme", "int", "--range", "1:8"],
                      ["--per-channel"], ["--scheme", "int", "--asymmetric", "--restricted-range"]] {
            let run = try qrobust(["bits", relu, "--input", "0.5,0.25", "--tau", "0.05"] + wrong)
            #expect(run.code == 64, "\(wrong): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1)
        }
    }
}

@Suite("qrobust study", .serialized)
struct StudyCLITests {
    @Test("study activations writes the tables, the pictures and resumable results")
    func study() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-study-\(ProcessInfo.processInfo.processIdentifier)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let arguments = ["study", "activations", "Examples/zoo", "--only", "moons-relu-8-s0", "--bits", "4,8", "--timeout-per-query", "1",
                         "--heatmap-resolution", "4", "--out", out, "--csv", out + "/rows.csv"]
        // Progress goes to stderr only on a terminal or with QROBUST_PROGRESS=1.
        let quiet = try qrobust(Array(arguments.dropLast(4)) + ["--out", out + "-quiet"])
        defer { try? FileManager.default.removeItem(atPath: out + "-quiet") }
        #expect(quiet.code == 0 && quiet.stderr.isEmpty, "\(quiet.stderr)")
        let run = try qrobust(arguments, environment: ["QROBUST_PROGRESS": "1"])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("| moons | relu | 1 |") && run.stderr.contains("[1/1] moons-relu-8-s0.json"))
        for file in ["summary.md", "deviation-vs-bits.svg", "heatmap.svg", "results.jsonl", "rows.csv"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(file)"), "\(file)")
        }
        #expect(try String(contentsOfFile: "\(out)/deviation-vs-bits.svg", encoding: .utf8).hasPrefix("<svg"))
        let again = try qrobust(arguments, environment: ["QROBUST_PROGRESS": "1"])
        #expect(again.code == 0 && again.stderr.contains("already in results.jsonl") && again.stdout == run.stdout)
    }

    @Test("bad study arguments (activations and schemes): exit 64 for usage, 65 for a missing zoo")
    func studyErrors() throws {
        let usage = try qrobust(["study", "activations", "Examples/zoo", "--bits", "two"])
        #expect(usage.code == 64 && usage.stderr.contains("--bits"))
        let missing = try qrobust(["study", "activations", "no/zoo"])
        #expect(missing.code == 65 && missing.stderr.contains("no/zoo/zoo.json: no such file"), "\(missing.stderr)")
        let none = try qrobust(["study", "activations", "Examples/zoo", "--only", "nothing-like-this"])
        #expect(none.code == 65 && none.stderr.split(separator: "\n").count == 1)
        // The scheme study: widths outside 2–16, a missing zoo, a filter that keeps nothing.
        for bits in ["1", "17", "x"] {
            let run = try qrobust(["study", "schemes", "Examples/zoo", "--bits", bits])
            #expect(run.code == 64 && run.stderr.split(separator: "\n").count == 1, "\(bits): \(run.stderr)")
        }
        let schemesMissing = try qrobust(["study", "schemes", "no/zoo"])
        #expect(schemesMissing.code == 65 && schemesMissing.stderr.contains("no/zoo/zoo.json: no such file"))
        let schemesNone = try qrobust(["study", "schemes", "Examples/zoo", "--only", "nothing-like-this"])
        #expect(schemesNone.code == 65 && schemesNone.stderr.split(separator: "\n").count == 1)
        // The pruning study: sparsities that are not increasing in (0, 1], options that go together,
        // an image file that is missing, more balls than images.
        for sparsities in ["0,0.5", "0.5,0.2", "0.5,x", "1.5"] {
            let run = try qrobust(["study", "pruning", "Examples/zoo", "--sparsities", sparsities])
            #expect(run.code == 64 && run.stderr.split(separator: "\n").count == 1, "\(sparsities): \(run.stderr)")
        }
        let alone = try qrobust(["study", "pruning", "Examples/zoo", "--images", "Examples/mnist/mnist-100.csv"])
        #expect(alone.code == 64 && alone.stderr.contains("--image-network and --images go together"))
        let noImages = try qrobust(["study", "pruning", "Examples/zoo", "--only", "moons-relu-8-s0", "--image-network",
                                    "Examples/moons-relu.json", "--images", "no/images.csv"])
        #expect(noImages.code == 65 && noImages.stderr.split(separator: "\n").count == 1 && noImages.stderr.contains("no/images.csv"),
                "\(noImages.stderr)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-pruning-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let images = "\(folder)/two.csv"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "x0,x1\n0.5,0.5\n0.1,0.9\n".write(toFile: images, atomically: true, encoding: .utf8)
        let tooMany = try qrobust(["study", "pruning", "Examples/zoo", "--only", "moons-relu-8-s0", "--image-network",
                                   "Examples/moons-relu.json", "--images", images, "--balls", "3", "--out", folder])
        #expect(tooMany.code == 65 && tooMany.stderr.contains("3 balls asked, but the image set has 2 rows"), "\(tooMany.stderr)")
    }

    @Test("study pruning on one zoo network and a 2-input image network writes its table, plot and results")
    func pruningStudy() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-pruning-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "x0,x1\n0.5,0.5\n0.1,0.9\n".write(toFile: "\(folder)/two.csv", atomically: true, encoding: .utf8)
        let run = try qrobust(["study", "pruning", "Examples/zoo", "--only", "moons-relu-8-s0", "--sparsities", "0.25,0.75",
                               "--image-network", "Examples/moons-relu.json", "--images", "\(folder)/two.csv", "--balls", "1",
                               "--radius", "0.1", "--image-timeout", "5", "--out", folder])
        #expect(run.code == 0, "\(run.stderr)")
        #expect(run.stdout.contains("| zoo, relu (1) | probability | 0.25 |") && run.stdout.contains("| moons-relu.json (1) | logit | 0.75 |"))
        let written = try String(contentsOfFile: "\(folder)/pruning.md", encoding: .utf8)
        #expect(written == run.stdout)
        #expect(try String(contentsOfFile: "\(folder)/deviation-vs-sparsity.svg", encoding: .utf8).hasPrefix("<svg"))
        #expect(try String(contentsOfFile: "\(folder)/pruning.jsonl", encoding: .utf8).split(separator: "\n").count == 2)
    }
}

/// `--dump-smt`: every unsat query behind an answer, re-checked by Debian's
/// `z3` binary (a separate Z3 process reading the SMT-LIB text).
@Suite("SMT-LIB dumps", .serialized)
struct DumpSMTTests {
    static let z3 = ["/usr/bin/z3", "/usr/local/bin/z3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `z3` on a file and returns its first line.
    static func recheck(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: z3!)
        process.arguments = ["-T:60", path]
        let output = try temporaryFile("z3-\(UUID().uuidString)", "")
        defer { try? FileManager.default.removeItem(atPath: output) }
        process.standardOutput = FileHandle(forWritingAtPath: output)
        try process.run()
        process.waitUntilExit()
        return try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").first.map(String.init) ?? ""
    }

    @Test("robust answers of local, global and bits leave unsat files that z3 re-checks as unsat",
          .enabled(if: DumpSMTTests.z3 != nil, "needs Debian's z3 (scripts/install.sh installs it)"))
    func recheck() throws {
        let relu = "Examples/moons-relu.json"
        let commands: [[String]] = [
            // The linear encoding answers this input by back-substitution, without Z3; the direct one uses Z3.
            ["local", relu, "--input", "0.5,0.25", "--bits", "8", "--tau", "0.1", "--encoding", "nonlinear"],
            ["global", relu, "--box", "0:1,0:1", "--bits", "8", "--tau", "0.1", "--jobs", "2"],
            ["bits", relu, "--input", "0.5,0.25", "--tau", "0.05", "--range", "6:10"],
        ]
        for command in commands {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-dump-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let run = try qrobust(command + ["--dump-smt", folder])
            #expect([0, 1].contains(run.code), "\(command[0]): \(run.stderr)")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".smt2") }.sorted()
            // bits answers its local queries by back-substitution here, which leaves no SMT-LIB proof.
            #expect(command[0] == "bits" || !files.isEmpty, "\(command[0]) proved something with Z3, so it wrote a file")
            // Every file of a small run, or an evenly spread sample of 12.
            let step = max(1, files.count / 12)
            for file in stride(from: 0, to: files.count, by: step).map({ files[$0] }) {
                #expect(try Self.recheck("\(folder)/\(file)") == "unsat", "\(command[0]): \(file)")
            }
        }
        let bad = try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "8", "--dump-smt", "/proc/no/such"])
        #expect(bad.code == 65 && bad.stderr.contains("--dump-smt"), "\(bad.stderr)")
    }

}

@Suite("qrobust prune", .serialized)
struct PruneCLITests {
    @Test("prune writes the pruned network, --certify reports a certified interval, --sparsest a table; bad combinations are one line")
    func prune() throws {
        let relu = "Examples/moons-relu.json"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-pruned-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let written = try qrobust(["prune", relu, "--sparsity", "0.25", "-o", out, "--json"])
        #expect(written.code == 0, "\(written.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(written.stdout.utf8)) as? [String: Any])
        let pruned = try #require(object["pruned"] as? [String: Any])
        let candidates = try #require(pruned["candidates"] as? Int)
        #expect(pruned["reachedSparsity"] as? Double == Double(candidates / 4) / Double(candidates))
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        let weights = (file["layers"] as? [[String: Any]] ?? []).flatMap { ($0["weights"] as? [[Double]] ?? []).joined() }
        #expect(weights.count == candidates && weights.filter { $0 == 0 }.count == candidates / 4)
        let certified = try qrobust(["prune", relu, "--sparsity", "0.25", "--certify", "--box=-1:2,-1:1.5", "--json"])
        #expect(certified.code == 0, "\(certified.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(certified.stdout.utf8)) as? [String: Any])
        let deviation = try #require((report["certified"] as? [String: Any])?["deviation"] as? [String: Any])
        #expect((deviation["lower"] as? Double ?? 2) <= (deviation["upper"] as? Double ?? -1))
        let sparsest = try qrobust(["prune", relu, "--sparsest", "--tau", "0.5", "--box=-1:2,-1:1.5", "--every", "--step", "0.25"])
        #expect(sparsest.stdout.contains("sparsest: "), "\(sparsest.stderr)")
        let rows = sparsest.stdout.split(separator: "\n").filter { $0.first == " " && $0.trimmingCharacters(in: .whitespaces).first?.isNumber == true }
        #expect(rows.count == 4, "\(sparsest.stdout)")
        // Confident pruning: the JSON names every grid sparsity, certified ones first, and the chosen one.
        let zooNet = "Examples/zoo/moons-relu-16-s0.json", data = "Examples/zoo/data/moons-calibration.csv"
        let confident = try qrobust(["prune", zooNet, "--method", "confident", "--calibration", data, "--label-column", "label",
                                     "--alpha", "0.1", "--delta", "0.1", "--json"])
        #expect(confident.code == 0, "\(confident.stderr)")
        let calibration = try #require((try JSONSerialization.jsonObject(with: Data(confident.stdout.utf8)) as? [String: Any])?["calibration"]
            as? [String: Any])
        let calibrationRows = try #require(calibration["rows"] as? [[String: Any]])
        #expect(calibrationRows.count == 20 && calibration["n"] as? Int == 2000)
        let certifiedFlags = calibrationRows.map { $0["certified"] as? Bool ?? false }
        #expect(certifiedFlags.first == true && certifiedFlags == certifiedFlags.sorted { $0 && !$1 })
        #expect(calibration["chosen"] as? Double == calibrationRows[certifiedFlags.lastIndex(of: true)!]["sparsity"] as? Double)
        // The verified loss: every tested sparsity's losses come from certified balls; sparsity 0 loses none.
        let verified = try qrobust(["prune", zooNet, "--method", "confident", "--calibration", data, "--label-column", "label",
                                    "--alpha", "0.2", "--delta", "0.1", "--loss", "verified", "--radius", "0.02", "--json"])
        #expect(verified.code == 0, "\(verified.stderr)")
        let verifiedRows = try #require(((try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])?["calibration"]
            as? [String: Any])?["rows"] as? [[String: Any]])
        #expect(verifiedRows.first?["losses"] as? Int == 0)
        let none = try qrobust(["prune", zooNet, "--method", "confident", "--calibration", data, "--label-column", "label",
                                "--alpha", "0.01", "--delta", "0.1", "--loss", "error"])
        #expect(none.code == 1 && none.stdout.contains("none: no sparsity of the grid is certified"), "\(none.stdout)")
        for wrong in [["--method", "confident", "--calibration", data, "--alpha", "0.1"],
                      ["--method", "confident", "--calibration", data, "--alpha", "0.1", "--delta", "0.1", "--loss", "error"],
                      ["--method", "confident", "--calibration", data, "--alpha", "0.1", "--delta", "0.1", "--sparsity", "0.5"],
                      ["--sparsity", "0.5", "-o", out, "--alpha", "0.1"],
                      ["--method", "confident", "--calibration", data, "--alpha", "0.1", "--delta", "0.1", "--loss", "verified"],
                      ["--method", "confident", "--calibration", data, "--alpha", "0.1", "--delta", "0.1", "--radius", "0.1"]] {
            let run = try qrobust(["prune", zooNet] + wrong)
            #expect(run.code == 64, "\(wrong): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(wrong): \(run.stderr)")
        }
        // Coreset pruning: the same seed writes the same file; the report records the seed.
        let first = out + ".a.json", second = out + ".b.json"
        defer { try? FileManager.default.removeItem(atPath: first); try? FileManager.default.removeItem(atPath: second) }
        for file in [first, second] {
            let run = try qrobust(["prune", zooNet, "--method", "coreset", "--draws", "6", "--seed", "42", "--box", "0:1,0:1", "-o", file, "--json"])
            #expect(run.code == 0, "\(run.stderr)")
            let coreset = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["coreset"] as? [String: Any]
            #expect(coreset?["seed"] as? Int == 42 && (coreset?["layers"] as? [Any])?.count == 1)
            // One hidden layer and one output: the chained bound is that layer's Hoeffding bound.
            let layer = (coreset?["layers"] as? [[String: Any]])?.first
            #expect(coreset?["chainedLogitBound"] as? Double == layer?["hoeffdingBound"] as? Double && layer?["hoeffdingBound"] != nil)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
        let wrongBox = try qrobust(["prune", zooNet, "--method", "coreset", "--draws", "6", "--box", "0:1", "-o", first])
        #expect(wrongBox.code == 65 && wrongBox.stderr.split(separator: "\n").count == 1, "\(wrongBox.stderr)")
        for wrong in [["--method", "coreset", "--draws", "6", "-o", out], ["--method", "coreset", "--box", "0:1,0:1", "-o", out],
                      ["--method", "coreset", "--draws", "0", "--box", "0:1,0:1", "-o", out], ["--sparsity", "0.5", "-o", out, "--draws", "3"]] {
            let run = try qrobust(["prune", zooNet] + wrong)
            #expect(run.code == 64, "\(wrong): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(wrong): \(run.stderr)")
        }
        let badAlpha = try qrobust(["prune", zooNet, "--method", "confident", "--calibration", data, "--alpha", "1.5", "--delta", "0.1"])
        #expect(badAlpha.code == 65 && badAlpha.stderr.split(separator: "\n").count == 1, "\(badAlpha.stderr)")
        for wrong in [["--sparsity", "0.5"], ["--sparsity", "1.5", "-o", out], ["--sparsest", "--tau", "0.1"],
                      ["--sparsity", "0.5", "--sparsest", "--tau", "0.1", "--box", "0:1,0:1"], ["--sparsity", "0.5", "-o", "x.txt"],
                      ["--sparsity", "0.5", "--certify"], ["--sparsity", "0.5", "-o", out, "--every"],
                      ["--sparsity", "0.5", "-o", out, "--bound", "sdp"]] {
            let run = try qrobust(["prune", relu] + wrong)
            #expect(run.code == 64, "\(wrong): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(wrong): \(run.stderr)")
        }
    }

    @Test("prune --sparsest --metric flip: the largest sparsity with no class change over the box, confirmed by --certify on both sides")
    func sparsestFlip() throws {
        let relu = "Examples/moons-relu.json", box = "--box=-1:-0.5,0.3:1"
        let run = try qrobust(["prune", relu, "--sparsest", "--metric", "flip", box, "--step", "0.1", "--json"])
        #expect(run.code == 0, "\(run.stderr)")
        let sparsest = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["sparsest"] as? [String: Any])
        #expect(sparsest["tau"] is NSNull)
        let s = try #require(sparsest["sparsest"] as? Double)
        #expect(try qrobust(["prune", relu, "--sparsity", String(s), "--certify", box, "--metric", "flip"]).code == 0)
        if s < 0.9 {
            #expect(try qrobust(["prune", relu, "--sparsity", String(s + 0.1), "--certify", box, "--metric", "flip"]).code == 1)
        }
        let withTau = try qrobust(["prune", relu, "--sparsest", "--metric", "flip", "--tau", "0.1", box])
        #expect(withTau.code == 64 && withTau.stderr.split(separator: "\n").count == 1)
    }

    @Test("prune --certify --bound sdp: the SDP bound in the metric beside the exact search's interval, a τ verdict, one line for flip")
    func pruneWithSDP() throws {
        let zooNet = "Examples/zoo/moons-relu-8-s0.json"
        let base = ["prune", zooNet, "--sparsity", "0.5", "--certify", "--box", "0:1,0:1", "--metric", "logit"]
        let exact = try qrobust(base + ["--json"])
        let sdp = try qrobust(base + ["--bound", "sdp", "--json"])
        #expect(exact.code == 0 && sdp.code == 0, "\(exact.stderr) \(sdp.stderr)")
        let interval = try #require(((try JSONSerialization.jsonObject(with: Data(exact.stdout.utf8)) as? [String: Any])?["certified"]
            as? [String: Any])?["deviation"] as? [String: Any])
        let bound = try #require((try JSONSerialization.jsonObject(with: Data(sdp.stdout.utf8)) as? [String: Any])?["sdpBound"] as? [String: Any])
        let (lower, upper) = (try #require(interval["lower"] as? Double), try #require(interval["upper"] as? Double))
        let (sampled, sdpUpper) = (try #require(bound["lower"] as? Double), try #require(bound["upper"] as? Double))
        #expect(sampled <= upper && lower <= sdpUpper, "sampled \(sampled), exact [\(lower), \(upper)], SDP \(sdpUpper)")
        let decided = try qrobust(base + ["--bound", "sdp", "--tau", String(sdpUpper * 2)])
        #expect(decided.code == 0 && decided.stdout.contains("verdict: robust"), "\(decided.stdout)")
        let flip = try qrobust(["prune", zooNet, "--sparsity", "0.5", "--certify", "--box", "0:1,0:1", "--metric", "flip", "--bound", "sdp"])
        #expect(flip.code == 65 && flip.stderr.split(separator: "\n").count == 1, "\(flip.stderr)")
    }
}
