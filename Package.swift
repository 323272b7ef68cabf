// swift-tools-version: 6.0
// qrobust: proves how far a small neural network's outputs can move when its
// parameters are quantised or pruned. Module layout follows design.md §5.
import PackageDescription

let package = Package(
    name: "qrobust",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ExactArithmetic", targets: ["ExactArithmetic"]),
        .library(name: "Z3Kit", targets: ["Z3Kit"]),
        .library(name: "NeuralNetwork", targets: ["NeuralNetwork"]),
        .library(name: "Compression", targets: ["Compression"]),
        .library(name: "Bounds", targets: ["Bounds"]),
        .library(name: "Robustness", targets: ["Robustness"]),
        .library(name: "SDPBounds", targets: ["SDPBounds"]),
        .library(name: "CrossCheck", targets: ["CrossCheck"]),
        .executable(name: "qrobust", targets: ["qrobust"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        // Debian's libz3-dev (Z3 4.8.12). Only Z3Kit imports it.
        .systemLibrary(
            name: "CZ3",
            providers: [.apt(["libz3-dev"]), .brew(["z3"])]
        ),
        // Debian's libsdp-dev (CSDP 6.2). Only SDPBounds imports it.
        .systemLibrary(
            name: "CCSDP",
            providers: [.apt(["libsdp-dev"]), .brew(["csdp"])]
        ),
        // Exact rationals and rigorous enclosures of exp/σ; shared by Z3Kit and the IR.
        .target(name: "ExactArithmetic", dependencies: ["BigInt"]),
        .target(name: "Z3Kit", dependencies: ["CZ3", "ExactArithmetic"]),
        .target(name: "NeuralNetwork", dependencies: ["ExactArithmetic", "BigInt"]),
        .target(name: "Compression", dependencies: ["NeuralNetwork"]),
        // Sound interval, symbolic and differential bounds (binary64, outward rounding).
        .target(name: "Bounds", dependencies: ["NeuralNetwork", "Compression", "ExactArithmetic"]),
        .target(name: "Robustness", dependencies: [
            "NeuralNetwork", "Compression", "Bounds", "Z3Kit", "ExactArithmetic",
            .product(name: "HeapModule", package: "swift-collections"),
        ]),
        // The quadratic-constraint SDP bound on two networks' output difference (design.md §4).
        .target(name: "SDPBounds", dependencies: ["CCSDP", "NeuralNetwork", "Bounds", "ExactArithmetic"]),
        // SDP against SMT against sampling on one question (design.md §3), and the SDP reports.
        .target(name: "CrossCheck", dependencies: ["SDPBounds", "Robustness", "Compression", "NeuralNetwork", "ExactArithmetic"]),
        .executableTarget(
            name: "qrobust",
            dependencies: [
                "Robustness", "Compression", "NeuralNetwork", "SDPBounds", "CrossCheck",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ExactArithmeticTests", dependencies: ["ExactArithmetic"]),
        .testTarget(name: "Z3KitTests", dependencies: ["Z3Kit", "ExactArithmetic"]),
        .testTarget(name: "NeuralNetworkTests", dependencies: ["NeuralNetwork"]),
        .testTarget(name: "CompressionTests", dependencies: ["Compression", "NeuralNetwork"]),
        // Seeded randomness and small networks shared by the test targets.
        .target(name: "TestSupport", dependencies: ["NeuralNetwork", "ExactArithmetic"], path: "Tests/TestSupport"),
        .testTarget(name: "BoundsTests", dependencies: ["Bounds", "Compression", "NeuralNetwork", "TestSupport"]),
        .testTarget(name: "RobustnessTests",
                    dependencies: ["Robustness", "Compression", "NeuralNetwork", "Z3Kit", "Bounds", "TestSupport"]),
        .testTarget(name: "SDPBoundsTests",
                    dependencies: ["SDPBounds", "CrossCheck", "Robustness", "Compression", "NeuralNetwork", "Bounds", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["qrobust"]),
    ],
    swiftLanguageModes: [.v6]
)
