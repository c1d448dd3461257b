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

    /// Audit rows written many at a time (views of a list, results of an import), in `audit_log`'s column order.
    package static let rows = BulkInsert(into: "audit_log", columns: ["id", "occurred_at", "user_id", "username", "action", "entity_type", "entity_id", "unit_path", "summary", "changes"])

    /// One row for `rows`, with a new id.
    package static func append(to cells: inout [SQLCell], at: String, actor: CurrentUser, action: String, entityType: String, entityId: String, unitPath: String,
                               summary: String, changes: String?) {
        cells.append(.text(Identifier.make()))
        cells.append(.text(at))
        cells.append(.text(actor.id))
        cells.append(.text(actor.username))
        cells.append(.text(action))
        cells.append(.text(entityType))
        cells.append(.text(entityId))
        cells.append(.text(unitPath))
        cells.append(.text(summary))
        cells.append(SQLCell(changes))
    }

    /// Records that `user` saw these people's records (a search, a list, a chain, a form filled from
    /// a record) in one statement per 500, in its own transaction: who looked at whom is itself sensitive.
    package static func viewed(_ database: Database, user: CurrentUser, people: [(id: String, unitPath: String)], action: String = "view", summary: String) async throws {
        var seen = Set<String>()
        let unique = people.filter { seen.insert($0.id).inserted }
        guard !unique.isEmpty else { return }
        try await database.transaction { db in
            let at = Timestamp.now()
            var cells: [SQLCell] = []
            cells.reserveCapacity(unique.count * Self.rows.columns.count)
            for p in unique {
                Self.append(to: &cells, at: at, actor: user, action: action, entityType: "person", entityId: p.id, unitPath: p.unitPath, summary: summary, changes: nil)
            }
            _ = try await Self.rows.run(db, cells: cells)
        }
    }

    /// The history of one record, newest first.
    package static func history(_ db: any SQLDatabase, entityType: String, entityId: String, limit: Int = 200) async throws -> [AuditEntry] {
        try await db.raw("""
            SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes
            FROM audit_log WHERE entity_type = \(bind: entityType) AND entity_id = \(bind: entityId)
            ORDER BY occurred_at DESC, id DESC LIMIT \(unsafeRaw: String(limit))
            """).all(decoding: AuditEntry.self, keyDecodingStrategy: .memoizedSnakeCase)
    }
}

/// How an audit row reads for a person: the action as a word, each changed field by its label, and
/// values as people write them (dates dd/mm/yyyy, places by name, codes as their labels), in the
/// reader's language. Labels live in the string tables under `audit_action.<action>`,
/// `audit_entity.<entity>`, `field.<name>` and, for a field whose values are codes, `<name>.<code>`;
/// where one field name means different things per record kind (a task's `status` is not an
/// episode's), `field.<entity>.<name>` and `<entity>.<name>.<code>` come first.
package enum AuditDisplay {
    package static func action(_ code: String, _ language: Language) -> String { Strings.label("audit_action", code, language) }

    package static func entity(_ code: String, _ language: Language) -> String { Strings.label("audit_entity", code, language) }

    package static func field(_ name: String, entity: String = "", _ language: Language) -> String {
        // A versioned setting is recorded as "key@yyyy-mm-dd": the setting, in force from that day.
        if let at = name.firstIndex(of: "@"), let day = CivilDate(iso: String(name[name.index(after: at)...])) {
            return field(String(name[..<at]), entity: entity, language) + (language == .vi ? " (từ \(day.vietnamese))" : " (from \(day.vietnamese))")
        }
        let table = Strings.table(language)
        return table["field.\(entity).\(name)"] ?? Strings.label("field", name, language)
    }

    /// A stored value of `field`: "—" when empty, a place by its name, a date as dd/mm/yyyy, a code by its label.
    package static func value(_ raw: String?, field: String, entity: String = "", _ language: Language, places: [String: String] = [:]) -> String {
        guard let raw, !raw.isEmpty else { return "—" }
        if let place = places[raw] { return place }
        if raw.count == 10, let day = CivilDate(iso: raw) { return day.vietnamese }
        if raw.count > 10, raw.count <= 40, raw.contains("T"), Timestamp.date(raw) != nil { return DisplayTime.format(raw) }
        let table = Strings.table(language)
        return table["\(entity).\(field).\(raw)"] ?? table["\(field).\(raw)"] ?? raw
    }

    /// Whether a stored value reads as itself (a name, a number, a date) or is a code that needs a label.
    package static func isCode(_ raw: String) -> Bool {
        guard let first = raw.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return raw.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }
    }

    /// Whether a value of `field` has a label (codes only; see `isCode`).
    package static func hasValueLabel(_ raw: String, field: String, entity: String) -> Bool {
        [Language.vi, .en].allSatisfy { Strings.table($0)["\(entity).\(field).\(raw)"] != nil || Strings.table($0)["\(field).\(raw)"] != nil }
    }

    /// Whether a field name has a label in both languages.
    package static func hasFieldLabel(_ name: String, entity: String) -> Bool {
        if let at = name.firstIndex(of: "@") { return hasFieldLabel(String(name[..<at]), entity: entity) }
        return [Language.vi, .en].allSatisfy { Strings.table($0)["field.\(entity).\(name)"] != nil || Strings.table($0)["field.\(name)"] != nil }
    }

    /// The row for a template: `actionLabel`, `entityLabel`, `changes` with labelled fields and values.
    /// `places` names the unit paths that changed fields hold (see `placeNames`).
    package static func row(_ e: AuditEntry, _ language: Language, places: [String: String] = [:]) -> [String: Any] {
        let changes = e.decodedChanges.map { change -> [String: Any] in
            ["field": field(change.field, entity: e.entityType, language),
             "old": value(change.old, field: change.field, entity: e.entityType, language, places: places),
             "new": value(change.new, field: change.field, entity: e.entityType, language, places: places)]
        }
        return [
            "action": e.action, "actionLabel": action(e.action, language), "entityLabel": entity(e.entityType, language),
            "username": Strings.actor(e.username, language), "summary": weeksAsRead(e.summary, language), "at": DisplayTime.format(e.occurredAt),
            "changes": changes, "hasChanges": !changes.isEmpty,
        ]
    }
}

extension AuditDisplay {
    /// Summaries are stored as written; a stored week key in one ("2021-W36") reads as a week ("Tuần 36/2021").
    static func weeksAsRead(_ summary: String, _ language: Language) -> String {
        guard summary.contains("-W") else { return summary }
        return summary.replacing(/\b\d{4}-W\d{2}\b/) { NumberFormat.week(key: String($0.output), language: language) }
    }

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
