import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import SQLiteNIO

/// Which SQL engine a `Database` talks to; a few queries differ by dialect.
package enum DatabaseKind: String, Sendable {
    case sqlite
    case postgres
}

/// Where the data lives: an embedded SQLite file or a PostgreSQL server.
package enum DatabaseLocation: Sendable, Equatable {
    case sqliteFile(String)
    case postgres(url: String)
}

/// The one handle to the database that every feature receives.
///
/// Reads run on a small pool of connections; writes run inside a transaction. On SQLite,
/// writes are funnelled through a single connection with `BEGIN IMMEDIATE`, because SQLite
/// admits one writer at a time and a deferred transaction that later upgrades to a write lock
/// can fail with SQLITE_BUSY no matter how long it waits. SQLite connections are driven through its C API
/// (`DirectSQLiteConnection`): the writer's statements run on the calling task, reads as one thread-pool job each.
package final class Database: Sendable {
    package let kind: DatabaseKind
    private let backend: Backend
    /// API tokens resolved recently against this database (see `TokenCache` for the bound on staleness).
    package let tokens = TokenCache()

    private enum Backend: Sendable {
        case sqlite(readers: ConnectionPool<DirectSQLiteConnection>, writer: ConnectionPool<DirectSQLiteConnection>, checkpointer: WALCheckpointer)
        case postgres(PostgresClient, Task<Void, Never>)
    }

    private init(kind: DatabaseKind, backend: Backend) {
        self.kind = kind
        self.backend = backend
    }

    /// Opens the database and configures it (WAL mode and pragmas on SQLite).
    package static func open(_ location: DatabaseLocation, logger: Logger, readers: Int = 4) async throws -> Database {
        switch location {
        case .sqliteFile(let path):
            var connections: [DirectSQLiteConnection] = []
            for _ in 0..<(readers + 1) {
                connections.append(try await DirectSQLiteConnection.open(path: path, pragmas: sqlitePragmas, logger: logger))
            }
            let writer = ConnectionPool([connections.removeFirst()])
            let checkpointer = try await WALCheckpointer.start(path: path, logger: logger)
            return Database(kind: .sqlite, backend: .sqlite(readers: ConnectionPool(connections), writer: writer, checkpointer: checkpointer))
        case .postgres(let url):
            let sqlConfig = try SQLPostgresConfiguration(url: url)
            let core = sqlConfig.coreConfiguration
            var config = PostgresClient.Configuration(
                host: core.host ?? "127.0.0.1",
                port: core.port ?? 5432,
                username: core.username,
                password: core.password,
                database: core.database,
                tls: url.contains("sslmode=require") ? .require(.makeClientConfiguration()) : .disable
            )
            config.options.maximumConnections = 16
            let client = PostgresClient(configuration: config, backgroundLogger: logger)
            let task = Task { await client.run() }
            let database = Database(kind: .postgres, backend: .postgres(client, task))
            // Fail fast with a clear message when the server is unreachable.
            _ = try await database.read { try await $0.raw("SELECT 1 AS one").all() }
            return database
        }
    }

    /// Runs `body` with a connection for reading.
    package func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(let readers, _, _):
            return try await readers.with { try await body($0.sql(.offloaded)) }
        case .postgres(let client, _):
            return try await client.withConnection { try await body($0.sql(queryLogLevel: nil)) }
        }
    }

    /// Runs `body` inside one transaction: all of it is applied, or none of it.
    package func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let writer, _):
            return try await writer.with { try await Self.inTransaction($0.sql(.inline), begin: "BEGIN IMMEDIATE", body) }
        case .postgres(let client, _):
            return try await client.withConnection { try await Self.inTransaction($0.sql(queryLogLevel: nil), begin: "BEGIN", body) }
        }
    }

    private static func inTransaction<T: Sendable>(_ db: any SQLDatabase, begin: String, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await db.raw("\(unsafeRaw: begin)").run()
        do {
            let result = try await body(db)
            try await db.raw("COMMIT").run()
            return result
        } catch {
            try? await db.raw("ROLLBACK").run()
            throw error
        }
    }

    /// Closes every connection.
    package func shutdown() async {
        switch backend {
        case .sqlite(let readers, let writer, let checkpointer):
            await checkpointer.stop()
            for connection in await readers.drain() + writer.drain() {
                try? await connection.close()
            }
        case .postgres(_, let task):
            task.cancel()
            _ = await task.value
        }
    }

    /// How many times a write has had to wait for SQLite's single writer since the database was
    /// opened; a long task compares two readings to learn whether others need the writer meanwhile.
    /// Always 0 on PostgreSQL, whose writers do not queue behind one another.
    package func writerWaits() async -> Int {
        switch backend {
        case .sqlite(_, let writer, _): await writer.waits()
        case .postgres: 0
        }
    }

    /// Each SQLite connection's page cache (negative: KiB).
    private static let cacheKiB = -65_536

    /// What every SQLite connection is opened with; `bench testing --ceiling` gives sqlite3 the same.
    package static let sqlitePragmas = [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA busy_timeout = 10000",
        "PRAGMA cache_size = \(cacheKiB)",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA wal_autocheckpoint = \(WALCheckpointer.backstopPages)",
        "PRAGMA journal_size_limit = \(WALCheckpointer.logSizeLimit)",
    ]

    /// SQLite-only knobs for bulk loads: a larger page cache for the writer.
    package func prepareForBulkLoad() async throws {
        guard kind == .sqlite else { return }
        try await transactionless { db in
            try await db.raw("PRAGMA cache_size = -524288").run()
        }
    }

    /// Back to the everyday cache once a bulk load is over. A large cache costs every commit: SQLite
    /// walks the cache's whole hash table when a transaction ends, about a fifth of the writer's time
    /// with 512 MiB while lab results arrived one message group at a time.
    package func finishBulkLoad() async throws {
        guard kind == .sqlite else { return }
        try await transactionless { db in
            try await db.raw("PRAGMA cache_size = \(unsafeRaw: String(Self.cacheKiB))").run()
        }
    }

    /// Runs a statement outside a transaction on the writer (pragmas, VACUUM INTO).
    package func transactionless<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite(_, let writer, _):
            return try await writer.with { try await body($0.sql(.offloaded)) }
        case .postgres(let client, _):
            return try await client.withConnection { try await body($0.sql(queryLogLevel: nil)) }
        }
    }
}

/// A minimal async pool of already-open connections.
final class ConnectionPool<Connection: Sendable>: Sendable {
    private let state: PoolState<Connection>

    init(_ connections: [Connection]) {
        self.state = PoolState(connections)
    }

    func with<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let connection = await state.acquire()
        do {
            let result = try await body(connection)
            await state.release(connection)
            return result
        } catch {
            await state.release(connection)
            throw error
        }
    }

    func drain() async -> [Connection] {
        await state.drain()
    }

    /// How many times a caller has had to wait for a connection so far.
    func waits() async -> Int {
        await state.waits
    }
}

private actor PoolState<Connection: Sendable> {
    private var idle: [Connection]
    private var waiters: [CheckedContinuation<Connection, Never>] = []
    private(set) var waits = 0

    init(_ connections: [Connection]) {
        self.idle = connections
    }

    func acquire() async -> Connection {
        if let connection = idle.popLast() {
            return connection
        }
        waits += 1
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ connection: Connection) {
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            waiters.removeFirst().resume(returning: connection)
        }
    }

    func drain() -> [Connection] {
        defer { idle = [] }
        return idle
    }
}
