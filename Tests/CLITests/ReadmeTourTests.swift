import Foundation
import Testing

/// The README's tour runs from a bare clone: every `qrobust` command of the
/// tour section that uses bundled files only is run as written (through
/// `/bin/sh`, with the built binary first on PATH), must answer (exit 0, 1
/// or 2), and where the README shows output, its first line must match.
@Suite("README tour", .serialized)  // in order: the tour writes files that later steps read
struct ReadmeTourTests {
    struct Command: CustomStringConvertible, Sendable {
        var line: String
        var shownFirstLine: String?
        var description: String { line }
    }

    /// The commands of "## A short tour" up to the next `## ` heading.
    static func tourCommands() throws -> [Command] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "## A short tour") else { return [] }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
        var commands: [Command] = []
        var i = start + 1
        while i < end {
            var line = lines[i]
            let shown = line.hasPrefix("$ qrobust ")
            if shown || line.hasPrefix("qrobust ") {
                if shown { line.removeFirst(2) }
                while line.hasSuffix("\\"), i + 1 < end {
                    line.removeLast()
                    i += 1
                    line += " " + lines[i].trimmingCharacters(in: .whitespaces)
                }
                if let hash = line.range(of: "  #") { line = String(line[..<hash.lowerBound]) }
                let next = i + 1 < end ? lines[i + 1] : "```"
                commands.append(Command(line: line.trimmingCharacters(in: .whitespaces),
                                        shownFirstLine: shown && next != "```" ? next : nil))
            }
            i += 1
        }
        return commands.filter { !$0.line.contains("../shared/") }
    }

    @Test("the tour has commands to run")
    func found() throws {
        #expect(try Self.tourCommands().count >= 8)
    }

    @Test("each tour command on bundled files answers, and prints the first line the README shows",
          arguments: try ReadmeTourTests.tourCommands())
    func runs(_ command: Command) throws {
        let binaryDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let path = binaryDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try qrobust(["-c", command.line], environment: ["PATH": path], binary: URL(fileURLWithPath: "/bin/sh"))
        #expect([0, 1, 2].contains(run.code), "exit \(run.code): \(run.stderr)")
        if let shown = command.shownFirstLine {
            #expect(run.stdout.split(separator: "\n").first.map(String.init) == shown)
        }
    }
}
