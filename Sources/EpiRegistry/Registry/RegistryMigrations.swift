import EpiPlatform
import SQLKit

package enum RegistryMigrations {
    package static let createPersons = Migration("003_persons") { db, kind in
        let c = kind.byteOrderCollation
        try await db.create(table: "persons")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("full_name", type: .text, .notNull)
            .column("name_folded", type: .text, [.notNull] + c)
            .column("given_folded", type: .text, [.notNull] + c)
            .column("sex", type: .text)
            .column("birth_date", type: .text)
            .column("citizen_id", type: .text, .unique)
            .column("old_id", type: .text, .unique)
            .column("phone", type: .text)
            .column("address", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text)
            .column("household_code", type: .text)
            .column("residence_status", type: .text, .notNull)
            .column("resident_until", type: .text)
            .column("merged_into", type: .text)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        // Scoped lists and searches walk (unit_path, name_folded); city-wide ones walk name_folded.
        // Every index slows bulk imports, so households and residential groups are found through
        // the (unit_path, name_folded) index of their ward rather than indexes of their own.
        // Each ends with id, the keyset tie-breaker, so `ORDER BY name_folded, id LIMIT n` is an index
        // walk that stops after n rows instead of a sort of every match.
        try await db.create(index: "persons_unit_name").on("persons").column("unit_path").column("name_folded").column("id").run()
        try await db.create(index: "persons_name").on("persons").column("name_folded").column("id").run()
        try await db.create(index: "persons_given").on("persons").column("given_folded").column("name_folded").column("id").run()
        try await db.create(index: "persons_phone").on("persons").column("phone").run()

        try await db.create(table: "person_merges")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("survivor_id", type: .text, .notNull)
            .column("merged_id", type: .text, .notNull)
            .column("merged_snapshot", type: .text, .notNull)
            .column("merged_by", type: .text, .notNull)
            .column("merged_at", type: .text, .notNull)
            .run()
        try await db.create(index: "person_merges_survivor").on("person_merges").column("survivor_id").run()

        try await db.create(table: "imports")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("kind", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("content_sha256", type: .text, .notNull)
            .column("filename", type: .text, .notNull)
            .column("user_id", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("total_rows", type: .bigint, .notNull)
            .column("inserted", type: .bigint, .notNull)
            .column("duplicates", type: .bigint, .notNull)
            .column("failed", type: .bigint, .notNull)
            .column("errors", type: .text, .notNull)
            .run()
        try await db.create(index: "imports_hash").on("imports").column("kind").column("content_sha256").run()
    }

    /// A person page lists the household: without this index the lookup walked the whole ward, fine for
    /// a ward of 20,000 and 0.5 s a view for one of a million, which held up a running import as well.
    package static let householdIndex = Migration("registry_005_household_index") { db, _ in
        try await db.create(index: "persons_household").on("persons").column("unit_path").column("household_code").run()
    }

    /// Old ID numbers (CMND) only for the few who have one: ANALYZE counts the NULLs of everyone else
    /// as one value shared by the whole table, after which SQLite answers `old_id IN (…)` (every
    /// import's and result upload's duplicate check) by reading the whole table. An index of the set
    /// values keeps its statistics honest; at 350,000 people a 10-row check took 70 ms instead of 0.1.
    package static let oldIDIndex = Migration("registry_006_old_id_index") { db, _ in
        try await db.raw("CREATE INDEX persons_old_id ON persons (old_id) WHERE old_id IS NOT NULL").run()
    }

    /// Registry figures per unit, group and residence status, kept current by every person write,
    /// so the start page of a city user sums ~600 rows instead of counting a million.
    package static let createPersonCounts = Migration("004_person_counts") { db, kind in
        try await db.create(table: "person_counts")
            .column("unit_path", type: .text, [.notNull] + kind.byteOrderCollation)
            .column("group_code", type: .text, .notNull)
            .column("residence_status", type: .text, .notNull)
            .column("n", type: .bigint, .notNull)
            .primaryKey("unit_path", "group_code", "residence_status")
            .run()
        try await db.raw("""
            INSERT INTO person_counts (unit_path, group_code, residence_status, n)
            SELECT unit_path, COALESCE(group_code, ''), residence_status, COUNT(*) FROM persons WHERE merged_into IS NULL
            GROUP BY unit_path, COALESCE(group_code, ''), residence_status
            """).run()
    }
}
