import SQLKit

/// One value of a row given to `BulkInsert`: the kinds of value our tables store.
package enum SQLCell: Sendable, Equatable {
    case text(String)
    case integer(Int)
    case real(Double)
    case boolean(Bool)
    case null

    package init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    package init(_ number: Int?) { self = number.map { .integer($0) } ?? .null }
    package init(_ flag: Bool?) { self = flag.map { .boolean($0) } ?? .null }

    /// The same value as SQLKit binds it (PostgreSQL, and SQLite reached through anything but our driver).
    var bind: any SQLExpression {
        switch self {
        case .text(let value): SQLBind(value)
        case .integer(let value): SQLBind(value)
        case .real(let value): SQLBind(value)
        case .boolean(let value): SQLBind(value)
        case .null: SQLLiteral.null
        }
    }
}

/// Many rows into one table, where a row that collides with a unique key is skipped, and the caller
/// learns which rows were written: imports and uploads that must add a re-sent row nothing.
///
/// On SQLite through `DirectSQLiteConnection`, one single-row statement is prepared once and run per
/// row, as sqlite3's own `.import` does: no SQL text to build, serialize and parse per chunk, and no
/// `RETURNING` rows to decode (SQLite says how many rows each run changed). That path was 7 % of a dose
/// import's time in SQLKit's serializer alone. Elsewhere (PostgreSQL) the rows go as multi-row
/// statements through SQLKit, with `RETURNING` naming the rows written.
package struct BulkInsert: Sendable {
    package let table: String
    package let columns: [String]
    /// The unique key a row may collide with (`ON CONFLICT (…) DO NOTHING`); none for rows that cannot collide.
    package let conflictKey: [String]
    /// A text column whose value is unique per row given (the new row's id): what PostgreSQL's `RETURNING`
    /// names, matched back to the rows given.
    package let idColumn: String

    /// The statement's text around its values, and SQLite's single-row statement: built once, as quoting
    /// every name again on each call was a measurable part of a lab result group's write.
    private let head: String
    private let tail: String
    private let singleRow: String
    private let quotedID: String

    package init(into table: String, columns: [String], skippingConflictsOn conflictKey: [String], idColumn: String) {
        self.table = table
        self.columns = columns
        self.conflictKey = conflictKey
        self.idColumn = idColumn
        func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        head = "INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES "
        tail = conflictKey.isEmpty ? "" : " ON CONFLICT (\(conflictKey.map(quoted).joined(separator: ", "))) DO NOTHING"
        singleRow = head + "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")" + tail
        quotedID = quoted(idColumn)
    }

    /// Rows that cannot collide (fresh ids, such as audit rows): every row is written, or the call fails.
    package init(into table: String, columns: [String]) {
        self.init(into: table, columns: columns, skippingConflictsOn: [], idColumn: columns.first ?? "")
    }

    /// Inserts the rows whose values `cells` holds one after another (`columns.count` per row) and
    /// returns, for each row, whether it was written; a row that collides with a row already stored, or
    /// with an earlier row of the same call, is not.
    package func run(_ db: any SQLDatabase, cells: [SQLCell]) async throws -> [Bool] {
        let width = columns.count
        guard width > 0, cells.count % width == 0, let idIndex = columns.firstIndex(of: idColumn) else {
            throw BulkInsertMisuse(description: "\(cells.count) values for \(width) columns into \(table), id column \(idColumn)")
        }
        let rowCount = cells.count / width
        guard rowCount > 0 else { return [] }
        // A row whose id is not text could not be matched to a `RETURNING` row and would read as skipped.
        if !conflictKey.isEmpty, let row = (0..<rowCount).first(where: { if case .text = cells[$0 * width + idIndex] { false } else { true } }) {
            throw BulkInsertMisuse(description: "row \(row) into \(table) has no text in its id column \(idColumn)")
        }
        if let direct = db as? DirectSQLiteDatabase {
            return try await direct.connection.runEach(singleRow, cells: cells, width: width, mode: direct.mode)
        }
        // PostgreSQL allows 65,535 binds per statement, SQLite 32,766: stay under the smaller.
        let rowsPerStatement = max(1, 30_000 / width)
        var written = [Bool](repeating: false, count: rowCount)
        for first in stride(from: 0, to: rowCount, by: rowsPerStatement) {
            let last = min(first + rowsPerStatement, rowCount)
            let tuples = (first..<last).map { row in
                SQLGroupExpression(SQLList((0..<width).map { cells[row * width + $0].bind }))
            }
            guard !conflictKey.isEmpty else {
                try await db.raw("\(unsafeRaw: head)\(SQLList(tuples))").run()
                written.replaceSubrange(first..<last, with: repeatElement(true, count: last - first))
                continue
            }
            var ids: [String: Int] = [:]
            for row in try await db.raw("\(unsafeRaw: head)\(SQLList(tuples))\(unsafeRaw: tail) RETURNING \(unsafeRaw: quotedID)").all() {
                ids[try row.decode(column: idColumn, as: String.self), default: 0] += 1
            }
            // A returned id marks the first row that carried it: a later row with the same id collided.
            for row in first..<last {
                guard case .text(let id) = cells[row * width + idIndex], let left = ids[id], left > 0 else { continue }
                ids[id] = left - 1
                written[row] = true
            }
        }
        return written
    }
}

/// A call that gives values not fitting its columns: a programming error, reported rather than trapped.
struct BulkInsertMisuse: Error, CustomStringConvertible {
    let description: String
}
