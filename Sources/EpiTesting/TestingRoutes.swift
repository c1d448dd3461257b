import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// `/testing`: the overview (figures, trends, turnaround, positivity), campaigns and their progress,
/// sampling points, laboratories; as pages and `/api/v1/testing/…`.
package struct TestingRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var campaigns: CampaignService { CampaignService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("testing", .can(.viewTesting), use: overview)
        pages.get("testing/campaigns", .can(.viewTesting), use: campaignList)
        pages.post("testing/campaigns", .can(.manageCampaigns), use: createCampaignPage)
        pages.get("testing/campaigns/:id", .can(.viewTesting), use: campaignPage)
        pages.post("testing/campaigns/:id/points", .can(.manageCampaigns), use: addPointPage)
        pages.post("testing/campaigns/:id/close", .can(.manageCampaigns), use: closePage)
        pages.get("testing/labs", .can(.viewTesting), use: labsPage)
        pages.post("testing/labs", .can(.manageCampaigns), use: createLabPage)
        pages.post("testing/labs/:id", .can(.manageCampaigns), use: updateLabPage)

        pages.post("testing/people/:id/risk-groups", .can(.editPeople), use: riskGroupsPage)
        pages.get("testing/risk-groups", .can(.viewTesting), use: riskListsPage)
        pages.post("testing/risk-groups/import", .can(.editPeople), body: .upload, use: riskListImportPage)
        api.get("testing/risk-groups", .can(.viewTesting), use: apiRiskGroupCounts)
        api.post("testing/risk-groups/import", .can(.editPeople), body: .upload, use: apiRiskListImport)
        api.get("testing/people/:id/risk-groups", .can(.viewTesting), use: apiRiskGroups)
        api.post("testing/people/:id/risk-groups", .can(.editPeople), use: apiSetRiskGroups)
        api.get("testing/figures", .can(.viewTesting), use: apiFigures)
        api.get("testing/campaigns", .can(.viewTesting), use: apiCampaigns)
        api.post("testing/campaigns", .can(.manageCampaigns), use: apiCreateCampaign)
        api.get("testing/campaigns/:id", .can(.viewTesting), use: apiCampaign)
        api.post("testing/campaigns/:id/points", .can(.manageCampaigns), use: apiAddPoint)
        api.get("testing/labs", .can(.viewTesting), use: apiLabs)
        api.post("testing/labs", .can(.manageCampaigns), use: apiCreateLab)
        api.put("testing/labs/:id", .can(.manageCampaigns), use: apiUpdateLab)
    }

    private func viewer(_ context: AuthedContext) async throws -> TestingViewer { try await TestingViewer.of(context.user, services: services) }

    // MARK: overview

    @Sendable func overview(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let focus = viewer.isLab ? nil : try await UnitFocus.resolve(request.q("unit"), context: context, directory: services.directory)
        let scope = focus?.scope ?? viewer.scope
        let labs = try await database.read { try await TestingQueries.labs($0, activeOnly: false) }
        let labName = Dictionary(labs.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let today = Clock.today()
        let (series, turnaround, overdue, positivity, gauges, review, late) = try await database.read { db in
            (try await TestingFigures.series(db, scope: scope, today: today),
             try await TestingFigures.turnaround(db, labIDs: viewer.isLab ? viewer.labIDs : nil, today: today),
             try await TestingFigures.overdue(db, viewer: focus.map { TestingViewer(user: viewer.user, scope: $0.scope, labIDs: []) } ?? viewer),
             viewer.isLab ? [] : try await TestingFigures.positivity(db, scope: scope, today: today),
             try await Counters.gauges(db, scope: scope, [.testRetestsOpen]),
             try await db.raw("SELECT COUNT(*) AS n FROM test_results WHERE (match_status = 'review' OR action_status = 'failed') AND \(focus.map { _ in scope.wholeWard.condition() } ?? viewer.labOrUnit())").first()?.decode(column: "n", as: Int.self) ?? 0,
             try await db.raw("""
                SELECT COUNT(*) AS n FROM sample_batches WHERE status = 'in_transit' AND expected_by < \(bind: Timestamp.now()) AND \(focus.map { _ in scope.wholeWard.condition() } ?? viewer.labOrUnit())
                """).first()?.decode(column: "n", as: Int.self) ?? 0)
        }
        let last = series.days.count - 1
        func at(_ m: Metric, _ i: Int) -> Int { series.values[m].flatMap { i >= 0 && i < $0.count ? $0[i] : nil } ?? 0 }
        let week = (max(0, last - 6)...max(0, last))
        let weekResults = week.reduce(0) { $0 + at(.testResults, $1) }, weekPositives = week.reduce(0) { $0 + at(.testPositives, $1) }
        let charts: [[String: Any]] = [
            ["id": "chart-samples", "label": context.t("Người được lấy mẫu mỗi ngày", "People sampled per day"),
             "svg": SVGChart.series(days: series.days, values: (series.values[.testPeople] ?? []).map { Optional($0) }, title: context.t("Người được lấy mẫu", "People sampled"), bars: true, color: "#1565c0")],
            ["id": "chart-results", "label": context.t("Kết quả nhận mỗi ngày", "Results per day"),
             "svg": SVGChart.series(days: series.days, values: (series.values[.testResults] ?? []).map { Optional($0) }, title: context.t("Kết quả", "Results"), bars: true, color: "#2e7d32")],
            ["id": "chart-positives", "label": context.t("Kết quả dương tính mỗi ngày", "Positive results per day"),
             "svg": SVGChart.series(days: series.days, values: (series.values[.testPositives] ?? []).map { Optional($0) }, title: context.t("Dương tính", "Positive"), bars: false)],
        ]
        var wards: [[String: Any]] = []
        for p in positivity.prefix(15) {
            wards.append(["name": await services.directory.cached(p.unitPath)?.name ?? p.unitPath, "results": NumberFormat.grouped(p.results),
                          "positives": NumberFormat.grouped(p.positives), "percent": TestingView.percent(p.percent, l)])
        }
        var overdueRows: [[String: Any]] = []
        for o in overdue.byUnit.prefix(15) {
            overdueRows.append(["name": await services.directory.cached(o.unit)?.name ?? o.unit, "count": NumberFormat.grouped(o.count), "oldest": TestingView.time(o.oldest)])
        }
        let policyHours = try await database.read { try await Policies.value($0, .resultOverdueHours) }
        return services.views.page("testing/overview", title: context.t("Xét nghiệm", "Testing"), context: context, data: [
            "scopeLabel": viewer.isLab ? viewer.labIDs.compactMap { labName[$0] }.joined(separator: ", ") : await services.directory.label(scope.root.string),
            "crumbs": await focus.asyncMap { await $0.crumbs(user: context.user, directory: services.directory, base: "/testing") } as Any,
            "isLab": viewer.isLab, "hasCrumbs": focus != nil, "hasCharts": !viewer.isLab,
            "figures": [
                ["id": "fig-people-today", "value": NumberFormat.grouped(at(.testPeople, last)), "label": context.t("Người được lấy mẫu hôm nay", "People sampled today")],
                ["id": "fig-tubes-today", "value": NumberFormat.grouped(at(.testSamples, last)), "label": context.t("Ống mẫu hôm nay", "Tubes today")],
                ["id": "fig-results-today", "value": NumberFormat.grouped(at(.testResults, last)), "label": context.t("Kết quả hôm nay", "Results today")],
                ["id": "fig-positivity", "value": TestingView.percent(Turnaround.positivityPercent(positive: weekPositives, total: weekResults), l),
                 "label": context.t("Tỷ lệ dương tính 7 ngày", "7-day positivity")],
                ["id": "fig-overdue", "value": NumberFormat.grouped(overdue.count), "label": context.t("Ống quá \(policyHours) giờ chưa có kết quả", "Tubes past \(policyHours) h without a result"),
                 "href": "/testing/samples?view=overdue"],
                ["id": "fig-retests", "value": NumberFormat.grouped(gauges[.testRetestsOpen] ?? 0), "label": context.t("Người chờ xét nghiệm lại", "People to re-test"), "href": "/testing/retests"],
                ["id": "fig-review", "value": NumberFormat.grouped(review), "label": context.t("Kết quả chờ đối chiếu", "Results awaiting review"), "href": "/testing/review"],
                ["id": "fig-late-batches", "value": NumberFormat.grouped(late), "label": context.t("Lô mẫu chưa được nhận đúng hạn", "Batches not received in time"), "href": "/testing/batches"],
            ],
            "charts": viewer.isLab ? [] : charts,
            "turnaround": turnaround.map { t in ["lab": labName[t.labId] ?? t.labId, "results": NumberFormat.grouped(t.results),
                                                 "p50": TestingView.hours(t.p50Hours, l), "p90": TestingView.hours(t.p90Hours, l)] },
            "hasTurnaround": !turnaround.isEmpty, "wards": wards, "hasWards": !wards.isEmpty, "overdueRows": overdueRows, "hasOverdue": !overdueRows.isEmpty,
            "canCampaigns": context.user.can(.manageCampaigns), "canSample": context.user.can(.collectSamples), "canBatch": context.user.can(.transportSamples),
            "canResults": context.user.can(.enterResults), "canReview": context.user.can(.reviewResults),
        ], active: "testing")
    }

    // MARK: a person's groups at risk

    @Sendable func riskGroupsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        let codes = f.fields.keys.filter { $0.hasPrefix("group.") && f.fields[$0] == "1" }.map { String($0.dropFirst("group.".count)) }
        _ = try await RiskGroupService(services: services).set(personID: id, codes: codes, user: context.user, language: context.language)
        return Views.redirect("/people/\(id)#person-testing")
    }

    @Sendable func apiRiskGroups(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let groups = try await RiskGroupService(services: services).groups(personID: id, user: context.user) else { throw AppError.notFound }
        return try JSON.response(RiskGroupsBody(data: .init(personId: id, groups: groups.map(\.rawValue))))
    }

    @Sendable func apiSetRiskGroups(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        struct Input: Decodable { let groups: [String]? }
        let input = try await APIBody.decode(Input.self, request, context: context)
        let groups = try await RiskGroupService(services: services).set(personID: id, codes: input.groups ?? [], user: context.user, language: context.language)
        return try JSON.response(RiskGroupsBody(data: .init(personId: id, groups: groups.map(\.rawValue))))
    }

    // MARK: lists of groups at risk

    private func renderRiskLists(context: AuthedContext, report: RiskGroupImportReport?, error: AppError?) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory)
        let counts = try await database.read { try await RiskGroupService.counts($0, scope: scope) }
        let l = context.language
        return services.views.page("testing/risk-groups", title: context.t("Danh sách nhóm nguy cơ", "Lists of groups at risk"), context: context, data: [
            "scopeLabel": await services.directory.label(scope.root.string),
            "groups": TargetGroup.allCases.map { ["label": l == .vi ? $0.labelVI : $0.labelEN, "count": NumberFormat.grouped(counts[$0] ?? 0)] },
            "groupNames": TargetGroup.allCases.map { "\($0.rawValue) (\(l == .vi ? $0.labelVI : $0.labelEN))" }.joined(separator: "; "),
            "canImport": context.user.can(.editPeople),
            "report": report.map { r in
                ["rows": NumberFormat.grouped(r.rows), "people": NumberFormat.grouped(r.people), "added": NumberFormat.grouped(r.added),
                 "unchanged": NumberFormat.grouped(r.unchanged), "failed": NumberFormat.grouped(r.problems.count), "hasErrors": !r.problems.isEmpty,
                 "errors": r.problems.prefix(200).map { ["line": String($0.line), "reason": $0.reason] }] as [String: Any] } as Any,
            "error": error.map { $0.message(l) } as Any,
        ], status: error?.status ?? .ok, active: "testing")
    }

    @Sendable func riskListsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderRiskLists(context: context, report: nil, error: nil)
    }

    @Sendable func riskListImportPage(_ request: Request, context: AuthedContext) async throws -> Response {
        guard let file = context.form?.files["file"], !file.bytes.isEmpty else {
            return try await renderRiskLists(context: context, report: nil, error: AppError.invalid("Chọn tệp CSV danh sách.", "Choose a CSV file of the list."))
        }
        do {
            let report = try await RiskGroupService(services: services).importList(bytes: file.bytes, user: context.user, language: context.language)
            return try await renderRiskLists(context: context, report: report, error: nil)
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderRiskLists(context: context, report: nil, error: error)
        }
    }

    @Sendable func apiRiskGroupCounts(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await Scope.of(context.user, directory: services.directory)
        let counts = try await database.read { try await RiskGroupService.counts($0, scope: scope) }
        struct Row: Encodable { let group: String; let labelVi: String; let labelEn: String; let registered: Int }
        struct Body: Encodable { let unit: String; let data: [Row] }
        return try JSON.response(Body(unit: scope.root.string, data: TargetGroup.allCases.map { Row(group: $0.rawValue, labelVi: $0.labelVI, labelEn: $0.labelEN, registered: counts[$0] ?? 0) }))
    }

    @Sendable func apiRiskListImport(_ request: Request, context: AuthedContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.bodyLimit)
        let report = try await RiskGroupService(services: services).importList(bytes: Array(body.readableBytesView), user: context.user, language: context.language)
        struct Body: Encodable { let data: RiskGroupImportReport }
        return try JSON.response(Body(data: report))
    }

    struct RiskGroupsBody: Encodable {
        struct Groups: Encodable { let personId: String; let groups: [String] }
        let data: Groups
    }

    @Sendable func apiFigures(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let focus = viewer.isLab ? nil : try await UnitFocus.resolve(request.q("unit"), context: context, directory: services.directory)
        let scope = focus?.scope ?? viewer.scope
        let (series, turnaround, overdue, positivity) = try await database.read { db in
            (try await TestingFigures.series(db, scope: scope), try await TestingFigures.turnaround(db, labIDs: viewer.isLab ? viewer.labIDs : nil),
             try await TestingFigures.overdue(db, viewer: focus.map { TestingViewer(user: viewer.user, scope: $0.scope, labIDs: []) } ?? viewer),
             viewer.isLab ? [] : try await TestingFigures.positivity(db, scope: scope))
        }
        struct Day: Encodable { let day: String; let tubes: Int; let people: Int; let results: Int; let positives: Int }
        struct Overdue: Encodable { let unitPath: String; let count: Int; let oldestSampledAt: String }
        struct Body: Encodable { let days: [Day]; let turnaround: [TestingFigures.LabTurnaround]; let overdue: Int; let overdueByUnit: [Overdue]; let positivity7d: [TestingFigures.WardPositivity] }
        let days = series.days.enumerated().map { i, d in
            Day(day: d.iso, tubes: series.values[.testSamples]?[i] ?? 0, people: series.values[.testPeople]?[i] ?? 0,
                results: series.values[.testResults]?[i] ?? 0, positives: series.values[.testPositives]?[i] ?? 0)
        }
        return try JSON.response(Body(days: days, turnaround: turnaround, overdue: overdue.count, overdueByUnit: overdue.byUnit.map { Overdue(unitPath: $0.unit, count: $0.count, oldestSampledAt: $0.oldest) },
                                      positivity7d: positivity))
    }

    // MARK: campaigns

    @Sendable func campaignList(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderCampaigns(context: context, values: [:], error: nil)
    }

    private func renderCampaigns(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let l = context.language
        let list = try await database.read { try await TestingQueries.campaigns($0, viewer: viewer) }
        let today = Clock.today()
        var rows: [[String: Any]] = []
        for c in list {
            rows.append(["id": c.id, "name": c.name, "unit": await services.directory.cached(c.unitPath)?.name ?? c.unitPath, "target": TestingView.target(c.targetKind, l),
                         "group": TestingView.group(c.targetGroup, l), "start": c.startDay.vietnamese, "deadline": c.deadlineDay.vietnamese,
                         "status": c.status == "closed" ? context.t("Đã kết thúc", "Closed") : c.startDay > today ? context.t("Sắp bắt đầu", "Not started") : context.t("Đang lấy mẫu", "Sampling"),
                         "closed": c.status == "closed"])
        }
        let scope = try await Scope.of(context.user, directory: services.directory)
        let zones = context.user.can(.manageCampaigns) ? try await database.read { db in
            try await db.raw("SELECT id, name FROM zones WHERE status = 'active' AND \(scope.wholeWard.condition()) ORDER BY name LIMIT 200").all()
                .map { ["id": try $0.decode(column: "id", as: String.self), "name": try $0.decode(column: "name", as: String.self)] }
        } : []
        var units: [[String: Any]] = []
        if context.user.can(.manageCampaigns), let own = try await services.directory.unit(context.user.unitPath.string) {
            units.append(["path": own.path, "name": own.name, "selected": values["unit"] == nil || values["unit"] == own.path])
            for child in await services.directory.children(of: own.path) where !child.isGroup {
                units.append(["path": child.path, "name": child.name, "selected": values["unit"] == child.path])
            }
        }
        let poolMax = try await database.read { try await Policies.value($0, .samplePoolMax) }
        return services.views.page("testing/campaigns", title: context.t("Đợt xét nghiệm", "Testing campaigns"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "canCreate": context.user.can(.manageCampaigns), "units": units, "zones": zones, "hasZones": !zones.isEmpty,
            "targets": TestingView.options(CampaignTarget.self, selected: values["target_kind"] ?? "units", l) { ($0.labelVI, $0.labelEN) },
            "groups": TestingView.options(TargetGroup.self, selected: values["target_group"], l) { ($0.labelVI, $0.labelEN) },
            "tests": TestingView.options(LabTest.self, selected: values["test"] ?? "rt_pcr", l) { ($0.labelVI, $0.labelEN) },
            "v": values, "today": today.vietnamese, "poolMax": poolMax, "formKey": Idempotency.newKey(),
            "error": error.map { $0.message(l) } as Any, "err": TestingView.fieldErrors(error),
        ], status: error?.status ?? .ok, active: "testing")
    }

    static func campaignInput(_ f: FormData) -> CampaignInput {
        var targets: [String: Int] = [:]
        // "00295: 120" per line, for a group at risk.
        for line in (f.value("targets") ?? "").split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let n = Int(parts[1].replacingOccurrences(of: ".", with: "").replacingOccurrences(of: ",", with: "")) { targets[parts[0]] = n }
        }
        let wards = (f.value("wards") ?? "").split(whereSeparator: { $0 == "," || $0 == " " || $0.isNewline }).map(String.init)
        return CampaignInput(name: f.value("name"), unit: f.value("unit"), targetKind: f.value("target_kind"), targetGroup: f.value("target_group"), zoneId: f.value("zone_id"),
                             wards: wards.isEmpty ? nil : wards, targets: targets.isEmpty ? nil : targets, groupSize: f.value("group_size").flatMap { Int($0) },
                             test: f.value("test"), poolSize: f.value("pool_size").flatMap { Int($0) }, startsOn: f.value("starts_on"), deadlineOn: f.value("deadline_on"),
                             notes: f.value("notes"))
    }

    @Sendable func createCampaignPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            let c = try await campaigns.create(Self.campaignInput(f), user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/testing/campaigns/\(c.id)")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .notFound {
            return try await renderCampaigns(context: context, values: f.fields, error: error)
        }
    }

    private func campaignOr404(_ context: AuthedContext, viewer: TestingViewer) async throws -> CampaignRecord {
        let id = try context.parameters.require("id")
        guard let c = try await database.read({ try await TestingQueries.campaign($0, id: id, viewer: viewer) }) else { throw AppError.notFound }
        return c
    }

    @Sendable func campaignPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderCampaign(request: request, context: context, error: nil)
    }

    private func renderCampaign(request: Request, context: AuthedContext, error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let campaign = try await campaignOr404(context, viewer: viewer)
        let l = context.language
        let focus = try await UnitFocus.resolve(request.q("unit"), context: context, directory: services.directory)
        let wards = try await campaigns.progress(campaign, scope: focus.scope)
        let today = Clock.today()
        let rows = await services.directory.isLowestAdministrative(focus.unit.path) ? wards : await campaigns.rollUp(wards, under: focus.unit.path, campaign: campaign)
        let expected = CampaignPace.expectedFraction(start: campaign.startDay, deadline: campaign.deadlineDay, today: today)
        func row(_ w: WardProgress) async -> [String: Any] {
            let unit = await services.directory.cached(w.unitPath)
            let drill = !(await services.directory.isLowestAdministrative(w.unitPath))
            return ["name": unit?.name ?? w.unitPath, "href": drill ? "/testing/campaigns/\(campaign.id)?unit=\(TestingView.slug(w.unitPath))" : "",
                    "target": NumberFormat.grouped(w.target), "people": NumberFormat.grouped(w.people), "tubes": NumberFormat.grouped(w.tubes),
                    "percent": TestingView.percent(w.percent, l), "perDay": NumberFormat.grouped(Int(w.perDay.rounded())), "projected": NumberFormat.grouped(w.projected),
                    "willMiss": w.willMiss, "capacity": NumberFormat.grouped(w.capacityPerDay),
                    // Why, in words: the points cannot take enough people a day, whatever the pace.
                    "capacityNote": w.beyondCapacity ? (w.capacityPerDay == 0
                        ? context.t("chưa có điểm lấy mẫu", "no sampling point")
                        : context.t("cần \(NumberFormat.grouped(w.neededPerDay ?? 0)) người/ngày, công suất các điểm chỉ \(NumberFormat.grouped(w.capacityPerDay)) người/ngày",
                                    "needs \(NumberFormat.grouped(w.neededPerDay ?? 0)) people a day, its points take only \(NumberFormat.grouped(w.capacityPerDay))")) : "",
                    "bar": SVGChart.progress(fraction: w.target > 0 ? Double(w.people) / Double(w.target) : 0, expected: campaign.status == "closed" ? nil : expected,
                                             title: "\(unit?.name ?? w.unitPath): \(TestingView.percent(w.percent, l))")]
        }
        var table: [[String: Any]] = []
        for w in rows { table.append(await row(w)) }
        var missing: [[String: Any]] = []
        for w in wards.filter(\.willMiss).sorted(by: { $0.percent < $1.percent }).prefix(50) { missing.append(await row(w)) }
        let totalTarget = wards.reduce(0) { $0 + $1.target }, totalPeople = wards.reduce(0) { $0 + $1.people }, totalTubes = wards.reduce(0) { $0 + $1.tubes }
        let points = try await database.read { try await TestingQueries.points($0, campaignID: campaign.id, scope: focus.scope) }
        var pointRows: [[String: Any]] = []
        for p in points {
            pointRows.append(["name": p.name, "ward": await services.directory.cached(p.unitPath)?.name ?? p.unitPath, "address": p.address,
                              "capacity": NumberFormat.grouped(p.dailyCapacity), "id": p.id])
        }
        let campaignWards = try await database.read { db in
            try await db.raw("SELECT unit_path FROM campaign_units WHERE campaign_id = \(bind: campaign.id) AND \(focus.scope.wholeWard.condition()) ORDER BY unit_path LIMIT 600").all()
                .map { try $0.decode(column: "unit_path", as: String.self) }
        }
        var wardOptions: [[String: Any]] = []
        for path in campaignWards { wardOptions.append(["path": path, "name": await services.directory.cached(path)?.name ?? path]) }
        return services.views.page("testing/campaign", title: campaign.name, context: context, data: [
            "id": campaign.id, "name": campaign.name, "unitName": await services.directory.label(campaign.unitPath), "target": TestingView.target(campaign.targetKind, l),
            "group": TestingView.group(campaign.targetGroup, l), "hasGroup": campaign.targetGroup != nil, "test": TestingView.test(campaign.test, l), "pool": campaign.poolSize,
            "start": campaign.startDay.vietnamese, "deadline": campaign.deadlineDay.vietnamese, "closed": campaign.status == "closed", "notes": campaign.notes,
            "crumbs": await focus.crumbs(user: context.user, directory: services.directory, base: "/testing/campaigns/\(campaign.id)"),
            "focusName": focus.unit.name, "totalTarget": NumberFormat.grouped(totalTarget), "totalPeople": NumberFormat.grouped(totalPeople), "totalTubes": NumberFormat.grouped(totalTubes),
            "totalPercent": TestingView.percent(totalTarget > 0 ? Double(totalPeople) * 100 / Double(totalTarget) : nil, l),
            "totalBar": SVGChart.progress(fraction: totalTarget > 0 ? Double(totalPeople) / Double(totalTarget) : 0, expected: campaign.status == "closed" ? nil : expected,
                                          title: TestingView.percent(totalTarget > 0 ? Double(totalPeople) * 100 / Double(totalTarget) : nil, l)),
            "expected": TestingView.percent(expected * 100, l),
            "rows": table, "missing": missing, "hasMissing": !missing.isEmpty, "missingCount": wards.filter(\.willMiss).count,
            "points": pointRows, "hasPoints": !pointRows.isEmpty, "wardOptions": wardOptions,
            "canManage": context.user.can(.manageCampaigns) && campaign.status != "closed", "formKey": Idempotency.newKey(),
            "canSample": context.user.can(.collectSamples) && campaign.status != "closed",
            "error": error.map { $0.message(l) } as Any, "err": TestingView.fieldErrors(error),
        ], status: error?.status ?? .ok, active: "testing")
    }

    @Sendable func addPointPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            _ = try await campaigns.addPoint(campaignID: id, PointInput(unit: f.value("unit"), name: f.value("name"), address: f.value("address"),
                                                                        dailyCapacity: f.value("daily_capacity").flatMap { Int($0.replacingOccurrences(of: ".", with: "")) }),
                                             user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/testing/campaigns/\(id)#points")
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await renderCampaign(request: request, context: context, error: error)
        }
    }

    @Sendable func closePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let c = try await campaigns.close(campaignID: try context.parameters.require("id"), user: context.user)
        return Views.redirect("/testing/campaigns/\(c.id)")
    }

    struct CampaignBody: Encodable {
        let data: CampaignRecord
        let wards: [WardProgress]
        let willMiss: [String]
    }

    @Sendable func apiCampaigns(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let list = try await database.read { try await TestingQueries.campaigns($0, viewer: viewer) }
        struct Body: Encodable { let data: [CampaignRecord] }
        return try JSON.response(Body(data: list))
    }

    @Sendable func apiCreateCampaign(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(CampaignInput.self, request, context: context)
        let c = try await campaigns.create(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        let wards = try await campaigns.progress(c, scope: try await Scope.of(context.user, directory: services.directory))
        return try JSON.response(CampaignBody(data: c, wards: wards, willMiss: wards.filter(\.willMiss).map(\.unitPath)), status: .created)
    }

    @Sendable func apiCampaign(_ request: Request, context: AuthedContext) async throws -> Response {
        let viewer = try await viewer(context)
        let c = try await campaignOr404(context, viewer: viewer)
        let focus = try await UnitFocus.resolve(request.q("unit"), context: context, directory: services.directory)
        let wards = try await campaigns.progress(c, scope: focus.scope)
        return try JSON.response(CampaignBody(data: c, wards: wards, willMiss: wards.filter(\.willMiss).map(\.unitPath)))
    }

    @Sendable func apiAddPoint(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(PointInput.self, request, context: context)
        let point = try await campaigns.addPoint(campaignID: try context.parameters.require("id"), input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: PointRecord }
        return try JSON.response(Body(data: point), status: .created)
    }

    // MARK: laboratories

    @Sendable func labsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderLabs(context: context, values: [:], error: nil)
    }

    private func renderLabs(context: AuthedContext, values: [String: String], error: AppError?) async throws -> Response {
        let viewer = try await viewer(context)
        let labs = try await database.read { try await TestingQueries.labs($0, activeOnly: false) }
        var rows: [[String: Any]] = []
        for lab in labs {
            let editable = context.user.can(.manageCampaigns) && viewer.actsFor(lab)
            // The lab whose edit was refused comes back open, with what was typed and why.
            let editing = values["edit"] == lab.id
            rows.append(["id": lab.id, "code": lab.code, "name": lab.name, "unit": await services.directory.label(lab.unitPath), "hl7": lab.hl7Facility ?? "",
                         "active": lab.active, "editable": editable, "mine": viewer.isLab && viewer.labIDs.contains(lab.id), "editing": editing,
                         "editName": editing ? values["name"] ?? lab.name : lab.name, "editHL7": editing ? values["hl7_facility"] ?? "" : lab.hl7Facility ?? "",
                         "editError": editing ? error.map { e in ([e.message(context.language)] + e.details.keys.sorted().compactMap { e.details[$0] }).joined(separator: " ") } ?? "" : ""])
        }
        var units: [[String: Any]] = []
        if context.user.can(.manageCampaigns) {
            let root = context.user.unitPath
            for u in await services.directory.all() where !u.isGroup {
                guard let p = try? UnitPath(u.path), root.contains(p), await services.directory.isLowestAdministrative(u.path) else { continue }
                units.append(["path": u.path, "name": await services.directory.label(u.path), "selected": values["unit"] == u.path])
            }
            units.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        }
        return services.views.page("testing/labs", title: context.t("Phòng xét nghiệm", "Laboratories"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "canCreate": context.user.can(.manageCampaigns), "units": units,
            // A refused edit shows on its row; the new-lab form keeps only its own values and errors.
            "v": values["edit"] == nil ? values : [:], "formKey": Idempotency.newKey(),
            "error": values["edit"] == nil ? error.map { $0.message(context.language) } as Any : nil as String? as Any, "err": values["edit"] == nil ? TestingView.fieldErrors(error) : [:],
        ], status: error?.status ?? .ok, active: "testing")
    }

    @Sendable func createLabPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        do {
            _ = try await campaigns.createLab(LabInputForm(code: f.value("code"), name: f.value("name"), unit: f.value("unit"), hl7Facility: f.value("hl7_facility")),
                                              user: context.user, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/testing/labs")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict || error.status == .notFound {
            return try await renderLabs(context: context, values: f.fields, error: error)
        }
    }

    @Sendable func updateLabPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let f = context.form ?? FormData()
        let id = try context.parameters.require("id")
        do {
            // The edit form sends name and hl7_facility, the status button only `active`: absent fields stay.
            _ = try await campaigns.updateLab(id: id, LabInputForm(name: f.fields["name"], hl7Facility: f.fields["hl7_facility"], active: f.value("active").map { $0 == "1" || $0 == "true" }),
                                              user: context.user, language: context.language)
            return Views.redirect("/testing/labs")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return try await renderLabs(context: context, values: f.fields.merging(["edit": id]) { a, _ in a }, error: error)
        }
    }

    @Sendable func apiUpdateLab(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(LabInputForm.self, request, context: context)
        let lab = try await campaigns.updateLab(id: try context.parameters.require("id"), input, user: context.user, language: context.language)
        struct Body: Encodable { let data: LabRecord }
        return try JSON.response(Body(data: lab))
    }

    @Sendable func apiLabs(_ request: Request, context: AuthedContext) async throws -> Response {
        let labs = try await database.read { try await TestingQueries.labs($0, activeOnly: false) }
        struct Body: Encodable { let data: [LabRecord] }
        return try JSON.response(Body(data: labs))
    }

    @Sendable func apiCreateLab(_ request: Request, context: AuthedContext) async throws -> Response {
        let input = try await APIBody.decode(LabInputForm.self, request, context: context)
        let lab = try await campaigns.createLab(input, user: context.user, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: LabRecord }
        return try JSON.response(Body(data: lab), status: .created)
    }
}
