import EpiCore
import Foundation
import SQLKit

/// A task to assign: what a commander types on the tasks page, or what a feature assigns by itself
/// (the ward health station calling back a citizen who declared symptoms).
package struct NewTask: Sendable {
    package var id = Identifier.make()
    /// The unit whose list the task appears in.
    package var unitPath: String
    package var groupCode = ""
    package var creatorUnitPath: String
    package var title: String
    package var details: String
    package var assigneeUserId: String?
    package var assigneeName: String
    package var dueAt: String
    package var status = "open"
    /// A user id, or `system` when a feature assigned the task.
    package var createdBy: String
    package var createdByName: String
    package var createdAt: String

    package init(id: String = Identifier.make(), unitPath: String, groupCode: String = "", creatorUnitPath: String, title: String, details: String,
                 assigneeUserId: String? = nil, assigneeName: String, dueAt: String, status: String = "open", createdBy: String, createdByName: String, createdAt: String) {
        self.id = id
        self.unitPath = unitPath
        self.groupCode = groupCode
        self.creatorUnitPath = creatorUnitPath
        self.title = title
        self.details = details
        self.assigneeUserId = assigneeUserId
        self.assigneeName = assigneeName
        self.dueAt = dueAt
        self.status = status
        self.createdBy = createdBy
        self.createdByName = createdByName
        self.createdAt = createdAt
    }
}

/// The one writer of new tasks, whichever feature assigns them: each task with the first event of its
/// history, so a task assigned by a feature reads like one a person assigned. Runs in the caller's
/// transaction, many tasks per statement.
package enum TaskWriter {
    package static func insert(_ db: any SQLDatabase, _ tasks: [NewTask]) async throws {
        // 16 binds per task: 200 tasks stay under SQLite's limit on bound values.
        for start in stride(from: 0, to: tasks.count, by: 200) {
            let chunk = tasks[start..<min(start + 200, tasks.count)]
            let rows: [SQLQueryString] = chunk.map { t in
                """
                (\(bind: t.id), \(bind: t.unitPath), \(bind: t.groupCode), \(bind: t.creatorUnitPath), \(bind: t.title), \(bind: t.details), \(bind: t.assigneeUserId), \
                \(bind: t.assigneeName), \(bind: t.dueAt), \(bind: t.status), \(bind: t.createdBy), \(bind: t.createdByName), \(bind: t.createdAt), \(bind: t.createdAt), NULL, 1)
                """
            }
            try await db.raw("""
                INSERT INTO tasks (id, unit_path, group_code, creator_unit_path, title, details, assignee_user_id, assignee_name, due_at, status, created_by, created_by_name,
                created_at, updated_at, done_at, version) VALUES \(SQLList(rows))
                """).run()
            let events: [SQLQueryString] = chunk.map { t in
                "(\(bind: Identifier.make()), \(bind: t.id), \(bind: t.status), '', \(bind: t.createdAt), \(bind: t.createdByName))"
            }
            try await db.raw("INSERT INTO task_events (id, task_id, status, note, at, by_name) VALUES \(SQLList(events))").run()
        }
    }
}
