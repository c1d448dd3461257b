import SQLKit

package enum PlatformMigrations {
    package static let createUsersSessionsAudit = Migration("001_users_sessions_audit") { db, kind in
        try await db.create(table: "users")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("username", type: .text, .notNull, .unique)
            .column("display_name", type: .text, .notNull)
            .column("password_hash", type: .text, .notNull)
            .column("role", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + kind.byteOrderCollation)
            .column("active", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(true))
            .column("failed_logins", type: .bigint, .notNull, .default(0))
            .column("locked_until", type: .text)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "users_unit_path").on("users").column("unit_path").column("username").run()

        // Only a SHA-256 of the cookie token is stored, so a leaked database cannot be replayed as sessions.
        try await db.create(table: "sessions")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("user_id", type: .text, .notNull, .references("users", "id"))
            .column("csrf_token", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("expires_at", type: .text, .notNull)
            .run()
        try await db.create(index: "sessions_user").on("sessions").column("user_id").run()

        try await db.create(table: "api_tokens")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("user_id", type: .text, .notNull, .references("users", "id"))
            .column("name", type: .text, .notNull)
            .column("token_hash", type: .text, .notNull, .unique)
            .column("created_at", type: .text, .notNull)
            .column("last_used_at", type: .text)
            .column("revoked_at", type: .text)
            .run()

        // Append-only: no code path updates or deletes audit rows.
        try await db.create(table: "audit_log")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("occurred_at", type: .text, .notNull)
            .column("user_id", type: .text)
            .column("username", type: .text, .notNull)
            .column("action", type: .text, .notNull)
            .column("entity_type", type: .text, .notNull)
            .column("entity_id", type: .text)
            .column("unit_path", type: .text, kind.byteOrderCollation)
            .column("summary", type: .text, .notNull)
            .column("changes", type: .text)
            .run()
        try await db.create(index: "audit_entity").on("audit_log").column("entity_type").column("entity_id").column("occurred_at").run()
        try await db.create(index: "audit_time").on("audit_log").column("occurred_at").run()
        try await db.create(index: "audit_user").on("audit_log").column("username").column("occurred_at").run()
        try await db.create(index: "audit_unit").on("audit_log").column("unit_path").column("occurred_at").run()
    }
}
