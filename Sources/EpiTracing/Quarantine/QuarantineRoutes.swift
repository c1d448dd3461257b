import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// Quarantine and isolation episodes, facilities with live occupancy, and transfers: pages and `/api/v1`.
package struct QuarantineRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var quarantine: QuarantineService { QuarantineService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("quarantine", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: list)
        pages.get("quarantine/new", .can(.manageQuarantine), use: newForm)
        pages.post("quarantine", .anyOf([.manageQuarantine, .manageFacilities]), use: startPage)
        pages.get("quarantine/:id", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: show)
        pages.post("quarantine/:id/tests", .anyOf([.manageQuarantine, .manageFacilities]), use: testPage)
        pages.post("quarantine/:id/extend", .anyOf([.manageQuarantine, .manageFacilities]), use: extendPage)
        pages.post("quarantine/:id/release", .anyOf([.manageQuarantine, .manageFacilities]), use: releasePage)
        pages.get("facilities", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: facilitiesPage)
        pages.post("facilities", .can(.manageFacilities), use: createFacilityPage)
        pages.get("facilities/:id", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: facilityPage)
        pages.post("facilities/:id", .can(.manageFacilities), use: updateFacilityPage)
        pages.get("transfers", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: transfersPage)
        pages.post("transfers", .can(.manageQuarantine), use: requestTransferPage)
        pages.post("transfers/:id/:action", .anyOf([.manageQuarantine, .manageFacilities]), use: transferActionPage)

        api.get("quarantine", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: apiList)
        api.post("quarantine", .anyOf([.manageQuarantine, .manageFacilities]), use: apiStart)
        api.get("quarantine/:id", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: apiShow)
        api.post("quarantine/:id/tests", .anyOf([.manageQuarantine, .manageFacilities]), use: apiTest)
        api.post("quarantine/:id/extend", .anyOf([.manageQuarantine, .manageFacilities]), use: apiExtend)
        api.post("quarantine/:id/release", .anyOf([.manageQuarantine, .manageFacilities]), use: apiRelease)
        api.get("facilities", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: apiFacilities)
        api.post("facilities", .can(.manageFacilities), use: apiCreateFacility)
        api.get("transfers", .anyOf([.viewCases, .manageQuarantine, .manageFacilities]), use: apiTransfers)
        api.post("transfers", .can(.manageQuarantine), use: apiRequestTransfer)
        api.post("transfers/:id/:action", .anyOf([.manageQuarantine, .manageFacilities]), use: apiTransferAction)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope {
        guard context.user.can(.viewCases) || context.user.can(.manageQuarantine) || context.user.can(.manageFacilities) else { throw AppError.forbidden }
        return try await Scope.of(context.user, directory: services.directory)
    }

    /// The people a list may show by their ward: the user's scope for ward and case staff, nobody for
    /// facility staff, who see people only through the facilities they run.
    private func wardListing(_ context: AuthedContext, _ scope: Scope) -> Scope {
        context.user.can(.viewCases) || context.user.can(.manageQuarantine) ? scope : Scope.nothing(root: scope.root)
    }

    /// Facilities the user runs (facility staff see people through their facility, not their ward).
    private func ownFacilities(_ context: AuthedContext, _ db: any SQLDatabase) async throws -> [FacilityRecord] {
        guard context.user.can(.manageFacilities) else { return [] }
        let scope = try await Scope.of(context.user, directory: services.directory)
        return try await QuarantineService.facilities(db, scope: scope.wholeWard)
    }

    struct EpisodeRow: Codable, Sendable {
        let id: String, personId: String, fullName: String, kind: String, setting: String, facilityId: String?, unitPath: String
        let startDate: String, plannedEnd: String, testsDue: Int
    }

    /// Active episodes of people in scope or in the user's facilities, ending soonest first.
    private func active(_ db: any SQLDatabase, scope: Scope, facilityIDs: [String], after: String?, limit: Int = 100) async throws -> [EpisodeRow] {
        var condition: SQLQueryString = scope.condition("e")
        if !facilityIDs.isEmpty { condition = "(\(condition) OR e.facility_id IN (\(binds: facilityIDs)))" }
        var sql: SQLQueryString = """
            SELECT e.id, e.person_id, p.full_name, e.kind, e.setting, e.facility_id, e.unit_path, e.start_date, e.planned_end,
                   (SELECT COUNT(*) FROM episode_tests t WHERE t.episode_id = e.id AND t.result = 'pending' AND t.due_on <= \(bind: Clock.today().iso)) AS tests_due
            FROM episodes e JOIN persons p ON p.id = e.person_id WHERE e.status = 'active' AND \(condition)
            """
        if let after, let (end, id) = PersonQueries.decodeCursor(after) { sql = "\(sql) AND (e.planned_end > \(bind: end) OR (e.planned_end = \(bind: end) AND e.id > \(bind: id)))" }
        sql = "\(sql) ORDER BY e.planned_end, e.id LIMIT \(literal: limit + 1)"
        return try await db.raw(sql).all(decoding: EpisodeRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    // MARK: pages

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let (rows, facilities, gauges) = try await database.read { db in
            let own = try await ownFacilities(context, db)
            return (try await active(db, scope: wardListing(context, scope), facilityIDs: own.map(\.id), after: request.query("after")),
                    try await QuarantineService.facilities(db, scope: nil),
                    try await Counters.gauges(db, scope: scope, [.quarantineFacility, .quarantineHome, .isolationHome, .isolationFacility, .hospital]))
        }
        try await Audit.viewed(database, user: context.user, people: rows.prefix(100).map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách cách ly")
        let l = context.language
        var out: [[String: Any]] = []
        for r in rows.prefix(100) {
            // Every row names its facility, or says it has none: a row never borrows a value from the page.
            out.append(["id": r.id, "name": r.fullName, "kind": context.label("episode_kind", r.kind), "setting": CaseView.care(r.setting, l),
                        "facility": r.facilityId.flatMap { id in facilities.first { $0.id == id }?.name } ?? "", "unit": await services.directory.cached(r.unitPath)?.name ?? "",
                        "start": CaseView.date(r.startDate), "end": CaseView.date(r.plannedEnd), "testsDue": r.testsDue, "hasTestsDue": r.testsDue > 0])
        }
        let next = rows.count > 100 ? rows.dropLast().last.map { "/quarantine?after=\(PersonQueries.encodeCursor(name: $0.plannedEnd, id: $0.id))" } : nil
        return services.views.page("quarantine/list", title: context.t("Cách ly", "Quarantine"), context: context, data: [
            "rows": out, "hasRows": !out.isEmpty, "next": next as Any, "canContacts": context.user.can(.viewCases),
            "figFacility": NumberFormat.localized(gauges[.quarantineFacility] ?? 0, language: l), "figHome": NumberFormat.localized(gauges[.quarantineHome] ?? 0, language: l),
            "figF0Home": NumberFormat.localized(gauges[.isolationHome] ?? 0, language: l),
            "figF0Facility": NumberFormat.localized((gauges[.isolationFacility] ?? 0) + (gauges[.hospital] ?? 0), language: l),
            "scopeLabel": await services.directory.label(scope.root.string),
        ], active: "quarantine")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        guard context.user.can(.manageQuarantine) else { throw AppError.forbidden }
        guard let id = request.query("person"), let person = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Mở hồ sơ vào phiếu cách ly")
        let subject = request.query("subject") ?? "f1"
        return try await startForm(context: context, person: person, values: ["subject": subject, "setting": subject == "f0" ? "home" : "facility"], error: nil)
    }

    private func startForm(context: AuthedContext, person: PersonRecord, values: [String: String], error: AppError?) async throws -> Response {
        let l = context.language
        let (facilities, rules) = try await database.read { (try await QuarantineService.facilities($0, scope: nil), try await QuarantineService.rules($0)) }
        let today = Clock.today()
        let preview = QuarantineSubject.allCases.flatMap { s in CareSetting.allCases.compactMap { c -> [String: Any]? in
            guard let r = QuarantinePolicy.rule(for: s, setting: c, on: today, rules: rules), r.subject == s, r.setting == c else { return nil }
            return ["subject": context.label("q_subject", s.rawValue), "setting": context.label("care_setting", c.rawValue), "days": r.days, "monitoring": r.monitoringDays,
                    "tests": r.testDays.map(String.init).joined(separator: ", "), "from": r.effectiveFrom.vietnamese]
        } }
        return services.views.page("quarantine/new", title: context.t("Bắt đầu cách ly", "Start quarantine"), context: context, data: [
            "personId": person.id, "name": person.fullName, "birth": CaseView.date(person.birthDate), "formKey": Idempotency.newKey(),
            "subjects": CaseView.options("q_subject", QuarantineSubject.self, selected: values["subject"], l),
            "settings": CaseView.options("care_setting", CareSetting.self, selected: values["setting"], l),
            "facilities": facilities.map { ["id": $0.id, "name": $0.name, "load": "\($0.occupancy)/\($0.capacity)", "full": $0.occupancy >= $0.capacity, "selected": $0.id == values["facility_id"]] },
            "today": today.vietnamese, "rules": preview, "error": error.map { $0.message(l) } as Any, "err": CaseView.fieldErrors(error),
            "errorList": CaseView.errorList(error, l),
        ], status: error?.status ?? .ok, active: "quarantine")
    }

    @Sendable func startPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let f = context.form ?? FormData()
        let input = QuarantineService.StartInput(personId: f.value("person_id") ?? "", subject: f.value("subject"), setting: f.value("setting"),
                                                 facilityId: f.value("facility_id"), startDate: f.value("start_date"), note: f.value("note"))
        do {
            let episode = try await quarantine.start(input, user: context.user, scope: scope, key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/quarantine/\(episode.id)")
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            guard let person = try await database.read({ try await PersonQueries.find($0, id: input.personId, scope: scope) }) else { throw error }
            return try await startForm(context: context, person: person, values: f.fields, error: error)
        }
    }

    private func episodeOr404(_ context: AuthedContext, scope: Scope) async throws -> EpisodeRecord {
        let id = try context.parameters.require("id")
        return try await database.read { db in
            guard let e = try await QuarantineService.episode(db, id: id) else { throw AppError.notFound }
            if context.user.can(.viewCases), scope.contains(unitPath: e.unitPath, groupCode: e.groupCode) { return e }
            try await quarantine.authorize(e, user: context.user, scope: scope, db: db)
            return e
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let e = try await episodeOr404(context, scope: scope)
        let l = context.language
        let (person, maskedName, tests, rule, facility, history) = try await database.transaction { db in
            try await Audit.record(db, actor: context.user, action: "view", entityType: "person", entityId: e.personId, unitPath: try? UnitPath(e.unitPath), summary: "Xem hồ sơ qua đợt cách ly")
            // The person's details go to their own unit and to the facility holding them; a ward looking at an
            // old episode of someone who has since moved away sees initials only.
            var runsFacility = false
            if let fid = e.facilityId, let f = try await QuarantineService.facility(db, id: fid), let path = try? UnitPath(f.unitPath) {
                runsFacility = context.user.can(.manageFacilities) && context.user.covers(path)
            }
            var person = try await PersonQueries.find(db, id: e.personId, scope: scope)
            if person == nil, runsFacility { person = try await PersonQueries.find(db, grant: .authorizedEpisode(personID: e.personId)) }
            let masked = person == nil ? try await PersonQueries.find(db, grant: .authorizedEpisode(personID: e.personId)).map { CaseView.masked($0.fullName) } : nil
            return (person, masked,
                    try await QuarantineService.tests(db, episodeID: e.id),
                    try await QuarantineService.rules(db).first { $0.id == e.ruleId },
                    try await e.facilityId.asyncMap { try await QuarantineService.facility(db, id: $0) } ?? nil,
                    try await Audit.history(db, entityType: "episode", entityId: e.id, limit: 50))
        }
        let canAct = (try? await database.read { db in try await quarantine.authorize(e, user: context.user, scope: scope, db: db) }) != nil
        let today = Clock.today()
        let positive = tests.contains { $0.result == "positive" }
        return services.views.page("quarantine/show", title: person?.fullName ?? maskedName ?? "", context: context, data: [
            "id": e.id, "personId": e.personId, "name": person?.fullName ?? maskedName ?? "", "birth": CaseView.date(person?.birthDate), "address": person?.address ?? "",
            "personVisible": person != nil && context.user.can(.viewPeople), "movedAway": person == nil,
            "kind": context.label("episode_kind", e.kind),
            "subject": context.label("q_subject", e.subject), "setting": CaseView.care(e.setting, l),
            "facility": facility?.name ?? "", "facilityId": facility?.id ?? "", "start": CaseView.date(e.startDate), "end": CaseView.date(e.plannedEnd),
            "monitoringEnd": CaseView.date(e.monitoringEnd), "extra": e.extraDays, "hasExtra": e.extraDays > 0, "status": context.label("episode_status", e.status), "statusKey": e.status, "active": e.isActive,
            "releasedOn": CaseView.date(e.releasedOn), "note": SystemNote.render(e.note, l),
            "rule": rule.map { ["days": $0.days, "monitoring": $0.monitoringDays, "tests": $0.testDays.map(String.init).joined(separator: ", "), "from": $0.effectiveFrom.vietnamese] } as Any,
            "tests": tests.map { t in ["day": t.dayNumber, "due": CaseView.date(t.dueOn), "result": context.label("test_result", t.result), "resultKey": t.result,
                                       "pending": t.result == "pending",
                                       "late": t.result == "pending" && (CivilDate(iso: t.dueOn).map { $0 < today } ?? false), "taken": CaseView.date(t.takenOn)] },
            "positive": positive, "canAct": canAct && e.isActive, "canCase": context.user.can(.editCases), "isFacility": e.facilityId != nil,
            "today": today.vietnamese, "history": TracingHistory.rows(history, language: l, names: [e.personId: person?.fullName ?? maskedName ?? ""]
                .merging(facility.map { [$0.id: $0.name] } ?? [:]) { a, _ in a }),
            "early": request.query("early").map { ["day": $0, "result": request.query("result") ?? "", "taken": request.query("taken") ?? ""] } as Any,
        ], active: "quarantine")
    }

    @Sendable func testPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        do {
            _ = try await quarantine.recordTest(episodeID: id, day: f.value("day").flatMap(Int.init) ?? 0, result: f.value("result") ?? "", takenOn: f.value("taken_on"),
                                                confirmEarly: f.value("confirm_early") == "1", user: context.user, scope: scope, language: context.language)
        } catch let error as AppError where error.code == "early_test" {
            // Back to the episode with the question; the form there offers the confirmation.
            return Views.redirect("/quarantine/\(id)?early=\(f.value("day") ?? "")&result=\(f.value("result") ?? "")&taken=\(CaseRoutes.urlEncode(f.value("taken_on") ?? ""))")
        }
        return Views.redirect("/quarantine/\(id)")
    }

    @Sendable func extendPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        _ = try await quarantine.extend(episodeID: id, days: f.value("days").flatMap(Int.init) ?? 0, reason: f.value("reason") ?? "", user: context.user, scope: scope)
        return Views.redirect("/quarantine/\(id)")
    }

    @Sendable func releasePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let f = context.form ?? FormData()
        let day = try DateInput.parse(f.value("released_on"), field: "released_on")
        _ = try await quarantine.release(episodeID: id, on: day, outcome: f.value("outcome") ?? "released", note: f.value("note") ?? "",
                                         returnHome: f.value("return_home") == "1", user: context.user, scope: scope, language: context.language)
        return Views.redirect("/quarantine/\(id)")
    }

    @Sendable func facilitiesPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let (facilities, all, scenarios, threshold) = try await database.read { db in
            (try await QuarantineService.facilities(db, scope: scope.wholeWard), try await QuarantineService.facilities(db, scope: nil),
             try await db.raw("SELECT label, beds FROM capacity_scenarios ORDER BY beds").all().map { (try $0.decode(column: "label", as: String.self), try $0.decode(column: "beds", as: Int.self)) },
             try await Policies.value(db, .facilityAlertPercent))
        }
        let l = context.language
        // The 30,000/40,000/50,000 scenarios are places for people in centralized quarantine: they are
        // compared with quarantine facilities only; hospital and field-hospital beds are their own figure.
        let places = all.filter { $0.kind == FacilityKind.quarantine.rawValue }, beds = all.filter { $0.kind != FacilityKind.quarantine.rawValue }
        let occupancy = places.reduce(0) { $0 + $1.occupancy }, capacity = places.reduce(0) { $0 + $1.capacity }
        let bedsUsed = beds.reduce(0) { $0 + $1.occupancy }, bedsTotal = beds.reduce(0) { $0 + $1.capacity }
        var rows: [[String: Any]] = []
        for f in facilities {
            rows.append(["id": f.id, "name": f.name, "kind": context.label("facility_kind", f.kind),
                         "unit": await services.directory.label(f.unitPath), "occupancy": NumberFormat.localized(f.occupancy, language: l),
                         "capacity": NumberFormat.localized(f.capacity, language: l),
                         "percent": f.loadPercent, "bar": min(f.loadPercent, 100), "alert": f.loadPercent >= threshold])
        }
        let isWard = await services.directory.isLowestAdministrative(context.user.unitPath.string)
        let canCreate = context.user.can(.manageFacilities) && !isWard
        var units = await services.directory.all().filter { !$0.isGroup && ((try? UnitPath($0.path)).map(context.user.covers) ?? false) }.sorted { $0.path < $1.path }
        if units.count > 700 { units = Array(units.prefix(700)) }
        return services.views.page("quarantine/facilities", title: context.t("Cơ sở cách ly", "Quarantine facilities"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "isCity": scope.coversEverything,
            "totalOccupancy": NumberFormat.localized(occupancy, language: l), "totalCapacity": NumberFormat.localized(capacity, language: l),
            "bedsUsed": NumberFormat.localized(bedsUsed, language: l), "bedsTotal": NumberFormat.localized(bedsTotal, language: l), "hasBeds": !beds.isEmpty,
            // The stored scenario label is Vietnamese (seeded as "Kịch bản 30.000 giường"): the reader's words come from the place count.
            "scenarios": scenarios.map { s in
                let percent = s.1 > 0 ? occupancy * 100 / s.1 : 0
                return ["label": context.t("Kịch bản \(NumberFormat.localized(s.1, language: .vi)) chỗ cách ly tập trung", "Scenario: \(NumberFormat.localized(s.1, language: .en)) centralized quarantine places"),
                        "percent": percent, "bar": min(percent, 100), "alert": percent >= threshold] as [String: Any]
            },
            "canCreate": canCreate, "formKey": Idempotency.newKey(),
            "kinds": CaseView.options("facility_kind", FacilityKind.self, selected: "quarantine", l),
            "units": units.map { ["path": $0.path, "name": $0.name, "depth": $0.depth] },
        ], active: "facilities")
    }

    struct FacilityInput: Codable, Sendable {
        var name: String?
        var kind: String?
        var unit: String?
        var address: String?
        var capacity: Int?
        var active: Bool?
    }

    func createFacility(_ input: FacilityInput, context: AuthedContext, key: IdempotencyKey?) async throws -> FacilityRecord {
        try context.require(.manageFacilities)
        let name = (input.name ?? "").trimmed
        var errors: [String: String] = [:]
        if name.isEmpty { errors["name"] = "required" } else if name.count > TextLimits.name { errors["name"] = "too_long" }
        let kind = FacilityKind(rawValue: input.kind ?? "quarantine")
        if kind == nil { errors["kind"] = "invalid" }
        let capacity = input.capacity ?? -1
        if !(1...100_000).contains(capacity) { errors["capacity"] = "out_of_range" }
        let unitPath = (input.unit ?? "").replacingOccurrences(of: ".", with: "/")
        guard let path = try? UnitPath(unitPath), let unit = try await services.directory.unit(path.string), !unit.isGroup, context.user.covers(path) else {
            errors["unit"] = "outside_scope"
            throw AppError.invalid("Chọn đơn vị trong địa bàn của bạn.", "Choose a unit in your jurisdiction.", details: errors)
        }
        guard errors.isEmpty, let kind else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu (sức chứa 1–100.000).", "Please correct the marked fields (capacity 1–100,000).", details: errors) }
        let now = Timestamp.now()
        let record = FacilityRecord(id: Identifier.make(), name: name, kind: kind.rawValue, unitPath: unit.path, groupCode: "", address: (input.address ?? "").trimmed,
                                    capacity: capacity, occupancy: 0, active: true, createdAt: now, updatedAt: now, version: 1)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: context.user, id: \.id, load: { try await QuarantineService.facility(db, id: $0) }) {
                try await db.raw("""
                    INSERT INTO facilities (\(unsafeRaw: FacilityRecord.columns)) VALUES (\(bind: record.id), \(bind: record.name), \(bind: record.kind), \(bind: record.unitPath), '',
                    \(bind: record.address), \(bind: record.capacity), 0, \(bind: true), \(bind: now), \(bind: now), 1)
                    """).run()
                try await Audit.record(db, actor: context.user, action: "create", entityType: "facility", entityId: record.id, unitPath: path,
                                       summary: "Thêm cơ sở \(record.name) (\(record.capacity) chỗ)")
                return record
            }
        }
    }

    @Sendable func createFacilityPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let f = context.form ?? FormData()
        let facility = try await createFacility(FacilityInput(name: f.value("name"), kind: f.value("kind"), unit: f.value("unit"), address: f.value("address"),
                                                              capacity: f.value("capacity").flatMap(Int.init)), context: context, key: Idempotency.key(request, context))
        return Views.redirect("/facilities/\(facility.id)")
    }

    private func facilityOr404(_ context: AuthedContext, scope: Scope) async throws -> FacilityRecord {
        let id = try context.parameters.require("id")
        guard let f = try await database.read({ try await QuarantineService.facility($0, id: id) }), context.user.covers(try UnitPath(f.unitPath)) || context.user.can(.viewCases) else {
            throw AppError.notFound
        }
        return f
    }

    @Sendable func facilityPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let f = try await facilityOr404(context, scope: scope)
        let runs = context.user.covers(try UnitPath(f.unitPath)) && context.user.can(.manageFacilities)
        let threshold = try await database.read { try await Policies.value($0, .facilityAlertPercent) }
        let (residents, arrivals) = try await database.read { db in
            (try await db.raw("""
                SELECT e.id, e.person_id, p.full_name, p.birth_date, e.unit_path, e.kind, e.start_date, e.planned_end FROM episodes e JOIN persons p ON p.id = e.person_id
                WHERE e.facility_id = \(bind: f.id) AND e.status = 'active' ORDER BY e.planned_end LIMIT 1000
                """).all(),
             try await TransferService.open(db, scope: Scope.nothing(root: scope.root), facilityIDs: [f.id]))
        }
        var rows: [[String: Any]] = []
        for r in residents {
            let unit = try r.decode(column: "unit_path", as: String.self)
            // Other wards' people in this facility are shown to its staff, and by initials to others.
            let visible = runs || scope.contains(unitPath: unit, groupCode: nil)
            let name = try r.decode(column: "full_name", as: String.self)
            rows.append(["id": try r.decode(column: "id", as: String.self), "name": visible ? name : CaseView.masked(name), "visible": visible,
                         "unit": await services.directory.cached(unit)?.name ?? "", "kind": try r.decode(column: "kind", as: String.self) == "isolation" ? "F0" : "F1",
                         "start": CaseView.date(try r.decode(column: "start_date", as: String.self)), "end": CaseView.date(try r.decode(column: "planned_end", as: String.self))])
        }
        return services.views.page("quarantine/facility", title: f.name, context: context, data: [
            "id": f.id, "name": f.name, "unitLabel": await services.directory.label(f.unitPath), "address": f.address,
            "occupancy": NumberFormat.localized(f.occupancy, language: context.language), "capacity": NumberFormat.localized(f.capacity, language: context.language),
            "capacityValue": f.capacity, "percent": f.loadPercent, "bar": min(f.loadPercent, 100), "alert": f.loadPercent >= threshold, "version": f.version,
            "residents": rows, "hasResidents": !rows.isEmpty,
            "arrivals": arrivals.filter { $0.kind != "return_home" }.map { ["id": $0.id, "name": runs ? $0.fullName : CaseView.masked($0.fullName), "scheduled": DisplayTime.format($0.scheduledAt),
                                           "vehicle": $0.vehicle, "status": context.label("transfer_status", $0.status)] },
            "runs": runs, "csrf": context.csrfToken,
        ], active: "facilities")
    }

    @Sendable func updateFacilityPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.manageFacilities)
        let f = try await facilityOr404(context, scope: scope)
        guard context.user.covers(try UnitPath(f.unitPath)) else { throw AppError.notFound }
        let form = context.form ?? FormData()
        guard let capacity = form.value("capacity").flatMap(Int.init), (1...100_000).contains(capacity) else {
            throw AppError.invalid("Sức chứa từ 1 đến 100.000.", "Capacity from 1 to 100,000.", details: ["capacity": "out_of_range"])
        }
        guard capacity >= f.occupancy else {
            throw AppError.invalid("Sức chứa không thể nhỏ hơn số người đang ở (\(f.occupancy)).", "Capacity cannot be below current occupancy (\(f.occupancy)).", details: ["capacity": "below_occupancy"])
        }
        try await database.transaction { db in
            let rows = try await db.raw("UPDATE facilities SET capacity = \(bind: capacity), updated_at = \(bind: Timestamp.now()), version = version + 1 WHERE id = \(bind: f.id) AND occupancy <= \(bind: capacity) RETURNING id").all()
            if rows.isEmpty { throw AppError.conflict }
            try await Audit.record(db, actor: context.user, action: "update", entityType: "facility", entityId: f.id, unitPath: try? UnitPath(f.unitPath),
                                   summary: "Sức chứa \(f.name): \(f.capacity) → \(capacity)", changes: [FieldChange("capacity", old: String(f.capacity), new: String(capacity))])
        }
        return Views.redirect("/facilities/\(f.id)")
    }

    @Sendable func transfersPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let (rows, facilities) = try await database.read { db in
            let own = try await ownFacilities(context, db)
            return (try await TransferService.open(db, scope: wardListing(context, scope), facilityIDs: own.map(\.id)),
                    try await QuarantineService.facilities(db, scope: nil))
        }
        let l = context.language
        var out: [[String: Any]] = []
        for r in rows {
            out.append(["id": r.id, "name": r.fullName, "kind": Strings.label("transfer_kind", r.kind, l), "facility": r.facilityName ?? "",
                        "pickup": r.pickup, "destination": r.destination, "vehicle": r.vehicle, "scheduled": DisplayTime.format(r.scheduledAt),
                        "status": Strings.label("transfer_status", r.status, l), "statusKey": r.status,
                        "requested": r.status == "requested", "unit": await services.directory.cached(r.unitPath)?.name ?? ""])
        }
        return services.views.page("quarantine/transfers", title: context.t("Điều chuyển", "Transfers"), context: context, data: [
            "rows": out, "hasRows": !out.isEmpty, "facilities": facilities.map { ["id": $0.id, "name": $0.name, "load": "\($0.occupancy)/\($0.capacity)"] },
            "canAct": context.user.can(.manageQuarantine) || context.user.can(.manageFacilities), "person": request.query("person") as Any, "formKey": Idempotency.newKey(),
        ], active: "facilities")
    }

    struct TransferInput: Codable, Sendable {
        var personId: String
        var facilityId: String?
        var kind: String?
        var scheduledAt: String?
        var vehicle: String?
        var pickup: String?
    }

    func requestTransfer(_ input: TransferInput, context: AuthedContext, key: IdempotencyKey?) async throws -> TransferRecord {
        guard context.user.can(.manageQuarantine) else { throw AppError.forbidden }
        let scope = try await Scope.of(context.user, directory: services.directory)
        let kind = input.kind ?? "to_facility"
        guard ["to_facility", "to_hospital"].contains(kind) else { throw AppError.invalid("Loại điều chuyển không hợp lệ.", "Invalid transfer kind.", details: ["kind": "invalid"]) }
        var when = Clock.now().addingTimeInterval(3600)
        if let raw = input.scheduledAt, !raw.isEmpty {
            // "dd/mm/yyyy hh:mm" in Vietnam time, or ISO 8601.
            let parts = raw.split(separator: " ")
            if let d = try? CivilDate(parsing: String(parts[0])) {
                let hm = parts.count > 1 ? parts[1].split(separator: ":").compactMap { Int($0) } : [8, 0]
                when = VietnamTime.instant(d, hour: hm.first ?? 8, minute: hm.count > 1 ? hm[1] : 0)
            } else if let d = Timestamp.date(raw) { when = d } else {
                throw AppError.invalid("Thời gian không hợp lệ (dd/mm/yyyy hh:mm).", "Invalid time (dd/mm/yyyy hh:mm).", details: ["scheduled_at": "invalid"])
            }
        }
        let scheduled = when
        return try await database.transaction { db in
            guard let person = try await PersonQueries.find(db, id: input.personId, scope: scope) else { throw AppError.notFound }
            guard let fid = input.facilityId, let facility = try await QuarantineService.facility(db, id: fid), facility.active else {
                throw AppError.invalid("Chọn cơ sở tiếp nhận.", "Choose the receiving facility.", details: ["facility_id": "required"])
            }
            return try await Idempotency.createOnce(db, key: key, user: context.user, id: \.id, load: { try await TransferService.find(db, id: $0) }) {
                if try await db.raw("SELECT id FROM transfers WHERE person_id = \(bind: person.id) AND status IN ('requested', 'dispatched') AND kind <> 'return_home'").first() != nil {
                    throw AppError(.conflict, code: "transfer_open", vi: "Người này đã có yêu cầu điều chuyển chưa hoàn thành.", en: "This person already has an open transfer.")
                }
                let now = Timestamp.now()
                let active = try await db.raw("SELECT id FROM episodes WHERE person_id = \(bind: person.id) AND status = 'active'").first().map { try $0.decode(column: "id", as: String.self) }
                let t = TransferRecord(id: Identifier.make(), personId: person.id, episodeId: active, kind: kind, facilityId: facility.id, unitPath: person.unitPath,
                                       groupCode: person.groupCode ?? "", pickup: (input.pickup ?? person.address).trimmed, destination: facility.name,
                                       vehicle: (input.vehicle ?? "").trimmed, scheduledAt: Timestamp.string(scheduled), status: (input.vehicle ?? "").trimmed.isEmpty ? "requested" : "dispatched",
                                       requestedBy: context.user.username, createdAt: now, updatedAt: now, completedAt: nil, version: 1)
                try await TransferService.insert(db, t)
                try await Audit.record(db, actor: context.user, action: "create", entityType: "transfer", entityId: t.id, unitPath: try? UnitPath(t.unitPath),
                                       summary: "Yêu cầu chuyển \(person.fullName) đến \(facility.name) lúc \(VietnamTime.display(scheduled))")
                return t
            }
        }
    }

    @Sendable func requestTransferPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let f = context.form ?? FormData()
        _ = try await requestTransfer(TransferInput(personId: f.value("person_id") ?? "", facilityId: f.value("facility_id"), kind: f.value("kind"),
                                                    scheduledAt: f.value("scheduled_at"), vehicle: f.value("vehicle"), pickup: f.value("pickup")),
                                      context: context, key: Idempotency.key(request, context))
        return Views.redirect("/transfers")
    }

    /// dispatch (with a vehicle), complete (arrival: admission to the facility), or cancel.
    func transferAction(id: String, action: String, vehicle: String?, context: AuthedContext) async throws -> TransferRecord {
        let scope = try await Scope.of(context.user, directory: services.directory)
        guard ["dispatch", "complete", "cancel"].contains(action) else { throw AppError.notFound }
        let (t, facility) = try await database.read { db -> (TransferRecord, FacilityRecord?) in
            guard let t = try await TransferService.find(db, id: id) else { throw AppError.notFound }
            let facility = try await t.facilityId.asyncMap { try await QuarantineService.facility(db, id: $0) } ?? nil
            let byWard = context.user.can(.manageQuarantine) && scope.contains(unitPath: t.unitPath, groupCode: t.groupCode)
            let byFacility = context.user.can(.manageFacilities) && (facility.flatMap { try? UnitPath($0.unitPath) }.map(context.user.covers) ?? false)
            guard byWard || byFacility else { throw AppError.notFound }
            return (t, facility)
        }
        guard t.status == "requested" || t.status == "dispatched" else {
            throw AppError(.conflict, code: "transfer_closed", vi: "Điều chuyển đã kết thúc.", en: "This transfer is closed.")
        }
        return try await database.transaction { db in
            let status = action == "dispatch" ? "dispatched" : action == "complete" ? "completed" : "cancelled"
            let now = Timestamp.now()
            let typed = (vehicle ?? "").trimmed
            let newVehicle = typed.isEmpty ? t.vehicle : typed
            if action == "dispatch" && newVehicle.isEmpty {
                throw AppError.invalid("Ghi biển số xe/phương tiện.", "Enter the vehicle.", details: ["vehicle": "required"])
            }
            if action == "complete", t.kind != "return_home", let facility {
                // Arrival: the quarantine continues in the facility from its original start, all in this transaction,
                // so a full facility refuses without ending the episode the person came from. Levels are recomputed
                // once, when the new episode begins.
                guard let person = try await PersonQueries.find(db, grant: .authorizedTransfer(personID: t.personId)) else { throw AppError.notFound }
                let existing = try await QuarantineService.episodes(db, personID: t.personId).first { $0.isActive }
                let hasCase = try await db.raw("SELECT id FROM cases WHERE person_id = \(bind: t.personId) AND outcome IN ('active', 'transferred')").first() != nil
                if let existing {
                    _ = try await QuarantineService.end(db, existing, outcome: "transferred", on: Clock.today(), note: "Chuyển đến \(facility.name)",
                                                        returnHome: false, user: context.user, language: context.language, recomputeLevels: false)
                }
                let subject = existing.flatMap { QuarantineSubject(rawValue: $0.subject) } ?? (hasCase ? .f0 : .f1)
                let start = existing.flatMap { CivilDate(iso: $0.startDate) } ?? Clock.today()
                _ = try await QuarantineService.begin(db, person: person, subject: subject, setting: t.kind == "to_hospital" ? .hospital : .facility,
                                                      facility: facility, start: start, note: "Tiếp nhận từ điều chuyển", user: context.user, language: context.language)
            }
            let rows = try await db.raw("""
                UPDATE transfers SET status = \(bind: status), vehicle = \(bind: newVehicle), updated_at = \(bind: now), completed_at = \(bind: action == "complete" ? now : nil),
                version = version + 1 WHERE id = \(bind: t.id) AND version = \(bind: t.version) RETURNING id
                """).all()
            if rows.isEmpty { throw AppError.conflict }
            try await Audit.record(db, actor: context.user, action: action, entityType: "transfer", entityId: t.id, unitPath: try? UnitPath(t.unitPath),
                                   summary: "Điều chuyển: \(status)" + (newVehicle.isEmpty ? "" : " (\(newVehicle))"), changes: [FieldChange("status", old: t.status, new: status)])
            var out = t
            out.status = status
            out.vehicle = newVehicle
            return out
        }
    }

    @Sendable func transferActionPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        _ = try await transferAction(id: try context.parameters.require("id"), action: try context.parameters.require("action"), vehicle: context.form?.value("vehicle"), context: context)
        return Views.redirect(local: context.form?.value("back"), fallback: "/transfers")
    }

    // MARK: API

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let rows = try await database.read { db in
            try await active(db, scope: wardListing(context, scope), facilityIDs: try await ownFacilities(context, db).map(\.id), after: request.query("after"), limit: 200)
        }
        struct Body: Encodable { let data: [EpisodeRow]; let nextCursor: String? }
        let page = Array(rows.prefix(200))
        try await Audit.viewed(database, user: context.user, people: page.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách cách ly")
        return try JSON.response(Body(data: page, nextCursor: rows.count > 200 ? page.last.map { PersonQueries.encodeCursor(name: $0.plannedEnd, id: $0.id) } : nil))
    }

    @Sendable func apiStart(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let input = try await APIBody.decode(QuarantineService.StartInput.self, request, context: context)
        let e = try await quarantine.start(input, user: context.user, scope: scope, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: EpisodeRecord }
        return try JSON.response(Body(data: e), status: .created)
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let e = try await episodeOr404(context, scope: scope)
        let tests = try await database.read { try await QuarantineService.tests($0, episodeID: e.id) }
        try await Audit.viewed(database, user: context.user, people: [(e.personId, e.unitPath)], summary: "Xem đợt cách ly qua API")
        struct Body: Encodable { let data: EpisodeRecord; let tests: [EpisodeTestRecord] }
        return try JSON.response(Body(data: e, tests: tests))
    }

    @Sendable func apiTest(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let day: Int; let result: String; let takenOn: String?; let confirmEarly: Bool? }
        let body = try await APIBody.decode(In.self, request, context: context)
        let t = try await quarantine.recordTest(episodeID: try context.parameters.require("id"), day: body.day, result: body.result, takenOn: body.takenOn,
                                                confirmEarly: body.confirmEarly ?? false, user: context.user, scope: scope, language: context.language)
        struct Body: Encodable { let data: EpisodeTestRecord }
        return try JSON.response(Body(data: t))
    }

    @Sendable func apiExtend(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let days: Int; let reason: String }
        let body = try await APIBody.decode(In.self, request, context: context)
        let e = try await quarantine.extend(episodeID: try context.parameters.require("id"), days: body.days, reason: body.reason, user: context.user, scope: scope)
        struct Body: Encodable { let data: EpisodeRecord }
        return try JSON.response(Body(data: e))
    }

    @Sendable func apiRelease(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let outcome: String?; let releasedOn: String?; let note: String?; let returnHome: Bool? }
        let body = try await APIBody.decode(In.self, request, context: context)
        let day = try DateInput.parse(body.releasedOn, field: "released_on")
        let e = try await quarantine.release(episodeID: try context.parameters.require("id"), on: day, outcome: body.outcome ?? "released", note: body.note ?? "",
                                             returnHome: body.returnHome ?? false, user: context.user, scope: scope, language: context.language)
        struct Body: Encodable { let data: EpisodeRecord }
        return try JSON.response(Body(data: e))
    }

    @Sendable func apiFacilities(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let (own, all) = try await database.read { (try await QuarantineService.facilities($0, scope: scope.wholeWard), try await QuarantineService.facilities($0, scope: nil)) }
        struct Totals: Encodable { let occupancy: Int; let capacity: Int }
        struct Body: Encodable { let data: [FacilityRecord]; let quarantinePlaces: Totals; let hospitalBeds: Totals }
        let places = all.filter { $0.kind == FacilityKind.quarantine.rawValue }, beds = all.filter { $0.kind != FacilityKind.quarantine.rawValue }
        return try JSON.response(Body(data: own, quarantinePlaces: Totals(occupancy: places.reduce(0) { $0 + $1.occupancy }, capacity: places.reduce(0) { $0 + $1.capacity }),
                                      hospitalBeds: Totals(occupancy: beds.reduce(0) { $0 + $1.occupancy }, capacity: beds.reduce(0) { $0 + $1.capacity })))
    }

    @Sendable func apiCreateFacility(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let input = try await APIBody.decode(FacilityInput.self, request, context: context)
        let f = try await createFacility(input, context: context, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: FacilityRecord }
        return try JSON.response(Body(data: f), status: .created)
    }

    @Sendable func apiTransfers(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let rows = try await database.read { db in try await TransferService.open(db, scope: wardListing(context, scope), facilityIDs: try await ownFacilities(context, db).map(\.id)) }
        struct Body: Encodable { let data: [TransferService.Row] }
        return try JSON.response(Body(data: rows))
    }

    @Sendable func apiRequestTransfer(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let input = try await APIBody.decode(TransferInput.self, request, context: context)
        let t = try await requestTransfer(input, context: context, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: TransferRecord }
        return try JSON.response(Body(data: t), status: .created)
    }

    @Sendable func apiTransferAction(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        struct In: Decodable { let vehicle: String? }
        let body = (try? await APIBody.decode(In.self, request, context: context)) ?? In(vehicle: nil)
        let t = try await transferAction(id: try context.parameters.require("id"), action: try context.parameters.require("action"), vehicle: body.vehicle, context: context)
        struct Body: Encodable { let data: TransferRecord }
        return try JSON.response(Body(data: t))
    }
}
