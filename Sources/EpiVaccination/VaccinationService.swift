import EpiCore
import EpiPlatform
import Foundation
import SQLKit

package struct LotInput: Codable, Sendable {
    package var productCode: String?
    package var lotNumber: String?
    package var expiresOn: String?
    package var dosesPerVial: Int?
    package var doses: Int?
    package var receivedOn: String?
    package init(productCode: String? = nil, lotNumber: String? = nil, expiresOn: String? = nil, dosesPerVial: Int? = nil, doses: Int? = nil, receivedOn: String? = nil) {
        self.productCode = productCode; self.lotNumber = lotNumber; self.expiresOn = expiresOn; self.dosesPerVial = dosesPerVial; self.doses = doses; self.receivedOn = receivedOn
    }
}

package struct SiteInput: Codable, Sendable {
    package var name: String?
    package var address: String?
    package var unit: String?
    package init(name: String? = nil, address: String? = nil, unit: String? = nil) { self.name = name; self.address = address; self.unit = unit }
}

package struct AllocationInput: Codable, Sendable {
    package var decisionNo: String?
    package var decidedOn: String?
    package var lotId: String?
    /// The giving unit's path; the caller's own unit when absent.
    package var from: String?
    /// A unit path (district or ward) or `site:<id>`.
    package var to: String?
    package var doses: Int?
    package init(decisionNo: String? = nil, decidedOn: String? = nil, lotId: String? = nil, from: String? = nil, to: String? = nil, doses: Int? = nil) {
        self.decisionNo = decisionNo; self.decidedOn = decidedOn; self.lotId = lotId; self.from = from; self.to = to; self.doses = doses
    }
}

package struct StockInput: Codable, Sendable {
    package var lotId: String?
    package var movement: String?
    package var doses: Int?
    package var note: String?
    package init(lotId: String? = nil, movement: String? = nil, doses: Int? = nil, note: String? = nil) { self.lotId = lotId; self.movement = movement; self.doses = doses; self.note = note }
}

package struct SessionInput: Codable, Sendable {
    package var siteId: String?
    package var sessionOn: String?
    package var capacity: Int?
    package var productCode: String?
    package var priorityGroups: String?
    package var minAge: Int?
    /// A residential group (tổ dân phố) of the site's ward: the session invites only its people. Blank: the whole ward.
    package var groupCode: String?
    package init(siteId: String? = nil, sessionOn: String? = nil, capacity: Int? = nil, productCode: String? = nil, priorityGroups: String? = nil, minAge: Int? = nil,
                 groupCode: String? = nil) {
        self.siteId = siteId; self.sessionOn = sessionOn; self.capacity = capacity; self.productCode = productCode; self.priorityGroups = priorityGroups; self.minAge = minAge
        self.groupCode = groupCode
    }
}

package struct DoseInput: Codable, Sendable {
    package var personId: String?
    package var outcome: String?
    package var lotId: String?
    package var note: String?
    package var aefi: String?
    package var aefiSeverity: String?
    /// The priority group the person comes under (a code of the list); blank for none.
    package var priorityGroup: String?
    package init(personId: String? = nil, outcome: String? = nil, lotId: String? = nil, note: String? = nil, aefi: String? = nil, aefiSeverity: String? = nil,
                 priorityGroup: String? = nil) {
        self.personId = personId; self.outcome = outcome; self.lotId = lotId; self.note = note; self.aefi = aefi; self.aefiSeverity = aefiSeverity
        self.priorityGroup = priorityGroup
    }
}

/// What recording at a session did.
package struct ScreeningResult: Codable, Sendable {
    package let outcome: String
    package let dose: DoseRecord?
    package let repeated: Bool
}

/// A person as the vaccination pages need them.
package struct VaxPerson: Codable, Sendable {
    package let id: String
    package let fullName: String
    package let birthDate: String?
    package let citizenId: String?
    package let unitPath: String
    package let groupCode: String?
    static let columns = "id, full_name, birth_date, citizen_id, unit_path, group_code"
}

/// Lots, allocation, stock ledgers, sites, sessions and doses. Every write checks the caller's role and
/// jurisdiction here (not only in the route), runs in one transaction and writes an audit row.
package struct VaccinationService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }
    var database: Database { services.database }
    var directory: UnitDirectory { services.directory }

    static func invalid(_ l: Language, _ errors: [String: String]) -> AppError {
        AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors)
    }

    /// A unit the user covers, by path or slug; the user's own when blank.
    func coveredUnit(_ raw: String?, user: CurrentUser) async throws -> UnitRecord {
        guard let raw = raw.nonBlank else {
            guard let own = try await directory.unit(user.unitPath.string) else { throw AppError.notFound }
            return own
        }
        let path = raw.replacingOccurrences(of: ".", with: "/")
        guard let unit = try await directory.unit(path), !unit.isGroup, let p = try? UnitPath(unit.path), user.covers(p) else {
            throw AppError(.notFound, code: "unknown_unit", vi: "Đơn vị '\(raw.prefix(40))' không thuộc địa bàn của bạn.", en: "Unit '\(raw.prefix(40))' is not in your jurisdiction.",
                           details: ["unit": "unknown"])
        }
        return unit
    }

    // MARK: reads (always scoped)

    package func scope(_ user: CurrentUser) async throws -> Scope { try await Scope.of(user, directory: directory) }

    static func site(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> SiteRecord? {
        try await db.raw("SELECT \(unsafeRaw: SiteRecord.columns) FROM vaccination_sites WHERE id = \(bind: id) AND \(scope.wholeWard.condition())")
            .first(decoding: SiteRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func sites(_ db: any SQLDatabase, scope: Scope) async throws -> [SiteRecord] {
        try await db.raw("SELECT \(unsafeRaw: SiteRecord.columns) FROM vaccination_sites WHERE \(scope.wholeWard.condition()) ORDER BY unit_path, name LIMIT 500")
            .all(decoding: SiteRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func lot(_ db: any SQLDatabase, id: String) async throws -> LotRecord? {
        try await db.raw("SELECT \(unsafeRaw: LotRecord.columns) FROM vaccine_lots WHERE id = \(bind: id)").first(decoding: LotRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Lots received in the scope, or held (in stock) by a unit or site inside it.
    static func lots(_ db: any SQLDatabase, scope: Scope) async throws -> [LotRecord] {
        try await db.raw("""
            SELECT \(unsafeRaw: LotRecord.columns) FROM vaccine_lots l WHERE \(scope.wholeWard.condition("l"))
               OR EXISTS (SELECT 1 FROM vaccine_stock s WHERE s.lot_id = l.id AND \(scope.wholeWard.condition("s")))
            ORDER BY l.expires_on, l.lot_number LIMIT 500
            """).all(decoding: LotRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func stock(_ db: any SQLDatabase, scope: Scope) async throws -> [StockRow] {
        try await db.raw("SELECT holder_id, holder_kind, lot_id, unit_path, balance FROM vaccine_stock WHERE \(scope.wholeWard.condition()) ORDER BY unit_path, holder_id, lot_id LIMIT 2000")
            .all(decoding: StockRow.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func session(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> SessionRecord? {
        try await db.raw("SELECT \(unsafeRaw: SessionRecord.columns) FROM vaccination_sessions WHERE id = \(bind: id) AND \(scope.wholeWard.condition())")
            .first(decoding: SessionRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func sessions(_ db: any SQLDatabase, scope: Scope) async throws -> [SessionRecord] {
        try await db.raw("SELECT \(unsafeRaw: SessionRecord.columns) FROM vaccination_sessions WHERE \(scope.wholeWard.condition()) ORDER BY session_on DESC, id LIMIT 200")
            .all(decoding: SessionRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func doses(_ db: any SQLDatabase, personID: String) async throws -> [DoseRecord] {
        try await db.raw("SELECT \(unsafeRaw: DoseRecord.columns) FROM vaccine_doses WHERE person_id = \(bind: personID) ORDER BY given_on, dose_number LIMIT 50")
            .all(decoding: DoseRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func person(_ db: any SQLDatabase, id: String) async throws -> VaxPerson? {
        try await db.raw("SELECT \(unsafeRaw: VaxPerson.columns) FROM persons WHERE id = \(bind: id) AND merged_into IS NULL").first(decoding: VaxPerson.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    // MARK: lots

    /// Records a lot received by the caller's unit (the city, or a district receiving directly): the lot
    /// and its first ledger line in one transaction.
    package func createLot(_ input: LotInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> LotRecord {
        guard user.can(.manageVaccineStock) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let product = input.productCode.nonBlank.flatMap(VaccineCatalog.product)
        if product == nil { errors["product_code"] = msg(l, "Chọn một loại vắc xin trong danh mục.", "Choose a vaccine from the catalogue.") }
        let number = (input.lotNumber ?? "").trimmed
        if number.isEmpty || number.count > TextLimits.code { errors["lot_number"] = msg(l, "Nhập số lô (tối đa 50 ký tự).", "Enter the lot number (up to 50 characters).") }
        let expires = try? DateInput.parse(input.expiresOn, field: "expires_on")
        if expires == nil { errors["expires_on"] = msg(l, "Nhập hạn dùng (dd/mm/yyyy).", "Enter the expiry date (dd/mm/yyyy).") }
        let received = (try? DateInput.parse(input.receivedOn, field: "received_on", default: Clock.today())) ?? nil
        if received == nil { errors["received_on"] = msg(l, "Ngày nhận không hợp lệ.", "Invalid date received.") }
        let perVial = input.dosesPerVial ?? 0
        if !(1...50).contains(perVial) { errors["doses_per_vial"] = msg(l, "Số liều mỗi lọ từ 1 đến 50.", "Doses per vial: 1 to 50.") }
        let doses = input.doses ?? 0
        if !(1...50_000_000).contains(doses) { errors["doses"] = msg(l, "Số liều nhận từ 1 đến 50.000.000.", "Doses received: 1 to 50,000,000.") }
        guard errors.isEmpty, let product, let expires, let received else { throw Self.invalid(l, errors) }
        let own = user.unitPath.string
        let now = Timestamp.now()
        let lot = LotRecord(id: Identifier.make(), productCode: product.code, manufacturerCode: product.manufacturerCode, catalogVersion: VaccineCatalog.version,
                            lotNumber: number, expiresOn: expires.iso, dosesPerVial: perVial, doses: doses, receivedOn: received.iso, unitPath: own, groupCode: "",
                            createdBy: user.username, createdAt: now)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await Self.lot(db, id: $0) }) {
                if try await db.raw("SELECT id FROM vaccine_lots WHERE product_code = \(bind: product.code) AND lot_number = \(bind: number)").first() != nil {
                    throw AppError(.conflict, code: "duplicate_lot", vi: "Lô \(number) của \(product.name) đã được ghi nhận.", en: "Lot \(number) of \(product.name) is already recorded.",
                                   details: ["lot_number": msg(l, "Số lô đã có.", "Lot number already recorded.")])
                }
                try await db.raw("""
                    INSERT INTO vaccine_lots (\(unsafeRaw: LotRecord.columns)) VALUES (\(bind: lot.id), \(bind: lot.productCode), \(bind: lot.manufacturerCode), \(bind: lot.catalogVersion),
                    \(bind: lot.lotNumber), \(bind: lot.expiresOn), \(bind: lot.dosesPerVial), \(bind: lot.doses), \(bind: lot.receivedOn), \(bind: own), '', \(bind: user.username), \(bind: now))
                    """).run()
                _ = try await Self.move(db, holder: own, holderKind: "unit", unitPath: own, lotID: lot.id, .received, doses: doses, reference: ("lot", lot.id), on: received, note: "", user: user, language: l)
                try await Audit.record(db, actor: user, action: "create", entityType: "vaccine_lot", entityId: lot.id, unitPath: user.unitPath,
                                       summary: "Lô vắc xin \(product.name) số \(number), \(doses) liều, hạn \(expires.vietnamese)",
                                       changes: [FieldChange("doses", old: nil, new: String(doses)), FieldChange("expires_on", old: nil, new: expires.iso)])
                return lot
            }
        }
    }

    /// One ledger line and the balance it leaves, or a refusal when it would go below zero. The balance row
    /// is read locked (PostgreSQL `FOR UPDATE`; SQLite's writer is already exclusive) so two sessions
    /// drawing on the same lot at once cannot both spend the last doses.
    static func move(_ db: any SQLDatabase, holder: String, holderKind: String, unitPath: String, lotID: String, _ movement: StockMovement, doses: Int,
                     reference: (String, String?), on day: CivilDate, note: String, user: CurrentUser, language l: Language) async throws -> Int {
        let lock = db.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        let current = try await db.raw("SELECT balance FROM vaccine_stock WHERE holder_id = \(bind: holder) AND lot_id = \(bind: lotID)\(unsafeRaw: lock)").first()
            .map { try $0.decode(column: "balance", as: Int.self) }
        let after: Int
        do {
            after = try StockRules.apply(movement, doses: doses, to: current ?? 0)
        } catch StockError.insufficient(let available, let requested) {
            throw AppError(.conflict, code: "insufficient_stock",
                           vi: "Không đủ vắc xin: còn \(available) liều, cần \(requested) liều. Tồn kho không được âm.",
                           en: "Not enough vaccine: \(available) doses left, \(requested) needed. Stock cannot go negative.",
                           details: ["doses": msg(l, "Còn \(available) liều.", "\(available) doses left.")])
        } catch {
            throw AppError.invalid("Số liều phải lớn hơn 0.", "Doses must be more than 0.", details: ["doses": msg(l, "Số liều phải lớn hơn 0.", "Doses must be more than 0.")])
        }
        let now = Timestamp.now()
        if current == nil {
            try await db.raw("""
                INSERT INTO vaccine_stock (holder_id, holder_kind, lot_id, unit_path, group_code, balance, updated_at)
                VALUES (\(bind: holder), \(bind: holderKind), \(bind: lotID), \(bind: unitPath), '', \(bind: after), \(bind: now))
                """).run()
        } else {
            try await db.raw("UPDATE vaccine_stock SET balance = \(bind: after), updated_at = \(bind: now) WHERE holder_id = \(bind: holder) AND lot_id = \(bind: lotID)").run()
        }
        try await db.raw("""
            INSERT INTO vaccine_stock_moves (id, holder_id, lot_id, unit_path, group_code, movement, doses, balance_after, reference_kind, reference_id, occurred_on, note, created_by, created_at)
            VALUES (\(bind: Identifier.make()), \(bind: holder), \(bind: lotID), \(bind: unitPath), '', \(bind: movement.rawValue), \(bind: doses), \(bind: after),
                    \(bind: reference.0), \(bind: reference.1), \(bind: day.iso), \(bind: note), \(bind: user.username), \(bind: now))
            """).run()
        return after
    }

    // MARK: sites

    package func createSite(_ input: SiteInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> SiteRecord {
        guard user.can(.manageVaccineStock) else { throw AppError.forbidden }
        let unit = try await coveredUnit(input.unit, user: user)
        var errors: [String: String] = [:]
        let name = (input.name ?? "").trimmed
        if name.isEmpty || name.count > TextLimits.title { errors["name"] = msg(l, "Nhập tên điểm tiêm.", "Name the site.") }
        if !(await directory.isLowestAdministrative(unit.path)) { errors["unit"] = msg(l, "Điểm tiêm thuộc một phường/xã.", "A site belongs to a ward.") }
        let address = (input.address ?? "").trimmed
        if address.count > TextLimits.title { errors["address"] = msg(l, "Địa chỉ quá dài.", "Address too long.") }
        guard errors.isEmpty else { throw Self.invalid(l, errors) }
        let site = SiteRecord(id: Identifier.make(), name: name, address: address, unitPath: unit.path, groupCode: "", active: true, createdBy: user.username, createdAt: Timestamp.now())
        let scope = try await scope(user)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await Self.site(db, id: $0, scope: scope) }) {
                try await db.raw("""
                    INSERT INTO vaccination_sites (\(unsafeRaw: SiteRecord.columns)) VALUES (\(bind: site.id), \(bind: site.name), \(bind: site.address), \(bind: site.unitPath), '', \(bind: true),
                    \(bind: site.createdBy), \(bind: site.createdAt))
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "vaccination_site", entityId: site.id, unitPath: try? UnitPath(site.unitPath),
                                       summary: "Điểm tiêm \(site.name)", changes: [FieldChange("address", old: nil, new: address)])
                return site
            }
        }
    }

    // MARK: allocation

    /// Moves doses of a lot down the chain (city → district → ward or site) by a decision: taken from the
    /// giver and received by the receiver in one transaction; refused when the giver has too few.
    package func allocate(_ input: AllocationInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> String {
        guard user.can(.manageVaccineStock) else { throw AppError.forbidden }
        let from = try await coveredUnit(input.from, user: user)
        let scope = try await scope(user)
        var errors: [String: String] = [:]
        let decision = (input.decisionNo ?? "").trimmed
        if decision.isEmpty || decision.count > TextLimits.code { errors["decision_no"] = msg(l, "Nhập số quyết định phân bổ.", "Enter the allocation decision number.") }
        let decided = (try? DateInput.parse(input.decidedOn, field: "decided_on", default: Clock.today())) ?? nil
        if decided == nil { errors["decided_on"] = msg(l, "Ngày quyết định không hợp lệ.", "Invalid decision date.") }
        let doses = input.doses ?? 0
        if doses <= 0 || doses > 50_000_000 { errors["doses"] = msg(l, "Số liều phải lớn hơn 0.", "Doses must be more than 0.") }
        // The receiver: a site (in the caller's jurisdiction) or a unit strictly below the giver.
        var toHolder = "", toKind = "unit", toPath = ""
        let target = (input.to ?? "").trimmed
        if target.hasPrefix("site:") {
            let id = String(target.dropFirst(5))
            if let site = try await database.read({ try await Self.site($0, id: id, scope: scope) }), let sp = try? UnitPath(site.unitPath), (try? UnitPath(from.path))?.contains(sp) == true {
                (toHolder, toKind, toPath) = (site.id, "site", site.unitPath)
            } else { errors["to"] = msg(l, "Điểm tiêm không thuộc đơn vị cấp.", "The site is not under the giving unit.") }
        } else if let unit = try? await coveredUnit(target, user: user), unit.path != from.path, let up = try? UnitPath(unit.path), (try? UnitPath(from.path))?.contains(up) == true {
            (toHolder, toKind, toPath) = (unit.path, "unit", unit.path)
        } else {
            errors["to"] = msg(l, "Chọn đơn vị hoặc điểm tiêm nhận thuộc đơn vị cấp.", "Choose a receiving unit or site under the giving unit.")
        }
        guard let lotID = input.lotId.nonBlank, let lot = try await database.read({ try await Self.lot($0, id: lotID) }) else {
            errors["lot_id"] = msg(l, "Chọn lô vắc xin.", "Choose a lot.")
            throw Self.invalid(l, errors)
        }
        guard errors.isEmpty, let decided else { throw Self.invalid(l, errors) }
        let id = Identifier.make()
        let (receiver, kind, path, fromPath) = (toHolder, toKind, toPath, from.path)
        return try await database.transaction { db in
            try await Idempotency.once(db, key: key, user: user) {
                _ = try await Self.move(db, holder: fromPath, holderKind: "unit", unitPath: fromPath, lotID: lot.id, .returned, doses: doses, reference: ("allocation", id),
                                        on: decided, note: decision, user: user, language: l)
                _ = try await Self.move(db, holder: receiver, holderKind: kind, unitPath: path, lotID: lot.id, .received, doses: doses, reference: ("allocation", id),
                                        on: decided, note: decision, user: user, language: l)
                try await db.raw("""
                    INSERT INTO vaccine_allocations (id, decision_no, decided_on, lot_id, from_holder, to_holder, to_kind, unit_path, from_path, group_code, doses, created_by, created_at)
                    VALUES (\(bind: id), \(bind: decision), \(bind: decided.iso), \(bind: lot.id), \(bind: fromPath), \(bind: receiver), \(bind: kind), \(bind: path), \(bind: fromPath), '',
                            \(bind: doses), \(bind: user.username), \(bind: Timestamp.now()))
                    """).run()
                try await Audit.record(db, actor: user, action: "allocate", entityType: "vaccine_allocation", entityId: id, unitPath: try? UnitPath(path),
                                       summary: "Phân bổ \(doses) liều lô \(lot.lotNumber) theo quyết định \(decision)",
                                       changes: [FieldChange("doses", old: nil, new: String(doses)), FieldChange("to_kind", old: nil, new: kind)])
                return id
            }.outcome
        }
    }

    /// Waste or a return recorded by hand at a site (a used dose is recorded with the person).
    package func recordStock(siteID: String, _ input: StockInput, user: CurrentUser, language l: Language) async throws -> Int {
        guard user.can(.runVaccinationSessions) || user.can(.manageVaccineStock) else { throw AppError.forbidden }
        let scope = try await scope(user)
        guard let site = try await database.read({ try await Self.site($0, id: siteID, scope: scope) }) else { throw AppError.notFound }
        guard let movement = input.movement.flatMap(StockMovement.init(rawValue:)), movement == .wasted || movement == .returned else {
            throw Self.invalid(l, ["movement": msg(l, "Chọn hủy/hao hụt hoặc trả lại.", "Choose wasted or returned.")])
        }
        guard let lotID = input.lotId.nonBlank, let lot = try await database.read({ try await Self.lot($0, id: lotID) }) else {
            throw Self.invalid(l, ["lot_id": msg(l, "Chọn lô vắc xin.", "Choose a lot.")])
        }
        let note = String((input.note ?? "").trimmed.prefix(TextLimits.title))
        return try await database.transaction { db in
            let after = try await Self.move(db, holder: site.id, holderKind: "site", unitPath: site.unitPath, lotID: lot.id, movement, doses: input.doses ?? 0,
                                            reference: ("manual", nil), on: Clock.today(), note: note, user: user, language: l)
            try await Audit.record(db, actor: user, action: "stock_\(movement.rawValue)", entityType: "vaccination_site", entityId: site.id, unitPath: try? UnitPath(site.unitPath),
                                   summary: "\(movement.labelVI) \(input.doses ?? 0) liều lô \(lot.lotNumber)", changes: [FieldChange("balance", old: nil, new: String(after))])
            return after
        }
    }

    // MARK: sessions

    package func createSession(_ input: SessionInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> SessionRecord {
        guard user.can(.runVaccinationSessions) else { throw AppError.forbidden }
        let scope = try await scope(user)
        guard let siteID = input.siteId.nonBlank, let site = try await database.read({ try await Self.site($0, id: siteID, scope: scope) }) else {
            throw AppError(.notFound, code: "unknown_site", vi: "Không tìm thấy điểm tiêm trong địa bàn của bạn.", en: "No such site in your jurisdiction.", details: ["site_id": "unknown"])
        }
        var errors: [String: String] = [:]
        let day = (try? DateInput.parse(input.sessionOn, field: "session_on", default: Clock.today())) ?? nil
        if day == nil { errors["session_on"] = msg(l, "Ngày tiêm không hợp lệ.", "Invalid session date.") }
        let capacity = input.capacity ?? 0
        if !(1...5_000).contains(capacity) { errors["capacity"] = msg(l, "Số người tiêm dự kiến từ 1 đến 5.000.", "Capacity: 1 to 5,000.") }
        let product = input.productCode.nonBlank.flatMap(VaccineCatalog.product)
        if product == nil { errors["product_code"] = msg(l, "Chọn loại vắc xin.", "Choose the vaccine.") }
        let minAge = input.minAge ?? 18
        if !(VaccineCatalog.minimumAge...120).contains(minAge) { errors["min_age"] = msg(l, "Tuổi tối thiểu từ 12.", "Minimum age: 12 or more.") }
        var groups = ""
        switch try await sessionPriorityCodes(input.priorityGroups, language: l) {
        case .success(let codes): groups = codes
        case .failure(let error): errors.merge(error.details, uniquingKeysWith: { a, _ in a })
        }
        var residentialGroup = ""
        if let raw = input.groupCode.nonBlank {
            let code = raw.trimmed.uppercased()
            if try await directory.group(code, of: site.unitPath) != nil {
                residentialGroup = code
            } else {
                let ward = try await directory.unit(site.unitPath)?.name ?? site.unitPath
                errors["group_code"] = msg(l, "Tổ dân phố '\(raw.prefix(20))' không có trong \(ward).", "Residential group '\(raw.prefix(20))' does not exist in \(ward).")
            }
        }
        guard errors.isEmpty, let day, let product else { throw Self.invalid(l, errors) }
        let session = SessionRecord(id: Identifier.make(), siteId: site.id, unitPath: site.unitPath, groupCode: residentialGroup, sessionOn: day.iso, capacity: capacity,
                                    productCode: product.code, priorityGroups: groups, minAge: minAge, status: "planned", createdBy: user.username, createdAt: Timestamp.now())
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await Self.session(db, id: $0, scope: scope) }) {
                try await db.raw("""
                    INSERT INTO vaccination_sessions (\(unsafeRaw: SessionRecord.columns)) VALUES (\(bind: session.id), \(bind: session.siteId), \(bind: session.unitPath), \(bind: session.groupCode),
                    \(bind: session.sessionOn), \(bind: capacity), \(bind: product.code), \(bind: session.priorityGroups), \(bind: minAge), 'planned', \(bind: user.username), \(bind: session.createdAt))
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "vaccination_session", entityId: session.id, unitPath: try? UnitPath(site.unitPath),
                                       summary: "Buổi tiêm \(day.vietnamese) tại \(site.name)", changes: [FieldChange("capacity", old: nil, new: String(capacity))])
                return session
            }
        }
    }

    /// The people of the site's ward (or of the session's residential group) a session invites: old enough
    /// for the session, of its priority groups when the registry can select all of them (by age, or as
    /// recorded in a group at risk: `PriorityGroups.invitationReach`),
    /// and either never vaccinated or due for their next dose by the session's day; at most the session's
    /// capacity, in name order. The ward
    /// is read `page` people at a time until the list is full, so a ward whose first thousands by name are
    /// vaccinated already still fills its sessions; people dosed too recently for any product to be due
    /// (`VaccinationRules.shortestWaitDays`) are left out in SQL before their history is read.
    /// `list` is the priority-group list when the caller has read it already.
    static func invitations(_ db: any SQLDatabase, session: SessionRecord, list: [PriorityGroup]? = nil, page: Int = 2_000) async throws -> [(VaxPerson, Int)] {
        guard let day = CivilDate(iso: session.sessionOn), let product = VaccineCatalog.product(session.productCode) else { return [] }
        // A session only for groups the registry can select (over 65, recorded health workers) invites only their people.
        let served = PriorityGroups.codes(session.priorityGroups)
        var groups: [PriorityGroup] = []
        if !served.isEmpty {
            let all: [PriorityGroup]
            if let list { all = list } else { all = try await priorityGroups(db) }
            groups = all.filter { served.contains($0.code) }
        }
        let reach = PriorityGroups.invitationReach(sessionMinAge: session.minAge, groups: groups)
        // Born on this day `age` years before, or earlier (29/2 of a year that has none becomes the 28th).
        func latestBirth(_ age: Int) -> String {
            (CivilDate(year: day.year - age, month: day.month, day: day.day) ?? CivilDate(year: day.year - age, month: day.month, day: 28))?.iso ?? day.iso
        }
        // `person_risk_groups` is the testing module's record of groups at risk (market traders, health workers…).
        var ways: [SQLQueryString] = []
        if let age = reach.everyoneFrom { ways.append("p.birth_date <= \(bind: latestBirth(age))") }
        if !reach.registryGroups.isEmpty {
            ways.append("""
                (p.birth_date <= \(bind: latestBirth(reach.registryGroupsFrom)) AND EXISTS (SELECT 1 FROM person_risk_groups r WHERE r.person_id = p.id
                  AND r.group_code IN (\(SQLList(reach.registryGroups.map { SQLBind($0) })))))
                """)
        }
        var who: SQLQueryString = "(1 = 0"
        for way in ways { who = who + " OR " + way }
        who = who + ")"
        let youngestBirth = latestBirth(reach.youngest)
        let recent = day.adding(days: -VaccinationRules.shortestWaitDays).iso
        let size = max(1, page)
        var out: [(VaxPerson, Int)] = []
        var after: (name: String, id: String)?
        while out.count < session.capacity {
            let group: SQLQueryString = session.groupCode.isEmpty ? "" : "AND p.group_code = \(bind: session.groupCode)"
            let resume: SQLQueryString = after.map { "AND (p.name_folded > \(bind: $0.name) OR (p.name_folded = \(bind: $0.name) AND p.id > \(bind: $0.id)))" } ?? ""
            let rows = try await db.raw("""
                SELECT p.id, p.full_name, p.birth_date, p.citizen_id, p.unit_path, p.group_code, p.name_folded FROM persons p
                WHERE p.unit_path = \(bind: session.unitPath) AND p.merged_into IS NULL AND p.birth_date IS NOT NULL AND p.birth_date <= \(bind: youngestBirth) AND \(who)
                  AND NOT EXISTS (SELECT 1 FROM vaccine_doses d WHERE d.person_id = p.id AND d.given_on > \(bind: recent))
                  \(group) \(resume)
                ORDER BY p.name_folded, p.id LIMIT \(unsafeRaw: String(size))
                """).all()
            guard let last = rows.last else { break }
            after = (try last.decode(column: "name_folded", as: String.self), try last.decode(column: "id", as: String.self))
            let people = try rows.map { try $0.decode(model: VaxPerson.self, keyDecodingStrategy: .memoizedSnakeCase) }
            var history: [String: [GivenDose]] = [:]
            for start in stride(from: 0, to: people.count, by: 500) {
                let ids = people[start..<min(start + 500, people.count)].map { SQLBind($0.id) }
                for row in try await db.raw("SELECT person_id, product_code, given_on FROM vaccine_doses WHERE person_id IN (\(SQLList(ids)))").all() {
                    guard let date = CivilDate(iso: try row.decode(column: "given_on", as: String.self)) else { continue }
                    history[try row.decode(column: "person_id", as: String.self), default: []].append(GivenDose(productCode: try row.decode(column: "product_code", as: String.self), date: date))
                }
            }
            for p in people {
                guard let birth = p.birthDate.flatMap({ CivilDate(iso: $0) }) else { continue }
                if case .eligible(let number, _) = VaccinationRules.eligibility(birthDate: birth, history: history[p.id] ?? [], product: product, on: day) {
                    out.append((p, number))
                    if out.count >= session.capacity { break }
                }
            }
            if rows.count < size { break }
        }
        return out
    }

    /// Check-in: a CCCD finds anyone (people are vaccinated where they are); a name finds people of the
    /// session's ward only.
    static func checkIn(_ db: any SQLDatabase, query raw: String, session: SessionRecord) async throws -> [VaxPerson] {
        let q = raw.trimmed
        guard !q.isEmpty, q.count <= 100 else { return [] }
        if let id = try? CitizenID(parsing: q) {
            return try await db.raw("SELECT \(unsafeRaw: VaxPerson.columns) FROM persons WHERE citizen_id = \(bind: id.digits) AND merged_into IS NULL LIMIT 5")
                .all(decoding: VaxPerson.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        let folded = VietnameseText.fold(q)
        return try await db.raw("""
            SELECT \(unsafeRaw: VaxPerson.columns) FROM persons WHERE unit_path = \(bind: session.unitPath) AND merged_into IS NULL
              AND name_folded >= \(bind: folded) AND name_folded < \(bind: folded + "\u{10FFFF}") ORDER BY name_folded, id LIMIT 20
            """).all(decoding: VaxPerson.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Records one person at a session: the screening outcome and, when eligible, the dose (its number
    /// from the person's history), drawing one dose of the lot from the site's stock, all in one
    /// transaction. A second recording of the same person on the same day returns the first.
    package func record(sessionID: String, _ input: DoseInput, user: CurrentUser, language l: Language) async throws -> ScreeningResult {
        guard user.can(.runVaccinationSessions) else { throw AppError.forbidden }
        let scope = try await scope(user)
        guard let session = try await database.read({ try await Self.session($0, id: sessionID, scope: scope) }) else { throw AppError.notFound }
        guard let personID = input.personId.nonBlank, let person = try await database.read({ try await Self.person($0, id: personID) }) else {
            throw Self.invalid(l, ["person_id": msg(l, "Tìm và chọn người đến tiêm.", "Find and choose the person.")])
        }
        let outcome = input.outcome.flatMap(ScreeningOutcome.init(rawValue:)) ?? .eligible
        let note = String((input.note ?? "").trimmed.prefix(TextLimits.title))
        guard let day = CivilDate(iso: session.sessionOn) else { throw AppError.notFound }
        let aefiText = input.aefi.nonBlank.map { String($0.prefix(TextLimits.title)) }
        let severity = input.aefiSeverity.flatMap(AEFISeverity.init(rawValue:)) ?? .mild
        let priority = try await Self.screeningPriority(input.priorityGroup, session: session, groups: try await priorityGroups(), language: l)
        return try await database.transaction { db in
            let now = Timestamp.now()
            if outcome != .eligible {
                try await db.raw("""
                    INSERT INTO vaccination_screenings (id, session_id, person_id, unit_path, group_code, outcome, note, dose_id, created_by, created_at, priority_group)
                    VALUES (\(bind: Identifier.make()), \(bind: session.id), \(bind: person.id), \(bind: session.unitPath), '', \(bind: outcome.rawValue), \(bind: note), NULL, \(bind: user.username), \(bind: now),
                    \(bind: priority))
                    """).run()
                try await Audit.record(db, actor: user, action: "screen", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath),
                                       summary: "Khám sàng lọc: \(outcome.labelVI)", changes: [FieldChange("outcome", old: nil, new: outcome.rawValue)])
                return ScreeningResult(outcome: outcome.rawValue, dose: nil, repeated: false)
            }
            let history = try await Self.doses(db, personID: person.id)
            if let same = history.first(where: { $0.givenOn == day.iso }) {
                return ScreeningResult(outcome: outcome.rawValue, dose: same, repeated: true)
            }
            guard let lotID = input.lotId.nonBlank, let lot = try await Self.lot(db, id: lotID) else {
                throw Self.invalid(l, ["lot_id": msg(l, "Chọn lô vắc xin đã dùng.", "Choose the lot used.")])
            }
            guard let product = VaccineCatalog.product(lot.productCode) else { throw Self.invalid(l, ["lot_id": msg(l, "Lô của loại vắc xin không có trong danh mục.", "The lot's product is not in the catalogue.")]) }
            if lot.expiresOn < day.iso {
                throw Self.invalid(l, ["lot_id": msg(l, "Lô \(lot.lotNumber) đã hết hạn.", "Lot \(lot.lotNumber) has expired.")])
            }
            guard let birth = person.birthDate.flatMap({ CivilDate(iso: $0) }) else {
                throw Self.invalid(l, ["person_id": msg(l, "Hồ sơ chưa có ngày sinh: cập nhật trước khi tiêm.", "The record has no date of birth: add it first.")])
            }
            let given = history.compactMap { d in CivilDate(iso: d.givenOn).map { GivenDose(productCode: d.productCode, date: $0) } }
            let number: Int
            switch VaccinationRules.eligibility(birthDate: birth, history: given, product: product, on: day) {
            case .eligible(let n, _): number = n
            case .tooYoung(let age):
                throw Self.invalid(l, ["person_id": msg(l, "Chưa đủ tuổi tiêm (\(age) tuổi).", "Too young to vaccinate (age \(age)).")])
            case .tooSoon(let n, let due):
                throw Self.invalid(l, ["person_id": msg(l, "Chưa đến hạn mũi \(n): từ \(due.vietnamese).", "Dose \(n) not due before \(due.vietnamese).")])
            case .unknownProduct(let code):
                throw Self.invalid(l, ["person_id": msg(l, "Mũi trước dùng vắc xin \(code) không có trong danh mục: cần bác sĩ quyết định.", "An earlier dose used \(code), not in the catalogue: a doctor decides.")])
            }
            let series = history.first.flatMap { VaccineCatalog.product($0.productCode) }?.seriesDoses ?? product.seriesDoses
            let counts = VaccinationRules.counts(number: number, seriesDoses: series).map(\.rawValue).joined(separator: ",")
            _ = try await Self.move(db, holder: session.siteId, holderKind: "site", unitPath: session.unitPath, lotID: lot.id, .used, doses: 1,
                                    reference: ("session", session.id), on: day, note: "", user: user, language: l)
            let dose = DoseRecord(id: Identifier.make(), personId: person.id, unitPath: person.unitPath, groupCode: person.groupCode ?? "",
                                  ageGroup: AgeGroup.of(age: birth.age(on: day))?.rawValue, doseNumber: number, counts: counts, givenOn: day.iso, productCode: product.code,
                                  manufacturerCode: product.manufacturerCode, lotNumber: lot.lotNumber, lotId: lot.id, siteId: session.siteId, sessionId: session.id,
                                  source: DoseSource.site.rawValue, createdBy: user.username, createdAt: now, priorityGroup: priority)
            try await Self.insert(db, dose)
            try await db.raw("""
                INSERT INTO vaccination_screenings (id, session_id, person_id, unit_path, group_code, outcome, note, dose_id, created_by, created_at, priority_group)
                VALUES (\(bind: Identifier.make()), \(bind: session.id), \(bind: person.id), \(bind: session.unitPath), '', 'eligible', \(bind: note), \(bind: dose.id), \(bind: user.username), \(bind: now),
                \(bind: priority))
                """).run()
            try await Audit.record(db, actor: user, action: "vaccinate", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath),
                                   summary: "Tiêm mũi \(number) \(product.name), lô \(lot.lotNumber)",
                                   changes: [FieldChange("dose_number", old: nil, new: String(number)), FieldChange("lot_number", old: nil, new: lot.lotNumber)])
            if let aefiText {
                let aefiID = Identifier.make()
                try await db.raw("""
                    INSERT INTO vaccine_aefi (id, dose_id, person_id, unit_path, group_code, severity, description, status, follow_up, created_by, created_at, updated_at)
                    VALUES (\(bind: aefiID), \(bind: dose.id), \(bind: person.id), \(bind: session.unitPath), '', \(bind: severity.rawValue), \(bind: aefiText), 'open', '', \(bind: user.username), \(bind: now), \(bind: now))
                    """).run()
                try await Audit.record(db, actor: user, action: "report_aefi", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath),
                                       summary: "Phản ứng sau tiêm: \(aefiText)", changes: [FieldChange("severity", old: nil, new: severity.rawValue)])
            }
            return ScreeningResult(outcome: outcome.rawValue, dose: dose, repeated: false)
        }
    }

    /// The group a person is recorded under at a session: blank for none, else a group the session serves
    /// (any active group when the session names none). A group retired since the session was planned stays
    /// valid for it, so a session under way is not broken by an edit of the list.
    static func screeningPriority(_ raw: String?, session: SessionRecord, groups: [PriorityGroup], language l: Language) throws -> String {
        guard let code = raw.nonBlank?.trimmed else { return "" }
        let served = PriorityGroups.codes(session.priorityGroups)
        let allowed = groups.contains { $0.code == code } && (served.contains(code) || (served.isEmpty && groups.contains { $0.code == code && $0.active }))
        guard allowed else {
            throw Self.invalid(l, ["priority_group": msg(l, "Nhóm ưu tiên '\(code.prefix(40))' không thuộc buổi tiêm này.", "Priority group '\(code.prefix(40))' is not one this session serves.")])
        }
        return code
    }

    /// Adds a dose to the coverage counts of its ward, day and age group (one row per count it moves).
    static func countCoverage(_ db: any SQLDatabase, unitPath: String, day: String, ageGroup: String?, counts: String) async throws {
        var tally = CoverageTally()
        tally.add(unitPath: unitPath, day: day, ageGroup: ageGroup, counts: counts)
        try await tally.apply(db)
    }

    /// Follow-up of an adverse event: a note and whether it is closed; the event must lie in the caller's jurisdiction.
    package func followUpAEFI(id: String, note raw: String?, close: Bool, user: CurrentUser, language l: Language) async throws {
        guard user.can(.runVaccinationSessions) else { throw AppError.forbidden }
        let scope = try await scope(user)
        guard let note = raw.nonBlank.map({ String($0.prefix(TextLimits.title)) }) else {
            throw Self.invalid(l, ["follow_up": msg(l, "Nhập kết quả theo dõi.", "Enter the follow-up.")])
        }
        try await database.transaction { db in
            guard let row = try await db.raw("SELECT person_id, unit_path, status, follow_up FROM vaccine_aefi WHERE id = \(bind: id) AND \(scope.wholeWard.condition())").first() else {
                throw AppError.notFound
            }
            let old = try row.decode(column: "status", as: String.self)
            let previous = try row.decode(column: "follow_up", as: String.self)
            let text = previous.isEmpty ? note : String((previous + "\n" + note).suffix(TextLimits.field))
            let status = close ? "closed" : "open"
            try await db.raw("UPDATE vaccine_aefi SET follow_up = \(bind: text), status = \(bind: status), updated_at = \(bind: Timestamp.now()) WHERE id = \(bind: id)").run()
            try await Audit.record(db, actor: user, action: "follow_up_aefi", entityType: "person", entityId: try row.decode(column: "person_id", as: String.self),
                                   unitPath: try? UnitPath(try row.decode(column: "unit_path", as: String.self)), summary: "Theo dõi phản ứng sau tiêm: \(note)",
                                   changes: [FieldChange("aefi_status", old: old, new: status)])
        }
    }

    static func insert(_ db: any SQLDatabase, _ d: DoseRecord) async throws {
        try await countCoverage(db, unitPath: d.unitPath, day: d.givenOn, ageGroup: d.ageGroup, counts: d.counts)
        try await db.raw("""
            INSERT INTO vaccine_doses (\(unsafeRaw: DoseRecord.columns)) VALUES (\(bind: d.id), \(bind: d.personId), \(bind: d.unitPath), \(bind: d.groupCode), \(bind: d.ageGroup),
            \(bind: d.doseNumber), \(bind: d.counts), \(bind: d.givenOn), \(bind: d.productCode), \(bind: d.manufacturerCode), \(bind: d.lotNumber), \(bind: d.lotId), \(bind: d.siteId),
            \(bind: d.sessionId), \(bind: d.source), \(bind: d.createdBy), \(bind: d.createdAt), \(bind: d.priorityGroup))
            """).run()
    }
}
