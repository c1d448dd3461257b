import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// Command-line imports and exports run as a named user, with the same checks as the web.
package enum CLIImport {
    package static func user(_ services: AppServices, username: String) async throws -> CurrentUser {
        let row = try await services.database.read { db in
            try await db.raw("SELECT id, username, display_name, role, unit_path, active FROM users WHERE username = \(bind: username.lowercased())")
                .first(decoding: UserRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        guard let row else { throw AppError.invalid("Không có người dùng \(username).", "No user \(username).") }
        return try row.currentUser()
    }

    package static func run(_ services: AppServices, bytes: [UInt8], filename: String, unit: String, username: String,
                           progress: (@Sendable (Int) -> Void)? = nil) async throws -> ImportReport {
        let user = try await user(services, username: username)
        guard let ward = try await PersonService(database: services.database, directory: services.directory).resolveUnit(unit, user: user) else {
            throw AppError.invalid("\(unit) không phải phường/xã trong địa bàn của \(username).", "\(unit) is not a ward within \(username)'s jurisdiction.")
        }
        var importer = ResidentImporter(services: services)
        importer.progress = progress
        return try await importer.run(bytes: bytes, filename: filename, ward: ward, user: user)
    }

    package static func export(_ services: AppServices, unit: String, out: String?) async throws -> Int {
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
