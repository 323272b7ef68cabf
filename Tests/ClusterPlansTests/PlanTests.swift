import Foundation
import Testing
@testable import ClusterPlans

/// The plans' shard commands, run by a real shell with a stand-in for qrobust
/// that prints its arguments: which shard each index runs, and where it writes.
@Suite("Cluster plans")
struct PlanTests {
    let run = ShardedRun(arguments: ["global", "my net.nnet", "--box", "0:1,0:1", "--tau", "0.05"], shards: 4,
                         resultsDirectory: "results dir", executable: "qrobust")

    /// The words a shard command passes to qrobust, with `variable` set to `index`
    /// and the program replaced by one that prints its arguments.
    func arguments(of command: String, variable: String, index: Int) throws -> [String] {
        let stand = "qrobust() { printf '%s\\n' \"$@\"; }\n"
        return try shell(stand + command, environment: [variable: String(index)]).split(separator: "\n").map(String.init)
    }

    @Test("Kubernetes: JOB_COMPLETION_INDEX i runs shard i/n into its own results file")
    func kubernetesIndexToShard() throws {
        let plan = KubernetesPlan(run: run, image: "example/qrobust:1", claim: "work", cpus: 2)
        for index in 0..<4 {
            let words = try arguments(of: plan.shardScript, variable: "JOB_COMPLETION_INDEX", index: index)
            #expect(Array(words.prefix(6)) == run.arguments)
            #expect(Array(words.dropFirst(6)) == ["--shard", "\(index)/4", "--jobs", "2", "--results", "results dir/shard-\(index)-of-4.jsonl"])
        }
    }

    @Test("Slurm: SLURM_ARRAY_TASK_ID i runs shard i/n with the task's CPUs as --jobs")
    func slurmIndexToShard() throws {
        let command = run.shardCommand(variable: "SLURM_ARRAY_TASK_ID", jobs: "\"${SLURM_CPUS_PER_TASK:-1}\"")
        for index in 0..<4 {
            let words = try arguments(of: command, variable: "SLURM_ARRAY_TASK_ID", index: index)
            #expect(Array(words.dropFirst(6)) == ["--shard", "\(index)/4", "--jobs", "1", "--results", "results dir/shard-\(index)-of-4.jsonl"])
        }
        let script = SlurmPlan(run: run, workingDirectory: "/work dir", cpusPerTask: 2, timeLimit: "1:00:00").script
        #expect(script.contains("--array=0-3") && script.contains("--cpus-per-task=2") && script.contains("--time=1:00:00"))
        #expect(script.contains("cd '/work dir'"))
    }

    @Test("an answer (exit 0, 1 or 2) is a finished task; any other exit code fails it")
    func exitCodes() throws {
        for (code, succeeds) in [(0, true), (1, true), (2, true), (64, false), (70, false)] {
            let stand = "qrobust() { return \(code); }\n"
            let status = try shell(stand + run.shardCommand(variable: "I", jobs: "1") + "\necho ok", environment: ["I": "0"])
            #expect(status.contains("ok") == succeeds, "exit \(code)")
        }
    }

    @Test("the manifest holds an Indexed Job of n completions and a merge Job, with the strings quoted for YAML")
    func manifestShape() {
        let manifest = KubernetesPlan(run: run, image: "example/qrobust:1", claim: "work", name: "study").manifest
        #expect(manifest.components(separatedBy: "kind: Job").count == 3)
        #expect(manifest.contains("name: study-shards") && manifest.contains("name: study-merge"))
        #expect(manifest.contains("completionMode: Indexed") && manifest.contains("completions: 4"))
        #expect(KubernetesPlan.yamlString("a \"b\"\n\\") == "\"a \\\"b\\\"\\n\\\\\"")
    }
}
