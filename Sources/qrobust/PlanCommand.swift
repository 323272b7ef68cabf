import ArgumentParser
import ClusterPlans
import Foundation
import Robustness

/// `qrobust plan`: job scripts that run a question's shards on a cluster and merge them.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Write the job scripts that run a question's shards on a cluster (Slurm, Kubernetes) and merge them.",
        discussion: """
            The question follows '--', as it would follow 'qrobust': a batch (local --inputs FILE), \
            a global query or a study. Each shard answers its part with --shard i/n into \
            RESULTS_DIR/shard-i-of-n.jsonl; 'qrobust merge RESULTS_DIR' joins them into the answer \
            one process would give. A study's shards write into its --out folder instead, and \
            the merge runs the study again without --shard (which reads every shard's records). \
            Submitting a plan again redoes only unfinished shards.

            Examples:
              qrobust plan slurm --shards 16 --cpus-per-task 2 -- \\
                  local net.onnx --inputs test.csv --bits 8 --metric flip > run.sh && bash run.sh
              qrobust plan kubernetes --shards 8 --image registry.example/qrobust:0.5 --claim work -- \\
                  global net.nnet --box 0:1,0:1 --precision float16 --tau 0.05 > job.yaml
            """,
        subcommands: [SlurmPlanCommand.self, KubernetesPlanCommand.self])
}

/// What every plan needs: the question and how it is split.
struct PlanOptions: ParsableArguments {
    @Option(help: "The number of shards, 1 to 1024 for a global query (a batch may have more).")
    var shards: Int

    @Option(help: "The folder, shared by every node, the shards write their results to (relative to the working folder).")
    var resultsDir = "qrobust-results"

    @Option(help: "The qrobust program the nodes run. (default: for Slurm this program's absolute path, or 'qrobust' on the PATH; for Kubernetes 'qrobust' on the image's PATH)")
    var qrobust: String?

    @Flag(help: "Merge into merged.json (the JSON report) instead of merged.txt.")
    var json = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The question, after '--': local … --inputs FILE, or global ….", valueName: "question"))
    var question: [String] = []

    func validate() throws {
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1, found \(shards)") }
        guard let kind = question.first else {
            throw ValidationError("Give the question after '--', e.g. -- local net.onnx --inputs test.csv --bits 8")
        }
        guard ["local", "global", "study"].contains(kind) else {
            throw ValidationError("A plan shards 'local --inputs FILE', 'global' and 'study' questions, not '\(kind)'.")
        }
        let clash = ShardOptions.sharedArguments(question)
        guard clash == question else {
            throw ValidationError("Leave --shard, --results and --jobs out of the question: the plan sets them for each shard.")
        }
        // The question must parse as each shard will run it, so that a typo fails here and not on the cluster.
        do {
            let results = kind == "study" ? [] : ["--results", resultsDir + "/shard-0-of-\(shards).jsonl"]
            _ = try QRobust.parseAsRoot(question + ["--shard", "0/\(shards)"] + results)
        } catch {
            throw ValidationError("The question does not parse as a shard would run it: \(QRobust.message(for: error))")
        }
    }

    /// The sharded run this plan describes; without --qrobust the nodes run `program`.
    func run(defaultProgram program: String) -> ShardedRun {
        ShardedRun(arguments: question, shards: shards, resultsDirectory: resultsDir, executable: qrobust ?? program)
    }

    /// This program's absolute path when it was started by a path, else its name (found on PATH).
    static var thisProgram: String {
        let started = CommandLine.arguments.first ?? "qrobust"
        guard started.contains("/") else { return "qrobust" }
        if started.hasPrefix("/") { return started }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(started).standardized.path
    }
}

/// `qrobust plan slurm`.
struct SlurmPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write a bash script that submits the shards as a Slurm job array and a dependent merge job.",
        discussion: """
            Run the script on a login node (bash run.sh). It submits 'sbatch --array=0-(n−1)', \
            one shard per task, with logs in RESULTS_DIR/logs, then a merge job that starts once \
            every task has ended (--dependency=afterany) and writes RESULTS_DIR/merged.txt. The \
            jobs start in the folder the plan was written in, so relative paths in the question \
            must be valid there on every node.
            """)

    @OptionGroup var plan: PlanOptions

    @Option(help: "CPUs per task (passed to each shard as --jobs).")
    var cpusPerTask = 1

    @Option(help: "sbatch --time for each task, e.g. 2:00:00. (default: the partition's)")
    var time: String?

    @Option(help: "sbatch --partition. (default: the cluster's default partition)")
    var partition: String?

    func validate() throws {
        guard (1...GlobalQuery.maximumJobs).contains(cpusPerTask) else {
            throw ValidationError("--cpus-per-task must be between 1 and \(GlobalQuery.maximumJobs), found \(cpusPerTask)")
        }
    }

    func run() throws {
        let script = SlurmPlan(run: plan.run(defaultProgram: PlanOptions.thisProgram), workingDirectory: FileManager.default.currentDirectoryPath,
                               cpusPerTask: cpusPerTask, timeLimit: time, partition: partition, json: plan.json).script
        print(script, terminator: "")
    }
}

/// `qrobust plan kubernetes`.
struct KubernetesPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubernetes",
        abstract: "Write a manifest with an Indexed Job for the shards and a merge Job.",
        discussion: """
            kubectl apply -f the manifest. Pod i of the Indexed Job (JOB_COMPLETION_INDEX = i) \
            answers shard i/n; the merge Job waits for every shard's results file and writes \
            RESULTS_DIR/merged.txt. Every pod mounts the claim at --mount-path and starts there, \
            so the question's relative paths (models, inputs) are read from that volume.
            """)

    @OptionGroup var plan: PlanOptions

    @Option(help: "The container image holding qrobust.")
    var image: String

    @Option(help: "The PersistentVolumeClaim (ReadWriteMany) every pod mounts: the models, inputs and results.")
    var claim: String

    @Option(help: "Where the claim is mounted; the pods' working folder.")
    var mountPath = "/data"

    @Option(help: "The Jobs' name prefix (lower-case letters, digits and '-').")
    var name = "qrobust"

    @Option(help: "CPUs per pod (passed to each shard as --jobs).")
    var cpus = 1

    @Option(help: "Memory per pod, as Kubernetes writes it.")
    var memory = "2Gi"

    @Option(help: "Pods running at once. (default: all shards)")
    var parallelism: Int?

    func validate() throws {
        guard (1...GlobalQuery.maximumJobs).contains(cpus) else {
            throw ValidationError("--cpus must be between 1 and \(GlobalQuery.maximumJobs), found \(cpus)")
        }
        guard !name.isEmpty, name.count <= 50, name.allSatisfy({ $0.isLowercase && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "-" }),
              name.first != "-", name.last != "-" else {
            throw ValidationError("--name must be a DNS label of at most 50 characters (lower-case letters, digits, '-'), found '\(name)'")
        }
        if let parallelism, parallelism < 1 { throw ValidationError("--parallelism must be at least 1, found \(parallelism)") }
        guard mountPath.hasPrefix("/") else { throw ValidationError("--mount-path must be absolute, found '\(mountPath)'") }
    }

    func run() throws {
        let manifest = KubernetesPlan(run: plan.run(defaultProgram: "qrobust"), image: image, claim: claim, mountPath: mountPath, name: name,
                                      cpus: cpus, memory: memory, parallelism: parallelism, json: plan.json).manifest
        print(manifest, terminator: "")
    }
}
