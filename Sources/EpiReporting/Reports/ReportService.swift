import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// The administrative tree as reports see it: who is expected to submit, and the units to drill into.
package struct ReportUnits: Sendable {
    let units: [UnitRecord]
    private let lowest: Set<String>

    init(_ all: [UnitRecord]) {
        let administrative = all.filter { !$0.isGroup }
        let parents = Set(administrative.compactMap(\.parentPath))
        self.units = administrative.sorted { $0.path < $1.path }
        self.lowest = Set(administrative.map(\.path).filter { !parents.contains($0) })
    }

    package static func load(_ directory: UnitDirectory) async -> ReportUnits { ReportUnits(await directory.all()) }

    /// Loaded straight from the database, for alert providers that have no directory at hand.
    static func load(_ db: any SQLDatabase) async throws -> ReportUnits {
        ReportUnits(try await db.raw("SELECT id, path, parent_path, code, depth, kind, name, name_folded, population, valid_from, valid_to, version FROM units")
            .all(decoding: UnitRecord.self, keyDecodingStrategy: .memoizedSnakeCase))
    }

    func isSubmitter(_ unit: UnitRecord, _ level: SubmitterLevel) -> Bool {
        switch level {
        case .ward: return lowest.contains(unit.path)
        // The tier just below a root (districts in 2021 Hanoi).
        case .district: return unit.depth == 2 && !lowest.contains(unit.path)
        }
    }

    /// Units at the template's level inside `root`, in code order.
    package func expected(_ level: SubmitterLevel, under root: String) -> [UnitRecord] {
        guard let rootPath = try? UnitPath(root) else { return [] }
        return units.filter { isSubmitter($0, level) && ((try? UnitPath($0.path)).map(rootPath.contains) ?? false) }
    }

    /// The administrative units directly below `path`.
    func children(of path: String) -> [UnitRecord] { units.filter { $0.parentPath == path } }

    func unit(_ path: String) -> UnitRecord? { units.first { $0.path == path } }
}

/// Submitting, correcting, checking and consolidating reports: the rules pages and API share.
package struct ReportService: Sendable {
    let database: Database
    let directory: UnitDirectory

    package init(services: AppServices) {
        self.database = services.database
        self.directory = services.directory
    }

    static let unknownTemplate = AppError(.notFound, code: "not_found", vi: "Không có mẫu báo cáo này.", en: "No such report template.")

    func template(_ code: String) async throws -> ReportTemplate {
        guard let t = try await database.read({ try await ReportStore.template($0, code: code) }), t.active else { throw Self.unknownTemplate }
        return t
    }

    /// The period a request names; without one, the period being filled now (forms, the API) or, for
    /// pages that check and consolidate (`review`), the latest one whose deadline has passed.
    func period(_ key: String?, template: ReportTemplate, review: Bool = false, now: Date = Clock.now()) throws -> ReportPeriod {
        guard let key, !key.isEmpty else { return review ? template.reviewPeriod(now: now) : template.defaultPeriod(now: now) }
        guard let period = ReportPeriod(key: key, frequency: template.frequency) else {
            throw AppError.invalid("Kỳ báo cáo '\(key)' không hợp lệ (ngày yyyy-mm-dd hoặc tuần yyyy-Www).", "Invalid period '\(key)' (day yyyy-mm-dd or week yyyy-Www).", details: ["period": "invalid"])
        }
        return period
    }

    /// A unit the user may act on for this template: inside the user's jurisdiction (else 404) and at the template's level.
    func submitterUnit(_ path: String, template: ReportTemplate, user: CurrentUser) async throws -> UnitRecord {
        guard let p = try? UnitPath(path), user.covers(p), let unit = try await directory.unit(p.string) else { throw AppError.notFound }
        let units = await ReportUnits.load(directory)
        guard units.isSubmitter(unit, template.level) else {
            throw AppError.invalid("\(unit.name) không phải đơn vị lập báo cáo này.", "\(unit.name) does not submit this report.", details: ["unit": "wrong_level"])
        }
        return unit
    }

    /// Live figures for the template's pre-filled fields: daily metrics summed over the report's day
    /// (or its week), gauges as they stand now.
    package func prefill(_ db: any SQLDatabase, template: ReportTemplate, unit: String, period: ReportPeriod, user: CurrentUser) async throws -> [String: Int] {
        let fields = template.fields.filter { $0.metric != nil }
        guard !fields.isEmpty else { return [:] }
        let scope = try await Scope.focus(try UnitPath(unit), for: user, directory: directory)
        let metrics = fields.compactMap { $0.metric.flatMap(Metric.init(rawValue:)) }
        let gauges = try await Counters.gauges(db, scope: scope, metrics.filter { $0.kind == .gauge })
        let dailyMetrics = metrics.filter { $0.kind == .daily }
        let from = period.frequency == .weekly ? period.start : min(period.start, period.end.weekStart)
        let daily = try await Counters.daily(db, scope: scope, dailyMetrics, from: from, to: period.end)
        var out: [String: Int] = [:]
        for field in fields {
            guard let metric = field.metric.flatMap(Metric.init(rawValue:)) else { continue }
            if metric.kind == .gauge {
                out[field.key] = gauges[metric] ?? 0
            } else {
                let start = period.frequency == .daily && field.window == .week ? period.end.weekStart : period.start
                out[field.key] = (daily[metric] ?? [:]).filter { $0.key >= start && $0.key <= period.end }.values.reduce(0, +)
            }
        }
        return out
    }

    package struct SubmitInput: Sendable {
        var values: [String: String]
        var reasons: [String: String]
        /// Present when correcting an already submitted report.
        var correctionReason: String?

        package init(values: [String: String], reasons: [String: String], correctionReason: String? = nil) {
            self.values = values
            self.reasons = reasons
            self.correctionReason = correctionReason
        }
    }

    /// Submits (version 1) or corrects (version n+1) a unit's report, once per idempotency key.
    /// Returns the report's page path.
    package func submit(code: String, periodKey: String, unitPath: String, input: SubmitInput, user: CurrentUser, key: IdempotencyKey?, now: Date = Clock.now()) async throws -> String {
        guard user.can(.submitReports) else { throw AppError.forbidden }
        let template = try await template(code)
        let period = try period(periodKey, template: template)
        let unit = try await submitterUnit(unitPath, template: template, user: user)
        guard period.start <= VietnamTime.day(of: now) else {
            throw AppError.invalid("Không thể báo cáo cho kỳ chưa bắt đầu.", "A report cannot be filed for a period that has not started.", details: ["period": "future"])
        }
        let path = "/reports/\(code)/\(period.key)/\(try UnitPath(unit.path).slug)"
        return try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                let previous = try await ReportStore.latest(db, code: code, period: period.key, unit: unit.path)
                let correction = input.correctionReason?.trimmedWhitespace
                if previous != nil, correction == nil {
                    throw AppError(.conflict, code: "report_locked", vi: "Báo cáo kỳ này đã gửi và đã khóa. Muốn sửa, hãy lập bản điều chỉnh có ghi lý do.",
                                   en: "This period's report was submitted and is locked. To change it, file a correction with a reason.")
                }
                if previous != nil, correction?.isEmpty ?? true {
                    throw AppError.invalid("Bản điều chỉnh cần ghi lý do.", "A correction needs a reason.", details: ["correction_reason": "required"])
                }
                let live = try await prefill(db, template: template, unit: unit.path, period: period, user: user)
                // A correction re-judges only what it changes: a figure kept from the accepted version keeps
                // that version's reason, even if the live figure has moved on since (gauges do).
                var judged = live, reasons = input.reasons
                if previous != nil, let accepted = try await ReportStore.history(db, code: code, period: period.key, unit: unit.path).first {
                    for (key, value) in accepted.values where ReportValidation.integer(input.values[key] ?? "") == Int(value) && live[key] != nil {
                        judged[key] = Int(value)
                        if reasons[key] == nil, let old = accepted.reasons[key] { reasons[key] = old }
                    }
                }
                var outcome = ReportValidation.validate(template.fields, input: input.values, prefill: judged, reasons: reasons)
                for (key, reason) in reasons where outcome.reasons[key] == nil && live[key] != nil && outcome.values[key].map({ Int($0) != live[key] }) == true {
                    outcome.reasons[key] = reason
                }
                guard outcome.isValid else {
                    throw AppError.invalid("Báo cáo chưa hợp lệ: xem các ô được đánh dấu.", "The report is not valid: see the marked fields.",
                                           details: outcome.problems.mapValues(\.rawValue))
                }
                let deadline = template.deadline.instant(period)
                let submission = ReportSubmission(
                    id: Identifier.make(at: now), templateCode: code, templateVersion: template.version, unitPath: unit.path, periodKey: period.key,
                    version: (previous?.version ?? 0) + 1, values: outcome.values, prefill: live, reasons: outcome.reasons,
                    correctionReason: previous == nil ? nil : correction.map { String($0.prefix(1000)) },
                    submittedAt: Timestamp.string(now), submittedByName: user.displayName, deadlineAt: Timestamp.string(deadline), onTime: now <= deadline)
                do {
                    try await ReportStore.insertSubmission(db, submission, templateID: template.id, userID: user.id)
                } catch {
                    // The unique (template, unit, period, version) constraint: someone submitted the same version a moment ago.
                    throw AppError(.conflict, code: "report_locked", vi: "Báo cáo kỳ này vừa được gửi. Tải lại trang để xem.", en: "This report was just submitted. Reload to see it.")
                }
                try await ReportStore.recordLatest(db, submission)
                var changes: [FieldChange] = template.fields.compactMap { f in
                    let old = previous?.values[f.key], new = submission.values[f.key]
                    return old == new ? nil : FieldChange(f.key, old: old, new: new)
                }
                if let reason = submission.correctionReason { changes.append(FieldChange("correction_reason", old: nil, new: reason)) }
                for (key, reason) in submission.reasons.sorted(by: { $0.key < $1.key }) { changes.append(FieldChange("reason.\(key)", old: live[key].map(String.init), new: reason)) }
                let timing = submission.onTime ? "đúng hạn" : "muộn"
                try await Audit.record(db, actor: user, action: previous == nil ? "submit" : "correct", entityType: "report_submission", entityId: submission.id,
                                       unitPath: try UnitPath(unit.path),
                                       summary: previous == nil ? "Gửi \(template.titleVI) kỳ \(period.label(vietnamese: true)) của \(unit.name) (\(timing))"
                                                                : "Điều chỉnh \(template.titleVI) kỳ \(period.label(vietnamese: true)) của \(unit.name), bản \(submission.version)",
                                       changes: changes)
                return path
            }.outcome
        }
    }

    // MARK: completeness

    package struct UnitStatus: Sendable {
        package let unit: UnitRecord
        package let timeliness: Timeliness
        let submittedAt: String?
        let version: Int
        let reminders: Int
    }

    /// Who submitted a period's report on time, late, or not at all, among the units under `root`.
    package func completeness(template: ReportTemplate, period: ReportPeriod, root: String, scope: Scope, now: Date = Clock.now()) async throws -> [UnitStatus] {
        let expected = await ReportUnits.load(directory).expected(template.level, under: root)
        // Nobody under this unit files this report (a ward and the district report): nothing to show.
        guard !expected.isEmpty else { throw AppError.notFound }
        let (statuses, reminders) = try await database.read { db in
            (try await ReportStore.statuses(db, code: template.code, from: period.key, to: period.key, scope: scope),
             try await ReportStore.reminderCounts(db, code: template.code, period: period.key, scope: scope))
        }
        let byUnit = Dictionary(statuses.map { ($0.unitPath, $0) }, uniquingKeysWith: { a, _ in a })
        let deadline = template.deadline.instant(period)
        return expected.map { unit in
            let s = byUnit[unit.path]
            let timeliness = s.map { $0.onTime ? Timeliness.onTime : .late } ?? Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: now)
            return UnitStatus(unit: unit, timeliness: timeliness, submittedAt: s?.firstSubmittedAt, version: s?.version ?? 0, reminders: reminders[unit.path] ?? 0)
        }
    }

    /// Timeliness of every expected unit under `root` over consecutive periods (the lateness strips).
    package func history(template: ReportTemplate, periods: [ReportPeriod], root: String, scope: Scope, now: Date = Clock.now()) async throws -> [(unit: UnitRecord, record: LatenessRecord)] {
        guard let first = periods.first, let last = periods.last else { return [] }
        let expected = await ReportUnits.load(directory).expected(template.level, under: root)
        let statuses = try await database.read { db in
            try await ReportStore.statuses(db, code: template.code, from: first.key, to: last.key, scope: scope)
        }
        var onTime: [String: [String: Bool]] = [:]
        for s in statuses { onTime[s.unitPath, default: [:]][s.periodKey] = s.onTime }
        let deadlines = periods.map { template.deadline.instant($0) }
        return expected.map { unit in
            let mine = onTime[unit.path] ?? [:]
            let record = LatenessRecord(zip(periods, deadlines).map { period, deadline in
                mine[period.key].map { $0 ? Timeliness.onTime : .late } ?? Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: now)
            })
            return (unit, record)
        }
    }

    // MARK: consolidation

    package struct Consolidated: Sendable {
        let template: ReportTemplate
        let period: ReportPeriod
        let root: UnitRecord
        let consolidation: Consolidation
        let reports: [String: LatestReport]
        /// The units one level below the root with their own sub-totals (districts for the city).
        let parts: [(unit: UnitRecord, consolidation: Consolidation)]
        let expected: [UnitRecord]
    }

    /// Totals of the latest versions under `root`; units that did not report are listed, never counted as zero.
    package func consolidate(template: ReportTemplate, period: ReportPeriod, root: String, scope: Scope) async throws -> Consolidated {
        let units = await ReportUnits.load(directory)
        guard let rootUnit = units.unit(root) else { throw AppError.notFound }
        let expected = units.expected(template.level, under: root)
        guard !expected.isEmpty else { throw AppError.notFound }
        let rows = try await database.read { try await ReportStore.latest($0, code: template.code, period: period.key, scope: scope) }
        let reports = Dictionary(rows.map { ($0.unitPath, $0) }, uniquingKeysWith: { a, _ in a })
        let values = reports.mapValues(\.values)
        let total = Consolidation(fields: template.fields, expectedUnits: expected.map(\.path), reports: values)
        var parts: [(UnitRecord, Consolidation)] = []
        let children = units.children(of: root)
        if expected.count > 1, children.contains(where: { !units.isSubmitter($0, template.level) }) {
            for child in children {
                let under = units.expected(template.level, under: child.path).map(\.path)
                guard !under.isEmpty else { continue }
                parts.append((child, Consolidation(fields: template.fields, expectedUnits: under, reports: values)))
            }
        }
        return Consolidated(template: template, period: period, root: rootUnit, consolidation: total, reports: reports, parts: parts, expected: expected)
    }

    // MARK: reminders

    /// Sends a reminder to each unit (late or missing), recorded, audited and posted to the unit's message stream.
    package func remind(template: ReportTemplate, period: ReportPeriod, units targets: [String], note: String, user: CurrentUser, key: IdempotencyKey?) async throws -> Int {
        guard user.can(.remindUnits) else { throw AppError.forbidden }
        let units = await ReportUnits.load(directory)
        var chosen: [UnitRecord] = []
        for path in targets {
            guard let p = try? UnitPath(path), user.covers(p), p != user.unitPath, let unit = units.unit(p.string), units.isSubmitter(unit, template.level) else { throw AppError.notFound }
            chosen.append(unit)
        }
        guard !chosen.isEmpty else { throw AppError.invalid("Chọn ít nhất một đơn vị cần đôn đốc.", "Choose at least one unit to remind.", details: ["units": "required"]) }
        let text = note.trimmedWhitespace
        let deadline = VietnamTime.display(template.deadline.instant(period))
        let body = text.isEmpty ? "Đề nghị gửi \(template.titleVI) kỳ \(period.label(vietnamese: true)) (hạn \(deadline))." : String(text.prefix(1000))
        let sent = chosen
        let result = try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                let now = Timestamp.now()
                for unit in sent {
                    let reminder = ReportReminder(id: Identifier.make(), templateCode: template.code, periodKey: period.key, unitPath: unit.path, note: body,
                                                  sentByName: user.displayName, senderUnitPath: user.unitPath.string, sentAt: now)
                    try await ReportStore.insertReminder(db, reminder, userID: user.id)
                    _ = try await MessageStore.post(db, unit: user.unitPath.string, group: "", author: user,
                                                    body: "Đôn đốc \(unit.name): \(body)", urgent: false, submissionID: nil, mentions: [(unit.path, "")])
                    try await Audit.record(db, actor: user, action: "remind", entityType: "report_reminder", entityId: reminder.id, unitPath: try UnitPath(unit.path),
                                           summary: "Đôn đốc \(unit.name) gửi \(template.titleVI) kỳ \(period.label(vietnamese: true))")
                }
                return String(sent.count)
            }
        }
        return Int(result.outcome) ?? sent.count
    }
}
