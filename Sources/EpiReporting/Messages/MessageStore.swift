import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// A post in a unit's message stream (what the chat group was for): an issue arising, a request, a reminder.
package struct StreamMessage: Sendable, Codable, Equatable {
    package let id: String
    package let unitPath: String
    package let groupCode: String
    package let authorName: String
    package let body: String
    package let urgent: Bool
    package let submissionId: String?
    package let handledAt: String?
    package let handledByName: String?
    package let createdAt: String
    package let version: Int
    package var mentions: [String] = []

    enum CodingKeys: String, CodingKey {
        case id, unitPath, groupCode, authorName, body, urgent, submissionId, handledAt, handledByName, createdAt, version, mentions
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        unitPath = try c.decode(String.self, forKey: .unitPath)
        groupCode = try c.decode(String.self, forKey: .groupCode)
        authorName = try c.decode(String.self, forKey: .authorName)
        body = try c.decode(String.self, forKey: .body)
        urgent = try c.decode(Bool.self, forKey: .urgent)
        submissionId = try c.decodeIfPresent(String.self, forKey: .submissionId)
        handledAt = try c.decodeIfPresent(String.self, forKey: .handledAt)
        handledByName = try c.decodeIfPresent(String.self, forKey: .handledByName)
        createdAt = try c.decode(String.self, forKey: .createdAt)
        version = try c.decode(Int.self, forKey: .version)
        mentions = try c.decodeIfPresent([String].self, forKey: .mentions) ?? []
    }

    init(id: String, unitPath: String, groupCode: String, authorName: String, body: String, urgent: Bool, submissionId: String?, createdAt: String, mentions: [String]) {
        self.id = id
        self.unitPath = unitPath
        self.groupCode = groupCode
        self.authorName = authorName
        self.body = body
        self.urgent = urgent
        self.submissionId = submissionId
        self.handledAt = nil
        self.handledByName = nil
        self.createdAt = createdAt
        self.version = 1
        self.mentions = mentions
    }
}

/// Reads and writes of message streams. A unit's stream holds what was posted in its subtree plus
/// what mentions a unit in its subtree, so a district sees its wards' streams and a mentioned ward sees the post.
enum MessageStore {
    static let columns = "id, unit_path, group_code, author_name, body, urgent, submission_id, handled_at, handled_by_name, created_at, version"

    static func visible(_ scope: Scope) -> SQLQueryString {
        "(\(scope.condition()) OR id IN (SELECT message_id FROM message_mentions WHERE \(scope.condition())))"
    }

    static func post(_ db: any SQLDatabase, unit: String, group: String, author: CurrentUser, body: String, urgent: Bool, submissionID: String?,
                     mentions: [(String, String)]) async throws -> StreamMessage {
        let message = StreamMessage(id: Identifier.make(), unitPath: unit, groupCode: group, authorName: author.displayName, body: body, urgent: urgent,
                                    submissionId: submissionID, createdAt: Timestamp.now(), mentions: mentions.map(\.0))
        try await db.raw("""
            INSERT INTO messages (id, unit_path, group_code, author_id, author_name, body, urgent, submission_id, handled_at, handled_by_name, created_at, version)
            VALUES (\(bind: message.id), \(bind: unit), \(bind: group), \(bind: author.id), \(bind: author.displayName), \(bind: body), \(bind: urgent), \(bind: submissionID),
                    NULL, NULL, \(bind: message.createdAt), 1)
            """).run()
        var seen = Set<String>()
        for (path, code) in mentions where seen.insert(path + "|" + code).inserted {
            try await db.raw("INSERT INTO message_mentions (message_id, unit_path, group_code) VALUES (\(bind: message.id), \(bind: path), \(bind: code))").run()
        }
        return message
    }

    /// Newest first, keyset-paginated by (created_at, id).
    static func stream(_ db: any SQLDatabase, scope: Scope, before: (String, String)? = nil, urgentOnly: Bool = false, limit: Int = 50) async throws -> [StreamMessage] {
        let keyset: SQLQueryString = before.map { "AND (created_at < \(bind: $0.0) OR (created_at = \(bind: $0.0) AND id < \(bind: $0.1)))" } ?? ""
        let urgent: SQLQueryString = urgentOnly ? "AND urgent = \(bind: true) AND handled_at IS NULL" : ""
        var rows = try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM messages WHERE \(visible(scope)) \(keyset) \(urgent) ORDER BY created_at DESC, id DESC LIMIT \(literal: limit)
            """).all(decoding: StreamMessage.self, keyDecodingStrategy: .memoizedSnakeCase)
        try await attachMentions(db, &rows)
        return rows
    }

    static func attachMentions(_ db: any SQLDatabase, _ rows: inout [StreamMessage]) async throws {
        guard !rows.isEmpty else { return }
        let mentionRows = try await db.raw("SELECT message_id, unit_path FROM message_mentions WHERE message_id IN (\(SQLList(rows.map { SQLBind($0.id) })))").all()
        var byMessage: [String: [String]] = [:]
        for row in mentionRows { byMessage[try row.decode(column: "message_id", as: String.self), default: []].append(try row.decode(column: "unit_path", as: String.self)) }
        for i in rows.indices { rows[i].mentions = (byMessage[rows[i].id] ?? []).sorted() }
    }

    static func find(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> StreamMessage? {
        var rows = try await db.raw("SELECT \(unsafeRaw: columns) FROM messages WHERE id = \(bind: id) AND \(visible(scope))")
            .all(decoding: StreamMessage.self, keyDecodingStrategy: .memoizedSnakeCase)
        try await attachMentions(db, &rows)
        return rows.first
    }

    /// Messages attached to a report submission (any version of it), visible in a scope.
    static func attached(_ db: any SQLDatabase, submissionIDs: [String], scope: Scope) async throws -> [StreamMessage] {
        guard !submissionIDs.isEmpty else { return [] }
        var rows = try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM messages WHERE submission_id IN (\(SQLList(submissionIDs.map { SQLBind($0) }))) AND \(visible(scope)) ORDER BY created_at DESC
            """).all(decoding: StreamMessage.self, keyDecodingStrategy: .memoizedSnakeCase)
        try await attachMentions(db, &rows)
        return rows
    }

    static func markHandled(_ db: any SQLDatabase, id: String, user: CurrentUser) async throws -> Bool {
        let rows = try await db.raw("""
            UPDATE messages SET handled_at = \(bind: Timestamp.now()), handled_by_name = \(bind: user.displayName), version = version + 1
            WHERE id = \(bind: id) AND handled_at IS NULL RETURNING id
            """).all()
        return !rows.isEmpty
    }
}
