import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird
import SQLKit

/// The contacts of any person with a level, not only of a confirmed case: an F1's own contacts are the
/// F2 list the seeds ask to trace ("F0, F1, F2 và các F"). Typed on a page, sent to the API, or
/// imported as a CSV contact list.
package struct PersonContactService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var cases: CaseService { CaseService(services: services) }

    struct Source: Sendable {
        let person: PersonRecord
        /// The person's current level (0 for an active case), and since when.
        let level: Int
        let since: String?
        let activeCase: CaseRecord?
    }

    /// The person, in the caller's scope, who may have contacts recorded: a case or anyone with a level.
    func source(personID: String, scope: Scope, language: Language) async throws -> Source {
        try await database.read { db in
            guard let person = try await PersonQueries.find(db, id: personID, scope: scope) else { throw AppError.notFound }
            let activeCase = try await CaseQueries.cases(ofPerson: person.id, db).first { $0.outcomeValue.isActive }
            if let activeCase { return Source(person: person, level: 0, since: activeCase.confirmedOn, activeCase: activeCase) }
            guard let level = try await CaseQueries.level(db, personID: person.id) else {
                throw AppError(.unprocessableContent, code: "no_level",
                               vi: "Chỉ ghi nhận người tiếp xúc của F0 hoặc của người đang có cấp tiếp xúc (F1, F2…); người này hiện không có.",
                               en: "Contacts are recorded for an F0 or someone with a contact level (F1, F2…); this person has none now.")
            }
            return Source(person: person, level: level.level, since: level.since, activeCase: nil)
        }
    }

    private func contactSource(_ s: Source) -> CaseService.ContactSource {
        if let c = s.activeCase { return CaseService.ContactSource(c) }
        return CaseService.ContactSource(person: s.person, caseID: nil, label: "\(contactLevelName(s.level)) \(s.person.fullName)")
    }

    /// Records contacts typed on a form or sent to the API; every row is checked before anything is written.
    package func add(personID: String, _ contacts: [ContactInput], user: CurrentUser, scope: Scope, key: IdempotencyKey?, language: Language,
                     offerMatches: Bool = false) async throws -> Int {
        guard user.can(.editCases) else { throw AppError.forbidden }
        let source = try await source(personID: personID, scope: scope, language: language)
        let today = Clock.today()
        var errors: [String: String] = [:]
        var planned: [CaseService.PlannedContact] = []
        var typed: [(row: Int, input: ContactInput, plan: CaseService.PlannedContact)] = []
        for (i, c) in contacts.enumerated() where !c.isBlank {
            let plan = try await cases.planContact(c, index: c.formRow ?? i, defaultDay: today, defaultUnit: source.person.unitPath, scope: scope, language: language, errors: &errors)
            planned.append(plan)
            typed.append((c.formRow ?? i, c, plan))
        }
        guard errors.isEmpty else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors)
        }
        if offerMatches {
            var found: [Int: [PersonRecord]] = [:]
            for t in typed where t.plan.existing == nil && !t.input.createNew {
                let candidates = try await cases.registeredCandidates(t.input, ward: t.plan.new?.unitPath ?? source.person.unitPath, scope: scope, excluding: source.person.id)
                if !candidates.isEmpty { found[t.row] = candidates }
            }
            if !found.isEmpty { throw ContactChoices(candidates: found) }
        }
        guard !planned.isEmpty else { throw AppError.invalid("Chưa nhập người tiếp xúc nào.", "No contact entered.") }
        let plan = planned
        let from = contactSource(source)
        return try await database.transaction { db in
            var added = 0
            _ = try await Idempotency.once(db, key: key, user: user) {
                let written = try await CaseService.writeContacts(db, plan, source: from, user: user)
                added = written.added
                try await ContactLevelService.recompute(db, around: written.touched.union([source.person.id]))
                return "/people/\(source.person.id)/contacts"
            }
            return added
        }
    }

    /// What a contact-list import did, row by row.
    struct ImportReport: Codable, Sendable {
        var totalRows = 0
        var added = 0
        /// Rows whose exposure was already recorded (the same file sent again adds nothing).
        var alreadyRecorded = 0
        var failed = 0
        var errors: [EpiRegistry.ImportReport.RowError] = []
    }

    /// Imports a contact list (CSV, one exposure per row). Policy (docs/import.md): each bad row is
    /// reported with its line and reason, good rows are kept; a row names its person by CCCD, or by
    /// name and phone, so that sending the file again finds the same people and adds nothing.
    func importCSV(personID: String, bytes: [UInt8], user: CurrentUser, scope: Scope, language: Language) async throws -> ImportReport {
        guard user.can(.editCases) else { throw AppError.forbidden }
        let source = try await source(personID: personID, scope: scope, language: language)
        var reader = CSVReader(bytes: bytes)
        guard let header = try reader.next() else { throw AppError.invalid("Tệp rỗng.", "The file is empty.") }
        let keys = header.fields.map { VietnameseText.fold($0.replacingOccurrences(of: "_", with: " ")) }
        func column(_ names: [String]) -> Int? { keys.firstIndex { names.contains($0) } }
        let name = column(["ho ten", "ho va ten", "full name", "name"]), cid = column(["so dinh danh", "cccd", "so cccd", "cmnd", "citizen id"])
        let phone = column(["so dien thoai", "dien thoai", "sdt", "phone"]), day = column(["ngay tiep xuc", "ngay", "day", "date"])
        let setting = column(["hinh thuc", "noi tiep xuc", "setting"]), closeness = column(["muc do", "closeness"])
        let ward = column(["ma phuong", "ma xa", "ward code", "unit"]), group = column(["to dan pho", "group"]), note = column(["ghi chu", "note"])
        guard name != nil || cid != nil else {
            throw AppError.invalid("Dòng tiêu đề cần cột họ tên (ho_ten) hoặc số định danh (so_dinh_danh).", "The header needs a full name (ho_ten) or ID (so_dinh_danh) column.")
        }
        var report = ImportReport()
        var planned: [CaseService.PlannedContact] = []
        let today = Clock.today()
        func fail(_ line: Int, _ vi: String, _ en: String) {
            report.failed += 1
            if report.errors.count < 5000 { report.errors.append(.init(line: line, column: nil, message: language == .vi ? "Dòng \(line): \(vi)" : "Line \(line): \(en)")) }
        }
        while let record = try reader.next() {
            report.totalRows += 1
            func field(_ i: Int?) -> String? {
                guard let i, i < record.fields.count else { return nil }
                let v = record.fields[i].trimmedWhitespace
                return v.isEmpty ? nil : v
            }
            if record.fields.contains(where: { $0.utf8.contains(0) }) { fail(record.line, "có ký tự không hợp lệ (NUL).", "contains an invalid character (NUL)."); continue }
            var c = ContactInput()
            c.fullName = field(name)
            c.citizenId = field(cid)
            c.phone = field(phone)
            c.day = field(day)
            c.setting = field(setting).flatMap(Self.setting)
            c.closeness = field(closeness).flatMap(Self.closeness)
            c.unit = field(ward)
            c.groupCode = field(group)
            c.note = field(note)
            if c.isBlank { fail(record.line, "dòng trống.", "empty row."); continue }
            // Without an ID or a phone, a row could not be found again, so a second import would add the person twice.
            guard c.citizenId != nil || (c.phone != nil && c.fullName != nil) else {
                fail(record.line, "cần số CCCD/CMND, hoặc họ tên và số điện thoại, để không tạo trùng.", "needs an ID number, or a name and a phone, so no one is added twice.")
                continue
            }
            if field(setting) != nil && c.setting == nil { fail(record.line, "hình thức tiếp xúc không rõ '\(field(setting) ?? "")'.", "unknown setting '\(field(setting) ?? "")'."); continue }
            var errors: [String: String] = [:]
            let plan = try await cases.planContact(c, index: 0, defaultDay: today, defaultUnit: source.person.unitPath, scope: scope, language: language, errors: &errors)
            if plan.day > today { errors["day"] = language == .vi ? "ngày tiếp xúc ở tương lai." : "exposure date in the future." }
            guard errors.isEmpty else { fail(record.line, errors.values.sorted().joined(separator: "; "), errors.values.sorted().joined(separator: "; ")); continue }
            planned.append(plan)
        }
        let from = contactSource(source)
        for start in stride(from: 0, to: planned.count, by: 500) {
            let chunk = Array(planned[start..<min(start + 500, planned.count)])
            let added = try await database.transaction { db in
                let written = try await CaseService.writeContacts(db, chunk, source: from, user: user)
                try await ContactLevelService.recompute(db, around: written.touched.union([source.person.id]))
                return written.added
            }
            report.added += added
            report.alreadyRecorded += chunk.count - added
        }
        let finalReport = report
        try await database.transaction { db in
            try await Audit.record(db, actor: user, action: "import", entityType: "exposures", entityId: source.person.id, unitPath: try? UnitPath(source.person.unitPath),
                                   summary: "Nhập danh sách tiếp xúc của \(source.person.fullName): \(finalReport.added) mới, \(finalReport.alreadyRecorded) đã có, \(finalReport.failed) lỗi")
        }
        return report
    }

    /// An exposure setting from its code or its Vietnamese or English label.
    static func setting(_ raw: String) -> String? {
        let folded = VietnameseText.fold(raw)
        return ExposureSetting.allCases.first { $0.rawValue == raw || VietnameseText.fold($0.labelVI) == folded || VietnameseText.fold($0.labelEN) == folded
            || (folded == "ho gia dinh" && $0 == .household) || (folded == "noi lam viec" && $0 == .workplace) }?.rawValue
    }

    static func closeness(_ raw: String) -> String? {
        let folded = VietnameseText.fold(raw)
        return Closeness.allCases.first { $0.rawValue == raw || VietnameseText.fold($0.labelVI) == folded || VietnameseText.fold($0.labelEN) == folded }?.rawValue
    }

    /// The exposures this person is the source of, newest first, with the contact masked outside scope.
    func recorded(personID: String, scope: Scope) async throws -> [CaseQueries.ExposureRow] {
        try await database.read { db in
            try await db.raw("""
                SELECT x.id, x.contact_id, p.full_name, p.phone, p.unit_path, p.group_code, x.day, x.setting, x.closeness, x.reached_at, x.reached_by
                FROM exposures x JOIN persons p ON p.id = x.contact_id WHERE x.source_id = \(bind: personID) ORDER BY x.day DESC, p.name_folded LIMIT 500
                """).all(decoding: CaseQueries.ExposureRow.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
    }
}

/// `/people/:id/contacts`: record and import an F1's (or any levelled person's) contacts.
package struct PersonContactRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var contacts: PersonContactService { PersonContactService(services: services) }

    package func register(pages: Routes<AuthedContext>, api: Routes<AuthedContext>) {
        pages.get("people/:id/contacts", .can(.viewCases), use: page)
        pages.post("people/:id/contacts", .can(.editCases), use: addPage)
        pages.post("people/:id/contacts/import", .can(.editCases), body: .upload, use: importPage)
        api.post("people/:id/contacts", .can(.editCases), use: apiAdd)
        api.post("people/:id/contacts/import", .can(.editCases), body: .upload, use: apiImport)
    }

    private func scope(_ context: AuthedContext) async throws -> Scope { try await Scope.of(context.user, directory: services.directory) }

    @Sendable func page(_ request: Request, context: AuthedContext) async throws -> Response {
        try await render(context: context, personID: try context.parameters.require("id"), values: [:], error: nil, report: nil, status: .ok)
    }

    private func render(context: AuthedContext, personID: String, values: [String: String], error: AppError?, report: PersonContactService.ImportReport?,
                        status: HTTPResponse.Status, choices: [Int: [PersonRecord]] = [:]) async throws -> Response {
        let scope = try await scope(context)
        let l = context.language
        let source = try await contacts.source(personID: personID, scope: scope, language: l)
        let rows = try await contacts.recorded(personID: personID, scope: scope)
        try await Audit.viewed(services.database, user: context.user, people: [(source.person.id, source.person.unitPath)], summary: "Mở danh sách tiếp xúc")
        var recorded: [[String: Any]] = []
        for x in rows {
            let visible = scope.contains(unitPath: x.unitPath, groupCode: x.groupCode) && context.user.can(.viewPeople)
            recorded.append(["personId": x.contactId, "visible": visible, "name": visible ? x.fullName : CaseView.masked(x.fullName),
                             "phone": visible ? (x.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "") : "",
                             "unit": await services.directory.cached(x.unitPath)?.name ?? "", "day": CaseView.date(x.day), "setting": CaseView.setting(x.setting, l)])
        }
        let today = Clock.today()
        let rowsCount = 5
        let errors = CaseView.fieldErrors(error)
        let newRows = (0..<rowsCount).map { i -> [String: Any] in
            let rowErrors = errors.filter { $0.key.hasPrefix("contacts_\(i)_") }.sorted { $0.key < $1.key }
                .map { "\(TracingHistory.fieldLabel(String($0.key.dropFirst("contacts_\(i)_".count)), l)): \($0.value)" }
            let candidates = choices[i] ?? []
            let chosen = values["c\(i)_person"]
            return ["i": i, "n": i + 1, "name": values["c\(i)_name"] ?? "", "phone": values["c\(i)_phone"] ?? "", "cid": values["c\(i)_cid"] ?? "",
                    "day": values["c\(i)_day"] ?? "", "unit": values["c\(i)_unit"] ?? "",
                    "settings": CaseView.options("exposure_setting", ExposureSetting.self, selected: values["c\(i)_setting"] ?? "household", l),
                    "rowErrors": rowErrors, "hasError": !rowErrors.isEmpty,
                    "matches": candidates.enumerated().map { k, p in
                        ["row": i, "id": p.id, "label": CaseRoutes.describe(p), "checked": chosen == p.id || (chosen != "new" && k == 0 && !candidates.contains { $0.id == chosen })] as [String: Any]
                    },
                    "hasMatches": !candidates.isEmpty, "newChecked": chosen == "new", "asked": CaseRoutes.contactInput(values, row: i).fingerprint]
        }
        return services.views.page("cases/person-contacts", title: context.t("Người tiếp xúc của \(source.person.fullName)", "Contacts of \(source.person.fullName)"),
                                   context: context, data: [
            "personId": source.person.id, "name": source.person.fullName, "level": contactLevelName(source.level), "since": CaseView.date(source.since),
            "isCase": source.activeCase != nil, "caseId": source.activeCase?.id ?? "", "nextLevel": contactLevelName(source.level + 1),
            "recorded": recorded, "hasRecorded": !recorded.isEmpty, "recordedCount": recorded.count, "rows": newRows,
            "today": today.vietnamese, "formKey": values["_key"] ?? Idempotency.newKey(), "canEdit": context.user.can(.editCases),
            "error": error.map { $0.message(l) } as Any, "err": errors, "errorList": CaseView.errorList(error, l), "choosing": !choices.isEmpty,
            "report": report.map { r in ["total": r.totalRows, "added": r.added, "already": r.alreadyRecorded, "failed": r.failed,
                                         "errors": r.errors.prefix(200).map { ["message": $0.message] }, "hasErrors": !r.errors.isEmpty] as [String: Any] } as Any,
        ], status: status, active: "contacts")
    }

    @Sendable func addPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let form = context.form ?? FormData()
        do {
            _ = try await contacts.add(personID: id, CaseRoutes.contactInputs(from: form), user: context.user, scope: try await scope(context),
                                       key: Idempotency.key(request, context), language: context.language, offerMatches: context.user.can(.viewPeople))
            return Views.redirect("/people/\(id)/contacts")
        } catch let choices as ContactChoices {
            try await Audit.viewed(services.database, user: context.user, people: choices.candidates.values.flatMap { $0 }.map { ($0.id, $0.unitPath) }, action: "list_view",
                                   summary: "Gợi ý người đã có khi ghi nhận người tiếp xúc")
            return try await render(context: context, personID: id, values: form.fields, error: nil, report: nil, status: .ok, choices: choices.candidates)
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await render(context: context, personID: id, values: form.fields, error: error, report: nil, status: error.status)
        }
    }

    @Sendable func importPage(_ request: Request, context: AuthedContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let file = context.form?.files["file"], !file.bytes.isEmpty else {
            return try await render(context: context, personID: id, values: [:], error: AppError.invalid("Chọn tệp CSV danh sách tiếp xúc.", "Choose a CSV contact list."),
                                    report: nil, status: .unprocessableContent)
        }
        do {
            let report = try await contacts.importCSV(personID: id, bytes: file.bytes, user: context.user, scope: try await scope(context), language: context.language)
            return try await render(context: context, personID: id, values: [:], error: nil, report: report, status: .ok)
        } catch let error as AppError where error.status == .unprocessableContent {
            return try await render(context: context, personID: id, values: [:], error: error, report: nil, status: error.status)
        }
    }

    @Sendable func apiAdd(_ request: Request, context: AuthedContext) async throws -> Response {
        struct In: Decodable { let contacts: [ContactInput] }
        let body = try await APIBody.decode(In.self, request, context: context)
        let id = try context.parameters.require("id")
        let added = try await contacts.add(personID: id, body.contacts, user: context.user, scope: try await scope(context),
                                           key: Idempotency.key(request, context), language: context.language)
        return try JSON.response(["data": ["added": added]], status: .created)
    }

    @Sendable func apiImport(_ request: Request, context: AuthedContext) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: context.bodyLimit)
        let report = try await contacts.importCSV(personID: try context.parameters.require("id"), bytes: Array(body.readableBytesView), user: context.user,
                                                  scope: try await scope(context), language: context.language)
        return try JSON.response(["data": report])
    }
}
