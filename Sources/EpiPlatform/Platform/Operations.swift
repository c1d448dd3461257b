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
