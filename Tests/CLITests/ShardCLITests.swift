import Foundation
import Testing

/// `--shard i/n --results FILE`, `qrobust merge` and `qrobust plan`, run as a
/// user runs them: every shard as its own process.
@Suite("qrobust shards, merge and plans", .serialized)
struct ShardCLITests {
    let relu = "Examples/moons-relu.json"

    /// A fresh folder for one test's results files.
    func folder(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("qrobust-shards-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// 30 points of the moons' square, written exactly.
    func points() throws -> String {
        var lines = ["x,y"]
        for i in 0..<6 { for j in 0..<5 { lines.append("\(i * 3 - 7)/8,\(j * 5 - 8)/8") } }
        return try temporaryFile("shard-points.csv", lines.joined(separator: "\n") + "\n")
    }

    @Test("a batch in 3 shards merges into one process's table and JSON Lines, with its exit code")
    func batchMergesToSingle() throws {
        let inputs = try points(), results = try folder("batch")
        let question = ["local", relu, "--inputs", inputs, "--bits", "6", "--tau", "0.05"]
        let single = try qrobust(question), singleJSON = try qrobust(question + ["--json"])
        for index in 0..<3 {
            let shard = try qrobust(question + ["--shard", "\(index)/3", "--results", results.appendingPathComponent("s\(index).jsonl").path,
                                                "--jobs", "1"])
            #expect([0, 1, 2].contains(shard.code), "\(shard.stderr)")
        }
        let merged = try qrobust(["merge", results.path])
        #expect(merged.code == single.code, "\(merged.stderr)")
        #expect(merged.stdout == single.stdout)
        // JSON Lines equal up to each row's time and counters.
        func comparable(_ lines: String) throws -> [NSDictionary] {
            try lines.split(separator: "\n").map { line in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return object.filter { $0.key != "seconds" && $0.key != "statistics" } as NSDictionary
            }
        }
        let mergedJSON = try qrobust(["merge", "--json"] + (0..<3).map { results.appendingPathComponent("s\($0).jsonl").path })
        #expect(try comparable(mergedJSON.stdout) == comparable(singleJSON.stdout))
    }

    @Test("a finished shard is skipped when run again; a missing or unfinished one is named, and the batch is unknown")
    func resumeAndMissing() throws {
        let inputs = try points(), results = try folder("resume")
        let question = ["local", relu, "--inputs", inputs, "--bits", "10", "--tau", "0.5"]
        let files = (0..<3).map { results.appendingPathComponent("new/shard-\($0).jsonl").path }
        var printed: [String] = []
        for index in 0..<3 {
            // A results folder that does not exist yet is made.
            let run = try qrobust(question + ["--shard", "\(index)/3", "--results", files[index]])
            #expect(run.code == 0, "\(run.stderr)")
            printed.append(run.stdout)
        }
        #expect(try qrobust(["merge", results.appendingPathComponent("new").path]).code == 0)
        let before = try String(contentsOfFile: files[1], encoding: .utf8)
        let again = try qrobust(question + ["--shard", "1/3", "--results", files[1]])
        #expect(again.code == 0 && again.stderr.contains("already answered"), "\(again.stderr)")
        // Skipped, it prints the answer it gave.
        #expect(again.stdout == printed[1])
        #expect(try String(contentsOfFile: files[1], encoding: .utf8) == before)

        // A shard killed mid-way has no completion line: it counts as missing.
        let cut = before.split(separator: "\n").dropLast().joined(separator: "\n") + "\n"
        try cut.write(toFile: files[1], atomically: true, encoding: .utf8)
        let unfinished = try qrobust(["merge", results.appendingPathComponent("new").path])
        #expect(unfinished.code == 2)
        #expect(unfinished.stderr.contains("did not finish"))
        #expect(unfinished.stdout.contains("missing: shard 1/3: 10 rows unanswered (2, 5, 8"), "\(unfinished.stdout)")
        // Run again, the unfinished shard does its work.
        #expect(try qrobust(question + ["--shard", "1/3", "--results", files[1]]).code == 0)
        #expect(try qrobust(["merge", results.appendingPathComponent("new").path]).code == 0)

        try FileManager.default.removeItem(atPath: files[2])
        let missing = try qrobust(["merge", results.appendingPathComponent("new").path])
        #expect(missing.code == 2 && missing.stdout.contains("missing: shard 2/3"), "\(missing.stdout)")
    }

    @Test("shards of different questions are not merged; a results file of another question is not overwritten")
    func foreignFiles() throws {
        let inputs = try points(), results = try folder("foreign")
        let a = results.appendingPathComponent("a.jsonl").path, b = results.appendingPathComponent("b.jsonl").path
        #expect(try qrobust(["local", relu, "--inputs", inputs, "--bits", "10", "--tau", "0.5", "--shard", "0/2", "--results", a]).code == 0)
        #expect(try qrobust(["local", relu, "--inputs", inputs, "--bits", "8", "--tau", "0.5", "--shard", "1/2", "--results", b]).code == 0)
        let mixed = try qrobust(["merge", a, b])
        #expect(mixed.code == 65 && mixed.stderr.contains("answers another question"), "\(mixed.stderr)")
        let clobber = try qrobust(["local", relu, "--inputs", inputs, "--bits", "8", "--tau", "0.5", "--shard", "0/2", "--results", a])
        #expect(clobber.code == 65 && clobber.stderr.contains("another question"), "\(clobber.stderr)")
        let notShard = try temporaryFile("not-a-shard.jsonl", "{\"x\": 1}\n")
        let refused = try qrobust(["merge", notShard])
        #expect(refused.code == 65 && refused.stderr.contains("not a qrobust shard's results file"), "\(refused.stderr)")
        // Options that go together.
        #expect(try qrobust(["local", relu, "--input", "0.5,0.25", "--bits", "8", "--shard", "0/2", "--results", a]).code == 64)
        #expect(try qrobust(["local", relu, "--inputs", inputs, "--bits", "8", "--shard", "0/2"]).code == 64)
        #expect(try qrobust(["local", relu, "--inputs", inputs, "--bits", "8", "--shard", "2/2", "--results", a]).code == 64)
    }

    @Test("a global query in 4 shards merges to one process's interval and verdict")
    func globalMerges() throws {
        let results = try folder("global")
        let question = ["global", relu, "--box", "-1:2,-1:1.5", "--bits", "6", "--compression-model", "concrete", "--json"]
        let single = try qrobust(question)
        #expect(single.code == 0, "\(single.stderr)")
        for index in 0..<4 {
            let shard = try qrobust(question + ["--shard", "\(index)/4", "--results", results.appendingPathComponent("\(index).jsonl").path])
            #expect(shard.code == 0, "\(shard.stderr)")
        }
        let merged = try qrobust(["merge", "--json", results.path])
        #expect(merged.code == 0, "\(merged.stderr)")
        func interval(_ json: String) throws -> (Double, Double) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            let deviation = try #require(object["deviation"] as? [String: Any])
            return (try #require(deviation["lower"] as? Double), try #require(deviation["upper"] as? Double))
        }
        let (lo1, hi1) = try interval(single.stdout), (lo4, hi4) = try interval(merged.stdout)
        #expect(lo1 <= hi4 && lo4 <= hi1 && hi4 - lo4 <= 1e-4, "[\(lo4), \(hi4)] against [\(lo1), \(hi1)]")
    }

    @Test("plan slurm writes a script whose tasks run shard i/n; plan kubernetes maps JOB_COMPLETION_INDEX i to shard i/n")
    func plans() throws {
        let question = ["local", relu, "--inputs", "my points.csv", "--bits", "8"]
        let slurm = try qrobust(["plan", "slurm", "--shards", "3", "--results-dir", "out", "--qrobust", "/opt/q", "--"] + question)
        #expect(slurm.code == 0, "\(slurm.stderr)")
        #expect(slurm.stdout.contains("--array=0-2") && slurm.stdout.contains("--dependency=afterany:\"$array\""))
        #expect(slurm.stdout.contains("/opt/q local Examples/moons-relu.json --inputs 'my points.csv' --bits 8 --shard \"${SLURM_ARRAY_TASK_ID}/3\""))
        #expect(slurm.stdout.contains("/opt/q merge out"))
        let kubernetes = try qrobust(["plan", "kubernetes", "--shards", "3", "--image", "q:1", "--claim", "work", "--"] + question)
        #expect(kubernetes.code == 0, "\(kubernetes.stderr)")
        #expect(kubernetes.stdout.contains("completionMode: Indexed") && kubernetes.stdout.contains("completions: 3"))
        // Bad plans fail before anything reaches a cluster.
        #expect(try qrobust(["plan", "slurm", "--shards", "2", "--", "local", relu, "--inputs", "x.csv", "--bitz", "8"]).code == 64)
        #expect(try qrobust(["plan", "slurm", "--shards", "2", "--", "bits", relu]).code == 64)
        #expect(try qrobust(["plan", "slurm", "--shards", "2", "--", "local", relu, "--inputs", "x.csv", "--shard", "0/2"]).code == 64)
        #expect(try qrobust(["plan", "kubernetes", "--shards", "2", "--image", "q", "--claim", "c", "--name", "Bad_Name", "--", "global", relu,
                             "--box", "0:1,0:1"]).code == 64)
    }
}
