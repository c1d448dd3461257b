import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// F0 cases, their contacts and tracing, clusters and transmission chains: pages and `/api/v1`.
package struct CaseRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var cases: CaseService { CaseService(services: services) }

    static let contactRows = 5

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("cases", .can(.viewCases), use: list)
        pages.get("cases/new", .can(.editCases), use: newForm)
        pages.post("cases", .can(.editCases), use: createPage)
        pages.get("cases/:id", .can(.viewCases), use: show)
        pages.post("cases/:id", .can(.editCases), use: updatePage)
        pages.post("cases/:id/contacts", .can(.editCases), use: addContactsPage)
        pages.post("cases/:id/exposures/:exposure/reached", .can(.editCases), use: reachedPage)
        pages.post("cases/:id/tracing/close", .can(.editCases), use: closeTracingPage)
        pages.get("cases/:id/chain", .can(.viewCases), use: chainPage)
        pages.get("contacts", .can(.viewCases), use: contactsPage)
        pages.get("tracing", .can(.viewCases), use: tracingPage)
        pages.get("clusters", .can(.viewCases), use: clustersPage)
        pages.post("clusters", .can(.editCases), use: createClusterPage)
        pages.get("clusters/:id", .can(.viewCases), use: clusterPage)

        api.get("cases", .can(.viewCases), use: apiList)
        api.post("cases", .can(.editCases), use: apiCreate)
        api.get("cases/:id", .can(.viewCases), use: apiShow)
        api.put("cases/:id", .can(.editCases), use: apiUpdate)
        api.post("cases/:id/contacts", .can(.editCases), use: apiAddContacts)
        api.get("cases/:id/chain", .can(.viewCases), use: apiChain)
        api.get("cases/:id/home-care", .can(.viewCases), use: apiHomeCare)
        api.post("cases/:id/tracing/close", .can(.editCases), use: apiCloseTracing)
        api.get("contacts", .can(.viewCases), use: apiContacts)
        api.get("tracing", .can(.viewCases), use: apiTracing)
        api.get("clusters", .can(.viewCases), use: apiClusters)
        api.post("clusters", .can(.editCases), use: apiCreateCluster)
        api.get("people/:id/epi", .can(.viewCases), use: apiPersonEpi)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope {
        try context.require(.viewCases)
        return try await Scope.of(context.user, directory: services.directory)
    }

    private func caseOr404(_ context: AuthedContext, scope: Scope) async throws -> CaseRecord {
        let id = try context.parameters.require("id")
        guard let record = try await database.read({ try await CaseQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        return record
    }

    // MARK: pages

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let outcome = request.query("outcome").flatMap(CaseOutcome.init(rawValue:)) ?? (request.query("outcome") == "all" ? nil : .active)
        let page = try await database.read { try await CaseQueries.list($0, scope: scope, outcome: outcome, after: request.query("after")) }
        try await Audit.viewed(database, user: context.user, people: page.rows.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách F0")
        let l = context.language
        var rows: [[String: Any]] = []
        for r in page.rows {
            rows.append(["id": r.id, "number": r.caseNumber, "name": r.fullName, "birth": CaseView.date(r.birthDate), "confirmed": CaseView.date(r.confirmedOn),
                         "unit": await services.directory.cached(r.unitPath)?.name ?? r.unitPath, "care": CaseView.care(r.careSetting, l),
                         "detected": CaseView.detection(r.detectedIn, l), "outcome": CaseView.outcome(r.outcome, l), "outcomeKey": r.outcome])
        }
        let filter = request.query("outcome") ?? "active"
        let next = page.nextCursor.map { "/cases?outcome=\(filter)&after=\($0)" }
        let gauges = try await database.read { try await Counters.gauges($0, scope: scope, [.casesActive, .f1Active, .f2Active, .tracingOpen]) }
        return services.views.page("cases/list", title: context.t("Ca bệnh F0", "Cases (F0)"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "next": next as Any, "canEdit": context.user.can(.editCases),
            "scopeLabel": await services.directory.label(scope.root.string),
            "filters": [("active", context.t("Đang điều trị", "Under care")), ("recovered", context.t("Khỏi bệnh", "Recovered")), ("all", context.t("Tất cả", "All"))]
                .map { ["value": $0.0, "label": $0.1, "selected": $0.0 == filter] },
            "figActive": NumberFormat.localized(gauges[.casesActive] ?? 0, language: l), "figF1": NumberFormat.localized(gauges[.f1Active] ?? 0, language: l),
            "figF2": NumberFormat.localized(gauges[.f2Active] ?? 0, language: l), "figTracing": NumberFormat.localized(gauges[.tracingOpen] ?? 0, language: l),
        ], active: "cases")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editCases)
        var values: [String: String] = ["confirmed_on": Clock.today().vietnamese]
        if let detected = request.query("detected_in") { values["detected_in"] = detected }
        var person: PersonRecord?
        if let id = request.query("person") {
            person = try await database.read { try await PersonQueries.find($0, id: id, scope: scope) }
            guard let person else { throw AppError.notFound }
            try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Mở hồ sơ vào phiếu ghi nhận F0")
        }
        return try await intakeForm(context: context, scope: scope, values: values, person: person, error: nil)
    }

    /// The F0 form: the person, how the case was confirmed, and up to five contacts, in one keyboard pass.
    /// Shown again after a refused save with what was typed and each problem beside its field, or with
    /// the registered people a contact may be (`choices`, by row) to choose from.
    private func intakeForm(context: AuthedContext, scope: Scope, values: [String: String], person: PersonRecord?, error: AppError?,
                            choices: [Int: [PersonRecord]] = [:]) async throws -> Response {
        let l = context.language
        let ownWard = await services.directory.isLowestAdministrative(context.user.unitPath.string) ? context.user.unitPath.string : ""
        let ward = person?.unitPath ?? values["p_unit"] ?? ownWard
        let groups = ward.isEmpty ? [] : await services.directory.children(of: ward).filter(\.isGroup).map { ["code": $0.code, "name": $0.name, "selected": $0.code == values["p_group_code"]] }
        // The household is offered to officers who may open those records; listing them is a view of each.
        let offerHousehold = context.user.can(.viewPeople)
        let (facilities, household) = try await database.read { db in
            (try await QuarantineService.facilities(db, scope: nil),
             offerHousehold ? try await person.asyncMap { try await CaseService.householdMembers(db, of: $0, scope: scope) } ?? [] : [])
        }
        try await Audit.viewed(database, user: context.user, people: household.map { ($0.id, $0.unitPath) }, action: "list_view", summary: "Người cùng hộ của F0, trên phiếu ghi nhận")
        let errors = CaseView.fieldErrors(error)
        let resubmitted = values["_key"] != nil
        // The question is where the officer's attention goes next.
        let firstAsked = choices.keys.min() ?? -1
        let contacts = (0..<Self.contactRows).map { i -> [String: Any] in
            let typed = Self.contactInput(values, row: i)
            let candidates = choices[i] ?? []
            let chosen = values["c\(i)_person"]
            let rest = errors.filter { $0.key.hasPrefix("contacts_\(i)_") && !["contacts_\(i)_full_name", "contacts_\(i)_phone"].contains($0.key) }
                .sorted { $0.key < $1.key }.map { "\(TracingHistory.fieldLabel(String($0.key.dropFirst("contacts_\(i)_".count)), l)): \($0.value)" }
            return ["i": i, "n": i + 1, "name": values["c\(i)_name"] ?? "", "phone": values["c\(i)_phone"] ?? "",
                    "settings": CaseView.options("exposure_setting", ExposureSetting.self, selected: values["c\(i)_setting"] ?? "household", l),
                    "nameError": errors["contacts_\(i)_full_name"] ?? "", "phoneError": errors["contacts_\(i)_phone"] ?? "", "otherErrors": rest,
                    "hasOtherErrors": !rest.isEmpty, "hasError": errors.keys.contains { $0.hasPrefix("contacts_\(i)_") },
                    "matches": candidates.enumerated().map { k, p in
                        ["row": i, "id": p.id, "label": Self.describe(p), "checked": chosen == p.id || (chosen != "new" && k == 0 && !candidates.contains { $0.id == chosen }),
                         "focus": k == 0 && i == firstAsked] as [String: Any]
                    },
                    "hasMatches": !candidates.isEmpty, "newChecked": chosen == "new", "asked": typed.fingerprint]
        }
        let data: [String: Any] = [
            "v": values, "err": errors, "error": error.map { $0.message(l) } as Any, "errorList": CaseView.errorList(error, l),
            "choosing": !choices.isEmpty,
            "formKey": values["_key"] ?? Idempotency.newKey(),
            "person": person.map { ["id": $0.id, "name": $0.fullName, "birth": CaseView.date($0.birthDate), "cid": $0.citizenId ?? $0.oldId ?? ""] } as Any,
            "wards": await PersonView.wardOptions(for: context.user, directory: services.directory, selected: ward), "groups": groups, "hasGroups": !groups.isEmpty,
            "testTypes": CaseView.options("test_type", TestType.self, selected: values["test_type"] ?? "rt_pcr", l),
            "detections": CaseView.options("detection", DetectionSetting.self, selected: values["detected_in"] ?? "community", l),
            "cares": CaseView.options("care_setting", CareSetting.self, selected: values["care_setting"] ?? "home", l),
            "clinicals": CaseView.options("clinical", ClinicalStatus.self, selected: values["clinical_status"] ?? "asymptomatic", l),
            "facilities": facilities.map { ["id": $0.id, "name": $0.name, "load": "\($0.occupancy)/\($0.capacity)", "selected": $0.id == values["facility_id"]] },
            "contacts": contacts,
            // Household members are close contacts of an F0 as a rule: offered ticked, the officer unticks who was away.
            "household": household.map { m in ["id": m.id, "label": Self.describe(m), "checked": resubmitted ? values["hh_\(m.id)"] == "1" : true] as [String: Any] },
            "hasHousehold": !household.isEmpty,
        ]
        return services.views.page("cases/new", title: context.t("Ghi nhận F0", "Record an F0"), context: context, data: data,
                                   status: error?.status ?? .ok, active: "cases")
    }

    /// A registered person as an officer recognises them: "Nguyễn Văn A, 1985, Số 12 ngõ 2 Hòa Bình, 0912 345 678".
    static func describe(_ p: PersonRecord) -> String {
        var parts = [p.fullName]
        if let year = p.birthDate.flatMap(CivilDate.init(iso:))?.year { parts.append(String(year)) }
        if !p.address.isEmpty { parts.append(p.address) }
        if let phone = p.phone.flatMap({ try? PhoneNumber(parsing: $0).national }) { parts.append(phone) }
        return parts.joined(separator: ", ")
    }

    /// One contact row of a form as typed.
    static func contactInput(_ values: [String: String], row i: Int) -> ContactInput {
        func value(_ name: String) -> String? {
            guard let v = values[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        var c = ContactInput(fullName: value("c\(i)_name"), phone: value("c\(i)_phone"), citizenId: value("c\(i)_cid"), unit: value("c\(i)_unit"),
                             groupCode: value("c\(i)_group"), setting: value("c\(i)_setting"), day: value("c\(i)_day"))
        c.formRow = i
        // A choice among registered people holds only for the words it was made for: a row typed
        // again after the question is asked about again.
        if let choice = value("c\(i)_person"), values["c\(i)_asked"] == c.fingerprint {
            if choice == "new" { c.createNew = true } else { c.personId = choice }
        }
        return c
    }

    static func input(from form: FormData) -> CaseInput {
        var input = CaseInput()
        input.personId = form.value("person_id")
        if input.personId == nil {
            var p = PersonInput()
            p.fullName = form.value("p_full_name")
            p.citizenId = form.value("p_citizen_id")
            p.phone = form.value("p_phone")
            p.birthDate = form.value("p_birth_date")
            p.sex = form.value("p_sex")
            p.address = form.value("p_address")
            p.unit = form.value("p_unit")
            p.groupCode = form.value("p_group_code")
            input.person = p
        }
        input.confirmedOn = form.value("confirmed_on")
        input.sampledOn = form.value("sampled_on")
        input.testType = form.value("test_type")
        input.testPlace = form.value("test_place")
        input.detectedIn = form.value("detected_in")
        input.symptomOnset = form.value("symptom_onset")
        input.symptoms = form.value("symptoms")
        input.clinicalStatus = form.value("clinical_status")
        input.careSetting = form.value("care_setting")
        input.facilityId = form.value("facility_id")
        input.clusterId = form.value("cluster_id")
        input.notes = form.value("notes")
        input.contacts = contactInputs(from: form)
        return input
    }

    /// The contact rows of a form (`c0_name`, `c0_phone`, …) and the household members ticked (`hh_<id>`).
    static func contactInputs(from form: FormData) -> [ContactInput] {
        var out = (0..<20).compactMap { i -> ContactInput? in
            guard form.fields.keys.contains(where: { $0.hasPrefix("c\(i)_") }) else { return nil }
            return contactInput(form.fields, row: i)
        }
        let members = form.fields.filter { $0.key.hasPrefix("hh_") && $0.value == "1" }.map { String($0.key.dropFirst(3)) }.filter { !$0.isEmpty }.sorted()
        for (k, id) in members.prefix(50).enumerated() {
            var c = ContactInput(personId: id, setting: ExposureSetting.household.rawValue)
            c.formRow = CaseView.householdBase + k
            out.append(c)
        }
        return out
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let form = context.form ?? FormData()
        let person: () async throws -> PersonRecord? = { try await form.value("person_id").asyncMap { id in try await database.read { try await PersonQueries.find($0, id: id, scope: scope) } } ?? nil }
        do {
            // Offering registered people shows their records: only to officers who may open them.
            let recorded = try await cases.record(Self.input(from: form), user: context.user, scope: scope, key: Idempotency.key(request, context), language: context.language,
                                                  offerMatches: context.user.can(.viewPeople))
            return Views.redirect("/cases/\(recorded.caseRecord.id)?created=1")
        } catch let choices as ContactChoices {
            try await Audit.viewed(database, user: context.user, people: choices.candidates.values.flatMap { $0 }.map { ($0.id, $0.unitPath) }, action: "list_view",
                                   summary: "Gợi ý người đã có khi ghi nhận người tiếp xúc")
            return try await intakeForm(context: context, scope: scope, values: form.fields, person: try await person(), error: nil, choices: choices.candidates)
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return try await intakeForm(context: context, scope: scope, values: form.fields, person: try await person(), error: error)
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let record = try await caseOr404(context, scope: scope)
        let l = context.language
        let (reachable, moved, exposures, task, episodes, cluster, history, facilities, clusters, household) = try await database.transaction { db in
            // The case is the ward's; its person may have moved out of the ward since. Then the ward still sees
            // the name it recorded, never their current address, phone, ID or birth date.
            let inScope = try await PersonQueries.find(db, id: record.personId, scope: scope)
            let moved = inScope == nil ? try await PersonQueries.find(db, grant: .ownCase(personID: record.personId)) : nil
            // Opening a case shows a person's record: audited like any view of a person.
            try await Audit.record(db, actor: context.user, action: "view", entityType: "person", entityId: record.personId, unitPath: try? UnitPath(record.unitPath),
                                   summary: "Xem hồ sơ qua F0 \(record.caseNumber)")
            return (inScope, moved, try await CaseQueries.exposures(db, caseID: record.id), try await CaseQueries.task(db, caseID: record.id),
                    try await QuarantineService.episodes(db, personID: record.personId),
                    try await record.clusterId.asyncMap { id in try await db.raw("SELECT \(unsafeRaw: ClusterRecord.columns) FROM clusters WHERE id = \(bind: id)").first(decoding: ClusterRecord.self, keyDecodingStrategy: .memoizedSnakeCase) } ?? nil,
                    try await Audit.history(db, entityType: "case", entityId: record.id, limit: 50),
                    try await QuarantineService.facilities(db, scope: nil),
                    try await db.raw("SELECT \(unsafeRaw: ClusterRecord.columns) FROM clusters WHERE status = 'active' AND \(scope.wholeWard.condition()) ORDER BY started_on DESC LIMIT 100")
                        .all(decoding: ClusterRecord.self, keyDecodingStrategy: .memoizedSnakeCase),
                    context.user.can(.viewPeople) ? try await inScope.asyncMap { try await CaseService.householdMembers(db, of: $0, scope: scope) } ?? [] : [])
        }
        var contactRows: [[String: Any]] = []
        for x in exposures {
            let visible = scope.contains(unitPath: x.unitPath, groupCode: x.groupCode) && context.user.can(.viewPeople)
            contactRows.append([
                "exposureId": x.id, "personId": x.contactId, "visible": visible, "name": visible ? x.fullName : CaseView.masked(x.fullName),
                "phone": visible ? (x.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "") : "",
                "unit": await services.directory.cached(x.unitPath)?.name ?? "", "outside": !scope.contains(unitPath: x.unitPath, groupCode: x.groupCode),
                "day": CaseView.date(x.day), "setting": CaseView.setting(x.setting, l), "reached": x.reachedAt != nil,
                "reachedAt": x.reachedAt.map(DisplayTime.format) ?? "", "reachedBy": x.reachedBy ?? "",
            ])
        }
        let now = Clock.now()
        let canEdit = context.user.can(.editCases)
        let homeCare = request.query("hc") == nil ? nil : try Self.homeCare(record, person: reachable ?? moved, request: request).map { context.t($0.vi, $0.en) }
        let person = reachable
        // Household members not yet recorded as this F0's contacts, to add in one click.
        let recordedIDs = Set(exposures.map(\.contactId))
        let offered = canEdit ? household.filter { !recordedIDs.contains($0.id) } : []
        try await Audit.viewed(database, user: context.user, people: offered.map { ($0.id, $0.unitPath) }, action: "list_view", summary: "Người cùng hộ của F0 \(record.caseNumber)")
        // What the history's ids stand for, for this reader: the case's person, its facilities and clusters.
        var names: [String: String] = [record.personId: person?.fullName ?? moved?.fullName ?? ""]
        for f in facilities { names[f.id] = f.name }
        for c in clusters { names[c.id] = c.name }
        if let cluster { names[cluster.id] = cluster.name }
        let data: [String: Any] = [
            "id": record.id, "caseId": record.id, "number": record.caseNumber, "personId": record.personId,
            "name": person?.fullName ?? moved?.fullName ?? "", "movedAway": moved != nil, "personVisible": person != nil,
            "birth": CaseView.date(person?.birthDate), "cid": person?.citizenId ?? person?.oldId ?? "", "phone": person?.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "",
            "address": person?.address ?? "", "unitLabel": await services.directory.label(record.unitPath),
            "confirmed": CaseView.date(record.confirmedOn), "sampled": CaseView.date(record.sampledOn), "testType": CaseView.testType(record.testType, l),
            "testPlace": record.testPlace, "detected": CaseView.detection(record.detectedIn, l), "onset": CaseView.date(record.symptomOnset), "symptoms": record.symptoms,
            "clinical": CaseView.clinical(record.clinicalStatus, l), "care": CaseView.care(record.careSetting, l),
            "facility": facilities.first { $0.id == record.facilityId }?.name ?? "", "outcome": CaseView.outcome(record.outcome, l), "outcomeKey": record.outcome,
            "outcomeOn": CaseView.date(record.outcomeOn), "notes": record.notes, "version": record.version,
            "cluster": cluster.map { ["id": $0.id, "name": $0.name] } as Any, "created": request.query("created") != nil,
            "contacts": contactRows, "hasContacts": !contactRows.isEmpty, "contactCount": contactRows.count,
            "toReach": contactRows.filter { !($0["reached"] as? Bool ?? false) }.count,
            "task": task.map { t in ["caseId": record.id, "status": t.status, "open": t.status == "open", "due": DisplayTime.format(t.dueAt), "overdue": t.isOverdue(now: now),
                                     "closedAt": t.closedAt.map(DisplayTime.format) ?? "", "closedBy": t.closedBy ?? "", "note": SystemNote.render(t.note, l)] } as Any,
            "episodes": episodes.map { e in ["id": e.id, "kind": context.label("episode_kind", e.kind), "setting": CaseView.care(e.setting, l),
                                             "start": CaseView.date(e.startDate), "end": CaseView.date(e.plannedEnd), "status": context.label("episode_status", e.status),
                                             "active": e.isActive] },
            "canEdit": canEdit, "canQuarantine": context.user.can(.manageQuarantine) && !episodes.contains { $0.isActive },
            "outcomes": CaseView.options("case_outcome", CaseOutcome.self, selected: record.outcome, l),
            "cares": CaseView.options("care_setting", CareSetting.self, selected: record.careSetting, l),
            "clinicals": CaseView.options("clinical", ClinicalStatus.self, selected: record.clinicalStatus, l),
            "facilities": facilities.map { ["id": $0.id, "name": $0.name, "selected": $0.id == record.facilityId] },
            "clusters": clusters.map { ["id": $0.id, "name": $0.name, "selected": $0.id == record.clusterId] },
            "newContacts": (0..<3).map { i in ["i": i, "n": i + 1, "settings": CaseView.options("exposure_setting", ExposureSetting.self, selected: "household", l)] },
            "household": offered.map { ["id": $0.id, "label": Self.describe($0)] }, "hasHousehold": canEdit && !offered.isEmpty,
            "formKey": Idempotency.newKey(), "today": VietnamTime.day(of: now).vietnamese,
            "history": TracingHistory.rows(history, language: l, names: names),
            "error": request.query("error") as Any, "added": request.query("added") != nil,
            "hc": ["breaths": request.query("breaths") ?? "", "spo2": request.query("spo2") ?? "", "doses": request.query("doses") ?? "0",
                   "lastDose": request.query("last_dose") ?? "", "condition": request.query("condition") == "1", "pregnant": request.query("pregnant") == "1",
                   "carer": request.query("carer") != "0"] as [String: Any],
            "homeCareChecked": homeCare != nil, "homeCareEligible": homeCare?.isEmpty == true, "homeCareFailures": homeCare ?? [],
        ]
        return services.views.page("cases/show", title: "F0 \(record.caseNumber)", context: context, data: data, active: "cases")
    }

    @Sendable func updatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let form = context.form ?? FormData()
        let change = CaseUpdate(clinicalStatus: form.value("clinical_status"), careSetting: form.value("care_setting"), facilityId: form["facility_id"],
                                outcome: form.value("outcome"), outcomeOn: form.value("outcome_on"), symptomOnset: form["symptom_onset"], symptoms: form["symptoms"],
                                clusterId: form["cluster_id"], detectedIn: form.value("detected_in"), notes: form["notes"], version: form.value("version").flatMap(Int.init))
        do {
            _ = try await cases.update(caseID: id, change, user: context.user, scope: scope, language: context.language)
            return Views.redirect("/cases/\(id)")
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/cases/\(id)?error=\(Self.urlEncode(CaseView.sentence(error, context.language)))")
        }
    }

    @Sendable func addContactsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        do {
            _ = try await cases.addContacts(caseID: id, Self.contactInputs(from: context.form ?? FormData()), user: context.user, scope: scope,
                                            key: Idempotency.key(request, context), language: context.language)
            return Views.redirect("/cases/\(id)?added=1#contacts")
        } catch let error as AppError where error.status == .unprocessableContent {
            return Views.redirect("/cases/\(id)?error=\(Self.urlEncode(CaseView.sentence(error, context.language)))#add-contacts")
        }
    }

    @Sendable func reachedPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editCases)
        let record = try await caseOr404(context, scope: scope)
        let exposure = try context.parameters.require("exposure")
        try await database.transaction { try await TracingService.markReached($0, exposureID: exposure, caseID: record.id, reached: context.form?.value("reached") != "0", user: context.user) }
        return Views.redirect("/cases/\(record.id)#contacts")
    }

    @Sendable func closeTracingPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editCases)
        let record = try await caseOr404(context, scope: scope)
        try await database.transaction { try await TracingService.close($0, caseID: record.id, note: context.form?.value("note") ?? "", user: context.user) }
        return Views.redirect("/cases/\(record.id)")
    }

    /// The transmission chain around a case, two exposures out, drawn on the server.
    @Sendable func chainPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let record = try await caseOr404(context, scope: scope)
        let graph = try await chain(around: [record.personId], scope: scope, context: context)
        return services.views.page("cases/chain", title: context.t("Chuỗi lây nhiễm", "Transmission chain") + " \(record.caseNumber)", context: context, data: [
            "svg": graph.render(title: context.t("Chuỗi lây nhiễm quanh F0 \(record.caseNumber)", "Transmission chain around case \(record.caseNumber)")),
            "id": record.id, "number": record.caseNumber, "nodes": graph.nodes.count, "edges": graph.edges.count,
        ], active: "cases")
    }

    /// People around `seeds` with their levels; names outside the viewer's scope are masked and not linked.
    /// Viewing a chain shows every named person in it, so each visible one gets a view row in the audit.
    func chain(around seeds: Set<String>, scope: Scope, context: AuthedContext, hops: Int = 3) async throws -> ChainGraph {
        let (graph, shown) = try await database.read { db -> (ChainGraph, [(id: String, unitPath: String)]) in
            let (people, edges) = try await CaseQueries.neighbourhood(db, of: seeds, hops: hops)
            var persons: [String: PersonRecord] = [:]
            var levels: [String: Int] = [:]
            var caseOf: [String: (String, String)] = [:]
            for chunk in ContactLevelService.chunks(people) {
                for p in try await PersonQueries.fetch(db, "\(unsafeRaw: PersonQueries.select) WHERE id IN (\(binds: chunk))") { persons[p.id] = p }
                for r in try await db.raw("SELECT person_id, level FROM contact_levels WHERE person_id IN (\(binds: chunk))").all() {
                    levels[try r.decode(column: "person_id", as: String.self)] = try r.decode(column: "level", as: Int.self)
                }
                for r in try await db.raw("SELECT id, person_id, case_number FROM cases WHERE person_id IN (\(binds: chunk)) AND outcome <> 'ruled_out'").all() {
                    let pid = try r.decode(column: "person_id", as: String.self)
                    levels[pid] = 0
                    caseOf[pid] = (try r.decode(column: "id", as: String.self), try r.decode(column: "case_number", as: String.self))
                }
            }
            let canPeople = context.user.can(.viewPeople)
            var shown: [(id: String, unitPath: String)] = []
            // People outside the viewer's jurisdiction appear under a stand-in id, so neither a node nor an
            // edge of the drawing or the API carries their record id.
            var alias: [String: String] = [:]
            let nodes: [ChainGraph.Node] = people.sorted().compactMap { id in
                guard let p = persons[id] else { return nil }
                let visible = scope.contains(unitPath: p.unitPath, groupCode: p.groupCode)
                if visible { shown.append((p.id, p.unitPath)) } else { alias[id] = "x\(alias.count + 1)" }
                let link: String? = !visible ? nil : caseOf[id].map { "/cases/\($0.0)" } ?? (canPeople ? "/people/\(id)" : nil)
                let short = p.fullName.split(separator: " ").suffix(2).joined(separator: " ")
                return ChainGraph.Node(id: alias[id] ?? id, level: levels[id], label: visible ? short : CaseView.masked(p.fullName),
                                       sublabel: visible ? caseOf[id]?.1 ?? "" : context.t("ngoài địa bàn", "outside jurisdiction"), link: link)
            }
            let graphEdges = edges.map { ChainGraph.Edge(a: alias[$0.sourceId] ?? $0.sourceId, b: alias[$0.contactId] ?? $0.contactId,
                                                         label: "\(CaseView.date($0.day)) · \(CaseView.setting($0.setting, context.language))") }
            return (ChainGraph(nodes: nodes, edges: graphEdges), shown)
        }
        try await Audit.viewed(database, user: context.user, people: shown, summary: "Xem chuỗi lây nhiễm")
        return graph
    }

    /// Who is no longer followed, since when and why: nobody loses a level without the ward seeing it.
    private func endedPage(_ request: Request, context: AuthedContext, scope: Scope) async throws -> Response {
        let page = try await database.read { try await CaseQueries.ended($0, scope: scope, after: request.query("after")) }
        try await Audit.viewed(database, user: context.user, people: page.rows.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách thôi theo dõi")
        var rows: [[String: Any]] = []
        for r in page.rows {
            rows.append(["personId": r.personId, "name": r.fullName, "birth": CaseView.date(r.birthDate), "unit": await services.directory.cached(r.unitPath)?.name ?? r.unitPath,
                         "group": r.groupCode, "level": contactLevelName(r.level), "since": CaseView.date(r.since), "ended": CaseView.date(r.endedOn),
                         "reason": CaseView.endReason(r.reason, context.language)])
        }
        return services.views.page("cases/contacts-ended", title: context.t("Không còn theo dõi", "No longer followed"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "canPeople": context.user.can(.viewPeople),
            "next": page.nextCursor.map { "/contacts?view=ended&after=\($0)" } as Any, "scopeLabel": await services.directory.label(scope.root.string),
        ], active: "contacts")
    }

    @Sendable func contactsPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        if request.query("view") == "ended" { return try await endedPage(request, context: context, scope: scope) }
        let level = request.query("level").flatMap(Int.init) ?? 1
        let unplaced = request.query("unplaced") == "1"
        let page = try await database.read { try await CaseQueries.contacts($0, scope: scope, level: level, unplacedOnly: unplaced, after: request.query("after")) }
        try await Audit.viewed(database, user: context.user, people: page.rows.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách tiếp xúc")
        let today = Clock.today()
        var rows: [[String: Any]] = []
        for r in page.rows {
            let waiting = CivilDate(iso: r.since).map { today.days(since: $0) } ?? 0
            rows.append(["personId": r.personId, "name": r.fullName, "birth": CaseView.date(r.birthDate), "phone": r.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "",
                         "unit": await services.directory.cached(r.unitPath)?.name ?? r.unitPath, "group": r.groupCode, "level": contactLevelName(r.level),
                         "since": CaseView.date(r.since), "episode": r.episodeId as Any, "episodeSetting": r.episodeSetting.map { CaseView.care($0, context.language) } ?? "",
                         "episodeEnd": CaseView.date(r.episodeEnd), "placed": r.episodeId != nil, "waitingDays": max(0, waiting), "overdue": r.episodeId == nil && waiting >= 1])
        }
        let next = page.nextCursor.map { "/contacts?level=\(level)\(unplaced ? "&unplaced=1" : "")&after=\($0)" }
        let facilities = try await database.read { try await QuarantineService.facilities($0, scope: nil) }
        return services.views.page("cases/contacts", title: context.t("Người tiếp xúc", "Contacts"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "next": next as Any, "level": level, "unplaced": unplaced,
            "levels": [1, 2, 3].map { ["value": $0, "label": $0 == 3 ? "F3+" : "F\($0)", "selected": $0 == level] },
            "canQuarantine": context.user.can(.manageQuarantine), "canPeople": context.user.can(.viewPeople), "formKey": Idempotency.newKey(),
            "canRecord": context.user.can(.editCases),
            "facilities": facilities.map { ["id": $0.id, "name": $0.name, "load": "\($0.occupancy)/\($0.capacity)"] },
            "scopeLabel": await services.directory.label(scope.root.string),
        ], active: "contacts")
    }

    @Sendable func tracingPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let tasks = try await database.read { try await CaseQueries.openTasks($0, scope: scope) }
        let now = Clock.now()
        var rows: [[String: Any]] = []
        for t in tasks {
            let overdue = Timestamp.date(t.dueAt).map { $0 < now } ?? false
            rows.append(["caseId": t.caseId, "number": t.caseNumber, "name": t.fullName, "unit": await services.directory.cached(t.unitPath)?.name ?? t.unitPath,
                         "opened": DisplayTime.format(t.openedAt), "due": DisplayTime.format(t.dueAt), "overdue": overdue, "toReach": t.toReach])
        }
        return services.views.page("cases/tracing", title: context.t("Truy vết", "Tracing"), context: context, data: [
            "rows": rows, "hasRows": !rows.isEmpty, "overdueCount": rows.filter { $0["overdue"] as? Bool ?? false }.count,
            "scopeLabel": await services.directory.label(scope.root.string),
        ], active: "tracing")
    }

    @Sendable func clustersPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let rows = try await database.read { db in
            try await db.raw("""
                SELECT k.id, k.name, k.place, k.unit_path, k.started_on, k.status, (SELECT COUNT(*) FROM cases c WHERE c.cluster_id = k.id AND c.outcome <> 'ruled_out') AS cases
                FROM clusters k WHERE \(scope.wholeWard.condition("k")) ORDER BY k.status, k.started_on DESC LIMIT 300
                """).all()
        }
        var out: [[String: Any]] = []
        for r in rows {
            let unit = try r.decode(column: "unit_path", as: String.self)
            out.append(["id": try r.decode(column: "id", as: String.self), "name": try r.decode(column: "name", as: String.self), "place": try r.decode(column: "place", as: String.self),
                        "unit": await services.directory.cached(unit)?.name ?? unit, "started": CaseView.date(try r.decode(column: "started_on", as: String.self)),
                        "active": try r.decode(column: "status", as: String.self) == "active", "cases": try r.decode(column: "cases", as: Int.self)])
        }
        return services.views.page("cases/clusters", title: context.t("Ổ dịch", "Clusters"), context: context, data: [
            "rows": out, "hasRows": !out.isEmpty, "canEdit": context.user.can(.editCases), "formKey": Idempotency.newKey(),
            "wards": await PersonView.wardOptions(for: context.user, directory: services.directory, selected: ""), "today": Clock.today().vietnamese,
        ], active: "cases")
    }

    struct ClusterInput: Codable, Sendable {
        var name: String?
        var place: String?
        var unit: String?
        var startedOn: String?
        var notes: String?
    }

    func createCluster(_ input: ClusterInput, context: AuthedContext, key: IdempotencyKey?) async throws -> ClusterRecord {
        try context.require(.editCases)
        let name = (input.name ?? "").trimmed
        guard !name.isEmpty else { throw AppError.invalid("Tên ổ dịch là bắt buộc.", "A cluster name is required.", details: ["name": "required"]) }
        guard name.count <= TextLimits.title else { throw AppError.invalid("Tên ổ dịch quá dài.", "The cluster name is too long.", details: ["name": "too_long"]) }
        guard let ward = try await PersonService(database: database, directory: services.directory).resolveUnit(input.unit, user: context.user) else {
            throw AppError.invalid("Chọn phường/xã trong địa bàn của bạn.", "Choose a ward in your jurisdiction.", details: ["unit": "required"])
        }
        let started = try DateInput.orToday(input.startedOn, field: "started_on")
        let now = Timestamp.now()
        let record = ClusterRecord(id: Identifier.make(), name: name, place: (input.place ?? "").trimmed, unitPath: ward.path, groupCode: "", startedOn: started.iso,
                                   status: "active", notes: (input.notes ?? "").trimmed, createdBy: context.user.username, createdAt: now, updatedAt: now, version: 1)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: context.user, id: \.id, load: { id in
                try await db.raw("SELECT \(unsafeRaw: ClusterRecord.columns) FROM clusters WHERE id = \(bind: id)").first(decoding: ClusterRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            }) {
                try await db.raw("""
                    INSERT INTO clusters (\(unsafeRaw: ClusterRecord.columns)) VALUES (\(bind: record.id), \(bind: record.name), \(bind: record.place), \(bind: record.unitPath), '',
                    \(bind: record.startedOn), 'active', \(bind: record.notes), \(bind: record.createdBy), \(bind: now), \(bind: now), 1)
                    """).run()
                try await Audit.record(db, actor: context.user, action: "create", entityType: "cluster", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                                       summary: "Lập ổ dịch \(record.name)")
                return record
            }
        }
    }

    @Sendable func createClusterPage(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let f = context.form ?? FormData()
        let cluster = try await createCluster(ClusterInput(name: f.value("name"), place: f.value("place"), unit: f.value("unit"), startedOn: f.value("started_on"), notes: f.value("notes")),
                                              context: context, key: Idempotency.key(request, context))
        return Views.redirect("/clusters/\(cluster.id)")
    }

    @Sendable func clusterPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        guard let cluster = try await database.read({ try await $0.raw("SELECT \(unsafeRaw: ClusterRecord.columns) FROM clusters WHERE id = \(bind: id) AND \(scope.wholeWard.condition())")
            .first(decoding: ClusterRecord.self, keyDecodingStrategy: .memoizedSnakeCase) }) else { throw AppError.notFound }
        // A cluster may reach other wards: the ward lists its own cases and counts the others.
        let (page, total) = try await database.read { db in
            (try await CaseQueries.list(db, scope: scope, outcome: nil, clusterID: cluster.id, after: nil, limit: 200),
             try await db.raw("SELECT COUNT(*) AS n FROM cases WHERE cluster_id = \(bind: cluster.id)").first()?.decode(column: "n", as: Int.self) ?? 0)
        }
        let graph = try await chain(around: Set(page.rows.map(\.personId)), scope: scope, context: context, hops: 1)
        return services.views.page("cases/cluster", title: cluster.name, context: context, data: [
            "name": cluster.name, "place": cluster.place, "started": CaseView.date(cluster.startedOn), "unitLabel": await services.directory.label(cluster.unitPath),
            "cases": page.rows.map { ["id": $0.id, "number": $0.caseNumber, "name": $0.fullName,
                                      "confirmed": CaseView.date($0.confirmedOn), "outcome": CaseView.outcome($0.outcome, context.language)] },
            "caseCount": total, "outsideCount": max(0, total - page.rows.count), "hasOutside": total > page.rows.count, "svg": graph.render(title: cluster.name),
        ], active: "cases")
    }

    // MARK: API

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let outcome = request.query("outcome").flatMap(CaseOutcome.init(rawValue:))
        let limit = request.query("limit").flatMap(Int.init) ?? 50
        let page = try await database.read { try await CaseQueries.list($0, scope: scope, outcome: outcome, after: request.query("after"), limit: limit) }
        try await Audit.viewed(database, user: context.user, people: page.rows.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách F0")
        struct Body: Encodable { let data: [CaseListRow]; let nextCursor: String? }
        return try JSON.response(Body(data: page.rows, nextCursor: page.nextCursor))
    }

    @Sendable func apiCreate(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let input = try await APIBody.decode(CaseInput.self, request, context: context)
        let recorded = try await cases.record(input, user: context.user, scope: scope, key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let data: CaseRecord; let contactsAdded: Int; let repeated: Bool }
        return try JSON.response(Body(data: recorded.caseRecord, contactsAdded: recorded.newContacts, repeated: recorded.repeated), status: recorded.repeated ? .ok : .created)
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let record = try await caseOr404(context, scope: scope)
        let (exposures, task) = try await database.transaction { db in
            try await Audit.record(db, actor: context.user, action: "view", entityType: "person", entityId: record.personId, unitPath: try? UnitPath(record.unitPath),
                                   summary: "Xem hồ sơ qua F0 \(record.caseNumber) (API)")
            return (try await CaseQueries.exposures(db, caseID: record.id), try await CaseQueries.task(db, caseID: record.id))
        }
        struct Contact: Encodable { let exposureId: String; let personId: String; let name: String; let unitPath: String; let day: String; let setting: String; let reached: Bool }
        struct Body: Encodable { let data: CaseRecord; let contacts: [Contact]; let tracing: TracingTaskRecord? }
        let contacts = exposures.map { x in
            let visible = scope.contains(unitPath: x.unitPath, groupCode: x.groupCode)
            return Contact(exposureId: x.id, personId: x.contactId, name: visible ? x.fullName : CaseView.masked(x.fullName), unitPath: x.unitPath, day: x.day, setting: x.setting, reached: x.reachedAt != nil)
        }
        return try JSON.response(Body(data: record, contacts: contacts, tracing: task))
    }

    @Sendable func apiUpdate(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let change = try await APIBody.decode(CaseUpdate.self, request, context: context)
        let record = try await cases.update(caseID: try context.parameters.require("id"), change, user: context.user, scope: scope, language: context.language)
        struct Body: Encodable { let data: CaseRecord }
        return try JSON.response(Body(data: record))
    }

    @Sendable func apiAddContacts(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        struct In: Decodable { let contacts: [ContactInput] }
        let body = try await APIBody.decode(In.self, request, context: context)
        let added = try await cases.addContacts(caseID: try context.parameters.require("id"), body.contacts, user: context.user, scope: scope,
                                                key: Idempotency.key(request, context), language: context.language)
        struct Body: Encodable { let added: Int }
        return try JSON.response(Body(added: added))
    }

    @Sendable func apiChain(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let record = try await caseOr404(context, scope: scope)
        let graph = try await chain(around: [record.personId], scope: scope, context: context)
        struct Node: Encodable { let id: String; let level: Int?; let label: String; let link: String? }
        struct Edge: Encodable { let a: String; let b: String; let label: String }
        struct Body: Encodable { let nodes: [Node]; let edges: [Edge]; let svg: String }
        return try JSON.response(Body(nodes: graph.nodes.map { Node(id: $0.id, level: $0.level, label: $0.label, link: $0.link) },
                                      edges: graph.edges.map { Edge(a: $0.a, b: $0.b, label: $0.label) }, svg: graph.render(title: record.caseNumber)))
    }

    @Sendable func apiCloseTracing(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editCases)
        let record = try await caseOr404(context, scope: scope)
        struct In: Decodable { let note: String? }
        let body = (try? await APIBody.decode(In.self, request, context: context)) ?? In(note: nil)
        try await database.transaction { try await TracingService.close($0, caseID: record.id, note: body.note ?? "", user: context.user) }
        let task = try await database.read { try await CaseQueries.task($0, caseID: record.id) }
        struct Body: Encodable { let data: TracingTaskRecord? }
        return try JSON.response(Body(data: task))
    }

    @Sendable func apiContacts(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let page = try await database.read {
            try await CaseQueries.contacts($0, scope: scope, level: request.query("level").flatMap(Int.init), unplacedOnly: request.query("unplaced") == "1",
                                           after: request.query("after"), limit: request.query("limit").flatMap(Int.init) ?? 50)
        }
        try await Audit.viewed(database, user: context.user, people: page.rows.map { ($0.personId, $0.unitPath) }, action: "list_view", summary: "Hiện trong danh sách tiếp xúc")
        struct Body: Encodable { let data: [ContactListRow]; let nextCursor: String? }
        return try JSON.response(Body(data: page.rows, nextCursor: page.nextCursor))
    }

    @Sendable func apiTracing(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let overdue = request.query("overdue") == "1"
        let tasks = try await database.read { try await CaseQueries.openTasks($0, scope: scope, overdueAt: overdue ? Clock.now() : nil) }
        struct Body: Encodable { let data: [CaseQueries.TaskRow] }
        return try JSON.response(Body(data: tasks))
    }

    @Sendable func apiClusters(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let rows = try await database.read { try await $0.raw("SELECT \(unsafeRaw: ClusterRecord.columns) FROM clusters WHERE \(scope.wholeWard.condition()) ORDER BY started_on DESC LIMIT 500")
            .all(decoding: ClusterRecord.self, keyDecodingStrategy: .memoizedSnakeCase) }
        struct Body: Encodable { let data: [ClusterRecord] }
        return try JSON.response(Body(data: rows))
    }

    @Sendable func apiCreateCluster(_ request: Request, context: AuthedContext) async throws -> Response {
        _ = try await scope(context)
        let input = try await APIBody.decode(ClusterInput.self, request, context: context)
        let cluster = try await createCluster(input, context: context, key: Idempotency.key(request, context))
        struct Body: Encodable { let data: ClusterRecord }
        return try JSON.response(Body(data: cluster), status: .created)
    }

    /// A person's epidemiological state: cases, derived level, quarantine episodes.
    @Sendable func apiPersonEpi(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.viewPeople)
        let id = try context.parameters.require("id")
        let (person, cases, level, episodes) = try await database.read { db -> (PersonRecord, [CaseRecord], ContactLevelRecord?, [EpisodeRecord]) in
            guard let person = try await PersonQueries.find(db, id: id, scope: scope) else { throw AppError.notFound }
            return (person, try await CaseQueries.cases(ofPerson: id, db), try await CaseQueries.level(db, personID: id), try await QuarantineService.episodes(db, personID: id))
        }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Xem tình trạng dịch tễ")
        struct Body: Encodable { let cases: [CaseRecord]; let level: ContactLevelRecord?; let episodes: [EpisodeRecord] }
        return try JSON.response(Body(cases: cases, level: level, episodes: episodes))
    }

    /// F0 home-care eligibility (4038/QĐ-BYT) from the case, the person's age and the measurements the officer enters.
    /// The case is judged on its own date: the person's age and the days since a dose on the day it was confirmed.
    static func homeCare(_ record: CaseRecord, person: PersonRecord?, request: Request) throws -> [HomeCare.Failure] {
        let today = record.confirmedDate
        let int: (String) -> Int? = { request.query($0).flatMap(Int.init) }
        let lastDose = try DateInput.parse(request.query("last_dose"), field: "last_dose")
        let age = person?.birthDate.flatMap(CivilDate.init(iso:)).map { $0.age(on: today) }
        let assessment = HomeCare.Assessment(positiveTest: record.outcomeValue != .ruledOut, clinicalStatus: ClinicalStatus(rawValue: record.clinicalStatus) ?? .mild,
                                             breathsPerMinute: int("breaths"), spo2: int("spo2"), doses: int("doses") ?? 0, lastDose: lastDose, age: age,
                                             hasListedCondition: request.query("condition") == "1", pregnant: request.query("pregnant") == "1",
                                             canSelfCareOrHasCarer: request.query("carer") != "0")
        return HomeCare.check(assessment, on: today)
    }

    @Sendable func apiHomeCare(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let record = try await caseOr404(context, scope: scope)
        // Only the age is used, from the person's birth date, even if they have moved away since.
        let person = try await database.read { try await PersonQueries.find($0, grant: .ownCase(personID: record.personId)) }
        let failures = try Self.homeCare(record, person: person, request: request)
        struct Failure: Encodable { let code: String; let message: String }
        struct Body: Encodable { let eligible: Bool; let failures: [Failure] }
        return try JSON.response(Body(eligible: failures.isEmpty, failures: failures.map { Failure(code: $0.code, message: context.t($0.vi, $0.en)) }))
    }

    static func urlEncode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
