import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// Tables of vaccination: lots, stock holders and their ledgers, allocation decisions, sites,
/// sessions, doses, adverse events, certificates and their revocations.
///
/// Stock is held by a unit (city, district, ward: holder = its path) or a site (holder = its id), one
/// balance row per holder and lot, changed only together with a ledger line in one transaction; the
/// balance carries a CHECK so that even a bug elsewhere cannot store a negative stock.
package enum VaccinationMigrations {
    package static let createVaccination = Migration("vac_001_lots_stock_sites_sessions_doses_certificates") { db, kind in
        let c = kind.byteOrderCollation
        let bool = SQLDataType.custom(SQLRaw("BOOLEAN"))

        try await db.create(table: "vaccine_lots")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("product_code", type: .text, .notNull)
            .column("manufacturer_code", type: .text, .notNull)
            .column("catalog_version", type: .text, .notNull)
            .column("lot_number", type: .text, .notNull)
            .column("expires_on", type: .text, .notNull)
            .column("doses_per_vial", type: .bigint, .notNull)
            .column("doses", type: .bigint, .notNull)
            .column("received_on", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        // A lot number is the manufacturer's: the same number of two products are two lots.
        try await db.create(index: "vaccine_lots_number").unique().on("vaccine_lots").column("product_code").column("lot_number").run()
        try await db.create(index: "vaccine_lots_expiry").on("vaccine_lots").column("expires_on").run()

        try await db.create(table: "vaccination_sites")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("name", type: .text, .notNull)
            .column("address", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("active", type: bool, .notNull, .default(true))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccination_sites_unit").on("vaccination_sites").column("unit_path").column("name").run()

        // One balance per holder and lot. unit_path is where the holder sits (scoping).
        try await db.raw("""
            CREATE TABLE vaccine_stock (
              holder_id TEXT NOT NULL, holder_kind TEXT NOT NULL, lot_id TEXT NOT NULL,
              unit_path TEXT NOT NULL \(unsafeRaw: kind == .postgres ? "COLLATE \"C\"" : ""), group_code TEXT NOT NULL DEFAULT '',
              balance BIGINT NOT NULL CHECK (balance >= 0), updated_at TEXT NOT NULL,
              PRIMARY KEY (holder_id, lot_id))
            """).run()
        try await db.create(index: "vaccine_stock_unit").on("vaccine_stock").column("unit_path").run()

        try await db.create(table: "vaccine_stock_moves")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("holder_id", type: .text, .notNull)
            .column("lot_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("movement", type: .text, .notNull)
            .column("doses", type: .bigint, .notNull)
            .column("balance_after", type: .bigint, .notNull)
            // What caused it: an allocation, a dose, or a hand entry (waste, return).
            .column("reference_kind", type: .text, .notNull)
            .column("reference_id", type: .text)
            .column("occurred_on", type: .text, .notNull)
            .column("note", type: .text, .notNull, .default(""))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccine_stock_moves_holder").on("vaccine_stock_moves").column("holder_id").column("created_at").run()

        try await db.create(table: "vaccine_allocations")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("decision_no", type: .text, .notNull)
            .column("decided_on", type: .text, .notNull)
            .column("lot_id", type: .text, .notNull)
            .column("from_holder", type: .text, .notNull)
            .column("to_holder", type: .text, .notNull)
            .column("to_kind", type: .text, .notNull)
            // The destination's place: the receiving unit (or the site's ward) sees the decision.
            .column("unit_path", type: .text, [.notNull] + c)
            .column("from_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("doses", type: .bigint, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccine_allocations_unit").on("vaccine_allocations").column("unit_path").run()
        try await db.create(index: "vaccine_allocations_from").on("vaccine_allocations").column("from_path").run()

        try await db.create(table: "vaccination_sessions")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("site_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("session_on", type: .text, .notNull)
            .column("capacity", type: .bigint, .notNull)
            .column("product_code", type: .text, .notNull)
            .column("priority_groups", type: .text, .notNull, .default(""))
            .column("min_age", type: .bigint, .notNull, .default(18))
            .column("status", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccination_sessions_unit").on("vaccination_sessions").column("unit_path").column("session_on").run()

        // A pre-screening at a session: eligible (then a dose), postponed or referred.
        try await db.create(table: "vaccination_screenings")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("session_id", type: .text, .notNull)
            .column("person_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("outcome", type: .text, .notNull)
            .column("note", type: .text, .notNull, .default(""))
            .column("dose_id", type: .text)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccination_screenings_session").on("vaccination_screenings").column("session_id").column("created_at").run()

        try await db.create(table: "vaccine_doses")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("person_id", type: .text, .notNull)
            // The person's ward when the dose was recorded: coverage counts where people live.
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("age_group", type: .text)
            .column("dose_number", type: .bigint, .notNull)
            .column("counts", type: .text, .notNull, .default(""))
            .column("given_on", type: .text, .notNull)
            .column("product_code", type: .text, .notNull)
            .column("manufacturer_code", type: .text, .notNull)
            .column("lot_number", type: .text, .notNull, .default(""))
            .column("lot_id", type: .text)
            .column("site_id", type: .text)
            .column("session_id", type: .text)
            .column("source", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        // The same person, dose number and date is one record, however often it is sent.
        try await db.create(index: "vaccine_doses_unique").unique().on("vaccine_doses").column("person_id").column("dose_number").column("given_on").run()
        try await db.create(index: "vaccine_doses_unit").on("vaccine_doses").column("unit_path").column("given_on").run()

        try await db.create(table: "vaccine_aefi")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("dose_id", type: .text, .notNull)
            .column("person_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("severity", type: .text, .notNull)
            .column("description", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("follow_up", type: .text, .notNull, .default(""))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccine_aefi_unit").on("vaccine_aefi").column("unit_path").column("created_at").run()

        try await db.create(table: "vaccine_certificates")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("uvci", type: .text, [.notNull, .unique] + c)
            .column("person_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("dose_id", type: .text, .notNull)
            .column("payload", type: .text, .notNull)
            .column("kid", type: .text, .notNull)
            .column("issued_at", type: .text, .notNull)
            .column("expires_at", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .run()
        try await db.create(index: "vaccine_certificates_person").on("vaccine_certificates").column("person_id").run()

        try await db.create(table: "certificate_revocations")
            .column("uvci", type: .text, [.primaryKey(autoIncrement: false)] + c)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("reason", type: .text, .notNull)
            .column("revoked_by", type: .text, .notNull)
            .column("revoked_at", type: .text, .notNull)
            .run()
        try await db.create(index: "certificate_revocations_at").on("certificate_revocations").column("revoked_at").run()

        // Coverage, kept current by every dose written: people reaching each count per ward, day and age group.
        try await db.create(table: "vaccine_coverage_daily")
            .column("unit_path", type: .text, [.notNull] + c)
            .column("day", type: .text, .notNull)
            .column("age_group", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("n", type: .bigint, .notNull)
            .primaryKey("unit_path", "day", "age_group", "kind")
            .run()
        // A population entered by hand (a ward's own count of people of an age group) overrides the registry's.
        try await db.create(table: "vaccine_populations")
            .column("unit_path", type: .text, [.notNull] + c)
            .column("age_group", type: .text, .notNull)
            .column("population", type: .bigint, .notNull)
            .column("entered_by", type: .text, .notNull)
            .column("entered_at", type: .text, .notNull)
            .primaryKey("unit_path", "age_group")
            .run()
        try await db.create(table: "vaccine_targets")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("title", type: .text, .notNull)
            .column("min_age", type: .bigint, .notNull)
            .column("kind", type: .text, .notNull)
            .column("percent", type: .bigint, .notNull)
            .column("due_on", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        // Hanoi's target of the seed documents: every adult a first dose by 15/9/2021 [sure: domain-rules.md].
        try await db.raw("""
            INSERT INTO vaccine_targets (id, unit_path, title, min_age, kind, percent, due_on, created_by, created_at)
            VALUES ('target-hanoi-18-first', '01', 'Người từ 18 tuổi tiêm mũi 1 trước 15/9/2021', 18, 'first', 100, '2021-09-15', 'system', '2021-08-01T00:00:00Z')
            """).run()
    }

    /// Coverage read without summing history or scanning the registry on every call: running totals per
    /// ward × age group × count (kept current with the per-day rows by every dose written), an index on the
    /// day so "as of an earlier day" subtracts only the days after it, and the registry's population per ward
    /// and age group counted for a day and kept until it is a day old.
    package static let coverageTotals = Migration("vac_002_coverage_totals_registry_populations") { db, kind in
        let c = kind.byteOrderCollation
        try await db.create(table: "vaccine_coverage_totals")
            .column("unit_path", type: .text, [.notNull] + c)
            .column("age_group", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("n", type: .bigint, .notNull)
            .primaryKey("unit_path", "age_group", "kind")
            .run()
        try await db.raw("""
            INSERT INTO vaccine_coverage_totals (unit_path, age_group, kind, n)
            SELECT unit_path, age_group, kind, SUM(n) FROM vaccine_coverage_daily GROUP BY unit_path, age_group, kind
            """).run()
        try await db.create(index: "vaccine_coverage_daily_day").on("vaccine_coverage_daily").column("day").column("unit_path").run()
        // Ages move with the day, so a count belongs to the day it was counted for (as_of).
        try await db.create(table: "vaccine_registry_populations")
            .column("as_of", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("age_group", type: .text, .notNull)
            .column("population", type: .bigint, .notNull)
            .column("counted_at", type: .text, .notNull)
            .primaryKey("as_of", "unit_path", "age_group")
            .run()
        try await db.create(index: "vaccine_registry_populations_counted").on("vaccine_registry_populations").column("counted_at").run()
    }

    /// Priority groups as a list the city edits (seeded from Resolution 21/NQ-CP), and the group each
    /// screening and dose was given under. Sessions keep their `priority_groups` column, now a list of
    /// codes; a session saved before this keeps its free text, shown as it was written.
    package static let priorityGroups = Migration("vac_003_priority_groups") { db, kind in
        try await db.create(table: "vaccination_priority_groups")
            .column("code", type: .text, .primaryKey(autoIncrement: false))
            .column("position", type: .bigint, .notNull)
            .column("label_vi", type: .text, .notNull)
            .column("label_en", type: .text, .notNull)
            .column("min_age", type: .bigint)
            .column("active", type: .bigint, .notNull, .default(1))
            .column("updated_by", type: .text, .notNull, .default(""))
            .column("updated_at", type: .text, .notNull, .default(""))
            .run()
        for g in PriorityGroups.seed {
            try await db.raw("""
                INSERT INTO vaccination_priority_groups (code, position, label_vi, label_en, min_age, active)
                VALUES (\(bind: g.code), \(bind: g.position), \(bind: g.labelVI), \(bind: g.labelEN), \(bind: g.minAge), 1)
                """).run()
        }
        try await db.raw("ALTER TABLE vaccination_screenings ADD COLUMN priority_group TEXT NOT NULL DEFAULT ''").run()
        try await db.raw("ALTER TABLE vaccine_doses ADD COLUMN priority_group TEXT NOT NULL DEFAULT ''").run()
        // The session page lists and counts its doses by group. Only doses given at a session are indexed:
        // a dose file from another system (no session) writes no entry, so the import pays nothing for it.
        try await db.raw("CREATE INDEX vaccine_doses_session ON vaccine_doses (session_id, priority_group) WHERE session_id IS NOT NULL").run()
    }

    /// A priority group may name the group at risk whose recorded people belong to it (health workers), so
    /// an invitation list picks them from the registry. The seeded health-workers group gets its link.
    package static let priorityRegistryGroups = Migration("vac_004_priority_registry_groups") { db, _ in
        try await db.raw("ALTER TABLE vaccination_priority_groups ADD COLUMN registry_group TEXT").run()
        for g in PriorityGroups.seed {
            guard let registry = g.registryGroup else { continue }
            try await db.raw("UPDATE vaccination_priority_groups SET registry_group = \(bind: registry) WHERE code = \(bind: g.code) AND registry_group IS NULL").run()
        }
    }

    /// A merge of duplicate records moves the duplicate's screenings and adverse events (found by person),
    /// and sets aside a certificate whose dose got a new number (`superseded_at`): it stays valid where it
    /// was shown, but the next request signs one with the right number.
    package static let mergeCarry = Migration("vac_005_merge_carry") { db, _ in
        try await db.raw("ALTER TABLE vaccine_certificates ADD COLUMN superseded_at TEXT").run()
        try await db.create(index: "vaccination_screenings_person").on("vaccination_screenings").column("person_id").run()
        try await db.create(index: "vaccine_aefi_person").on("vaccine_aefi").column("person_id").run()
    }
}
