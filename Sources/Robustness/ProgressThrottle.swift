import Foundation

/// Calls the progress callback at most four times a second.
final class ProgressThrottle: @unchecked Sendable {
    private let progress: (@Sendable (GlobalProgress) -> Void)?
    private let start: Date
    private let lock = NSLock()
    private var last = Date.distantPast

    init(progress: (@Sendable (GlobalProgress) -> Void)?, start: Date) {
        self.progress = progress
        self.start = start
    }

    func report(_ frontier: SearchFrontier) {
        guard let progress else { return }
        let now = Date()
        lock.lock()
        let due = now.timeIntervalSince(last) >= 0.25
        if due { last = now }
        lock.unlock()
        if due && !frontier.isSealed { progress(frontier.snapshot(seconds: now.timeIntervalSince(start))) }
    }
}
