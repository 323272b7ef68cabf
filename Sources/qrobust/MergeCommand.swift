import ArgumentParser
import Foundation
import Queries
import Reports
import Robustness

/// `qrobust merge`: joins the shards of a question (`--shard i/n --results FILE`) into one answer.
struct MergeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the answers of a question's shards (--shard i/n) into one certified answer.",
        discussion: """
            Examples:
              qrobust local net.onnx --inputs t.csv --bits 8 --shard 0/4 --results out/0.jsonl
              … shards 1/4, 2/4 and 3/4, anywhere (qrobust plan writes job arrays) …
              qrobust merge out/
              qrobust merge --wait 3600 --json out/

            Every file must come from the same question (the same command line, up to --shard, \
            --results and --jobs, and the same model and input files). For a batch (local \
            --inputs) the merged table or JSON Lines is the one a single process prints. For \
            a global query the box was cut the same way in every shard; merge cuts it again, \
            checks that each shard searched its own parts, and answers: the upper end is the \
            largest of the shards' proved upper ends, the lower end the best witness, replayed \
            again in exact arithmetic; with --tau, the verdict.

            A missing or unfinished shard (a file without its completion line) is named. A \
            batch then lacks its rows, and a global answer is unknown, its upper end taking the \
            missing parts' bounds from the cut. Exit codes are those of the merged question.

            A study's shards (study … --shard i/n) are merged by running the same study \
            without --shard: it reads every shard's records from its --out folder.
            """)

    @Argument(help: ArgumentHelp("Shard results files, or folders: every *.jsonl file in a folder that is a shard's results.",
                                 valueName: "results"))
    var results: [String]

    @Option(help: "Wait up to this many seconds for every shard to finish, looking again every 5 s (for a merge job started beside the shards).",
            transform: Seconds.positive)
    var wait: Double?

    @Flag(help: "Print the merged report as JSON (JSON Lines for a batch).")
    var json = false

    func run() async throws {
        var code = Exit.robust
        try await reportingErrors {
            let shards = try await read(waitingUpTo: wait)
            for file in shards.unfinished {
                printError("qrobust: \(file): the shard did not finish (no completion line); it counts as missing")
            }
            switch shards.header.kind {
            case .local: code = try mergeBatch(shards)
            case .global: code = try mergeGlobal(shards)
            }
        }
        if code != Exit.robust { throw ExitCode(code) }
    }

    /// The shards' files; with `--wait`, read again every 5 s until every shard
    /// has finished or the time is up (before the first shard has written
    /// anything, an empty folder is waited for too).
    private func read(waitingUpTo wait: Double?) async throws -> ShardSet {
        let deadline = Date().addingTimeInterval(wait ?? 0)
        while true {
            let shards: ShardSet?
            do { shards = try ShardSet(reading: results) } catch let absence as ShardSet.Absence {
                guard Date() < deadline else { throw QueryError(absence.description) }
                shards = nil
            }
            if let shards, shards.isComplete || Date() >= deadline { return shards }
            printError("qrobust: waiting for \(shards.map { "\($0.missing.count) of \($0.count) shards" } ?? "the first shard")")
            try await Task.sleep(nanoseconds: UInt64(min(5, max(0.1, deadline.timeIntervalSinceNow)) * 1e9))
        }
    }

    /// The rows of every finished shard, as one batch report.
    private func mergeBatch(_ shards: ShardSet) throws -> Int32 {
        var rows: [BatchReport.Row] = []
        for (index, (path, file)) in shards.finished.sorted(by: { $0.key < $1.key }) {
            let expected = file.header.shard.positions(among: file.header.items ?? 0).map { $0 + 1 }
            let found: [BatchReport.Row]
            do { found = try file.rows() } catch let error as QueryError { throw QueryError("\(path): \(error.message)") }
            guard found.map(\.row) == expected else {
                throw QueryError("\(path): shard \(index)/\(shards.count) should hold rows \(BatchReport.list(expected)), found \(BatchReport.list(found.map(\.row)))")
            }
            rows += found
        }
        rows.sort { $0.row < $1.row }
        let report = BatchReport(rows: rows)
        var code = BatchReport.exitCode(rows.map { answerExitCode(verdict: $0.report.verdict, reason: $0.report.reason) })
        var output = json ? try report.jsonLines() : report.text
        if !shards.missing.isEmpty {
            let items = shards.header.items ?? 0
            let unanswered = shards.missing.flatMap { index in
                (try? Shard(index: index, count: shards.count))?.positions(among: items).map { $0 + 1 } ?? []
            }.sorted()
            let names = shards.missing.map { "\($0)/\(shards.count)" }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let missing = ["missing": MissingRows(shards: names, rows: unanswered)]
                output += "\n" + String(decoding: try encoder.encode(missing), as: UTF8.self)
            } else {
                output += "\nmissing: \(names.count == 1 ? "shard" : "shards") \(names.joined(separator: ", ")): \(unanswered.count) rows unanswered (\(BatchReport.list(unanswered)))"
            }
            if code == Exit.robust { code = Exit.unknown }
        }
        print(output)
        return code
    }

    /// The missing part of a merged batch, as its JSON Lines' last object.
    private struct MissingRows: Encodable {
        var shards: [String]
        var rows: [Int]
    }

    /// The shards' parts of a global query, joined by ``GlobalRobustness/merge(_:shards:answers:)``.
    private func mergeGlobal(_ shards: ShardSet) throws -> Int32 {
        let parsed: any ParsableCommand
        do { parsed = try QRobust.parseAsRoot(shards.header.arguments) } catch {
            throw QueryError("the shards' command line (\(shards.header.arguments.joined(separator: " "))) does not parse: \(QRobust.message(for: error))")
        }
        guard let command = parsed as? GlobalCommand else {
            throw QueryError("the shards' command line is not a 'qrobust global' query: \(shards.header.arguments.joined(separator: " "))")
        }
        let question = try command.question()
        let answers = try shards.finished.sorted(by: { $0.key < $1.key }).map { _, element in
            let (path, file) = element
            do { return try file.globalReport().shardAnswer(network: question.query.network) } catch let error as QueryError {
                throw QueryError("\(path): \(error.message)")
            }
        }
        let result = try GlobalRobustness.merge(question.query, shards: shards.count, answers: answers)
        let report = command.report(result, question: question, includeParameters: command.witnessParameters)
        print(json ? try report.json() : report.text)
        return answerExitCode(verdict: result.verdict, reason: result.reason)
    }
}

/// The results files of one question's shards, as found on disk.
struct ShardSet {
    /// The question, from the first file (every other file agrees with it).
    let header: ShardFile.Header
    /// The finished shards by index, with their files.
    let finished: [Int: (path: String, file: ShardFile)]
    /// Files of shards that have not finished.
    let unfinished: [String]

    var count: Int { header.shard.count }

    /// No results file at all in the paths given.
    enum Absence: Error, CustomStringConvertible {
        case noResults([String])
        var description: String {
            switch self { case .noResults(let paths): "no shard results found in \(paths.joined(separator: ", "))" }
        }
    }
    /// Shards with no finished file.
    var missing: [Int] { (0..<count).filter { finished[$0] == nil } }
    var isComplete: Bool { missing.isEmpty }

    /// Reads files and folders (every `*.jsonl` shard results file in a folder).
    /// - Throws: ``QueryError`` for a file that is not a shard's, files of
    ///   different questions, two different answers for one shard, or a
    ///   question whose files changed since the shards ran.
    init(reading paths: [String]) throws {
        var files: [(String, ShardFile)] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw QueryError("\(path): no such file or folder")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for name in names.sorted() where name.hasSuffix(".jsonl") && !name.hasPrefix(".") {
                    let file = (path as NSString).appendingPathComponent(name)
                    // Other JSON Lines files may share the folder.
                    if let shard = try? ShardFile(contentsOf: file) { files.append((file, shard)) }
                }
            } else {
                files.append((path, try ShardFile(contentsOf: path)))
            }
        }
        guard let (firstPath, first) = files.first else { throw Absence.noResults(paths) }
        var finished: [Int: (path: String, file: ShardFile)] = [:], unfinished: [String] = []
        for (path, file) in files {
            guard file.header.sameQuestion(as: first.header) else {
                throw QueryError("\(path): answers another question than \(firstPath) (other command line, shard count or files)")
            }
            guard file.isComplete else { unfinished.append(path); continue }
            if let earlier = finished[file.header.shard.index], earlier.file != file {
                throw QueryError("\(path) and \(earlier.path) give different answers for shard \(file.header.shard)")
            }
            finished[file.header.shard.index] = (path, file)
        }
        guard ShardFile.fingerprint(arguments: first.header.arguments) == first.header.fingerprint else {
            throw QueryError("the files the shards read (\(first.header.arguments.joined(separator: " "))) have changed since they ran, or are not at the same paths here")
        }
        self.header = first.header
        self.finished = finished
        self.unfinished = unfinished.filter { path in !finished.values.contains { $0.path == path } }
    }
}
