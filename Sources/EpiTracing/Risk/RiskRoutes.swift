import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Weekly risk levels (pages and API) and the city's rule settings page.
package struct RiskRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var risk: RiskService { RiskService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("risk", .can(.viewRisk), use: page)
        pages.post("risk/compute", .can(.assessRisk), use: computePage)
        pages.post("risk/indicators", .can(.assessRisk), use: indicatorPage)
        pages.get("risk/history/:slug", .can(.viewRisk), use: historyPage)
        pages.get("rules", .can(.manageRules), use: rulesPage)
        pages.post("rules/policies", .can(.manageRules), use: policyPage)
        pages.post("rules/quarantine", .can(.manageRules), use: quarantineRulePage)
        pages.post("rules/risk", .can(.manageRules), use: riskRulePage)
        pages.post("rules/recompute-levels", .can(.manageRules), use: recomputePage)
        api.post("rules/recompute-levels", .can(.manageRules), use: apiRecompute)
        api.get("jobs", .can(.manageRules), use: apiJobs)

        api.get("risk", .can(.viewRisk), use: apiLevels)
        api.post("risk/compute", .can(.assessRisk), use: apiCompute)
        api.post("risk/indicators", .can(.assessRisk), use: apiIndicator)
        api.get("risk/history/:slug", .can(.viewRisk), use: apiHistory)
        api.get("rules", .anyOf([.manageRules, .viewRisk]), use: apiRules)
        api.post("rules/policies", .can(.manageRules), use: apiPolicy)
        api.post("rules/quarantine", .can(.manageRules), use: apiQuarantineRule)
        api.post("rules/risk", .can(.manageRules), use: apiRiskRule)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope {
        try context.require(.viewRisk)
        return try await Scope.of(context.user, directory: services.directory)
    }

    /// The week asked for, else the latest assessed week in scope, else this week.
    private func week(_ request: Request, scope: Scope) async throws -> String {
        if let w = request.query("week") {
            guard CivilDate(isoWeekKey: w) != nil else { throw Self.invalidWeek(w) }
            return w
        }
        let latest = try await database.read { try await $0.raw("SELECT MAX(week) AS w FROM risk_assessments WHERE \(scope.wholeWard.condition())").first() }
        if let w = try latest?.decodeNil(column: "w") == false ? latest?.decode(column: "w", as: String.self) : nil { return w }
        return Clock.today().isoWeekKey
    }

    static func invalidWeek(_ raw: String) -> AppError {
        AppError.invalid("Tuần '\(raw.prefix(40))' không hợp lệ (dạng 2021-W37, năm 1900–2100).", "Week '\(raw.prefix(40))' is invalid (form 2021-W37, years 1900–2100).",
                         details: ["week": "invalid"])
    }

    @Sendable func page(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let week = try await week(request, scope: scope)
        // Which unit's children to show: ?unit=01.007, else the user's own unit.
        var focus = context.user.unitPath
        if let slug = request.query("unit") {
            // A unit outside the user's jurisdiction is 404, as everywhere else, not silently their own.
            guard let p = try? UnitPath(slug: slug), context.user.covers(p) else { throw AppError.notFound }
            focus = p
        }
        let directory = services.directory
        let focusUnit = try await directory.unit(focus.string)
        let rows = try await database.read { try await RiskService.assessments($0, week: week, scope: scope) }
        let byPath = Dictionary(uniqueKeysWithValues: rows.map { ($0.unitPath, $0) })
        let sets = try await database.read { try await RiskService.ruleSets($0) }
        guard let monday = CivilDate(isoWeekKey: week) else { throw Self.invalidWeek(week) }
        let inForce = sets.first { $0.effectiveFrom <= monday.adding(days: 6) }
        func view(_ unit: UnitRecord) async -> [String: Any] {
            let a = byPath[unit.path]
            let def = a.flatMap { r in sets.first { $0.id == r.ruleSetId }?.rules.level(r.level ?? -1) }
            let children = await directory.children(of: unit.path).filter { !$0.isGroup }
            var distribution: [String] = []
            if !children.isEmpty {
                let levels = children.compactMap { byPath[$0.path]?.level }
                distribution = Dictionary(grouping: levels, by: { $0 }).sorted { $0.key < $1.key }.map { "\(context.t("cấp", "level")) \($0.key): \($0.value.count)" }
            }
            return ["path": unit.path, "slug": (try? UnitPath(unit.path))?.slug ?? "", "name": unit.name, "level": a?.level.map(String.init) ?? "–",
                    "assessed": a?.level != nil, "color": def?.color ?? "#cfd8dc", "label": def.map { RiskView.level($0, context.language) } ?? context.t("Chưa đánh giá", "Not assessed"),
                    "cases": NumberFormat.localized(a?.communityCases ?? 0, language: context.language), "rate": RiskView.rate(a?.rate, context.language),
                    "decided": a.map { RiskView.decided($0, context.language) } ?? "", "hasChildren": !children.isEmpty,
                    "distribution": distribution.joined(separator: " · ")]
        }
        var children: [[String: Any]] = []
        for child in await directory.children(of: focus.string) where !child.isGroup { children.append(await view(child)) }
        var own: [String: Any] = [:]
        if let focusUnit { own = await view(focusUnit) }
        let canAssess = context.user.can(.assessRisk)
        var indicatorUnits: [[String: Any]] = []
        if canAssess {
            indicatorUnits = [["path": focus.string, "name": focusUnit?.name ?? focus.string]] + children.map { ["path": $0["path"] ?? "", "name": $0["name"] ?? ""] }
        }
        return services.views.page("risk/index", title: context.t("Cấp độ dịch", "Risk levels"), context: context, data: [
            // Addresses keep the ISO week key; people read "Tuần 37/2021".
            "week": week, "weekLabel": NumberFormat.week(monday, language: context.language),
            "prevWeek": monday.adding(days: -7).isoWeekKey, "prevWeekLabel": NumberFormat.week(monday.adding(days: -7), language: context.language),
            "nextWeek": monday.adding(days: 7).isoWeekKey, "nextWeekLabel": NumberFormat.week(monday.adding(days: 7), language: context.language),
            "weekRange": "\(monday.vietnamese) – \(monday.adding(days: 6).vietnamese)", "own": own, "children": children, "hasChildren": !children.isEmpty,
            "focusSlug": focus.slug, "scheme": inForce.map { RiskView.scheme($0.rules, context.language) } ?? "", "canAssess": canAssess,
            "legend": (inForce?.rules.levels ?? []).map { ["color": $0.color, "label": RiskView.level($0, context.language)] },
            "indicators": CaseView.options("indicator", Indicator.self, selected: nil, context.language),
            "indicatorUnits": indicatorUnits, "today": Clock.today().vietnamese, "computed": request.query("computed") as Any,
        ], active: "risk")
    }

    @Sendable func computePage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let f = context.form ?? FormData()
        let week = f.value("week") ?? Clock.today().isoWeekKey
        let root = try f.value("unit").map { try UnitPath(slug: $0) } ?? context.user.unitPath
        guard context.user.covers(root) else { throw AppError.notFound }
        let computed = try await risk.compute(week: week, root: root, user: context.user)
        return Views.redirect("/risk?week=\(week)&unit=\(root.slug)&computed=\(computed.rows.count)")
    }

    @Sendable func indicatorPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let f = context.form ?? FormData()
        try await setIndicator(unit: f.value("unit"), indicator: f.value("indicator"), asOf: f.value("as_of"), value: f.value("value"), reason: f.value("reason"), context: context)
        return Views.redirect("/risk?unit=\((try? UnitPath(f.value("unit") ?? ""))?.slug ?? context.user.unitPath.slug)")
    }

    func setIndicator(unit: String?, indicator: String?, asOf: String?, value: String?, reason: String?, context: AuthedContext) async throws {
        try context.require(.assessRisk)
        guard let unit, let path = try? UnitPath(unit.replacingOccurrences(of: ".", with: "/")), context.user.covers(path), try await services.directory.unit(path.string) != nil else {
            throw AppError.notFound
        }
        guard let indicator = indicator.flatMap(Indicator.init(rawValue:)) else { throw AppError.invalid("Chỉ số không hợp lệ.", "Unknown indicator.", details: ["indicator": "invalid"]) }
        guard let v = value.flatMap({ Double($0.replacingOccurrences(of: ",", with: ".")) }) else {
            throw AppError.invalid("Giá trị phải là số.", "The value must be a number.", details: ["value": "invalid"])
        }
        let day = try DateInput.orToday(asOf, field: "as_of")
        try await database.transaction { try await RiskService.setIndicator($0, unit: path.string, indicator, asOf: day, value: v, reason: reason, user: context.user) }
    }

    @Sendable func historyPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        guard let path = try? UnitPath(slug: try context.parameters.require("slug")), context.user.covers(path) || path.contains(context.user.unitPath),
              let unit = try await services.directory.unit(path.string) else { throw AppError.notFound }
        let (rows, sets) = try await database.read { (try await RiskService.history($0, unit: path.string), try await RiskService.ruleSets($0)) }
        return services.views.page("risk/history", title: unit.name, context: context, data: [
            "name": await services.directory.label(path.string).isEmpty ? unit.name : await services.directory.label(path.string),
            "rows": rows.map { r in
                let def = sets.first { $0.id == r.ruleSetId }?.rules.level(r.level ?? -1)
                return ["week": NumberFormat.week(key: r.week, language: context.language), "level": r.level.map(String.init) ?? "–", "color": def?.color ?? "#cfd8dc",
                        "label": def.map { RiskView.level($0, context.language) } ?? "", "cases": NumberFormat.localized(r.communityCases, language: context.language),
                        "rate": RiskView.rate(r.rate, context.language), "decided": RiskView.decided(r, context.language),
                        "scheme": sets.first { $0.id == r.ruleSetId }.map { RiskView.scheme($0.rules, context.language) } ?? r.scheme,
                        "computed": DisplayTime.format(r.computedAt), "by": Strings.actor(r.computedBy, context.language)]
            },
        ], active: "risk")
    }

    // MARK: rules

    @Sendable func rulesPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageRules)
        let l = context.language
        let (policies, qRules, sets, jobs) = try await database.read {
            (try await Policies.history($0), try await QuarantineService.rules($0), try await RiskService.ruleSets($0), try await services.jobs.recent($0, limit: 5))
        }
        let today = Clock.today()
        var current: [[String: Any]] = []
        for key in PolicyKey.allCases {
            let value = try await database.read { try await Policies.value($0, key, on: today) }
            current.append(["key": key.rawValue, "label": context.label("policy_key", key.rawValue), "value": value, "source": context.label("policy_source", key.rawValue),
                            "range": "\(key.range.lowerBound)–\(key.range.upperBound)",
                            "versions": policies.filter { $0.key == key.rawValue }.map { ["from": CaseView.date($0.effectiveFrom), "value": $0.value, "note": $0.note, "by": Strings.actor($0.setBy, context.language)] }])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return services.views.page("risk/rules", title: context.t("Quy định", "Rules"), context: context, data: [
            "policies": current, "policyKeys": CaseView.options("policy_key", PolicyKey.self, selected: nil, l),
            "quarantine": qRules.reversed().map { ["from": $0.effectiveFrom.vietnamese, "subject": context.label("q_subject", $0.subject.rawValue),
                                                   "setting": context.label("care_setting", $0.setting.rawValue), "days": $0.days, "monitoring": $0.monitoringDays,
                                                   "tests": $0.testDays.map(String.init).joined(separator: ", "), "source": RiskView.source($0, l)] },
            "subjects": CaseView.options("q_subject", QuarantineSubject.self, selected: "f1", l),
            "settings": CaseView.options("care_setting", CareSetting.self, selected: "home", l),
            "riskSets": sets.map { s in ["from": s.effectiveFrom.vietnamese, "name": RiskView.scheme(s.rules, l), "scheme": s.rules.scheme,
                                         // A seeded set's note repeats its Vietnamese name; only a note of its own is worth showing.
                                         "note": s.note == s.rules.nameVI ? "" : s.note, "by": Strings.actor(s.createdBy, l),
                                         "bands": s.rules.bands.map { ["min": RiskAssessmentFormat.rate($0.minRate), "met": $0.levelIfCoverageMet, "notMet": $0.levelIfCoverageNotMet] },
                                         "zeroMet": s.rules.zeroCasesLevelIfCoverageMet, "zeroNotMet": s.rules.zeroCasesLevelIfCoverageNotMet,
                                         "aggregation": context.label("risk_aggregation", s.rules.aggregation.rawValue), "capacityRaises": s.rules.capacityFailRaises] },
            "currentRiskJSON": sets.first.map { String(decoding: (try? encoder.encode($0.rules)) ?? Data(), as: UTF8.self) } ?? "",
            "today": today.vietnamese,
            "jobs": jobs.map { j in ["kind": context.label("job_kind", j.kind),
                                     "status": context.label("job_status", j.status), "running": j.status == "running" || j.status == "queued", "percent": j.percent,
                                     "progress": "\(NumberFormat.localized(j.done, language: l))/\(NumberFormat.localized(j.total, language: l))",
                                     "changes": j.status == "done" ? j.message : "",
                                     "by": Strings.actor(j.createdBy, context.language), "at": DisplayTime.format(j.createdAt), "finished": j.finishedAt.map(DisplayTime.format) ?? ""] },
            "jobsRunning": jobs.contains { $0.status == "running" || $0.status == "queued" },
        ], active: "rules")
    }

    @Sendable func policyPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        try await setPolicy(key: f.value("key"), value: f.value("value"), from: f.value("effective_from"), note: f.value("note"), context: context)
        return Views.redirect("/rules")
    }

    func setPolicy(key: String?, value: String?, from: String?, note: String?, context: AuthedContext) async throws {
        try context.require(.manageRules)
        guard let key = key.flatMap(PolicyKey.init(rawValue:)) else { throw AppError.invalid("Quy định không hợp lệ.", "Unknown setting.", details: ["key": "invalid"]) }
        guard let v = value.flatMap(Int.init) else { throw AppError.invalid("Giá trị phải là số nguyên.", "The value must be a whole number.", details: ["value": "invalid"]) }
        let day = try DateInput.orToday(from, field: "effective_from")
        try await database.transaction { db in
            try await Policies.set(db, key, value: v, from: day, note: note ?? "", user: context.user)
        }
        // A setting that can move a level is applied to the whole city by a background job (progress on /rules).
        if key.movesContactLevels {
            try await services.jobs.enqueue(ContactLevelJob.kind, by: context.user, reason: "Quy định \(key.rawValue) thay đổi")
        }
    }

    @Sendable func quarantineRulePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        try await addQuarantineRule(from: f.value("effective_from"), subject: f.value("subject"), setting: f.value("setting"), days: f.value("days"),
                                    monitoring: f.value("monitoring_days"), tests: f.value("test_days"), source: f.value("source"), context: context)
        return Views.redirect("/rules#quarantine")
    }

    func addQuarantineRule(from: String?, subject: String?, setting: String?, days: String?, monitoring: String?, tests: String?, source: String?, context: AuthedContext) async throws {
        try context.require(.manageRules)
        var errors: [String: String] = [:]
        let day = from.flatMap { try? CivilDate(parsing: $0) }
        if day == nil { errors["effective_from"] = "invalid" }
        let s = subject.flatMap(QuarantineSubject.init(rawValue:)), c = setting.flatMap(CareSetting.init(rawValue:))
        if s == nil { errors["subject"] = "invalid" }
        if c == nil { errors["setting"] = "invalid" }
        let d = days.flatMap(Int.init), m = monitoring.flatMap(Int.init) ?? 0
        if d == nil { errors["days"] = "invalid" }
        let t = QuarantineRule.parseTestDays(tests ?? "")
        if t == nil { errors["test_days"] = "invalid" }
        guard errors.isEmpty, let day, let s, let c, let d, let t else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors)
        }
        let rule = QuarantineRule(id: Identifier.make(), effectiveFrom: day, subject: s, setting: c, days: d, monitoringDays: m, testDays: t, source: (source ?? "").trimmed)
        try await database.transaction { try await QuarantineService.addRule($0, rule, user: context.user) }
        // How long an unplaced contact is followed can come from the F1 rules.
        if s == .f1 { try await services.jobs.enqueue(ContactLevelJob.kind, by: context.user, reason: "Quy định cách ly mới") }
    }

    @Sendable func riskRulePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        try await addRiskRules(json: f["definition"] ?? "", from: f.value("effective_from"), note: f.value("note"), context: context)
        return Views.redirect("/rules#risk")
    }

    func addRiskRules(json: String, from: String?, note: String?, context: AuthedContext) async throws {
        try context.require(.manageRules)
        let rules: RiskRuleSet
        do { rules = try JSONDecoder().decode(RiskRuleSet.self, from: Data(json.utf8)) } catch {
            throw AppError.invalid("Bảng tiêu chí không đúng định dạng: \(error)", "The criteria table is malformed: \(error)", details: ["definition": "invalid"])
        }
        guard let day = from.flatMap({ try? CivilDate(parsing: $0) }) else {
            throw AppError.invalid("Ngày hiệu lực không hợp lệ.", "Invalid effective date.", details: ["effective_from": "invalid"])
        }
        _ = try await database.transaction { try await RiskService.addRuleSet($0, rules, from: day, note: note ?? "", user: context.user) }
    }

    @Sendable func recomputePage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageRules)
        try await services.jobs.enqueue(ContactLevelJob.kind, by: context.user, reason: "Yêu cầu tính lại")
        return Views.redirect("/rules#jobs")
    }

    @Sendable func apiRecompute(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageRules)
        let id = try await services.jobs.enqueue(ContactLevelJob.kind, by: context.user, reason: "Yêu cầu tính lại")
        return try JSON.response(["data": ["job_id": id]], status: .accepted)
    }

    @Sendable func apiJobs(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.manageRules)
        return try JSON.response(["data": try await database.read { try await services.jobs.recent($0, limit: 20) }])
    }

    // MARK: API

    @Sendable func apiLevels(_ request: Request, context: AuthedContext) async throws -> Response {
        var narrowed = try await scope(context)
        // `?unit=01.007` narrows to one unit below the user's; outside their jurisdiction it is 404.
        if let slug = request.query("unit") {
            guard let path = try? UnitPath(slug: slug) else { throw AppError.notFound }
            narrowed = try await Scope.focus(path, for: context.user, directory: services.directory)
        }
        let scope = narrowed
        let week = try await week(request, scope: scope)
        let rows = try await database.read { try await RiskService.assessments($0, week: week, scope: scope) }
        struct Body: Encodable { let week: String; let data: [RiskAssessmentRow] }
        return try JSON.response(Body(week: week, data: rows))
    }

    @Sendable func apiCompute(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        struct In: Decodable { let week: String; let unit: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        let root = try body.unit.map { try UnitPath($0.replacingOccurrences(of: ".", with: "/")) } ?? context.user.unitPath
        guard context.user.covers(root) else { throw AppError.notFound }
        let computed = try await risk.compute(week: body.week, root: root, user: context.user)
        struct Body: Encodable { let week: String; let data: [RiskAssessmentRow] }
        return try JSON.response(Body(week: computed.week, data: computed.rows))
    }

    @Sendable func apiIndicator(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        struct In: Decodable { let unit: String; let indicator: String; let asOf: String?; let value: Double; let reason: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        try await setIndicator(unit: body.unit, indicator: body.indicator, asOf: body.asOf, value: String(body.value), reason: body.reason, context: context)
        return try JSON.response(["status": "saved"])
    }

    @Sendable func apiHistory(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        guard let path = try? UnitPath(slug: try context.parameters.require("slug")), context.user.covers(path) || path.contains(context.user.unitPath) else { throw AppError.notFound }
        let rows = try await database.read { try await RiskService.history($0, unit: path.string) }
        struct Body: Encodable { let data: [RiskAssessmentRow] }
        return try JSON.response(Body(data: rows))
    }

    @Sendable func apiRules(_ request: Request, context: AuthedContext) async throws -> Response {
        guard context.user.can(.manageRules) || context.user.can(.viewRisk) else { throw AppError.forbidden }
        let (policies, q, sets) = try await database.read { (try await Policies.history($0), try await QuarantineService.rules($0), try await RiskService.ruleSets($0)) }
        struct RiskSet: Encodable { let id: String; let effectiveFrom: String; let rules: RiskRuleSet }
        struct Body: Encodable { let policies: [Policies.Version]; let quarantine: [QuarantineRule]; let risk: [RiskSet] }
        return try JSON.response(Body(policies: policies, quarantine: q, risk: sets.map { RiskSet(id: $0.id, effectiveFrom: $0.effectiveFrom.iso, rules: $0.rules) }))
    }

    @Sendable func apiPolicy(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let key: String; let value: Int; let effectiveFrom: String?; let note: String? }
        let body = try await APIBody.decode(In.self, request, context: context)
        try await setPolicy(key: body.key, value: String(body.value), from: body.effectiveFrom, note: body.note, context: context)
        return try JSON.response(["status": "saved"], status: .created)
    }

    @Sendable func apiQuarantineRule(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let effectiveFrom: String; let subject: String; let setting: String; let days: Int; let monitoringDays: Int?; let testDays: [Int]; let source: String? }
        let b = try await APIBody.decode(In.self, request, context: context)
        try await addQuarantineRule(from: b.effectiveFrom, subject: b.subject, setting: b.setting, days: String(b.days), monitoring: String(b.monitoringDays ?? 0),
                                    tests: b.testDays.map(String.init).joined(separator: ","), source: b.source, context: context)
        return try JSON.response(["status": "saved"], status: .created)
    }

    @Sendable func apiRiskRule(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let effectiveFrom: String; let note: String?; let rules: RiskRuleSet }
        let b = try await APIBody.decode(In.self, request, context: context)
        let json = String(decoding: try JSONEncoder().encode(b.rules), as: UTF8.self)
        try await addRiskRules(json: json, from: b.effectiveFrom, note: b.note, context: context)
        return try JSON.response(["status": "saved"], status: .created)
    }
}

enum RiskAssessmentFormat {
    static func rate(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

/// How a week's assessment reads on a page. Rule sets are data carrying both languages; these pick the reader's.
enum RiskView {
    static func level(_ level: RiskRuleSet.Level, _ l: Language) -> String { l == .vi ? level.labelVI : level.labelEN }

    /// The rule set's name: the label of a known scheme, else the name it was saved with.
    static func scheme(_ rules: RiskRuleSet, _ l: Language) -> String {
        Strings.hasLabel("risk_scheme", rules.scheme) ? Strings.label("risk_scheme", rules.scheme, l) : rules.nameVI
    }

    static func decided(_ row: RiskAssessmentRow, _ l: Language) -> String { l == .vi ? row.decidedVi : row.decidedEn }

    /// A quarantine rule's citation: the seeded one in the reader's language while it is unedited, else as written.
    static func source(_ rule: QuarantineRule, _ l: Language) -> String {
        guard let seeded = QuarantinePolicy.seed.first(where: { $0.id == rule.id }), seeded.source == rule.source else { return rule.source }
        return Strings.label("q_rule_source", rule.id, l)
    }

    /// Cases per 100,000 with one decimal in the reader's notation ("0,9" / "0.9").
    static func rate(_ x: Double?, _ l: Language) -> String { x.map { NumberFormat.decimal($0, digits: 1, language: l) } ?? "–" }
}
