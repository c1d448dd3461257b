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

/// How an audit row reads for a person: the action as a word, each changed field by its label, and
/// values as people write them (dates dd/mm/yyyy, codes as their labels), in the reader's language.
/// Labels live in the string tables under `audit_action.`, `audit_entity.`, `field.` and, for a
/// field whose values are codes, `<field>.<code>`.
package enum AuditDisplay {
    package static func action(_ code: String, _ language: Language) -> String { Strings.label("audit_action", code, language) }

    package static func entity(_ code: String, _ language: Language) -> String { Strings.label("audit_entity", code, language) }

    package static func field(_ name: String, _ language: Language) -> String { Strings.label("field", name, language) }

    /// A stored value of `field`: "—" when empty, a place by its name, a date as dd/mm/yyyy, a code by its label.
    package static func value(_ raw: String?, field: String, _ language: Language, places: [String: String] = [:]) -> String {
        guard let raw, !raw.isEmpty else { return "—" }
        if let place = places[raw] { return place }
        if raw.count == 10, let day = CivilDate(iso: raw) { return day.vietnamese }
        if raw.count > 10, raw.count <= 40, raw.contains("T"), Timestamp.date(raw) != nil { return DisplayTime.format(raw) }
        return Strings.table(language)["\(field).\(raw)"] ?? raw
    }

    /// The row for a template: `actionLabel`, `entityLabel`, `changes` with labelled fields and values.
    /// `places` names the unit paths that changed fields hold (see `placeNames`).
    package static func row(_ e: AuditEntry, _ language: Language, places: [String: String] = [:]) -> [String: Any] {
        let changes = e.decodedChanges.map { change -> [String: Any] in
            ["field": field(change.field, language), "old": value(change.old, field: change.field, language, places: places),
             "new": value(change.new, field: change.field, language, places: places)]
        }
        return [
            "action": e.action, "actionLabel": action(e.action, language), "entityLabel": entity(e.entityType, language),
            "username": e.username, "summary": e.summary, "at": DisplayTime.format(e.occurredAt),
            "changes": changes, "hasChanges": !changes.isEmpty,
        ]
    }
}

extension AuditDisplay {
    /// Names of the places that entries' changed fields hold (`unit_path`, `unit`), for `row`.
    package static func placeNames(_ entries: [AuditEntry], directory: UnitDirectory) async -> [String: String] {
        var names: [String: String] = [:]
        for change in entries.flatMap(\.decodedChanges) where change.field == "unit_path" || change.field == "unit" {
            for path in [change.old, change.new].compactMap({ $0 }) where names[path] == nil {
                if let unit = await directory.cached(path) { names[path] = unit.name }
            }
        }
        return names
    }
}
