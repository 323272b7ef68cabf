import ArgumentParser
import Foundation
import Queries
import Reports

/// `--shard i/n --results FILE`: answer one part of a question, for a job array
/// whose parts `qrobust merge` joins.
struct ShardOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Answer only part i of n (i from 0 to n − 1, e.g. $SLURM_ARRAY_TASK_ID/4) and write it to --results for 'qrobust merge'.",
                               valueName: "i/n"),
            transform: ShardOptions.parse)
    var shard: Shard?

    @Option(help: ArgumentHelp("With --shard: the shard's results file (JSON Lines). If it already holds this shard's complete answer to the same question, the work is skipped (a resubmitted job array redoes only unfinished shards).",
                               valueName: "file"))
    var results: String?

    func validate() throws {
        if (shard == nil) != (results == nil) {
            throw ValidationError("--shard i/n and --results FILE go together: the shard's answer is written to the file for 'qrobust merge'.")
        }
    }

    static func parse(_ text: String) throws -> Shard {
        do { return try Shard(parsing: text) } catch let error as QueryError { throw ValidationError(error.message) }
    }

    /// The command line every shard of a question shares: this process's
    /// arguments without `--shard`, `--results` and `--jobs` (which may differ
    /// between shards, and do not change the answer).
    static func sharedArguments(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> [String] {
        let dropped: Set = ["--shard", "--results", "--jobs"]
        var kept: [String] = [], skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "--" { kept.append(argument); continue }
            if dropped.contains(argument) { skipNext = true; continue }
            if let equals = argument.firstIndex(of: "="), dropped.contains(String(argument[..<equals])) { continue }
            kept.append(argument)
        }
        return kept
    }

    /// The header of this shard's results file.
    func header(_ kind: ShardFile.Kind, items: Int? = nil) -> ShardFile.Header? {
        guard let shard else { return nil }
        let arguments = Self.sharedArguments()
        return ShardFile.Header(kind: kind, shard: shard, arguments: arguments,
                                fingerprint: ShardFile.fingerprint(arguments: arguments), items: items)
    }

    /// The results file when it already holds this shard's complete answer to
    /// the same question; nil when the work is still to do.
    /// - Throws: ``QueryError`` when the file holds something else, so that no
    ///   other answer is overwritten.
    func finished(_ header: ShardFile.Header) throws -> ShardFile? {
        guard let results, FileManager.default.fileExists(atPath: results) else { return nil }
        let file: ShardFile
        do { file = try ShardFile(contentsOf: results) } catch let error as QueryError {
            throw QueryError("\(error.message); --results would overwrite it: remove it or choose another file")
        }
        guard file.header.sameQuestion(as: header), file.header.shard == header.shard else {
            throw QueryError("\(results): holds shard \(file.header.shard) of another question (other arguments, or files that changed since); remove it or choose another --results")
        }
        guard file.isComplete else { return nil }
        printError("qrobust: shard \(header.shard) is already answered in \(results); skipped (its answer follows)")
        return file
    }

    /// Writes the shard's answer and its footer.
    func write(_ header: ShardFile.Header, lines: [String], exitCode: Int32) throws {
        guard let results else { return }
        try ShardFile(header: header, lines: lines, footer: ShardFile.Footer(exitCode: exitCode, lines: lines.count)).write(to: results)
    }
}
