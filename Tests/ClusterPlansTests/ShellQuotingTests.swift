import Foundation
import Testing
@testable import ClusterPlans

/// Runs `script` with /bin/sh and returns its standard output.
func shell(_ script: String, environment: [String: String] = [:]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", script]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

@Suite("Shell quoting")
struct ShellQuotingTests {
    @Test("every word comes back from the shell unchanged, one argument each")
    func roundTrip() throws {
        let words = ["plain", "with space", "it's", "'", "''", "$HOME", "`date`", "a\"b", "back\\slash", "", "*", "x;y|z&",
                     "new\nline", "0.05", "--box", "-1:2,-1:1.5", "ünïcode"]
        let output = try shell("printf '%s\\0' " + words.map(ShellQuoting.quote).joined(separator: " "))
        #expect(output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == words)
    }

    @Test("plain words stay unquoted, so scripts stay readable")
    func plainWords() {
        #expect(ShellQuoting.quote("Examples/moons-relu.json") == "Examples/moons-relu.json")
        #expect(ShellQuoting.quote("a b") == "'a b'")
    }
}
