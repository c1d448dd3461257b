import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Everything a command dashboard shows for one unit, built from pre-aggregated tables only
/// (`unit_gauges`, `unit_daily`, `report_latest`, `report_figures`), so the city's page costs a
/// few range scans, not counts over joins.
package struct DashboardData: Encodable, Sendable {
    struct Figure: Encodable, Sendable {
        let metric: String
        let labelVi: String
        let labelEn: String
        let value: Int
        /// For daily flows: the previous day's value, to show the direction.
        let previous: Int?
    }

    struct Trend: Encodable, Sendable {
        let key: String
        let labelVi: String
        let labelEn: String
        /// "metric" (live data) or "report" (sum of the latest report versions; units that did not report add nothing).
        let source: String
        let days: [String]
        let values: [Int?]
        let bars: Bool
    }

    struct ReportSummary: Encodable, Sendable {
        let code: String
        let titleVi: String
        let titleEn: String
        let periodKey: String
        let periodLabelVi: String
        let periodLabelEn: String
        let deadline: String
        let expected: Int
        let onTime: Int
        let late: Int
        let missing: Int
        let pending: Int
    }

    struct ReportedFigure: Encodable, Sendable {
        let key: String
        let labelVi: String
        let labelEn: String
        let total: Int?
        let answered: Int
    }

    struct Cell: Encodable, Sendable {
        let unitPath: String
        let name: String
        let parentName: String
        let level: Int?
        let labelVi: String
        let labelEn: String
        let color: String
    }

    struct Alert: Encodable, Sendable {
        let kind: String
        let severity: String
        let unitPath: String
        let titleVi: String
        let titleEn: String
        let link: String
        let since: String?
    }

    let unitPath: String
    let unitName: String
    let day: String
    let figures: [Figure]
    let trends: [Trend]
    let reports: [ReportSummary]
    let reportedPeriod: String?
    let reportedExpected: Int
    let reportedCount: Int
    let reported: [ReportedFigure]
    let grid: [Cell]
    let targets: [TargetProgress]
    let alerts: [Alert]
    let registeredPeople: Int?
}

package struct DashboardService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    static let gaugeFigures: [Metric] = [.casesActive, .f1Active, .quarantineFacility, .quarantineHome, .isolationHome, .hospital, .tracingOpen, .zonesActive]
    static let dailyFigures: [Metric] = [.casesNew, .casesNewCommunity, .quarantineAdmitted, .casesRecovered]
    /// Report fields charted over time (they have no live source yet: testing and vaccination are still reported by hand).
    static let reportTrends: [(template: String, field: String)] = [("ward_daily", "samples_taken"), ("ward_daily", "doses_given"), ("ward_daily", "quarantine_facility")]
    static let trendDays = 30

    package func build(root: UnitRecord, scope: Scope, user: CurrentUser, now: Date = Clock.now()) async throws -> DashboardData {
        let today = VietnamTime.day(of: now)
        let days = (0..<Self.trendDays).map { today.adding(days: $0 - Self.trendDays + 1) }
        let units = await ReportUnits.load(services.directory)
        let sources = services.dashboard
        let canPeople = user.can(.viewPeople)
        return try await services.database.read { db in
            let gauges = try await Counters.gauges(db, scope: scope, Self.gaugeFigures)
            let daily = try await Counters.daily(db, scope: scope, Self.dailyFigures, from: days[0], to: today)
            var figures: [DashboardData.Figure] = Self.dailyFigures.map { m in
                .init(metric: m.rawValue, labelVi: m.labelVI, labelEn: m.labelEN, value: daily[m]?[today] ?? 0, previous: daily[m]?[today.adding(days: -1)] ?? 0)
            }
            figures += Self.gaugeFigures.map { .init(metric: $0.rawValue, labelVi: $0.labelVI, labelEn: $0.labelEN, value: gauges[$0] ?? 0, previous: nil) }
            var trends: [DashboardData.Trend] = Self.dailyFigures.map { m in
                .init(key: m.rawValue, labelVi: m.labelVI, labelEn: m.labelEN, source: "metric", days: days.map(\.iso),
                      values: days.map { daily[m]?[$0] ?? 0 }, bars: m == .casesNew)
            }

            // Reports: who has sent the current period, and the latest due period's totals.
            let templates = try await ReportStore.templates(db)
            var summaries: [DashboardData.ReportSummary] = []
            for template in templates {
                let expected = units.expected(template.level, under: root.path)
                guard !expected.isEmpty else { continue }
                let period = template.defaultPeriod(now: now)
                let statuses = try await ReportStore.statuses(db, code: template.code, from: period.key, to: period.key, scope: scope)
                let expectedSet = Set(expected.map(\.path))
                let mine = statuses.filter { expectedSet.contains($0.unitPath) }
                let onTime = mine.filter(\.onTime).count
                let deadline = template.deadline.instant(period)
                let notIn = expected.count - mine.count
                summaries.append(.init(code: template.code, titleVi: template.titleVI, titleEn: template.titleEN, periodKey: period.key,
                                       periodLabelVi: period.label(vietnamese: true), periodLabelEn: period.label(vietnamese: false), deadline: VietnamTime.display(deadline), expected: expected.count,
                                       onTime: onTime, late: mine.count - onTime, missing: now > deadline ? notIn : 0, pending: now > deadline ? 0 : notIn))
            }
            var reported: [DashboardData.ReportedFigure] = []
            var reportedPeriod: String?
            var reportedExpected = 0, reportedCount = 0
            if let daily = templates.first(where: { $0.frequency == .daily && $0.level == .ward }) {
                let expected = units.expected(daily.level, under: root.path).map(\.path)
                if !expected.isEmpty {
                    let period = daily.deadline.lastDuePeriod(at: now)
                    let rows = try await ReportStore.latest(db, code: daily.code, period: period.key, scope: scope)
                    let c = Consolidation(fields: daily.fields, expectedUnits: expected, reports: Dictionary(rows.map { ($0.unitPath, $0.values) }, uniquingKeysWith: { a, _ in a }))
                    reportedPeriod = period.label(vietnamese: true)
                    reportedExpected = c.expected
                    reportedCount = c.reportedCount
                    reported = daily.fields.filter { $0.type == .number }.map { .init(key: $0.key, labelVi: $0.labelVI, labelEn: $0.labelEN, total: c.total($0.key), answered: c.answered[$0.key] ?? 0) }
                }
                let fields = Self.reportTrends.filter { $0.template == daily.code }.map(\.field)
                if !fields.isEmpty {
                    let rows = try await db.raw("""
                        SELECT field_key, period_key, CAST(SUM(n) AS BIGINT) AS n FROM report_figures
                        WHERE template_code = \(bind: daily.code) AND field_key IN (\(SQLList(fields.map { SQLBind($0) })))
                        AND period_key >= \(bind: days[0].iso) AND period_key <= \(bind: today.iso) AND \(scope.condition())
                        GROUP BY field_key, period_key
                        """).all()
                    var sums: [String: [String: Int]] = [:]
                    for row in rows {
                        sums[try row.decode(column: "field_key", as: String.self), default: [:]][try row.decode(column: "period_key", as: String.self)] = try row.decode(column: "n", as: Int.self)
                    }
                    for key in fields {
                        guard let field = daily.field(key) else { continue }
                        trends.append(.init(key: "\(daily.code).\(key)", labelVi: field.labelVI, labelEn: field.labelEN, source: "report", days: days.map(\.iso),
                                            values: days.map { sums[key]?[$0.iso] }, bars: false))
                    }
                }
            }

            // The grid of wards coloured by level, from whichever feature assesses risk.
            let wards = units.expected(.ward, under: root.path)
            let levels = try await sources.levels?.levels(db, scope: scope, on: today) ?? [:]
            let grid: [DashboardData.Cell] = wards.map { ward in
                let parent = ward.parentPath.flatMap { units.unit($0)?.name } ?? ""
                if let level = levels[ward.path] {
                    return .init(unitPath: ward.path, name: ward.name, parentName: parent, level: level.level, labelVi: level.labelVI, labelEn: level.labelEN, color: level.color)
                }
                return .init(unitPath: ward.path, name: ward.name, parentName: parent, level: nil, labelVi: "Chưa đánh giá", labelEn: "Not assessed", color: "#cfd3dc")
            }

            var targets: [TargetProgress] = []
            for target in try await TargetStore.forUnit(db, unit: root.path) {
                targets.append(try await TargetStore.progress(db, target, scope: scope, today: today, templates: templates))
            }

            let alerts = try await sources.allAlerts(db, scope: scope, now: now).prefix(60).map { a in
                DashboardData.Alert(kind: a.kind, severity: ["info", "warning", "critical"][a.severity.rawValue], unitPath: a.unitPath, titleVi: a.titleVI, titleEn: a.titleEN,
                                    link: a.link, since: a.since.map(Timestamp.string))
            }
            let people = canPeople ? try await PersonQueries.counts(db, scope: scope).values.reduce(0, +) : nil
            return DashboardData(unitPath: root.path, unitName: root.name, day: today.iso, figures: figures, trends: trends, reports: summaries,
                                 reportedPeriod: reportedPeriod, reportedExpected: reportedExpected, reportedCount: reportedCount, reported: reported,
                                 grid: grid, targets: targets, alerts: Array(alerts), registeredPeople: people)
        }
    }
}

// MARK: alert providers of the reporting regime, messages and tasks

/// Units that have not sent the latest due report: one alert per unit below the viewer (per district for the city).
package struct LateReportAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let units = try await ReportUnits.load(db)
        var out: [DashboardAlert] = []
        for template in try await ReportStore.templates(db) {
            let expected = units.expected(template.level, under: scope.root.string)
            guard !expected.isEmpty else { continue }
            let period = template.deadline.lastDuePeriod(at: now)
            let deadline = template.deadline.instant(period)
            let submitted = Set(try await ReportStore.statuses(db, code: template.code, from: period.key, to: period.key, scope: scope).map(\.unitPath))
            let missing = expected.filter { !submitted.contains($0.path) }
            guard !missing.isEmpty else { continue }
            let label = period.label(vietnamese: true), labelEN = period.label(vietnamese: false)
            // Group by the unit one level below the viewer, so the city gets one line per district.
            var groups: [String: [UnitRecord]] = [:]
            for unit in missing {
                let path = (try? UnitPath(unit.path)) ?? scope.root
                let key = path.depth > scope.root.depth + 1 ? ((try? UnitPath(components: Array(path.components.prefix(scope.root.depth + 1))))?.string ?? unit.path) : unit.path
                groups[key, default: []].append(unit)
            }
            for (key, list) in groups.sorted(by: { $0.key < $1.key }) {
                let name = units.unit(key)?.name ?? key
                let slug = (try? UnitPath(key))?.slug ?? key
                let total = expected.filter { $0.path == key || $0.path.hasPrefix(key + "/") }.count
                let vi: String, en: String
                if list.count == 1, list[0].path == key {
                    vi = "\(name) chưa gửi \(template.titleVI.lowercased()) kỳ \(label) (hạn \(VietnamTime.display(deadline)))"
                    en = "\(name) has not sent the \(template.titleEN.lowercased()) for \(labelEN) (due \(VietnamTime.display(deadline)))"
                } else {
                    let names = list.prefix(4).map(\.name).joined(separator: ", ") + (list.count > 4 ? "…" : "")
                    vi = "\(name): \(list.count)/\(total) đơn vị chưa gửi \(template.titleVI.lowercased()) kỳ \(label) (\(names))"
                    en = "\(name): \(list.count)/\(total) units have not sent the \(template.titleEN.lowercased()) for \(labelEN) (\(names))"
                }
                out.append(DashboardAlert(kind: "late_report", severity: .warning, unitPath: key, titleVI: vi, titleEN: en,
                                          link: "/reports/\(template.code)/completeness?period=\(period.key)&unit=\(slug)", since: deadline))
            }
        }
        return out
    }
}

/// Posts flagged urgent and not yet handled.
package struct UrgentMessageAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        try await MessageStore.stream(db, scope: scope, urgentOnly: true, limit: 20).map { m in
            let text = m.body.count > 140 ? String(m.body.prefix(140)) + "…" : m.body
            return DashboardAlert(kind: "urgent_message", severity: .critical, unitPath: m.unitPath, titleVI: "Khẩn (\(m.authorName)): \(text)",
                                  titleEN: "Urgent (\(m.authorName)): \(text)", link: "/messages/\(m.id)", since: Timestamp.date(m.createdAt))

        }
    }
}

/// Tasks past their deadline and not done.
package struct OverdueTaskAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        try await TaskStore.overdue(db, scope: scope, now: now).map { t in
            let due = Timestamp.date(t.dueAt).map(VietnamTime.display) ?? t.dueAt
            return DashboardAlert(kind: "overdue_task", severity: .warning, unitPath: t.unitPath, titleVI: "Quá hạn nhiệm vụ: \(t.title) (\(t.assigneeName), hạn \(due))",
                                  titleEN: "Overdue task: \(t.title) (\(t.assigneeName), due \(due))", link: "/tasks/\(t.id)", since: Timestamp.date(t.dueAt))
        }
    }
}
