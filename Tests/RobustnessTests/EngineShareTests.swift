import Foundation
import Testing
@testable import Robustness

/// The share of a global search's time that the box-closing engines may take.
@Suite("Engine share")
struct EngineShareTests {
    @Test("engines that have used more than their share wait; with a share of 1 they never do")
    func share() {
        let limited = EngineShare(workers: 1, share: 0.1, allowance: 0.05)
        #expect(limited.allows, "the allowance lets the first engine start")
        // 0.2 s of engine time against a budget of 0.05 + 0.1·(0.2 + ε): over it unless ε > 1.3 s.
        let value = limited.charge { Thread.sleep(forTimeInterval: 0.2); return 7 }
        #expect(value == 7)
        #expect(!limited.allows)

        let unlimited = EngineShare(workers: 1, share: 1, allowance: 0)
        unlimited.charge { Thread.sleep(forTimeInterval: 0.05) }
        #expect(unlimited.allows, "engine time never exceeds the workers' time")
    }

    @Test("engines that close at least 3/4 of the boxes they try are never held back; below that rate they are")
    func payingEngines() {
        let paying = EngineShare(workers: 1, share: 0.1, allowance: 0)
        paying.charge { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!paying.allows, "over its share before any box is counted")
        for n in 0..<EngineShare.payingTries { paying.record(closed: n % 4 != 0) }
        #expect(paying.allows, "6 of 8 boxes closed: paying")

        let failing = EngineShare(workers: 1, share: 0.1, allowance: 0)
        failing.charge { Thread.sleep(forTimeInterval: 0.05) }
        for n in 0..<EngineShare.payingTries { failing.record(closed: n % 2 == 0) }
        #expect(!failing.allows, "4 of 8 boxes closed: held back")
    }
}
