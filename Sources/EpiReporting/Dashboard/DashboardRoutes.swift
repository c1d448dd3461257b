import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// The command dashboard of each level and its targets; `/api/v1/dashboard` returns the same figures.
package struct DashboardRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("dashboard", .can(.viewDashboard), use: page)
        pages.get("dashboard/targets", .can(.viewDashboard), use: targetsPage)
        pages.post("dashboard/targets", .can(.manageTasks), use: createTargetPage)
        pages.post("dashboard/targets/:id/remove", .can(.manageTasks), use: removeTargetPage)
        api.get("dashboard", .can(.viewDashboard), use: apiDashboard)
        api.get("targets", .can(.viewDashboard), use: apiTargets)
        api.post("targets", .can(.manageTasks), use: apiCreateTarget)
    }

    private func data(_ request: Request, context: AuthedContext) async throws -> (DashboardData, UnitFocus) {
        try context.require(.viewDashboard)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        return (try await DashboardService(services: services).build(root: focus.unit, scope: focus.scope, user: context.user), focus)
    }

    @Sendable func page(_ request: Request, context: AuthedContext) async throws -> Response {
        let (d, focus) = try await data(request, context: context)
        let language = context.language, v = language == .vi
        func number(_ n: Int) -> String { NumberFormat.localized(n, language: language) }
        let days = d.trends.first?.days.compactMap { CivilDate(iso: $0) } ?? []
        let palette = ["#9b1c1c", "#1565c0", "#6a1b9a", "#2e7d32", "#ef6c00", "#00838f", "#5d4037"]
        let figures: [[String: Any]] = d.figures.map { f in
            var row: [String: Any] = ["metric": f.metric, "label": context.label("metric", f.metric), "value": number(f.value)]
            if let p = f.previous {
                row["delta"] = f.value == p ? "=" : (f.value > p ? "▲ \(number(f.value - p))" : "▼ \(number(p - f.value))")
                row["daily"] = true
            }
            return row
        }
        // Reports of the period in progress, to say how many units have sent what a pending day will hold.
        let current = Dictionary(d.reports.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let charts: [[String: Any]] = d.trends.enumerated().map { i, t in
            let label = v ? t.labelVi : t.labelEn
            let source = t.source == "metric" ? context.t("Số liệu trực tiếp", "Live data") : context.t("Theo báo cáo của các đơn vị (bản mới nhất)", "From units' reports (latest versions)")
            let id = t.key.replacingOccurrences(of: ".", with: "-")
            var chart: [String: Any] = ["label": label, "source": source, "id": "chart-\(id)",
                                        "svg": TrendChart.series(days: days, values: t.values, pending: Set(t.pending), title: "\(label) — \(context.t("30 ngày", "30 days"))",
                                                                 bars: t.bars, color: palette[i % palette.count], id: "svg-\(id)", language: language)]
            if let day = t.pending.last.flatMap(CivilDate.init(iso:)) {
                let code = t.key.split(separator: ".").first.map(String.init) ?? ""
                let sent = current[code].flatMap { r in r.periodKey == day.iso ? "\(r.onTime + r.late)/\(r.expected)" : nil }
                chart["pending"] = v ? "\(day.vietnamese): chưa đến hạn báo cáo, chưa vẽ" + (sent.map { " (\($0) đơn vị đã gửi)" } ?? "")
                                     : "\(day.vietnamese): reports not yet due, not drawn" + (sent.map { " (\($0) units have sent theirs)" } ?? "")
            }
            return chart
        }
        let reports: [[String: Any]] = d.reports.map { r in
            ["title": v ? r.titleVi : r.titleEn, "period": v ? r.periodLabelVi : r.periodLabelEn, "deadline": r.deadline, "expected": r.expected, "onTime": r.onTime, "late": r.late,
             "missing": r.missing, "pending": r.pending, "submitted": r.onTime + r.late,
             "href": "/reports/\(r.code)/completeness?period=\(r.periodKey)&unit=\(focus.path.slug)",
             "bar": SVGChart.progress(fraction: r.expected == 0 ? 0 : Double(r.onTime + r.late) / Double(r.expected), expected: nil, title: "\(r.onTime + r.late)/\(r.expected)")]
        }
        let reported: [[String: Any]] = d.reported.map { ["label": v ? $0.labelVi : $0.labelEn, "total": ReportFormat.number($0.total, language), "answered": $0.answered] }
        let reportedPeriod = d.reportedPeriodKey.flatMap { ReportPeriod(key: $0, frequency: .daily) }?.label(vietnamese: v) ?? ""
        let (legend, groups) = grid(d, focus: focus, context: context)
        let targets: [[String: Any]] = d.targets.map { p in
            let due = CivilDate(iso: p.target.dueDay)?.vietnamese ?? p.target.dueDay
            let pct = Int((min(max(p.fraction, 0), 100) * 100).rounded())
            return ["title": v ? p.target.titleVi : p.target.titleEn, "due": due, "actual": ReportFormat.number(p.actual, language), "target": number(p.target.targetValue),
                    "percent": pct, "daysLeft": p.daysLeft, "overdue": p.daysLeft < 0 && p.fraction < 1, "source": v ? p.sourceVI : p.sourceEN,
                    "onTrack": p.fraction + 0.0001 >= p.expectedFraction,
                    "bar": SVGChart.progress(fraction: p.fraction, expected: p.expectedFraction, title: "\(pct)%")]
        }
        let alertGroups: [[String: Any]] = d.alertGroups.map { g in
            let items: [[String: Any]] = g.items.map { ["title": v ? $0.titleVi : $0.titleEn, "link": context.mayOpen($0.link) ? $0.link : "", "kind": $0.kind] }
            let more = g.kind == LateReportAlerts.kind ? 0 : g.count - g.items.count
            return ["kind": g.kind, "severity": g.severity, "severityLabel": context.label("alert_severity", g.severity), "title": v ? g.titleVi : g.titleEn,
                    "count": g.count, "link": g.link.flatMap { context.mayOpen($0) ? $0 : nil } ?? "", "items": items, "hasItems": !items.isEmpty,
                    // Urgent matters are few and read at once; long lists stay folded.
                    "open": g.severity == "critical" && g.items.count <= 3,
                    "more": more > 0 ? context.t("… và \(number(more)) cảnh báo khác", "… and \(number(more)) more") : ""]
        }
        var children: [[String: Any]] = []
        for child in await services.directory.children(of: focus.unit.path) where !child.isGroup {
            children.append(["name": child.name, "href": "/dashboard?unit=\(ReportView.slug(child.path))"])
        }
        return services.views.page("dashboard/show", title: context.t("Bảng điều hành", "Command dashboard"), context: context, data: [
            "canMessages": context.mayOpen("/messages"), "canTasks": context.mayOpen("/tasks"),
            "unitName": d.unitName, "unitLabel": await services.directory.label(d.unitPath), "day": CivilDate(iso: d.day)?.vietnamese ?? d.day,
            "figures": figures, "charts": charts, "reports": reports, "hasReports": !reports.isEmpty,
            "reported": reported, "hasReported": !reported.isEmpty, "reportedPeriod": reportedPeriod, "reportedCount": d.reportedCount, "reportedExpected": d.reportedExpected,
            "groups": groups, "legend": legend, "hasGrid": !d.grid.isEmpty, "compactGrid": d.grid.count > 40, "levelsAvailable": services.dashboard.levels != nil,
            "targets": targets, "hasTargets": !targets.isEmpty, "alertGroups": alertGroups, "hasAlerts": !alertGroups.isEmpty,
            "alertCount": number(d.alertGroups.count),
            "people": d.registeredPeople.map(number) as Any, "children": children, "hasChildren": !children.isEmpty,
            "crumbs": await focus.crumbs(user: context.user, directory: services.directory, base: "/dashboard"),
            "canTargets": context.user.can(.manageTasks), "slug": focus.path.slug,
        ], active: "dashboard")
    }

    /// The risk grid: a legend of the levels shown (colour, words, how many wards), and the wards with
    /// their names beside the colour, so a touch screen needs no hover. The city's 579 wards are folded
    /// per district, each district's summary counting its wards per level.
    private func grid(_ d: DashboardData, focus: UnitFocus, context: AuthedContext) -> (legend: [[String: Any]], groups: [[String: Any]]) {
        let v = context.language == .vi
        func number(_ n: Int) -> String { NumberFormat.localized(n, language: context.language) }
        func label(_ cell: DashboardData.Cell) -> String { cell.level == nil ? context.t("Chưa đánh giá", "Not assessed") : (v ? cell.labelVi : cell.labelEn) }
        struct Key: Hashable { let level: Int; let color: String }
        func key(_ cell: DashboardData.Cell) -> Key { Key(level: cell.level ?? Int.max, color: cell.color) }
        var counts: [Key: (label: String, n: Int)] = [:]
        for cell in d.grid { counts[key(cell), default: (label(cell), 0)].n += 1 }
        let legend: [[String: Any]] = counts.sorted { $0.key.level < $1.key.level }.map { k, value in
            ["swatch": TrendChart.swatch(color: k.color, level: k.level == Int.max ? nil : k.level), "label": value.label, "count": number(value.n)]
        }
        // A district holding a ward at the highest level shown opens by itself, unless every ward is at that level.
        let levels = d.grid.compactMap(\.level)
        let worst = levels.max().flatMap { top in levels.contains { $0 < top } || levels.count < d.grid.count ? top : nil }
        var groups: [[String: Any]] = []
        var current: (name: String, cells: [DashboardData.Cell])?
        func flush() {
            guard let c = current else { return }
            var perLevel: [Key: Int] = [:]
            for cell in c.cells { perLevel[key(cell), default: 0] += 1 }
            groups.append([
                "name": c.name, "count": number(c.cells.count), "open": worst.map { top in c.cells.contains { $0.level == top } } ?? false,
                "chips": perLevel.sorted { $0.key.level < $1.key.level }.map { k, n in
                    ["swatch": TrendChart.swatch(color: k.color, level: k.level == Int.max ? nil : k.level), "n": number(n)] as [String: Any]
                },
                "cells": c.cells.map { cell in
                    ["name": cell.name, "label": label(cell), "swatch": TrendChart.swatch(color: cell.color, level: cell.level),
                     "href": "/dashboard?unit=\(ReportView.slug(cell.unitPath))", "level": cell.level.map(String.init) ?? "0"] as [String: Any]
                },
            ])
        }
        for cell in d.grid {
            let name = d.grid.count > 40 ? cell.parentName : focus.unit.name
            if current?.name == name { current?.cells.append(cell) } else { flush(); current = (name, [cell]) }
        }
        flush()
        return (legend, groups)
    }

    @Sendable func apiDashboard(_ request: Request, context: AuthedContext) async throws -> Response {
        let (d, _) = try await data(request, context: context)
        struct Body: Encodable { let data: DashboardData }
        return try JSON.response(Body(data: d))
    }

    // MARK: targets

    package struct TargetInput: Sendable {
        var unit: String?
        var titleVI: String
        var titleEN: String
        var source: String
        var startDay: String
        var dueDay: String
        var value: String

        package init(unit: String? = nil, titleVI: String, titleEN: String, source: String, startDay: String, dueDay: String, value: String) {
            self.unit = unit
            self.titleVI = titleVI
            self.titleEN = titleEN
            self.source = source
            self.startDay = startDay
            self.dueDay = dueDay
            self.value = value
        }
    }

    /// The sources a target can be measured from: live metrics and number fields of active templates.
    func sources(_ vietnamese: Bool) async throws -> [(key: String, label: String)] {
        var out = Metric.allCases.map { ("metric:\($0.rawValue)", (vietnamese ? "Số liệu trực tiếp: " : "Live: ") + (vietnamese ? $0.labelVI : $0.labelEN)) }
        for t in try await database.read({ try await ReportStore.templates($0) }) {
            for f in t.fields where f.type == .number {
                out.append(("report:\(t.code).\(f.key)", (vietnamese ? "Báo cáo: " : "Report: ") + "\(t.title(vietnamese)) — \(f.label(vietnamese: vietnamese))"))
            }
        }
        return out
    }

    package func create(_ input: TargetInput, user: CurrentUser, key: IdempotencyKey?) async throws -> Target {
        guard user.can(.manageTasks) else { throw AppError.forbidden }
        let path = try input.unit.flatMap { $0.isEmpty ? nil : try UnitPath(slug: $0.replacingOccurrences(of: "/", with: ".")) } ?? user.unitPath
        guard user.covers(path), let unit = try await services.directory.unit(path.string), !unit.isGroup else { throw AppError.notFound }
        var problems: [String: String] = [:]
        let title = input.titleVI.trimmingCharacters(in: .whitespaces)
        if title.isEmpty { problems["title_vi"] = "required" }
        let parts = input.source.split(separator: ":", maxSplits: 1).map(String.init)
        let known = try await sources(true).map(\.key)
        if parts.count != 2 || !known.contains(input.source) { problems["source"] = "invalid" }
        let start = try? CivilDate(parsing: input.startDay), due = try? CivilDate(parsing: input.dueDay)
        if start == nil { problems["start_day"] = "invalid" }
        if due == nil { problems["due_day"] = "invalid" }
        if let start, let due, due < start { problems["due_day"] = "before_start" }
        let value = ReportValidation.integer(input.value)
        if (value ?? 0) <= 0 { problems["target_value"] = "invalid" }
        guard problems.isEmpty, let start, let due, let value else {
            throw AppError.invalid("Chỉ tiêu cần tên, nguồn số liệu, ngày bắt đầu, hạn và giá trị đích lớn hơn 0.",
                                   "A target needs a title, a data source, a start day, a due day and a value above 0.", details: problems)
        }
        let englishTitle = input.titleEN.trimmingCharacters(in: .whitespaces)
        let target = Target(id: Identifier.make(), unitPath: unit.path, titleVi: title, titleEn: englishTitle.isEmpty ? title : englishTitle, source: parts[0], sourceKey: parts[1],
                            startDay: start.iso, dueDay: due.iso, targetValue: value, createdByName: user.displayName, version: 1)
        _ = try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                try await TargetStore.insert(db, target)
                try await Audit.record(db, actor: user, action: "create", entityType: "target", entityId: target.id, unitPath: path,
                                       summary: "Chỉ tiêu \(unit.name): \(title) (\(NumberFormat.grouped(value)) trước \(due.vietnamese))",
                                       changes: [FieldChange("target_value", old: nil, new: String(value)), FieldChange("source", old: nil, new: input.source)])
                return target.id
            }
        }
        return target
    }

    @Sendable func targetsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let v = context.language == .vi
        let today = Clock.today()
        let rows = try await database.read { db -> [TargetProgress] in
            let templates = try await ReportStore.templates(db)
            var out: [TargetProgress] = []
            for t in try await TargetStore.forUnit(db, unit: focus.unit.path) { out.append(try await TargetStore.progress(db, t, scope: focus.scope, today: today, templates: templates)) }
            return out
        }
        return services.views.page("dashboard/targets", title: context.t("Chỉ tiêu", "Targets"), context: context, data: [
            "unitName": focus.unit.name, "slug": focus.path.slug,
            "rows": rows.map { p in ["id": p.target.id, "title": v ? p.target.titleVi : p.target.titleEn, "due": CivilDate(iso: p.target.dueDay)?.vietnamese ?? "",
                                     "start": CivilDate(iso: p.target.startDay)?.vietnamese ?? "", "target": NumberFormat.localized(p.target.targetValue, language: context.language),
                                     "actual": ReportFormat.number(p.actual, context.language), "source": v ? p.sourceVI : p.sourceEN] as [String: Any] },
            "hasRows": !rows.isEmpty, "canManage": context.user.can(.manageTasks),
            "sources": try await sources(v).map { ["key": $0.key, "label": $0.label] }, "key": Idempotency.newKey(),
            "error": request.formQuery.value("error") ?? "",
        ], active: "dashboard")
    }

    @Sendable func createTargetPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let form = context.form ?? FormData()
        let unit = form.value("unit") ?? context.user.unitPath.slug
        do {
            _ = try await create(TargetInput(unit: unit, titleVI: form["title_vi"] ?? "", titleEN: form["title_en"] ?? "", source: form["source"] ?? "",
                                             startDay: form["start_day"] ?? "", dueDay: form["due_day"] ?? "", value: form["target_value"] ?? ""),
                                 user: context.user, key: Idempotency.key(request, context))
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/dashboard/targets?unit=\(unit)&error=" + (error.message(context.language).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
        }
        return Views.redirect("/dashboard/targets?unit=\(unit)")
    }

    @Sendable func removeTargetPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageTasks)
        let scope = try await Scope.of(context.user, directory: services.directory)
        let id = try context.parameters.require("id")
        let target = try await database.transaction { db -> Target in
            guard let t = try await TargetStore.find(db, id: id, scope: scope) else { throw AppError.notFound }
            try await TargetStore.deactivate(db, id: id)
            try await Audit.record(db, actor: context.user, action: "delete", entityType: "target", entityId: id, unitPath: try? UnitPath(t.unitPath),
                                   summary: "Bỏ chỉ tiêu: \(t.titleVi)", changes: [FieldChange("active", old: "true", new: "false")])
            return t
        }
        return Views.redirect("/dashboard/targets?unit=\(ReportView.slug(target.unitPath))")
    }

    @Sendable func apiTargets(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewDashboard)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let today = Clock.today()
        let rows = try await database.read { db -> [TargetProgress] in
            let templates = try await ReportStore.templates(db)
            var out: [TargetProgress] = []
            for t in try await TargetStore.forUnit(db, unit: focus.unit.path) { out.append(try await TargetStore.progress(db, t, scope: focus.scope, today: today, templates: templates)) }
            return out
        }
        struct Body: Encodable { let data: [TargetProgress] }
        return try JSON.response(Body(data: rows))
    }

    @Sendable func apiCreateTarget(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let unit: String?; let titleVi: String; let titleEn: String?; let source: String; let startDay: String; let dueDay: String; let targetValue: Int }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let t = try await create(TargetInput(unit: b.unit, titleVI: b.titleVi, titleEN: b.titleEn ?? "", source: b.source, startDay: b.startDay, dueDay: b.dueDay, value: String(b.targetValue)),
                                 user: context.user, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: Target }
        return try JSON.response(Body(data: t), status: .created)
    }
}
