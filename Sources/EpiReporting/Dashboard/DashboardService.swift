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
        /// Days whose reports are not yet due: their point is left out rather than drawn from the few units that have sent theirs.
        let pending: [String]
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

    /// Alerts of one kind (late reports: of one report and period) as one line with a count, the
    /// alerts themselves listed below it.
    struct AlertGroup: Encodable, Sendable {
        let kind: String
        let severity: String
        let titleVi: String
        let titleEn: String
        /// Units (late reports) or alerts (other kinds) the line stands for.
        let count: Int
        /// The page to act on the whole group, when there is one.
        let link: String?
        let since: String?
        let items: [Alert]
    }

    let unitPath: String
    let unitName: String
    let day: String
    let figures: [Figure]
    let trends: [Trend]
    let reports: [ReportSummary]
    let reportedPeriod: String?
    let reportedPeriodKey: String?
    let reportedExpected: Int
    let reportedCount: Int
    let reported: [ReportedFigure]
    let grid: [Cell]
    let targets: [TargetProgress]
    let alerts: [Alert]
    /// The same alerts grouped and ranked: critical first, then the largest groups, then the longest overdue.
    let alertGroups: [AlertGroup]
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
                      values: days.map { daily[m]?[$0] ?? 0 }, bars: m == .casesNew, pending: [])
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
            var reportedPeriodKey: String?
            var reportedExpected = 0, reportedCount = 0
            if let daily = templates.first(where: { $0.frequency == .daily && $0.level == .ward }) {
                let expected = units.expected(daily.level, under: root.path).map(\.path)
                if !expected.isEmpty {
                    let period = daily.deadline.lastDuePeriod(at: now)
                    let rows = try await ReportStore.latest(db, code: daily.code, period: period.key, scope: scope)
                    let c = Consolidation(fields: daily.fields, expectedUnits: expected, reports: Dictionary(rows.map { ($0.unitPath, $0.values) }, uniquingKeysWith: { a, _ in a }))
                    reportedPeriod = period.label(vietnamese: true)
                    reportedPeriodKey = period.key
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
                    // A day whose reports are not yet due holds only the units that sent theirs early: drawn, it would
                    // look like a collapse to (nearly) zero, so it is left out and the chart says it is pending.
                    // Once every unit has sent it, such a day is complete and drawn.
                    var pending: Set<CivilDate> = []
                    let expectedUnits = Set(units.expected(daily.level, under: root.path).map(\.path))
                    for day in days where daily.deadline.instant(ReportPeriod(frequency: .daily, start: day)) > now {
                        let sent = try await ReportStore.statuses(db, code: daily.code, from: day.iso, to: day.iso, scope: scope).filter { expectedUnits.contains($0.unitPath) }
                        if sent.count < expectedUnits.count { pending.insert(day) }
                    }
                    for key in fields {
                        guard let field = daily.field(key) else { continue }
                        trends.append(.init(key: "\(daily.code).\(key)", labelVi: field.labelVI, labelEn: field.labelEN, source: "report", days: days.map(\.iso),
                                            values: days.map { pending.contains($0) ? nil : sums[key]?[$0.iso] }, bars: false,
                                            pending: days.filter(pending.contains).map(\.iso)))
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
                return .init(unitPath: ward.path, name: ward.name, parentName: parent, level: nil, labelVi: "Chưa đánh giá", labelEn: "Not assessed", color: Self.notAssessedColor)
            }

            var targets: [TargetProgress] = []
            for target in try await TargetStore.forUnit(db, unit: root.path) {
                targets.append(try await TargetStore.progress(db, target, scope: scope, today: today, templates: templates))
            }

            // Late reports come grouped from their own provider (it knows the report, the period and the
            // units); every other provider's alerts are grouped by kind.
            var raised: [DashboardAlert] = []
            var lateGroups: [LateReportAlerts.Group] = []
            for provider in sources.alerts {
                if let late = provider as? LateReportAlerts {
                    let groups = try await late.groups(db, scope: scope, now: now, units: units)
                    lateGroups += groups
                    raised += groups.flatMap(\.alerts)
                } else {
                    raised += try await provider.alerts(db, scope: scope, now: now)
                }
            }
            raised.sort { a, b in a.severity != b.severity ? a.severity > b.severity : (a.since ?? .distantFuture) < (b.since ?? .distantFuture) }
            let alerts = raised.prefix(60).map(Self.alert)
            let groups = Self.group(raised.filter { $0.kind != LateReportAlerts.kind }, late: lateGroups, root: root)
            let people = canPeople ? try await PersonQueries.counts(db, scope: scope).values.reduce(0, +) : nil
            return DashboardData(unitPath: root.path, unitName: root.name, day: today.iso, figures: figures, trends: trends, reports: summaries,
                                 reportedPeriod: reportedPeriod, reportedPeriodKey: reportedPeriodKey, reportedExpected: reportedExpected, reportedCount: reportedCount, reported: reported,
                                 grid: grid, targets: targets, alerts: Array(alerts), alertGroups: groups, registeredPeople: people)
        }
    }

    static let notAssessedColor = "#cfd3dc"
    static let severities = ["info", "warning", "critical"]
    /// The kinds of alert the dashboard names (others are listed under "other alerts").
    static let alertKinds = [LateReportAlerts.kind, "urgent_message", "overdue_task", "overdue_tracing", "facility_load", "other"]
    /// Pages where a whole group is acted on, for the kinds this capability raises.
    static let groupLinks = ["urgent_message": "/messages?urgent=1", "overdue_task": "/tasks"]
    /// At most this many alerts are listed under one line; the line's count and link cover the rest.
    static let itemsPerGroup = 50

    static func alert(_ a: DashboardAlert) -> DashboardData.Alert {
        DashboardData.Alert(kind: a.kind, severity: severities[min(max(a.severity.rawValue, 0), severities.count - 1)], unitPath: a.unitPath,
                            titleVi: a.titleVI, titleEn: a.titleEN, link: a.link, since: a.since.map(Timestamp.string))
    }

    /// One line per late report and period, one per kind of other alert; ranked critical first, then by
    /// how many units or alerts a line stands for, then by how long it has been overdue.
    static func group(_ alerts: [DashboardAlert], late: [LateReportAlerts.Group], root: UnitRecord) -> [DashboardData.AlertGroup] {
        var ranked: [(severity: DashboardAlert.Severity, count: Int, since: Date?, group: DashboardData.AlertGroup)] = []
        for g in late {
            let sinceText = Timestamp.string(g.deadline)
            ranked.append((.warning, g.missingCount, g.deadline, DashboardData.AlertGroup(
                kind: LateReportAlerts.kind, severity: "warning", titleVi: g.title(vietnamese: true), titleEn: g.title(vietnamese: false), count: g.missingCount,
                link: g.link(root: root.path), since: sinceText,
                items: g.parts.prefix(itemsPerGroup).map { part in
                    DashboardData.Alert(kind: LateReportAlerts.kind, severity: "warning", unitPath: part.key, titleVi: part.title(vietnamese: true, group: g),
                                        titleEn: part.title(vietnamese: false, group: g), link: part.link(group: g), since: sinceText)
                })))
        }
        var byKind: [String: [DashboardAlert]] = [:]
        var order: [String] = []
        for a in alerts {
            let kind = alertKinds.contains(a.kind) ? a.kind : "other"
            if byKind[kind] == nil { order.append(kind) }
            byKind[kind, default: []].append(a)
        }
        for kind in order {
            guard let list = byKind[kind], let first = list.first else { continue }
            let severity = list.map(\.severity).max() ?? first.severity
            let since = list.compactMap(\.since).min()
            let single = list.count == 1
            ranked.append((severity, list.count, since, DashboardData.AlertGroup(
                kind: kind, severity: severities[min(max(severity.rawValue, 0), severities.count - 1)],
                titleVi: single ? first.titleVI : "\(Strings.label("alert_kind", kind, .vi)): \(NumberFormat.localized(list.count, language: .vi))",
                titleEn: single ? first.titleEN : "\(Strings.label("alert_kind", kind, .en)): \(NumberFormat.localized(list.count, language: .en))",
                count: list.count, link: single ? first.link : groupLinks[kind], since: since.map(Timestamp.string),
                items: single ? [] : list.prefix(itemsPerGroup).map(alert))))
        }
        return ranked.sorted { a, b in
            if a.severity != b.severity { return a.severity > b.severity }
            if a.count != b.count { return a.count > b.count }
            return (a.since ?? .distantFuture) < (b.since ?? .distantFuture)
        }.map(\.group)
    }
}

// MARK: alert providers of the reporting regime, messages and tasks

/// Units that have not sent the latest due report of each template. The dashboard shows one line per
/// report and period ("28/30 quận, huyện chưa gửi báo cáo tuần …") with the units below the viewer
/// listed under it (per district for the city); other consumers get one alert per such unit.
package struct LateReportAlerts: AlertProvider {
    package static let kind = "late_report"

    package init() {}

    /// One template's latest due period and who under the viewer has not sent it.
    struct Group: Sendable {
        let template: ReportTemplate
        let period: ReportPeriod
        let deadline: Date
        let expected: Int
        /// The units one level below the viewer holding missing units (or the missing units themselves).
        let parts: [Part]
        /// Whether parts are the missing units themselves (a district's wards) or units holding them (the city's districts).
        let direct: Bool

        var missingCount: Int { parts.reduce(0) { $0 + $1.missing.count } }

        /// The level's noun, plural: what the counts count.
        func noun(vietnamese: Bool) -> String {
            switch template.level {
            case .ward: return vietnamese ? "phường, xã" : "wards"
            case .district: return vietnamese ? "quận, huyện" : "districts"
            }
        }

        func title(vietnamese v: Bool) -> String {
            let count = NumberFormat.localized(missingCount, language: v ? .vi : .en), total = NumberFormat.localized(expected, language: v ? .vi : .en)
            let period = self.period.shortLabel(vietnamese: v), due = VietnamTime.display(deadline)
            let spread = direct ? "" : (v ? " — ở \(parts.count) quận, huyện" : " — in \(parts.count) districts")
            return v ? "\(count)/\(total) \(noun(vietnamese: true)) chưa gửi \(template.titleVI.lowercased()) kỳ \(period) (hạn \(due))\(spread)"
                     : "\(count) of \(total) \(noun(vietnamese: false)) have not sent the \(template.titleEN.lowercased()) for \(period) (due \(due))\(spread)"
        }

        /// The completeness page of the whole group: every unit concerned, with reminders.
        func link(root: String) -> String {
            "/reports/\(template.code)/completeness?period=\(period.key)&unit=\(ReportView.slug(root))"
        }

        /// The same, one alert per part, for consumers that take plain alerts.
        var alerts: [DashboardAlert] {
            parts.map { part in
                DashboardAlert(kind: LateReportAlerts.kind, severity: .warning, unitPath: part.key, titleVI: part.sentence(vietnamese: true, group: self),
                               titleEN: part.sentence(vietnamese: false, group: self), link: part.link(group: self), since: deadline)
            }
        }
    }

    struct Part: Sendable {
        let key: String
        let name: String
        let missing: [UnitRecord]
        let total: Int
        let isUnit: Bool

        /// A line under the group: the unit, or the district with its count.
        func title(vietnamese v: Bool, group: Group) -> String {
            guard !isUnit else { return name }
            let names = missing.prefix(4).map(\.name).joined(separator: ", ") + (missing.count > 4 ? "…" : "")
            return "\(name): \(missing.count)/\(total) \(group.noun(vietnamese: v)) (\(names))"
        }

        func sentence(vietnamese v: Bool, group: Group) -> String {
            let label = group.period.shortLabel(vietnamese: v), due = VietnamTime.display(group.deadline)
            if isUnit {
                return v ? "\(name) chưa gửi \(group.template.titleVI.lowercased()) kỳ \(label) (hạn \(due))"
                         : "\(name) has not sent the \(group.template.titleEN.lowercased()) for \(label) (due \(due))"
            }
            return v ? "\(name): \(missing.count)/\(total) đơn vị chưa gửi \(group.template.titleVI.lowercased()) kỳ \(label)"
                     : "\(name): \(missing.count) of \(total) units have not sent the \(group.template.titleEN.lowercased()) for \(label)"
        }

        /// A missing unit's own report page; a district's completeness page.
        func link(group: Group) -> String {
            isUnit ? "/reports/\(group.template.code)/\(group.period.key)/\(ReportView.slug(key))"
                   : "/reports/\(group.template.code)/completeness?period=\(group.period.key)&unit=\(ReportView.slug(key))"
        }
    }

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        try await groups(db, scope: scope, now: now, units: try await ReportUnits.load(db)).flatMap(\.alerts)
    }

    func groups(_ db: any SQLDatabase, scope: Scope, now: Date, units: ReportUnits) async throws -> [Group] {
        var out: [Group] = []
        for template in try await ReportStore.templates(db) {
            let expected = units.expected(template.level, under: scope.root.string)
            guard !expected.isEmpty else { continue }
            let period = template.deadline.lastDuePeriod(at: now)
            let submitted = Set(try await ReportStore.statuses(db, code: template.code, from: period.key, to: period.key, scope: scope).map(\.unitPath))
            let missing = expected.filter { !submitted.contains($0.path) }
            guard !missing.isEmpty else { continue }
            // Grouped by the unit one level below the viewer, so the city gets one line per district.
            var byKey: [String: [UnitRecord]] = [:]
            for unit in missing {
                let path = (try? UnitPath(unit.path)) ?? scope.root
                let key = path.depth > scope.root.depth + 1 ? ((try? UnitPath(components: Array(path.components.prefix(scope.root.depth + 1))))?.string ?? unit.path) : unit.path
                byKey[key, default: []].append(unit)
            }
            let parts = byKey.map { key, list in
                Part(key: key, name: units.unit(key)?.name ?? key, missing: list, total: expected.filter { $0.path == key || $0.path.hasPrefix(key + "/") }.count,
                     isUnit: list.count == 1 && list[0].path == key)
            }.sorted { a, b in a.missing.count != b.missing.count ? a.missing.count > b.missing.count : a.key < b.key }
            out.append(Group(template: template, period: period, deadline: template.deadline.instant(period), expected: expected.count, parts: parts,
                             direct: parts.allSatisfy(\.isUnit)))
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
