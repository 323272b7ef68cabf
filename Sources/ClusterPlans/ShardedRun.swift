/// A question split into shards, as a cluster runs it: the command line each
/// shard shares, how many shards, and where their results go.
///
/// Shard `i` runs `qrobust ARGUMENTS --shard i/n --results DIR/shard-i-of-n.jsonl`;
/// `qrobust merge DIR` joins them. A study (`qrobust study …`) keeps its shards'
/// records in its own output folder instead, and merges by running again without
/// `--shard` (``mergesByRerunning``). Plans (``SlurmPlan``, ``KubernetesPlan``) only
/// say how a scheduler starts those commands; the partition itself belongs to
/// qrobust (`--shard`), so every scheduler gets the same answer.
public struct ShardedRun: Sendable, Equatable {
    /// The question, without the program's name: `["local", "net.onnx", "--inputs", …]`.
    public var arguments: [String]
    public var shards: Int
    /// The folder every shard writes its results file to (shared by all nodes).
    public var resultsDirectory: String
    /// The qrobust program the nodes run (an absolute path, or a name found on PATH).
    public var executable: String

    public init(arguments: [String], shards: Int, resultsDirectory: String, executable: String) {
        self.arguments = arguments
        self.shards = shards
        self.resultsDirectory = resultsDirectory
        self.executable = executable
    }

    /// Whether the question is a study: its shards take no `--results` (their
    /// records go to the study's output folder) and the question run again
    /// without `--shard` merges them.
    public var mergesByRerunning: Bool { arguments.first == "study" }

    /// The results file of the shard whose number is in the environment
    /// variable `variable`, as a shell word.
    func resultsFile(variable: String) -> String {
        ShellQuoting.quote(resultsDirectory + "/shard-") + "\"${\(variable)}\"" + ShellQuoting.quote("-of-\(shards).jsonl")
    }

    /// The shell command one shard runs, its 0-based number being in the
    /// environment variable `variable`, with `jobs` (a shell word) parallel
    /// searches. Exit codes 0–2 are answers (robust, not robust, unknown), so
    /// the command succeeds on them and fails only when qrobust could not answer.
    func shardCommand(variable: String, jobs: String) -> String {
        let question = ([executable] + arguments).map(ShellQuoting.quote).joined(separator: " ")
        return """
            \(question) --shard "${\(variable)}/\(shards)" --jobs \(jobs)\(mergesByRerunning ? "" : " --results " + resultsFile(variable: variable))
            code=$?
            # 0 robust, 1 not robust, 2 unknown: an answer, written to the results file.
            [ "$code" -le 2 ] || exit "$code"
            """
    }

    /// The shell command that merges the shards' results (`--wait` seconds for unfinished ones).
    /// A study merges by running again (``mergesByRerunning``); `json` and `wait` do not apply to it.
    func mergeCommand(json: Bool, wait: Int? = nil) -> String {
        if mergesByRerunning { return ([executable] + arguments).map(ShellQuoting.quote).joined(separator: " ") }
        var words = [executable, "merge"]
        if let wait { words += ["--wait", String(wait)] }
        if json { words.append("--json") }
        words.append(resultsDirectory)
        return words.map(ShellQuoting.quote).joined(separator: " ")
    }
}
