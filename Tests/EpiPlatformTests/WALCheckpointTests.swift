import Foundation
import Logging
import SQLKit
import Testing
@testable import EpiPlatform

/// What is committed reaches the database file itself within moments, not only its write-ahead log:
/// SQLite alone would leave a small write in the log until 1,000 pages had gathered, and a copy of the
/// file without its `-wal` companion would miss it.
@Suite("SQLite's log copied back in the background")
struct WALCheckpointTests {
    @Test func aSmallCommitReachesTheFileWithinSeconds() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("live.sqlite").path
        let database = try await Database.open(.sqliteFile(path), logger: Logger(label: "test"))
        try await database.transaction { db in
            try await db.raw("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").run()
            try await db.raw("INSERT INTO notes (body) VALUES ('Ca F0 mới ở phường Phúc Xá')").run()
        }
        // The log holds the write now; a copy of the main file alone shows it once a checkpoint has run.
        var found: String?
        // Passes run every 200 ms; the long deadline only matters when the whole suite crowds the two cores
        // (a run under load once missed 10 s), and a checkpointer that never runs still fails.
        let deadline = Date().addingTimeInterval(30)
        var attempt = 0
        while found == nil, Date() < deadline {
            attempt += 1
            try await Task.sleep(for: .milliseconds(100))
            let copy = folder.appendingPathComponent("copy-\(attempt).sqlite").path
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let copied = try await Database.open(.sqliteFile(copy), logger: Logger(label: "test"))
            // Before the first checkpoint the copy has no table yet (or, caught mid-copy, cannot be read): try again.
            found = try? await copied.read { db in
                try await db.raw("SELECT body FROM notes").first()?.decode(column: "body", as: String.self)
            }
            await copied.shutdown()
        }
        #expect(found == "Ca F0 mới ở phường Phúc Xá")
        // The live database keeps working after (and during) the background passes.
        let count = try await database.read { try await $0.raw("SELECT COUNT(*) AS n FROM notes").first()?.decode(column: "n", as: Int.self) }
        #expect(count == 1)
        await database.shutdown()
    }

    /// Under steady writing the log starts over only when the writer's backstop checkpoint runs, with the
    /// file at its largest; a size limit below that would cut the file at every restart and make the writer
    /// grow it again block by block (a quarter of its time under load). The limit must stay above it.
    @Test func theLogFileIsNotCutBelowWhatTheBackstopLetsItReach() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await Database.open(.sqliteFile(folder.appendingPathComponent("live.sqlite").path), logger: Logger(label: "test"))
        let (limit, backstop, pageSize) = try await database.transactionless { db in
            (try await db.raw("PRAGMA journal_size_limit").first()?.decode(column: "journal_size_limit", as: Int.self) ?? -1,
             try await db.raw("PRAGMA wal_autocheckpoint").first()?.decode(column: "wal_autocheckpoint", as: Int.self) ?? 0,
             try await db.raw("PRAGMA page_size").first()?.decode(column: "page_size", as: Int.self) ?? 0)
        }
        await database.shutdown()
        #expect(backstop == WALCheckpointer.backstopPages)
        // Each frame of the log is a page and a 24-byte header, after a 32-byte file header.
        let largest = 32 + backstop * (pageSize + 24)
        #expect(limit > largest, "journal_size_limit \(limit) must exceed the log's \(largest) bytes at the backstop")
        // Bounded all the same: a log grown far past the backstop (a reader holding an old snapshot) is cut back.
        #expect(limit > 0 && limit < 2 * largest)
    }
}
