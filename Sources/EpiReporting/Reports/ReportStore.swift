import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// A report template at one version, as the city defined it.
package struct ReportTemplate: Sendable, Codable, Equatable {
    package let id: String
    package let code: String
    package let version: Int
    package let titleVI: String
    package let titleEN: String
    package let deadline: ReportDeadline
    package let level: SubmitterLevel
    package let fields: [ReportField]
    package let active: Bool
    package let createdAt: String
    package let createdBy: String

    package var frequency: ReportFrequency { deadline.frequency }
    package func title(_ vietnamese: Bool) -> String { vietnamese ? titleVI : titleEN }
    package func field(_ key: String) -> ReportField? { fields.first { $0.key == key } }

    /// The period a unit is expected to be filling now: today's daily report (yesterday's when due the
    /// next morning), last week's weekly report.
    package func defaultPeriod(now: Date) -> ReportPeriod {
        let today = ReportPeriod.containing(VietnamTime.day(of: now), frequency)
        switch frequency {
        case .daily: return deadline.nextDay && deadline.instant(today.adding(-1)) > now ? today.adding(-1) : today
        case .weekly: return today.adding(-1)
        }
    }

    /// The period people check and consolidate unless they pick another: the latest one whose
    /// deadline has passed, so nobody opens on a period still being filled and reads it as missing.
    package func reviewPeriod(now: Date) -> ReportPeriod { deadline.lastDuePeriod(at: now) }

    /// The periods offered in a picker around `selected`: the last `count` due ones and those under way
    /// (started, not yet due), newest first, with `selected` among them even when it is older.
    package func pickerPeriods(around selected: ReportPeriod, now: Date, count: Int) -> [ReportPeriod] {
        let today = VietnamTime.day(of: now)
        var newest = ReportPeriod.containing(today, frequency)
        if newest < reviewPeriod(now: now) { newest = reviewPeriod(now: now) }
        var periods = newest.trailing(max(count, 1) + newest.start.days(since: reviewPeriod(now: now).start) / (frequency == .daily ? 1 : 7))
        if !periods.contains(selected) { periods.append(selected) }
        return periods.sorted(by: >)
    }
}

/// One stored version of one unit's report for one period.
package struct ReportSubmission: Sendable, Codable, Equatable {
    package let id: String
    package let templateCode: String
    package let templateVersion: Int
    package let unitPath: String
    package let periodKey: String
    package let version: Int
    package let values: [String: String]
    package let prefill: [String: Int]
    package let reasons: [String: String]
    package let correctionReason: String?
    package let submittedAt: String
    package let submittedByName: String
    package let deadlineAt: String
    package let onTime: Bool

    package init(id: String, templateCode: String, templateVersion: Int, unitPath: String, periodKey: String, version: Int, values: [String: String], prefill: [String: Int], reasons: [String: String], correctionReason: String?, submittedAt: String, submittedByName: String, deadlineAt: String, onTime: Bool) {
        self.id = id
        self.templateCode = templateCode
        self.templateVersion = templateVersion
        self.unitPath = unitPath
        self.periodKey = periodKey
        self.version = version
        self.values = values
        self.prefill = prefill
        self.reasons = reasons
        self.correctionReason = correctionReason
        self.submittedAt = submittedAt
        self.submittedByName = submittedByName
        self.deadlineAt = deadlineAt
        self.onTime = onTime
    }
}

/// The latest version of a unit's report for a period, with its timeliness (from the first version).
package struct LatestReport: Sendable, Codable, Equatable {
    package let unitPath: String
    package let periodKey: String
    package let submissionId: String
    package let version: Int
    package let firstSubmittedAt: String
    package let lastSubmittedAt: String
    package let onTime: Bool
    package let values: [String: String]
}

/// A reminder (đôn đốc) sent to a unit about a report.
package struct ReportReminder: Sendable, Codable, Equatable {
    package let id: String
    package let templateCode: String
    package let periodKey: String
    package let unitPath: String
    package let note: String
    package let sentByName: String
    package let senderUnitPath: String
    package let sentAt: String
}

/// Small JSON helpers for the value maps kept in text columns (same text on both dialects).
package enum JSONText {
    package static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, default value: T) -> T {
        (try? JSONDecoder().decode(T.self, from: Data(text.utf8))) ?? value
    }
}

/// Every read and write of report tables. Each read that lists rows takes a scope.
package enum ReportStore {
    private struct TemplateRow: Decodable {
        let id: String, code: String, version: Int, titleVi: String, titleEn: String, frequency: String
        let deadlineWeekday: Int?, deadlineHour: Int, deadlineMinute: Int, deadlineNextDay: Bool, level: String, fields: String, active: Bool
        let createdAt: String, createdBy: String

        var template: ReportTemplate {
            let deadline = ReportDeadline(frequency: ReportFrequency(rawValue: frequency) ?? .daily, weekday: deadlineWeekday, hour: deadlineHour, minute: deadlineMinute, nextDay: deadlineNextDay)
            return ReportTemplate(id: id, code: code, version: version, titleVI: titleVi, titleEN: titleEn, deadline: deadline, level: SubmitterLevel(rawValue: level) ?? .ward,
                                  fields: JSONText.decode([ReportField].self, fields, default: []), active: active, createdAt: createdAt, createdBy: createdBy)
        }
    }

    static let templateColumns = "id, code, version, title_vi, title_en, frequency, deadline_weekday, deadline_hour, deadline_minute, deadline_next_day, level, fields, active, created_at, created_by"

    static func insertTemplate(_ db: any SQLDatabase, _ t: ReportTemplate) async throws {
        try await db.raw("""
            INSERT INTO report_templates (\(unsafeRaw: templateColumns)) VALUES (\(bind: t.id), \(bind: t.code), \(bind: t.version), \(bind: t.titleVI), \(bind: t.titleEN),
            \(bind: t.frequency.rawValue), \(bind: t.deadline.weekday), \(bind: t.deadline.hour), \(bind: t.deadline.minute), \(bind: t.deadline.nextDay), \(bind: t.level.rawValue),
            \(bind: JSONText.encode(t.fields)), \(bind: t.active), \(bind: t.createdAt), \(bind: t.createdBy))
            """).run()
    }

    /// The latest version of every template, by code.
    static func templates(_ db: any SQLDatabase, includeInactive: Bool = false) async throws -> [ReportTemplate] {
        let rows = try await db.raw("SELECT \(unsafeRaw: templateColumns) FROM report_templates ORDER BY code, version DESC")
            .all(decoding: TemplateRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        var seen = Set<String>()
        return rows.filter { seen.insert($0.code).inserted }.map(\.template).filter { includeInactive || $0.active }
    }

    package static func template(_ db: any SQLDatabase, code: String, version: Int? = nil) async throws -> ReportTemplate? {
        let versionFilter: SQLQueryString = version.map { "AND version = \(bind: $0)" } ?? ""
        return try await db.raw("SELECT \(unsafeRaw: templateColumns) FROM report_templates WHERE code = \(bind: code) \(versionFilter) ORDER BY version DESC LIMIT 1")
            .first(decoding: TemplateRow.self, keyDecodingStrategy: .memoizedSnakeCase)?.template
    }

    static func versions(_ db: any SQLDatabase, code: String) async throws -> [ReportTemplate] {
        try await db.raw("SELECT \(unsafeRaw: templateColumns) FROM report_templates WHERE code = \(bind: code) ORDER BY version DESC")
            .all(decoding: TemplateRow.self, keyDecodingStrategy: .memoizedSnakeCase).map(\.template)
    }

    // MARK: submissions

    private struct SubmissionRow: Decodable {
        let id: String, templateCode: String, templateVersion: Int, unitPath: String, periodKey: String, version: Int
        let valuesJson: String, prefillJson: String, reasonsJson: String, correctionReason: String?, submittedAt: String, submittedByName: String, deadlineAt: String, onTime: Bool

        var submission: ReportSubmission {
            ReportSubmission(id: id, templateCode: templateCode, templateVersion: templateVersion, unitPath: unitPath, periodKey: periodKey, version: version,
                             values: JSONText.decode([String: String].self, valuesJson, default: [:]), prefill: JSONText.decode([String: Int].self, prefillJson, default: [:]),
                             reasons: JSONText.decode([String: String].self, reasonsJson, default: [:]), correctionReason: correctionReason,
                             submittedAt: submittedAt, submittedByName: submittedByName, deadlineAt: deadlineAt, onTime: onTime)
        }
    }

    static let submissionColumns = "id, template_code, template_version, unit_path, period_key, version, values_json, prefill_json, reasons_json, correction_reason, submitted_at, submitted_by_name, deadline_at, on_time"

    /// Every version of one unit's report for one period, newest first.
    static func history(_ db: any SQLDatabase, code: String, period: String, unit: String) async throws -> [ReportSubmission] {
        try await db.raw("""
            SELECT \(unsafeRaw: submissionColumns) FROM report_submissions
            WHERE template_code = \(bind: code) AND unit_path = \(bind: unit) AND period_key = \(bind: period) ORDER BY version DESC
            """).all(decoding: SubmissionRow.self, keyDecodingStrategy: .memoizedSnakeCase).map(\.submission)
    }

    static func submission(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> ReportSubmission? {
        try await db.raw("SELECT \(unsafeRaw: submissionColumns) FROM report_submissions WHERE id = \(bind: id) AND \(scope.condition())")
            .first(decoding: SubmissionRow.self, keyDecodingStrategy: .memoizedSnakeCase)?.submission
    }

    static func insertSubmission(_ db: any SQLDatabase, _ s: ReportSubmission, templateID: String, userID: String) async throws {
        try await db.raw("""
            INSERT INTO report_submissions (id, template_id, template_code, template_version, unit_path, group_code, period_key, version, values_json, prefill_json,
              reasons_json, correction_reason, submitted_at, submitted_by, submitted_by_name, deadline_at, on_time)
            VALUES (\(bind: s.id), \(bind: templateID), \(bind: s.templateCode), \(bind: s.templateVersion), \(bind: s.unitPath), '', \(bind: s.periodKey), \(bind: s.version),
              \(bind: JSONText.encode(s.values)), \(bind: JSONText.encode(s.prefill)), \(bind: JSONText.encode(s.reasons)), \(bind: s.correctionReason),
              \(bind: s.submittedAt), \(bind: userID), \(bind: s.submittedByName), \(bind: s.deadlineAt), \(bind: s.onTime))
            """).run()
    }

    // MARK: latest versions

    private struct LatestRow: Decodable {
        let unitPath: String, periodKey: String, submissionId: String, version: Int, firstSubmittedAt: String, lastSubmittedAt: String, onTime: Bool, valuesJson: String
        var latest: LatestReport {
            LatestReport(unitPath: unitPath, periodKey: periodKey, submissionId: submissionId, version: version, firstSubmittedAt: firstSubmittedAt,
                         lastSubmittedAt: lastSubmittedAt, onTime: onTime, values: JSONText.decode([String: String].self, valuesJson, default: [:]))
        }
    }

    /// Timeliness facts of a report (no values), the completeness table's input.
    package struct Status: Sendable, Equatable {
        package let unitPath: String
        package let periodKey: String
        package let version: Int
        package let firstSubmittedAt: String
        package let onTime: Bool
    }

    package static func latest(_ db: any SQLDatabase, code: String, period: String, unit: String) async throws -> LatestReport? {
        try await db.raw("""
            SELECT unit_path, period_key, submission_id, version, first_submitted_at, last_submitted_at, on_time, values_json FROM report_latest
            WHERE template_code = \(bind: code) AND period_key = \(bind: period) AND unit_path = \(bind: unit)
            """).first(decoding: LatestRow.self, keyDecodingStrategy: .memoizedSnakeCase)?.latest
    }

    /// Latest versions of every unit in a scope for one period (consolidation).
    static func latest(_ db: any SQLDatabase, code: String, period: String, scope: Scope) async throws -> [LatestReport] {
        try await db.raw("""
            SELECT unit_path, period_key, submission_id, version, first_submitted_at, last_submitted_at, on_time, values_json FROM report_latest
            WHERE template_code = \(bind: code) AND period_key = \(bind: period) AND \(scope.condition())
            """).all(decoding: LatestRow.self, keyDecodingStrategy: .memoizedSnakeCase).map(\.latest)
    }

    /// Who submitted when, for periods `from...to` (keys sort in time order), in a scope.
    static func statuses(_ db: any SQLDatabase, code: String, from: String, to: String, scope: Scope) async throws -> [Status] {
        try await db.raw("""
            SELECT unit_path, period_key, version, first_submitted_at, on_time FROM report_latest
            WHERE template_code = \(bind: code) AND period_key >= \(bind: from) AND period_key <= \(bind: to) AND \(scope.condition())
            """).all()
            // A month of the city is ~17,000 rows: reading columns directly costs a fraction of a Codable decode per row.
            .map { row in
                Status(unitPath: try row.decode(column: "unit_path", as: String.self), periodKey: try row.decode(column: "period_key", as: String.self),
                       version: try row.decode(column: "version", as: Int.self), firstSubmittedAt: try row.decode(column: "first_submitted_at", as: String.self),
                       onTime: try row.decode(column: "on_time", as: Bool.self))
            }
    }

    /// Points the period's row at a new version; the first version's time and timeliness stay.
    static func recordLatest(_ db: any SQLDatabase, _ s: ReportSubmission) async throws {
        if s.version == 1 {
            try await db.raw("""
                INSERT INTO report_latest (template_code, period_key, unit_path, group_code, submission_id, version, first_submitted_at, last_submitted_at, on_time, values_json)
                VALUES (\(bind: s.templateCode), \(bind: s.periodKey), \(bind: s.unitPath), '', \(bind: s.id), 1, \(bind: s.submittedAt), \(bind: s.submittedAt), \(bind: s.onTime), \(bind: JSONText.encode(s.values)))
                """).run()
        } else {
            try await db.raw("""
                UPDATE report_latest SET submission_id = \(bind: s.id), version = \(bind: s.version), last_submitted_at = \(bind: s.submittedAt), values_json = \(bind: JSONText.encode(s.values))
                WHERE template_code = \(bind: s.templateCode) AND period_key = \(bind: s.periodKey) AND unit_path = \(bind: s.unitPath)
                """).run()
        }
        try await db.raw("DELETE FROM report_figures WHERE template_code = \(bind: s.templateCode) AND period_key = \(bind: s.periodKey) AND unit_path = \(bind: s.unitPath)").run()
        let numbers = s.values.compactMap { key, text in Int(text).map { (key, $0) } }.sorted { $0.0 < $1.0 }
        guard !numbers.isEmpty else { return }
        var insert = db.insert(into: "report_figures").columns("template_code", "field_key", "period_key", "unit_path", "group_code", "n")
        for (key, n) in numbers {
            insert = insert.values(SQLBind(s.templateCode), SQLBind(key), SQLBind(s.periodKey), SQLBind(s.unitPath), SQLBind(""), SQLBind(n))
        }
        try await insert.run()
    }

    /// A number field summed over the latest versions of periods `from...to` in a scope; nil when nobody reported it.
    static func figureSum(_ db: any SQLDatabase, code: String, field: String, from: String, to: String, scope: Scope) async throws -> Int? {
        let row = try await db.raw("""
            SELECT CAST(SUM(n) AS BIGINT) AS n, COUNT(*) AS c FROM report_figures
            WHERE template_code = \(bind: code) AND field_key = \(bind: field) AND period_key >= \(bind: from) AND period_key <= \(bind: to) AND \(scope.condition())
            """).first()
        guard let row, try row.decode(column: "c", as: Int.self) > 0 else { return nil }
        return try row.decode(column: "n", as: Int?.self)
    }

    // MARK: reminders

    static func insertReminder(_ db: any SQLDatabase, _ r: ReportReminder, userID: String) async throws {
        try await db.raw("""
            INSERT INTO report_reminders (id, template_code, period_key, unit_path, group_code, note, sent_by, sent_by_name, sender_unit_path, sent_at)
            VALUES (\(bind: r.id), \(bind: r.templateCode), \(bind: r.periodKey), \(bind: r.unitPath), '', \(bind: r.note), \(bind: userID), \(bind: r.sentByName), \(bind: r.senderUnitPath), \(bind: r.sentAt))
            """).run()
    }

    static let reminderColumns = "id, template_code, period_key, unit_path, note, sent_by_name, sender_unit_path, sent_at"

    /// Reminders addressed to units in a scope since an instant, newest first.
    static func reminders(_ db: any SQLDatabase, scope: Scope, since: String, limit: Int = 50) async throws -> [ReportReminder] {
        try await db.raw("""
            SELECT \(unsafeRaw: reminderColumns) FROM report_reminders WHERE \(scope.condition()) AND sent_at >= \(bind: since)
            ORDER BY sent_at DESC LIMIT \(literal: limit)
            """).all(decoding: ReportReminder.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// How many reminders each unit got for one period.
    static func reminderCounts(_ db: any SQLDatabase, code: String, period: String, scope: Scope) async throws -> [String: Int] {
        let rows = try await db.raw("""
            SELECT unit_path, COUNT(*) AS n FROM report_reminders WHERE template_code = \(bind: code) AND period_key = \(bind: period) AND \(scope.condition()) GROUP BY unit_path
            """).all()
        var out: [String: Int] = [:]
        for row in rows { out[try row.decode(column: "unit_path", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        return out
    }
}
