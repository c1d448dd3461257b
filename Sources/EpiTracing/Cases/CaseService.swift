import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// One contact typed on the F0 form or sent by the API.
package struct ContactInput: Codable, Sendable {
    package var personId: String?
    var fullName: String?
    var phone: String?
    var citizenId: String?
    /// Ward code or path where the contact lives; defaults to the case's ward.
    var unit: String?
    var groupCode: String?
    var setting: String?
    var closeness: String?
    var day: String?
    var note: String?

    package init(personId: String? = nil, fullName: String? = nil, phone: String? = nil, citizenId: String? = nil, unit: String? = nil, groupCode: String? = nil, setting: String? = nil, closeness: String? = nil, day: String? = nil, note: String? = nil) {
        self.personId = personId
        self.fullName = fullName
        self.phone = phone
        self.citizenId = citizenId
        self.unit = unit
        self.groupCode = groupCode
        self.setting = setting
        self.closeness = closeness
        self.day = day
        self.note = note
    }

    /// The row's number on the form it came from (error keys name it); API rows are numbered by
    /// their place in the list. Not part of the API.
    var formRow: Int?
    /// The officer was shown registered people who might be this contact and chose to create a new
    /// record: do not ask again. Not part of the API.
    var createNew = false

    enum CodingKeys: String, CodingKey {
        case personId, fullName, phone, citizenId, unit, groupCode, setting, closeness, day, note
    }

    var isBlank: Bool {
        [personId, fullName, phone, citizenId].allSatisfy { ($0 ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
    }

    /// What the officer typed, folded: a choice made for other words is asked again.
    var fingerprint: String {
        let digits = (phone ?? "").filter(\.isNumber)
        return "\(VietnameseText.fold(fullName ?? ""))|\(digits)|\((unit ?? "").trimmingCharacters(in: .whitespaces))"
    }
}

/// Registered people who may be the contacts typed on a form, by the row they were typed in: the form
/// asks the officer to choose one of them or to create a new record, and nothing is saved meanwhile.
package struct ContactChoices: Error, Sendable {
    package let candidates: [Int: [PersonRecord]]
}

/// What the F0 form or `POST /api/v1/cases` sends.
package struct CaseInput: Codable, Sendable {
    var personId: String?
    var person: PersonInput?
    var confirmedOn: String?
    var sampledOn: String?
    var testType: String?
    var testPlace: String?
    var detectedIn: String?
    var symptomOnset: String?
    var symptoms: String?
    var clinicalStatus: String?
    package var careSetting: String?
    package var facilityId: String?
    var clusterId: String?
    var notes: String?
    var contacts: [ContactInput]?

    package init(personId: String? = nil, person: PersonInput? = nil, confirmedOn: String? = nil, sampledOn: String? = nil, testType: String? = nil, testPlace: String? = nil, detectedIn: String? = nil, symptomOnset: String? = nil, symptoms: String? = nil, clinicalStatus: String? = nil, careSetting: String? = nil, facilityId: String? = nil, clusterId: String? = nil, notes: String? = nil, contacts: [ContactInput]? = nil) {
        self.personId = personId
        self.person = person
        self.confirmedOn = confirmedOn
        self.sampledOn = sampledOn
        self.testType = testType
        self.testPlace = testPlace
        self.detectedIn = detectedIn
        self.symptomOnset = symptomOnset
        self.symptoms = symptoms
        self.clinicalStatus = clinicalStatus
        self.careSetting = careSetting
        self.facilityId = facilityId
        self.clusterId = clusterId
        self.notes = notes
        self.contacts = contacts
    }
}

/// Changes to a case after it was recorded.
package struct CaseUpdate: Codable, Sendable {
    var clinicalStatus: String?
    var careSetting: String?
    var facilityId: String?
    var outcome: String?
    var outcomeOn: String?
    var symptomOnset: String?
    var symptoms: String?
    var clusterId: String?
    var detectedIn: String?
    var notes: String?
    var version: Int?

    package init(clinicalStatus: String? = nil, careSetting: String? = nil, facilityId: String? = nil, outcome: String? = nil, outcomeOn: String? = nil, symptomOnset: String? = nil, symptoms: String? = nil, clusterId: String? = nil, detectedIn: String? = nil, notes: String? = nil, version: Int? = nil) {
        self.clinicalStatus = clinicalStatus
        self.careSetting = careSetting

        self.facilityId = facilityId
        self.outcome = outcome
        self.outcomeOn = outcomeOn
        self.symptomOnset = symptomOnset
        self.symptoms = symptoms
        self.clusterId = clusterId
        self.detectedIn = detectedIn
        self.notes = notes
        self.version = version
    }
}

/// Recording F0s and their contacts, updating cases, tracing: validation, scope, figures, levels and audit in one place.
package struct CaseService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var directory: UnitDirectory { services.directory }

    package struct Recorded: Sendable {
        package let caseRecord: CaseRecord
        let newContacts: Int
        let repeated: Bool
    }

    private func msg(_ language: Language, _ vi: String, _ en: String) -> String { language == .vi ? vi : en }

    private func date(_ raw: String?, field: String, _ errors: inout [String: String], _ language: Language, required: Bool = false, default fallback: CivilDate? = nil) -> CivilDate? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            if required && fallback == nil { errors[field] = msg(language, "Bắt buộc nhập.", "Required.") }
            return fallback
        }
        do {
            let d = try CivilDate(parsing: raw)
            if d > Clock.today() { errors[field] = msg(language, "Ngày ở tương lai.", "Date is in the future.") }
            return d
        } catch {
            errors[field] = msg(language, error.messageVI, error.messageEN)
            return nil
        }
    }

    private func choice<T: RawRepresentable>(_ raw: String?, _ type: T.Type, default fallback: T, field: String, _ errors: inout [String: String], _ language: Language) -> T where T.RawValue == String {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        guard let value = T(rawValue: raw) else {
            errors[field] = msg(language, "Giá trị không hợp lệ.", "Invalid value.")
            return fallback
        }
        return value
    }

    /// Records an F0 (new or registered person), its contacts and a tracing task, in one transaction.
    package func record(_ input: CaseInput, user: CurrentUser, scope: Scope, key: IdempotencyKey?, language: Language,
                        offerMatches: Bool = false) async throws -> Recorded {
        guard user.can(.editCases) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let today = Clock.today()
        let confirmed = date(input.confirmedOn, field: "confirmed_on", &errors, language, default: today)
        let sampled = date(input.sampledOn, field: "sampled_on", &errors, language)
        let onset = date(input.symptomOnset, field: "symptom_onset", &errors, language)
        if let s = sampled, let c = confirmed, s > c { errors["sampled_on"] = msg(language, "Ngày lấy mẫu sau ngày khẳng định.", "Sampled after confirmation.") }
        let testType = choice(input.testType, TestType.self, default: .rtPCR, field: "test_type", &errors, language)
        let detected = choice(input.detectedIn, DetectionSetting.self, default: .community, field: "detected_in", &errors, language)
        let clinical = choice(input.clinicalStatus, ClinicalStatus.self, default: .asymptomatic, field: "clinical_status", &errors, language)
        let care = choice(input.careSetting, CareSetting.self, default: .home, field: "care_setting", &errors, language)
        let facilityId = input.facilityId.flatMap { $0.isEmpty ? nil : $0 }
        if care == .facility && facilityId == nil { errors["facility_id"] = msg(language, "Chọn cơ sở cách ly.", "Choose the facility.") }

        // The F0's person: chosen, found by ID, or new.
        var newPerson: PersonRecord?
        var person: PersonRecord?
        // The F0's ward, even when the F0's own fields are refused: contacts live there by default, and a
        // mistake in the F0's phone must not read as a missing ward on every contact.
        var f0Ward: String?
        if let id = input.personId, !id.isEmpty {
            person = try await database.read { try await PersonQueries.find($0, id: id, scope: scope) }
            if person == nil { throw AppError.notFound }
        } else {
            var pInput = input.person ?? PersonInput()
            if let raw = pInput.citizenId, let cid = try? CitizenID(parsing: raw) {
                let holder = try await database.read { try await PersonQueries.holder($0, citizenID: cid.kind == .cccd ? cid.digits : nil, oldID: cid.kind == .cmnd ? cid.digits : nil, excluding: nil) }
                if let holder {
                    guard scope.contains(unitPath: holder.unitPath, groupCode: holder.groupCode) else {
                        throw AppError(.conflict, code: "person_outside_scope", vi: "Số định danh này thuộc hồ sơ ngoài địa bàn của bạn: đề nghị đơn vị quản lý người này ghi nhận F0.",
                                       en: "This ID belongs to a person outside your jurisdiction: ask the unit responsible for them to record the case.", details: ["person.citizen_id": "outside_scope"])
                    }
                    person = holder
                }
            }
            if person == nil {
                if (pInput.unit ?? "").isEmpty, case .group = scope.kind, let parent = scope.root.parent { pInput.unit = parent.string; pInput.groupCode = scope.root.code }
                let unit = try await PersonService(database: database, directory: directory).resolveUnit(pInput.unit, user: user)
                f0Ward = unit?.path
                var validator = PersonValidator(language: language)
                if let record = validator.validate(pInput, unitPath: unit?.path, base: nil) {
                    newPerson = record
                    person = record
                } else {
                    for (k, v) in validator.errors { errors["person.\(k)"] = v }
                }
            }
        }
        // Contacts, validated before anything is written.
        var planned: [PlannedContact] = []
        var typed: [(row: Int, input: ContactInput, plan: PlannedContact)] = []
        let contactWard = person?.unitPath ?? f0Ward
        for (i, c) in (input.contacts ?? []).enumerated() where !c.isBlank {
            let row = c.formRow ?? i
            var contactErrors: [String: String] = [:]
            let plan = try await planContact(c, index: row, defaultDay: sampled ?? confirmed ?? today, defaultUnit: contactWard, scope: scope, language: language, errors: &contactErrors)
            if let confirmed, plan.day < confirmed.adding(days: -30) {
                contactErrors["contacts.\(row).day"] = msg(language, "Ngày tiếp xúc quá 30 ngày trước khi khẳng định.", "Exposure more than 30 days before confirmation.")
            }
            // Without the F0's ward a contact has no ward either; the F0's own error says what to fix.
            if contactWard == nil, (c.unit ?? "").isEmpty { contactErrors["contacts.\(row).unit"] = nil }
            errors.merge(contactErrors) { first, _ in first }
            planned.append(plan)
            typed.append((row, c, plan))
        }
        guard errors.isEmpty, let person, let confirmed else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors)
        }
        if offerMatches {
            var found: [Int: [PersonRecord]] = [:]
            for t in typed where t.plan.existing == nil && !t.input.createNew {
                let candidates = try await registeredCandidates(t.input, ward: t.plan.new?.unitPath ?? person.unitPath, scope: scope, excluding: person.id)
                if !candidates.isEmpty { found[t.row] = candidates }
            }
            if !found.isEmpty { throw ContactChoices(candidates: found) }
        }
        if let facilityId {
            guard try await database.read({ try await $0.raw("SELECT id FROM facilities WHERE id = \(bind: facilityId) AND active").first() }) != nil else {
                throw AppError.invalid("Cơ sở cách ly không tồn tại.", "Unknown facility.", details: ["facility_id": "unknown"])
            }
        }
        let deadlineHours = try await database.read { try await Policies.value($0, .tracingDeadlineHours) }
        let f0 = person
        let newF0 = newPerson
        let plannedContacts = planned
        return try await database.transaction { db -> Recorded in
            var created: CaseRecord?
            var newContacts = 0
            let (outcome, repeated) = try await Idempotency.once(db, key: key, user: user) {
                if let p = newF0 { try await Self.insertPerson(db, p, user: user, summary: "Tạo hồ sơ khi ghi nhận F0") }
                let opened = try await Self.open(db, Opening(
                    person: f0, confirmed: confirmed, sampled: sampled, testType: testType, testPlace: (input.testPlace ?? "").trimmed, detected: detected,
                    onset: onset, symptoms: (input.symptoms ?? "").trimmed, clinical: clinical, care: care, facilityId: facilityId,
                    clusterId: input.clusterId.flatMap { $0.isEmpty ? nil : $0 }, notes: (input.notes ?? "").trimmed, contacts: plannedContacts,
                    deadlineHours: deadlineHours), user: user, language: language)
                let record = opened.record
                newContacts = opened.newContacts
                created = record
                return record.id
            }
            let record: CaseRecord
            if let created { record = created } else {
                guard let found = try await CaseQueries.find(db, id: outcome, scope: scope) else { throw AppError.notFound }
                record = found
            }
            return Recorded(caseRecord: record, newContacts: newContacts, repeated: repeated)
        }
    }

    /// Everything a new case is made of, validated: what `open` writes.
    struct Opening: Sendable {
        let person: PersonRecord
        let confirmed: CivilDate
        let sampled: CivilDate?
        let testType: TestType
        let testPlace: String
        let detected: DetectionSetting
        let onset: CivilDate?
        let symptoms: String
        let clinical: ClinicalStatus
        let care: CareSetting
        let facilityId: String?
        let clusterId: String?
        let notes: String
        let contacts: [PlannedContact]
        let deadlineHours: Int
    }

    /// Writes a new case in the caller's transaction: its number, figures, audit rows, isolation (an F1
    /// already in quarantine moves on to isolation), contacts, tracing task and the contact levels
    /// around it. Shared by the F0 form and by a positive laboratory result.
    static func open(_ db: any SQLDatabase, _ o: Opening, user: CurrentUser, language: Language) async throws -> (record: CaseRecord, newContacts: Int) {
        let f0 = o.person, confirmed = o.confirmed, care = o.care
        let now = Timestamp.now()
        let number = Sequences.caseNumber(try await Sequences.next(db, "case"))
        let record = CaseRecord(
            id: Identifier.make(), caseNumber: number, personId: f0.id, unitPath: f0.unitPath, groupCode: f0.groupCode ?? "",
            confirmedOn: confirmed.iso, sampledOn: o.sampled?.iso, testType: o.testType.rawValue, testPlace: o.testPlace,
            detectedIn: o.detected.rawValue, symptomOnset: o.onset?.iso, symptoms: o.symptoms, clinicalStatus: o.clinical.rawValue,
            careSetting: care.rawValue, facilityId: o.facilityId, outcome: CaseOutcome.active.rawValue, outcomeOn: nil,
            clusterId: o.clusterId, notes: o.notes, createdBy: user.username, createdAt: now, updatedAt: now, version: 1)
        try await Self.insertCase(db, record)
        try await Counters.apply(db, record.counterContributions)
        try await Audit.record(db, actor: user, action: "create", entityType: "case", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                               summary: "Ghi nhận F0 \(number): \(f0.fullName)",
                               changes: [FieldChange("person_id", old: nil, new: f0.id), FieldChange("confirmed_on", old: nil, new: confirmed.iso),
                                         FieldChange("care_setting", old: nil, new: care.rawValue), FieldChange("detected_in", old: nil, new: o.detected.rawValue)])
        try await Audit.record(db, actor: user, action: "case_opened", entityType: "person", entityId: f0.id, unitPath: try? UnitPath(f0.unitPath),
                               summary: "Ghi nhận là F0 (\(number))")
        // Isolation starts with the case where a rule covers it: in the chosen facility (its place is taken
        // now, or the whole record is refused when it is full) or at home. An F1 already in quarantine
        // moves on to isolation.
        if let active = try await QuarantineService.episodes(db, personID: f0.id).first(where: { $0.isActive }), active.kind == "quarantine" {
            _ = try await QuarantineService.end(db, active, outcome: "transferred", on: max(confirmed, (try CivilDate.stored(active.startDate))),
                                                note: "Trở thành F0 \(number)", returnHome: false, user: user, language: language, recomputeLevels: false)
        }
        let facility = try await o.facilityId.asyncMap { try await QuarantineService.facility(db, id: $0) } ?? nil
        let rules = try await QuarantineService.rules(db)
        if QuarantinePolicy.rule(for: .f0, setting: care, on: confirmed, rules: rules) != nil,
           try await QuarantineService.episodes(db, personID: f0.id).allSatisfy({ !$0.isActive }) {
            _ = try await QuarantineService.begin(db, person: f0, subject: .f0, setting: care, facility: care == .home ? nil : facility, start: confirmed,
                                                  note: "Cách ly điều trị F0 \(number)", user: user, language: language, recomputeLevels: false)
        }
        let written = try await Self.writeContacts(db, o.contacts, for: record, user: user)
        let task = TracingTaskRecord(id: Identifier.make(), caseId: record.id, unitPath: record.unitPath, groupCode: record.groupCode, openedAt: now,
                                     dueAt: Timestamp.string(Clock.now().addingTimeInterval(TimeInterval(o.deadlineHours * 3600))), status: "open",
                                     closedAt: nil, closedBy: nil, note: "")
        try await Self.insertTask(db, task)
        try await Counters.bump(db, task.unitPath, group: task.groupCode, .tracingOpen)
        try await ContactLevelService.recompute(db, around: written.touched.union([f0.id]))
        return (record, written.added)
    }

    /// Opens the F0 record of a person a laboratory found positive (the testing capability), in the
    /// caller's transaction and exactly as the F0 form does: isolation at home under the rule in force
    /// (an F1 in quarantine moves on to isolation), a tracing task, contact levels recomputed. The result
    /// itself is the authority, so no permission of `actor` is checked; `actor` is who the audit names.
    /// A person who already has an active case gets no second one: that case is returned.
    package static func openFromLabResult(_ db: any SQLDatabase, person: PersonRecord, confirmedOn: CivilDate, sampledOn: CivilDate?, testType: TestType,
                                          testPlace: String, detectedIn: DetectionSetting, note: String, actor: CurrentUser) async throws -> (record: CaseRecord, opened: Bool) {
        if let active = try await CaseQueries.cases(ofPerson: person.id, db).first(where: { $0.outcomeValue.isActive }) { return (active, false) }
        let deadlineHours = try await Policies.value(db, .tracingDeadlineHours)
        let opened = try await open(db, Opening(
            person: person, confirmed: confirmedOn, sampled: sampledOn.map { min($0, confirmedOn) }, testType: testType, testPlace: String(testPlace.prefix(TextLimits.title)),
            detected: detectedIn, onset: nil, symptoms: "", clinical: .asymptomatic, care: .home, facilityId: nil, clusterId: nil,
            notes: String(note.prefix(TextLimits.title)), contacts: [], deadlineHours: deadlineHours), user: actor, language: .vi)
        return (opened.record, true)
    }

    /// The ward a contact lives in: a code or path anywhere in the city, or the case's ward.
    private func contactUnit(_ raw: String?, default fallback: String?) async throws -> String? {
        guard var raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return fallback }
        raw = raw.replacingOccurrences(of: ".", with: "/")
        if let unit = try await directory.unit(raw), !unit.isGroup, await directory.isLowestAdministrative(unit.path) { return unit.path }
        if let unit = await directory.all().first(where: { $0.code == raw && !$0.isGroup }), await directory.isLowestAdministrative(unit.path) { return unit.path }
        return nil
    }

    /// Registered people in the officer's jurisdiction who may be the contact typed: the same phone, or
    /// the same name in the contact's ward. Only what the officer may open anyway, at most five.
    func registeredCandidates(_ c: ContactInput, ward: String, scope: Scope, excluding: String) async throws -> [PersonRecord] {
        let folded = VietnameseText.fold(c.fullName ?? "")
        let phone = (c.phone ?? "").isEmpty ? nil : try? PhoneNumber(parsing: c.phone ?? "")
        guard phone != nil || !folded.isEmpty else { return [] }
        return try await database.read { db in
            var found: [PersonRecord] = []
            if let phone {
                found += try await PersonQueries.fetch(db, """
                    \(unsafeRaw: PersonQueries.select) WHERE phone = \(bind: phone.e164) AND merged_into IS NULL AND id <> \(bind: excluding) AND \(scope.condition())
                    ORDER BY name_folded, id LIMIT 5
                    """)
            }
            if !folded.isEmpty {
                found += try await PersonQueries.fetch(db, """
                    \(unsafeRaw: PersonQueries.select) WHERE name_folded = \(bind: folded) AND unit_path = \(bind: ward) AND merged_into IS NULL
                    AND id <> \(bind: excluding) AND \(scope.condition()) ORDER BY birth_date, id LIMIT 5
                    """)
            }
            var seen = Set<String>()
            return Array(found.filter { seen.insert($0.id).inserted }.prefix(5))
        }
    }

    /// The people registered in the same household (same household code in the same ward) whom the
    /// officer may open: an F0's closest contacts, offered on the F0 form and the case page.
    static func householdMembers(_ db: any SQLDatabase, of person: PersonRecord, scope: Scope) async throws -> [PersonRecord] {
        guard let code = person.householdCode, !code.isEmpty else { return [] }
        return try await PersonQueries.fetch(db, """
            \(unsafeRaw: PersonQueries.select) WHERE unit_path = \(bind: person.unitPath) AND household_code = \(bind: code) AND merged_into IS NULL
            AND id <> \(bind: person.id) AND \(scope.condition()) ORDER BY birth_date, id LIMIT 30
            """)
    }

    static func insertPerson(_ db: any SQLDatabase, _ p: PersonRecord, user: CurrentUser, summary: String) async throws {
        try await PersonService.guardUniqueIDs(db, p, language: .vi)
        try await PersonQueries.insert(db, [p])
        try await Audit.record(db, actor: user, action: "create", entityType: "person", entityId: p.id, unitPath: try? UnitPath(p.unitPath), summary: summary,
                               changes: p.auditFields.compactMap { $0.1 == nil ? nil : FieldChange($0.0, old: nil, new: $0.1) })
    }

    package static func insertCase(_ db: any SQLDatabase, _ r: CaseRecord) async throws {
        try await db.raw("""
            INSERT INTO cases (\(unsafeRaw: CaseRecord.columns)) VALUES (\(bind: r.id), \(bind: r.caseNumber), \(bind: r.personId), \(bind: r.unitPath), \(bind: r.groupCode),
            \(bind: r.confirmedOn), \(bind: r.sampledOn), \(bind: r.testType), \(bind: r.testPlace), \(bind: r.detectedIn), \(bind: r.symptomOnset), \(bind: r.symptoms),
            \(bind: r.clinicalStatus), \(bind: r.careSetting), \(bind: r.facilityId), \(bind: r.outcome), \(bind: r.outcomeOn), \(bind: r.clusterId), \(bind: r.notes),
            \(bind: r.createdBy), \(bind: r.createdAt), \(bind: r.updatedAt), \(bind: r.version))
            """).run()
    }

    static func insertTask(_ db: any SQLDatabase, _ t: TracingTaskRecord) async throws {
        try await db.raw("""
            INSERT INTO tracing_tasks (\(unsafeRaw: TracingTaskRecord.columns)) VALUES (\(bind: t.id), \(bind: t.caseId), \(bind: t.unitPath), \(bind: t.groupCode),
            \(bind: t.openedAt), \(bind: t.dueAt), \(bind: t.status), \(bind: t.closedAt), \(bind: t.closedBy), \(bind: t.note))
            """).run()
    }

    /// Inserts an exposure unless the same pair on the same day is recorded already; true when inserted.
    @discardableResult
    static func insertExposure(_ db: any SQLDatabase, source: String, contact: PersonRecord, day: CivilDate, setting: ExposureSetting, closeness: Closeness,
                               note: String, caseId: String?, unitPath: String, user: CurrentUser) async throws -> Bool {
        let key = ExposureRecord.pairKey(source, contact.id, day: day.iso)
        let id = Identifier.make()
        let rows = try await db.raw("""
            INSERT INTO exposures (id, source_id, contact_id, day, setting, closeness, note, pair_key, case_id, unit_path, created_by, created_at)
            VALUES (\(bind: id), \(bind: source), \(bind: contact.id), \(bind: day.iso), \(bind: setting.rawValue), \(bind: closeness.rawValue), \(bind: note.trimmed),
                    \(bind: key), \(bind: caseId), \(bind: unitPath), \(bind: user.username), \(bind: Timestamp.now()))
            ON CONFLICT (pair_key) DO NOTHING RETURNING id
            """).all()
        guard !rows.isEmpty else { return false }
        try await Counters.bump(db, unitPath, .exposuresRecorded, day: day)
        try await Audit.record(db, actor: user, action: "create", entityType: "exposure", entityId: id, unitPath: try? UnitPath(unitPath),
                               summary: "Tiếp xúc ngày \(day.vietnamese) (\(setting.labelVI))",
                               changes: [FieldChange("source_id", old: nil, new: source), FieldChange("contact_id", old: nil, new: contact.id)])
        try await Audit.record(db, actor: user, action: "exposure", entityType: "person", entityId: contact.id, unitPath: try? UnitPath(contact.unitPath),
                               summary: "Ghi nhận tiếp xúc ngày \(day.vietnamese)")
        return true
    }

    /// Adds contacts to an existing case (the tracing page and `POST /api/v1/cases/:id/contacts`).
    func addContacts(caseID: String, _ contacts: [ContactInput], user: CurrentUser, scope: Scope, key: IdempotencyKey?, language: Language) async throws -> Int {
        guard user.can(.editCases) else { throw AppError.forbidden }
        guard let record = try await database.read({ try await CaseQueries.find($0, id: caseID, scope: scope) }) else { throw AppError.notFound }
        var errors: [String: String] = [:]
        var resolved: [PlannedContact] = []
        for (i, c) in contacts.enumerated() where !c.isBlank {
            resolved.append(try await planContact(c, index: c.formRow ?? i, defaultDay: record.sampledOn.flatMap(CivilDate.init(iso:)) ?? record.confirmedDate,
                                                  defaultUnit: record.unitPath, scope: scope, language: language, errors: &errors))
        }
        guard errors.isEmpty else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors)
        }
        guard !resolved.isEmpty else { throw AppError.invalid("Chưa nhập người tiếp xúc nào.", "No contact entered.") }
        let planned = resolved
        return try await database.transaction { db in
            var added = 0
            _ = try await Idempotency.once(db, key: key, user: user) {
                let written = try await Self.writeContacts(db, planned, for: record, user: user)
                added = written.added
                try await ContactLevelService.recompute(db, around: written.touched.union([record.personId]))
                return "/cases/\(record.id)"
            }
            return added
        }
    }

    /// Whose contacts are being written: a case's F0, or any person with a level (an F1's F2s).
    struct ContactSource: Sendable {
        let personID: String
        let unitPath: String
        /// The case the exposures belong to, when the source is an F0 (they then show on the case page).
        let caseID: String?
        /// How new people are described in their audit row.
        let label: String

        init(_ record: CaseRecord) {
            personID = record.personId
            unitPath = record.unitPath
            caseID = record.id
            label = "F0 \(record.caseNumber)"
        }

        init(person: PersonRecord, caseID: String?, label: String) {
            personID = person.id
            unitPath = person.unitPath
            self.caseID = caseID
            self.label = label
        }
    }

    /// Writes planned contacts: new people first (two rows may name the same new person, and a person
    /// typed by phone and name is found again rather than made twice), then one exposure each; returns
    /// how many exposures were new and whom they touched.
    static func writeContacts(_ db: any SQLDatabase, _ planned: [PlannedContact], for record: CaseRecord, user: CurrentUser) async throws -> (added: Int, touched: Set<String>) {
        try await writeContacts(db, planned, source: ContactSource(record), user: user)
    }

    static func writeContacts(_ db: any SQLDatabase, _ planned: [PlannedContact], source: ContactSource, user: CurrentUser) async throws -> (added: Int, touched: Set<String>) {
        var added = 0
        var touched: Set<String> = []
        for plan in planned {
            var contact = plan.existing
            if contact == nil, let p = plan.new {
                if let holder = try await PersonQueries.holder(db, citizenID: p.citizenId, oldID: p.oldId, excluding: nil) {
                    contact = holder
                } else if let phone = p.phone, let same = try await PersonQueries.fetch(db, """
                    \(unsafeRaw: PersonQueries.select) WHERE phone = \(bind: phone) AND name_folded = \(bind: p.nameFolded) AND merged_into IS NULL LIMIT 1
                    """).first {
                    contact = same
                } else {
                    try await insertPerson(db, p, user: user, summary: "Tạo hồ sơ khi ghi nhận tiếp xúc của \(source.label)")
                    contact = p
                }
            }
            guard let contact, contact.id != source.personID else { continue }
            if try await insertExposure(db, source: source.personID, contact: contact, day: plan.day, setting: plan.setting, closeness: plan.closeness,
                                        note: plan.note, caseId: source.caseID, unitPath: source.unitPath, user: user) {
                added += 1
                touched.insert(contact.id)
            }
        }
        return (added, touched)
    }

    /// A contact row resolved to a registered person (`existing`) or a new record (`new`).
    struct PlannedContact: Sendable {
        var existing: PersonRecord?
        var new: PersonRecord?
        let day: CivilDate
        let setting: ExposureSetting
        let closeness: Closeness
        let note: String
    }

    /// Resolves one contact row: a chosen person in scope, the holder of the ID anywhere in the city,
    /// someone with the same name at the same phone, or a new record in the given (or the case's) ward.
    func planContact(_ c: ContactInput, index i: Int, defaultDay: CivilDate, defaultUnit: String?, scope: Scope, language: Language,
                     errors: inout [String: String]) async throws -> PlannedContact {
        let prefix = "contacts.\(i)."
        let day = date(c.day, field: prefix + "day", &errors, language, default: defaultDay) ?? defaultDay
        let setting = choice(c.setting, ExposureSetting.self, default: .household, field: prefix + "setting", &errors, language)
        let closeness = choice(c.closeness, Closeness.self, default: .close, field: prefix + "closeness", &errors, language)
        var plan = PlannedContact(existing: nil, new: nil, day: day, setting: setting, closeness: closeness, note: (c.note ?? "").trimmed)
        if let id = c.personId, !id.isEmpty {
            plan.existing = try await database.read { try await PersonQueries.find($0, id: id, scope: scope) }
            if plan.existing == nil { errors[prefix + "person_id"] = msg(language, "Không tìm thấy người này trong địa bàn.", "Person not found in your jurisdiction.") }
            return plan
        }
        if let raw = c.citizenId, !raw.isEmpty {
            guard let cid = try? CitizenID(parsing: raw) else {
                errors[prefix + "citizen_id"] = msg(language, "Số CCCD/CMND không hợp lệ.", "Invalid ID number.")
                return plan
            }
            plan.existing = try await database.read { try await PersonQueries.holder($0, citizenID: cid.kind == .cccd ? cid.digits : nil, oldID: cid.kind == .cmnd ? cid.digits : nil, excluding: nil) }
            if plan.existing != nil { return plan }
        }
        let folded = VietnameseText.fold(c.fullName ?? "")
        if let raw = c.phone, !raw.isEmpty {
            guard let phone = try? PhoneNumber(parsing: raw) else {
                errors[prefix + "phone"] = msg(language, "Số điện thoại không hợp lệ.", "Invalid phone number.")
                return plan
            }
            if !folded.isEmpty {
                plan.existing = try await database.read { db in
                    try await PersonQueries.fetch(db, "\(unsafeRaw: PersonQueries.select) WHERE phone = \(bind: phone.e164) AND name_folded = \(bind: folded) AND merged_into IS NULL LIMIT 1").first
                }
                if plan.existing != nil { return plan }
            }
        }
        var pInput = PersonInput()
        pInput.fullName = c.fullName
        pInput.phone = c.phone
        pInput.citizenId = c.citizenId
        let unitPath = try await contactUnit(c.unit, default: defaultUnit)
        if unitPath == nil, !(c.unit ?? "").isEmpty { errors[prefix + "unit"] = msg(language, "Mã phường/xã không đúng.", "Unknown ward code.") }
        if let g = c.groupCode?.trimmed.uppercased(), !g.isEmpty {
            if let unitPath, try await directory.group(g, of: unitPath) != nil { pInput.groupCode = g } else {
                errors[prefix + "group_code"] = msg(language, "Tổ dân phố không thuộc phường/xã.", "Residential group not in the ward.")
            }
        }
        var validator = PersonValidator(language: language)
        plan.new = validator.validate(pInput, unitPath: unitPath, base: nil)
        for (k, v) in validator.errors { errors[prefix + k] = v }
        return plan
    }

    /// Changes a case's status, care or outcome; figures and levels follow.
    package func update(caseID: String, _ change: CaseUpdate, user: CurrentUser, scope: Scope, language: Language) async throws -> CaseRecord {
        guard user.can(.editCases) else { throw AppError.forbidden }
        guard let existing = try await database.read({ try await CaseQueries.find($0, id: caseID, scope: scope) }) else { throw AppError.notFound }
        var errors: [String: String] = [:]
        var next = existing
        if let v = change.clinicalStatus, !v.isEmpty { next.clinicalStatus = choice(v, ClinicalStatus.self, default: .mild, field: "clinical_status", &errors, language).rawValue }
        if let v = change.careSetting, !v.isEmpty { next.careSetting = choice(v, CareSetting.self, default: .home, field: "care_setting", &errors, language).rawValue }
        if let v = change.detectedIn, !v.isEmpty { next.detectedIn = choice(v, DetectionSetting.self, default: .community, field: "detected_in", &errors, language).rawValue }
        if let v = change.facilityId { next.facilityId = v.isEmpty ? nil : v }
        if next.careValue != .facility { next.facilityId = nil }
        if next.careValue == .facility && next.facilityId == nil { errors["facility_id"] = msg(language, "Chọn cơ sở cách ly.", "Choose the facility.") }
        if let v = change.outcome, !v.isEmpty { next.outcome = choice(v, CaseOutcome.self, default: .active, field: "outcome", &errors, language).rawValue }
        if let v = change.symptomOnset { next.symptomOnset = v.isEmpty ? nil : date(v, field: "symptom_onset", &errors, language)?.iso }
        if let v = change.symptoms { next.symptoms = v.trimmed }
        if let v = change.notes { next.notes = v.trimmed }
        if let v = change.clusterId { next.clusterId = v.isEmpty ? nil : v }
        if next.outcomeValue == .active {
            next.outcomeOn = nil
        } else if next.outcome != existing.outcome || change.outcomeOn != nil {
            let on = date(change.outcomeOn, field: "outcome_on", &errors, language, default: Clock.today())
            if let on, on < existing.confirmedDate { errors["outcome_on"] = msg(language, "Ngày kết thúc trước ngày khẳng định.", "Outcome before confirmation.") }
            next.outcomeOn = on?.iso
        }
        guard errors.isEmpty else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors)
        }
        let changes = existing.changes(to: next)
        guard !changes.isEmpty else { return existing }
        let now = Timestamp.now()
        next.updatedAt = now
        next.version = existing.version + 1
        let final = next
        let expected = change.version ?? existing.version
        return try await database.transaction { db in
            if let fid = final.facilityId, fid != existing.facilityId,
               try await db.raw("SELECT id FROM facilities WHERE id = \(bind: fid) AND active").first() == nil {
                throw AppError.invalid("Cơ sở cách ly không tồn tại.", "Unknown facility.", details: ["facility_id": "unknown"])
            }
            let updated = try await db.raw("""
                UPDATE cases SET clinical_status = \(bind: final.clinicalStatus), care_setting = \(bind: final.careSetting), facility_id = \(bind: final.facilityId),
                outcome = \(bind: final.outcome), outcome_on = \(bind: final.outcomeOn), symptom_onset = \(bind: final.symptomOnset), symptoms = \(bind: final.symptoms),
                detected_in = \(bind: final.detectedIn), cluster_id = \(bind: final.clusterId), notes = \(bind: final.notes), updated_at = \(bind: final.updatedAt), version = \(bind: final.version)
                WHERE id = \(bind: final.id) AND version = \(bind: expected) RETURNING id
                """).all()
            if updated.isEmpty { throw AppError.conflict }
            var deltas = existing.counterContributions.mapValues { -$0 }
            deltas.merge(final.counterContributions) { $0 + $1 }
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: user, action: "update", entityType: "case", entityId: final.id, unitPath: try? UnitPath(final.unitPath),
                                   summary: "Cập nhật F0 \(final.caseNumber)", changes: changes)
            try await Self.moveIsolation(db, from: existing, to: final, user: user, language: language)
            if final.outcome != existing.outcome || final.outcomeOn != existing.outcomeOn || final.symptomOnset != existing.symptomOnset {
                try await ContactLevelService.recompute(db, around: [final.personId])
            }
            // A case ruled out needs no tracing.
            if final.outcomeValue == .ruledOut { try await TracingService.close(db, caseID: final.id, note: "Loại trừ F0", user: user) }
            return final
        }
    }
}

extension CaseService {
    /// Keeps the case's isolation episode in step with the case, in the same transaction: a case that
    /// recovers, dies or is ruled out ends its isolation (so no list shows it as still isolated), and a
    /// change of care setting or facility moves it, continuing from its original start.
    static func moveIsolation(_ db: any SQLDatabase, from old: CaseRecord, to new: CaseRecord, user: CurrentUser, language: Language) async throws {
        guard let episode = try await QuarantineService.episodes(db, personID: new.personId).first(where: { $0.isActive && $0.kind == "isolation" }) else { return }
        let today = Clock.today()
        let start = try CivilDate.stored(episode.startDate)
        if !new.outcomeValue.isActive {
            let day = max(start, new.outcomeOn.flatMap(CivilDate.init(iso:)) ?? today)
            let (outcome, note): (String, String) = switch new.outcomeValue {
            case .recovered: ("released", "Khỏi bệnh (F0 \(new.caseNumber))")
            case .died: ("released", "Tử vong (F0 \(new.caseNumber))")
            default: ("cancelled", "Loại trừ F0 \(new.caseNumber)")
            }
            _ = try await QuarantineService.end(db, episode, outcome: outcome, on: day, note: note, returnHome: false, user: user, language: language, recomputeLevels: false)
            return
        }
        guard new.careSetting != old.careSetting || new.facilityId != old.facilityId, episode.setting != new.careSetting || episode.facilityId != new.facilityId else { return }
        guard let person = try await PersonQueries.find(db, grant: .ownCase(personID: new.personId)) else { return }
        let facility = try await new.facilityId.asyncMap { try await QuarantineService.facility(db, id: $0) } ?? nil
        _ = try await QuarantineService.end(db, episode, outcome: "transferred", on: max(start, today), note: "Chuyển nơi điều trị: \(new.careValue.labelVI)",
                                            returnHome: false, user: user, language: language, recomputeLevels: false)
        _ = try await QuarantineService.begin(db, person: person, subject: .f0, setting: new.careValue, facility: new.careValue == .home ? nil : facility, start: start,
                                              note: "Cách ly điều trị F0 \(new.caseNumber) (chuyển nơi)", user: user, language: language, recomputeLevels: false)
    }
}

/// Tracing tasks: closing them and marking contacts reached.
package enum TracingService {
    package static func close(_ db: any SQLDatabase, caseID: String, note: String, user: CurrentUser) async throws {
        guard let task = try await db.raw("SELECT \(unsafeRaw: TracingTaskRecord.columns) FROM tracing_tasks WHERE case_id = \(bind: caseID)")
            .first(decoding: TracingTaskRecord.self, keyDecodingStrategy: .memoizedSnakeCase), task.status == "open" else { return }
        try await db.raw("UPDATE tracing_tasks SET status = 'done', closed_at = \(bind: Timestamp.now()), closed_by = \(bind: user.username), note = \(bind: note) WHERE id = \(bind: task.id)").run()
        try await Counters.bump(db, task.unitPath, group: task.groupCode, .tracingOpen, by: -1)
        try await Audit.record(db, actor: user, action: "close", entityType: "tracing_task", entityId: task.id, unitPath: try? UnitPath(task.unitPath),
                               summary: "Hoàn thành truy vết" + (note.isEmpty ? "" : ": \(note)"), changes: [FieldChange("status", old: "open", new: "done")])
    }

    static func markReached(_ db: any SQLDatabase, exposureID: String, caseID: String, reached: Bool, user: CurrentUser) async throws {
        let rows = try await db.raw("""
            UPDATE exposures SET reached_at = \(bind: reached ? Timestamp.now() : nil), reached_by = \(bind: reached ? user.username : nil)
            WHERE id = \(bind: exposureID) AND case_id = \(bind: caseID) RETURNING unit_path
            """).all()
        guard let row = rows.first else { throw AppError.notFound }
        try await Audit.record(db, actor: user, action: reached ? "reached" : "unreached", entityType: "exposure", entityId: exposureID,
                               unitPath: try? UnitPath(try row.decode(column: "unit_path", as: String.self)),
                               summary: reached ? "Đã liên hệ, hướng dẫn người tiếp xúc" : "Bỏ đánh dấu đã liên hệ")
    }
}

extension String {
    var trimmed: String { trimmedWhitespace }
}
