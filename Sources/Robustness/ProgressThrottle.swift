import Foundation
import Synchronization

/// Calls the progress callback at most four times a second.
final class ProgressThrottle: Sendable {
    private let progress: (@Sendable (GlobalProgress) -> Void)?
    private let start: Date
    /// When the callback was last called.
    private let last = Mutex(Date.distantPast)

    init(progress: (@Sendable (GlobalProgress) -> Void)?, start: Date) {
        self.progress = progress
        self.start = start
    }

    func report(_ frontier: SearchFrontier) {
        guard let progress else { return }
        let now = Date()
        let due = last.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= 0.25 else { return false }
            last = now
            return true
        }
        if due && !frontier.isSealed { progress(frontier.snapshot(seconds: now.timeIntervalSince(start))) }
    }
}
