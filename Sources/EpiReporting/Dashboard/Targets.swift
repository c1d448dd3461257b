import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// A dated goal on a unit's dashboard ("100% of adults first dose by 15/9"), measured from a live
/// figure (`metric`) or from the sum of a report field over the latest report versions (`report`).
package struct Target: Sendable, Codable, Equatable {
    package let id: String
    package let unitPath: String
    package let titleVi: String
    package let titleEn: String
    /// "metric" or "report".
    package let source: String
    /// A metric key, or "template_code.field_key".
    package let sourceKey: String
    package let startDay: String
    package let dueDay: String
    package let targetValue: Int
    package let createdByName: String
    package let version: Int
}

/// A target with its measured value.
package struct TargetProgress: Sendable, Encodable {
    package let target: Target
    package let actual: Int?
    package let fraction: Double
    /// Where the timeline says the count should be by today (0…1).
    package let expectedFraction: Double
    package let daysLeft: Int
    package let sourceVI: String
    package let sourceEN: String
}

enum TargetStore {
    static let columns = "id, unit_path, title_vi, title_en, source, source_key, start_day, due_day, target_value, created_by_name, version"

    static func insert(_ db: any SQLDatabase, _ t: Target) async throws {
        try await db.raw("""
            INSERT INTO targets (id, unit_path, group_code, title_vi, title_en, source, source_key, start_day, due_day, target_value, active, created_at, created_by_name, version)
            VALUES (\(bind: t.id), \(bind: t.unitPath), '', \(bind: t.titleVi), \(bind: t.titleEn), \(bind: t.source), \(bind: t.sourceKey), \(bind: t.startDay), \(bind: t.dueDay),
                    \(bind: t.targetValue), \(bind: true), \(bind: Timestamp.now()), \(bind: t.createdByName), 1)
            """).run()
    }

    /// The active targets set for exactly this unit (each level sets its own).
    static func forUnit(_ db: any SQLDatabase, unit: String) async throws -> [Target] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM targets WHERE unit_path = \(bind: unit) AND active = \(bind: true) ORDER BY due_day, id")
            .all(decoding: Target.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func find(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> Target? {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM targets WHERE id = \(bind: id) AND active = \(bind: true) AND \(scope.condition())")
            .first(decoding: Target.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func deactivate(_ db: any SQLDatabase, id: String) async throws {
        try await db.raw("UPDATE targets SET active = \(bind: false), version = version + 1 WHERE id = \(bind: id)").run()
    }

    /// The measured value of a target over its unit's subtree, from its start day to `today` (capped at the due day).
    static func progress(_ db: any SQLDatabase, _ t: Target, scope: Scope, today: CivilDate, templates: [ReportTemplate]) async throws -> TargetProgress {
        let start = CivilDate(iso: t.startDay) ?? today, due = CivilDate(iso: t.dueDay) ?? today
        let end = min(today, due)
        var actual: Int?
        var sourceVI = "", sourceEN = ""
        if t.source == "metric", let metric = Metric(rawValue: t.sourceKey) {
            if metric.kind == .gauge {
                actual = try await Counters.gauges(db, scope: scope, [metric])[metric] ?? 0
                sourceVI = "Số liệu trực tiếp: \(metric.labelVI) (hiện tại)"
                sourceEN = "Live figure: \(metric.labelEN) (now)"
            } else {
                actual = try await Counters.daily(db, scope: scope, [metric], from: start, to: end)[metric]?.values.reduce(0, +) ?? 0
                sourceVI = "Số liệu trực tiếp: tổng \(metric.labelVI) từ \(start.vietnamese)"
                sourceEN = "Live figure: total \(metric.labelEN) since \(start.vietnamese)"
            }
        } else if t.source == "report" {
            let parts = t.sourceKey.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 2, let template = templates.first(where: { $0.code == parts[0] }), let field = template.field(parts[1]) {
                let from = ReportPeriod.containing(start, template.frequency).key, to = ReportPeriod.containing(end, template.frequency).key
                actual = try await ReportStore.figureSum(db, code: template.code, field: field.key, from: from, to: to, scope: scope)
                sourceVI = "Từ báo cáo: tổng “\(field.labelVI)” trong \(template.titleVI.lowercased()) (bản mới nhất), từ \(start.vietnamese)"
                sourceEN = "From reports: total “\(field.labelEN)” in the \(template.titleEN.lowercased()) (latest versions), since \(start.vietnamese)"
            }
        }
        let span = max(due.days(since: start), 1)
        let expected = min(max(Double(today.days(since: start)) / Double(span), 0), 1)
        let fraction = t.targetValue > 0 ? Double(actual ?? 0) / Double(t.targetValue) : 0
        return TargetProgress(target: t, actual: actual, fraction: fraction, expectedFraction: expected, daysLeft: due.days(since: today), sourceVI: sourceVI, sourceEN: sourceEN)
    }
}
