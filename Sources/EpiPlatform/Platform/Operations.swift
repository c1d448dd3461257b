import EpiCore
import Foundation
import SQLKit

extension Database {
    /// Refreshes planner statistics after bulk loads so scoped and city-wide queries pick the right index.
    package func analyze() async throws {
        try await transactionless { db in
            try await db.raw("ANALYZE").run()
        }
    }

    /// Refreshes one table's statistics after a large import while others keep working. On SQLite
    /// ANALYZE holds the single writer, and a full one over two million people and their audit rows
    /// stalled every person view for seconds; sampling each index (`analysis_limit`, as SQLite's own
    /// `PRAGMA optimize` does) takes milliseconds and gives the planner the same choices.
    package func refreshStatistics(of table: String) async throws {
        try await transactionless { db in
            switch kind {
            case .sqlite:
                try await db.raw("PRAGMA analysis_limit = 1000").run()
                do { try await db.raw("ANALYZE \(ident: table)").run() } catch {
                    try? await db.raw("PRAGMA analysis_limit = 0").run()
                    throw error
                }
                try await db.raw("PRAGMA analysis_limit = 0").run()
            case .postgres:
                // PostgreSQL samples anyway and takes no lock that stops writers.
                try await db.raw("ANALYZE \(ident: table)").run()
            }
        }
    }
}

/// Online copies of the embedded database.
package enum BackupTool {
    /// `VACUUM INTO` writes a consistent, compacted copy while the server keeps running.
    package static func sqliteCopy(_ database: Database, to path: String) async throws {
        guard database.kind == .sqlite else {
            throw AppError.invalid("Với PostgreSQL hãy dùng pg_dump (xem docs/backup.md).", "On PostgreSQL use pg_dump (see docs/backup.md).")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw AppError.invalid("Tệp \(path) đã tồn tại.", "\(path) already exists.")
        }
        try await database.transactionless { db in
            try await db.raw("VACUUM INTO \(bind: path)").run()
        }
    }
}
