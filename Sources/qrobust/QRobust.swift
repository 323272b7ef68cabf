import ArgumentParser
import Foundation

/// The `qrobust` command: proves how far a network's outputs can move when its
/// parameters are quantised or pruned.
@main
struct QRobust: AsyncParsableCommand {
    /// The release this build belongs to (`qrobust --version`).
    static let version = "0.5.0-dev"

    static let configuration = CommandConfiguration(
        commandName: "qrobust",
        abstract: "Prove how far a neural network's outputs can move when its parameters are quantised or pruned.",
        discussion: """
            Models: .onnx, .nnet (the verification community's format) or qrobust's JSON format \
            (see the README).

            Compression: --bits K (fixed point with K fractional bits), --precision \
            float16|bfloat16, or --compressed OTHER_MODEL (any network with the same inputs and \
            outputs: pruned, retrained, …). With --compression-model perturbation (the default for --bits and \
            --precision) the answer covers every quantiser whose error per parameter stays within \
            the rounding error; with --compression-model concrete it is about the one rounded network.

            Exit codes: 0 robust (or measured, without --tau), 1 not robust (a replayed witness \
            exceeds τ), 2 unknown (limit reached; bounds reported), 64 usage error (including \
            a number or box that does not parse), 65 bad input data (a model, input or VNN-LIB \
            file; an input or box that does not fit the network), 70 internal or solver error. Errors are one line on \
            stderr; progress lines go there too when stderr is a terminal (or with QROBUST_PROGRESS=1).
            """,
        version: "qrobust \(version)",
        subcommands: [LocalCommand.self, GlobalCommand.self, BitsCommand.self, SDPCommand.self, PruneCommand.self, InfoCommand.self,
                      QuantizeCommand.self, StudyCommand.self, MergeCommand.self, PlanCommand.self])

    /// Parses and runs a command. A usage error is one line on stderr (exit
    /// 64), not ArgumentParser's message followed by the usage block; help and
    /// answers' exit codes go through ArgumentParser unchanged.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            exitOnUsageError(error, arguments: arguments)
        }
        do {
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                var command = command
                try command.run()
            }
        } catch {
            exitOnUsageError(error, arguments: arguments)
        }
    }

    private static func exitOnUsageError(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        guard code.rawValue == 64 else { exit(withError: error) }
        let message = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        let subcommand = arguments.first.flatMap { name in
            configuration.subcommands.first { $0.configuration.commandName == name }.map { _ in " \(name)" }
        } ?? ""
        printError("qrobust: usage error: \(message) (see 'qrobust\(subcommand) --help')")
        exit(withError: ExitCode(64))
    }
}
