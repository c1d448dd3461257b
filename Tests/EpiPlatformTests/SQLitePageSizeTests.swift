import Foundation
import Logging
import SQLKit
import Testing
@testable import EpiPlatform

/// New SQLite databases use small pages (the live writes change one entry in many indexes, and a commit
/// logs each page it changed); an office's database created by an earlier version keeps its pages and
/// its records.
@Suite("SQLite page size")
struct SQLitePageSizeTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("epi-pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private func pageSize(_ database: Database) async throws -> Int? {
        try await database.read { try await $0.raw("PRAGMA page_size").first()?.decode(column: "page_size", as: Int.self) }
    }

    @Test func aNewDatabaseIsCreatedWithSmallPagesInWALMode() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try await Database.open(.sqliteFile(dir.appendingPathComponent("new.sqlite").path), logger: Logger(label: "test"))
        try await database.transaction { db in
            try await db.raw("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").run()
            try await db.raw("INSERT INTO notes (body) VALUES ('Phường Phúc Xá: 3 F0 mới')").run()
        }
        #expect(try await pageSize(database) == 1_024)
        let mode = try await database.read { try await $0.raw("PRAGMA journal_mode").first()?.decode(column: "journal_mode", as: String.self) }
        #expect(mode == "wal")
        await database.shutdown()
    }

    @Test func aDatabaseMadeWithLargerPagesKeepsThemAndItsRecords() async throws {
        let dir = try folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("office.sqlite").path
        // An office's database as an earlier version (SQLite's 4 KiB default) left it, with a record in it.
        let old = try await DirectSQLiteConnection.open(path: path, pragmas: ["PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL"], logger: Logger(label: "test"))
        try await old.sql(.offloaded).raw("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").run()
        try await old.sql(.offloaded).raw("INSERT INTO notes (body) VALUES ('Khu phong tỏa ngõ 68 Phúc Xá')").run()
        try await old.close()

        let database = try await Database.open(.sqliteFile(path), logger: Logger(label: "test"))
        #expect(try await pageSize(database) == 4_096)
        try await database.transaction { try await $0.raw("INSERT INTO notes (body) VALUES ('Dỡ phong tỏa ngày 20/09/2021')").run() }
        let bodies = try await database.read { db in
            try await db.raw("SELECT body FROM notes ORDER BY id").all().map { try $0.decode(column: "body", as: String.self) }
        }
        #expect(bodies == ["Khu phong tỏa ngõ 68 Phúc Xá", "Dỡ phong tỏa ngày 20/09/2021"])
        await database.shutdown()
    }
}
