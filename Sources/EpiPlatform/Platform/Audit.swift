import EpiCore
import Foundation
import SQLKit

/// One field that a change altered, kept as text so the audit row reads the same on both dialects.
package struct FieldChange: Codable, Sendable, Equatable {
    package let field: String
    package let old: String?
    package let new: String?

    package init(_ field: String, old: String?, new: String?) {
        self.field = field
        self.old = old
        self.new = new
    }
}

/// An audit row as read back for history pages and the audit search.
package struct AuditEntry: Codable, Sendable {
    package let id: String
    package let occurredAt: String
    package let userId: String?
    package let username: String
    package let action: String
    package let entityType: String
    package let entityId: String?
    package let unitPath: String?
    package let summary: String
    package let changes: String?

    package var decodedChanges: [FieldChange] {
        guard let changes, let data = changes.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([FieldChange].self, from: data)) ?? []
    }
}

/// Writes the append-only audit trail; called inside the transaction of the change it records.
package enum Audit {
    package static func record(
        _ db: any SQLDatabase,
        actor: CurrentUser?,
        actorName: String? = nil,
        action: String,
        entityType: String,
        entityId: String?,
        unitPath: UnitPath?,
        summary: String,
        changes: [FieldChange] = []
    ) async throws {
        let changesJSON: String? = changes.isEmpty ? nil : String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        try await db.raw("""
            INSERT INTO audit_log (id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes)
            VALUES (\(bind: Identifier.make()), \(bind: Timestamp.now()), \(bind: actor?.id), \(bind: actor?.username ?? actorName ?? "system"),
                    \(bind: action), \(bind: entityType), \(bind: entityId), \(bind: unitPath?.string), \(bind: summary), \(bind: changesJSON))
            """).run()
    }

    /// Records that `user` saw these people's records (a search, a list, a chain, a form filled from
    /// a record) in one statement per 500, in its own transaction: who looked at whom is itself sensitive.
    package static func viewed(_ database: Database, user: CurrentUser, people: [(id: String, unitPath: String)], action: String = "view", summary: String) async throws {
        var seen = Set<String>()
        let unique = people.filter { seen.insert($0.id).inserted }
        guard !unique.isEmpty else { return }
        try await database.transaction { db in
            let at = Timestamp.now()
            for start in stride(from: 0, to: unique.count, by: 500) {
                var insert = db.insert(into: "audit_log").columns("id", "occurred_at", "user_id", "username", "action", "entity_type", "entity_id", "unit_path", "summary", "changes")
                for p in unique[start..<min(start + 500, unique.count)] {
                    insert = insert.values([Identifier.make(), at, user.id, user.username, action, "person", p.id, p.unitPath, summary, nil as String?] as [any Encodable & Sendable])
                }
                try await insert.run()
            }
        }
    }

    /// The history of one record, newest first.
    package static func history(_ db: any SQLDatabase, entityType: String, entityId: String, limit: Int = 200) async throws -> [AuditEntry] {
        try await db.raw("""
            SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes
            FROM audit_log WHERE entity_type = \(bind: entityType) AND entity_id = \(bind: entityId)
            ORDER BY occurred_at DESC, id DESC LIMIT \(unsafeRaw: String(limit))
            """).all(decoding: AuditEntry.self, keyDecodingStrategy: .convertFromSnakeCase)
    }
}
