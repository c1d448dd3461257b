import SQLKit

package enum PlaceMigrations {
    package static let createUnits = Migration("002_units") { db, kind in
        // The tree's depth is data: a unit is a path of codes, with the dates it was valid,
        // so the 2025 reorganisation (no district tier) is new rows, not new code.
        try await db.create(table: "units")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("path", type: .text, [.notNull, .unique] + kind.byteOrderCollation)
            .column("parent_path", type: .text, kind.byteOrderCollation)
            .column("code", type: .text, .notNull)
            .column("depth", type: .bigint, .notNull)
            .column("kind", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("name_folded", type: .text, [.notNull] + kind.byteOrderCollation)
            .column("population", type: .bigint)
            .column("valid_from", type: .text, .notNull)
            .column("valid_to", type: .text)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "units_parent").on("units").column("parent_path").column("code").run()
        try await db.create(index: "units_name").on("units").column("name_folded").run()
    }
}
