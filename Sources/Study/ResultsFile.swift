import Foundation

/// A record a study appends to its results file, one network per line.
public protocol StudyRecord: Codable, Sendable {
    var entry: ZooEntry { get }
    /// The settings the record was made with; resuming requires the same.
    var settings: String { get }
}

/// A study's results as JSON Lines: one record per network, appended as each
/// network finishes, so that an interrupted run resumes where it stopped.
enum ResultsFile {
    /// Studies every zoo network not already in `path` (made with the same `settings`).
    /// - Parameter progress: called before each network with its index, the count, its file name and whether it was already done.
    /// - Returns: the records of every zoo network, in zoo order.
    static func run<Record: StudyRecord>(zoo: Zoo, settings: String, path: String,
                                         progress: (@Sendable (Int, Int, String, Bool) -> Void)?,
                                         study: (ZooEntry) async throws -> Record) async throws -> [Record] {
        let done = try finished(Record.self, path, settings: settings)
        var records: [Record] = []
        for (index, entry) in zoo.entries.enumerated() {
            if let record = done[entry.file], record.entry == entry {
                progress?(index, zoo.entries.count, entry.file, true)
                records.append(record)
                continue
            }
            progress?(index, zoo.entries.count, entry.file, false)
            let record = try await study(entry)
            try append(record, to: path)
            records.append(record)
        }
        return records
    }

    /// The records already in `path`, by network file; none when the file does not exist.
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
            done[record.entry.file] = record
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
