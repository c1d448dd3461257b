/// How many rows the next transaction of a long import may write.
///
/// SQLite has one writer, and everything else that writes (a person page's audit row, a lab's MLLP
/// group, a form) queues behind an import's transaction. So while anyone has had to wait for the
/// writer in the last few seconds, batches shrink to what fits in `budget` at the rate the import's
/// own batches were written; with nobody waiting they are whole, since small batches only cost the
/// import (each commit rewrites the index pages its rows touched). PostgreSQL's writers do not queue
/// behind one another, so there every batch is whole.
package struct WriterShare: Sendable {
    package let most: Int
    package let least: Int
    /// nil: every batch is whole.
    package let budget: Duration?
    /// How long after the last wait for the writer batches stay small.
    package static let memory: Duration = .seconds(3)

    /// The size of the next batch.
    package private(set) var target: Int
    private var waitsSeen: Int
    private var othersWaitedAt: ContinuousClock.Instant?

    /// - Parameter waits: the database's `writerWaits()` now.
    package init(most: Int, least: Int = 50, budget: Duration?, waits: Int) {
        self.most = max(1, most)
        self.least = max(1, min(least, most))
        self.budget = budget
        // Starts small: before the first batch nobody knows how long a row takes on this machine.
        target = budget == nil ? self.most : self.least
        waitsSeen = waits
    }

    /// Sizes batches for `database`: by `budget` on SQLite, whole on PostgreSQL.
    package static func of(_ database: Database, most: Int, least: Int = 50, budget: Duration?) async -> WriterShare {
        WriterShare(most: most, least: least, budget: database.kind == .sqlite ? budget : nil, waits: await database.writerWaits())
    }

    /// Learns from a batch written: `rows` in `elapsed` (queueing for the writer included, since that
    /// is the sign that others use it), with the database's `writerWaits()` now at `waits`.
    package mutating func wrote(rows: Int, in elapsed: Duration, waits: Int, at now: ContinuousClock.Instant = ContinuousClock.now) {
        guard let budget, rows > 0, elapsed > .zero else { return }
        if waits != waitsSeen { othersWaitedAt = now }
        waitsSeen = waits
        guard let at = othersWaitedAt, now - at < Self.memory else {
            target = most
            return
        }
        let fits = Double(rows) * (budget / elapsed)
        // Halfway to what fits, so one slow batch (a checkpoint, a cold page) does not halve the next.
        target = max(least, min(most, Int((Double(target) + fits) / 2)))
    }

    /// `wrote(rows:in:waits:)` with the database's own count of waits.
    package mutating func wrote(rows: Int, in elapsed: Duration, on database: Database) async {
        wrote(rows: rows, in: elapsed, waits: await database.writerWaits())
    }
}
