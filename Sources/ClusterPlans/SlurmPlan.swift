/// A Slurm plan for a sharded question: one script that submits a job array
/// (`sbatch --array=0-(n−1)`, one shard per task, results in a shared folder)
/// and a merge job that starts when every task has ended
/// (`--dependency=afterany:ARRAY`), and prints both job ids.
///
/// Submitting it again is safe: a task whose results file is already
/// complete skips its work (`--results`), so only unfinished shards run.
public struct SlurmPlan: Sendable {
    public var run: ShardedRun
    /// The folder the jobs start in; relative paths in the question are read from it.
    public var workingDirectory: String
    /// CPUs per task, passed on as `--jobs`.
    public var cpusPerTask: Int
    /// `sbatch --time` for each task (e.g. `2:00:00`); nil for the partition's default.
    public var timeLimit: String?
    /// `sbatch --partition`; nil for the default partition.
    public var partition: String?
    /// Merge into `merged.json` (JSON) instead of `merged.txt`.
    public var json: Bool

    public init(run: ShardedRun, workingDirectory: String, cpusPerTask: Int = 1, timeLimit: String? = nil,
                partition: String? = nil, json: Bool = false) {
        self.run = run
        self.workingDirectory = workingDirectory
        self.cpusPerTask = cpusPerTask
        self.timeLimit = timeLimit
        self.partition = partition
        self.json = json
    }

    /// The submission script (bash).
    public var script: String {
        let q = ShellQuoting.quote
        let directory = run.resultsDirectory
        var common = ["--parsable", "--chdir=\(q(workingDirectory))"]
        if let partition { common.append("--partition=\(q(partition))") }
        var shardOptions = common + ["--array=0-\(run.shards - 1)", "--cpus-per-task=\(cpusPerTask)",
                                     "--job-name=qrobust-shards", "--output=\(q(directory + "/logs/shard-%a.log"))"]
        if let timeLimit { shardOptions.append("--time=\(q(timeLimit))") }
        let merged = directory + (json ? "/merged.json" : "/merged.txt")
        let mergeOptions = common + ["--job-name=qrobust-merge", "--output=\(q(merged))", "--dependency=afterany:\"$array\""]
        return """
            #!/bin/bash
            # Written by 'qrobust plan slurm': \(run.shards) shards of
            #   qrobust \(run.arguments.map(q).joined(separator: " "))
            # Run it on a login node: bash THIS_FILE. Each array task answers one shard into
            # \(directory)/shard-I-of-\(run.shards).jsonl; the merge job writes \(merged).
            # Submitting again redoes only the shards whose results file is not complete.
            set -euo pipefail
            cd \(q(workingDirectory))
            mkdir -p \(q(directory + "/logs"))
            array=$(sbatch \(shardOptions.joined(separator: " ")) <<'SHARD'
            #!/bin/bash
            \(run.shardCommand(variable: "SLURM_ARRAY_TASK_ID", jobs: "\"${SLURM_CPUS_PER_TASK:-1}\""))
            SHARD
            )
            merge=$(sbatch \(mergeOptions.joined(separator: " ")) <<'MERGE'
            #!/bin/bash
            \(run.mergeCommand(json: json))
            MERGE
            )
            echo "submitted shards as job array $array and the merge as job $merge; the answer will be in \(merged)"
            """ + "\n"
    }
}
