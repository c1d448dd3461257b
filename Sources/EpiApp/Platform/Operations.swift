import EpiCore
import Foundation
import SQLKit

extension Database {
    /// Refreshes planner statistics after bulk loads so scoped and city-wide queries pick the right index.
    public func analyze() async throws {
        try await transactionless { db in
            try await db.raw("ANALYZE").run()
        }
    }
}

/// Online copies of the embedded database.
public enum BackupTool {
    /// `VACUUM INTO` writes a consistent, compacted copy while the server keeps running.
    public static func sqliteCopy(_ database: Database, to path: String) async throws {
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

/// Command-line imports and exports run as a named user, with the same checks as the web.
public enum CLIImport {
    static func user(_ services: AppServices, username: String) async throws -> CurrentUser {
        let row = try await services.database.read { db in
            try await db.raw("SELECT id, username, display_name, role, unit_path, active FROM users WHERE username = \(bind: username.lowercased())")
                .first(decoding: UserRow.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        guard let row else { throw AppError.invalid("Không có người dùng \(username).", "No user \(username).") }
        return try row.currentUser()
    }

    public static func run(_ services: AppServices, bytes: [UInt8], filename: String, unit: String, username: String,
                           progress: (@Sendable (Int) -> Void)? = nil) async throws -> ImportReport {
        let user = try await user(services, username: username)
        guard let ward = try await PersonService(database: services.database, directory: services.directory).resolveUnit(unit, user: user) else {
            throw AppError.invalid("\(unit) không phải phường/xã trong địa bàn của \(username).", "\(unit) is not a ward within \(username)'s jurisdiction.")
        }
        var importer = ResidentImporter(services: services)
        importer.progress = progress
        return try await importer.run(bytes: bytes, filename: filename, ward: ward, user: user)
    }

    public static func export(_ services: AppServices, unit: String, out: String?) async throws -> Int {
        let path = try UnitPath(unit.replacingOccurrences(of: ".", with: "/"))
        let operator_ = CurrentUser(id: "cli", username: "cli", displayName: "cli", role: .cityCommand, unitPath: path)
        let scope = try await Scope.of(operator_, directory: services.directory)
        var text = ""
        let n = try await ResidentExport.csv(services.database, scope: scope, statuses: [.temporary, .shortStay]) { text += $0 }
        if let out { try text.write(toFile: out, atomically: true, encoding: .utf8) } else { print(text, terminator: "") }
        try await services.database.transaction { db in
            try await Audit.record(db, actor: nil, actorName: "cli", action: "export", entityType: "residents", entityId: nil, unitPath: path, summary: "Xuất \(n) người từ dòng lệnh")
        }
        return n
    }
}
