import Foundation
import Testing
import TestSupport

/// A mutation fuzzer for the command line: it mutates .nnet, JSON and ONNX
/// seed models (numbers replaced by hostile ones, lines dropped or doubled,
/// bytes flipped, files truncated) and combines them with hostile options,
/// then runs `qrobust` and checks the promise every input must keep: exit 0,
/// 1, 2, 64, 65 or 70, never a signal; at most one line on stderr; back
/// within the time limit + 10 % + 1 s.
///
/// The normal test command runs a fixed-seed smoke subset of 200 executions.
/// `scripts/fuzz.sh N [SEED]` runs N executions against the release binary
/// (environment: QROBUST_FUZZ_EXECUTIONS, QROBUST_FUZZ_SEED, QROBUST_FUZZ_BINARY)
/// and prints the counts; failing cases are kept in a folder it names.
@Suite("Fuzzing the command line", .serialized)
struct FuzzSmokeTests {
    static let seeds = packageRoot.appendingPathComponent("Tests/CLITests/Fixtures/fuzz-seeds")

    @Test("a fixed-seed run of mutated models and hostile options keeps the promise")
    func smoke() throws {
        let environment = ProcessInfo.processInfo.environment
        let executions = environment["QROBUST_FUZZ_EXECUTIONS"].flatMap(Int.init) ?? 200
        let seed = environment["QROBUST_FUZZ_SEED"].flatMap(UInt64.init) ?? 2026
        var fuzzer = try Fuzzer(seed: seed, seeds: Self.seeds)
        let binary = environment["QROBUST_FUZZ_BINARY"].map { URL(fileURLWithPath: $0) }
        var counts: [String: Int] = [:]
        var failures: [String] = []
        for i in 0..<executions {
            let input = try fuzzer.next()
            let start = Date()
            let run = try qrobust(input.arguments, in: fuzzer.folder, binary: binary)
            let seconds = Date().timeIntervalSince(start)
            let lines = run.stderr.split(separator: "\n", omittingEmptySubsequences: false).count - 1
            // Release binary: the promise itself; the debug build gets 3 s more.
            let budget = input.limit * 1.1 + 1 + (binary == nil ? 3 : 0)
            var problem: String?
            if run.code < 0 { problem = "signal \(-run.code)" }
            else if ![0, 1, 2, 64, 65, 70].contains(run.code) { problem = "exit \(run.code)" }
            else if seconds > budget { problem = String(format: "took %.1f s (budget %.1f s)", seconds, budget) }
            else if lines > 1 { problem = "\(lines) lines on stderr" }
            counts[problem == nil ? "exit \(run.code)" : "FAILED", default: 0] += 1
            // Exit 70 keeps the promise but means an internal or solver error: worth a look.
            if run.code == 70 { print("fuzz: exit 70: qrobust \(input.arguments.joined(separator: " ")): \(run.stderr.prefix(300))") }
            if let problem {
                let kept = try fuzzer.keep(input, index: i)
                failures.append("\(problem): qrobust \(input.arguments.joined(separator: " ")) (model kept as \(kept)); stderr: \(run.stderr.prefix(200))")
            }
        }
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("fuzz: \(executions) executions, seed \(seed): \(summary); inputs in \(fuzzer.folder.path)")
        #expect(failures.isEmpty, "\(failures.count) failures:\n\(failures.prefix(20).joined(separator: "\n"))")
    }
}

/// The mutation engine: deterministic for a seed (``SeededGenerator``).
struct Fuzzer {
    struct Input {
        var arguments: [String]
        /// The time limit the arguments set, or the budget for commands without one.
        var limit: Double
        var model: URL
    }

    struct Seed {
        var name: String
        var data: Data
        var inputs: Int
    }

    private var generator: SeededGenerator
    let folder: URL
    private let seeds: [Seed]
    private var counter = 0

    init(seed: UInt64, seeds directory: URL) throws {
        generator = SeededGenerator(seed: seed)
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("qrobust-fuzz-\(seed)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let inputs = ["moons-relu.json": 2, "tiny.nnet": 2, "torch_gemm_sigmoid.onnx": 3, "sklearn_multiclass_identity.onnx": 2]
        seeds = try inputs.keys.sorted().map { name in
            Seed(name: name, data: try Data(contentsOf: directory.appendingPathComponent(name)), inputs: inputs[name]!)
        }
    }

    private mutating func random() -> UInt64 { generator.next() }

    private mutating func below(_ n: Int) -> Int { Int(random() % UInt64(max(n, 1))) }
    private mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
    private mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    static let hostileNumbers = ["1e308", "-1e308", "1e-320", "0", "-0", "nan", "inf", "1e400", "99999999999",
                                 "2147483648", "1e100", "-1e200", "4.9e-324", "1e999999", "", "0x10", "1,5"]

    /// The next model and command.
    mutating func next() throws -> Input {
        let seed = pick(seeds)
        counter += 1
        let ext = (seed.name as NSString).pathExtension
        let model = folder.appendingPathComponent("case-\(counter).\(chance(3) ? pick(["onnx", "nnet", "json", "h5"]) : ext)")
        try mutate(seed, ext: ext).write(to: model)
        var (arguments, limit) = command(model: model.lastPathComponent, inputs: seed.inputs)
        if chance(3) { arguments.insert(pick(["--json", "--help", "--bogus", "-o", "--tau="]), at: below(arguments.count + 1)) }
        return Input(arguments: arguments, limit: limit, model: model)
    }

    /// A copy of the seed with 0 to 3 mutations.
    private mutating func mutate(_ seed: Seed, ext: String) -> Data {
        var data = seed.data
        for _ in 0..<below(4) {
            if ext == "onnx" || chance(10) {
                data = mutateBytes(data)
            } else {
                data = Data(mutateText(String(decoding: data, as: UTF8.self)).utf8)
            }
        }
        return data
    }

    private mutating func mutateBytes(_ data: Data) -> Data {
        var bytes = [UInt8](data)
        guard !bytes.isEmpty else { return data }
        switch below(4) {
        case 0: bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random())
        case 1: bytes.removeSubrange(below(bytes.count)...)
        case 2: bytes.insert(contentsOf: (0..<(1 + below(8))).map { _ in UInt8(truncatingIfNeeded: random()) }, at: below(bytes.count))
        default:
            // A varint-looking field set to a huge value.
            let at = below(bytes.count)
            bytes.replaceSubrange(at..<min(at + 5, bytes.count), with: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        }
        return Data(bytes)
    }

    private mutating func mutateText(_ text: String) -> String {
        var lines = text.components(separatedBy: "\n")
        guard !lines.isEmpty else { return text }
        let l = below(lines.count)
        switch below(6) {
        case 0, 1:
            // Replace one number on the line by a hostile one.
            let line = lines[l]
            let ranges = numberRanges(line)
            if let range = ranges.isEmpty ? nil : pick(ranges) {
                lines[l] = line.replacingCharacters(in: range, with: pick(Self.hostileNumbers))
            }
        case 2: lines.remove(at: l)
        case 3: lines.insert(lines[l], at: l)
        case 4: lines[l] += pick(["\r", ",", ",,", " 1", "}", "]"])
        default: lines = Array(lines.prefix(l))
        }
        return lines.joined(separator: "\n")
    }

    private func numberRanges(_ line: String) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        var start: String.Index?
        for i in line.indices {
            let c = line[i]
            let part = c.isNumber || c == "." || c == "-" || c == "e" || c == "E" || c == "+"
            if part && start == nil { start = i }
            if !part, let s = start { ranges.append(s..<i); start = nil }
        }
        if let s = start { ranges.append(s..<line.endIndex) }
        return ranges.filter { line[$0].contains { $0.isNumber } }
    }

    /// A command on the model, with hostile option values now and then.
    private mutating func command(model: String, inputs: Int) -> ([String], Double) {
        func point() -> String {
            if chance(15) { return pick(["1e308,1e308", "nan", "", "1e999999,0", "0.5", "1/0,1", "-1e18,1e18"]) }
            return (0..<inputs).map { _ in pick(["0", "0.5", "-1", "1/3", "0.25", "2", "1e-3"]) }.joined(separator: ",")
        }
        func box() -> String {
            if chance(15) { return pick(["1:0,0:1", "0:1e308,0:1", "-1e308:1e308,0:1", "0:1", "a:b", "0:1e400,0:1"]) }
            return (0..<inputs).map { _ in pick(["0:1", "-1:1", "0.25:0.5", "0:0"]) }.joined(separator: ",")
        }
        func compression() -> [String] {
            switch below(6) {
            case 0: ["--bits", pick(["4", "8", "0", "52", "53", "-1", "99999999999"])]
            case 5: ["--int", pick(["2", "8", "16", "1", "17"])] + (chance(50) ? ["--per-channel"] : [])
                + (chance(30) ? [pick(["--asymmetric", "--restricted-range"])] : [])
            case 1: ["--precision", pick(["float16", "bfloat16", "float8"])]
            case 2: ["--bits", pick(["4", "8"]), "--model", "concrete"]
            case 3: ["--compressed", model]
            default: ["--bits", "6", "--rounding", pick(["nearest", "truncate", "up"])]
            }
        }
        let timeout = pick(["1", "2"])
        let tau = chance(20) ? pick(["0", "-1", "1e-999", "1e999", "x"]) : pick(["0.05", "0.5"])
        switch below(7) {
        case 0:
            return (["info", model] + (chance(30) ? ["--json"] : []), 10)
        case 1:
            var a = ["local", model, "--input=\(point())"] + compression() + ["--timeout", timeout]
            if chance(50) { a += ["--tau=\(tau)"] }
            if chance(30) { a += ["--metric", pick(["logit", "probability", "flip", "max"])] }
            if chance(20) { a += ["--output", pick(["sigmoid", "softmax", "logits"])] }
            return (a, Double(timeout)!)
        case 2:
            var a = ["global", model, "--box=\(box())"] + compression() + ["--timeout", timeout]
            if chance(40) { a += ["--tau=\(tau)"] }
            if chance(30) { a += ["--jobs", pick(["1", "2", "0", "257", "100000"])] }
            if chance(30) { a += ["--metric", pick(["logit", "probability", "flip"])] }
            return (a, Double(timeout)!)
        case 3:
            let a = ["bits", model, chance(50) ? "--input=\(point())" : "--box=\(box())", "--tau=\(tau)",
                     "--range", pick(["4:8", "0:52", "8:4", "1:99"]), "--timeout", timeout]
            return (a, Double(timeout)!)
        case 4:
            var a = ["sdp", model, "--box=\(box())"] + compression().filter { $0 != "--model" && $0 != "concrete" }
            a += ["--pairs", pick(["diagonal", "full"]), "--boxes", pick(["1", "2", "0"]), "--timeout", timeout]
            if chance(20) { a += ["--input-quantization", pick(["0.1", "1e308", "-1"])] }
            return (a, Double(timeout)!)
        case 6:
            // prune: each method with hostile values now and then, sometimes certified over a box.
            let out = folder.appendingPathComponent("pruned-\(counter).\(pick(["nnet", "json", "onnx", "txt"]))").path
            var a = ["prune", model]
            switch below(3) {
            case 0:
                a += chance(50) ? ["--sparsity", pick(["0", "0.5", "1", "1.5", "-0.1", "nan"]), "-o", out]
                    : ["--sparsest", "--tau=\(tau)", "--box=\(box())", "--step", pick(["0.25", "0", "2"])] + (chance(30) ? ["--every"] : [])
            case 1:
                a += ["--method", "coreset", "--draws", pick(["1", "4", "0", "-3"]), "--box=\(box())", "-o", out,
                      "--seed", pick(["1", "18446744073709551615", "-1"])]
            default:
                let csv = folder.appendingPathComponent("calibration-\(counter).csv")
                try? (0..<below(5)).map { _ in point() }.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
                a += ["--method", "confident", "--calibration", csv.path, "--alpha", pick(["0.1", "0", "1", "2"]),
                      "--delta", pick(["0.1", "0.5"]), "--step", "0.25"]
                if chance(40) { a += ["--loss", "verified", "--radius", pick(["0.01", "0", "-1", "1e308"])] }
            }
            if chance(30) {
                a += ["--certify", "--box=\(box())"] + (chance(30) ? ["--bound", "sdp", "--metric", pick(["logit", "probability", "flip"])] : [])
            }
            return (a + ["--timeout", timeout], Double(timeout)!)
        default:
            let out = folder.appendingPathComponent("out-\(counter).\(pick(["nnet", "json", "onnx", "txt"]))").path
            return (["quantize", model] + compression().prefix(2) + ["-o", out], 10)
        }
    }

    /// Copies a failing input's model under a name that says which execution it was.
    func keep(_ input: Input, index: Int) throws -> String {
        let kept = folder.appendingPathComponent("failure-\(index)-\(input.model.lastPathComponent)")
        try? FileManager.default.copyItem(at: input.model, to: kept)
        return kept.path
    }
}
