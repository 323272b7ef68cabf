// swift-tools-version: 6.1
// Performance suites for qrobust (ordo-one/package-benchmark). A separate
// package so that building and testing qrobust itself does not build the
// benchmark harness. Run from this folder: `swift package benchmark`.
import PackageDescription

let package = Package(
    name: "qrobust-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "qrobust", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: ["LocalQuery", "DeepLocal", "GlobalDeviation", "SDPBound", "BatchThroughput"].map(suite),
    swiftLanguageModes: [.v6]
)

/// One benchmark suite: an executable in Benchmarks/NAME run by the plugin.
func suite(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "package-benchmark"),
            .product(name: "Robustness", package: "qrobust"),
            .product(name: "Compression", package: "qrobust"),
            .product(name: "NeuralNetwork", package: "qrobust"),
            .product(name: "ExactArithmetic", package: "qrobust"),
            .product(name: "SDPBounds", package: "qrobust"),
            .product(name: "Queries", package: "qrobust"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
    )
}
