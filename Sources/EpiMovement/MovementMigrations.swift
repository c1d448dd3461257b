import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// Tables of movement control: businesses and agencies with their accounts, prevention plans, staff
/// lists, travel permits (requested by a business or issued by a ward), and checkpoint checks.
///
/// Every row carries `unit_path` (+ `group_code`) of the ward it belongs to, so jurisdiction is the same
/// `Scope` condition as everywhere else; permits and checks are the big tables (millions in September
/// 2021), read by ward and day through their indexes.
package enum MovementMigrations {
    package static let createMovement = Migration("mov_001_businesses_plans_permits_checks") { db, kind in
        let c = kind.byteOrderCollation
        let bool = SQLDataType.custom(SQLRaw("BOOLEAN"))

        try await db.create(table: "businesses")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            // As `TaxCode.description` prints it: one business per code, a branch has its own.
            .column("tax_code", type: .text, .notNull, .unique)
            .column("name", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("sector", type: .text, .notNull, .default(""))
            .column("address", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("workforce", type: .bigint, .notNull, .default(0))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .run()
        try await db.create(index: "businesses_unit").on("businesses").column("unit_path").column("name").run()

        // A `business` user acts for exactly one business.
        try await db.create(table: "business_accounts")
            .column("user_id", type: .text, .primaryKey(autoIncrement: false))
            .column("business_id", type: .text, .notNull)
            .run()
        try await db.create(index: "business_accounts_business").on("business_accounts").column("business_id").run()

        try await db.create(table: "business_plans")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("business_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("model", type: .text, .notNull)
            // The ticked items (`PlanItem` codes, comma-separated) and the COVID team, one member per line.
            .column("items", type: .text, .notNull, .default(""))
            .column("team", type: .text, .notNull, .default(""))
            .column("commitment_by", type: .text, .notNull, .default(""))
            .column("commitment_at", type: .text)
            .column("status", type: .text, .notNull)
            .column("reason", type: .text, .notNull, .default(""))
            .column("submitted_at", type: .text)
            .column("reviewed_by", type: .text)
            .column("reviewed_at", type: .text)
            .column("created_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "business_plans_business").on("business_plans").column("business_id").column("created_at").run()
        try await db.create(index: "business_plans_unit").on("business_plans").column("unit_path").column("status").run()

        // A business's staff, matched to the registry by citizen id when the person is known.
        try await db.create(table: "business_staff")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("business_id", type: .text, .notNull)
            .column("citizen_id", type: .text, .notNull)
            .column("full_name", type: .text, .notNull)
            .column("person_id", type: .text)
            .column("job", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("created_at", type: .text, .notNull)
            .unique("business_id", "citizen_id")
            .run()

        try await db.create(table: "permits")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("number", type: .text, .notNull, .unique)
            .column("grp", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("business_id", type: .text)
            .column("person_id", type: .text)
            .column("full_name", type: .text, .notNull)
            .column("citizen_id", type: .text, .notNull)
            .column("purpose", type: .text, .notNull, .default(""))
            .column("route", type: .text, .notNull, .default(""))
            // Ward paths or zone ids the holder may be in, comma-separated; empty: the whole city.
            .column("zones", type: .text, .notNull, .default(""))
            // Market vouchers: ISO days, comma-separated; empty: every day from–to.
            .column("days", type: .text, .notNull, .default(""))
            .column("valid_from", type: .text, .notNull)
            .column("valid_to", type: .text, .notNull)
            // The ward the permit is counted in (the business's, or the household's).
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("issuer_unit", type: .text)
            .column("issued_by", type: .text)
            .column("issued_at", type: .text)
            .column("code", type: .text)
            .column("revoked_at", type: .text)
            .column("revoked_by", type: .text)
            .column("reason", type: .text, .notNull, .default(""))
            .column("requested_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            // One request per person, business and start day: sending the same list twice adds nothing.
            .column("request_key", type: .text, .notNull, .unique)
            .run()
        try await db.create(index: "permits_unit_day").on("permits").column("unit_path").column("valid_from").column("valid_to").run()
        try await db.create(index: "permits_business").on("permits").column("business_id").column("status").run()
        try await db.create(index: "permits_citizen").on("permits").column("citizen_id").run()
        try await db.raw("CREATE INDEX permits_revoked ON permits (revoked_at) WHERE revoked_at IS NOT NULL").run()

        // One row per check at a checkpoint. The id comes from the officer's phone, so an upload sent
        // twice (a retry after the network came back) inserts nothing the second time.
        try await db.create(table: "checkpoint_checks")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("checkpoint_id", type: .text)
            .column("checkpoint_name", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("permit_id", type: .text)
            .column("permit_number", type: .text, .notNull, .default(""))
            .column("direction", type: .text, .notNull)
            .column("result", type: .text, .notNull)
            .column("reason", type: .text, .notNull, .default(""))
            .column("declaration_ok", type: bool)
            .column("officer", type: .text, .notNull)
            .column("checked_at", type: .text, .notNull)
            .column("checked_on", type: .text, .notNull)
            .column("received_at", type: .text, .notNull)
            .run()
        try await db.create(index: "checks_unit_day").on("checkpoint_checks").column("unit_path").column("checked_on").run()
        try await db.create(index: "checks_checkpoint").on("checkpoint_checks").column("checkpoint_id").column("checked_at").run()
    }

    /// Public health declarations: one row per form (the form token's nonce is unique), the signed code
    /// returned, and the ward, so a flagged declaration reaches the ward's health station.
    package static let createDeclarations = Migration("mov_002_health_declarations") { db, kind in
        let c = kind.byteOrderCollation
        let bool = SQLDataType.custom(SQLRaw("BOOLEAN"))
        try await db.create(table: "health_declarations")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("form_nonce", type: .text, .notNull, .unique)
            .column("full_name", type: .text, .notNull)
            .column("phone", type: .text, .notNull)
            .column("citizen_id", type: .text)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("symptoms", type: .text, .notNull, .default(""))
            .column("travel", type: .text, .notNull, .default(""))
            .column("contact", type: bool, .notNull)
            .column("flagged", type: bool, .notNull)
            .column("code", type: .text, .notNull)
            .column("declared_at", type: .text, .notNull)
            .column("expires_at", type: .text, .notNull)
            .run()
        try await db.create(index: "declarations_unit").on("health_declarations").column("unit_path").column("declared_at").run()
    }

    /// Fines for breaches of the measures, linked to a person or a business, with the legal basis of the
    /// rule in force on the day, as it was applied.
    package static let createViolations = Migration("mov_003_violations") { db, kind in
        let c = kind.byteOrderCollation
        try await db.create(table: "violations")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("kind", type: .text, .notNull)
            .column("person_id", type: .text)
            .column("business_id", type: .text)
            .column("full_name", type: .text, .notNull)
            .column("citizen_id", type: .text, .notNull, .default(""))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("amount", type: .bigint, .notNull)
            .column("legal_basis", type: .text, .notNull)
            .column("occurred_on", type: .text, .notNull)
            .column("place", type: .text, .notNull, .default(""))
            .column("status", type: .text, .notNull)
            .column("recorded_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "violations_unit").on("violations").column("unit_path").column("created_at").run()
    }

    /// Inspection teams' visits and their findings, each with a deadline to fix.
    package static let createInspections = Migration("mov_004_inspections") { db, kind in
        let c = kind.byteOrderCollation
        let bool = SQLDataType.custom(SQLRaw("BOOLEAN"))
        try await db.create(table: "inspections")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("target_kind", type: .text, .notNull)
            .column("target_id", type: .text)
            .column("target_name", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("team", type: .text, .notNull)
            .column("visited_on", type: .text, .notNull)
            .column("items", type: .text, .notNull, .default(""))
            .column("recognized", type: bool, .notNull)
            .column("notes", type: .text, .notNull, .default(""))
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "inspections_unit").on("inspections").column("unit_path").column("visited_on").run()
        try await db.create(table: "inspection_findings")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("inspection_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("item", type: .text, .notNull)
            .column("deadline", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("fixed_at", type: .text)
            .run()
        try await db.create(index: "findings_unit").on("inspection_findings").column("unit_path").column("status").column("deadline").run()
    }

    /// People allowed out per ward, day and reason as counters (`unit_daily`, metrics `people_out*`),
    /// kept by every permit and check write from now on; this fills them from the data written before.
    package static let outCounters = Migration("mov_005_people_out_counters") { db, _ in
        try await OutCounters.rebuild(db)
    }

    /// Two reads of every level's movement pages that walked the whole permits table (2,000,000 rows in
    /// the bench): the count of permits waiting for approval (0.2 s) and the newest-first list (0.6 s).
    package static let permitListIndexes = Migration("mov_006_permit_list_indexes") { db, _ in
        try await db.raw("CREATE INDEX permits_requested ON permits (unit_path) WHERE status = 'requested'").run()
        try await db.raw("CREATE INDEX permits_created ON permits (created_at, id)").run()
    }

    /// When each checkpoint last sent a check, kept on the checkpoint by every check write: the dashboard's
    /// "checkpoint silent for over an hour" alert read the maximum over every check of the last day instead.
    package static let checkpointLastSeen = Migration("mov_007_checkpoint_last_seen") { db, _ in
        try await db.raw("ALTER TABLE checkpoints ADD COLUMN last_seen_at TEXT").run()
        try await db.raw("UPDATE checkpoints SET last_seen_at = (SELECT MAX(k.received_at) FROM checkpoint_checks k WHERE k.checkpoint_id = checkpoints.id)").run()
    }

    /// A person's permits, fines and staff-list places read by person: the merge form counts them for each
    /// candidate and a merge moves them, which walked 2,000,000 permits without these.
    package static let personIndexes = Migration("mov_008_person_indexes") { db, _ in
        try await db.create(index: "permits_person").on("permits").column("person_id").run()
        try await db.create(index: "violations_person").on("violations").column("person_id").run()
        try await db.create(index: "business_staff_person").on("business_staff").column("person_id").run()
    }
}
