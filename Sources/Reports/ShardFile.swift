import Foundation
import Queries

/// A shard's results file (`--shard i/n --results FILE`), in JSON Lines:
///
///     {"qrobustShard": {"kind": "global", "shard": {"index": 1, "count": 4}, "arguments": […], …}}
///     … the answer: a batch's rows, one per line, or one global report …
///     {"complete": {"exitCode": 0, "lines": 25}}
///
/// The first line says which question and which shard; the last line is
/// written only when the shard has answered, so a file without it (a shard
/// killed mid-way) is incomplete. A file is written under a temporary name and
/// renamed, so no reader sees half a file. `qrobust merge` reads the files of
/// every shard back; a shard started again skips its work when its file is
/// complete for the same question (resumable job arrays).
public struct ShardFile: Sendable, Equatable {
    /// What the shard answered.
    public enum Kind: String, Codable, Sendable {
        /// Rows of `local --inputs FILE`.
        case local
        /// Parts of the box of `global`.
        case global
    }

    /// The first line: the question and the shard.
    public struct Header: Codable, Sendable, Equatable {
        /// The format's version; a reader refuses others.
        public var version = 1
        public var kind: Kind
        public var shard: Shard
        /// The command line without the program, `--shard`, `--results` and `--jobs`: what every shard of the question shares.
        public var arguments: [String]
        /// ``ShardFile/fingerprint(arguments:)`` when the shard ran: the arguments and every file they name.
        public var fingerprint: String
        /// For a batch: the number of rows in the inputs file.
        public var items: Int?

        public init(kind: Kind, shard: Shard, arguments: [String], fingerprint: String, items: Int? = nil) {
            self.kind = kind
            self.shard = shard
            self.arguments = arguments
            self.fingerprint = fingerprint
            self.items = items
        }

        /// Whether two shards answer the same question (they may be different shards of it).
        public func sameQuestion(as other: Header) -> Bool {
            kind == other.kind && shard.count == other.shard.count && arguments == other.arguments
                && fingerprint == other.fingerprint && items == other.items
        }
    }

    /// The last line: written once the shard has answered.
    public struct Footer: Codable, Sendable, Equatable {
        /// The exit code the shard's command returned (0 robust, 1 not robust, 2 unknown).
        public var exitCode: Int32
        /// The number of answer lines between the header and this line.
        public var lines: Int

        public init(exitCode: Int32, lines: Int) {
            self.exitCode = exitCode
            self.lines = lines
        }
    }

    public var header: Header
    /// The answer, one JSON object per line.
    public var lines: [String]
    /// Nil when the file is incomplete.
    public var footer: Footer?

    public init(header: Header, lines: [String], footer: Footer?) {
        self.header = header
        self.lines = lines
        self.footer = footer
    }

    /// Whether the shard finished and every answer line is there.
    public var isComplete: Bool { footer?.lines == lines.count }

    private struct HeaderLine: Codable { var qrobustShard: Header }
    private struct FooterLine: Codable { var complete: Footer }

    /// Reads a results file.
    /// - Throws: ``QueryError`` naming the file and line when it is not a shard's results file.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw QueryError("\(path): cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let decoder = JSONDecoder()
        guard let first = lines.first, let header = try? decoder.decode(HeaderLine.self, from: Data(first.utf8)).qrobustShard else {
            throw QueryError("\(path): line 1: not a qrobust shard's results file (it starts without {\"qrobustShard\": …})")
        }
        guard header.version == 1 else {
            throw QueryError("\(path): line 1: shard results format version \(header.version); this qrobust reads version 1")
        }
        lines.removeFirst()
        var footer: Footer?
        if let last = lines.last, let complete = try? decoder.decode(FooterLine.self, from: Data(last.utf8)) {
            footer = complete.complete
            lines.removeLast()
        }
        self.init(header: header, lines: lines, footer: footer)
    }

    /// The file's text.
    public func text() throws -> String {
        var all = [try jsonLine(HeaderLine(qrobustShard: header))] + lines
        if let footer { all.append(try jsonLine(FooterLine(complete: footer))) }
        return all.joined(separator: "\n") + "\n"
    }

    /// Writes the file under a temporary name beside `path`, then renames it,
    /// so that `path` is always either absent, the old file, or the whole new one.
    /// - Throws: ``QueryError`` naming the path when it cannot be written.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).partial")
        let contents = Data(try text().utf8)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try contents.write(to: temporary)
        } catch {
            throw QueryError("\(path): cannot write the shard's results (\(error.localizedDescription))")
        }
        // rename(2) replaces the old file in one step.
        guard rename(temporary.path, path) == 0 else {
            let problem = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw QueryError("\(path): cannot write the shard's results (\(problem))")
        }
    }

    /// FNV-1a (64 bits, hexadecimal) of the arguments and of the contents of
    /// every argument that names a readable file (models, inputs, VNN-LIB):
    /// shards of one question agree on it, and a model changed between two
    /// shards' runs changes it.
    public static func fingerprint(arguments: [String]) -> String {
        var hash = FNV1a()
        var isDirectory: ObjCBool = false
        for argument in arguments {
            hash.mix(argument.utf8)
            hash.mix([0])
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue,
               let data = FileManager.default.contents(atPath: argument) {
                hash.mix(data)
                hash.mix([1])
            }
        }
        return hash.hex
    }

    /// A batch shard's rows (`kind` local), read back.
    /// - Throws: ``QueryError`` naming the line that is not a row.
    public func rows() throws -> [BatchReport.Row] {
        let decoder = JSONDecoder()
        return try lines.enumerated().map { n, line in
            do { return try decoder.decode(BatchReport.RowLine.self, from: Data(line.utf8)).row } catch {
                throw QueryError("shard \(header.shard): line \(n + 2): not a row of a batch report (\(error))")
            }
        }
    }

    /// A global shard's report (`kind` global), read back.
    /// - Throws: ``QueryError`` when the answer is not one global report.
    public func globalReport() throws -> GlobalReport {
        guard lines.count == 1, let report = try? JSONDecoder().decode(GlobalReport.self, from: Data(lines[0].utf8)) else {
            throw QueryError("shard \(header.shard): line 2: not a global report")
        }
        return report
    }
}
