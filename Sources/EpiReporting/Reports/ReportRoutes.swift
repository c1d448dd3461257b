import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import NIOCore
import SQLKit

/// Report pages and `/api/v1/reports`: filling and submitting, corrections, completeness and
/// timeliness, reminders, consolidation and exports. Pages and API share `ReportService`.
package struct ReportRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var reports: ReportService { ReportService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("reports", .can(.viewReports), use: index)
        pages.get("reports/:code/completeness", .can(.viewReports), use: completenessPage)
        pages.post("reports/:code/reminders", .can(.remindUnits), use: remindPage)
        pages.get("reports/:code/consolidation", .can(.viewReports), use: consolidationPage)
        pages.get("reports/:code/print", .can(.viewReports), use: printPage)
        pages.get("reports/:code/consolidation.csv", .can(.viewReports), use: csvExport)
        pages.get("reports/:code/consolidation.xlsx", .can(.viewReports), use: xlsxExport)
        pages.get("reports/:code/:period/:slug", .can(.viewReports), use: show)
        pages.get("reports/:code/:period/:slug/correct", .can(.submitReports), use: correctForm)
        pages.post("reports/:code/:period/:slug", .can(.submitReports), use: submitPage)

        api.get("reports", .can(.viewReports), use: apiIndex)
        api.get("reports/:code/completeness", .can(.viewReports), use: apiCompleteness)
        api.get("reports/:code/history", .can(.viewReports), use: apiHistory)
        api.post("reports/:code/reminders", .can(.remindUnits), use: apiRemind)
        api.get("reports/:code/consolidation", .can(.viewReports), use: apiConsolidation)
        api.get("reports/:code/consolidation.csv", .can(.viewReports), use: csvExport)
        api.get("reports/:code/consolidation.xlsx", .can(.viewReports), use: xlsxExport)
        api.get("reports/:code/:period/:slug", .can(.viewReports), use: apiShow)
        api.post("reports/:code/:period/:slug", .can(.submitReports), use: apiSubmit)
    }

    private var vi: (AuthedContext) -> Bool { { $0.language == .vi } }

    // MARK: index

    @Sendable func index(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let user = context.user
        let language = context.language, v = language == .vi
        let scope = try await Scope.of(user, directory: services.directory)
        let units = await ReportUnits.load(services.directory)
        let now = Clock.now()
        let (templates, reminders) = try await database.read { db in
            (try await ReportStore.templates(db), try await ReportStore.reminders(db, scope: scope, since: Timestamp.string(now.addingTimeInterval(-7 * 86400)), limit: 20))
        }
        let slug = user.unitPath.slug
        var rows: [[String: Any]] = []
        var received: [[String: Any]] = []
        var sent: [[String: Any]] = []
        for template in templates {
            let period = template.defaultPeriod(now: now)
            let review = template.reviewPeriod(now: now)
            let own = units.unit(user.unitPath.string).map { units.isSubmitter($0, template.level) } ?? false
            var row: [String: Any] = [
                "code": template.code, "title": template.title(v), "deadline": template.deadline.label(vietnamese: v),
                "period": period.key, "periodLabel": period.label(vietnamese: v), "slug": slug,
                "reviewPeriod": review.key, "reviewLabel": review.shortLabel(vietnamese: v),
                "oversees": !units.expected(template.level, under: user.unitPath.string).filter { $0.path != user.unitPath.string }.isEmpty,
            ]
            if own {
                let latest = try await database.read { try await ReportStore.latest($0, code: template.code, period: period.key, unit: user.unitPath.string) }
                let t = latest.map { $0.onTime ? Timeliness.onTime : .late } ?? Timeliness.of(firstSubmittedAt: nil, deadline: template.deadline.instant(period), now: now)
                row["own"] = true
                row["status"] = ReportFormat.status(t, language)
                row["submitted"] = latest != nil
                row["dueAt"] = VietnamTime.display(template.deadline.instant(period))
                let periods = period.trailing(template.frequency == .daily ? 30 : 12)
                if let history = try await reports.history(template: template, periods: periods, root: user.unitPath.string, scope: scope, now: now).first {
                    row["strip"] = TrendChart.strip(history.record.statuses, periods: periods, language: language)
                    row["onTimeCount"] = history.record.onTime
                    row["lateCount"] = history.record.late
                    row["missingCount"] = history.record.missing
                }
            }
            // A template the user neither submits nor oversees (a ward and the district report) is not theirs to see here.
            if own || (row["oversees"] as? Bool) == true { rows.append(row) }
            // A reminder reads from where the reader stands: received from above when it names the
            // reader's own unit, otherwise one sent (by the reader's unit or one above it) to a unit below.
            for r in reminders where r.templateCode == template.code {
                guard let p = ReportPeriod(key: r.periodKey, frequency: template.frequency) else { continue }
                let done = try await database.read { try await ReportStore.latest($0, code: r.templateCode, period: r.periodKey, unit: r.unitPath) } != nil
                guard !done else { continue }
                let senderUnit = units.unit(r.senderUnitPath)?.name ?? ""
                var item: [String: Any] = ["from": r.sentByName, "fromUnit": senderUnit, "at": ReportFormat.time(r.sentAt), "note": r.note, "title": template.title(v),
                                           "period": p.shortLabel(vietnamese: v), "href": "/reports/\(template.code)/\(p.key)/\(ReportView.slug(r.unitPath))"]
                if r.unitPath == user.unitPath.string {
                    received.append(item)
                } else {
                    let to = units.unit(r.unitPath)?.name ?? r.unitPath
                    let byUs = r.senderUnitPath == user.unitPath.string
                    item["to"] = to
                    item["who"] = byUs ? context.t("Đơn vị đã đôn đốc \(to)", "We reminded \(to)")
                                       : context.t("\(senderUnit) đã đôn đốc \(to)", "\(senderUnit) reminded \(to)")
                    sent.append(item)
                }
            }
        }
        return services.views.page("reports/index", title: context.t("Báo cáo", "Reports"), context: context, data: [
            "templates": rows, "reminders": received, "hasReminders": !received.isEmpty, "sentReminders": sent, "hasSentReminders": !sent.isEmpty,
            "canManage": user.can(.manageReportTemplates), "unitName": units.unit(user.unitPath.string)?.name ?? user.unitPath.string,
        ], active: "reports")
    }

    @Sendable func apiIndex(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let templates = try await database.read { try await ReportStore.templates($0) }
        struct Body: Encodable { let data: [ReportTemplate] }
        return try JSON.response(Body(data: templates))
    }

    // MARK: one unit's report

    struct ReportContext {
        let template: ReportTemplate
        let period: ReportPeriod
        let unit: UnitRecord
        let history: [ReportSubmission]
        let prefill: [String: Int]
    }

    /// Loads a unit's report for a period, answering 404 outside the user's jurisdiction.
    private func load(_ context: AuthedContext) async throws -> ReportContext {
        try context.require(.viewReports)
        let template = try await reports.template(try context.parameters.require("code"))
        let period = try reports.period(try context.parameters.require("period"), template: template)
        guard let path = try? UnitPath(slug: try context.parameters.require("slug")), context.user.covers(path),
              let unit = try await services.directory.unit(path.string) else { throw AppError.notFound }
        let units = await ReportUnits.load(services.directory)
        guard units.isSubmitter(unit, template.level) else { throw AppError.notFound }
        let (history, prefill) = try await database.read { db in
            (try await ReportStore.history(db, code: template.code, period: period.key, unit: unit.path),
             try await reports.prefill(db, template: template, unit: unit.path, period: period, user: context.user))
        }
        return ReportContext(template: template, period: period, unit: unit, history: history, prefill: prefill)
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let rc = try await load(context)
        return try await render(rc, context: context, correcting: false)
    }

    @Sendable func correctForm(_ request: Request, context: AuthedContext) async throws -> Response {
        let rc = try await load(context)
        try context.require(.submitReports)
        guard !rc.history.isEmpty else { return Views.redirect("/reports/\(rc.template.code)/\(rc.period.key)/\(ReportView.slug(rc.unit.path))") }
        return try await render(rc, context: context, correcting: true)
    }

    private func render(_ rc: ReportContext, context: AuthedContext, correcting: Bool, input: [String: String]? = nil, error: AppError? = nil) async throws -> Response {
        let v = vi(context), language = context.language
        let latest = rc.history.first
        let now = Clock.now()
        let deadline = rc.template.deadline.instant(rc.period)
        let timeliness = rc.history.last.map { $0.onTime ? Timeliness.onTime : .late } ?? Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: now)
        let canSubmit = context.user.can(.submitReports)
        let showForm = canSubmit && (latest == nil || correcting) && rc.period.start <= VietnamTime.day(of: now)
        let problems = error?.details ?? [:]
        let base = input ?? latest?.values.merging(rc.prefill.mapValues(String.init)) { stored, _ in stored } ?? rc.prefill.mapValues(String.init)
        let fields: [[String: Any]] = rc.template.fields.map { f in
            var row: [String: Any] = [
                "key": f.key, "label": f.label(vietnamese: v), "required": f.required, "value": base[f.key] ?? "",
                "isNumber": f.type == .number, "isText": f.type == .text, "isChoice": f.type == .choice, "isDate": f.type == .date,
                "min": f.min.map(String.init) ?? "", "max": f.max.map(String.init) ?? "",
                "choices": f.choices.map { ["value": $0, "label": Strings.label("report_choice", $0, language), "selected": $0 == base[f.key]] },
                "reason": input?["reason.\(f.key)"] ?? "",
            ]
            if let live = rc.prefill[f.key] {
                row["live"] = NumberFormat.localized(live, language: language)
                row["liveRaw"] = String(live)
                row["source"] = f.metric.flatMap(Metric.init(rawValue:)).map { context.label("metric", $0.rawValue) } ?? ""
            }
            if let p = problems[f.key].flatMap(ReportProblem.init(rawValue:)) { row["fieldError"] = p.message(f, vietnamese: v) }
            if let p = problems["reason.\(f.key)"].flatMap(ReportProblem.init(rawValue:)) { row["reasonError"] = p.message(f, vietnamese: v) }
            return row
        }
        let versions: [[String: Any]] = rc.history.map { s in
            let previous = rc.history.first { $0.version == s.version - 1 }
            return [
                "version": s.version, "at": ReportFormat.time(s.submittedAt), "by": s.submittedByName, "onTime": s.onTime,
                "timeliness": context.label("timeliness", s.onTime ? Timeliness.onTime.rawValue : Timeliness.late.rawValue),
                "correctionReason": s.correctionReason ?? "", "templateVersion": s.templateVersion, "isLatest": s.id == latest?.id, "id": s.id,
                "values": rc.template.fields.map { f -> [String: Any] in
                    let value = ReportFormat.value(s.values[f.key], field: f, language)
                    let changed = previous.map { $0.values[f.key] != s.values[f.key] } ?? false
                    return ["label": f.label(vietnamese: v), "value": value, "changed": changed,
                            "live": s.prefill[f.key].map { NumberFormat.localized($0, language: language) } ?? "", "reason": s.reasons[f.key] ?? "", "differs": s.reasons[f.key] != nil]
                },
            ]
        }
        let scope = try await Scope.of(context.user, directory: services.directory)
        let attached = try await database.read { try await MessageStore.attached($0, submissionIDs: rc.history.map(\.id), scope: scope) }
        let slug = ReportView.slug(rc.unit.path)
        let data: [String: Any] = [
            "code": rc.template.code, "title": rc.template.title(v), "unitName": rc.unit.name, "unitLabel": await services.directory.label(rc.unit.path),
            "period": rc.period.key, "periodLabel": rc.period.label(vietnamese: v), "slug": slug,
            "deadline": VietnamTime.display(deadline), "deadlineRule": rc.template.deadline.label(vietnamese: v),
            "status": ReportFormat.status(timeliness, language), "submitted": latest != nil, "locked": latest != nil && !correcting,
            "latestVersion": latest?.version ?? 0, "versions": versions, "hasHistory": rc.history.count > 1 || (latest != nil),
            "fields": fields, "showForm": showForm, "correcting": correcting, "canCorrect": canSubmit && latest != nil && !correcting,
            "correctionReason": input?["correction_reason"] ?? "", "correctionError": problems["correction_reason"] != nil,
            "error": error.map { $0.message(context.language) } as Any, "key": Idempotency.newKey(),
            "prev": "/reports/\(rc.template.code)/\(rc.period.adding(-1).key)/\(slug)",
            "next": rc.period.adding(1).start <= VietnamTime.day(of: now) ? "/reports/\(rc.template.code)/\(rc.period.adding(1).key)/\(slug)" : "",
            "latestId": latest?.id ?? "", "canPost": context.user.can(.postMessages) && latest != nil,
            "messages": attached.map { MessageView.row($0, context.language) }, "hasMessages": !attached.isEmpty,
            "templateVersion": rc.template.version,
        ]
        return services.views.page("reports/show", title: "\(rc.template.title(v)) · \(rc.unit.name)", context: context, data: data,
                                   status: error?.status ?? .ok, active: "reports")
    }

    static func input(from form: FormData, template: ReportTemplate) -> ReportService.SubmitInput {
        var values: [String: String] = [:], reasons: [String: String] = [:]
        for f in template.fields {
            if let v = form["f.\(f.key)"] { values[f.key] = v }
            if let r = form.value("reason.\(f.key)") { reasons[f.key] = r }
        }
        return ReportService.SubmitInput(values: values, reasons: reasons, correctionReason: form["correcting"] == "1" ? (form["correction_reason"] ?? "") : nil)
    }

    @Sendable func submitPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let rc = try await load(context)
        let form = context.form ?? FormData()
        let input = Self.input(from: form, template: rc.template)
        do {
            let path = try await reports.submit(code: rc.template.code, periodKey: rc.period.key, unitPath: rc.unit.path, input: input, user: context.user,
                                                key: Idempotency.key(request, context))
            return Views.redirect(path)
        } catch let error as AppError where error.status == .unprocessableContent {
            var raw = form.fields
            for f in rc.template.fields { raw[f.key] = form["f.\(f.key)"] ?? "" }
            // Show the live figures as they are now, so a reason is asked only against what the user sees.
            let fresh = try await load(context)
            return try await render(fresh, context: context, correcting: input.correctionReason != nil, input: raw, error: error)
        }
    }

    // MARK: API for one report

    struct SubmissionBody: Encodable {
        let data: ReportSubmission?
        let history: [ReportSubmission]
        let status: String
        let deadline: String
        let prefill: [String: Int]
        let template: ReportTemplate
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let rc = try await load(context)
        let deadline = rc.template.deadline.instant(rc.period)
        let status = rc.history.last.map { $0.onTime ? Timeliness.onTime : .late } ?? Timeliness.of(firstSubmittedAt: nil, deadline: deadline, now: Clock.now())
        return try JSON.response(SubmissionBody(data: rc.history.first, history: rc.history, status: status.rawValue, deadline: Timestamp.string(deadline), prefill: rc.prefill, template: rc.template))
    }

    @Sendable func apiSubmit(_ request: Request, context: AuthedContext) async throws -> Response {
        let rc = try await load(context)
        struct Input: Decodable { let values: [String: FlexibleText]; let reasons: [String: String]?; let correctionReason: String? }
        let body = try await APIBody.decode(Input.self, request, context: context)
        let input = ReportService.SubmitInput(values: body.values.mapValues(\.text), reasons: body.reasons ?? [:], correctionReason: body.correctionReason)
        _ = try await reports.submit(code: rc.template.code, periodKey: rc.period.key, unitPath: rc.unit.path, input: input, user: context.user, key: Idempotency.key(request, context))
        let history = try await database.read { try await ReportStore.history($0, code: rc.template.code, period: rc.period.key, unit: rc.unit.path) }
        let deadline = rc.template.deadline.instant(rc.period)
        let status = history.last.map { $0.onTime ? Timeliness.onTime : .late } ?? .missing
        return try JSON.response(SubmissionBody(data: history.first, history: history, status: status.rawValue, deadline: Timestamp.string(deadline), prefill: rc.prefill, template: rc.template),
                                 status: .created)
    }

    // MARK: completeness and timeliness

    struct CompletenessView {
        let template: ReportTemplate
        let period: ReportPeriod
        let focus: UnitFocus
        let rows: [ReportService.UnitStatus]
    }

    private func completenessContext(_ request: Request, context: AuthedContext, page: Bool = false) async throws -> CompletenessView {
        try context.require(.viewReports)
        let template = try await reports.template(try context.parameters.require("code"))
        let period = try reports.period(request.formQuery.value("period"), template: template, review: page)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let rows = try await reports.completeness(template: template, period: period, root: focus.unit.path, scope: focus.scope)
        return CompletenessView(template: template, period: period, focus: focus, rows: rows)
    }

    @Sendable func completenessPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let cv = try await completenessContext(request, context: context, page: true)
        let v = vi(context), language = context.language
        let now = Clock.now()
        let units = await ReportUnits.load(services.directory)
        let history = request.formQuery["view"] == "history"
        let slug = cv.focus.path.slug
        let base = "/reports/\(cv.template.code)/completeness"
        let canRemind = context.user.can(.remindUnits)
        func counts(_ list: [Timeliness]) -> [String: Int] {
            ["onTime": list.filter { $0 == .onTime }.count, "late": list.filter { $0 == .late }.count,
             "missing": list.filter { $0 == .missing }.count, "pending": list.filter { $0 == .pending }.count]
        }
        // Units one level below the focus that are not submitters themselves (districts under the city) are summarised and drilled into.
        let children = units.children(of: cv.focus.unit.path).filter { !units.isSubmitter($0, cv.template.level) && !units.expected(cv.template.level, under: $0.path).isEmpty }
        var groups: [[String: Any]] = []
        var unitRows: [[String: Any]] = []
        var periodsShown: [ReportPeriod] = []
        if history {
            periodsShown = cv.period.trailing(cv.template.frequency == .daily ? 30 : 12)
            let records = try await reports.history(template: cv.template, periods: periodsShown, root: cv.focus.unit.path, scope: cv.focus.scope)
            if !children.isEmpty {
                for child in children {
                    let mine = records.filter { $0.unit.path.hasPrefix(child.path + "/") }
                    // A period counts as on time for the district when all its wards were on time, missing when any is missing.
                    let merged: [Timeliness] = periodsShown.indices.map { i in
                        let s = mine.map { $0.record.statuses[i] }
                        if s.contains(.missing) { return .missing }
                        if s.contains(.pending) { return .pending }
                        if s.contains(.late) { return .late }
                        return .onTime
                    }
                    let all = mine.flatMap(\.record.statuses)
                    groups.append(["name": child.name, "href": "\(base)?period=\(cv.period.key)&unit=\(ReportView.slug(child.path))&view=history",
                                   "strip": TrendChart.strip(merged, periods: periodsShown, language: language), "counts": counts(all), "units": mine.count,
                                   "repeated": mine.filter { $0.record.isRepeatedlyLate() }.count])
                }
            } else {
                for (unit, record) in records {
                    unitRows.append(["name": unit.name, "slug": ReportView.slug(unit.path), "strip": TrendChart.strip(record.statuses, periods: periodsShown, language: language),
                                     "onTime": record.onTime, "late": record.late, "missing": record.missing, "repeated": record.isRepeatedlyLate(),
                                     "href": "/reports/\(cv.template.code)/\(cv.period.key)/\(ReportView.slug(unit.path))"])
                }
            }
        } else if !children.isEmpty {
            for child in children {
                let mine = cv.rows.filter { $0.unit.path.hasPrefix(child.path + "/") }
                groups.append(["name": child.name, "href": "\(base)?period=\(cv.period.key)&unit=\(ReportView.slug(child.path))",
                               "counts": counts(mine.map(\.timeliness)), "units": mine.count])
            }
        } else {
            unitRows = cv.rows.map { s in
                ["name": s.unit.name, "slug": ReportView.slug(s.unit.path), "status": ReportFormat.status(s.timeliness, language),
                 "at": ReportFormat.time(s.submittedAt), "version": s.version, "reminders": s.reminders,
                 "remindable": canRemind && (s.timeliness == .missing || s.timeliness == .pending) && s.unit.path != context.user.unitPath.string,
                 "href": "/reports/\(cv.template.code)/\(cv.period.key)/\(ReportView.slug(s.unit.path))"]
            }
        }
        let total = counts(cv.rows.map(\.timeliness))
        let deadline = cv.template.deadline.instant(cv.period)
        let next = cv.period.adding(1)
        let data: [String: Any] = [
            "code": cv.template.code, "title": cv.template.title(v), "period": cv.period.key, "periodLabel": cv.period.label(vietnamese: v),
            "deadline": VietnamTime.display(deadline), "notDue": deadline > now, "unitName": cv.focus.unit.name, "slug": slug,
            "crumbs": await cv.focus.crumbs(user: context.user, directory: services.directory, base: base, query: "period=\(cv.period.key)\(history ? "&view=history" : "")"),
            "expected": cv.rows.count, "counts": total, "groups": groups, "hasGroups": !groups.isEmpty, "rows": unitRows, "hasRows": !unitRows.isEmpty,
            "history": history, "historyCount": periodsShown.count, "isDaily": cv.template.frequency == .daily,
            "prev": "\(base)?period=\(cv.period.adding(-1).key)&unit=\(slug)\(history ? "&view=history" : "")",
            // No period that has not started: nothing can have been sent for it.
            "next": next.start <= VietnamTime.day(of: now) ? "\(base)?period=\(next.key)&unit=\(slug)\(history ? "&view=history" : "")" : "",
            "toggle": "\(base)?period=\(cv.period.key)&unit=\(slug)\(history ? "" : "&view=history")",
            "consolidation": "/reports/\(cv.template.code)/consolidation?period=\(cv.period.key)&unit=\(slug)",
            "canRemind": canRemind && unitRows.contains { ($0["remindable"] as? Bool) == true }, "key": Idempotency.newKey(),
            "sent": request.formQuery.value("sent") ?? "",
            "pickerAction": base, "periods": pickerPeriods(cv.template, selected: cv.period, now: now, language: language),
        ]
        return services.views.page("reports/completeness", title: context.t("Tiến độ báo cáo", "Report completeness"), context: context, data: data, active: "reports")
    }

    /// The choices of a period picker, newest first, those not yet due marked.
    private func pickerPeriods(_ template: ReportTemplate, selected: ReportPeriod, now: Date, language: Language) -> [[String: Any]] {
        let v = language == .vi
        return template.pickerPeriods(around: selected, now: now, count: template.frequency == .daily ? 14 : 12).map { p in
            let due = template.deadline.instant(p) <= now
            return ["key": p.key, "label": p.shortLabel(vietnamese: v) + (due ? "" : " (\(Strings.label("timeliness", Timeliness.pending.rawValue, language).lowercased()))"),
                    "selected": p == selected]
        }
    }

    struct CompletenessBody: Encodable {
        struct Row: Encodable { let unitPath: String; let name: String; let status: String; let submittedAt: String?; let version: Int; let reminders: Int }
        let template: String
        let period: String
        let deadline: String
        let unitPath: String
        let expected: Int
        let onTime: Int
        let late: Int
        let missing: Int
        let pending: Int
        let data: [Row]
    }

    @Sendable func apiCompleteness(_ request: Request, context: AuthedContext) async throws -> Response {
        let cv = try await completenessContext(request, context: context)
        let rows = cv.rows.map { CompletenessBody.Row(unitPath: $0.unit.path, name: $0.unit.name, status: $0.timeliness.rawValue, submittedAt: $0.submittedAt, version: $0.version, reminders: $0.reminders) }
        func n(_ t: Timeliness) -> Int { cv.rows.filter { $0.timeliness == t }.count }
        return try JSON.response(CompletenessBody(template: cv.template.code, period: cv.period.key, deadline: Timestamp.string(cv.template.deadline.instant(cv.period)),
                                                  unitPath: cv.focus.unit.path, expected: cv.rows.count, onTime: n(.onTime), late: n(.late), missing: n(.missing), pending: n(.pending), data: rows))
    }

    @Sendable func apiHistory(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let template = try await reports.template(try context.parameters.require("code"))
        let period = try reports.period(request.formQuery.value("period"), template: template)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let count = min(max(Int(request.formQuery.value("count") ?? "") ?? 30, 1), 120)
        let periods = period.trailing(count)
        let records = try await reports.history(template: template, periods: periods, root: focus.unit.path, scope: focus.scope)
        struct Row: Encodable { let unitPath: String; let name: String; let onTime: Int; let late: Int; let missing: Int; let repeatedlyLate: Bool; let statuses: [String] }
        struct Body: Encodable { let periods: [String]; let data: [Row] }
        return try JSON.response(Body(periods: periods.map(\.key), data: records.map {
            Row(unitPath: $0.unit.path, name: $0.unit.name, onTime: $0.record.onTime, late: $0.record.late, missing: $0.record.missing,
                repeatedlyLate: $0.record.isRepeatedlyLate(), statuses: $0.record.statuses.map(\.rawValue))
        }))
    }

    // MARK: reminders

    @Sendable func remindPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.remindUnits)
        let template = try await reports.template(try context.parameters.require("code"))
        let form = context.form ?? FormData()
        let period = try reports.period(form.value("period"), template: template)
        let targets = form.fields.filter { $0.key.hasPrefix("unit.") && $0.value == "1" }.map { String($0.key.dropFirst(5)).replacingOccurrences(of: ".", with: "/") }.sorted()
        let n = try await reports.remind(template: template, period: period, units: targets, note: form["note"] ?? "", user: context.user, key: Idempotency.key(request, context))
        return Views.redirect("/reports/\(template.code)/completeness?period=\(period.key)&unit=\(form.value("focus") ?? context.user.unitPath.slug)&sent=\(n)")
    }

    @Sendable func apiRemind(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.remindUnits)
        let template = try await reports.template(try context.parameters.require("code"))
        struct Input: Decodable { let period: String; let units: [String]; let note: String? }
        let body = try await APIBody.decode(Input.self, request, context: context)
        let period = try reports.period(body.period, template: template)
        let n = try await reports.remind(template: template, period: period, units: body.units.map { $0.replacingOccurrences(of: ".", with: "/") }, note: body.note ?? "",
                                         user: context.user, key: Idempotency.key(request, context))
        struct Body: Encodable { let sent: Int }
        return try JSON.response(Body(sent: n), status: .created)
    }

    // MARK: consolidation and exports

    private func consolidated(_ request: Request, context: AuthedContext) async throws -> ReportService.Consolidated {
        try context.require(.viewReports)
        let template = try await reports.template(try context.parameters.require("code"))
        // Pages and their exports open on the latest period due; the API keeps its documented default.
        let page = !request.uri.path.hasPrefix("/api/")
        let period = try reports.period(request.formQuery.value("period"), template: template, review: page)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        return try await reports.consolidate(template: template, period: period, root: focus.unit.path, scope: focus.scope)
    }

    /// What a consolidated report is called: after the report it consolidates and its period (the unit
    /// that consolidates it heads the printed copy and has its own line in the spreadsheet).
    static func consolidatedTitle(_ c: ReportService.Consolidated, vietnamese v: Bool) -> String {
        let period = c.period.frequency == .daily ? (v ? "ngày \(c.period.label(vietnamese: true))" : "for \(c.period.label(vietnamese: false))") : c.period.label(vietnamese: v)
        return v ? "Tổng hợp \(c.template.titleVI.lowercased()) \(period)" : "Consolidated \(c.template.titleEN.lowercased()) \(period)"
    }

    private func viewData(_ c: ReportService.Consolidated, context: AuthedContext) async -> [String: Any] {
        let v = vi(context), language = context.language
        let now = Clock.now()
        let numbers = c.template.fields.filter { $0.type == .number }
        let slug = ReportView.slug(c.root.path)
        let base = "/reports/\(c.template.code)"
        let totals: [[String: Any]] = numbers.map { f in
            ["label": f.label(vietnamese: v), "total": ReportFormat.number(c.consolidation.total(f.key), language), "answered": c.consolidation.answered[f.key] ?? 0]
        }
        let choices: [[String: Any]] = c.template.fields.filter { $0.type == .choice }.map { f in
            ["label": f.label(vietnamese: v), "values": (c.consolidation.choiceCounts[f.key] ?? [:]).sorted { $0.key < $1.key }.map { ["value": Strings.label("report_choice", $0.key, language), "n": $0.value] }]
        }
        let headers = numbers.map { $0.label(vietnamese: v) }
        func cells(_ values: [String]) -> [[String: Any]] { zip(headers, values).map { ["v": $0.1, "label": $0.0] } }
        // Rows: sub-totals per district for the city, else each unit's own figures; a missing unit shows dashes.
        var rows: [[String: Any]] = []
        if !c.parts.isEmpty {
            for (unit, part) in c.parts {
                rows.append(["name": unit.name, "reported": "\(part.reportedCount)/\(part.expected)", "complete": part.isComplete, "missing": false,
                             "href": "\(base)/consolidation?period=\(c.period.key)&unit=\(ReportView.slug(unit.path))",
                             "cells": cells(numbers.map { ReportFormat.number(part.total($0.key), language) })])
            }
        } else {
            for unit in c.expected {
                let report = c.reports[unit.path]
                rows.append(["name": unit.name, "reported": report == nil ? "0/1" : "1/1", "complete": report != nil, "missing": report == nil,
                             "href": "\(base)/\(c.period.key)/\(ReportView.slug(unit.path))", "version": report?.version ?? 0,
                             "cells": cells(numbers.map { f in report.map { ReportFormat.number($0.values[f.key].flatMap(Int.init), language) } ?? "—" })])
            }
        }
        let texts: [[String: Any]] = c.template.fields.filter { $0.type == .text }.map { f in
            ["label": f.label(vietnamese: v), "answers": c.expected.compactMap { u -> [String: Any]? in
                guard let text = c.reports[u.path]?.values[f.key], !text.isEmpty else { return nil }
                return ["unit": u.name, "text": text]
            }]
        }
        var missing: [[String: Any]] = []
        for path in c.consolidation.missing {
            missing.append(["name": c.expected.first { $0.path == path }?.name ?? path, "parent": await services.directory.cached(path)?.parentPath.flatMap { p in c.parts.first { $0.unit.path == p }?.unit.name } ?? ""])
        }
        let province = await services.directory.lineage(c.root.path).first?.name ?? c.root.name
        let next = c.period.adding(1)
        let deadline = c.template.deadline.instant(c.period)
        return [
            "code": c.template.code, "title": c.template.title(v), "period": c.period.key, "periodLabel": c.period.label(vietnamese: v),
            "unitName": c.root.name, "slug": slug, "notDue": deadline > now, "deadline": VietnamTime.display(deadline),
            "reportedCount": c.consolidation.reportedCount, "expected": c.consolidation.expected, "complete": c.consolidation.isComplete,
            "totals": totals, "choices": choices, "hasChoices": !choices.isEmpty, "headers": headers.map { ["label": $0] },
            "rows": rows, "byPart": !c.parts.isEmpty, "texts": texts, "missingUnits": missing, "hasMissing": !missing.isEmpty,
            "csv": "\(base)/consolidation.csv?period=\(c.period.key)&unit=\(slug)", "xlsx": "\(base)/consolidation.xlsx?period=\(c.period.key)&unit=\(slug)",
            "print": "\(base)/print?period=\(c.period.key)&unit=\(slug)", "completeness": "\(base)/completeness?period=\(c.period.key)&unit=\(slug)",
            "prev": "\(base)/consolidation?period=\(c.period.adding(-1).key)&unit=\(slug)",
            "next": next.start <= VietnamTime.day(of: now) ? "\(base)/consolidation?period=\(next.key)&unit=\(slug)" : "",
            "crumbs": await UnitFocus.crumbs(to: c.root, user: context.user, directory: services.directory, base: "\(base)/consolidation", query: "period=\(c.period.key)"),
            "pickerAction": "\(base)/consolidation", "periods": pickerPeriods(c.template, selected: c.period, now: now, language: language),
            // The printed copy, laid out as an administrative document.
            "docTitle": Self.consolidatedTitle(c, vietnamese: v), "authority": v ? "UBND \(c.root.name.uppercased())" : "\(c.root.name.uppercased()) PEOPLE'S COMMITTEE",
            "numberLine": OfficialDocument.numberLine(issuer: "SCH", vietnamese: v),
            "placeDate": OfficialDocument.placeAndDate(OfficialDocument.place(provinceName: province), VietnamTime.day(of: now), vietnamese: v),
            "printedAt": VietnamTime.display(now), "printedBy": context.user.displayName,
        ]
    }

    @Sendable func consolidationPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await consolidated(request, context: context)
        return services.views.page("reports/consolidation", title: context.t("Tổng hợp báo cáo", "Consolidated report"), context: context,
                                   data: await viewData(c, context: context), active: "reports")
    }

    @Sendable func printPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await consolidated(request, context: context)
        try await audit(c, context: context, format: "print")
        return services.views.page("reports/print", title: "\(context.t("Báo cáo", "Report")) · \(Self.consolidatedTitle(c, vietnamese: vi(context)))", context: context,
                                   data: await viewData(c, context: context), active: "reports")
    }

    struct ConsolidationBody: Encodable {
        struct Row: Encodable { let unitPath: String; let name: String; let reported: Bool; let version: Int?; let onTime: Bool?; let values: [String: String]? }
        struct Part: Encodable { let unitPath: String; let name: String; let expected: Int; let reported: Int; let totals: [String: Int?] }
        let template: String
        let templateVersion: Int
        let period: String
        let unitPath: String
        let expected: Int
        let reported: Int
        let totals: [String: Int?]
        let missing: [String]
        let parts: [Part]
        let data: [Row]
    }

    @Sendable func apiConsolidation(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await consolidated(request, context: context)
        let rows = c.expected.map { u in
            let r = c.reports[u.path]
            return ConsolidationBody.Row(unitPath: u.path, name: u.name, reported: r != nil, version: r?.version, onTime: r?.onTime, values: r?.values)
        }
        return try JSON.response(ConsolidationBody(template: c.template.code, templateVersion: c.template.version, period: c.period.key, unitPath: c.root.path,
                                                   expected: c.consolidation.expected, reported: c.consolidation.reportedCount, totals: c.consolidation.totals,
                                                   missing: c.consolidation.missing, parts: c.parts.map { .init(unitPath: $0.unit.path, name: $0.unit.name, expected: $0.consolidation.expected, reported: $0.consolidation.reportedCount, totals: $0.consolidation.totals) },
                                                   data: rows))
    }

    /// The export as rows: one per expected unit (missing ones marked), then the total with "n/N units reported".
    static func table(_ c: ReportService.Consolidated, language: Language) -> [[SheetCell]] {
        let v = language == .vi
        let fields = c.template.fields
        var rows: [[SheetCell]] = [[.text(v ? "Mã đơn vị" : "Unit code"), .text(v ? "Đơn vị" : "Unit"), .text(v ? "Trạng thái" : "Status"), .text(v ? "Bản" : "Version")]
            + fields.map { .text($0.label(vietnamese: v)) }]
        for unit in c.expected {
            if let r = c.reports[unit.path] {
                let status = Strings.label("timeliness", (r.onTime ? Timeliness.onTime : .late).rawValue, language)
                rows.append([.text(unit.path), .text(unit.name), .text(status), .number(r.version)] + fields.map { f in
                    guard let value = r.values[f.key] else { return .empty }
                    if f.type == .number, let n = Int(value) { return .number(n) }
                    if f.type == .date, let day = CivilDate(iso: value) { return .text(day.vietnamese) }
                    if f.type == .choice { return .text(Strings.label("report_choice", value, language)) }
                    return .text(value)
                })
            } else {
                rows.append([.text(unit.path), .text(unit.name), .text(v ? "Chưa báo cáo" : "Not reported"), .empty] + fields.map { _ in .empty })
            }
        }
        rows.append([.text(c.root.path), .text((v ? "Tổng cộng " : "Total ") + c.root.name),
                     .text("\(c.consolidation.reportedCount)/\(c.consolidation.expected) " + (v ? "đơn vị đã báo cáo" : "units reported")), .empty]
                    + fields.map { f in f.type == .number ? (c.consolidation.total(f.key).map { .number($0) } ?? .empty) : .empty })
        return rows
    }

    /// The lines above an exported table, as on the printed copy: what it is, for which period, for which unit, and when.
    static func sheetTitles(_ c: ReportService.Consolidated, language: Language, exportedBy: String, at now: Date) -> [String] {
        let v = language == .vi
        return [
            consolidatedTitle(c, vietnamese: v),
            (v ? "Kỳ báo cáo: " : "Period: ") + c.period.label(vietnamese: v) + (v ? " · hạn " : " · due ") + VietnamTime.display(c.template.deadline.instant(c.period)),
            (v ? "Đơn vị: " : "Unit: ") + c.root.name + " · \(c.consolidation.reportedCount)/\(c.consolidation.expected) " + (v ? "đơn vị đã báo cáo" : "units reported"),
            (v ? "Xuất lúc " : "Exported ") + VietnamTime.display(now) + " · " + exportedBy,
        ]
    }

    private func audit(_ c: ReportService.Consolidated, context: AuthedContext, format: String) async throws {
        try await database.transaction { db in
            try await Audit.record(db, actor: context.user, action: "export", entityType: "report_consolidation", entityId: "\(c.template.code)/\(c.period.key)",
                                   unitPath: try? UnitPath(c.root.path), summary: (format == "print" ? "In bản A4" : "Xuất tệp \(format.uppercased())") + " tổng hợp \(c.template.titleVI) kỳ \(c.period.label(vietnamese: true)) của \(c.root.name)")
        }
    }

    private func filename(_ c: ReportService.Consolidated, _ ext: String) -> String {
        "\(c.template.code)_\(c.period.key)_\(ReportView.slug(c.root.path)).\(ext)"
    }

    @Sendable func csvExport(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await consolidated(request, context: context)
        try await audit(c, context: context, format: "CSV")
        // A byte-order mark so spreadsheet programs open Vietnamese text as UTF-8.
        var text = "\u{FEFF}"
        for row in Self.table(c, language: context.language) {
            text += CSVWriter.row(row.map { cell -> String in
                switch cell {
                case .text(let s): return s
                case .number(let n): return String(n)
                case .empty: return ""
                }
            })
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename(c, "csv"))\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func xlsxExport(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await consolidated(request, context: context)
        try await audit(c, context: context, format: "XLSX")
        let v = vi(context)
        let titles = Self.sheetTitles(c, language: context.language, exportedBy: context.user.displayName, at: Clock.now())
        var sheets = [XLSXWriter.Sheet(name: v ? "Tổng hợp" : "Consolidated", rows: Self.table(c, language: context.language), titles: titles, totalRow: true)]
        sheets.append(XLSXWriter.Sheet(name: v ? "Chưa báo cáo" : "Not reported", rows: [[.text(v ? "Mã đơn vị" : "Unit code"), .text(v ? "Đơn vị" : "Unit")]]
                                       + c.consolidation.missing.map { p in [.text(p), .text(c.expected.first { $0.path == p }?.name ?? p)] },
                                       titles: [(v ? "Đơn vị chưa báo cáo — " : "Units that have not reported — ") + Self.consolidatedTitle(c, vietnamese: v)] + titles.dropFirst()))
        let bytes = XLSXWriter.workbook(sheets)
        return Response(status: .ok, headers: [.contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                               .contentDisposition: "attachment; filename=\"\(filename(c, "xlsx"))\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A JSON value sent as a string or a number ({"f0_new": 3} or {"f0_new": "3"}).
struct FlexibleText: Decodable, Sendable {
    let text: String
    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { text = String(i) } else if let s = try? c.decode(String.self) { text = s } else if c.decodeNil() { text = "" } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a string or a whole number")
        }
    }
}
