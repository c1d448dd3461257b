import Foundation
import Logging
import SQLKit
import SQLiteKit
import Testing
@testable import EpiPlatform

/// The SQLite driver under every feature: values must come back exactly as they went in, a failed
/// statement must report SQLite's reason and leave the connection usable, and a kept (prepared once)
/// statement must run with each call's own values.
@Suite("SQLite driven through its C API")
struct DirectSQLiteTests {
    struct Row: Codable, Equatable {
        let id: Int
        let name: String
        let score: Double?
        let note: String?
        let born: Date?
        let photo: Data?
        let active: Bool
    }

    private func withDatabase(_ body: (Database) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-direct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = try await Database.open(.sqliteFile(folder.appendingPathComponent("t.sqlite").path), logger: Logger(label: "test"))
        do {
            try await database.transaction { db in
                try await db.raw("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, score REAL, note TEXT, born REAL, photo BLOB, active INTEGER NOT NULL)").run()
            }
            try await body(database)
        } catch {
            await database.shutdown()
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        await database.shutdown()
        try? FileManager.default.removeItem(at: folder)
    }

    @Test func everyKindOfValueComesBackAsWritten() async throws {
        try await withDatabase { database in
            let born = Date(timeIntervalSince1970: 631_152_000)  // 1990-01-01
            let rows = [
                Row(id: 1, name: "Nguyễn Thị Hương", score: 37.5, note: "Phường Hàng Bạc – tổ 3", born: born, photo: Data([0, 1, 2, 255]), active: true),
                Row(id: 2, name: "Trần Văn Đức", score: nil, note: nil, born: nil, photo: nil, active: false),
                Row(id: 3, name: "", score: -0.25, note: "", born: born, photo: Data(), active: true),
            ]
            try await database.transaction { db in
                for row in rows {
                    try await db.insert(into: "people").model(row).run()
                }
            }
            let read = try await database.read { try await $0.select().columns("*").from("people").orderBy("id").all(decoding: Row.self) }
            #expect(read.count == 3)
            #expect(read[0] == rows[0])
            #expect(read[1] == rows[1])
            #expect(read[2].name == "" && read[2].note == "" && read[2].score == -0.25)
            // Inside the writer's transaction (statements on the calling task) the same values are seen.
            let inside = try await database.transaction { try await $0.select().columns("*").from("people").where("id", .equal, 1).first(decoding: Row.self) }
            #expect(inside == rows[0])
        }
    }

    @Test func aFailedStatementSaysWhyAndTheConnectionGoesOn() async throws {
        try await withDatabase { database in
            try await database.transaction { try await $0.raw("INSERT INTO people (name, active) VALUES ('Lê Văn A', 1)").run() }
            await #expect(throws: (any Error).self) {
                try await database.transaction { try await $0.raw("INSERT INTO people (name, active) VALUES ('Lê Văn A', 1)").run() }
            }
            do {
                try await database.transaction { try await $0.raw("INSERT INTO people (name, active) VALUES ('Lê Văn A', 1)").run() }
                Issue.record("a duplicate name was stored")
            } catch {
                #expect(String(describing: error).contains("UNIQUE constraint failed: people.name"))
            }
            await #expect(throws: (any Error).self) {
                try await database.read { try await $0.raw("SELECT nope FROM people").all() }
            }
            // A transaction that fails part-way leaves nothing behind.
            await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await db.raw("INSERT INTO people (name, active) VALUES ('Phạm B', 1)").run()
                    try await db.raw("INSERT INTO people (name, active) VALUES ('Lê Văn A', 1)").run()
                }
            }
            let names = try await database.read { try await $0.raw("SELECT name FROM people ORDER BY name").all(decodingColumn: "name", as: String.self) }
            #expect(names == ["Lê Văn A"])
        }
    }

    @Test func aKeptStatementRunsWithEachCallsValues() async throws {
        try await withDatabase { database in
            try await database.transaction { db in
                for index in 1...300 {
                    try await db.raw("INSERT INTO people (name, score, active) VALUES (\(bind: "P\(index)"), \(bind: Double(index)), 1)").run()
                }
            }
            for index in [7, 150, 300, 7] {
                let score = try await database.read {
                    try await $0.raw("SELECT score FROM people WHERE name = \(bind: "P\(index)")").first(decodingColumn: "score", as: Double.self)
                }
                #expect(score == Double(index))
            }
            // A statement too long to keep runs all the same.
            let many = (1...150_000).map { _ in "0" }.joined(separator: ",")
            let count = try await database.read {
                try await $0.raw("SELECT COUNT(*) AS n FROM people WHERE id NOT IN (\(unsafeRaw: many))").first(decodingColumn: "n", as: Int.self)
            }
            #expect(count == 300)
        }
    }

    @Test func aValueBindsAsSQLiteKitWouldBindIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-direct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let connection = try await DirectSQLiteConnection.open(path: folder.appendingPathComponent("b.sqlite").path, pragmas: [], logger: Logger(label: "test"))
        let values: [any Encodable & Sendable] = [
            "Hà Nội", "", 0, -7, Int.max, true, false, 2.5, -0.0,
            String?.some("Đống Đa"), String?.none, Int?.some(42), Int?.none, Bool?.some(true), Bool?.none, Double?.some(1.25), Double?.none,
            Date(timeIntervalSince1970: 1_631_664_000), Date?.none, Data([1, 2, 3]), UUID(uuidString: "00000000-0000-0000-0000-000000000001"), Int64(9), ["a", "b"],
        ]
        for value in values {
            #expect(try connection.sqliteValue(value) == SQLiteDataEncoder().encode(value), "\(value)")
        }
        try await connection.close()
    }

    /// Text and whole numbers are read as String, Int and their optionals without SQLiteKit's decoder;
    /// every pairing must give exactly what the decoder gives, a value, nil, or a refusal.
    @Test func aColumnReadsAsSQLiteKitWouldReadIt() {
        let values: [SQLiteData] = [.text("Hà Nội"), .text(""), .text("42"), .integer(0), .integer(-7), .integer(Int.max), .float(2.5), .null]
        let columns = values.indices.map { "c\($0)" }
        let row = DirectSQLiteRow(columns: DirectSQLiteColumns(names: columns), values: values, decoder: SQLiteDataDecoder())
        func same<D: Decodable & Equatable>(_ type: D.Type) {
            for (offset, value) in values.enumerated() {
                let ours = Result { try row.decode(column: "c\(offset)", as: D.self) }
                let theirs = Result { try SQLiteDataDecoder().decode(D.self, from: value) }
                switch (ours, theirs) {
                case (.success(let a), .success(let b)): #expect(a == b, "\(value) as \(D.self)")
                case (.failure, .failure): break
                default: Issue.record("\(value) as \(D.self): ours \(ours), SQLiteKit's \(theirs)")
                }
            }
        }
        same(String.self)
        same(String?.self)
        same(Int.self)
        same(Int?.self)
        same(Double?.self)
        same(Bool.self)
    }

    @Test func aFileThatIsNotADatabaseIsRefusedWithSQLitesReason() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-direct-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("notes.sqlite").path
        let text = String(repeating: "Danh sách F0 phường Minh Khai, không phải cơ sở dữ liệu.\n", count: 200)
        #expect(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        do {
            let database = try await Database.open(.sqliteFile(path), logger: Logger(label: "test"))
            await database.shutdown()
            Issue.record("a text file was opened as a database")
        } catch {
            #expect(String(describing: error).contains("not a database"))
        }
        // The file is left as it was.
        #expect(FileManager.default.contents(atPath: path) == Data(text.utf8))
    }
}
