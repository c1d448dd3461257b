import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// A case with the name of its person, for lists.
struct CaseListRow: Codable, Sendable {
    let id: String
    let caseNumber: String
    let personId: String
    let fullName: String
    let birthDate: String?
    let unitPath: String
    let confirmedOn: String
    let detectedIn: String
    let careSetting: String
    let clinicalStatus: String
    let outcome: String
}

/// A contact with their level and where their quarantine stands, for the F1/F2 lists.
struct ContactListRow: Codable, Sendable {
    let personId: String
    let fullName: String
    let birthDate: String?
    let phone: String?
    let unitPath: String
    let groupCode: String
    let level: Int
    let since: String
    let viaPersonId: String?
    let episodeId: String?
    let episodeSetting: String?
    let episodeEnd: String?
    let facilityId: String?
}

struct Page<Row: Sendable>: Sendable {
    let rows: [Row]
    let nextCursor: String?
}

/// Case, contact and tracing reads; each takes the caller's scope.
package enum CaseQueries {
    static func find(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> CaseRecord? {
        try await db.raw("SELECT \(unsafeRaw: CaseRecord.columns) FROM cases WHERE id = \(bind: id) AND \(scope.condition())")
            .first(decoding: CaseRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func cases(ofPerson personID: String, _ db: any SQLDatabase) async throws -> [CaseRecord] {
        try await db.raw("SELECT \(unsafeRaw: CaseRecord.columns) FROM cases WHERE person_id = \(bind: personID) ORDER BY confirmed_on DESC")
            .all(decoding: CaseRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Newest cases first, keyset-paginated on (confirmed_on, id), so page 500 costs what page 1 does.
    static func list(_ db: any SQLDatabase, scope: Scope, outcome: CaseOutcome?, clusterID: String? = nil, after cursor: String?, limit: Int = 50) async throws -> Page<CaseListRow> {
        let limit = max(1, min(limit, 200))
        var sql: SQLQueryString = """
            SELECT c.id, c.case_number, c.person_id, p.full_name, p.birth_date, c.unit_path, c.confirmed_on, c.detected_in, c.care_setting, c.clinical_status, c.outcome
            FROM cases c JOIN persons p ON p.id = c.person_id WHERE \(scope.condition("c"))
            """
        if let outcome { sql = "\(sql) AND c.outcome = \(bind: outcome.rawValue)" }
        if let clusterID { sql = "\(sql) AND c.cluster_id = \(bind: clusterID)" }
        if let cursor, let (date, id) = PersonQueries.decodeCursor(cursor) {
            sql = "\(sql) AND (c.confirmed_on < \(bind: date) OR (c.confirmed_on = \(bind: date) AND c.id < \(bind: id)))"
        }
        sql = "\(sql) ORDER BY c.confirmed_on DESC, c.id DESC LIMIT \(literal: limit + 1)"
        let rows = try await db.raw(sql).all(decoding: CaseListRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        let page = Array(rows.prefix(limit))
        return Page(rows: page, nextCursor: rows.count > limit ? page.last.map { PersonQueries.encodeCursor(name: $0.confirmedOn, id: $0.id) } : nil)
    }

    /// People at a contact level with their current quarantine: most recently exposed first, or, for
    /// those still waiting to be placed, the longest waiting first (the most overdue).
    static func contacts(_ db: any SQLDatabase, scope: Scope, level: Int?, unplacedOnly: Bool = false, after cursor: String?, limit: Int = 50) async throws -> Page<ContactListRow> {
        let limit = max(1, min(limit, 200))
        var sql: SQLQueryString = """
            SELECT l.person_id, p.full_name, p.birth_date, p.phone, l.unit_path, l.group_code, l.level, l.since, l.via_person_id,
                   e.id AS episode_id, e.setting AS episode_setting, e.planned_end AS episode_end, e.facility_id
            FROM contact_levels l JOIN persons p ON p.id = l.person_id
            LEFT JOIN episodes e ON e.person_id = l.person_id AND e.status = 'active'
            WHERE \(scope.condition("l"))
            """
        if let level { sql = level >= 3 ? "\(sql) AND l.level >= 3" : "\(sql) AND l.level = \(bind: level)" }
        if unplacedOnly { sql = "\(sql) AND e.id IS NULL" }
        if let cursor, let (since, id) = PersonQueries.decodeCursor(cursor) {
            sql = unplacedOnly
                ? "\(sql) AND (l.since > \(bind: since) OR (l.since = \(bind: since) AND l.person_id > \(bind: id)))"
                : "\(sql) AND (l.since < \(bind: since) OR (l.since = \(bind: since) AND l.person_id < \(bind: id)))"
        }
        sql = unplacedOnly ? "\(sql) ORDER BY l.since, l.person_id LIMIT \(literal: limit + 1)" : "\(sql) ORDER BY l.since DESC, l.person_id DESC LIMIT \(literal: limit + 1)"
        let rows = try await db.raw(sql).all(decoding: ContactListRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        let page = Array(rows.prefix(limit))
        return Page(rows: page, nextCursor: rows.count > limit ? page.last.map { PersonQueries.encodeCursor(name: $0.since, id: $0.personId) } : nil)
    }

    /// Someone who had a level and has none now, with when and why it ended.
    struct EndedRow: Codable, Sendable {
        let personId: String
        let fullName: String
        let birthDate: String?
        let unitPath: String
        let groupCode: String
        let level: Int
        let since: String
        let endedOn: String
        let reason: String
    }

    /// People who are no longer followed (and not a case now), most recently ended first: the last end
    /// recorded for each, so no one who lost a level disappears from every list.
    static func ended(_ db: any SQLDatabase, scope: Scope, after cursor: String?, limit: Int = 50) async throws -> Page<EndedRow> {
        let limit = max(1, min(limit, 200))
        var sql: SQLQueryString = """
            SELECT e.person_id, p.full_name, p.birth_date, e.unit_path, e.group_code, e.level, e.since, e.ended_on, e.reason
            FROM contact_level_ends e JOIN persons p ON p.id = e.person_id
            WHERE \(scope.condition("e"))
              AND NOT EXISTS (SELECT 1 FROM contact_levels l WHERE l.person_id = e.person_id)
              AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = e.person_id AND c.outcome = 'active')
              AND e.recorded_at = (SELECT MAX(e2.recorded_at) FROM contact_level_ends e2 WHERE e2.person_id = e.person_id)
            """
        if let cursor, let (day, id) = PersonQueries.decodeCursor(cursor) {
            sql = "\(sql) AND (e.ended_on < \(bind: day) OR (e.ended_on = \(bind: day) AND e.person_id < \(bind: id)))"
        }
        sql = "\(sql) ORDER BY e.ended_on DESC, e.person_id DESC LIMIT \(literal: limit + 1)"
        let rows = try await db.raw(sql).all(decoding: EndedRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        let page = Array(rows.prefix(limit))
        return Page(rows: page, nextCursor: rows.count > limit ? page.last.map { PersonQueries.encodeCursor(name: $0.endedOn, id: $0.personId) } : nil)
    }

    package static func level(_ db: any SQLDatabase, personID: String) async throws -> ContactLevelRecord? {
        try await db.raw("SELECT person_id, level, since, via_person_id, unit_path, group_code, updated_at FROM contact_levels WHERE person_id = \(bind: personID)")
            .first(decoding: ContactLevelRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Exposures recorded for a case, with the contact's name and home (masked later if outside the viewer's scope).
    package struct ExposureRow: Codable, Sendable {
        let id: String
        package let contactId: String
        let fullName: String
        let phone: String?
        let unitPath: String
        let groupCode: String?
        let day: String
        let setting: String
        let closeness: String
        let reachedAt: String?
        let reachedBy: String?
    }

    package static func exposures(_ db: any SQLDatabase, caseID: String) async throws -> [ExposureRow] {
        try await db.raw("""
            SELECT x.id, x.contact_id, p.full_name, p.phone, p.unit_path, p.group_code, x.day, x.setting, x.closeness, x.reached_at, x.reached_by
            FROM exposures x JOIN persons p ON p.id = x.contact_id WHERE x.case_id = \(bind: caseID) ORDER BY x.day, p.name_folded
            """).all(decoding: ExposureRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func task(_ db: any SQLDatabase, caseID: String) async throws -> TracingTaskRecord? {
        try await db.raw("SELECT \(unsafeRaw: TracingTaskRecord.columns) FROM tracing_tasks WHERE case_id = \(bind: caseID)")
            .first(decoding: TracingTaskRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    struct TaskRow: Codable, Sendable {
        let id: String
        let caseId: String
        let caseNumber: String
        let fullName: String
        let unitPath: String
        let openedAt: String
        let dueAt: String
        let status: String
        let toReach: Int
    }

    /// Open tracing tasks, soonest deadline first (overdue ones lead).
    static func openTasks(_ db: any SQLDatabase, scope: Scope, overdueAt: Date? = nil, limit: Int = 200) async throws -> [TaskRow] {
        var sql: SQLQueryString = """
            SELECT t.id, t.case_id, c.case_number, p.full_name, t.unit_path, t.opened_at, t.due_at, t.status,
                   (SELECT COUNT(*) FROM exposures x WHERE x.case_id = t.case_id AND x.reached_at IS NULL) AS to_reach
            FROM tracing_tasks t JOIN cases c ON c.id = t.case_id JOIN persons p ON p.id = c.person_id
            WHERE t.status = 'open' AND \(scope.condition("t"))
            """
        if let overdueAt { sql = "\(sql) AND t.due_at < \(bind: Timestamp.string(overdueAt))" }
        sql = "\(sql) ORDER BY t.due_at LIMIT \(literal: limit)"
        return try await db.raw(sql).all(decoding: TaskRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Everyone linked to a set of people within `hops` exposures, with the exposures among them, for chain drawings.
    static func neighbourhood(_ db: any SQLDatabase, of people: Set<String>, hops: Int, cap: Int = 150) async throws -> (people: Set<String>, edges: [ExposureRecord]) {
        var seen = people
        var frontier = people
        var edges: [String: ExposureRecord] = [:]
        for _ in 0..<hops where !frontier.isEmpty && seen.count < cap {
            var next: Set<String> = []
            for chunk in ContactLevelService.chunks(frontier) {
                let rows = try await db.raw("""
                    SELECT \(unsafeRaw: ExposureRecord.columns) FROM exposures WHERE source_id IN (\(binds: chunk)) OR contact_id IN (\(binds: chunk))
                    """).all(decoding: ExposureRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
                for e in rows {
                    edges[e.id] = e
                    for p in [e.sourceId, e.contactId] where !seen.contains(p) && seen.count + next.count < cap { next.insert(p) }
                }
            }
            seen.formUnion(next)
            frontier = next
        }
        return (seen, edges.values.filter { seen.contains($0.sourceId) && seen.contains($0.contactId) }.sorted { $0.id < $1.id })
    }
}
