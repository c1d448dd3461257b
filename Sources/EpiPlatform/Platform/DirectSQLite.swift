import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import VaporCSQLite

/// One SQLite connection driven through SQLite's C API, behind SQLKit's `SQLDatabase`.
///
/// SQLiteNIO runs each statement as a job on its thread pool and hands each row back through an event
/// loop: at least two thread hops per statement and one more per row. Under load every hop waits behind
/// network work, so a lab result's dozen statements took 4.3 ms on the writer although one statement on
/// the idle writer took 20 µs. Here a statement runs either on the calling thread (`inline`: the writer's
/// short transactions) or as one job on a thread pool that also delivers the rows (`offloaded`: reads and
/// anything that may take long), and each statement is prepared once and reused by its SQL text.
///
/// The same SQLite library, dialect, encoder and decoder as SQLiteKit, so values bind and decode exactly
/// as before; only the way statements are driven differs.
final class DirectSQLiteConnection: @unchecked Sendable {
    /// How a statement is run; see the type's comment.
    enum Mode: Sendable {
        case inline
        case offloaded
    }

    let logger: Logger
    let eventLoop: any EventLoop
    private let threadPool: NIOThreadPool
    private let encoder = SQLiteDataEncoder()
    private let decoder = SQLiteDataDecoder()

    // Guarded by `lock`.
    private let lock = NIOLock()
    private var handle: OpaquePointer?
    private var statements: [String: OpaquePointer] = [:]
    private var cachedSQLBytes = 0
    private var lastYield = ContinuousClock.now

    /// Prepared statements kept at most (their SQL text counts against `cacheBytes` as well).
    private static let cacheCount = 512
    private static let cacheBytes = 8 * 1024 * 1024
    /// A statement longer than this (a many-row INSERT whose row count rarely repeats) is not kept.
    private static let largestCachedSQL = 256 * 1024
    /// An inline caller gives its thread back to other tasks at least this often.
    private static let yieldInterval = Duration.milliseconds(4)

    private static let initialized = NIOLockedValueBox(false)

    private init(handle: OpaquePointer, logger: Logger, threadPool: NIOThreadPool) {
        self.handle = handle
        self.logger = logger
        self.threadPool = threadPool
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
    }

    /// Opens `path` (creating it if needed) with the given pragmas applied in order.
    static func open(path: String, pragmas: [String], logger: Logger, threadPool: NIOThreadPool = .singleton) async throws -> DirectSQLiteConnection {
        let opened: OpenedHandle = try await threadPool.runIfActive {
            // SQLite's global configuration is set up once, before any connection opens.
            initialized.withLockedValue { done in
                if !done {
                    sqlite_nio_sqlite3_initialize()
                    done = true
                }
            }
            var handle: OpaquePointer?
            let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
            let code = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
            guard code == SQLITE_OK, let opened = handle else {
                let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
                sqlite_nio_sqlite3_close(handle)
                throw DirectSQLiteError(code: code, message: "\(message) (\(path))")
            }
            return OpenedHandle(raw: opened)
        }
        let connection = DirectSQLiteConnection(handle: opened.raw, logger: logger, threadPool: threadPool)
        let db = connection.sql(.offloaded)
        do {
            for pragma in pragmas {
                try await db.raw("\(unsafeRaw: pragma)").run()
            }
        } catch {
            // A file that is not a database (or is locked for good) fails here: close it rather than leak it.
            try? await connection.close()
            throw error
        }
        return connection
    }

    /// This connection as an `SQLDatabase` whose statements run in `mode`.
    func sql(_ mode: Mode) -> any SQLDatabase {
        DirectSQLiteDatabase(connection: self, mode: mode)
    }

    /// Finalizes the kept statements and closes the handle; later statements fail with a clear error.
    func close() async throws {
        try await threadPool.runIfActive {
            self.lock.withLock {
                self.dropStatements()
                sqlite_nio_sqlite3_close_v2(self.handle)
                self.handle = nil
            }
        }
    }

    /// Runs one statement; `onRow` is called for each row before this returns.
    func execute(_ query: any SQLExpression, mode: Mode, database: any SQLDatabase, onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, rawBinds) = database.serialize(query)
        let binds = try rawBinds.map { try sqliteValue($0) }
        switch mode {
        case .inline:
            try run(sql, binds, onRow)
            if shouldYield() {
                await Task.yield()
            }
        case .offloaded:
            try await threadPool.runIfActive {
                try self.run(sql, binds, onRow)
            }
        }
    }

    /// Runs the single-row statement `sql` once per row of `cells` (`width` values each) and returns, for
    /// each row, whether it changed a row: an `INSERT … ON CONFLICT DO NOTHING` that was skipped did not.
    /// Inline, the rows go in slices, so the calling thread is given back as often as between statements.
    func runEach(_ sql: String, cells: [SQLCell], width: Int, mode: Mode) async throws -> [Bool] {
        let rowCount = cells.count / width
        switch mode {
        case .offloaded:
            return try await threadPool.runIfActive { try self.runRows(sql, cells, width, 0..<rowCount) }
        case .inline:
            var changed: [Bool] = []
            changed.reserveCapacity(rowCount)
            for first in stride(from: 0, to: rowCount, by: Self.rowsPerSlice) {
                changed += try runRows(sql, cells, width, first..<min(first + Self.rowsPerSlice, rowCount))
                if shouldYield() {
                    await Task.yield()
                }
            }
            return changed
        }
    }

    /// Rows run between two chances to yield: a few milliseconds' work.
    private static let rowsPerSlice = 256

    private func runRows(_ sql: String, _ cells: [SQLCell], _ width: Int, _ rows: Range<Int>) throws -> [Bool] {
        try withStatement(sql, empty: []) { db, statement in
            var changed: [Bool] = []
            changed.reserveCapacity(rows.count)
            for row in rows {
                for column in 0..<width {
                    try bind(cells[row * width + column].sqliteData, at: Int32(column + 1), to: statement, db)
                }
                var code = sqlite_nio_sqlite3_step(statement)
                while code == SQLITE_ROW { code = sqlite_nio_sqlite3_step(statement) }
                guard code == SQLITE_DONE else { throw DirectSQLiteError(code: code, db) }
                changed.append(sqlite_nio_sqlite3_changes64(db) > 0)
                sqlite_nio_sqlite3_reset(statement)
            }
            return changed
        }
    }

    /// A bound value as SQLite data: the common types directly, anything else through SQLiteKit's encoder,
    /// which gives the same data for these but looks up a protocol conformance for every value and goes
    /// through a whole `Encoder` for every optional, a measurable share of an import's time.
    func sqliteValue(_ value: any Encodable & Sendable) throws -> SQLiteData {
        switch value {
        case let text as String: return .text(text)
        case let number as Int: return .integer(number)
        case let flag as Bool: return .integer(flag ? 1 : 0)
        case let number as Double: return .float(number)
        case let text as String?: return text.map { .text($0) } ?? .null
        case let number as Int?: return number.map { .integer($0) } ?? .null
        case let flag as Bool?: return flag.map { .integer($0 ? 1 : 0) } ?? .null
        case let number as Double?: return number.map { .float($0) } ?? .null
        default: return try encoder.encode(value)
        }
    }

    private func shouldYield() -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            guard now - lastYield >= Self.yieldInterval else { return false }
            lastYield = now
            return true
        }
    }

    /// Runs `body` with the connection and the statement for `sql`, under the lock; the statement is reset
    /// (and finalized if not kept) afterwards. SQL of only whitespace or comments gives `empty`.
    private func withStatement<T>(_ sql: String, empty: T, _ body: (_ db: OpaquePointer, _ statement: OpaquePointer) throws -> T) throws -> T {
        try lock.withLock {
            guard let db = handle else {
                throw DirectSQLiteError(code: SQLITE_MISUSE, message: "the database connection is closed")
            }
            guard let (statement, keep) = try prepared(sql, db) else { return empty }
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
                if !keep {
                    sqlite_nio_sqlite3_finalize(statement)
                }
            }
            return try body(db, statement)
        }
    }

    private func run(_ sql: String, _ binds: [SQLiteData], _ onRow: (any SQLRow) -> Void) throws {
        try withStatement(sql, empty: ()) { db, statement in
            for (offset, value) in binds.enumerated() {
                try bind(value, at: Int32(offset + 1), to: statement, db)
            }
            var columns: DirectSQLiteColumns?
            while true {
                let code = sqlite_nio_sqlite3_step(statement)
                if code == SQLITE_DONE { return }
                guard code == SQLITE_ROW else { throw DirectSQLiteError(code: code, db) }
                let names = columns ?? DirectSQLiteColumns(statement)
                columns = names
                var values: [SQLiteData] = []
                values.reserveCapacity(names.names.count)
                for index in 0..<Int32(names.names.count) {
                    values.append(try value(statement, index))
                }
                onRow(DirectSQLiteRow(columns: names, values: values, decoder: decoder))
            }
        }
    }

    /// The statement for `sql`, from the cache or newly prepared, and whether it is kept (if it is small
    /// enough); a statement not kept is finalized after its run.
    private func prepared(_ sql: String, _ db: OpaquePointer) throws -> (OpaquePointer, kept: Bool)? {
        if let statement = statements[sql] {
            return (statement, true)
        }
        let size = sql.utf8.count
        let keep = size <= Self.largestCachedSQL
        var statement: OpaquePointer?
        let code = sqlite_nio_sqlite3_prepare_v3(db, sql, -1, keep ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0, &statement, nil)
        guard code == SQLITE_OK else { throw DirectSQLiteError(code: code, db) }
        guard let statement else { return nil }
        if keep {
            if statements.count >= Self.cacheCount || cachedSQLBytes + size > Self.cacheBytes {
                dropStatements()
            }
            statements[sql] = statement
            cachedSQLBytes += size
        }
        return (statement, keep)
    }

    private func dropStatements() {
        for statement in statements.values {
            sqlite_nio_sqlite3_finalize(statement)
        }
        statements = [:]
        cachedSQLBytes = 0
    }

    private func bind(_ value: SQLiteData, at index: Int32, to statement: OpaquePointer, _ db: OpaquePointer) throws {
        let code: Int32
        switch value {
        case .integer(let value):
            code = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(value))
        case .float(let value):
            code = sqlite_nio_sqlite3_bind_double(statement, index, value)
        case .text(let value):
            code = sqlite_nio_sqlite3_bind_text64(statement, index, value, UInt64(value.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .blob(let value):
            code = value.withUnsafeReadableBytes {
                sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient)
            }
        case .null:
            code = sqlite_nio_sqlite3_bind_null(statement, index)
        }
        guard code == SQLITE_OK else { throw DirectSQLiteError(code: code, db) }
    }

    private func value(_ statement: OpaquePointer, _ index: Int32) throws -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER:
            return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT:
            return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            guard let text = sqlite_nio_sqlite3_column_text(statement, index) else {
                throw DirectSQLiteError(code: SQLITE_NOMEM, message: "no text for a text column")
            }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let bytes = sqlite_nio_sqlite3_column_blob(statement, index) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
            }
            return .blob(buffer)
        case SQLITE_NULL:
            return .null
        default:
            throw DirectSQLiteError(code: SQLITE_MISMATCH, message: "unexpected column type")
        }
    }
}

extension SQLCell {
    /// The value as SQLite data, as SQLiteKit's encoder gives it (a Bool is an integer).
    var sqliteData: SQLiteData {
        switch self {
        case .text(let value): .text(value)
        case .integer(let value): .integer(value)
        case .real(let value): .float(value)
        case .boolean(let value): .integer(value ? 1 : 0)
        case .null: .null
        }
    }
}

/// A handle just opened on a pool thread, handed to the connection that owns it from then on.
private struct OpenedHandle: @unchecked Sendable {
    let raw: OpaquePointer
}

/// SQLite's "copy the bytes now" destructor for bound text and blobs.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A failed SQLite call, with SQLite's own message.
struct DirectSQLiteError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    init(code: Int32, _ db: OpaquePointer) {
        self.init(code: code, message: sqlite_nio_sqlite3_errmsg(db).map { String(cString: $0) } ?? "error \(code)")
    }

    var description: String { "SQLite error \(code): \(message)" }
}

/// A statement's column names, shared by all its rows; the first of two equal names wins, as in SQLiteNIO.
final class DirectSQLiteColumns: Sendable {
    let names: [String]
    let index: [String: Int]

    convenience init(_ statement: OpaquePointer) {
        let count = Int(sqlite_nio_sqlite3_column_count(statement))
        self.init(names: (0..<count).map { offset in
            sqlite_nio_sqlite3_column_name(statement, Int32(offset)).map { String(cString: $0) } ?? ""
        })
    }

    init(names: [String]) {
        self.names = names
        self.index = Dictionary(names.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { first, _ in first })
    }
}

struct DirectSQLiteRow: SQLRow {
    let columns: DirectSQLiteColumns
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns.names }

    func contains(column: String) -> Bool {
        columns.index[column] != nil
    }

    func decodeNil(column: String) throws -> Bool {
        guard let offset = columns.index[column] else { return true }
        return values[offset] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let offset = columns.index[column] else {
            throw DirectSQLiteError(code: SQLITE_RANGE, message: "no column named \(column)")
        }
        let value = values[offset]
        // Text and whole numbers read as String, Int or their optionals directly, with what the decoder
        // would give: it looks up a protocol conformance for every value and goes through a whole
        // `Decoder` for every optional, a measurable part of reading many rows by column.
        switch value {
        case .text(let text) where D.self == String.self || D.self == String?.self:
            if let direct = text as? D { return direct }
        case .integer(let number) where D.self == Int.self || D.self == Int?.self:
            if let direct = number as? D { return direct }
        case .null where D.self == String?.self:
            if let none = String?.none as? D { return none }
        case .null where D.self == Int?.self:
            if let none = Int?.none as? D { return none }
        default:
            break
        }
        return try decoder.decode(D.self, from: value)
    }
}

/// `DirectSQLiteConnection` seen through SQLKit.
struct DirectSQLiteDatabase: SQLDatabase {
    let connection: DirectSQLiteConnection
    let mode: DirectSQLiteConnection.Mode

    var logger: Logger { connection.logger }
    var eventLoop: any EventLoop { connection.eventLoop }
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        promise.completeWithTask {
            try await connection.execute(query, mode: .offloaded, database: self, onRow: onRow)
        }
        return promise.futureResult
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await connection.execute(query, mode: mode, database: self, onRow: onRow)
    }
}
