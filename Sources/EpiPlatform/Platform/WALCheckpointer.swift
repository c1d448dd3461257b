import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// Copies SQLite's write-ahead log back into the database file in the background, on a connection and
/// a thread of its own.
///
/// Left to itself, SQLite checkpoints inside the commit that takes the log past 1,000 pages: that commit
/// waits for two fsyncs and for a thousand pages to be copied. A lab result touches a dozen indexes, so
/// with results arriving in small groups this happened every dozen groups, on the writer's time. A
/// passive checkpoint never waits for readers or the writer and never blocks them, so commits only
/// append to the log (`bench testing`: MLLP groups written in 4.6–4.7 ms instead of 5.1–5.5 ms). The writer
/// keeps a far higher automatic threshold as a backstop; under steady writing the passes never let the
/// log start over on their own, so the backstop is also what restarts it (see `logSizeLimit`).
final class WALCheckpointer: Sendable {
    /// Pages after which the writer itself checkpoints (~400 MiB of log with 4 KiB pages).
    static let backstopPages = 100_000
    /// Bytes the log file is cut back to once a checkpoint has emptied it: above the backstop's ~393 MiB,
    /// so under steady writing the file is reused, not cut and grown again. While results arrive without
    /// a pause the passive passes never quite catch up with the writer, so the log only starts over at the
    /// backstop (every ~2 s at 5,000 messages/s); cut back to 64 MiB each time, it had to be grown block by
    /// block again, and ext4 allocating and zeroing those blocks was a quarter of the writer's time
    /// (`bench testing`, paired runs: MLLP groups written in 2.77/2.61 ms with the cut, 2.01/1.88 ms without).
    static let logSizeLimit = 512 * 1024 * 1024

    private let connection: SQLiteConnection
    private let pool: NIOThreadPool
    private let task: Task<Void, Never>

    private init(connection: SQLiteConnection, pool: NIOThreadPool, task: Task<Void, Never>) {
        self.connection = connection
        self.pool = pool
        self.task = task
    }

    static func start(path: String, logger: Logger, every interval: Duration = .milliseconds(200)) async throws -> WALCheckpointer {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        let task = Task {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    _ = try await connection.query("PRAGMA wal_checkpoint(PASSIVE)")
                } catch is CancellationError {
                    break
                } catch {
                    // A failed pass is retried at the next tick; the writer's own threshold bounds the log meanwhile.
                    logger.warning("WAL checkpoint failed: \(String(describing: error))")
                }
            }
        }
        return WALCheckpointer(connection: connection, pool: pool, task: task)
    }

    /// Stops the task and closes its connection (closing the last connection checkpoints what is left).
    func stop() async {
        task.cancel()
        _ = await task.value
        try? await connection.close()
        try? await pool.shutdownGracefully()
    }
}
