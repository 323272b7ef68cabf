/// A semidefinite program in the dual form that CSDP and the SDPA format use:
///
///     minimise  aᵀy   subject to   Σᵢ yᵢ·Aᵢ − C ⪰ 0,
///
/// where the matrices are block diagonal with the same ``blocks``, the `y`
/// are free, and a diagonal block makes its entries plain sign constraints.
/// Matrices are sparse and symmetric: an entry (row ≤ column) stands for both
/// of its positions.
///
/// ``validate()`` checks everything CSDP would otherwise answer with `exit()`.
public struct SDPProblem: Sendable, Equatable {
    public enum BlockKind: String, Sendable, Equatable {
        /// A dense symmetric block.
        case matrix
        /// A diagonal block: its entries are separate scalars.
        case diagonal
    }

    public struct Block: Sendable, Equatable {
        public var kind: BlockKind
        public var size: Int

        public init(_ kind: BlockKind, size: Int) {
            self.kind = kind
            self.size = size
        }
    }

    /// One entry of a symmetric block matrix, 0-based, `row ≤ column`.
    public struct Entry: Sendable, Equatable {
        public var block: Int
        public var row: Int
        public var column: Int
        public var value: Double

        public init(block: Int, row: Int, column: Int, value: Double) {
            self.block = block
            self.row = row
            self.column = column
            self.value = value
        }
    }

    public var blocks: [Block]
    /// `a`: one coefficient per variable yᵢ.
    public var objective: [Double]
    /// `C`.
    public var constant: [Entry]
    /// `Aᵢ`, one per variable.
    public var constraints: [[Entry]]

    public init(blocks: [Block], objective: [Double], constant: [Entry], constraints: [[Entry]]) {
        self.blocks = blocks
        self.objective = objective
        self.constant = constant
        self.constraints = constraints
    }

    /// The order of the whole block-diagonal matrix.
    public var order: Int { blocks.reduce(0) { $0 + $1.size } }

    /// Rejects every problem CSDP cannot take: no blocks or variables, sizes
    /// below 1, an objective of the wrong length, a matrix Aᵢ without
    /// entries, an entry outside its block, below the diagonal, off the
    /// diagonal of a diagonal block, given twice, or not finite.
    public func validate() throws(SDPProblemError) {
        guard !blocks.isEmpty else { throw SDPProblemError(place: "blocks", problem: "the problem has no blocks") }
        for (b, block) in blocks.enumerated() where block.size < 1 {
            throw SDPProblemError(place: "block \(b + 1)", problem: "size \(block.size) is below 1")
        }
        guard !constraints.isEmpty else {
            throw SDPProblemError(place: "constraints", problem: "the problem has no variables (CSDP needs at least one constraint matrix)")
        }
        guard objective.count == constraints.count else {
            throw SDPProblemError(place: "objective", problem: "\(objective.count) coefficients for \(constraints.count) constraint matrices")
        }
        if let i = objective.firstIndex(where: { !$0.isFinite }) {
            throw SDPProblemError(place: "objective coefficient \(i + 1)", problem: "\(objective[i]) is not a finite number")
        }
        try check(constant, name: "C")
        for (i, matrix) in constraints.enumerated() {
            guard !matrix.isEmpty else {
                throw SDPProblemError(place: "A\(i + 1)", problem: "has no entries (CSDP rejects empty constraint matrices)")
            }
            try check(matrix, name: "A\(i + 1)")
        }
    }

    private func check(_ entries: [Entry], name: String) throws(SDPProblemError) {
        var seen = Set<[Int]>()
        for entry in entries {
            let place = "\(name) entry (block \(entry.block + 1), \(entry.row + 1), \(entry.column + 1))"
            guard blocks.indices.contains(entry.block) else {
                throw SDPProblemError(place: place, problem: "block \(entry.block + 1) does not exist (there are \(blocks.count))")
            }
            let block = blocks[entry.block]
            guard entry.row >= 0, entry.column >= 0, entry.row < block.size, entry.column < block.size else {
                throw SDPProblemError(place: place, problem: "outside the block of size \(block.size)")
            }
            guard entry.row <= entry.column else {
                throw SDPProblemError(place: place, problem: "below the diagonal (give each symmetric pair once, row ≤ column)")
            }
            guard block.kind == .matrix || entry.row == entry.column else {
                throw SDPProblemError(place: place, problem: "off the diagonal of a diagonal block")
            }
            guard entry.value.isFinite else {
                throw SDPProblemError(place: place, problem: "\(entry.value) is not a finite number")
            }
            guard seen.insert([entry.block, entry.row, entry.column]).inserted else {
                throw SDPProblemError(place: place, problem: "given twice")
            }
        }
    }
}

/// A problem CSDP must not see, with the place that is wrong.
public struct SDPProblemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var place: String
    public var problem: String

    public init(place: String, problem: String) {
        self.place = place
        self.problem = problem
    }

    public var description: String { "invalid SDP: \(place): \(problem)" }
}
