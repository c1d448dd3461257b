import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

/// People pages and the `/api/v1/people` API; the same service and queries feed both.
package struct PersonRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var people: PersonService { PersonService(database: services.database, directory: services.directory) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("people", .can(.viewPeople), use: list)
        pages.get("people/new", .can(.editPeople), use: newForm)
        pages.post("people", .can(.editPeople), use: createPage)
        pages.get("people/:id", .can(.viewPeople), use: show)
        pages.get("people/:id/edit", .can(.editPeople), use: editForm)
        pages.post("people/:id", .can(.editPeople), use: updatePage)
        pages.get("people/:id/merge", .can(.mergePeople), use: mergeForm)
        pages.post("people/:id/merge", .can(.mergePeople), use: mergePage)

        api.get("people", .can(.viewPeople), use: apiList)
        api.post("people", .can(.editPeople), use: apiCreate)
        api.get("people/:id", .can(.viewPeople), use: apiShow)
        api.put("people/:id", .can(.editPeople), use: apiUpdate)
        api.post("people/:id/merge", .can(.mergePeople), use: apiMerge)
        api.get("people/:id/history", .can(.viewPeople), use: apiHistory)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope {
        try context.require(.viewPeople)
        return try await Scope.of(context.user, directory: services.directory)
    }

    // MARK: pages

    @Sendable func list(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let q = request.formQuery["q"] ?? ""
        let after = request.formQuery["after"]
        let page = try await database.read { try await PersonQueries.search($0, query: q, scope: scope, after: after) }
        try await Audit.viewed(database, user: context.user, people: page.people.map { ($0.id, $0.unitPath) }, action: "search_view", summary: Self.searchSummary(q))
        var rows: [[String: Any]] = []
        for person in page.people { rows.append(await PersonView.row(person, context.language, services.directory)) }
        let next = page.nextCursor.map { "/people?q=\(q.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")&after=\($0)" }
        return services.views.page("people/list", title: context.t("Nhân khẩu", "People"), context: context, data: [
            "q": q, "rows": rows, "hasRows": !rows.isEmpty, "next": next as Any, "canEdit": context.user.can(.editPeople),
            "canExport": context.user.can(.exportResidents), "scopeLabel": await services.directory.label(scope.root.string),
        ], active: "people")
    }

    @Sendable func newForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.editPeople)
        var input = PersonInput()
        input.unit = request.uri.queryParameters.get("unit")
        return try await form(context: context, input: input, person: nil)
    }

    @Sendable func createPage(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.editPeople)
        let input = PersonInput(form: context.form ?? FormData())
        do {
            switch try await people.create(input, user: context.user, language: context.language) {
            case .saved(let record, _):
                return Views.redirect("/people/\(record.id)")
            case .possibleDuplicates(let dups, let hidden, let warnings):
                return try await form(context: context, input: input, person: nil, duplicates: dups, hiddenDuplicates: hidden, warnings: warnings)
            }
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            return try await form(context: context, input: input, person: nil, error: error)
        }
    }

    @Sendable func show(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let person = try await people.view(id: id, user: context.user, scope: scope)
        let sections = services.personSections
        let (history, household, extra) = try await database.read { db -> ([AuditEntry], [PersonRecord], [(String, PersonSection)]) in
            // What other capabilities add to the page (where the person stands epidemiologically …), in the composition's order.
            var extra: [(String, PersonSection)] = []
            for section in sections {
                if let data = try await section.section(personID: person.id, merged: person.mergedInto != nil, user: context.user, language: context.language, db: db) {
                    extra.append((section.template, data))
                }
            }
            return (try await Audit.history(db, entityType: "person", entityId: person.id), try await PersonQueries.household(db, of: person), extra)
        }
        var members: [[String: Any]] = []
        for member in household { members.append(await PersonView.row(member, context.language, services.directory)) }
        var data = await PersonView.detail(person, context.language, services.directory)
        let places = await AuditDisplay.placeNames(history, directory: services.directory)
        data["history"] = history.map { AuditDisplay.row($0, context.language, places: places) }
        data["household"] = members
        data["hasHousehold"] = !members.isEmpty
        data["canEdit"] = context.user.can(.editPeople) && person.mergedInto == nil
        data["canMerge"] = context.user.can(.mergePeople) && person.mergedInto == nil
        data["sections"] = extra.map { template, section in
            var sectionData = section.data
            sectionData["personId"] = person.id
            sectionData["csrf"] = context.csrfToken
            return ["html": services.views.fragment(template, sectionData, language: context.language)]
        }
        return services.views.page("people/show", title: person.fullName, context: context, data: data, active: "people")
    }

    @Sendable func editForm(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editPeople)
        let id = try context.parameters.require("id")
        guard let person = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Mở hồ sơ để sửa")
        return try await form(context: context, input: .from(person), person: person)
    }

    @Sendable func updatePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editPeople)
        let id = try context.parameters.require("id")
        let input = PersonInput(form: context.form ?? FormData())
        do {
            switch try await people.update(id: id, input, user: context.user, scope: scope, language: context.language) {
            case .saved(let record, _): return Views.redirect("/people/\(record.id)")
            case .possibleDuplicates(let dups, let hidden, let warnings):
                let person = try await database.read { try await PersonQueries.find($0, id: id, scope: scope) }
                return try await form(context: context, input: input, person: person, duplicates: dups, hiddenDuplicates: hidden, warnings: warnings)
            }
        } catch let error as AppError where error.status == .unprocessableContent || error.status == .conflict {
            let person = try await database.read { try await PersonQueries.find($0, id: id, scope: scope) }
            return try await form(context: context, input: input, person: person, error: error)
        }
    }

    @Sendable func mergeForm(_ request: Request, context: AuthedContext) async throws -> Response {
        try await renderMerge(context: context, error: nil)
    }

    /// The merge form: the record shown and its likely duplicates, each with what the capabilities hold for
    /// it (an F0, doses, results), so the officer sees what moves; a refused merge comes back here with why.
    private func renderMerge(context: AuthedContext, error: AppError?) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.mergePeople)
        let id = try context.parameters.require("id")
        let steps = services.personMerge, language = context.language
        let (person, candidates, holdings) = try await database.read { db -> (PersonRecord, [PersonRecord], [String: String]) in
            guard let person = try await PersonQueries.find(db, id: id, scope: scope) else { throw AppError.notFound }
            let candidates = try await PersonQueries.mergeCandidates(db, of: person, scope: scope)
            var holdings: [String: String] = [:]
            for p in [person] + candidates {
                var parts: [String] = []
                for step in steps { if let h = try await step.holdings(db, personID: p.id, language: language) { parts.append(h) } }
                if !parts.isEmpty { holdings[p.id] = parts.joined(separator: "; ") }
            }
            return (person, candidates, holdings)
        }
        try await Audit.viewed(database, user: context.user, people: candidates.map { (id: $0.id, unitPath: $0.unitPath) }, summary: "Tìm hồ sơ trùng để gộp")
        var rows: [[String: Any]] = []
        for c in candidates {
            var row = await PersonView.row(c, context.language, services.directory)
            row["holdings"] = holdings[c.id] as Any
            rows.append(row)
        }
        var data = await PersonView.detail(person, context.language, services.directory)
        data["holdings"] = holdings[person.id] as Any
        data["candidates"] = rows
        data["hasCandidates"] = !rows.isEmpty
        data["error"] = error.map { $0.message(context.language) } as Any
        return services.views.page("people/merge", title: context.t("Gộp hồ sơ trùng", "Merge duplicates"), context: context, data: data,
                                   status: error?.status ?? .ok, active: "people")
    }

    @Sendable func mergePage(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.mergePeople)
        let id = try context.parameters.require("id")
        guard let duplicate = context.form?.value("duplicate_id") else {
            throw AppError.invalid("Chọn hồ sơ trùng cần gộp.", "Choose the duplicate record to merge.")
        }
        do {
            let survivor = try await people.merge(survivorID: id, duplicateID: duplicate, user: context.user, scope: scope, carry: services.personMerge)
            return Views.redirect("/people/\(survivor.id)")
        } catch let error as AppError where error.status == .conflict || error.status == .unprocessableContent {
            return try await renderMerge(context: context, error: error)
        }
    }

    private func form(context: AuthedContext, input: PersonInput, person: PersonRecord?, duplicates: [PersonRecord] = [], hiddenDuplicates: Int = 0,
                      warnings: [String] = [], error: AppError? = nil) async throws -> Response {
        var values = input.formValues
        if let unit = input.unit, let resolved = try await people.resolveUnit(unit, user: context.user) { values["unit"] = resolved.path }
        let wards = await PersonView.wardOptions(for: context.user, directory: services.directory, selected: values["unit"] ?? "")
        var groups: [[String: Any]] = []
        if let unit = values["unit"], !unit.isEmpty {
            groups = await services.directory.children(of: unit).filter(\.isGroup).map { ["code": $0.code, "name": $0.name, "selected": $0.code == values["group_code"]] }
        }
        var dupRows: [[String: Any]] = []
        for d in duplicates { dupRows.append(await PersonView.row(d, context.language, services.directory)) }
        let statuses = ResidenceStatus.allCases.map { ["value": $0.rawValue, "label": context.language == .vi ? $0.labelVI : $0.labelEN, "selected": $0.rawValue == (values["residence_status"].flatMap { ResidenceStatus(rawValue: $0) ?? ResidenceStatus.parse($0) } ?? .permanent).rawValue] }
        let sexes = Sex.allCases.map { ["value": $0.rawValue, "label": context.language == .vi ? $0.labelVI : $0.labelEN, "selected": $0.rawValue == values["sex"]] }
        let fieldErrors = error?.details ?? [:]
        let data: [String: Any] = [
            "v": values, "errors": fieldErrors, "error": error.map { $0.message(context.language) } as Any,
            "action": person.map { "/people/\($0.id)" } ?? "/people", "isEdit": person != nil, "personId": person?.id ?? "",
            "wards": wards, "groups": groups, "hasGroups": !groups.isEmpty, "statuses": statuses, "sexes": sexes,
            "duplicates": dupRows, "hasDuplicates": !dupRows.isEmpty || hiddenDuplicates > 0, "hiddenDuplicates": hiddenDuplicates, "hasHiddenDuplicates": hiddenDuplicates > 0, "warnings": warnings, "hasWarnings": !warnings.isEmpty,
        ]
        let title = person == nil ? context.t("Thêm nhân khẩu", "Add person") : context.t("Sửa hồ sơ", "Edit record")
        return services.views.page("people/form", title: title, context: context, data: data, status: error?.status ?? .ok, active: "people")
    }

    /// What a search audit row says: the words searched for, cut short.
    static func searchSummary(_ q: String) -> String {
        q.isEmpty ? "Hiện trong danh sách nhân khẩu" : "Hiện trong kết quả tìm \"\(q.prefix(60))\""
    }

    // MARK: API

    @Sendable func apiList(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let q = request.formQuery["q"] ?? ""
        let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 50
        let page = try await database.read { try await PersonQueries.search($0, query: q, scope: scope, after: request.uri.queryParameters.get("after"), limit: limit) }
        try await Audit.viewed(database, user: context.user, people: page.people.map { ($0.id, $0.unitPath) }, action: "search_view", summary: Self.searchSummary(q))
        struct Body: Encodable { let data: [PersonRecord]; let nextCursor: String? }
        return try JSON.response(Body(data: page.people, nextCursor: page.nextCursor))
    }

    @Sendable func apiCreate(_ request: Request, context: AuthedContext) async throws -> Response {
        try context.require(.editPeople)
        let input = try await Self.decodeInput(request, context: context)
        switch try await people.create(input, user: context.user, language: context.language) {
        case .saved(let record, let warnings):
            struct Body: Encodable { let data: PersonRecord; let warnings: [String] }
            return try JSON.response(Body(data: record, warnings: warnings), status: .created)
        case .possibleDuplicates(let dups, let hidden, _):
            // Records in the caller's scope are named; those elsewhere in the district are only counted.
            var details = Dictionary(uniqueKeysWithValues: dups.map { ($0.id, $0.fullName) })
            if hidden > 0 { details["outside_scope"] = String(hidden) }
            throw AppError(.conflict, code: "possible_duplicate", vi: "Đã có người cùng họ tên và ngày sinh trong quận/huyện. Gửi lại với confirm_duplicate=true nếu đây là người khác.",
                           en: "Someone with the same name and birth date exists in the district. Resend with confirm_duplicate=true if this is a different person.",
                           details: details)
        }
    }

    @Sendable func apiShow(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let person = try await people.view(id: try context.parameters.require("id"), user: context.user, scope: scope)
        struct Body: Encodable { let data: PersonRecord }
        return try JSON.response(Body(data: person))
    }

    @Sendable func apiUpdate(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.editPeople)
        let input = try await Self.decodeInput(request, context: context)
        switch try await people.update(id: try context.parameters.require("id"), input, user: context.user, scope: scope, language: context.language) {
        case .saved(let record, let warnings):
            struct Body: Encodable { let data: PersonRecord; let warnings: [String] }
            return try JSON.response(Body(data: record, warnings: warnings))
        case .possibleDuplicates:
            throw AppError(.conflict, code: "possible_duplicate", vi: "Có thể trùng hồ sơ; gửi lại với confirm_duplicate=true.", en: "Possible duplicate; resend with confirm_duplicate=true.")
        }
    }

    @Sendable func apiMerge(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        try context.require(.mergePeople)
        struct MergeBody: Decodable { let duplicateId: String }
        let body = try await APIBody.decode(MergeBody.self, request, context: context)
        let survivor = try await people.merge(survivorID: try context.parameters.require("id"), duplicateID: body.duplicateId, user: context.user, scope: scope, carry: services.personMerge)
        struct Body: Encodable { let data: PersonRecord }
        return try JSON.response(Body(data: survivor))
    }

    @Sendable func apiHistory(_ request: Request, context: AuthedContext) async throws -> Response {
        let scope = try await scope(context)
        let id = try context.parameters.require("id")
        let (person, history) = try await database.read { db -> (PersonRecord, [AuditEntry]) in
            guard let person = try await PersonQueries.find(db, id: id, scope: scope) else { throw AppError.notFound }
            return (person, try await Audit.history(db, entityType: "person", entityId: id))
        }
        try await Audit.viewed(database, user: context.user, people: [(person.id, person.unitPath)], summary: "Xem lịch sử hồ sơ")
        struct Body: Encodable { let data: [AuditEntry] }
        return try JSON.response(Body(data: history))
    }

    static func decodeInput(_ request: Request, context: AuthedContext) async throws -> PersonInput {
        try await APIBody.decode(PersonInput.self, request, context: context)
    }
}

/// How a person looks on pages.
package enum PersonView {
    static func row(_ p: PersonRecord, _ language: Language, _ directory: UnitDirectory) async -> [String: Any] {
        [
            "id": p.id, "fullName": p.fullName,
            "sex": p.sex.flatMap(Sex.init(rawValue:)).map { language == .vi ? $0.labelVI : $0.labelEN } ?? "",
            "birthDate": p.birthDate.flatMap { try? CivilDate(parsing: $0) }?.vietnamese ?? "",
            "citizenId": p.citizenId ?? p.oldId ?? "",
            "phone": p.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "",
            "unit": await directory.cached(p.unitPath)?.name ?? p.unitPath,
            "status": ResidenceStatus(rawValue: p.residenceStatus).map { language == .vi ? $0.labelVI : $0.labelEN } ?? p.residenceStatus,
            "merged": p.mergedInto != nil,
        ]
    }

    static func detail(_ p: PersonRecord, _ language: Language, _ directory: UnitDirectory) async -> [String: Any] {
        var data = await row(p, language, directory)
        data["oldId"] = p.oldId ?? ""
        data["cccd"] = p.citizenId ?? ""
        data["address"] = p.address
        data["unitLabel"] = await directory.label(p.unitPath)
        data["group"] = p.groupCode.map { code in "\(code)" } ?? ""
        data["household"] = p.householdCode ?? ""
        data["householdCode"] = p.householdCode ?? ""
        data["residentUntil"] = p.residentUntil.flatMap { try? CivilDate(parsing: $0) }?.vietnamese ?? ""
        data["mergedInto"] = p.mergedInto ?? ""
        data["version"] = p.version
        data["updatedAt"] = p.updatedAt
        return data
    }

    package static func audit(_ e: AuditEntry, _ language: Language) -> [String: Any] {
        AuditDisplay.row(e, language)
    }

    /// The wards a user may put a person in, grouped by district.
    package static func wardOptions(for user: CurrentUser, directory: UnitDirectory, selected: String) async -> [[String: Any]] {
        let all = await directory.all().filter { !$0.isGroup }
        var result: [[String: Any]] = []
        for unit in all.sorted(by: { $0.path < $1.path }) {
            guard let path = try? UnitPath(unit.path), user.unitPath.contains(path), await directory.isLowestAdministrative(unit.path) else { continue }
            let parentName = unit.parentPath.flatMap { p in all.first { $0.path == p }?.name } ?? ""
            result.append(["path": unit.path, "name": unit.name, "parent": parentName, "selected": unit.path == selected])
        }
        // An officer with one ward has nothing to choose: preselect it rather than make Save fail on an empty list.
        if result.count == 1, selected.isEmpty { result[0]["selected"] = true }
        return result
    }
}
