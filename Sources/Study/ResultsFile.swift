import Foundation
import Queries

/// A record a study appends to its results file, one subject (network) per line.
public protocol StudyRecord: Codable, Sendable {
    /// What the record is about, unique within its file (a zoo network's file name).
    var key: String { get }
    /// The settings the record was made with; resuming requires the same.
    var settings: String { get }
}

/// A record about one network of a zoo.
public protocol ZooRecord: StudyRecord {
    var entry: ZooEntry { get }
}

extension ZooRecord {
    public var key: String { entry.file }
}

/// A study's results as JSON Lines: one record per subject, appended as each
/// one finishes, so that an interrupted run resumes where it stopped.
///
/// A shard of a study (`--shard i/n`) studies subjects i, i + n, … and appends
/// to a file of its own beside the results file (`results.shard-i-of-n.jsonl`
/// beside `results.jsonl`), so that shards on several machines never write to
/// one file. Every run reads the records of all those files, so the same
/// study run without a shard afterwards merges them (and studies whatever a
/// missing shard left out).
public enum ResultsFile {
    /// Studies every zoo network not already in `path` (made with the same `settings`).
    /// - Parameter progress: called before each network with its index, the count, its file name and whether it was already done.
    /// - Returns: the records of every zoo network, in zoo order.
    static func run<Record: ZooRecord>(zoo: Zoo, settings: String, path: String, shard: Shard?,
                                       progress: (@Sendable (Int, Int, String, Bool) -> Void)?,
                                       study: (ZooEntry) async throws -> Record) async throws -> [Record] {
        try await run(zoo.entries, key: \.file, settings: settings, path: path, shard: shard, progress: progress,
                      isCurrent: { $0.entry == $1 }, study: study)
    }

    /// Studies every subject whose key has no current record in `path` (made with the same
    /// `settings`, and passing `isCurrent`), appending each new record as it finishes.
    /// With a shard, only its subjects, into its own file.
    /// - Returns: the records of every subject (or of the shard's), in order.
    static func run<Subject, Record: StudyRecord>(_ subjects: [Subject], key: (Subject) -> String, settings: String, path: String,
                                                  shard: Shard? = nil,
                                                  progress: (@Sendable (Int, Int, String, Bool) -> Void)?,
                                                  isCurrent: (Record, Subject) -> Bool = { _, _ in true },
                                                  study: (Subject) async throws -> Record) async throws -> [Record] {
        var done: [String: Record] = [:]
        for file in [path] + shardFiles(beside: path) {
            done.merge(try finished(Record.self, file, settings: settings)) { $1 }
        }
        let output = shard.map { shardPath(path, $0) } ?? path
        var records: [Record] = []
        for (index, subject) in subjects.enumerated() where shard?.owns(position: index) ?? true {
            if let record = done[key(subject)], isCurrent(record, subject) {
                progress?(index, subjects.count, key(subject), true)
                records.append(record)
                continue
            }
            progress?(index, subjects.count, key(subject), false)
            let record = try await study(subject)
            try append(record, to: output)
            records.append(record)
        }
        return records
    }

    /// The results file of one shard: `results.shard-2-of-4.jsonl` beside `results.jsonl`.
    public static func shardPath(_ path: String, _ shard: Shard) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).shard-\(shard.index)-of-\(shard.count).jsonl").path
    }

    /// The shards' results files beside `path`, in name order.
    static func shardFiles(beside path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let folder = url.deletingLastPathComponent()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix(stem + ".shard-") && $0.hasSuffix(".jsonl") }.sorted()
            .map { folder.appendingPathComponent($0).path }
    }

    /// The records already in `path`, by key; none when the file does not exist.
    /// - Throws: ``StudyError`` when a record was made with other settings or a line is not a record.
    static func finished<Record: StudyRecord>(_ type: Record.Type, _ path: String, settings: String) throws -> [String: Record] {
        var done: [String: Record] = [:]
        guard let data = FileManager.default.contents(atPath: path) else { return done }
        let decoder = JSONDecoder()
        for (line, bytes) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let record: Record
            do { record = try decoder.decode(Record.self, from: Data(bytes)) } catch {
                throw StudyError("\(path): line \(line + 1) is not a study record; remove the file to start over")
            }
            guard record.settings == settings else {
                throw StudyError("\(path) holds results made with other settings (\(record.settings)); choose another output folder or remove it")
            }
            done[record.key] = record
        }
        return done
    }

    private static func append(_ record: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw StudyError("\(path): cannot be created") }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw StudyError("\(path): cannot be written") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }
}
