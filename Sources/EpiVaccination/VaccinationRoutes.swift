import EpiCodecs
import EpiCore
import EpiPlatform
import EpiSigning
import Foundation
import Hummingbird
import SQLKit

/// `/vaccination`: stock, lots, sites, allocation, sessions (check-in, screening, doses) and certificates;
/// as pages and `/api/v1/vaccination/…`. The certificate check and the revocation list are public
/// (`/api/v1/certificates/verify`, `/api/v1/certificates/revocations`): a verifier reads nothing the QR
/// does not already carry, and the offline verifier must fetch revocations without an account.
package struct VaccinationRoutes: Sendable {
    let services: AppServices
    /// The public verifier's limits, per client a trusted proxy names and per direct peer (one per app).
    let verifyPerClient: RateLimiter
    let verifyDirect: RateLimiter
    package init(services: AppServices) {
        self.services = services
        verifyPerClient = RateLimiter(limit: services.settings.verifyRequestsPerMinute, window: 60)
        verifyDirect = RateLimiter(limit: min(services.settings.verifyRequestsPerMinute, Int.max / 50) * 50, window: 60)
    }
    var database: Database { services.database }
    var vaccination: VaccinationService { VaccinationService(services: services) }
    var certificates: CertificateService { CertificateService(services: services) }

    package func registerPublic(_ open: Routes<AppRequestContext>) {
        open.post("api/v1/certificates/verify", .open, use: apiVerify)
        open.get("api/v1/certificates/revocations", .open, use: apiRevocations)
    }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("vaccination", .can(.viewVaccination), use: overview)
        pages.post("vaccination/lots", .can(.manageVaccineStock), use: createLotPage)
        pages.post("vaccination/sites", .can(.manageVaccineStock), use: createSitePage)
        pages.post("vaccination/allocations", .can(.manageVaccineStock), use: allocatePage)
        pages.post("vaccination/sites/:id/stock", .anyOf([.runVaccinationSessions, .manageVaccineStock]), use: stockPage)
        pages.post("vaccination/sessions", .can(.runVaccinationSessions), use: createSessionPage)
        pages.get("vaccination/sessions/:id", .can(.viewVaccination), use: sessionPage)
        pages.post("vaccination/sessions/:id/record", .can(.runVaccinationSessions), use: recordPage)
        pages.get("vaccination/coverage", .can(.viewVaccination), use: coveragePage)
        pages.post("vaccination/coverage/recount", .can(.viewVaccination), use: recountPage)
        pages.get("vaccination/priority-groups", .can(.viewVaccination), use: priorityGroupsPage)
        pages.post("vaccination/priority-groups", .can(.manageRules), use: savePriorityGroupPage)
        pages.post("vaccination/targets", .can(.manageVaccineStock), use: createTargetPage)
        pages.post("vaccination/populations", .can(.manageVaccineStock), use: populationPage)
        pages.post("vaccination/doses/import", .can(.importDoses), body: .upload, use: importPage)
        pages.post("vaccination/aefi/:id/follow-up", .can(.runVaccinationSessions), use: followUpPage)
        pages.post("vaccination/people/:id/certificate", .can(.issueCertificates), use: issuePage)
        pages.get("vaccination/certificates/:id", .can(.viewVaccination), use: certificatePage)
        pages.get("vaccination/certificates/:id/qr.png", .can(.viewVaccination), use: certificatePNG)
        pages.post("vaccination/certificates/:id/revoke", .can(.revokeCertificates), use: revokePage)

        api.get("vaccination/products", .can(.viewVaccination), use: apiProducts)
        api.get("vaccination/lots", .can(.viewVaccination), use: apiLots)
        api.post("vaccination/lots", .can(.manageVaccineStock), use: apiCreateLot)
        api.get("vaccination/sites", .can(.viewVaccination), use: apiSites)
        api.post("vaccination/sites", .can(.manageVaccineStock), use: apiCreateSite)
        api.get("vaccination/stock", .can(.viewVaccination), use: apiStock)
        api.post("vaccination/allocations", .can(.manageVaccineStock), use: apiAllocate)
        api.post("vaccination/sites/:id/stock", .anyOf([.runVaccinationSessions, .manageVaccineStock]), use: apiStockMove)
        api.post("vaccination/sessions", .can(.runVaccinationSessions), use: apiCreateSession)
        api.get("vaccination/sessions/:id", .can(.viewVaccination), use: apiSession)
        api.post("vaccination/sessions/:id/record", .can(.runVaccinationSessions), use: apiRecord)
        api.get("vaccination/coverage", .can(.viewVaccination), use: apiCoverage)
        api.post("vaccination/coverage/recount", .can(.viewVaccination), use: apiRecount)
        api.get("vaccination/priority-groups", .can(.viewVaccination), use: apiPriorityGroups)
        api.post("vaccination/priority-groups", .can(.manageRules), use: apiSavePriorityGroup)
        api.post("vaccination/targets", .can(.manageVaccineStock), use: apiCreateTarget)
        api.post("vaccination/populations", .can(.manageVaccineStock), use: apiPopulation)
        api.post("vaccination/doses/import", .can(.importDoses), body: .upload, use: apiImport)
        api.post("vaccination/aefi/:id/follow-up", .can(.runVaccinationSessions), use: apiFollowUp)
        api.post("vaccination/people/:id/certificate", .can(.issueCertificates), use: apiIssue)
        api.post("vaccination/certificates/:id/revoke", .can(.revokeCertificates), use: apiRevoke)
    }

    private func q(_ request: Request, _ name: String) -> String? { request.formQuery.value(name).nonBlank }
    private func unitName(_ path: String) async -> String { await services.directory.cached(path)?.name ?? path }

    // MARK: overview

    @Sendable func overview(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderOverview(context: context, error: nil, form: "")
    }

    private func renderOverview(context: AuthedContext, error: AppError?, form: String, report: DoseImportReport? = nil) async throws -> Response {
        let l = context.language
        let scope = try await vaccination.scope(context.user)
        let (lots, sites, stock, sessions, priorityGroups) = try await database.read { db in
            (try await VaccinationService.lots(db, scope: scope), try await VaccinationService.sites(db, scope: scope),
             try await VaccinationService.stock(db, scope: scope), try await VaccinationService.sessions(db, scope: scope),
             try await VaccinationService.priorityGroups(db))
        }
        let lotByID = Dictionary(lots.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let siteByID = Dictionary(sites.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let today = Clock.today()
        let soon = today.adding(days: StockRules.expiryWarningDays).iso
        var lotRows: [[String: Any]] = []
        for lot in lots {
            lotRows.append(["id": lot.id, "product": VaccineCatalog.product(lot.productCode)?.name ?? lot.productCode, "number": lot.lotNumber,
                            "expires": CivilDate(iso: lot.expiresOn)?.vietnamese ?? lot.expiresOn, "expiring": lot.expiresOn <= soon,
                            "doses": NumberFormat.grouped(lot.doses), "perVial": lot.dosesPerVial])
        }
        var stockRows: [[String: Any]] = []
        for s in stock {
            let holder = s.holderKind == "site" ? (siteByID[s.holderId]?.name ?? s.holderId) : await unitName(s.holderId)
            let lot = lotByID[s.lotId]
            stockRows.append(["holder": holder, "lot": lot?.lotNumber ?? "", "product": lot.flatMap { VaccineCatalog.product($0.productCode)?.name } ?? "",
                              "balance": NumberFormat.grouped(s.balance), "low": s.balance == 0])
        }
        var siteRows: [[String: Any]] = []
        for s in sites { siteRows.append(["id": s.id, "name": s.name, "address": s.address, "ward": await unitName(s.unitPath)]) }
        var sessionRows: [[String: Any]] = []
        for s in sessions {
            sessionRows.append(["id": s.id, "day": CivilDate(iso: s.sessionOn)?.vietnamese ?? s.sessionOn, "site": siteByID[s.siteId]?.name ?? "",
                                "product": VaccineCatalog.product(s.productCode)?.name ?? s.productCode, "capacity": s.capacity])
        }
        var receivers: [[String: Any]] = []
        if context.user.can(.manageVaccineStock) {
            for child in await services.directory.children(of: context.user.unitPath.string) where !child.isGroup {
                receivers.append(["value": child.path, "name": child.name])
            }
            for s in sites { receivers.append(["value": "site:\(s.id)", "name": "\(context.t("Điểm tiêm", "Site")): \(s.name)"]) }
        }
        var wards: [[String: Any]] = []
        if context.user.can(.manageVaccineStock) {
            let own = context.user.unitPath.string
            if await services.directory.isLowestAdministrative(own) { wards.append(["path": own, "name": await unitName(own)]) }
            for u in await services.directory.all() where !u.isGroup {
                guard let p = try? UnitPath(u.path), context.user.covers(p), await services.directory.isLowestAdministrative(u.path), u.path != own else { continue }
                wards.append(["path": u.path, "name": u.name])
                if wards.count >= 600 { break }
            }
        }
        let products = VaccineCatalog.products.map { ["code": $0.code, "name": $0.name] }
        return services.views.page("vaccination/overview", title: context.t("Tiêm chủng", "Vaccination"), context: context, data: [
            "scopeLabel": await services.directory.label(scope.root.string),
            "lots": lotRows, "hasLots": !lotRows.isEmpty, "stock": stockRows, "hasStock": !stockRows.isEmpty,
            "sites": siteRows, "hasSites": !siteRows.isEmpty, "sessions": sessionRows, "hasSessions": !sessionRows.isEmpty,
            "products": products, "receivers": receivers, "wards": wards, "lotOptions": lots.map { ["id": $0.id, "name": "\($0.lotNumber) · \(VaccineCatalog.product($0.productCode)?.name ?? $0.productCode)"] },
            "canStock": context.user.can(.manageVaccineStock), "canSessions": context.user.can(.runVaccinationSessions), "canImport": context.user.can(.importDoses),
            "priorityGroups": priorityGroups.filter(\.active).map { ["code": $0.code, "label": l == .vi ? $0.labelVI : $0.labelEN] },
            "report": report.map { r in ["rows": r.totalRows, "inserted": r.inserted, "duplicates": r.duplicates, "failed": r.failed,
                                         "errors": r.errors.prefix(200).map(\.message)] as [String: Any] } as Any,
            "today": today.vietnamese, "formKey": Idempotency.newKey(), "catalogVersion": VaccineCatalog.version,
            "error": error.map { $0.message(l) } as Any, "errorForm": form,
            "errors": (error?.details ?? [:]).map { ["field": $0.key, "text": $0.value] },
        ], status: error?.status ?? .ok, active: "vaccination")
    }

    private func pageAction(_ context: AuthedContext, form name: String, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as AppError where [.unprocessableContent, .conflict, .notFound].contains(error.status) {
            return try await renderOverview(context: context, error: error, form: name)
        }
    }

    @Sendable func createLotPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        return try await pageAction(context, form: "lot") {
            _ = try await vaccination.createLot(LotInput(productCode: f.value("product_code"), lotNumber: f.value("lot_number"), expiresOn: f.value("expires_on"),
                                                         dosesPerVial: f.value("doses_per_vial").flatMap { Int($0) }, doses: f.value("doses").flatMap { Int($0) },
                                                         receivedOn: f.value("received_on")),
                                                user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/vaccination")
        }
    }

    @Sendable func createSitePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        return try await pageAction(context, form: "site") {
            _ = try await vaccination.createSite(SiteInput(name: f.value("name"), address: f.value("address"), unit: f.value("unit")),
                                                 user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/vaccination")
        }
    }

    @Sendable func allocatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        return try await pageAction(context, form: "allocation") {
            _ = try await vaccination.allocate(AllocationInput(decisionNo: f.value("decision_no"), decidedOn: f.value("decided_on"), lotId: f.value("lot_id"), from: f.value("from"),
                                                               to: f.value("to"), doses: f.value("doses").flatMap { Int($0) }),
                                               user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/vaccination")
        }
    }

    @Sendable func stockPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        return try await pageAction(context, form: "stock") {
            _ = try await vaccination.recordStock(siteID: id, StockInput(lotId: f.value("lot_id"), movement: f.value("movement"), doses: f.value("doses").flatMap { Int($0) }, note: f.value("note")),
                                                  user: context.user, language: context.language)
            return Views.redirect("/vaccination")
        }
    }

    // MARK: priority groups

    @Sendable func priorityGroupsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderPriorityGroups(context: context, error: nil, saved: q(request, "saved"))
    }

    @Sendable func savePriorityGroupPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let input = PriorityGroupInput(code: f.value("code"), labelVi: f.value("label_vi"), labelEn: f.value("label_en"), position: f.value("position").flatMap { Int($0.trimmed) },
                                           minAge: f.value("min_age").flatMap { Int($0.trimmed) }, registryGroup: f.value("registry_group"), active: f.value("active") == "1")
            if let raw = f.value("position"), !raw.trimmed.isEmpty, input.position == nil {
                throw VaccinationService.invalid(context.language, ["position": context.t("Thứ tự phải là số.", "Order must be a number.")])
            }
            if let raw = f.value("min_age"), !raw.trimmed.isEmpty, input.minAge == nil {
                throw VaccinationService.invalid(context.language, ["min_age": context.t("Tuổi phải là số, hoặc để trống.", "Age must be a number, or blank.")])
            }
            let group = try await vaccination.savePriorityGroup(input, user: context.user, language: context.language)
            return Views.redirect("/vaccination/priority-groups?saved=\(group.code)")
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderPriorityGroups(context: context, error: error, saved: nil)
        }
    }

    private func renderPriorityGroups(context: AuthedContext, error: AppError?, saved: String?) async throws -> Response {
        let l = context.language
        let groups = try await vaccination.priorityGroups()
        let savedGroup = groups.first { $0.code == saved }
        func registryChoices(_ selected: String?) -> [[String: Any]] {
            [["value": "", "label": context.t("— không —", "— none —"), "selected": selected == nil] as [String: Any]]
                + TargetGroup.allCases.map { ["value": $0.rawValue, "label": l == .vi ? $0.labelVI : $0.labelEN, "selected": $0.rawValue == selected] }
        }
        return services.views.page("vaccination/priority-groups", title: context.t("Nhóm ưu tiên tiêm chủng", "Vaccination priority groups"), context: context, data: [
            "groups": groups.map { g in
                ["code": g.code, "position": g.position, "label": l == .vi ? g.labelVI : g.labelEN, "labelVI": g.labelVI, "labelEN": g.labelEN,
                 "minAge": g.minAge.map(String.init) ?? "", "byAge": g.minAge as Any, "active": g.active,
                 "byRegistry": g.registryGroup.map { code in TargetGroup(rawValue: code).map { l == .vi ? $0.labelVI : $0.labelEN } ?? code } as Any,
                 "registryChoices": registryChoices(g.registryGroup)] as [String: Any]
            },
            "newRegistryChoices": registryChoices(nil),
            "source": l == .vi ? PriorityGroups.sourceVI : PriorityGroups.sourceEN, "canEdit": context.user.can(.manageRules),
            "saved": savedGroup.map { l == .vi ? $0.labelVI : $0.labelEN } as Any,
            "error": error.map { $0.message(l) } as Any, "errors": (error?.details ?? [:]).sorted { $0.key < $1.key }.map { ["field": $0.key, "text": $0.value] },
        ], status: error?.status ?? .ok, active: "vaccination")
    }

    /// The session form's ticked groups (`priority.<code>` boxes), by code: the same ticks store the same list.
    static func checkedPriorityGroups(_ f: FormData) -> String {
        f.fields.keys.filter { $0.hasPrefix("priority.") && f.fields[$0] == "1" }.map { String($0.dropFirst("priority.".count)) }.sorted().joined(separator: ",")
    }

    @Sendable func createSessionPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        return try await pageAction(context, form: "session") {
            let s = try await vaccination.createSession(SessionInput(siteId: f.value("site_id"), sessionOn: f.value("session_on"), capacity: f.value("capacity").flatMap { Int($0) },
                                                                     productCode: f.value("product_code"), priorityGroups: Self.checkedPriorityGroups(f), minAge: f.value("min_age").flatMap { Int($0) },
                                                                     groupCode: f.value("group_code")),
                                                        user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/vaccination/sessions/\(s.id)")
        }
    }

    @Sendable func importPage(_ request: Request, context: AuthedContext) async throws -> Response {
        guard let file = context.form?.files["file"], !file.bytes.isEmpty else {
            return try await renderOverview(context: context, error: AppError.invalid("Chọn tệp CSV mũi tiêm.", "Choose a CSV file of doses."), form: "import")
        }
        return try await pageAction(context, form: "import") {
            let report = try await DoseImportService(services: services).importCSV(bytes: file.bytes, filename: file.filename, user: context.user, language: context.language)
            return try await renderOverview(context: context, error: nil, form: "", report: report)
        }
    }

    @Sendable func apiImport(_ request: Request, context: AuthedContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.bodyLimit)
        let report = try await DoseImportService(services: services).importCSV(bytes: Array(body.readableBytesView), filename: q(request, "filename") ?? "api.csv",
                                                                              user: context.user, language: context.language)
        return try JSON.response(DataBody(data: report))
    }

    // MARK: coverage

    private func coverageData(_ request: Request, context: AuthedContext) async throws -> (UnitFocus, [String], [UnitCoverage], [TargetStanding]) {
        let focus = try await UnitFocus.resolve(q(request, "unit"), context: context, directory: services.directory)
        let service = CoverageService(services: services)
        // A city or district sees its units below; a ward sees itself.
        let directory = services.directory
        var units: [String] = []
        if await directory.isLowestAdministrative(focus.unit.path) { units = [focus.unit.path] } else {
            units = await directory.children(of: focus.unit.path).filter { !$0.isGroup }.map(\.path)
        }
        let wards = await service.wards(under: focus.unit.path)
        let today = Clock.today()
        let wardCoverage = try await service.coverage(scope: focus.scope, wards: wards, on: today)
        let targets = try await service.targets(scope: focus.scope, focus: focus.unit.path, wards: wards, coverage: wardCoverage, today: today)
        // Roll wards up into the units shown (a district's wards into the district's row).
        var rolled: [UnitCoverage] = []
        for u in units {
            guard let up = try? UnitPath(u) else { continue }
            let inside = wardCoverage.filter { (try? UnitPath($0.unitPath)).map(up.contains) ?? false }
            let cells = AgeGroup.allCases.map { g in
                let cs = inside.compactMap { $0.cells.first { $0.ageGroup == g.rawValue } }
                return UnitCoverage.Cell(ageGroup: g.rawValue, population: cs.reduce(0) { $0 + $1.population }, populationEntered: cs.contains { $0.populationEntered },
                                         first: cs.reduce(0) { $0 + $1.first }, complete: cs.reduce(0) { $0 + $1.complete }, booster: cs.reduce(0) { $0 + $1.booster })
            }
            rolled.append(UnitCoverage(unitPath: u, cells: cells, registryCountedAt: inside.compactMap(\.registryCountedAt).min()))
        }
        return (focus, units, rolled, targets)
    }

    @Sendable func coveragePage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderCoverage(request, context: context, error: nil)
    }

    private func renderCoverage(_ request: Request, context: AuthedContext, error: AppError?) async throws -> Response {
        let l = context.language
        let (focus, _, rows, targets) = try await coverageData(request, context: context)
        // Percentages in the reader's language: "12,5%" in Vietnamese, "12.5%" in English.
        func percent(_ x: Double) -> String { NumberFormat.decimal(x, digits: 1, language: l) + "%" }
        func pct(_ n: Int, _ p: Int) -> String { Coverage.percent(n, of: p).map(percent) ?? "—" }
        var table: [[String: Any]] = []
        for r in rows {
            let name = await unitName(r.unitPath)
            let slug = (try? UnitPath(r.unitPath))?.slug ?? r.unitPath
            for c in r.cells {
                let g = AgeGroup(rawValue: c.ageGroup)
                table.append(["unit": name, "slug": slug, "drill": !(await services.directory.isLowestAdministrative(r.unitPath)), "group": g.map { l == .vi ? $0.labelVI : $0.labelEN } ?? c.ageGroup,
                              "population": NumberFormat.grouped(c.population), "entered": c.populationEntered,
                              "first": NumberFormat.grouped(c.first), "firstPct": pct(c.first, c.population),
                              "complete": NumberFormat.grouped(c.complete), "completePct": pct(c.complete, c.population),
                              "booster": NumberFormat.grouped(c.booster), "boosterPct": pct(c.booster, c.population)])
            }
        }
        let today = Clock.today()
        let service = CoverageService(services: services)
        let first = try await service.daily(scope: focus.scope, kind: .first, from: today.adding(days: -59), to: today)
        let complete = try await service.daily(scope: focus.scope, kind: .complete, from: today.adding(days: -59), to: today)
        let charts: [[String: Any]] = [
            ["id": "chart-first", "label": context.t("Người tiêm mũi 1 mỗi ngày", "People given a first dose per day"),
             "svg": SVGChart.series(days: first.days, values: first.values.map { Optional($0) }, title: context.t("Mũi 1", "First dose"), bars: true, color: "#1565c0")],
            ["id": "chart-complete", "label": context.t("Người tiêm đủ liều mỗi ngày", "People completing the series per day"),
             "svg": SVGChart.series(days: complete.days, values: complete.values.map { Optional($0) }, title: context.t("Đủ liều", "Complete"), bars: true, color: "#2e7d32")],
        ]
        var targetRows: [[String: Any]] = []
        for t in targets {
            var missing: [[String: Any]] = []
            for u in t.units where u.willMiss {
                missing.append(["unit": await unitName(u.unitPath), "percent": u.percent.map(percent) ?? "—",
                                "perDay": NumberFormat.decimal(u.perDay, digits: 0, language: l), "projected": pct(u.projected, u.population)])
            }
            targetRows.append(["title": t.title, "due": CivilDate(iso: t.dueOn)?.vietnamese ?? t.dueOn, "percent": t.percent, "missing": Array(missing.prefix(100)),
                               "missCount": missing.count, "unitCount": t.units.count, "hasMissing": !missing.isEmpty])
        }
        return services.views.page("vaccination/coverage", title: context.t("Độ bao phủ tiêm chủng", "Vaccination coverage"), context: context, data: [
            "scopeLabel": await services.directory.label(focus.unit.path), "rows": table,
            "populationsCountedAt": rows.compactMap(\.registryCountedAt).min().flatMap(Timestamp.date).map(VietnamTime.display) as Any, "hasRows": !table.isEmpty, "charts": charts,
            "targets": targetRows, "hasTargets": !targetRows.isEmpty, "canManage": context.user.can(.manageVaccineStock),
            "groups": AgeGroup.allCases.map { ["code": $0.rawValue, "label": l == .vi ? $0.labelVI : $0.labelEN] },
            "kinds": DoseKind.allCases.map { k in ["code": k.rawValue, "label": k == .first ? context.t("Mũi 1", "First dose") : k == .complete ? context.t("Đủ liều", "Complete") : context.t("Mũi nhắc", "Booster")] },
            "unitSlug": focus.path.slug, "error": error.map { $0.message(l) + " " + $0.details.values.sorted().joined(separator: " ") } as Any,
        ], status: error?.status ?? .ok, active: "vaccination")
    }

    /// Counts the registry's populations of a unit's wards again, now (the page shows when).
    private func recount(_ unit: String?, context: AuthedContext) async throws -> (UnitFocus, String) {
        let focus = try await UnitFocus.resolve(unit, context: context, directory: services.directory)
        let service = CoverageService(services: services)
        let wards = await service.wards(under: focus.unit.path)
        return (focus, try await service.recountPopulations(scope: focus.scope, wards: wards, user: context.user))
    }

    @Sendable func recountPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let (focus, _) = try await recount(context.form?.value("unit"), context: context)
        return Views.redirect("/vaccination/coverage?unit=\(focus.path.slug)")
    }

    @Sendable func apiRecount(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Input: Decodable { let unit: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let (focus, counted) = try await recount(input.unit, context: context)
        struct Done: Encodable { let unit: String; let populationsCountedAt: String }
        return try JSON.response(DataBody(data: Done(unit: focus.unit.path, populationsCountedAt: counted)))
    }

    @Sendable func createTargetPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await CoverageService(services: services).createTarget(TargetInput(title: f.value("title"), minAge: f.value("min_age").flatMap { Int($0) }, kind: f.value("kind"),
                                                                                     percent: f.value("percent").flatMap { Int($0) }, dueOn: f.value("due_on"), unit: f.value("unit")),
                                                                         user: context.user, language: context.language)
            return Views.redirect("/vaccination/coverage")
        } catch let error as AppError where [.unprocessableContent, .notFound].contains(error.status) {
            return try await renderCoverage(request, context: context, error: error)
        }
    }

    @Sendable func populationPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            try await CoverageService(services: services).setPopulation(PopulationInput(unit: f.value("unit"), ageGroup: f.value("age_group"), population: f.value("population").flatMap { Int($0) }),
                                                                        user: context.user, language: context.language)
            return Views.redirect("/vaccination/coverage")
        } catch let error as AppError where [.unprocessableContent, .notFound].contains(error.status) {
            return try await renderCoverage(request, context: context, error: error)
        }
    }

    @Sendable func apiCoverage(_ request: Request, context: AuthedContext) async throws -> Response {
        let (_, _, rows, targets) = try await coverageData(request, context: context)
        // The registry's populations are a stored count: say when it was made.
        struct Body: Encodable { let data: [UnitCoverage]; let targets: [TargetStanding]; let populationsCountedAt: String? }
        return try JSON.response(Body(data: rows, targets: targets, populationsCountedAt: rows.compactMap(\.registryCountedAt).min()))
    }

    @Sendable func apiCreateTarget(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(TargetInput.self, request, context: context)
        struct Made: Encodable { let id: String }
        return try JSON.response(DataBody(data: Made(id: try await CoverageService(services: services).createTarget(input, user: context.user, language: context.language))), status: .created)
    }

    @Sendable func apiPopulation(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(PopulationInput.self, request, context: context)
        try await CoverageService(services: services).setPopulation(input, user: context.user, language: context.language)
        struct Done: Encodable { let saved: Bool }
        return try JSON.response(DataBody(data: Done(saved: true)))
    }

    // MARK: session

    private func sessionOr404(_ context: AuthedContext) async throws -> SessionRecord {
        let id = try context.parameters.require("id")
        let scope = try await vaccination.scope(context.user)
        guard let s = try await database.read({ try await VaccinationService.session($0, id: id, scope: scope) }) else { throw AppError.notFound }
        return s
    }

    @Sendable func sessionPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderSession(request, context: context, error: nil, done: q(request, "done"))
    }

    private func renderSession(_ request: Request, context: AuthedContext, error: AppError?, done: String?) async throws -> Response {
        let l = context.language
        let session = try await sessionOr404(context)
        let query = q(request, "q") ?? context.form?.value("q")
        let priorityGroups = try await vaccination.priorityGroups()
        let (invited, found, given, lots, site) = try await database.read { db in
            (try await VaccinationService.invitations(db, session: session, list: priorityGroups),
             try await query.asyncMap { try await VaccinationService.checkIn(db, query: $0, session: session) } ?? [],
             try await db.raw("""
                SELECT d.dose_number, d.lot_number, d.priority_group, p.full_name FROM vaccine_doses d JOIN persons p ON p.id = d.person_id
                WHERE d.session_id = \(bind: session.id) ORDER BY d.created_at DESC LIMIT 200
                """).all().map { (try $0.decode(column: "full_name", as: String.self), try $0.decode(column: "dose_number", as: Int.self), try $0.decode(column: "lot_number", as: String.self),
                                  try $0.decode(column: "priority_group", as: String.self)) },
             try await db.raw("""
                SELECT l.id, l.lot_number, s.balance FROM vaccine_stock s JOIN vaccine_lots l ON l.id = s.lot_id
                WHERE s.holder_id = \(bind: session.siteId) AND s.balance > 0 AND l.product_code = \(bind: session.productCode) ORDER BY l.expires_on LIMIT 20
                """).all().map { (try $0.decode(column: "id", as: String.self), "\(try $0.decode(column: "lot_number", as: String.self)) (\(try $0.decode(column: "balance", as: Int.self)))") },
             try await db.raw("SELECT name FROM vaccination_sites WHERE id = \(bind: session.siteId)").first()?.decode(column: "name", as: String.self) ?? "")
        }
        let byGroup = try await database.read { db in
            try await db.raw("SELECT priority_group, COUNT(*) AS n FROM vaccine_doses WHERE session_id = \(bind: session.id) GROUP BY priority_group").all()
                .map { (try $0.decode(column: "priority_group", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
        let groupLabel = { (code: String) -> String in
            guard !code.isEmpty else { return context.t("Không thuộc nhóm ưu tiên", "No priority group") }
            return priorityGroups.first { $0.code == code }.map { l == .vi ? $0.labelVI : $0.labelEN } ?? code
        }
        // The groups a person may be recorded under: the session's, or every active group when it names none.
        let served = PriorityGroups.codes(session.priorityGroups)
        let choices = priorityGroups.filter { served.isEmpty ? $0.active : served.contains($0.code) }
        let aefi = try await database.read { db in
            try await db.raw("""
                SELECT a.id, a.severity, a.description, a.follow_up, p.full_name FROM vaccine_aefi a JOIN vaccine_doses d ON d.id = a.dose_id JOIN persons p ON p.id = a.person_id
                WHERE d.session_id = \(bind: session.id) AND a.status = 'open' ORDER BY a.created_at LIMIT 100
                """).all().map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "severity", as: String.self), try $0.decode(column: "description", as: String.self),
                                  try $0.decode(column: "follow_up", as: String.self), try $0.decode(column: "full_name", as: String.self)) }
        }
        let shown = invited.map { ($0.0.id, $0.0.unitPath) } + found.map { ($0.id, $0.unitPath) }
        try await Audit.viewed(database, user: context.user, people: shown.map { (id: $0.0, unitPath: $0.1) }, summary: "Danh sách buổi tiêm \(session.sessionOn)")
        func row(_ p: VaxPerson, dose: Int?) -> [String: Any] {
            ["id": p.id, "name": p.fullName, "birth": p.birthDate.flatMap { CivilDate(iso: $0)?.vietnamese } ?? "", "cccd": p.citizenId ?? "", "dose": dose as Any,
             "only": found.count == 1, "lookup": p.citizenId ?? p.fullName]
        }
        // Whom the invitation list reaches: everyone from an age, and/or people recorded in groups at risk.
        let reach = PriorityGroups.invitationReach(sessionMinAge: session.minAge, groups: priorityGroups.filter { served.contains($0.code) })
        let recorded = reach.registryGroups.map { code in TargetGroup(rawValue: code).map { l == .vi ? $0.labelVI : $0.labelEN } ?? code }.joined(separator: ", ")
        // A session for one residential group names it as the ward's people know it.
        var groupName: String?
        if !session.groupCode.isEmpty {
            groupName = try await services.directory.group(session.groupCode, of: session.unitPath)?.name ?? session.groupCode
        }
        return services.views.page("vaccination/session", title: context.t("Buổi tiêm", "Vaccination session"), context: context, data: [
            "id": session.id, "sessionId": session.id, "day": CivilDate(iso: session.sessionOn)?.vietnamese ?? session.sessionOn, "site": site,
            "product": VaccineCatalog.product(session.productCode)?.name ?? session.productCode, "capacity": session.capacity,
            "minAge": reach.everyoneFrom.map(String.init) ?? "", "hasMinAge": reach.everyoneFrom != nil,
            "recorded": recorded, "recordedFrom": String(reach.registryGroupsFrom), "canOpenLists": context.user.can(.viewTesting),
            "priority": VaccinationService.priorityLabels(session.priorityGroups, groups: priorityGroups, language: l).joined(separator: "; "),
            "priorityChoices": choices.map { ["code": $0.code, "label": l == .vi ? $0.labelVI : $0.labelEN] }, "hasPriorityChoices": !choices.isEmpty,
            "byGroup": byGroup.sorted { $0.1 > $1.1 }.map { ["label": groupLabel($0.0), "n": $0.1] as [String: Any] }, "hasByGroup": !byGroup.isEmpty,
            "group": groupName as Any,
            "invited": invited.map { row($0.0, dose: $0.1) }, "hasInvited": !invited.isEmpty, "found": found.map { row($0, dose: nil) }, "hasFound": !found.isEmpty,
            "searched": query != nil, "q": query ?? "", "given": given.map { ["name": $0.0, "dose": $0.1, "lot": $0.2, "group": $0.3.isEmpty ? "" : groupLabel($0.3)] as [String: Any] }, "hasGiven": !given.isEmpty, "givenCount": given.count, "lots": lots.map { ["id": $0.0, "name": $0.1] }, "hasLots": !lots.isEmpty,
            "outcomes": ScreeningOutcome.allCases.map { ["code": $0.rawValue, "label": l == .vi ? $0.labelVI : $0.labelEN, "checked": $0 == .eligible] },
            "severities": AEFISeverity.allCases.map { ["code": $0.rawValue, "label": l == .vi ? $0.labelVI : $0.labelEN] },
            "canRecord": context.user.can(.runVaccinationSessions), "done": done as Any,
            "aefi": aefi.map { ["id": $0.0, "severity": AEFISeverity(rawValue: $0.1).map { l == .vi ? $0.labelVI : $0.labelEN } ?? "", "description": $0.2, "followUp": $0.3, "name": $0.4, "serious": $0.1 == "serious"] as [String: Any] },
            "hasAefi": !aefi.isEmpty,
            "error": error.map { $0.message(l) + " " + $0.details.values.sorted().joined(separator: " ") } as Any,
        ], status: error?.status ?? .ok, active: "vaccination")
    }

    @Sendable func recordPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            let r = try await vaccination.record(sessionID: id, DoseInput(personId: f.value("person_id"), outcome: f.value("outcome"), lotId: f.value("lot_id"), note: f.value("note"),
                                                                          aefi: f.value("aefi"), aefiSeverity: f.value("aefi_severity"), priorityGroup: f.value("priority_group")),
                                                 user: context.user, language: context.language)
            let what = r.dose.map { "\(context.t("mũi", "dose")) \($0.doseNumber)" } ?? (ScreeningOutcome(rawValue: r.outcome).map { context.language == .vi ? $0.labelVI : $0.labelEN } ?? "")
            return Views.redirect("/vaccination/sessions/\(id)?done=\(what.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        } catch let error as AppError where [.unprocessableContent, .conflict].contains(error.status) {
            return try await renderSession(request, context: context, error: error, done: nil)
        }
    }

    @Sendable func followUpPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        try await vaccination.followUpAEFI(id: id, note: f.value("follow_up"), close: f.value("close") == "1", user: context.user, language: context.language)
        return Views.redirect(local: f.value("back"), fallback: "/vaccination")
    }

    @Sendable func apiFollowUp(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        struct Input: Decodable { let followUp: String?; let close: Bool? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        try await vaccination.followUpAEFI(id: id, note: input.followUp, close: input.close ?? false, user: context.user, language: context.language)
        struct Done: Encodable { let saved: Bool }
        return try JSON.response(DataBody(data: Done(saved: true)))
    }

    // MARK: certificates

    @Sendable func issuePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let cert = try await certificates.issue(personID: id, user: context.user, language: context.language)
        return Views.redirect("/vaccination/certificates/\(cert.id)")
    }

    private func certificateOr404(_ context: AuthedContext) async throws -> CertificateRecord {
        let id = try context.parameters.require("id")
        let scope = try await vaccination.scope(context.user)
        guard let c = try await database.read({ try await CertificateService.certificate($0, id: id, scope: scope) }) else { throw AppError.notFound }
        return c
    }

    @Sendable func certificatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let cert = try await certificateOr404(context)
        let l = context.language
        let (person, doses, revoked) = try await database.read { db in
            (try await VaccinationService.person(db, id: cert.personId), try await VaccinationService.doses(db, personID: cert.personId),
             try await CertificateService.isRevoked(db, uvci: cert.uvci))
        }
        try await database.transaction { db in
            try await Audit.record(db, actor: context.user, action: "view_certificate", entityType: "person", entityId: cert.personId, unitPath: try? UnitPath(cert.unitPath),
                                   summary: "Xem chứng nhận \(cert.uvci)")
        }
        // Inline in the page: without the XML declaration, 320 px (the viewBox scales it to the box).
        let svg = ((try? QRImage.svg(cert.payload, pixelSize: 320)) ?? "").replacingOccurrences(of: #"<?xml version="1.0" encoding="UTF-8"?>"#, with: "")
        return services.views.page("vaccination/certificate", title: context.t("Chứng nhận tiêm chủng", "Vaccination certificate"), context: context, data: [
            "id": cert.id, "uvci": cert.uvci, "name": person?.fullName ?? "", "birth": person?.birthDate.flatMap { CivilDate(iso: $0)?.vietnamese } ?? "",
            "validUntil": DisplayTime.format(cert.expiresAt), "qr": svg, "revoked": revoked,
            "doses": doses.map { d in ["number": d.doseNumber, "date": CivilDate(iso: d.givenOn)?.vietnamese ?? d.givenOn,
                                       "product": VaccineCatalog.product(d.productCode)?.name ?? d.productCode,
                                       "manufacturer": VaccineCatalog.product(d.productCode)?.manufacturerName ?? d.manufacturerCode, "lot": d.lotNumber] as [String: Any] },
            "canRevoke": context.user.can(.revokeCertificates) && !revoked, "disease": l == .vi ? "COVID-19" : "COVID-19",
        ], active: "vaccination")
    }

    @Sendable func certificatePNG(_ request: Request, context: AuthedContext) async throws -> Response {
        let cert = try await certificateOr404(context)
        let png = try QRImage.png(cert.payload, scale: 6)
        return Response(status: .ok, headers: [.contentType: "image/png", .contentDisposition: "attachment; filename=\"chung-nhan-\(cert.id).png\"", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: png)))
    }

    @Sendable func revokePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        _ = try await certificates.revoke(certificateID: id, reason: context.form?.value("reason"), user: context.user, language: context.language)
        return Views.redirect("/vaccination/certificates/\(id)")
    }

    // MARK: API

    struct DataBody<T: Encodable>: Encodable { let data: T }

    @Sendable func apiPriorityGroups(_ request: Request, context: AuthedContext) async throws -> Response {
        try JSON.response(DataBody(data: try await vaccination.priorityGroups()))
    }

    @Sendable func apiSavePriorityGroup(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(PriorityGroupInput.self, request, context: context)
        return try JSON.response(DataBody(data: try await vaccination.savePriorityGroup(input, user: context.user, language: context.language)))
    }

    @Sendable func apiProducts(_ request: Request, context: AuthedContext) async throws -> Response {
        struct Body: Encodable { let version: String; let data: [VaccineProduct] }
        return try JSON.response(Body(version: VaccineCatalog.version, data: VaccineCatalog.products))
    }

    @Sendable func apiLots(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await vaccination.scope(context.user)
        return try JSON.response(DataBody(data: try await database.read { try await VaccinationService.lots($0, scope: scope) }))
    }

    @Sendable func apiCreateLot(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(LotInput.self, request, context: context)
        return try JSON.response(DataBody(data: try await vaccination.createLot(input, user: context.user, key: Idempotency.key(request, context), language: context.language)), status: .created)
    }

    @Sendable func apiSites(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await vaccination.scope(context.user)
        return try JSON.response(DataBody(data: try await database.read { try await VaccinationService.sites($0, scope: scope) }))
    }

    @Sendable func apiCreateSite(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(SiteInput.self, request, context: context)
        return try JSON.response(DataBody(data: try await vaccination.createSite(input, user: context.user, key: Idempotency.key(request, context), language: context.language)), status: .created)
    }

    @Sendable func apiStock(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await vaccination.scope(context.user)
        return try JSON.response(DataBody(data: try await database.read { try await VaccinationService.stock($0, scope: scope) }))
    }

    @Sendable func apiAllocate(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(AllocationInput.self, request, context: context)
        struct Made: Encodable { let id: String }
        return try JSON.response(DataBody(data: Made(id: try await vaccination.allocate(input, user: context.user, key: Idempotency.key(request, context), language: context.language))), status: .created)
    }

    @Sendable func apiStockMove(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let input = try await APIBody.decode(StockInput.self, request, context: context)
        struct Left: Encodable { let balance: Int }
        return try JSON.response(DataBody(data: Left(balance: try await vaccination.recordStock(siteID: id, input, user: context.user, language: context.language))))
    }

    @Sendable func apiCreateSession(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(SessionInput.self, request, context: context)
        return try JSON.response(DataBody(data: try await vaccination.createSession(input, user: context.user, key: Idempotency.key(request, context), language: context.language)), status: .created)
    }

    @Sendable func apiSession(_ request: Request, context: AuthedContext) async throws -> Response {
        let session = try await sessionOr404(context)
        let invited = try await database.read { try await VaccinationService.invitations($0, session: session) }
        try await Audit.viewed(database, user: context.user, people: invited.map { (id: $0.0.id, unitPath: $0.0.unitPath) }, summary: "Danh sách buổi tiêm \(session.sessionOn)")
        struct Invite: Encodable { let person: VaxPerson; let doseNumber: Int }
        struct Body: Encodable { let data: SessionRecord; let invitations: [Invite] }
        return try JSON.response(Body(data: session, invitations: invited.map { Invite(person: $0.0, doseNumber: $0.1) }))
    }

    @Sendable func apiRecord(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let input = try await APIBody.decode(DoseInput.self, request, context: context)
        let r = try await vaccination.record(sessionID: id, input, user: context.user, language: context.language)
        return try JSON.response(DataBody(data: r), status: r.repeated || r.dose == nil ? .ok : .created)
    }

    @Sendable func apiIssue(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let cert = try await certificates.issue(personID: id, user: context.user, language: context.language)
        return try JSON.response(DataBody(data: cert), status: .created)
    }

    @Sendable func apiRevoke(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        struct Input: Decodable { let reason: String? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let cert = try await certificates.revoke(certificateID: id, reason: input.reason, user: context.user, language: context.language)
        struct Revoked: Encodable { let uvci: String; let revoked: Bool }
        return try JSON.response(DataBody(data: Revoked(uvci: cert.uvci, revoked: true)))
    }

    @Sendable func apiVerify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let client = RateLimiter.client(request, peer: context.peerAddress, trusted: services.settings.trustedProxies)
        guard client.forwarded ? verifyPerClient.allow(client.key) : verifyDirect.allow(client.key) else {
            throw AppError(.tooManyRequests, code: "rate_limited", vi: "Kiểm tra chứng nhận quá nhiều lần: vui lòng thử lại sau một phút.",
                           en: "Too many certificate checks: please try again in a minute.")
        }
        var request = request
        let body = try await request.collectBody(upTo: 16_384)
        struct Input: Decodable { let code: String }
        guard let input = try? JSONDecoder().decode(Input.self, from: Data(body.readableBytesView)), input.code.utf8.count <= 8_192 else {
            throw AppError.invalid("Gửi {\"code\": \"HC1:…\"}.", "Send {\"code\": \"HC1:…\"}.", details: ["code": "missing"])
        }
        return try JSON.response(DataBody(data: try await certificates.check(input.code)))
    }

    /// Every revoked UVCI, for verifiers to keep offline (UVCIs are opaque; nothing personal is listed).
    @Sendable func apiRevocations(_ request: Request, context: AppRequestContext) async throws -> Response {
        let uvcis = try await database.read { db in
            try await db.raw("SELECT uvci FROM certificate_revocations ORDER BY revoked_at, uvci LIMIT 1000000").all().map { try $0.decode(column: "uvci", as: String.self) }
        }
        struct Body: Encodable { let revoked: [String]; let generatedAt: String }
        var response = try JSON.response(Body(revoked: uvcis, generatedAt: Timestamp.real()))
        response.headers[.cacheControl] = "public, max-age=300"
        return response
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
