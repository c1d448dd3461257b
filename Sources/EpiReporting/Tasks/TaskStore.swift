import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Where a task stands.
package enum TaskStatus: String, Codable, Sendable, CaseIterable {
    case open
    case inProgress = "in_progress"
    case done
    case cancelled

    package var isClosed: Bool { self == .done || self == .cancelled }

    package var labelVI: String {
        switch self {
        case .open: return "Mới giao"
        case .inProgress: return "Đang thực hiện"
        case .done: return "Đã hoàn thành"
        case .cancelled: return "Đã hủy"
        }
    }

    package var labelEN: String {
        switch self {
        case .open: return "Assigned"
        case .inProgress: return "In progress"
        case .done: return "Done"
        case .cancelled: return "Cancelled"
        }
    }
}

/// An assignment to a named official or a unit, with a deadline.
package struct TaskItem: Sendable, Codable, Equatable {
    package let id: String
    package let unitPath: String
    package let creatorUnitPath: String
    package let title: String
    package let details: String
    package let assigneeUserId: String?
    package let assigneeName: String
    package let dueAt: String
    package let status: String
    package let createdByName: String
    package let createdAt: String
    package let updatedAt: String
    package let doneAt: String?
    package let version: Int

    package var taskStatus: TaskStatus { TaskStatus(rawValue: status) ?? .open }

    package func isOverdue(at now: Date) -> Bool {
        !taskStatus.isClosed && (Timestamp.date(dueAt).map { $0 < now } ?? false)
    }
}

package struct TaskEvent: Sendable, Codable, Equatable {
    package let status: String
    package let note: String
    package let at: String
    package let byName: String
}

enum TaskStore {
    static let columns = "id, unit_path, creator_unit_path, title, details, assignee_user_id, assignee_name, due_at, status, created_by_name, created_at, updated_at, done_at, version"

    /// A task is visible to the unit it is assigned to, the unit that set it (and those above both), and its named assignee.
    static func visible(_ scope: Scope, userID: String) -> SQLQueryString {
        let creator: SQLQueryString = scope.coversEverything ? "1 = 1"
            : "(creator_unit_path = \(bind: scope.root.string) OR (creator_unit_path >= \(bind: scope.root.descendantLowerBound) AND creator_unit_path < \(bind: scope.root.descendantUpperBound)))"
        return "(\(scope.condition()) OR \(creator) OR assignee_user_id = \(bind: userID))"
    }

    static func insert(_ db: any SQLDatabase, _ t: TaskItem, createdBy: String) async throws {
        try await TaskWriter.insert(db, [NewTask(id: t.id, unitPath: t.unitPath, creatorUnitPath: t.creatorUnitPath, title: t.title, details: t.details,
                                                 assigneeUserId: t.assigneeUserId, assigneeName: t.assigneeName, dueAt: t.dueAt, status: t.status,
                                                 createdBy: createdBy, createdByName: t.createdByName, createdAt: t.createdAt)])
    }

    static func addEvent(_ db: any SQLDatabase, taskID: String, status: String, note: String, byName: String, at: String) async throws {
        try await db.raw("""
            INSERT INTO task_events (id, task_id, status, note, at, by_name) VALUES (\(bind: Identifier.make()), \(bind: taskID), \(bind: status), \(bind: note), \(bind: at), \(bind: byName))
            """).run()
    }

    /// Open tasks first by deadline, then closed ones, newest first.
    static func list(_ db: any SQLDatabase, scope: Scope, userID: String, includeClosed: Bool, limit: Int = 200) async throws -> [TaskItem] {
        let open: SQLQueryString = includeClosed ? "" : "AND status IN ('open', 'in_progress')"
        return try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM tasks WHERE \(visible(scope, userID: userID)) \(open)
            ORDER BY CASE WHEN status IN ('open', 'in_progress') THEN 0 ELSE 1 END, due_at, id LIMIT \(literal: limit)
            """).all(decoding: TaskItem.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func find(_ db: any SQLDatabase, id: String, scope: Scope, userID: String) async throws -> TaskItem? {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM tasks WHERE id = \(bind: id) AND \(visible(scope, userID: userID))")
            .first(decoding: TaskItem.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func events(_ db: any SQLDatabase, taskID: String) async throws -> [TaskEvent] {
        try await db.raw("SELECT status, note, at, by_name FROM task_events WHERE task_id = \(bind: taskID) ORDER BY at, id")
            .all(decoding: TaskEvent.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Open tasks past their deadline in a scope (the dashboard alert).
    static func overdue(_ db: any SQLDatabase, scope: Scope, now: Date, limit: Int = 20) async throws -> [TaskItem] {
        try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM tasks WHERE status IN ('open', 'in_progress') AND due_at < \(bind: Timestamp.string(now)) AND \(scope.condition())
            ORDER BY due_at LIMIT \(literal: limit)
            """).all(decoding: TaskItem.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func setStatus(_ db: any SQLDatabase, id: String, status: TaskStatus, expectedVersion: Int?, at: String) async throws -> Bool {
        let versionCheck: SQLQueryString = expectedVersion.map { "AND version = \(bind: $0)" } ?? ""
        let doneAt: String? = status == .done ? at : nil
        let rows = try await db.raw("""
            UPDATE tasks SET status = \(bind: status.rawValue), updated_at = \(bind: at), done_at = \(bind: doneAt), version = version + 1
            WHERE id = \(bind: id) \(versionCheck) RETURNING id
            """).all()
        return !rows.isEmpty
    }
}

/// A shift on a unit's 24/7 duty roster.
package struct DutyShift: Sendable, Codable, Equatable {
    package let id: String
    package let unitPath: String
    package let personName: String
    package let position: String
    package let phone: String
    package let startsAt: String
    package let endsAt: String
    package let createdByName: String
}

/// A unit's standing hotline number.
package struct UnitHotline: Sendable, Codable, Equatable {
    package let unitPath: String
    package let phone: String
    package let note: String
    package let updatedAt: String
    package let version: Int
}

enum RosterStore {
    static let shiftColumns = "id, unit_path, person_name, position, phone, starts_at, ends_at, created_by_name"

    static func addShift(_ db: any SQLDatabase, _ s: DutyShift) async throws {
        try await db.raw("""
            INSERT INTO duty_shifts (id, unit_path, group_code, person_name, position, phone, starts_at, ends_at, created_by_name, created_at)
            VALUES (\(bind: s.id), \(bind: s.unitPath), '', \(bind: s.personName), \(bind: s.position), \(bind: s.phone), \(bind: s.startsAt), \(bind: s.endsAt), \(bind: s.createdByName), \(bind: Timestamp.now()))
            """).run()
    }

    /// Shifts of one unit that end after `from`, in start order.
    static func shifts(_ db: any SQLDatabase, unit: String, endingAfter from: Date, limit: Int = 100) async throws -> [DutyShift] {
        try await db.raw("""
            SELECT \(unsafeRaw: shiftColumns) FROM duty_shifts WHERE unit_path = \(bind: unit) AND ends_at > \(bind: Timestamp.string(from)) ORDER BY starts_at LIMIT \(literal: limit)
            """).all(decoding: DutyShift.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func shift(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> DutyShift? {
        try await db.raw("SELECT \(unsafeRaw: shiftColumns) FROM duty_shifts WHERE id = \(bind: id) AND \(scope.condition())")
            .first(decoding: DutyShift.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func deleteShift(_ db: any SQLDatabase, id: String) async throws {
        try await db.raw("DELETE FROM duty_shifts WHERE id = \(bind: id)").run()
    }

    /// Who is on duty at `now`, per unit, among `units`.
    static func onDuty(_ db: any SQLDatabase, units: [String], at now: Date) async throws -> [String: [DutyShift]] {
        guard !units.isEmpty else { return [:] }
        let t = Timestamp.string(now)
        let rows = try await db.raw("""
            SELECT \(unsafeRaw: shiftColumns) FROM duty_shifts WHERE ends_at > \(bind: t) AND starts_at <= \(bind: t) AND unit_path IN (\(SQLList(units.map { SQLBind($0) })))
            ORDER BY starts_at
            """).all(decoding: DutyShift.self, keyDecodingStrategy: .memoizedSnakeCase)
        return Dictionary(grouping: rows, by: \.unitPath)
    }

    static func hotlines(_ db: any SQLDatabase, units: [String]) async throws -> [String: UnitHotline] {
        guard !units.isEmpty else { return [:] }
        let rows = try await db.raw("SELECT unit_path, phone, note, updated_at, version FROM unit_hotlines WHERE unit_path IN (\(SQLList(units.map { SQLBind($0) })))")
            .all(decoding: UnitHotline.self, keyDecodingStrategy: .memoizedSnakeCase)
        return Dictionary(rows.map { ($0.unitPath, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Sets a unit's hotline; returns the previous number for the audit row.
    static func setHotline(_ db: any SQLDatabase, unit: String, phone: String, note: String, by: String) async throws -> String? {
        let old = try await db.raw("SELECT phone FROM unit_hotlines WHERE unit_path = \(bind: unit)").first().map { try $0.decode(column: "phone", as: String.self) }
        let now = Timestamp.now()
        if old == nil {
            try await db.raw("INSERT INTO unit_hotlines (unit_path, phone, note, updated_at, updated_by, version) VALUES (\(bind: unit), \(bind: phone), \(bind: note), \(bind: now), \(bind: by), 1)").run()
        } else {
            try await db.raw("UPDATE unit_hotlines SET phone = \(bind: phone), note = \(bind: note), updated_at = \(bind: now), updated_by = \(bind: by), version = version + 1 WHERE unit_path = \(bind: unit)").run()
        }
        return old
    }
}
