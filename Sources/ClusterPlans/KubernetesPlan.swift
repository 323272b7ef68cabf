/// A Kubernetes plan for a sharded question: an Indexed Job whose pod `i`
/// (`JOB_COMPLETION_INDEX`) answers shard `i`, and a merge Job that waits for
/// every shard's results file and joins them, both in one manifest
/// (`kubectl apply -f`). The results go to a volume every pod mounts (a
/// PersistentVolumeClaim with ReadWriteMany access).
///
/// A pod that ends with an answer (exit 0, 1 or 2) succeeds; a failed pod is
/// retried by the Job (up to twice per shard on average, `backoffLimit`), and its rerun skips the work
/// when its results file is already complete.
public struct KubernetesPlan: Sendable {
    public var run: ShardedRun
    /// The container image holding qrobust (and, unless they are on the volume, the models).
    public var image: String
    /// The PersistentVolumeClaim mounted at ``mountPath``: the working folder of every pod.
    public var claim: String
    public var mountPath: String
    /// Jobs' name prefix (a DNS label).
    public var name: String
    /// CPUs per pod (`--jobs`), and the memory each asks for (e.g. `2Gi`).
    public var cpus: Int
    public var memory: String
    /// Pods running at once; nil for all of them.
    public var parallelism: Int?
    /// How long the merge Job waits for the shards, in seconds.
    public var mergeWait: Int
    public var json: Bool

    public init(run: ShardedRun, image: String, claim: String, mountPath: String = "/data", name: String = "qrobust",
                cpus: Int = 1, memory: String = "2Gi", parallelism: Int? = nil, mergeWait: Int = 86_400, json: Bool = false) {
        self.run = run
        self.image = image
        self.claim = claim
        self.mountPath = mountPath
        self.name = name
        self.cpus = cpus
        self.memory = memory
        self.parallelism = parallelism
        self.mergeWait = mergeWait
        self.json = json
    }

    /// The shell command pod `JOB_COMPLETION_INDEX` runs (`sh -c`).
    var shardScript: String { run.shardCommand(variable: "JOB_COMPLETION_INDEX", jobs: String(cpus)) }

    /// The manifest: two YAML documents, the shards' Indexed Job and the merge
    /// Job. A study's merge (running it again) must not start before the
    /// shards end, which a Job cannot wait for; its manifest holds the Indexed
    /// Job only, and its first lines say what to run once it has completed.
    public var manifest: String {
        let merged = run.resultsDirectory + (json ? "/merged.json" : "/merged.txt")
        let mergeScript = "mkdir -p \(ShellQuoting.quote(run.resultsDirectory)) && \(run.mergeCommand(json: json, wait: mergeWait)) > \(ShellQuoting.quote(merged))"
        let header = run.mergesByRerunning
            ? """
              # kubectl apply -f THIS_FILE && kubectl wait --for=condition=complete --timeout=-1s job/\(name)-shards
              # then, in a pod that mounts \(claim) at \(mountPath) (working folder \(mountPath)), merge the shards' records:
              #   \(run.mergeCommand(json: json))
              """
            : "# kubectl apply -f THIS_FILE; the answer will be in \(merged) on the volume \(claim)."
        let shardsJob = """
            # Written by 'qrobust plan kubernetes': \(run.shards) shards of
            #   qrobust \(run.arguments.map(ShellQuoting.quote).joined(separator: " "))
            \(header)
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: \(name)-shards
            spec:
              completionMode: Indexed
              completions: \(run.shards)
              parallelism: \(parallelism ?? run.shards)
              backoffLimit: \(2 * run.shards)
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: shard
                    image: \(Self.yamlString(image))
                    workingDir: \(Self.yamlString(mountPath))
                    command: ["sh", "-c", \(Self.yamlString("mkdir -p \(ShellQuoting.quote(run.resultsDirectory))\n" + shardScript))]
                    resources:
                      requests: {cpu: "\(cpus)", memory: \(Self.yamlString(memory))}
                      limits: {cpu: "\(cpus)", memory: \(Self.yamlString(memory))}
                    volumeMounts:
                    - {name: work, mountPath: \(Self.yamlString(mountPath))}
                  volumes:
                  - name: work
                    persistentVolumeClaim: {claimName: \(Self.yamlString(claim))}
            """ + "\n"
        guard !run.mergesByRerunning else { return shardsJob }
        return shardsJob + """
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: \(name)-merge
            spec:
              backoffLimit: 2
              template:
                spec:
                  restartPolicy: Never
                  containers:
                  - name: merge
                    image: \(Self.yamlString(image))
                    workingDir: \(Self.yamlString(mountPath))
                    command: ["sh", "-c", \(Self.yamlString(mergeScript))]
                    resources:
                      requests: {cpu: "1", memory: \(Self.yamlString(memory))}
                    volumeMounts:
                    - {name: work, mountPath: \(Self.yamlString(mountPath))}
                  volumes:
                  - name: work
                    persistentVolumeClaim: {claimName: \(Self.yamlString(claim))}
            """ + "\n"
    }

    /// A YAML double-quoted scalar (JSON's string syntax, which YAML accepts).
    static func yamlString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
