import ExactArithmetic
import Foundation
import NeuralNetwork
import Testing
@testable import Queries

/// Input boxes read from VNN-LIB property files, and their errors.
@Suite("VNN-LIB boxes")
struct VNNLibTests {
    @Test("bounds in every accepted spelling give the exact box; output assertions are counted, not used")
    func spellings() throws {
        let property = try VNNLibProperty(parsing: """
            ; ACAS Xu-style property
            (declare-const X_0 Real)
            (declare-const X_1 Real)   ; second input
            (declare-const X_2 Real)
            (declare-const Y_0 Real)
            (assert (<= X_0 0.679857769))
            (assert (>= X_0 0.6))
            (assert (and (>= X_1 (- 0.5)) (<= X_1 1e-3)))
            (assert (<= -1/3 X_2))
            (assert (> 2 X_2))
            (assert (<= X_2 5))
            (assert (>= Y_0 3.9911256459))
            (assert (or (and (<= Y_0 0)) (and (>= Y_0 1))))
            """)
        #expect(property.region.lower == [Rational(6, 10), Rational(-1, 2), Rational(-1, 3)])
        // Strict bounds become their closure; of two upper bounds on X_2 the tighter one holds.
        #expect(property.region.upper == [Rational(679_857_769, 1_000_000_000), Rational(1, 1000), Rational(2)])
        #expect(property.writtenBounds == [["0.6", "0.679857769"], ["-0.5", "1e-3"], ["-1/3", "2"]])
        #expect(property.ignoredOutputAssertions == 2)
        #expect(property.summary(file: "p.vnnlib") == "p.vnnlib (box from the bounds on X_0…X_2; 2 output assertions ignored)")
    }

    @Test("a file that is not a box is one error naming the line and the problem", arguments: [
        ("(declare-const X_0 Real)\n(assert (<= X_0 1))\n", "X_0 has no lower bound"),
        ("(declare-const X_0 Real)\n(declare-const X_2 Real)\n", "X_1 is missing"),
        ("(declare-const X_0 Real)\n(assert (>= X_1 0))\n", "line 2: X_1 is used but not declared"),
        ("(declare-const X_0 Real)\n(assert (or (>= X_0 0) (<= X_0 1)))\n", "line 2: a disjunction of input regions is not supported"),
        ("(declare-const X_0 Real)\n(assert (<= X_0 abc))\n", "line 2: 'abc' is not a number"),
        ("(declare-const X_0 Real)\n(assert (<= (+ X_0 X_0) 1))\n", "line 2: only bounds of one input by a number"),
        ("(declare-const X_0 Real)\n(assert (<= X_0 1)\n", "line 2: '(' is never closed"),
        ("(declare-const X_0 Real))\n", "line 1: unbalanced ')'"),
        ("(declare-const Z Real)\n", "line 1: 'Z' is neither an input X_i nor an output Y_j"),
        ("(declare-fun X_0 () Real)\n", "line 1: unsupported command 'declare-fun'"),
        ("; only a comment\n", "no input is declared"),
        (String(repeating: "(", count: 100), "nested deeper than 64 levels"),
    ])
    func badFiles(_ text: String, _ expected: String) {
        do {
            _ = try VNNLibProperty(parsing: text)
            Issue.record("accepted \(text)")
        } catch let error as ModelError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("a missing file names the file")
    func missingFile() {
        #expect(throws: ModelError(file: "/nonexistent/p.vnnlib", place: "", problem: "cannot read the file")) {
            try VNNLibProperty(contentsOf: "/nonexistent/p.vnnlib")
        }
    }
}
