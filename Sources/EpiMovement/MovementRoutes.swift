import EpiCore
import EpiPlatform
import EpiSigning
import Foundation
import Hummingbird
import SQLKit

/// `/movement`: businesses and their plans, staff lists and permits, the checkpoint page, the daily
/// counts; as pages and `/api/v1/movement/…`.
package struct MovementRoutes: Sendable {
    let services: AppServices
    let checkShared: CheckShared

    package init(services: AppServices) {
        self.services = services
        self.checkShared = CheckShared(database: services.database)
    }

    var database: Database { services.database }
    var service: MovementService { MovementService(services: services) }
    var checks: CheckService { CheckService(services: services, shared: checkShared) }

    static let seeBusinesses: Access = .anyOf([.viewMovement, .submitBusinessPlans, .requestPermits])
    static let seePermits: Access = .anyOf([.viewMovement, .requestPermits, .issuePermits])

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("movement", .can(.viewMovement), use: overview)
        pages.get("movement/businesses", Self.seeBusinesses, use: businessList)
        pages.post("movement/businesses", .can(.reviewBusinessPlans), use: createBusinessPage)
        pages.get("movement/businesses/:id", Self.seeBusinesses, use: businessPage)
        pages.post("movement/businesses/:id/account", .can(.reviewBusinessPlans), use: accountPage)
        pages.post("movement/businesses/:id/plan", .can(.submitBusinessPlans), use: planPage)
        pages.post("movement/businesses/:id/staff", .can(.requestPermits), body: .upload, use: staffPage)
        pages.post("movement/businesses/:id/permits", .can(.requestPermits), use: requestPage)
        pages.post("movement/plans/:id/review", .can(.reviewBusinessPlans), use: reviewPage)
        pages.get("movement/permits", Self.seePermits, use: permitList)
        pages.post("movement/permits", .can(.issuePermits), use: individualPage)
        pages.post("movement/permits/approve", .can(.issuePermits), use: approvePage)
        pages.get("movement/permits/:id", Self.seePermits, use: permitPage)
        pages.post("movement/permits/:id/revoke", .can(.issuePermits), use: revokePage)
        pages.get("movement/check", .can(.checkPermits), use: checkPage)
        pages.post("movement/check", .can(.checkPermits), use: checkSubmit)

        pages.get("movement/violations", .anyOf([.viewMovement, .recordViolations]), use: violationList)
        pages.post("movement/violations", .can(.recordViolations), use: violationCreatePage)
        pages.post("movement/violations/:id/status", .can(.recordViolations), use: violationStatusPage)
        api.get("movement/violations", .anyOf([.viewMovement, .recordViolations]), use: apiViolations)
        api.post("movement/violations", .can(.recordViolations), use: apiRecordViolation)
        api.post("movement/violations/:id/status", .can(.recordViolations), use: apiViolationStatus)
        pages.get("movement/inspections", .anyOf([.viewMovement, .manageInspections]), use: inspectionList)
        pages.post("movement/inspections", .can(.manageInspections), use: inspectionCreatePage)
        pages.post("movement/inspections/findings/:id/fix", .can(.manageInspections), use: fixPage)
        api.get("movement/inspections", .anyOf([.viewMovement, .manageInspections]), use: apiInspections)
        api.post("movement/inspections", .can(.manageInspections), use: apiRecordInspection)
        api.post("movement/inspections/findings/:id/fix", .can(.manageInspections), use: apiFix)
        api.get("movement/counts", .can(.viewMovement), use: apiCounts)
        api.get("movement/businesses", Self.seeBusinesses, use: apiBusinesses)
        api.post("movement/businesses", .can(.reviewBusinessPlans), use: apiCreateBusiness)
        api.get("movement/businesses/:id", Self.seeBusinesses, use: apiBusiness)
        api.post("movement/businesses/:id/plan", .can(.submitBusinessPlans), use: apiPlan)
        api.post("movement/businesses/:id/staff", .can(.requestPermits), body: .upload, use: apiStaff)
        api.post("movement/businesses/:id/permits", .can(.requestPermits), use: apiRequest)
        api.post("movement/plans/:id/review", .can(.reviewBusinessPlans), use: apiReview)
        api.get("movement/permits", Self.seePermits, use: apiPermits)
        api.post("movement/permits", .can(.issuePermits), use: apiIndividual)
        api.post("movement/permits/approve", .can(.issuePermits), use: apiApprove)
        api.get("movement/permits/:id", Self.seePermits, use: apiPermit)
        api.post("movement/permits/:id/revoke", .can(.issuePermits), use: apiRevoke)
        api.post("movement/checks", .can(.checkPermits), use: apiCheck)
        api.post("movement/checks/batch", .can(.checkPermits), use: apiBatch)
        api.get("movement/revocations", .can(.checkPermits), use: apiRevocations)
    }

    private func viewer(_ context: AuthedContext) async throws -> MovementViewer { try await MovementViewer.of(context.user, services: services) }

    private func label(_ prefix: String, _ code: String, _ context: AuthedContext) -> String { Strings.label(prefix, code, context.language) }

    private func day(_ raw: String?) -> CivilDate {
        raw.nonBlank.flatMap { try? CivilDate(parsing: $0) } ?? Clock.today()
    }

    private func fieldErrors(_ error: AppError?) -> [String: String] { error?.details ?? [:] }

    // MARK: overview and counts

    @Sendable func overview(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let scope = focus.scope.wholeWard
        let day = day(request.formQuery.value("day"))
        let (violationsToday, flaggedToday) = try await database.read { db in
            (try await db.raw("SELECT COUNT(*) AS n FROM violations WHERE occurred_on = \(bind: day.iso) AND \(scope.condition())").first()?.decode(column: "n", as: Int.self) ?? 0,
             try await db.raw("SELECT COUNT(*) AS n FROM health_declarations WHERE flagged AND declared_at >= \(bind: Timestamp.string(VietnamTime.instant(day))) AND declared_at < \(bind: Timestamp.string(VietnamTime.instant(day.adding(days: 1)))) AND \(scope.condition())").first()?.decode(column: "n", as: Int.self) ?? 0)
        }
        let (counts, pending, requested, checksToday) = try await database.read { db in
            (try await checks.dailyCounts(db, scope: scope, day: day),
             try await service.plans(db, status: .submitted, viewer: viewer, limit: 50),
             try await db.raw("SELECT COUNT(*) AS n FROM permits WHERE status = 'requested' AND \(scope.condition())").first()?.decode(column: "n", as: Int.self) ?? 0,
             try await db.raw("SELECT COUNT(*) AS n FROM checkpoint_checks WHERE checked_on = \(bind: day.iso) AND \(scope.condition())").first()?.decode(column: "n", as: Int.self) ?? 0)
        }
        let total = DailyOutCount.rollUp(counts, into: scope.root.string)
        // Permits and vouchers usable on the day, from the same counters: counting the permits table
        // itself took seconds for the city (2,000,000 rows, none of them excluded by an index).
        let usable = total[.work] + total[.market]
        var rows: [[String: Any]] = []
        for c in counts.sorted(by: { $0.total > $1.total }) {
            rows.append(["name": await services.directory.cached(c.unitPath)?.name ?? c.unitPath, "work": NumberFormat.grouped(c[.work]), "market": NumberFormat.grouped(c[.market]),
                         "other": NumberFormat.grouped(c[.other]), "total": NumberFormat.grouped(c.total)])
        }
        var plans: [[String: Any]] = []
        for p in pending {
            let name = try await database.read { try await $0.raw("SELECT name FROM businesses WHERE id = \(bind: p.businessId)").first()?.decode(column: "name", as: String.self) } ?? ""
            plans.append(["business": name, "businessId": p.businessId, "model": label("plan.model", p.model, context), "submitted": p.submittedAt.map(DisplayTime.format) ?? ""])
        }
        return services.views.page("movement/overview", title: context.t("Kiểm soát đi lại", "Movement control"), context: context, data: [
            "scopeLabel": await services.directory.label(scope.root.string), "day": day.vietnamese, "dayISO": day.iso,
            "rows": rows, "hasRows": !rows.isEmpty,
            "total": ["work": NumberFormat.grouped(total[.work]), "market": NumberFormat.grouped(total[.market]), "other": NumberFormat.grouped(total[.other]), "total": NumberFormat.grouped(total.total)],
            "plans": plans, "hasPlans": !plans.isEmpty, "requested": NumberFormat.grouped(requested), "checksToday": NumberFormat.grouped(checksToday),
            "violationsToday": NumberFormat.grouped(violationsToday), "flaggedToday": NumberFormat.grouped(flaggedToday), "issuedValid": NumberFormat.grouped(usable),
            "plansPending": NumberFormat.grouped(pending.count),
        ], active: "movement")
    }

    @Sendable func apiCounts(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        _ = viewer
        let focus = try await UnitFocus.resolve(request.formQuery.value("unit"), context: context, directory: services.directory)
        let scope = focus.scope.wholeWard
        let day = day(request.formQuery.value("day"))
        let counts = try await database.read { try await checks.dailyCounts($0, scope: scope, day: day) }
        struct Row: Encodable { let unitPath: String; let work: Int; let market: Int; let other: Int; let total: Int }
        struct Body: Encodable { let day: String; let unitPath: String; let total: Row; let wards: [Row] }
        func row(_ c: DailyOutCount) -> Row { Row(unitPath: c.unitPath, work: c[.work], market: c[.market], other: c[.other], total: c.total) }
        return try JSON.response(Body(day: day.iso, unitPath: scope.root.string, total: row(DailyOutCount.rollUp(counts, into: scope.root.string)), wards: counts.map(row)))
    }

    // MARK: businesses

    @Sendable func businessList(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        if viewer.isBusiness, let id = viewer.businessID { return Views.redirect("/movement/businesses/\(id)") }
        return try await renderBusinesses(context: context, viewer: viewer, values: [:], error: nil)
    }

    private func renderBusinesses(context: AuthedContext, viewer: MovementViewer, values: [String: String], error: AppError?) async throws -> Response {
        let list = try await database.read { try await service.businesses($0, viewer: viewer) }
        var rows: [[String: Any]] = []
        for b in list {
            rows.append(["id": b.id, "name": b.name, "taxCode": b.taxCode, "kind": label("business.kind", b.kind, context), "sector": b.sector,
                         "ward": await services.directory.label(b.unitPath), "workforce": NumberFormat.grouped(b.workforce)])
        }
        var units: [[String: Any]] = []
        if context.user.can(.reviewBusinessPlans) {
            for u in await services.directory.all() where !u.isGroup {
                guard let p = try? UnitPath(u.path), context.user.covers(p), await services.directory.isLowestAdministrative(u.path) else { continue }
                units.append(["path": u.path, "name": await services.directory.label(u.path), "selected": values["unit"] == u.path])
            }
            units.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        }
        return services.views.page("movement/businesses", title: context.t("Doanh nghiệp, cơ quan", "Businesses and agencies"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "canCreate": context.user.can(.reviewBusinessPlans) && !viewer.isBusiness, "units": units,
            "notLinked": viewer.isBusiness && viewer.businessID == nil,
            "v": values, "formKey": Idempotency.newKey(), "error": error.map { $0.message(context.language) } as Any, "err": fieldErrors(error),
        ], status: error?.status ?? .ok, active: "movement")
    }

    static func businessInput(_ f: FormData) -> BusinessInput {
        BusinessInput(taxCode: f.value("tax_code"), name: f.value("name"), kind: f.value("kind"), sector: f.value("sector"), address: f.value("address"), unit: f.value("unit"),
                      workforce: f.value("workforce").flatMap { Int($0.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "")) })
    }

    @Sendable func createBusinessPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let viewer = try await viewer(context)
        do {
            let b = try await service.createBusiness(Self.businessInput(f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/movement/businesses/\(b.id)")
        } catch let error as AppError where [.unprocessableContent, .conflict, .notFound].contains(error.status) {
            return try await renderBusinesses(context: context, viewer: viewer, values: f.fields, error: error)
        }
    }

    private func businessOr404(_ context: AuthedContext, viewer: MovementViewer) async throws -> BusinessRecord {
        let id = try context.parameters.require("id")
        guard let b = try await database.read({ try await service.business($0, id: id, viewer: viewer) }) else { throw AppError.notFound }
        return b
    }

    @Sendable func businessPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderBusiness(context: context, values: [:], error: nil, notice: nil)
    }

    private func renderBusiness(context: AuthedContext, values: [String: String], error: AppError?, notice: [String: Any]?) async throws -> Response {
        let viewer = try await viewer(context)
        let b = try await businessOr404(context, viewer: viewer)
        let (plans, staff, permits, accounts) = try await database.read { db in
            (try await service.plans(db, businessID: b.id, viewer: viewer, limit: 20), try await service.staff(db, businessID: b.id, viewer: viewer, limit: 500),
             try await service.permits(db, viewer: viewer, businessID: b.id, limit: 500),
             try await db.raw("SELECT u.username FROM business_accounts a JOIN users u ON u.id = a.user_id WHERE a.business_id = \(bind: b.id) ORDER BY u.username").all()
                .map { try $0.decode(column: "username", as: String.self) })
        }
        let plan = plans.first
        let model = PlanModel(rawValue: values["model"] ?? plan?.model ?? "") ?? .threeOnSite
        let ticked = plan?.ticked ?? []
        let planEditable = context.user.can(.submitBusinessPlans) && (plan.map { PlanStatus(rawValue: $0.status)?.canMove(to: .submitted) ?? false } ?? true)
        let models: [[String: Any]] = PlanModel.allCases.map { m in
            ["code": m.rawValue, "label": label("plan.model", m.rawValue, context), "selected": m == model,
             "required": m.requiredItems.map { label("plan.item", $0.rawValue, context) }.joined(separator: "; ")]
        }
        let items: [[String: Any]] = PlanItem.allCases.map { i in
            ["code": i.rawValue, "label": label("plan.item", i.rawValue, context), "checked": ticked.contains(i), "required": model.requiredItems.contains(i)]
        }
        let status = plan.flatMap { PlanStatus(rawValue: $0.status) }
        let today = Clock.today()
        let requested = permits.filter { $0.status == PermitStatus.requested.rawValue }.count
        // A business sees its own staff; a view of staff names by a command user is a view of people.
        if !staff.isEmpty {
            try await Audit.viewed(database, user: context.user, people: staff.compactMap { s in s.personId.map { ($0, s.unitPath) } }, summary: "Danh sách lao động của \(b.name)")
        }
        let names = await wardNames(permits.map(\.unitPath) + [b.unitPath])
        return services.views.page("movement/business", title: b.name, context: context, data: [
            "b": ["id": b.id, "name": b.name, "taxCode": b.taxCode, "kind": label("business.kind", b.kind, context), "sector": b.sector, "address": b.address,
                  "ward": names[b.unitPath] ?? b.unitPath, "workforce": NumberFormat.grouped(b.workforce)],
            "accounts": accounts.joined(separator: ", "), "hasAccounts": !accounts.isEmpty,
            "canAccount": context.user.can(.reviewBusinessPlans) && context.user.can(.manageUsers) && !viewer.isBusiness,
            "hasPlan": plan != nil, "planStatus": plan.map { label("plan.status", $0.status, context) } ?? "", "planModel": plan.map { label("plan.model", $0.model, context) } ?? "",
            "planReason": plan?.reason ?? "", "hasReason": !(plan?.reason ?? "").isEmpty, "planID": plan?.id ?? "",
            "planTeam": plan?.teamMembers ?? [], "planCommitment": plan.map { "\($0.commitmentBy) · \($0.commitmentAt.map(DisplayTime.format) ?? "")" } ?? "",
            "planItems": plan.map { p in (PlanModel(rawValue: p.model)?.requiredItems ?? []).map { ["label": label("plan.item", $0.rawValue, context), "ok": p.ticked.contains($0)] } } ?? [],
            "planEditable": planEditable, "models": models, "items": items, "team": values["team"] ?? plan?.team ?? "", "commitment": values["commitment_by"] ?? plan?.commitmentBy ?? "",
            "canReview": context.user.can(.reviewBusinessPlans) && !viewer.isBusiness && plan != nil,
            "canApprove": status?.canMove(to: .approved) ?? false, "canReturn": status?.canMove(to: .returned) ?? false, "canSuspend": status?.canMove(to: .suspended) ?? false,
            "staff": staff.map { ["name": $0.fullName, "cccd": $0.citizenId, "job": $0.job, "registered": $0.personId != nil] }, "hasStaff": !staff.isEmpty, "staffCount": staff.count,
            "canRequest": context.user.can(.requestPermits) && !staff.isEmpty && status == .approved,
            "canUpload": context.user.can(.requestPermits),
            "permits": permits.map { permitRow($0, context, names) }, "hasPermits": !permits.isEmpty,
            "canApprove_permits": context.user.can(.issuePermits) && !viewer.isBusiness && requested > 0, "requested": requested,
            "today": today.vietnamese, "until": today.adding(days: 14).vietnamese,
            "notice": notice as Any, "v": values, "error": error.map { $0.message(context.language) } as Any, "err": fieldErrors(error),
        ], status: error?.status ?? .ok, active: "movement")
    }

    private func wardNames(_ paths: [String]) async -> [String: String] {
        var out: [String: String] = [:]
        for path in Set(paths) { out[path] = await services.directory.label(path) }
        return out
    }

    private func permitRow(_ p: PermitRecord, _ context: AuthedContext, _ names: [String: String]) -> [String: Any] {
        Self.permitRow(p, context.language, names)
    }

    /// A permit as the lists, the permit page and the person page show it.
    static func permitRow(_ p: PermitRecord, _ l: Language, _ names: [String: String]) -> [String: Any] {
        ["id": p.id, "number": p.number, "name": p.fullName, "cccd": p.citizenId, "group": Strings.label("permit.group", p.grp, l),
         "status": Strings.label("permit.status", p.status, l), "from": CivilDate(iso: p.validFrom)?.vietnamese ?? p.validFrom, "to": CivilDate(iso: p.validTo)?.vietnamese ?? p.validTo,
         "ward": names[p.unitPath] ?? p.unitPath, "revoked": p.status == PermitStatus.revoked.rawValue]
    }

    /// A fine as the violations list and the person page show it.
    static func violationRow(_ v: ViolationRecord, _ l: Language) -> [String: Any] {
        ["id": v.id, "kind": Strings.label("violation.kind", v.kind, l), "name": v.fullName, "cccd": v.citizenId, "amount": NumberFormat.grouped(v.amount),
         "basis": v.legalBasis, "day": CivilDate(iso: v.occurredOn)?.vietnamese ?? v.occurredOn, "place": v.place,
         "status": Strings.label("violation.status", v.status, l), "open": v.status == ViolationStatus.issued.rawValue,
         "appealed": v.status == ViolationStatus.appealed.rawValue]
    }

    @Sendable func accountPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            _ = try await service.createAccount(businessID: id, username: f.value("username") ?? "", displayName: f.value("display_name") ?? "", password: f.value("password") ?? "",
                                                viewer: try await viewer(context))
            return Views.redirect("/movement/businesses/\(id)")
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await renderBusiness(context: context, values: f.fields, error: error, notice: nil)
        }
    }

    static func planInput(_ f: FormData) -> PlanInput {
        PlanInput(model: f.value("model"), items: PlanItem.allCases.map(\.rawValue).filter { f.value("item_\($0)") != nil }, team: f.value("team"), commitmentBy: f.value("commitment_by"))
    }

    @Sendable func planPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            _ = try await service.submitPlan(businessID: id, Self.planInput(f), viewer: try await viewer(context), language: context.language)
            return Views.redirect("/movement/businesses/\(id)#plan")
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await renderBusiness(context: context, values: f.fields, error: error, notice: nil)
        }
    }

    @Sendable func staffPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let file = context.form?.files["file"], !file.bytes.isEmpty else {
            return try await renderBusiness(context: context, values: [:], error: AppError.invalid("Chọn tệp CSV.", "Choose a CSV file."), notice: nil)
        }
        do {
            let report = try await service.importStaff(businessID: id, csv: file.bytes, viewer: try await viewer(context), language: context.language)
            return try await renderBusiness(context: context, values: [:], error: nil, notice: ["added": report.added, "unchanged": report.unchanged, "matched": report.matched,
                                                                                              "problems": report.problems.map { ["line": $0.line, "reason": $0.reason] },
                                                                                              "hasProblems": !report.problems.isEmpty])
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderBusiness(context: context, values: [:], error: error, notice: nil)
        }
    }

    static func requestInput(_ f: FormData) -> PermitRequestInput {
        PermitRequestInput(validFrom: f.value("valid_from"), validTo: f.value("valid_to"), zones: f.value("zones"), route: f.value("route"), purpose: f.value("purpose"))
    }

    @Sendable func requestPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            _ = try await service.requestPermits(businessID: id, Self.requestInput(f), viewer: try await viewer(context), language: context.language)
            return Views.redirect("/movement/businesses/\(id)#permits")
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await renderBusiness(context: context, values: f.fields, error: error, notice: nil)
        }
    }

    @Sendable func reviewPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let viewer = try await viewer(context)
        let id = try context.parameters.require("id")
        guard let plan = try await database.read({ try await service.plan($0, id: id, viewer: viewer) }) else { throw AppError.notFound }
        do {
            _ = try await service.reviewPlan(id: id, decision: f.value("decision"), reason: f.value("reason"), viewer: viewer, language: context.language)
            return Views.redirect("/movement/businesses/\(plan.businessId)#plan")
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return Views.redirect("/movement/businesses/\(plan.businessId)?error=\(error.code)#plan")
        }
    }

    // MARK: permits

    @Sendable func permitList(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderPermits(context: context, values: [:], error: nil)
    }

    private func renderPermits(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let list = try await database.read { try await service.permits($0, viewer: viewer, limit: 300) }
        let today = Clock.today()
        let requested = list.filter { $0.status == PermitStatus.requested.rawValue }.count
        let people = list.compactMap { p in p.personId.map { ($0, p.unitPath) } }
        if !people.isEmpty { try await Audit.viewed(database, user: context.user, people: people, summary: "Danh sách giấy đi đường") }
        let names = await wardNames(list.map(\.unitPath))
        return services.views.page("movement/permits", title: context.t("Giấy đi đường", "Travel permits"), context: context, data: [
            "rows": list.map { permitRow($0, context, names) }, "hasRows": !list.isEmpty,
            "canIssue": context.user.can(.issuePermits) && !viewer.isBusiness, "requested": requested, "hasRequested": requested > 0 && context.user.can(.issuePermits) && !viewer.isBusiness,
            "today": today.vietnamese, "until": today.adding(days: 6).vietnamese,
            "v": values, "formKey": Idempotency.newKey(), "error": error.map { $0.message(context.language) } as Any, "err": fieldErrors(error),
        ], status: error?.status ?? .ok, active: "movement")
    }

    static func individualInput(_ f: FormData) -> IndividualPermitInput {
        IndividualPermitInput(personId: f.value("person_id"), fullName: f.value("full_name"), citizenId: f.value("citizen_id"), validFrom: f.value("valid_from"),
                              validTo: f.value("valid_to"), days: f.value("days"), purpose: f.value("purpose"), zones: f.value("zones"))
    }

    @Sendable func individualPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let p = try await service.issueIndividual(Self.individualInput(f), viewer: try await viewer(context), language: context.language)
            return Views.redirect("/movement/permits/\(p.id)")
        } catch let error as AppError where [.unprocessableContent, .conflict, .notFound].contains(error.status) {
            return try await renderPermits(context: context, values: f.fields, error: error)
        }
    }

    @Sendable func approvePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let business = f.value("business_id")
        do {
            _ = try await service.approvePermits(ids: f.value("ids").map { $0.split(separator: ",").map(String.init) }, businessID: business, viewer: try await viewer(context))
        } catch let error as AppError where error.status == .notFound && business == nil {
            return try await renderPermits(context: context, values: [:], error: AppError.invalid("Không có giấy nào chờ duyệt.", "No permits awaiting approval."))
        }
        return Views.redirect(business.map { "/movement/businesses/\($0)#permits" } ?? "/movement/permits")
    }

    @Sendable func permitPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let id = try context.parameters.require("id")
        guard let p = try await database.read({ try await service.permit($0, id: id, viewer: viewer) }) else { throw AppError.notFound }
        if let person = p.personId { try await Audit.viewed(database, user: context.user, people: [(person, p.unitPath)], summary: "Giấy đi đường \(p.number)") }
        let qr = try p.code.map { try QRImage.svg($0, pixelSize: 3) }
        let history = try await database.read { try await Audit.history($0, entityType: "permit", entityId: p.id, limit: 20) }
        let names = await wardNames([p.unitPath] + p.zoneList + [p.issuerUnit ?? ""])
        return services.views.page("movement/permit", title: context.t("Giấy đi đường", "Travel permit") + " " + p.number, context: context, data: [
            "p": permitRow(p, context, names), "purpose": p.purpose, "route": p.route, "hasRoute": !p.route.isEmpty,
            "zones": p.zoneList.isEmpty ? context.t("Toàn thành phố", "The whole city") : p.zoneList.map { names[$0] ?? $0 }.joined(separator: ", "),
            "days": p.dayList.map(\.vietnamese).joined(separator: ", "), "hasDays": !p.days.isEmpty,
            "issuer": p.issuerUnit.flatMap { names[$0] } ?? "", "issuedAt": p.issuedAt.map(DisplayTime.format) ?? "",
            "qr": qr as Any, "hasQR": qr != nil && p.status == PermitStatus.issued.rawValue, "code": p.code ?? "", "reason": p.reason,
            "canRevoke": context.user.can(.issuePermits) && !viewer.isBusiness && p.status == PermitStatus.issued.rawValue,
            "history": history.map { ["at": DisplayTime.format($0.occurredAt), "who": $0.username, "what": AuditDisplay.action($0.action, context.language), "summary": $0.summary] },
        ], active: "movement")
    }

    @Sendable func revokePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            _ = try await service.revoke(id: id, reason: f.value("reason"), viewer: try await viewer(context), language: context.language)
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return Views.redirect("/movement/permits/\(id)?error=\(error.code)")
        }
        return Views.redirect("/movement/permits/\(id)")
    }

    // MARK: checkpoint

    @Sendable func checkPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderCheck(context: context, outcome: nil, error: nil)
    }

    private func renderCheck(context: AuthedContext, outcome: CheckOutcome?, error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let (points, recent) = try await database.read { db in
            // Each with the places it guards (its ward and zone), which the offline plug-in judges "wrong zone" by.
            (try await db.raw("SELECT id, name, unit_path, zone_id FROM checkpoints WHERE active AND \(viewer.scope.condition()) ORDER BY name LIMIT 200").all()
                .map { ["id": try $0.decode(column: "id", as: String.self), "name": try $0.decode(column: "name", as: String.self),
                        "zones": ([try $0.decode(column: "unit_path", as: String.self)] + [try $0.decode(column: "zone_id", as: String?.self)].compactMap { $0 }).joined(separator: ",")] },
             try await checks.recentChecks(db, viewer: viewer, limit: 30))
        }
        return services.views.page("movement/check", title: context.t("Kiểm tra giấy đi đường", "Check a travel permit"), context: context, data: [
            "points": points, "hasPoints": !points.isEmpty,
            "outcome": outcome.map { o in
                ["verdict": label("check.result", o.verdict, context), "ok": o.verdict == PermitVerdict.valid.rawValue, "code": o.verdict, "name": o.fullName ?? "", "cccd": o.citizenId ?? "",
                 "number": o.number ?? "", "group": o.group.map { label("permit.group", $0, context) } ?? "",
                 "from": o.validFrom.flatMap { CivilDate(iso: $0)?.vietnamese } ?? "", "to": o.validTo.flatMap { CivilDate(iso: $0)?.vietnamese } ?? "", "problem": o.problem ?? ""] as [String: Any]
            } as Any,
            "recent": recent.map { c in ["at": DisplayTime.format(c.checkedAt), "number": c.permitNumber, "result": label("check.result", c.result, context),
                                          "direction": label("check.direction", c.direction, context), "point": c.checkpointName, "officer": Strings.actor(c.officer, context.language)] },
            "hasRecent": !recent.isEmpty, "error": error.map { $0.message(context.language) } as Any,
            "unit": context.user.unitPath.string, "officer": context.user.username, "todayISO": Clock.today().iso,
        ], status: error?.status ?? .ok, active: "movement_check")
    }

    @Sendable func checkSubmit(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let outcome = try await checks.check(CheckInput(id: nil, code: f.value("code"), number: nil, checkpointId: f.value("checkpoint_id"), direction: f.value("direction"),
                                                            result: nil, reason: nil, declarationOk: f.value("declaration_ok") != nil, checkedAt: nil),
                                                 viewer: try await viewer(context), language: context.language)
            return try await renderCheck(context: context, outcome: outcome, error: nil)
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderCheck(context: context, outcome: nil, error: error)
        }
    }

    // MARK: violations

    var violations: ViolationService { ViolationService(services: services) }

    @Sendable func violationList(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderViolations(context: context, values: [:], error: nil)
    }

    private func renderViolations(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory).wholeWard
        let list = try await database.read { try await violations.list($0, scope: scope) }
        let people = list.compactMap { v in v.personId.map { ($0, v.unitPath) } }
        if !people.isEmpty { try await Audit.viewed(database, user: context.user, people: people, summary: "Danh sách vi phạm") }
        let today = Clock.today()
        let rules: [[String: Any]] = ViolationKind.allCases.compactMap { k in
            ViolationRules.rule(k, on: today).map { r in ["kind": label("violation.kind", k.rawValue, context), "basis": r.legalBasis,
                                                          "range": "\(NumberFormat.grouped(r.minFine))–\(NumberFormat.grouped(r.maxFine))"] }
        }
        return services.views.page("movement/violations", title: context.t("Vi phạm, xử phạt", "Violations and fines"), context: context, data: [
            "rows": list.map { Self.violationRow($0, context.language) },
            "hasRows": !list.isEmpty, "canRecord": context.user.can(.recordViolations), "rules": rules,
            "kinds": ViolationKind.allCases.map { ["code": $0.rawValue, "label": label("violation.kind", $0.rawValue, context), "selected": values["kind"] == $0.rawValue] },
            "today": today.vietnamese, "v": values, "formKey": Idempotency.newKey(), "error": error.map { $0.message(context.language) } as Any, "err": fieldErrors(error),
        ], status: error?.status ?? .ok, active: "violations")
    }

    static func violationInput(_ f: FormData) -> ViolationInput {
        ViolationInput(kind: f.value("kind"), personId: f.value("person_id"), businessId: f.value("business_id"), fullName: f.value("full_name"), citizenId: f.value("citizen_id"),
                       amount: f.value("amount").flatMap { Int($0.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "")) },
                       occurredOn: f.value("occurred_on"), place: f.value("place"))
    }

    @Sendable func violationCreatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await violations.record(Self.violationInput(f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/movement/violations")
        } catch let error as AppError where [.unprocessableContent, .notFound].contains(error.status) {
            return try await renderViolations(context: context, values: f.fields, error: error)
        }
    }

    @Sendable func violationStatusPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await violations.setStatus(id: try context.parameters.require("id"), status: f.value("status"), user: context.user)
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await renderViolations(context: context, values: [:], error: error)
        }
        return Views.redirect("/movement/violations")
    }

    @Sendable func apiViolations(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory).wholeWard
        let list = try await database.read { try await violations.list($0, scope: scope) }
        let people = list.compactMap { v in v.personId.map { ($0, v.unitPath) } }
        if !people.isEmpty { try await Audit.viewed(database, user: context.user, people: people, summary: "Danh sách vi phạm") }
        struct Body: Encodable { let data: [ViolationRecord] }
        return try JSON.response(Body(data: list))
    }

    @Sendable func apiRecordViolation(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(ViolationInput.self, request, context: context)
        let v = try await violations.record(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: ViolationRecord }
        return try JSON.response(Body(data: v), status: .created)
    }

    @Sendable func apiViolationStatus(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let status: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let v = try await violations.setStatus(id: try context.parameters.require("id"), status: input.status, user: context.user)
        struct Body: Encodable { let data: ViolationRecord }
        return try JSON.response(Body(data: v))
    }

    // MARK: inspections

    var inspections: InspectionService { InspectionService(services: services) }

    @Sendable func inspectionList(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderInspections(context: context, values: [:], error: nil)
    }

    private func renderInspections(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory).wholeWard
        let viewer = try await viewer(context)
        let (list, findings, businesses, points) = try await database.read { db in
            (try await inspections.list(db, scope: scope), try await inspections.findings(db, scope: scope), try await service.businesses(db, viewer: viewer, limit: 300),
             try await db.raw("SELECT id, name FROM checkpoints WHERE active AND \(scope.condition()) ORDER BY name LIMIT 200").all()
                .map { ["id": try $0.decode(column: "id", as: String.self), "name": try $0.decode(column: "name", as: String.self)] })
        }
        let today = Clock.today()
        let names = Dictionary(list.map { ($0.id, $0.targetName) }, uniquingKeysWith: { a, _ in a })
        return services.views.page("movement/inspections", title: context.t("Kiểm tra, giám sát", "Inspections"), context: context, data: [
            "rows": list.map { i in ["name": i.targetName, "kind": label("inspection.target", i.targetKind, context), "team": i.team,
                                     "day": CivilDate(iso: i.visitedOn)?.vietnamese ?? i.visitedOn, "recognized": i.recognized, "notes": i.notes] as [String: Any] },
            "hasRows": !list.isEmpty,
            "findings": findings.map { f in
                ["id": f.id, "target": names[f.inspectionId] ?? "", "item": label("inspection.item", f.item, context), "deadline": CivilDate(iso: f.deadline)?.vietnamese ?? f.deadline,
                 "status": label("inspection_finding.status", f.status, context), "open": f.status == "open",
                 "overdue": CivilDate(iso: f.deadline).map { InspectionRules.isOverdue(status: FindingStatus(rawValue: f.status) ?? .open, deadline: $0, today: today) } ?? false] as [String: Any]
            },
            "hasFindings": !findings.isEmpty, "canRecord": context.user.can(.manageInspections),
            "businesses": businesses.map { ["id": $0.id, "name": $0.name] }, "points": points,
            "items": InspectionItem.allCases.map { ["code": $0.rawValue, "label": label("inspection.item", $0.rawValue, context)] },
            "today": today.vietnamese, "v": values, "formKey": Idempotency.newKey(), "error": error.map { $0.message(context.language) } as Any, "err": fieldErrors(error),
        ], status: error?.status ?? .ok, active: "inspections")
    }

    static func inspectionInput(_ f: FormData) -> InspectionInput {
        let target = f.value("target") ?? ""
        let (kind, id) = target.hasPrefix("b:") ? ("business", String(target.dropFirst(2))) : target.hasPrefix("c:") ? ("checkpoint", String(target.dropFirst(2))) : ("ward", "")
        return InspectionInput(targetKind: kind, businessId: kind == "business" ? id : nil, checkpointId: kind == "checkpoint" ? id : nil, unit: nil, team: f.value("team"),
                               visitedOn: f.value("visited_on"), items: InspectionItem.allCases.map(\.rawValue).filter { f.value("item_\($0)") != nil },
                               deadline: f.value("deadline"), notes: f.value("notes"))
    }

    @Sendable func inspectionCreatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await inspections.record(Self.inspectionInput(f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/movement/inspections")
        } catch let error as AppError where [.unprocessableContent, .notFound].contains(error.status) {
            return try await renderInspections(context: context, values: f.fields, error: error)
        }
    }

    @Sendable func fixPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await inspections.fix(findingID: try context.parameters.require("id"), user: context.user)
        return Views.redirect("/movement/inspections")
    }

    @Sendable func apiInspections(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory).wholeWard
        let (list, findings) = try await database.read { db in (try await inspections.list(db, scope: scope), try await inspections.findings(db, scope: scope)) }
        struct Body: Encodable { let data: [InspectionRecord]; let findings: [FindingRecord] }
        return try JSON.response(Body(data: list, findings: findings))
    }

    @Sendable func apiRecordInspection(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(InspectionInput.self, request, context: context)
        let (inspection, findings) = try await inspections.record(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: InspectionRecord; let findings: [FindingRecord] }
        return try JSON.response(Body(data: inspection, findings: findings), status: .created)
    }

    @Sendable func apiFix(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = try await inspections.fix(findingID: try context.parameters.require("id"), user: context.user)
        struct Body: Encodable { let data: FindingRecord }
        return try JSON.response(Body(data: f))
    }

    // MARK: API

    @Sendable func apiBusinesses(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let list = try await database.read { try await service.businesses($0, viewer: viewer) }
        struct Body: Encodable { let data: [BusinessRecord] }
        return try JSON.response(Body(data: list))
    }

    @Sendable func apiCreateBusiness(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(BusinessInput.self, request, context: context)
        let b = try await service.createBusiness(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: BusinessRecord }
        return try JSON.response(Body(data: b), status: .created)
    }

    @Sendable func apiBusiness(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let b = try await businessOr404(context, viewer: viewer)
        let (plans, staff) = try await database.read { db in
            (try await service.plans(db, businessID: b.id, viewer: viewer, limit: 20), try await service.staff(db, businessID: b.id, viewer: viewer))
        }
        let people = staff.compactMap { s in s.personId.map { ($0, s.unitPath) } }
        if !people.isEmpty { try await Audit.viewed(database, user: context.user, people: people, summary: "Danh sách lao động của \(b.name)") }
        struct Body: Encodable { let data: BusinessRecord; let plans: [PlanRecord]; let staff: [StaffRecord] }
        return try JSON.response(Body(data: b, plans: plans, staff: staff))
    }

    @Sendable func apiPlan(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(PlanInput.self, request, context: context)
        let plan = try await service.submitPlan(businessID: try context.parameters.require("id"), input, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: PlanRecord }
        return try JSON.response(Body(data: plan), status: .created)
    }

    @Sendable func apiStaff(_ request: Request, context: AuthedContext) async throws -> Response {
        var request = request
        let body = Array(try await request.collectBody(upTo: min(context.bodyLimit, 16 << 20)).readableBytesView)
        let report = try await service.importStaff(businessID: try context.parameters.require("id"), csv: body, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: StaffImportReport }
        return try JSON.response(Body(data: report))
    }

    @Sendable func apiRequest(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(PermitRequestInput.self, request, context: context)
        let (created, existing) = try await service.requestPermits(businessID: try context.parameters.require("id"), input, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let created: Int; let existing: Int }
        return try JSON.response(["data": Body(created: created, existing: existing)])
    }

    @Sendable func apiReview(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let decision: String?; let reason: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let plan = try await service.reviewPlan(id: try context.parameters.require("id"), decision: input.decision, reason: input.reason, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: PlanRecord }
        return try JSON.response(Body(data: plan))
    }

    @Sendable func apiPermits(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let q = request.formQuery
        let list = try await database.read { try await service.permits($0, viewer: viewer, businessID: q.value("business_id"), status: q.value("status").flatMap(PermitStatus.init(rawValue:))) }
        let people = list.compactMap { p in p.personId.map { ($0, p.unitPath) } }
        if !people.isEmpty { try await Audit.viewed(database, user: context.user, people: people, summary: "Danh sách giấy đi đường") }
        struct Body: Encodable { let data: [PermitRecord] }
        return try JSON.response(Body(data: list))
    }

    @Sendable func apiIndividual(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(IndividualPermitInput.self, request, context: context)
        let p = try await service.issueIndividual(input, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: PermitRecord }
        return try JSON.response(Body(data: p), status: .created)
    }

    @Sendable func apiApprove(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let ids: [String]?; let businessId: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let n = try await service.approvePermits(ids: input.ids, businessID: input.businessId, viewer: try await viewer(context))
        return try JSON.response(["data": ["issued": n]])
    }

    @Sendable func apiPermit(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        guard let p = try await database.read({ try await service.permit($0, id: try context.parameters.require("id"), viewer: viewer) }) else { throw AppError.notFound }
        if let person = p.personId { try await Audit.viewed(database, user: context.user, people: [(person, p.unitPath)], summary: "Giấy đi đường \(p.number)") }
        struct Body: Encodable { let data: PermitRecord }
        return try JSON.response(Body(data: p))
    }

    @Sendable func apiRevoke(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let reason: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let p = try await service.revoke(id: try context.parameters.require("id"), reason: input.reason, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: PermitRecord }
        return try JSON.response(Body(data: p))
    }

    @Sendable func apiCheck(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(CheckInput.self, request, context: context)
        let outcome = try await checks.check(input, viewer: try await viewer(context), language: context.language)
        struct Body: Encodable { let data: CheckOutcome }
        return try JSON.response(Body(data: outcome))
    }

    @Sendable func apiBatch(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let checks: [CheckInput] }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let (stored, duplicates, problems) = try await checks.upload(input.checks, viewer: try await viewer(context))
        struct Body: Encodable { let stored: Int; let duplicates: Int; let problems: [String: String] }
        return try JSON.response(["data": Body(stored: stored, duplicates: duplicates, problems: problems)])
    }

    @Sendable func apiRevocations(_ request: Request, context: AuthedContext) async throws -> Response {
        let ids = try await database.read { try await service.revocations($0, today: Clock.today()) }
        struct Body: Encodable { let revoked: [String]; let generatedAt: String }
        var response = try JSON.response(Body(revoked: ids, generatedAt: Timestamp.now()))
        response.headers[.cacheControl] = "private, max-age=60"
        return response
    }
}
