import SQLKit

/// Tables every feature shares: live figures, versioned rule settings, and repeat-safe submissions.
package enum SharedMigrations {
    package static let createCountersPoliciesIdempotency = Migration("005_counters_policies_idempotency") { db, kind in
        let c = kind.byteOrderCollation
        try await db.create(table: "unit_daily")
            .column("metric", type: .text, .notNull)
            .column("day", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull)
            .column("n", type: .bigint, .notNull)
            .primaryKey("metric", "day", "unit_path", "group_code")
            .run()
        // A ward's own series is read by equality on its path.
        try await db.create(index: "unit_daily_unit").on("unit_daily").column("unit_path").column("metric").column("day").run()
        try await db.create(table: "unit_gauges")
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull)
            .column("metric", type: .text, .notNull)
            .column("n", type: .bigint, .notNull)
            .primaryKey("unit_path", "group_code", "metric")
            .run()
        try await db.create(index: "unit_gauges_metric").on("unit_gauges").column("metric").column("unit_path").run()

        try await db.create(table: "policies")
            .column("key", type: .text, .notNull)
            .column("effective_from", type: .text, .notNull)
            .column("value", type: .bigint, .notNull)
            .column("note", type: .text, .notNull)
            .column("set_by", type: .text, .notNull)
            .column("set_at", type: .text, .notNull)
            .primaryKey("key", "effective_from")
            .run()

        try await db.create(table: "idempotency_keys")
            .column("user_id", type: .text, .notNull)
            .column("key", type: .text, .notNull)
            .column("outcome", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .primaryKey("user_id", "key")
            .run()
    }
}
