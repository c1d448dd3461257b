import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Quarantine and isolation episodes, their scheduled tests, facilities and transfers.
package struct QuarantineService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    private func msg(_ language: Language, _ vi: String, _ en: String) -> String { language == .vi ? vi : en }

    static func rules(_ db: any SQLDatabase) async throws -> [QuarantineRule] {
        struct Row: Decodable { let id: String, effectiveFrom: String, subject: String, setting: String, days: Int, monitoringDays: Int, testDays: String, source: String }
        return try await db.raw("SELECT id, effective_from, subject, setting, days, monitoring_days, test_days, source FROM quarantine_rules ORDER BY effective_from, subject, setting")
            .all(decoding: Row.self, keyDecodingStrategy: .memoizedSnakeCase)
            .compactMap { r in
                guard let from = CivilDate(iso: r.effectiveFrom), let subject = QuarantineSubject(rawValue: r.subject), let setting = CareSetting(rawValue: r.setting) else { return nil }
                return QuarantineRule(id: r.id, effectiveFrom: from, subject: subject, setting: setting, days: r.days, monitoringDays: r.monitoringDays,
                                      testDays: QuarantineRule.parseTestDays(r.testDays) ?? [], source: r.source)
            }
    }

    /// Adds a rule version (city, `manageRules`); records keep the version in force on their start date.
    static func addRule(_ db: any SQLDatabase, _ rule: QuarantineRule, user: CurrentUser) async throws {
        let problems = rule.problems()
        guard problems.isEmpty else {
            throw AppError.invalid("Quy định không hợp lệ: ngày cách ly 1–60, ngày xét nghiệm nằm trong thời gian cách ly.",
                                   "Invalid rule: 1–60 days, test days inside the period.", details: problems)
        }
        try await db.insert(into: "quarantine_rules")
            .columns("id", "effective_from", "subject", "setting", "days", "monitoring_days", "test_days", "source", "created_by", "created_at")
            .values(SQLBind(rule.id), SQLBind(rule.effectiveFrom.iso), SQLBind(rule.subject.rawValue), SQLBind(rule.setting.rawValue), SQLBind(rule.days),
                    SQLBind(rule.monitoringDays), SQLBind(rule.testDays.map(String.init).joined(separator: ",")), SQLBind(rule.source), SQLBind(user.username), SQLBind(Timestamp.now()))
            .run()
        try await Audit.record(db, actor: user, action: "create", entityType: "quarantine_rule", entityId: rule.id, unitPath: nil,
                               summary: "Quy định cách ly \(rule.subject.labelVI) (\(rule.setting.labelVI)) từ \(rule.effectiveFrom.vietnamese): \(rule.days) + \(rule.monitoringDays) ngày",
                               changes: [FieldChange("days", old: nil, new: String(rule.days)), FieldChange("test_days", old: nil, new: rule.testDays.map(String.init).joined(separator: ","))])
    }

    static func episode(_ db: any SQLDatabase, id: String) async throws -> EpisodeRecord? {
        try await db.raw("SELECT \(unsafeRaw: EpisodeRecord.columns) FROM episodes WHERE id = \(bind: id)").first(decoding: EpisodeRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func episodes(_ db: any SQLDatabase, personID: String) async throws -> [EpisodeRecord] {
        try await db.raw("SELECT \(unsafeRaw: EpisodeRecord.columns) FROM episodes WHERE person_id = \(bind: personID) ORDER BY start_date DESC")
            .all(decoding: EpisodeRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func tests(_ db: any SQLDatabase, episodeID: String) async throws -> [EpisodeTestRecord] {
        try await db.raw("SELECT \(unsafeRaw: EpisodeTestRecord.columns) FROM episode_tests WHERE episode_id = \(bind: episodeID) ORDER BY day_number")
            .all(decoding: EpisodeTestRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func facility(_ db: any SQLDatabase, id: String) async throws -> FacilityRecord? {
        try await db.raw("SELECT \(unsafeRaw: FacilityRecord.columns) FROM facilities WHERE id = \(bind: id)").first(decoding: FacilityRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func facilities(_ db: any SQLDatabase, scope: Scope?) async throws -> [FacilityRecord] {
        let condition: SQLQueryString = scope.map { $0.condition() } ?? "1 = 1"
        return try await db.raw("SELECT \(unsafeRaw: FacilityRecord.columns) FROM facilities WHERE active AND \(condition) ORDER BY name")
            .all(decoding: FacilityRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Who may act on an episode: the person's ward (and above) with `manageQuarantine`, or the
    /// facility holding them with `manageFacilities`. Anyone else gets 404.
    func authorize(_ episode: EpisodeRecord, user: CurrentUser, scope: Scope, db: any SQLDatabase) async throws {
        if user.can(.manageQuarantine), scope.contains(unitPath: episode.unitPath, groupCode: episode.groupCode) { return }
        if user.can(.manageFacilities), let fid = episode.facilityId, let f = try await Self.facility(db, id: fid), user.covers(try UnitPath(f.unitPath)) { return }
        throw AppError.notFound
    }

    package struct StartInput: Codable, Sendable {
        var personId: String
        var subject: String?
        var setting: String?
        var facilityId: String?
        var startDate: String?
        var note: String?

        package init(personId: String, subject: String? = nil, setting: String? = nil, facilityId: String? = nil, startDate: String? = nil, note: String? = nil) {
            self.personId = personId
            self.subject = subject
            self.setting = setting
            self.facilityId = facilityId
            self.startDate = startDate
            self.note = note
        }
    }

    /// How far ahead a quarantine may be planned to start.
    static let maxDaysAhead = 7

    /// Starts quarantine (contacts, arrivals) or isolation (cases) with the plan of the rule in force on the start date.
    package func start(_ input: StartInput, user: CurrentUser, scope: Scope, key: IdempotencyKey?, language: Language) async throws -> EpisodeRecord {
        guard user.can(.manageQuarantine) || user.can(.manageFacilities) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let subject = QuarantineSubject(rawValue: input.subject ?? "f1")
        if subject == nil { errors["subject"] = "invalid" }
        let setting = CareSetting(rawValue: input.setting ?? "home")
        if setting == nil { errors["setting"] = "invalid" }
        let today = Clock.today()
        var startDay = today
        if let raw = input.startDate, !raw.isEmpty {
            do {
                startDay = try CivilDate(parsing: raw)
                // A quarantine is planned days ahead at most, never for a year that has not come.
                if startDay > today.adding(days: Self.maxDaysAhead) {
                    errors["start_date"] = msg(language, "Ngày bắt đầu không được sau hôm nay quá \(Self.maxDaysAhead) ngày.", "The start may be at most \(Self.maxDaysAhead) days from today.")
                }
            } catch {
                errors["start_date"] = msg(language, error.messageVI, error.messageEN)
            }
        }
        let facilityId = input.facilityId.flatMap { $0.isEmpty ? nil : $0 }
        if setting != .home && facilityId == nil { errors["facility_id"] = msg(language, "Chọn cơ sở.", "Choose the facility.") }
        // Facility staff admit people into their own facility only, never start home quarantine.
        if !user.can(.manageQuarantine) && (setting == .home || facilityId == nil) {
            throw AppError(.forbidden, code: "facility_only", vi: "Cơ sở cách ly chỉ tiếp nhận người vào cơ sở của mình; cách ly tại nhà do phường/xã quyết định.",
                           en: "A facility admits people into its own facility only; home quarantine is decided by the ward.")
        }
        guard errors.isEmpty, let subject, let setting else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors)
        }
        let start = startDay
        return try await database.transaction { db in
            var facility: FacilityRecord?
            if let facilityId {
                facility = try await Self.facility(db, id: facilityId)
                guard let f = facility, f.active else { throw AppError.invalid("Cơ sở không tồn tại.", "Unknown facility.", details: ["facility_id": "unknown"]) }
                if !user.can(.manageQuarantine) { guard user.covers(try UnitPath(f.unitPath)) else { throw AppError.notFound } }
            }
            let person: PersonRecord?
            if user.can(.manageQuarantine) {
                person = try await PersonQueries.find(db, id: input.personId, scope: scope)
            } else if let facility, try await db.raw("""
                SELECT id FROM transfers WHERE person_id = \(bind: input.personId) AND facility_id = \(bind: facility.id) AND status IN ('requested', 'dispatched')
                """).first() != nil {
                // Facility staff reach a person from elsewhere only through a transfer to their facility.
                person = try await PersonQueries.find(db, grant: .authorizedTransfer(personID: input.personId))
            } else {
                person = nil
            }
            guard let person else { throw AppError.notFound }
            return try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await Self.episode(db, id: $0) }) {
                try await Self.begin(db, person: person, subject: subject, setting: setting, facility: facility, start: start,
                                     note: input.note ?? "", user: user, language: language)
            }
        }
    }

    /// Starts an episode inside the caller's transaction (the F0 form, a transfer's arrival and the
    /// quarantine form share it), so a refusal — a full facility, no rule in force — leaves nothing behind.
    /// A caller that recomputes contact levels itself afterwards passes `recomputeLevels: false`.
    static func begin(_ db: any SQLDatabase, person: PersonRecord, subject: QuarantineSubject, setting: CareSetting, facility: FacilityRecord?,
                      start: CivilDate, note: String, user: CurrentUser, language: Language, recomputeLevels: Bool = true) async throws -> EpisodeRecord {
        if try await db.raw("SELECT id FROM episodes WHERE person_id = \(bind: person.id) AND status = 'active'").first() != nil {
            throw AppError(.conflict, code: "episode_active", vi: "Người này đang trong một đợt cách ly/điều trị; hãy kết thúc hoặc chuyển đợt đó.",
                           en: "This person is already in quarantine or isolation; end or transfer that episode first.")
        }
        let rules = try await Self.rules(db)
        guard let rule = QuarantinePolicy.rule(for: subject, setting: setting, on: start, rules: rules) else {
            throw AppError.invalid("Không có quy định cách ly nào có hiệu lực vào ngày \(start.vietnamese).", "No quarantine rule was in force on \(start.iso).",
                                   details: ["start_date": "no_rule"])
        }
        let plan = QuarantinePolicy.plan(start: start, rule: rule)
        let now = Timestamp.now()
        let episode = EpisodeRecord(id: Identifier.make(), personId: person.id, kind: subject == .f0 ? "isolation" : "quarantine", subject: subject.rawValue,
                                    setting: setting.rawValue, facilityId: facility?.id, unitPath: person.unitPath, groupCode: person.groupCode ?? "",
                                    startDate: start.iso, plannedEnd: plan.end.iso, monitoringEnd: plan.monitoringEnd.iso, extraDays: 0, ruleId: rule.id,
                                    status: "active", releasedOn: nil, note: note.trimmed, createdBy: user.username, createdAt: now, updatedAt: now, version: 1)
        try await insert(db, episode, plan: plan)
        if let f = facility { try await occupy(db, facility: f, by: 1, language: language) }
        var deltas: [Counters.Change: Int] = [Counters.Change(episode.unitPath, group: episode.groupCode, .quarantineAdmitted, day: start): episode.kind == "quarantine" ? 1 : 0]
        if let g = episode.gauge { deltas[Counters.Change(episode.unitPath, group: episode.groupCode, g)] = 1 }
        try await Counters.apply(db, deltas)
        try await Audit.record(db, actor: user, action: "create", entityType: "episode", entityId: episode.id, unitPath: try? UnitPath(episode.unitPath),
                               summary: "Bắt đầu \(episode.kind == "isolation" ? "cách ly điều trị" : "cách ly") \(setting.labelVI) \(start.vietnamese) → \(plan.end.vietnamese)",
                               changes: [FieldChange("person_id", old: nil, new: person.id), FieldChange("rule_id", old: nil, new: rule.id),
                                         FieldChange("planned_end", old: nil, new: plan.end.iso)])
        try await Audit.record(db, actor: user, action: "quarantine", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath),
                               summary: "Bắt đầu cách ly \(setting.labelVI) đến \(plan.end.vietnamese)")
        if recomputeLevels { try await ContactLevelService.recompute(db, around: [person.id]) }
        return episode
    }

    private static func insert(_ db: any SQLDatabase, _ e: EpisodeRecord, plan: QuarantinePlan) async throws {
        try await db.raw("""
            INSERT INTO episodes (\(unsafeRaw: EpisodeRecord.columns)) VALUES (\(bind: e.id), \(bind: e.personId), \(bind: e.kind), \(bind: e.subject), \(bind: e.setting),
            \(bind: e.facilityId), \(bind: e.unitPath), \(bind: e.groupCode), \(bind: e.startDate), \(bind: e.plannedEnd), \(bind: e.monitoringEnd), \(bind: e.extraDays),
            \(bind: e.ruleId), \(bind: e.status), \(bind: e.releasedOn), \(bind: e.note), \(bind: e.createdBy), \(bind: e.createdAt), \(bind: e.updatedAt), \(bind: e.version))
            """).run()
        for test in plan.tests {
            try await db.raw("""
                INSERT INTO episode_tests (id, episode_id, day_number, due_on, result) VALUES (\(bind: Identifier.make()), \(bind: e.id), \(bind: test.day), \(bind: test.date.iso), 'pending')
                """).run()
        }
    }

    /// Moves a facility's live occupancy; a full facility takes nobody more.
    static func occupy(_ db: any SQLDatabase, facility: FacilityRecord, by delta: Int, language: Language) async throws {
        if delta > 0 {
            let rows = try await db.raw("""
                UPDATE facilities SET occupancy = occupancy + \(bind: delta), updated_at = \(bind: Timestamp.now())
                WHERE id = \(bind: facility.id) AND occupancy + \(bind: delta) <= capacity RETURNING id
                """).all()
            if rows.isEmpty {
                throw AppError(.conflict, code: "facility_full", vi: "\(facility.name) đã hết chỗ (\(facility.capacity) chỗ). Chọn cơ sở khác.",
                               en: "\(facility.name) is full (\(facility.capacity) places). Choose another facility.", details: ["facility_id": "full"])
            }
        } else {
            try await db.raw("UPDATE facilities SET occupancy = CASE WHEN occupancy + \(bind: delta) < 0 THEN 0 ELSE occupancy + \(bind: delta) END, updated_at = \(bind: Timestamp.now()) WHERE id = \(bind: facility.id)").run()
        }
    }

    /// Records a scheduled test's result; a positive one points the officer to the F0 form.
    func recordTest(episodeID: String, day: Int, result: String, takenOn: String?, confirmEarly: Bool = false, user: CurrentUser, scope: Scope,
                    language: Language) async throws -> EpisodeTestRecord {
        guard ["negative", "positive", "pending"].contains(result) else {
            throw AppError.invalid("Kết quả phải là âm tính hoặc dương tính.", "The result must be negative or positive.", details: ["result": "invalid"])
        }
        let taken = try DateInput.orToday(takenOn, field: "taken_on")
        return try await database.transaction { db in
            guard let episode = try await Self.episode(db, id: episodeID) else { throw AppError.notFound }
            try await authorize(episode, user: user, scope: scope, db: db)
            guard let before = try await db.raw("SELECT \(unsafeRaw: EpisodeTestRecord.columns) FROM episode_tests WHERE episode_id = \(bind: episodeID) AND day_number = \(bind: day)")
                .first(decoding: EpisodeTestRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            guard before.result != result else { return before }
            // A result taken before its day is usually a slip (the day-7 box ticked on day 1): it is kept only when confirmed.
            if result != "pending", let due = CivilDate(iso: before.dueOn), taken < due, !confirmEarly {
                throw AppError(.unprocessableContent, code: "early_test",
                               vi: "Xét nghiệm ngày \(day) đến hạn \(due.vietnamese) nhưng kết quả ghi ngày \(taken.vietnamese). Đánh dấu xác nhận nếu đúng là lấy mẫu sớm.",
                               en: "The day-\(day) test is due on \(due.vietnamese) but the result is dated \(taken.vietnamese). Confirm if the sample really was taken early.",
                               details: ["confirm_early": "required"])
            }
            let now = Timestamp.now()
            try await db.raw("""
                UPDATE episode_tests SET result = \(bind: result), taken_on = \(bind: result == "pending" ? nil : taken.iso), recorded_by = \(bind: user.username), recorded_at = \(bind: now)
                WHERE id = \(bind: before.id)
                """).run()
            var deltas: [Counters.Change: Int] = [:]
            func count(_ r: String, _ d: String?, _ sign: Int) {
                guard r != "pending", let day = d.flatMap(CivilDate.init(iso:)) else { return }
                deltas[Counters.Change(episode.unitPath, group: episode.groupCode, .quarantineTests, day: day), default: 0] += sign
                if r == "positive" { deltas[Counters.Change(episode.unitPath, group: episode.groupCode, .quarantineTestsPositive, day: day), default: 0] += sign }
            }
            count(before.result, before.takenOn, -1)
            count(result, taken.iso, 1)
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: user, action: "test_result", entityType: "episode", entityId: episode.id, unitPath: try? UnitPath(episode.unitPath),
                                   summary: "Xét nghiệm ngày \(day): \(result == "positive" ? "dương tính" : result == "negative" ? "âm tính" : "chờ")",
                                   changes: [FieldChange("test_day_\(day)", old: before.result, new: result)])
            var after = before
            after.result = result
            after.takenOn = result == "pending" ? nil : taken.iso
            after.recordedBy = user.username
            after.recordedAt = now
            return after
        }
    }

    /// Extends an active episode by some days (a late positive in the household, a missed test).
    func extend(episodeID: String, days: Int, reason: String, user: CurrentUser, scope: Scope) async throws -> EpisodeRecord {
        guard (1...30).contains(days) else { throw AppError.invalid("Gia hạn từ 1 đến 30 ngày.", "Extend by 1 to 30 days.", details: ["days": "out_of_range"]) }
        guard !reason.trimmed.isEmpty else { throw AppError.invalid("Cần ghi lý do gia hạn.", "A reason is required.", details: ["reason": "required"]) }
        return try await database.transaction { db in
            guard var e = try await Self.episode(db, id: episodeID) else { throw AppError.notFound }
            try await authorize(e, user: user, scope: scope, db: db)
            guard e.isActive else { throw AppError(.conflict, code: "episode_closed", vi: "Đợt cách ly đã kết thúc.", en: "This episode has ended.") }
            let old = e.plannedEnd
            let newEnd = (try CivilDate.stored(e.plannedEnd)).adding(days: days)
            let monitoring = (try CivilDate.stored(e.monitoringEnd)).adding(days: days)
            e.extraDays += days
            e.plannedEnd = newEnd.iso
            e.monitoringEnd = monitoring.iso
            e.updatedAt = Timestamp.now()
            e.version += 1
            try await db.raw("""
                UPDATE episodes SET planned_end = \(bind: e.plannedEnd), monitoring_end = \(bind: e.monitoringEnd), extra_days = \(bind: e.extraDays),
                updated_at = \(bind: e.updatedAt), version = \(bind: e.version) WHERE id = \(bind: e.id)
                """).run()
            try await Audit.record(db, actor: user, action: "extend", entityType: "episode", entityId: e.id, unitPath: try? UnitPath(e.unitPath),
                                   summary: "Gia hạn \(days) ngày: \(reason.trimmed)", changes: [FieldChange("planned_end", old: old, new: e.plannedEnd)])
            return e
        }
    }

    /// Ends an episode: released home (quarantine done), or transferred (to hospital, another facility).
    /// Leaving a facility frees a place and, when asked, books the ride home.
    package func release(episodeID: String, on day: CivilDate?, outcome: String, note: String, returnHome: Bool, user: CurrentUser, scope: Scope, language: Language) async throws -> EpisodeRecord {
        guard ["released", "transferred", "cancelled"].contains(outcome) else {
            throw AppError.invalid("Kết thúc phải là hoàn thành, chuyển đi hoặc hủy.", "End must be released, transferred or cancelled.", details: ["outcome": "invalid"])
        }
        let day = day ?? Clock.today()
        return try await database.transaction { db in
            guard let e = try await Self.episode(db, id: episodeID) else { throw AppError.notFound }
            try await authorize(e, user: user, scope: scope, db: db)
            return try await Self.end(db, e, outcome: outcome, on: day, note: note, returnHome: returnHome, user: user, language: language)
        }
    }

    /// Ends an episode inside the caller's transaction.
    static func end(_ db: any SQLDatabase, _ episode: EpisodeRecord, outcome: String, on day: CivilDate, note: String, returnHome: Bool,
                    user: CurrentUser, language: Language, recomputeLevels: Bool = true) async throws -> EpisodeRecord {
        var e = episode
        guard e.isActive else { throw AppError(.conflict, code: "episode_closed", vi: "Đợt cách ly đã kết thúc.", en: "This episode has ended.") }
        guard day >= (try CivilDate.stored(e.startDate)) else {
            throw AppError.invalid("Ngày kết thúc trước ngày bắt đầu.", "End before start.", details: ["released_on": "before_start"])
        }
        e.status = outcome
        e.releasedOn = day.iso
        e.updatedAt = Timestamp.now()
        e.version += 1
        if !note.trimmed.isEmpty { e.note = e.note.isEmpty ? note.trimmed : e.note + "\n" + note.trimmed }
        try await db.raw("""
            UPDATE episodes SET status = \(bind: e.status), released_on = \(bind: e.releasedOn), note = \(bind: e.note), updated_at = \(bind: e.updatedAt), version = \(bind: e.version)
            WHERE id = \(bind: e.id)
            """).run()
        var deltas: [Counters.Change: Int] = [:]
        if let g = e.gauge { deltas[Counters.Change(e.unitPath, group: e.groupCode, g)] = -1 }
        if outcome == "released" && e.kind == "quarantine" { deltas[Counters.Change(e.unitPath, group: e.groupCode, .quarantineReleased, day: day)] = 1 }
        try await Counters.apply(db, deltas)
        if let fid = e.facilityId, let f = try await facility(db, id: fid) {
            try await occupy(db, facility: f, by: -1, language: language)
            if returnHome && outcome == "released", let person = try await PersonQueries.find(db, grant: .authorizedEpisode(personID: e.personId)) {
                let now = Timestamp.now()
                let t = TransferRecord(id: Identifier.make(), personId: e.personId, episodeId: e.id, kind: "return_home", facilityId: fid, unitPath: e.unitPath,
                                       groupCode: e.groupCode, pickup: f.name, destination: person.address, vehicle: "",
                                       scheduledAt: Timestamp.string(VietnamTime.instant(day, hour: 9)), status: "requested", requestedBy: user.username,
                                       createdAt: now, updatedAt: now, completedAt: nil, version: 1)
                try await TransferService.insert(db, t)
            }
        }
        try await Audit.record(db, actor: user, action: outcome, entityType: "episode", entityId: e.id, unitPath: try? UnitPath(e.unitPath),
                               summary: (outcome == "released" ? "Hoàn thành cách ly" : outcome == "transferred" ? "Chuyển đi" : "Hủy đợt cách ly") + " ngày \(day.vietnamese)",
                               changes: [FieldChange("status", old: "active", new: outcome)])
        if recomputeLevels { try await ContactLevelService.recompute(db, around: [e.personId]) }
        return e
    }
}

/// Vehicle transfers: to a facility (admission on arrival), to hospital, and home on release.
enum TransferService {
    static func insert(_ db: any SQLDatabase, _ t: TransferRecord) async throws {
        try await db.raw("""
            INSERT INTO transfers (\(unsafeRaw: TransferRecord.columns)) VALUES (\(bind: t.id), \(bind: t.personId), \(bind: t.episodeId), \(bind: t.kind), \(bind: t.facilityId),
            \(bind: t.unitPath), \(bind: t.groupCode), \(bind: t.pickup), \(bind: t.destination), \(bind: t.vehicle), \(bind: t.scheduledAt), \(bind: t.status),
            \(bind: t.requestedBy), \(bind: t.createdAt), \(bind: t.updatedAt), \(bind: t.completedAt), \(bind: t.version))
            """).run()
    }

    static func find(_ db: any SQLDatabase, id: String) async throws -> TransferRecord? {
        try await db.raw("SELECT \(unsafeRaw: TransferRecord.columns) FROM transfers WHERE id = \(bind: id)").first(decoding: TransferRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    struct Row: Codable, Sendable {
        let id: String, personId: String, fullName: String, kind: String, facilityId: String?, facilityName: String?, unitPath: String
        let pickup: String, destination: String, vehicle: String, scheduledAt: String, status: String
    }

    /// Open transfers a user can see: of people in their scope, or to and from facilities they run.
    static func open(_ db: any SQLDatabase, scope: Scope, facilityIDs: [String]) async throws -> [Row] {
        var condition: SQLQueryString = scope.condition("t")
        if !facilityIDs.isEmpty { condition = "(\(condition) OR t.facility_id IN (\(binds: facilityIDs)))" }
        return try await db.raw("""
            SELECT t.id, t.person_id, p.full_name, t.kind, t.facility_id, f.name AS facility_name, t.unit_path, t.pickup, t.destination, t.vehicle, t.scheduled_at, t.status
            FROM transfers t JOIN persons p ON p.id = t.person_id LEFT JOIN facilities f ON f.id = t.facility_id
            WHERE t.status IN ('requested', 'dispatched') AND \(condition) ORDER BY t.scheduled_at LIMIT 300
            """).all(decoding: Row.self, keyDecodingStrategy: .memoizedSnakeCase)
    }
}
