import Testing
@testable import EpiPlatform
@testable import EpiTestSupport

/// A long import must not hold SQLite's single writer for long while others (a person page's audit row,
/// a lab's MLLP group) wait for it, and must write whole batches when nobody waits.
@Suite("Import batch sizes and the shared writer")
struct WriterShareTests {
    let start = ContinuousClock.now

    @Test func nobodyWaitingMeansWholeBatchesAfterAFirstSmallOne() {
        var share = WriterShare(most: 5000, budget: .milliseconds(15), waits: 7)
        #expect(share.target == 50)
        share.wrote(rows: 50, in: .milliseconds(5), waits: 7, at: start)
        #expect(share.target == 5000)
        share.wrote(rows: 5000, in: .milliseconds(500), waits: 7, at: start + .seconds(1))
        #expect(share.target == 5000)
    }

    @Test func someoneWaitingShrinksBatchesToTheBudgetThenTheyGrowBack() {
        var share = WriterShare(most: 5000, budget: .milliseconds(15), waits: 0)
        share.wrote(rows: 50, in: .milliseconds(5), waits: 0, at: start)
        #expect(share.target == 5000)
        // 5,000 rows took 500 ms (0.1 ms a row) while a page waited: 150 rows fit in 15 ms. Halfway there at once, then closer.
        share.wrote(rows: 5000, in: .milliseconds(500), waits: 1, at: start + .seconds(1))
        #expect(share.target == 2575)
        share.wrote(rows: 2575, in: .milliseconds(257.5), waits: 1, at: start + .milliseconds(1300))
        #expect(share.target == 1362)
        for k in 0..<10 { share.wrote(rows: share.target, in: .microseconds(100 * share.target), waits: 1, at: start + .milliseconds(1400 + k)) }
        #expect(share.target >= 150 && share.target <= 152)
        // Three seconds after the last wait, whole batches again.
        share.wrote(rows: share.target, in: .microseconds(100 * share.target), waits: 1, at: start + .milliseconds(4500))
        #expect(share.target == 5000)
    }

    @Test func neverBelowTheLeastEvenWhenRowsAreSlow() {
        var share = WriterShare(most: 500, least: 50, budget: .milliseconds(15), waits: 0)
        share.wrote(rows: 50, in: .seconds(2), waits: 3, at: start)
        #expect(share.target == 50)
    }

    @Test func withoutABudgetEveryBatchIsWhole() {
        var share = WriterShare(most: 5000, budget: nil, waits: 0)
        #expect(share.target == 5000)
        share.wrote(rows: 5000, in: .seconds(1), waits: 9, at: start)
        #expect(share.target == 5000)
    }

    @Test(arguments: Dialect.enabled)
    func postgresWritersDoNotQueueSoItsBatchesAreWhole(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let share = await WriterShare.of(app.services.database, most: 5000, budget: .milliseconds(15))
            #expect(share.target == (dialect == .postgres ? 5000 : 50))
        }
    }
}
