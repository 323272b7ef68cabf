import Foundation
import NeuralNetwork

/// One network of a study zoo, as `scripts/train-zoo.py` lists it in `zoo.json`.
public struct ZooEntry: Codable, Sendable, Equatable {
    /// The network file, relative to the zoo folder.
    public var file: String
    public var dataset: String
    /// `relu` or `linear` (identity hidden layers).
    public var activation: String
    public var hidden: [Int]
    public var seed: Int
    public var inputs: Int
    public var trainAccuracy: Double
    public var testAccuracy: Double
    /// Test points with the confidence closest to 1/2, and farthest from it.
    public var nearBoundary: [[Double]]
    public var farFromBoundary: [[Double]]

    /// The pair this network is compared within: same data set, shape and seed.
    public var pairKey: String { "\(dataset)-\(hidden.map(String.init).joined(separator: "x"))-s\(seed)" }
}

/// A folder of networks to study, described by its `zoo.json`.
public struct Zoo: Sendable {
    public var directory: String
    public var entries: [ZooEntry]
    /// Every network's input box is `[low, high]^d`.
    public var inputBox: [Double]

    private struct Manifest: Codable {
        var inputBox: [Double]?
        var networks: [ZooEntry]
    }

    /// Reads `DIRECTORY/zoo.json` and checks that every listed file exists.
    /// - Throws: ``StudyError`` naming the file and the problem.
    public static func load(directory: String) throws -> Zoo {
        let path = (directory as NSString).appendingPathComponent("zoo.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StudyError("\(path): no such file (a zoo folder holds zoo.json; scripts/train-zoo.py writes one)")
        }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw StudyError("\(path): not a zoo manifest (\(error))")
        }
        let box = manifest.inputBox ?? [0, 1]
        guard box.count == 2, box[0] < box[1] else { throw StudyError("\(path): inputBox must be [low, high] with low < high") }
        guard !manifest.networks.isEmpty else { throw StudyError("\(path): lists no networks") }
        for entry in manifest.networks where !["relu", "linear"].contains(entry.activation) {
            throw StudyError("\(path): \(entry.file): activation must be relu or linear, found \(entry.activation)")
        }
        return Zoo(directory: directory, entries: manifest.networks, inputBox: box)
    }

    /// The network of the heat map: the named 2-input entry, or else the first
    /// 2-input ReLU network (then any 2-input one); `nil` when the zoo has none.
    /// - Throws: ``StudyError`` when `name` is given but is not a 2-input entry.
    public func heatMapEntry(named name: String?) throws -> ZooEntry? {
        let candidates = entries.filter { $0.inputs == 2 }
        if let name {
            guard let entry = candidates.first(where: { $0.file == name }) else {
                throw StudyError("the heat-map network \(name) is not a 2-input network of the zoo")
            }
            return entry
        }
        return candidates.first { $0.activation == "relu" } ?? candidates.first
    }

    /// Loads one entry's network.
    public func network(_ entry: ZooEntry) throws -> Network {
        try NetworkFile.load((directory as NSString).appendingPathComponent(entry.file))
    }
}

/// A problem with a study's input or options, as one line.
public struct StudyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
