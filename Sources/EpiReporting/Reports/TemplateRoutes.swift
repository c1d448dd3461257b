import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Report templates as data: the city defines fields, validation, pre-fills, deadline and the
/// submitting level. Editing saves a new version; submissions keep the version they used.
package struct TemplateRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("report-templates", .can(.viewReports), use: list)
        pages.get("report-templates/new", .can(.manageReportTemplates), use: newForm)
        pages.post("report-templates", .can(.manageReportTemplates), use: createPage)
        pages.get("report-templates/:code", .can(.manageReportTemplates), use: editForm)
        pages.post("report-templates/:code", .can(.manageReportTemplates), use: updatePage)
        api.get("report-templates", .can(.viewReports), use: apiList)
        api.post("report-templates", .can(.manageReportTemplates), use: apiSave)
        api.get("report-templates/:code", .can(.viewReports), use: apiShow)
    }

    struct TemplateInput: Sendable {
        var code: String
        var titleVI: String
        var titleEN: String
        var frequency: String
        var weekday: String
        var time: String
        var nextDay: Bool
        var level: String
        var fieldsSpec: String
        var active: Bool
    }

    /// Validates and stores a template as version 1 (new code) or as the next version of an existing code.
    func save(_ input: TemplateInput, user: CurrentUser, isNew: Bool, key: IdempotencyKey?) async throws -> ReportTemplate {
        guard user.can(.manageReportTemplates) else { throw AppError.forbidden }
        var problems: [String: String] = [:]
        let code = input.code.trimmingCharacters(in: .whitespaces).lowercased()
        if code.range(of: "^[a-z][a-z0-9_]{2,39}$", options: .regularExpression) == nil { problems["code"] = "invalid" }
        if input.titleVI.trimmingCharacters(in: .whitespaces).isEmpty { problems["title_vi"] = "required" }
        let frequency = ReportFrequency(rawValue: input.frequency)
        if frequency == nil { problems["frequency"] = "invalid" }
        let level = SubmitterLevel(rawValue: input.level)
        if level == nil { problems["level"] = "invalid" }
        let hm = input.time.split(separator: ":").compactMap { Int($0) }
        let weekday = Int(input.weekday)
        var deadline: ReportDeadline?
        if hm.count == 2, let frequency {
            let d = ReportDeadline(frequency: frequency, weekday: weekday, hour: hm[0], minute: hm[1], nextDay: input.nextDay)
            if d.isValid, frequency == .daily || (1...7).contains(weekday ?? 0) { deadline = d } else { problems["time"] = "invalid" }
        } else { problems["time"] = "invalid" }
        var fields: [ReportField] = []
        var specError: ReportFieldSpecError?
        do {
            fields = try ReportFieldSpec.parse(input.fieldsSpec, knownMetrics: Set(Metric.allCases.map(\.rawValue)))
        } catch {
            specError = error
            problems["fields"] = "invalid"
        }
        guard problems.isEmpty, let deadline, let level else {
            throw AppError.invalid("Mẫu báo cáo chưa hợp lệ." + (specError.map { " " + $0.messageVI } ?? ""),
                                   "The template is not valid." + (specError.map { " " + $0.messageEN } ?? ""), details: problems)
        }
        let titleEN = input.titleEN.trimmingCharacters(in: .whitespaces)
        let parsed = fields
        return try await database.transaction { db in
            let current = try await ReportStore.template(db, code: code)
            if isNew, current != nil { throw AppError(.conflict, code: "duplicate_code", vi: "Đã có mẫu mã \(code).", en: "Template \(code) already exists.", details: ["code": "duplicate"]) }
            if !isNew, current == nil { throw AppError.notFound }
            let template = ReportTemplate(id: Identifier.make(), code: code, version: (current?.version ?? 0) + 1, titleVI: input.titleVI.trimmingCharacters(in: .whitespaces),
                                          titleEN: titleEN.isEmpty ? input.titleVI : titleEN, deadline: deadline, level: level, fields: parsed, active: input.active,
                                          createdAt: Timestamp.now(), createdBy: user.username)
            let outcome = try await Idempotency.once(db, key: key, user: user) {
                try await ReportStore.insertTemplate(db, template)
                var changes = [FieldChange("version", old: current.map { String($0.version) }, new: String(template.version))]
                if current?.deadline != deadline { changes.append(FieldChange("deadline", old: current?.deadline.label(vietnamese: true), new: deadline.label(vietnamese: true))) }
                let oldSpec = current.map { ReportFieldSpec.format($0.fields) }, newSpec = ReportFieldSpec.format(parsed)
                if oldSpec != newSpec { changes.append(FieldChange("fields", old: oldSpec, new: newSpec)) }
                if current?.active != template.active { changes.append(FieldChange("active", old: current.map { String($0.active) }, new: String(template.active))) }
                try await Audit.record(db, actor: user, action: isNew ? "create" : "update", entityType: "report_template", entityId: code, unitPath: nil,
                                       summary: "Mẫu báo cáo \(template.titleVI), phiên bản \(template.version)", changes: changes)
                return code
            }
            guard let saved = try await ReportStore.template(db, code: outcome.outcome) else { throw AppError.notFound }
            return saved
        }
    }

    static func input(_ form: FormData, code: String? = nil) -> TemplateInput {
        TemplateInput(code: code ?? form["code"] ?? "", titleVI: form["title_vi"] ?? "", titleEN: form["title_en"] ?? "", frequency: form["frequency"] ?? "",
                      weekday: form["weekday"] ?? "1", time: form["time"] ?? "", nextDay: form["next_day"] == "1", level: form["level"] ?? "",
                      fieldsSpec: form["fields"] ?? "", active: form["active"] == "1")
    }

    static func input(_ t: ReportTemplate) -> TemplateInput {
        TemplateInput(code: t.code, titleVI: t.titleVI, titleEN: t.titleEN, frequency: t.frequency.rawValue, weekday: String(t.deadline.weekday ?? 1),
                      time: t.deadline.clock, nextDay: t.deadline.nextDay, level: t.level.rawValue, fieldsSpec: ReportFieldSpec.format(t.fields), active: t.active)
    }

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let v = context.language == .vi
        let templates = try await database.read { try await ReportStore.templates($0, includeInactive: true) }
        return services.views.page("reports/templates", title: context.t("Mẫu báo cáo", "Report templates"), context: context, data: [
            "rows": templates.map { t in
                ["code": t.code, "title": t.title(v), "version": t.version, "deadline": t.deadline.label(vietnamese: v), "active": t.active, "fields": t.fields.count,
                 "level": context.label("submitter_level", t.level.rawValue), "frequency": context.label("report_frequency", t.frequency.rawValue),
                 "prefilled": t.fields.filter { $0.metric != nil }.count] as [String: Any]
            },
            "canManage": context.user.can(.manageReportTemplates),
        ], active: "reports")
    }

    private func form(_ input: TemplateInput, isNew: Bool, context: AuthedContext, error: AppError? = nil, versions: [ReportTemplate] = []) -> Response {
        let weekdays = (1...7).map { d -> [String: Any] in
            ["value": d, "label": context.label("report_weekday", String(d)),
             "selected": String(d) == input.weekday]
        }
        // The template's name in the reader's language; a template without an English name keeps its Vietnamese one.
        let name = context.language == .en && !input.titleEN.isEmpty ? input.titleEN : input.titleVI
        return services.views.page("reports/template-form", title: isNew ? context.t("Mẫu báo cáo mới", "New report template") : name, context: context, data: [
            "heading": name,
            "v": ["code": input.code, "title_vi": input.titleVI, "title_en": input.titleEN, "time": input.time, "fields": input.fieldsSpec],
            "daily": input.frequency != "weekly", "weekly": input.frequency == "weekly", "nextDay": input.nextDay, "wardLevel": input.level != "district",
            "districtLevel": input.level == "district", "active": input.active, "weekdays": weekdays, "isNew": isNew,
            "action": isNew ? "/report-templates" : "/report-templates/\(input.code)", "error": error.map { $0.message(context.language) } as Any,
            "errors": error?.details ?? [:], "metrics": Metric.allCases.map { ["key": $0.rawValue, "label": context.label("metric", $0.rawValue)] },
            "versions": versions.map { ["version": $0.version, "at": ReportFormat.time($0.createdAt), "by": Strings.actor($0.createdBy, context.language), "fields": $0.fields.count] },
            "key": Idempotency.newKey(),
        ], status: error?.status ?? .ok, active: "reports")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageReportTemplates)
        return form(TemplateInput(code: "", titleVI: "", titleEN: "", frequency: "daily", weekday: "1", time: "17:00", nextDay: false, level: "ward",
                                  fieldsSpec: "f0_new; number; Số ca F0 mới; New F0 cases; required min=0 metric=cases_new", active: true), isNew: true, context: context)
    }

    @Sendable func editForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageReportTemplates)
        let code = try context.parameters.require("code")
        let versions = try await database.read { try await ReportStore.versions($0, code: code) }
        guard let current = versions.first else { throw AppError.notFound }
        return form(Self.input(current), isNew: false, context: context, versions: versions)
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = Self.input(context.form ?? FormData())
        do {
            let t = try await save(input, user: context.user, isNew: true, key: Idempotency.key(request, context))
            return Views.redirect("/report-templates/\(t.code)")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return form(input, isNew: true, context: context, error: error)
        }
    }

    @Sendable func updatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let code = try context.parameters.require("code")
        let input = Self.input(context.form ?? FormData(), code: code)
        do {
            let t = try await save(input, user: context.user, isNew: false, key: Idempotency.key(request, context))
            return Views.redirect("/report-templates/\(t.code)")
        } catch let error as AppError where error.status == .unprocessableContent {
            let versions = try await database.read { try await ReportStore.versions($0, code: code) }
            return form(input, isNew: false, context: context, error: error, versions: versions)
        }
    }

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let templates = try await database.read { try await ReportStore.templates($0, includeInactive: true) }
        struct Body: Encodable { let data: [ReportTemplate] }
        return try JSON.response(Body(data: templates))
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.viewReports)
        let code = try context.parameters.require("code")
        let versions = try await database.read { try await ReportStore.versions($0, code: code) }
        guard let current = versions.first else { throw AppError.notFound }
        struct Body: Encodable { let data: ReportTemplate; let versions: [ReportTemplate] }
        return try JSON.response(Body(data: current, versions: versions))
    }

    /// Creates a template, or a new version when the code exists (`"new": false`).
    @Sendable func apiSave(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable {
            let code: String; let titleVi: String; let titleEn: String?; let frequency: String; let weekday: Int?; let time: String; let nextDay: Bool?
            let level: String; let fieldsSpec: String; let active: Bool?
        }
        let b = try await APIBody.decode(Input.self, request, context: context)
        let exists = try await database.read { try await ReportStore.template($0, code: b.code.lowercased()) } != nil
        let t = try await save(TemplateInput(code: b.code, titleVI: b.titleVi, titleEN: b.titleEn ?? "", frequency: b.frequency, weekday: String(b.weekday ?? 1), time: b.time,
                                             nextDay: b.nextDay ?? false, level: b.level, fieldsSpec: b.fieldsSpec, active: b.active ?? true),
                               user: context.user, isNew: !exists, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: ReportTemplate }
        return try JSON.response(Body(data: t), status: .created)
    }
}
