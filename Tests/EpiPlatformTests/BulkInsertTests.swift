import Foundation
import Logging
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiTestSupport

/// Imports and uploads write through `BulkInsert`: each row must be stored exactly as given, a row that
/// collides with a stored row or an earlier row of the same call must be skipped and reported as such
/// (that is how a re-sent file adds nothing), on both databases.
@Suite("Many rows into one table, collisions skipped")
struct BulkInsertTests {
    struct Stored: Decodable, Equatable {
        let id: String
        let person: String
        let dose: Int
        let note: String?
        let weight: Double?
    }

    static let insert = BulkInsert(into: "doses", columns: ["id", "person", "dose", "note", "weight"], skippingConflictsOn: ["person", "dose"], idColumn: "id")

    private func withTable(_ dialect: Dialect, _ body: (Database) async throws -> Void) async throws {
        let location = try await TestDatabase.make(dialect)
        let database = try await Database.open(location.location, logger: Logger(label: "test"))
        do {
            try await database.transaction { db in
                try await db.raw("CREATE TABLE doses (id TEXT PRIMARY KEY, person TEXT NOT NULL, dose INTEGER NOT NULL, note TEXT, weight DOUBLE PRECISION)").run()
                try await db.raw("CREATE UNIQUE INDEX doses_once ON doses (person, dose)").run()
            }
            try await body(database)
        } catch {
            await database.shutdown()
            try? await location.cleanup()
            throw error
        }
        await database.shutdown()
        try await location.cleanup()
    }

    private func cells(_ rows: [Stored]) -> [SQLCell] {
        rows.flatMap { [.text($0.id), .text($0.person), .integer($0.dose), SQLCell($0.note), $0.weight.map { .real($0) } ?? .null] }
    }

    private func stored(_ database: Database) async throws -> [Stored] {
        try await database.read { try await $0.raw("SELECT id, person, dose, note, weight FROM doses ORDER BY id").all(decoding: Stored.self) }
    }

    @Test(arguments: Dialect.enabled)
    func rowsAreStoredAsGivenAndCollisionsAreSkipped(_ dialect: Dialect) async throws {
        try await withTable(dialect) { database in
            let rows = [
                Stored(id: "a1", person: "Nguyễn Thị Hương", dose: 1, note: "Phường Hàng Bạc – tổ 3", weight: 52.5),
                Stored(id: "a2", person: "Trần Văn Đức", dose: 1, note: nil, weight: nil),
                Stored(id: "a3", person: "Nguyễn Thị Hương", dose: 1, note: "the same person and dose again", weight: nil),  // collides with a1
                Stored(id: "a4", person: "Nguyễn Thị Hương", dose: 2, note: "", weight: -0.25),
                Stored(id: "a5", person: "Trần Văn Đức", dose: 1, note: "sent twice in one file", weight: nil),  // collides with a2
            ]
            let written = try await database.transaction { try await Self.insert.run($0, cells: cells(rows)) }
            #expect(written == [true, true, false, true, false])
            #expect(try await stored(database) == [rows[0], rows[1], rows[3]])
            // The same rows again (a re-sent file) write nothing and change nothing.
            let again = try await database.transaction { try await Self.insert.run($0, cells: cells(rows)) }
            #expect(again == [false, false, false, false, false])
            #expect(try await stored(database) == [rows[0], rows[1], rows[3]])
            // Keyed on the id itself (as the checkpoint log is): a repeated id is skipped, the first row kept.
            let byID = BulkInsert(into: "doses", columns: Self.insert.columns, skippingConflictsOn: ["id"], idColumn: "id")
            let uploads = [
                Stored(id: "u1", person: "Lê Văn Khách", dose: 1, note: "first", weight: nil),
                Stored(id: "u1", person: "Lê Văn Khách", dose: 2, note: "the same id again", weight: nil),
                Stored(id: "a1", person: "Đỗ Thị Mai", dose: 1, note: "an id already stored", weight: nil),
                Stored(id: "u2", person: "Đỗ Thị Mai", dose: 1, note: nil, weight: 61),
            ]
            let uploaded = try await database.transaction { try await byID.run($0, cells: cells(uploads)) }
            #expect(uploaded == [true, false, false, true])
            #expect(try await stored(database) == [rows[0], rows[1], rows[3], uploads[0], uploads[3]])
        }
    }

    /// More rows than one statement, or one slice of the SQLite path, holds: each is reported in its place.
    @Test(arguments: Dialect.enabled)
    func largeBatchesReportEveryRowInItsPlace(_ dialect: Dialect) async throws {
        try await withTable(dialect) { database in
            let first = (0..<5_000).map { Stored(id: String(format: "b%05d", $0), person: "p\($0 % 4_000)", dose: $0 / 4_000 + 1, note: nil, weight: nil) }
            let firstWritten = try await database.transaction { try await Self.insert.run($0, cells: cells(first)) }
            #expect(firstWritten.allSatisfy { $0 })
            // Half new, half colliding by key, interleaved, across the 6,000-row statements and 256-row slices.
            let second = (0..<14_000).map { n in
                n.isMultiple(of: 2)
                    ? Stored(id: String(format: "c%05d", n), person: "p\(n / 2 % 4_000)", dose: n / 2 / 4_000 + 1, note: "again", weight: nil)
                    : Stored(id: String(format: "d%05d", n), person: "q\(n)", dose: 1, note: "new", weight: Double(n))
            }
            let secondWritten = try await database.transaction { try await Self.insert.run($0, cells: cells(second)) }
            #expect(secondWritten.count == second.count)
            #expect(secondWritten.enumerated().allSatisfy { $0.element == (!$0.offset.isMultiple(of: 2) || $0.offset / 2 >= 5_000) })
            let count = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM doses").first()?.decode(column: "n", as: Int.self) }
            #expect(count == 5_000 + 7_000 + 2_000)
        }
    }

    /// A batch whose row fails (here a NULL in a NOT NULL column) leaves nothing of itself behind.
    @Test(arguments: Dialect.enabled)
    func aFailingRowFailsTheWholeTransaction(_ dialect: Dialect) async throws {
        try await withTable(dialect) { database in
            let good = cells([Stored(id: "e1", person: "Phạm Thị Lan", dose: 1, note: nil, weight: nil)])
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await Self.insert.run($0, cells: good + [.text("e2"), .null, .integer(1), .null, .null]) }
            }
            let left = try await stored(database)
            #expect(left.isEmpty)
            // Values that do not fill whole rows, or a row without a text id, are refused before anything is sent.
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await Self.insert.run($0, cells: good + [.text("e3")]) }
            }
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await Self.insert.run($0, cells: good + [.integer(4), .text("Lê Văn Khách"), .integer(1), .null, .null]) }
            }
            let written = try await database.transaction { try await Self.insert.run($0, cells: good) }
            #expect(written == [true])
        }
    }

    /// Rows that cannot collide (audit rows) are all written; a collision there is a fault and fails the call.
    @Test(arguments: Dialect.enabled)
    func plainRowsAreAllWrittenAndACollisionFails(_ dialect: Dialect) async throws {
        try await withTable(dialect) { database in
            let plain = BulkInsert(into: "doses", columns: Self.insert.columns)
            let rows = (0..<7_000).map { Stored(id: "f\($0)", person: "Vũ Thị \($0)", dose: 1, note: nil, weight: nil) }
            let written = try await database.transaction { try await plain.run($0, cells: cells(rows)) }
            #expect(written.count == 7_000 && written.allSatisfy { $0 })
            #expect(try await stored(database).count == 7_000)
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await plain.run($0, cells: cells([rows[0]])) }
            }
        }
    }
}
