import NIOConcurrencyHelpers

/// Writes the small records of many concurrent requests (a checkpoint's check, a public declaration,
/// an HL7 message) as one transaction per group instead of one each. A database commits a few thousand
/// transactions a second at most (each waits for the log to reach the disk); a group of a hundred rows
/// costs about what one row does. A caller waits until its own group has committed, so an answer is
/// never given for a write that could still be lost.
///
/// While one group is being written the next one gathers; groups are at most `maxGroup` items.
package final class GroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    /// Writes one group, returning one output per item, in order. If it throws, every caller of the
    /// group gets the error: nothing of that group was written.
    package typealias Flush = @Sendable ([Item]) async throws -> [Output]
    /// Work that follows a committed group but need not delay its answers (a positive result opening
    /// its F0); it runs before the next group is written, so follow-ups stay in commit order.
    package typealias AfterCommit = @Sendable ([Output]) async -> Void

    private struct Waiting {
        let item: Item
        let continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var running = false
    }

    private let flush: Flush
    private let afterCommit: AfterCommit?
    private let maxGroup: Int
    private let state = NIOLockedValueBox<State>(State())
    private let stats = NIOLockedValueBox(GroupCommitStatistics())

    /// What the committer has done so far (the benchmarks print it: the size of groups is what decides throughput).
    package var statistics: GroupCommitStatistics { stats.withLockedValue { $0 } }

    package init(maxGroup: Int = 256, flush: @escaping Flush, afterCommit: AfterCommit? = nil) {
        self.maxGroup = max(1, maxGroup)
        self.flush = flush
        self.afterCommit = afterCommit
    }

    /// Queues `item` and returns its output once its group has committed.
    package func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let start = state.withLockedValue { s -> Bool in
                s.queue.append(Waiting(item: item, continuation: continuation))
                if s.running { return false }
                s.running = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let group = state.withLockedValue { s -> [Waiting] in
                let n = min(s.queue.count, maxGroup)
                let taken = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                if taken.isEmpty { s.running = false }
                return taken
            }
            if group.isEmpty { return }
            let clock = ContinuousClock()
            let started = clock.now
            var flushed = started
            do {
                let outputs = try await flush(group.map(\.item))
                flushed = clock.now
                for (waiting, output) in zip(group, outputs) { waiting.continuation.resume(returning: output) }
                // A flush returns one output per item; this only guards against a change that broke that.
                for waiting in group.dropFirst(outputs.count) { waiting.continuation.resume(throwing: GroupCommitError.noOutput) }
                if let afterCommit { await afterCommit(outputs) }
            } catch {
                flushed = clock.now
                for waiting in group { waiting.continuation.resume(throwing: error) }
            }
            let ended = clock.now
            stats.withLockedValue { s in
                s.groups += 1
                s.items += group.count
                s.largest = max(s.largest, group.count)
                s.writing += flushed - started
                s.following += ended - flushed
                s.longestWriting = max(s.longestWriting, flushed - started)
                s.longestFollowing = max(s.longestFollowing, ended - flushed)
                if ended - started > .milliseconds(100) { s.slow += 1 }
            }
        }
    }
}

/// Groups written, their items, and the time spent writing them and running their follow-ups.
package struct GroupCommitStatistics: Sendable {
    package var groups = 0
    package var items = 0
    package var largest = 0
    package var writing: Duration = .zero
    package var following: Duration = .zero
    /// The longest single write and follow-up, and the groups that took over 100 ms in all.
    package var longestWriting: Duration = .zero
    package var longestFollowing: Duration = .zero
    package var slow = 0
}

package enum GroupCommitError: Error {
    /// The group's writer returned fewer outputs than it was given items.
    case noOutput
}
