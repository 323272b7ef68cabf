import ArgumentParser

/// The `qrobust` command: proves how far a network's outputs can move when its
/// parameters are quantised or pruned.
@main
struct QRobust: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qrobust",
        abstract: "Prove how far a neural network's outputs can move when its parameters are quantised or pruned.",
        discussion: """
            Models: .onnx, .nnet (the verification community's format) or qrobust's JSON format \
            (see the README).

            Compression: --bits K (fixed point with K fractional bits), --precision \
            float16|bfloat16, or --compressed OTHER_MODEL (any network with the same inputs and \
            outputs: pruned, retrained, …). With --model perturbation (the default for --bits and \
            --precision) the answer covers every quantiser whose error per parameter stays within \
            the rounding error; with --model concrete it is about the one rounded network.

            Exit codes: 0 robust (or measured, without --tau), 1 not robust (a replayed witness \
            exceeds τ), 2 unknown (limit reached; bounds reported), 64 usage error, 65 bad input \
            data (model file, input vector), 70 internal or solver error.
            """,
        subcommands: [LocalCommand.self, GlobalCommand.self, BitsCommand.self, SDPCommand.self, InfoCommand.self,
                      QuantizeCommand.self, StudyCommand.self])
}
