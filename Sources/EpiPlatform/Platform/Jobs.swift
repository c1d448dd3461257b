import EpiCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// One background job as recorded in `jobs`: what it does, how far it got, how it ended.
package struct JobRecord: Codable, Sendable {
    package let id: String
    package let kind: String
    package let status: String
    package let done: Int
    package let total: Int
    package let message: String
    package let createdBy: String
    package let createdAt: String
    package let startedAt: String?
    package let finishedAt: String?

    static let columns = "id, kind, status, done, total, message, created_by, created_at, started_at, finished_at"

    package var percent: Int { total > 0 ? min(100, done * 100 / total) : (status == "done" ? 100 : 0) }
}

/// What a running job can do: report progress.
package struct JobContext: Sendable {
    package let id: String
    let database: Database

    /// Records progress in its own small transaction, so the page that shows it never waits on the job.
    package func progress(done: Int, total: Int, message: String = "") async {
        _ = try? await database.transaction { db in
            try await db.raw("UPDATE jobs SET done = \(bind: done), total = \(bind: total), message = \(bind: message) WHERE id = \(bind: id)").run()
        }
    }
}

/// Runs long work (a city-wide recomputation) off the request that asked for it, one job at a time,
/// with its state in the database: queued, running with progress, done or failed. A repeat request
/// while one of the same kind is still queued joins it. Jobs left queued or running when the server
/// stopped are run again at the next start (`resume`); every registered job is safe to repeat.
package final class JobRunner: Sendable {
    package typealias Handler = @Sendable (JobContext) async throws -> String

    let database: Database
    let logger: Logger
    private let state = NIOLockedValueBox<State>(State())

    private struct State {
        var handlers: [String: Handler] = [:]
        var worker: Task<Void, Never>?
        /// Set by every enqueue, cleared by the worker before it looks: a job queued while the worker is
        /// deciding to stop makes it look again instead of being left behind.
        var pending = false
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Registers what a kind of job does (from the composition root).
    package func register(_ kind: String, _ handler: @escaping Handler) {
        state.withLockedValue { $0.handlers[kind] = handler }
    }

    /// Queues a job of `kind` (or returns the one already queued) and starts the worker.
    @discardableResult
    package func enqueue(_ kind: String, by user: CurrentUser?, reason: String) async throws -> String {
        let id = try await database.transaction { db -> String in
            if let queued = try await db.raw("SELECT id FROM jobs WHERE kind = \(bind: kind) AND status = 'queued' ORDER BY created_at LIMIT 1").first() {
                return try queued.decode(column: "id", as: String.self)
            }
            let id = Identifier.make()
            try await db.raw("""
                INSERT INTO jobs (\(unsafeRaw: JobRecord.columns)) VALUES (\(bind: id), \(bind: kind), 'queued', 0, 0, \(bind: reason),
                \(bind: user?.username ?? "system"), \(bind: Timestamp.now()), NULL, NULL)
                """).run()
            return id
        }
        kick()
        return id
    }

    /// Runs again what a stopped server left queued or running.
    package func resume() async throws {
        try await database.transaction { db in
            try await db.raw("UPDATE jobs SET status = 'queued', message = 'Tiếp tục sau khi khởi động lại' WHERE status = 'running'").run()
        }
        kick()
    }

    /// Waits until no job is queued or running (tests, benchmarks, the command line).
    package func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLockedValue { s -> Bool in
                if s.worker == nil { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// The newest jobs, for the page that shows their progress.
    package func recent(_ db: any SQLDatabase, limit: Int = 10) async throws -> [JobRecord] {
        try await db.raw("SELECT \(unsafeRaw: JobRecord.columns) FROM jobs ORDER BY created_at DESC LIMIT \(literal: limit)")
            .all(decoding: JobRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    private func kick() {
        state.withLockedValue { s in
            s.pending = true
            guard s.worker == nil else { return }
            s.worker = Task { [self] in await self.work() }
        }
    }

    private func work() async {
        while true {
            state.withLockedValue { $0.pending = false }
            let next: (id: String, kind: String)?
            do {
                next = try await database.transaction { db -> (id: String, kind: String)? in
                    guard let row = try await db.raw("SELECT id, kind FROM jobs WHERE status = 'queued' ORDER BY created_at LIMIT 1").first() else { return nil }
                    let id = try row.decode(column: "id", as: String.self)
                    try await db.raw("UPDATE jobs SET status = 'running', started_at = \(bind: Timestamp.now()) WHERE id = \(bind: id)").run()
                    return (id, try row.decode(column: "kind", as: String.self))
                }
            } catch {
                logger.error("job queue unreadable: \(String(reflecting: error))")
                next = nil
            }
            guard let next else {
                let waiters = state.withLockedValue { s -> [CheckedContinuation<Void, Never>]? in
                    if s.pending { return nil }
                    s.worker = nil
                    defer { s.idleWaiters = [] }
                    return s.idleWaiters
                }
                guard let waiters else { continue }
                for w in waiters { w.resume() }
                return
            }
            let handler = state.withLockedValue { $0.handlers[next.kind] }
            var status = "done", message = ""
            do {
                guard let handler else { throw AppError.notFound }
                message = try await handler(JobContext(id: next.id, database: database))
            } catch {
                status = "failed"
                message = (error as? AppError)?.messageVI ?? "Lỗi hệ thống: công việc chưa hoàn tất; có thể chạy lại."
                logger.error("job \(next.kind) failed: \(String(reflecting: error))")
            }
            let (finalStatus, finalMessage) = (status, message)
            _ = try? await database.transaction { db in
                try await db.raw("UPDATE jobs SET status = \(bind: finalStatus), message = \(bind: finalMessage), finished_at = \(bind: Timestamp.now()) WHERE id = \(bind: next.id)").run()
            }
        }
    }
}
