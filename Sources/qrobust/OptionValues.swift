import ArgumentParser
import ExactArithmetic
import Foundation
import Queries

/// A number option read exactly (`0.1` is 1/10, `1/3` a fraction), kept as the
/// user wrote it so that reports echo it unchanged.
///
/// The parse happens once, in the argument parser; a command never re-parses
/// the string. Options with a sign condition use ``positive(_:)`` or
/// ``nonNegative(_:)`` as their `transform`, so the condition is part of the
/// option and its error names the option.
struct ExactNumber: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let value: Rational
    let written: String

    init?(argument: String) {
        let written = argument.trimmingCharacters(in: .whitespaces)
        guard let value = Rational(parsing: written) else { return nil }
        self.value = value
        self.written = written
    }

    /// A number known exactly, written as `written` (for defaults such as `1e-6`).
    init(_ value: Rational, written: String) {
        self.value = value
        self.written = written
    }

    var description: String { written }

    /// A number > 0 (τ, a tolerance, a scale).
    static func positive(_ argument: String) throws -> ExactNumber {
        guard let number = ExactNumber(argument: argument), number.value.isPositive else {
            throw ValidationError("expected a positive number (an exact decimal such as 0.05 or a fraction such as 1/255)")
        }
        return number
    }

    /// A number ≥ 0.
    static func nonNegative(_ argument: String) throws -> ExactNumber {
        guard let number = ExactNumber(argument: argument), !number.value.isNegative else {
            throw ValidationError("expected a number ≥ 0 (an exact decimal or a fraction)")
        }
        return number
    }
}

/// The number an option's argument holds when it is finite and > 0.
private func positiveFiniteNumber(_ argument: String) -> Double? {
    guard let value = Double(argument.trimmingCharacters(in: .whitespaces)), value > 0, value.isFinite else { return nil }
    return value
}

/// A time limit in seconds: finite and > 0.
enum Seconds {
    static func positive(_ argument: String) throws -> Double {
        guard let seconds = positiveFiniteNumber(argument) else {
            throw ValidationError("expected a positive number of seconds")
        }
        return seconds
    }
}

/// A memory limit in gigabytes (10⁹ bytes): finite and > 0; returned in bytes.
enum Gigabytes {
    static func positive(_ argument: String) throws -> Double {
        guard let gigabytes = positiveFiniteNumber(argument) else {
            throw ValidationError("expected a positive number of gigabytes (for example 4 or 0.5)")
        }
        return gigabytes * 1e9
    }

    /// Three quarters of this machine's memory, in bytes.
    static var machineDefault: Double { Double(ProcessInfo.processInfo.physicalMemory) * 0.75 }
}

/// `--input`: one point, comma separated, each coordinate read exactly.
struct PointOption: ExpressibleByArgument, Sendable {
    let values: [Rational]
    /// The coordinates as the user wrote them.
    let written: [String]

    init?(argument: String) {
        guard let point = try? Self.parse(argument) else { return nil }
        self = point
    }

    private init(values: [Rational], written: [String]) {
        self.values = values
        self.written = written
    }

    /// The point, or an error naming the entry that is not a number.
    static func parse(_ argument: String) throws -> PointOption {
        let parsed = Rational.parseList(argument)
        guard let values = parsed.values else {
            throw ValidationError("'\(parsed.bad ?? "")' is not a number (write e.g. --input 0.5,-0.2)")
        }
        return PointOption(values: values, written: argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }
}

/// `--box`: one `lo:hi` interval per input, comma separated, read exactly.
struct BoxOption: ExpressibleByArgument, Sendable {
    let region: InputRegion
    /// Each interval's ends as the user wrote them.
    let written: [[String]]

    init?(argument: String) {
        guard let box = try? Self.parse(argument) else { return nil }
        self = box
    }

    private init(region: InputRegion, written: [[String]]) {
        self.region = region
        self.written = written
    }

    /// The box, or an error naming the entry that is wrong.
    static func parse(_ argument: String) throws -> BoxOption {
        let region: InputRegion
        do { region = try InputRegion(parsing: argument) } catch let error as QueryError { throw ValidationError(error.message) }
        let written = argument.split(separator: ",").map {
            $0.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return BoxOption(region: region, written: written)
    }
}

/// Where an input box comes from: `--box lo:hi,…` or `--vnnlib FILE` (the
/// input bounds of a VNN-LIB property). `global` and `sdp` take exactly one.
struct BoxSourceOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "The input box in raw units: lo:hi for each input, comma separated (e.g. \"0:1,1:2\" or \"-1:2,-1:1.5\").",
            transform: BoxOption.parse)
    var box: BoxOption?

    @Option(help: ArgumentHelp("Take the box from the X_i bounds of this VNN-LIB property file instead (assertions on the outputs Y_j are ignored, and the report says how many).", valueName: "file"))
    var vnnlib: String?

    func validate() throws {
        guard (box == nil) != (vnnlib == nil) else {
            throw ValidationError("Give the input box with either --box lo:hi,… or --vnnlib FILE.")
        }
    }

    /// The box, its bounds as written, and (for a VNN-LIB file) a line saying where it came from.
    func resolve() throws -> (region: InputRegion, written: [[String]], source: String?) {
        if let box { return (box.region, box.written, nil) }
        guard let vnnlib else { throw ValidationError("Give the input box with either --box lo:hi,… or --vnnlib FILE.") }
        let property = try VNNLibProperty(contentsOf: vnnlib)
        return (property.region, property.writtenBounds, property.summary(file: vnnlib))
    }
}
