import EpiCodecs
import EpiCore
import EpiPlatform
import EpiRegistry
import EpiSigning
import Foundation
import SQLKit

/// Who sees which movement records. Command units see what lies in their jurisdiction (by the ward of
/// the business, the permit or the checkpoint); a `business` account sees only its own business: its
/// staff, plans and permits, wherever it is.
package struct MovementViewer: Sendable {
    package let user: CurrentUser
    package let scope: Scope
    /// For a business account: the business it acts for (nil when not linked yet: it sees nothing).
    package let businessID: String?

    package var isBusiness: Bool { user.role == .business }

    package static func of(_ user: CurrentUser, services: AppServices) async throws -> MovementViewer {
        let scope = try await Scope.of(user, directory: services.directory)
        guard user.role == .business else { return MovementViewer(user: user, scope: scope.wholeWard, businessID: nil) }
        let id = try await services.database.read { db in
            try await db.raw("SELECT business_id FROM business_accounts WHERE user_id = \(bind: user.id)").first()?.decode(column: "business_id", as: String.self)
        }
        return MovementViewer(user: user, scope: Scope.nothing(root: user.unitPath), businessID: id)
    }

    /// Rows of a business's records (`business_id`), or of the `businesses` table itself (`id`).
    package func businessRows(_ alias: String = "", column: String = "business_id") -> SQLQueryString {
        let prefix = alias.isEmpty ? "" : alias + "."
        if isBusiness {
            guard let businessID else { return "1 = 0" }
            return "\(unsafeRaw: prefix + column) = \(bind: businessID)"
        }
        return scope.condition(alias)
    }
}

package struct BusinessInput: Codable, Sendable {
    package var taxCode: String?
    package var name: String?
    package var kind: String?
    package var sector: String?
    package var address: String?
    package var unit: String?
    package var workforce: Int?
    package init(taxCode: String? = nil, name: String? = nil, kind: String? = nil, sector: String? = nil, address: String? = nil, unit: String? = nil, workforce: Int? = nil) {
        self.taxCode = taxCode
        self.name = name
        self.kind = kind
        self.sector = sector
        self.address = address
        self.unit = unit
        self.workforce = workforce
    }
}

package struct PlanInput: Codable, Sendable {
    package var model: String?
    package var items: [String]?
    package var team: String?
    package var commitmentBy: String?
    package init(model: String? = nil, items: [String]? = nil, team: String? = nil, commitmentBy: String? = nil) {
        self.model = model
        self.items = items
        self.team = team
        self.commitmentBy = commitmentBy
    }
}

package struct PermitRequestInput: Codable, Sendable {
    package var validFrom: String?
    package var validTo: String?
    package var zones: String?
    package var route: String?
    package var purpose: String?
    package init(validFrom: String? = nil, validTo: String? = nil, zones: String? = nil, route: String? = nil, purpose: String? = nil) {
        self.validFrom = validFrom
        self.validTo = validTo
        self.zones = zones
        self.route = route
        self.purpose = purpose
    }
}

package struct IndividualPermitInput: Codable, Sendable {
    package var personId: String?
    package var fullName: String?
    package var citizenId: String?
    package var validFrom: String?
    package var validTo: String?
    package var days: String?
    package var purpose: String?
    package var zones: String?
    package init(personId: String? = nil, fullName: String? = nil, citizenId: String? = nil, validFrom: String? = nil, validTo: String? = nil, days: String? = nil, purpose: String? = nil, zones: String? = nil) {
        self.personId = personId
        self.fullName = fullName
        self.citizenId = citizenId
        self.validFrom = validFrom
        self.validTo = validTo
        self.days = days
        self.purpose = purpose
        self.zones = zones
    }
}

package struct StaffImportReport: Codable, Sendable {
    package struct Problem: Codable, Sendable { package let line: Int; package let reason: String }
    package var added = 0
    package var unchanged = 0
    package var matched = 0
    package var problems: [Problem] = []
}

/// Businesses and their accounts, prevention plans, staff lists, permits (request, bulk approval,
/// individual vouchers, revocation, signing) and the checks at checkpoints.
package struct MovementService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    var database: Database { services.database }
    var directory: UnitDirectory { services.directory }

    // MARK: businesses

    package func business(_ db: any SQLDatabase, id: String, viewer: MovementViewer) async throws -> BusinessRecord? {
        try await db.raw("SELECT \(unsafeRaw: BusinessRecord.columns) FROM businesses WHERE id = \(bind: id) AND \(viewer.businessRows(column: "id"))")
            .first(decoding: BusinessRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func businesses(_ db: any SQLDatabase, viewer: MovementViewer, limit: Int = 500) async throws -> [BusinessRecord] {
        try await db.raw("SELECT \(unsafeRaw: BusinessRecord.columns) FROM businesses WHERE \(viewer.businessRows(column: "id")) ORDER BY name, id LIMIT \(literal: limit)")
            .all(decoding: BusinessRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// The ward a record goes to: given as a path (or its dots form) or a code, inside the user's jurisdiction.
    func coveredWard(_ raw: String?, user: CurrentUser) async throws -> UnitRecord {
        let raw = raw.nonBlank ?? user.unitPath.string
        let path = raw.replacingOccurrences(of: ".", with: "/")
        var unit = try await directory.unit(path)
        if unit == nil { unit = await directory.all().first { $0.code == raw && !$0.isGroup } }
        guard let unit, !unit.isGroup, let p = try? UnitPath(unit.path), user.covers(p), await directory.isLowestAdministrative(unit.path) else {
            throw AppError(.notFound, code: "unknown_unit", vi: "Phường/xã '\(raw.prefix(40))' không thuộc địa bàn của bạn.", en: "Ward '\(raw.prefix(40))' is not in your jurisdiction.",
                           details: ["unit": "unknown"])
        }
        return unit
    }

    package func createBusiness(_ input: BusinessInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> BusinessRecord {
        guard user.can(.reviewBusinessPlans) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        var taxCode: TaxCode?
        do { taxCode = try TaxCode(parsing: input.taxCode ?? "") } catch { errors["tax_code"] = l == .vi ? error.messageVI : error.messageEN }
        let name = (input.name ?? "").trimmed
        if name.isEmpty || name.count > TextLimits.title { errors["name"] = msg(l, "Nhập tên doanh nghiệp hoặc cơ quan.", "Name the business or agency.") }
        let kind = BusinessKind(rawValue: input.kind.nonBlank ?? "enterprise")
        if kind == nil { errors["kind"] = msg(l, "Chọn doanh nghiệp hoặc cơ quan.", "Choose business or agency.") }
        let workforce = input.workforce ?? 0
        if workforce < 0 || workforce > 1_000_000 { errors["workforce"] = msg(l, "Số lao động từ 0 đến 1.000.000.", "Workforce from 0 to 1,000,000.") }
        let sector = (input.sector ?? "").trimmed, address = (input.address ?? "").trimmed
        if sector.count > TextLimits.title { errors["sector"] = msg(l, "Ngành nghề quá dài.", "Sector too long.") }
        if address.count > TextLimits.title { errors["address"] = msg(l, "Địa chỉ quá dài.", "Address too long.") }
        let ward = try await coveredWard(input.unit, user: user)
        guard errors.isEmpty, let taxCode, let kind else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let now = Timestamp.now()
        let record = BusinessRecord(id: Identifier.make(), taxCode: taxCode.description, name: name, kind: kind.rawValue, sector: sector, address: address,
                                    unitPath: ward.path, groupCode: "", workforce: workforce, createdBy: user.username, createdAt: now, updatedAt: now)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { id in
                try await db.raw("SELECT \(unsafeRaw: BusinessRecord.columns) FROM businesses WHERE id = \(bind: id)").first(decoding: BusinessRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            }) {
                if try await db.raw("SELECT id FROM businesses WHERE tax_code = \(bind: record.taxCode)").first() != nil {
                    throw AppError(.conflict, code: "duplicate_tax_code", vi: "Mã số thuế \(record.taxCode) đã có trong danh sách.", en: "Tax code \(record.taxCode) is already registered.",
                                   details: ["tax_code": msg(l, "Mã số thuế đã có trong danh sách.", "Tax code already registered.")])
                }
                try await db.raw("""
                    INSERT INTO businesses (\(unsafeRaw: BusinessRecord.columns)) VALUES (\(bind: record.id), \(bind: record.taxCode), \(bind: record.name), \(bind: record.kind),
                    \(bind: record.sector), \(bind: record.address), \(bind: record.unitPath), '', \(bind: record.workforce), \(bind: record.createdBy), \(bind: now), \(bind: now))
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "business", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                                       summary: "Doanh nghiệp \(record.name) (MST \(record.taxCode))", changes: [FieldChange("tax_code", old: nil, new: record.taxCode)])
                return record
            }
        }
    }

    /// Creates the business's account (role `business`, bound to its ward) and links it to the business.
    package func createAccount(businessID: String, username: String, displayName: String, password: String, viewer: MovementViewer) async throws -> String {
        guard viewer.user.can(.reviewBusinessPlans), viewer.user.can(.manageUsers) else { throw AppError.forbidden }
        guard let business = try await database.read({ try await business($0, id: businessID, viewer: viewer) }) else { throw AppError.notFound }
        let id = try await UserAdmin(services: services).create(username: username, displayName: displayName, role: .business, unit: business.unitPath,
                                                                password: password, creator: viewer.user)
        try await database.transaction { db in
            try await db.raw("INSERT INTO business_accounts (user_id, business_id) VALUES (\(bind: id), \(bind: business.id))").run()
            try await Audit.record(db, actor: viewer.user, action: "link_account", entityType: "business", entityId: business.id, unitPath: try? UnitPath(business.unitPath),
                                   summary: "Tài khoản \(username) của \(business.name)", changes: [FieldChange("account", old: nil, new: username)])
        }
        return id
    }

    // MARK: plans

    package func plans(_ db: any SQLDatabase, businessID: String? = nil, status: PlanStatus? = nil, viewer: MovementViewer, limit: Int = 500) async throws -> [PlanRecord] {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: PlanRecord.columns) FROM business_plans WHERE \(viewer.businessRows())"
        if let businessID { sql = sql + " AND business_id = \(bind: businessID)" }
        if let status { sql = sql + " AND status = \(bind: status.rawValue)" }
        sql = sql + " ORDER BY created_at DESC, id LIMIT \(literal: limit)"
        return try await db.raw(sql).all(decoding: PlanRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func plan(_ db: any SQLDatabase, id: String, viewer: MovementViewer) async throws -> PlanRecord? {
        try await db.raw("SELECT \(unsafeRaw: PlanRecord.columns) FROM business_plans WHERE id = \(bind: id) AND \(viewer.businessRows())")
            .first(decoding: PlanRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Writes and submits the business's plan: a returned plan is corrected in place; a plan under
    /// review or approved cannot be replaced. Incomplete plans are refused with what they lack.
    package func submitPlan(businessID: String, _ input: PlanInput, viewer: MovementViewer, language l: Language) async throws -> PlanRecord {
        guard viewer.user.can(.submitBusinessPlans) else { throw AppError.forbidden }
        guard let business = try await database.read({ try await business($0, id: businessID, viewer: viewer) }) else { throw AppError.notFound }
        guard let model = PlanModel(rawValue: input.model ?? "") else {
            throw AppError.invalid("Chọn mô hình hoạt động.", "Choose an operating model.", details: ["model": msg(l, "Chọn mô hình hoạt động.", "Choose an operating model.")])
        }
        let items = Set((input.items ?? []).compactMap { PlanItem(rawValue: $0) })
        let team = (input.team ?? "").trimmed, commitment = (input.commitmentBy ?? "").trimmed
        if team.count > TextLimits.title * 10 || commitment.count > TextLimits.name { throw AppError.invalid("Nội dung quá dài.", "Text too long.") }
        let completeness = PlanCompleteness.check(model: model, ticked: items, teamMembers: team.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count,
                                                  commitmentSignedBy: commitment)
        guard completeness.isComplete else {
            var details: [String: String] = [:]
            if !completeness.missing.isEmpty {
                details["items"] = msg(l, "Còn thiếu: ", "Missing: ") + completeness.missing.map { Strings.label("plan.item", $0.rawValue, l) }.joined(separator: "; ")
            }
            if completeness.teamMissing { details["team"] = msg(l, "Ghi tên ít nhất một thành viên Tổ COVID.", "Name at least one COVID team member.") }
            if completeness.commitmentMissing { details["commitment_by"] = msg(l, "Người đứng đầu ký cam kết.", "The head must sign the commitment.") }
            throw AppError.invalid("Phương án chưa đủ nội dung bắt buộc.", "The plan lacks required items.", details: details)
        }
        let now = Timestamp.now()
        let itemsText = model.requiredItems.filter(items.contains).map(\.rawValue).joined(separator: ",")
        return try await database.transaction { db in
            let latest = try await db.raw("SELECT \(unsafeRaw: PlanRecord.columns) FROM business_plans WHERE business_id = \(bind: business.id) ORDER BY created_at DESC, id DESC LIMIT 1")
                .first(decoding: PlanRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            if let latest, let status = PlanStatus(rawValue: latest.status), !status.canMove(to: .submitted) {
                throw AppError(.conflict, code: "plan_in_review", vi: "Phương án hiện tại đang \(Strings.label("plan.status", latest.status, .vi).lowercased()): không gửi phương án mới được.",
                               en: "The current plan is \(Strings.label("plan.status", latest.status, .en).lowercased()): a new one cannot be sent.")
            }
            var plan = PlanRecord(id: latest?.id ?? Identifier.make(), businessId: business.id, unitPath: business.unitPath, groupCode: "", model: model.rawValue, items: itemsText,
                                  team: team, commitmentBy: commitment, commitmentAt: now, status: PlanStatus.submitted.rawValue, reason: latest?.reason ?? "", submittedAt: now,
                                  reviewedBy: latest?.reviewedBy, reviewedAt: latest?.reviewedAt, createdAt: latest?.createdAt ?? now, version: (latest?.version ?? 0) + 1)
            if let latest {
                try await db.raw("""
                    UPDATE business_plans SET model = \(bind: plan.model), items = \(bind: plan.items), team = \(bind: plan.team), commitment_by = \(bind: plan.commitmentBy),
                    commitment_at = \(bind: now), status = 'submitted', submitted_at = \(bind: now), version = version + 1 WHERE id = \(bind: latest.id)
                    """).run()
                plan.version = latest.version + 1
            } else {
                try await db.raw("""
                    INSERT INTO business_plans (\(unsafeRaw: PlanRecord.columns)) VALUES (\(bind: plan.id), \(bind: plan.businessId), \(bind: plan.unitPath), '', \(bind: plan.model),
                    \(bind: plan.items), \(bind: plan.team), \(bind: plan.commitmentBy), \(bind: now), 'submitted', '', \(bind: now), NULL, NULL, \(bind: now), 1)
                    """).run()
            }
            try await Audit.record(db, actor: viewer.user, action: "submit_plan", entityType: "business_plan", entityId: plan.id, unitPath: try? UnitPath(plan.unitPath),
                                   summary: "Phương án phòng dịch của \(business.name)",
                                   changes: [FieldChange("status", old: latest?.status, new: "submitted"), FieldChange("model", old: latest?.model, new: plan.model)])
            return plan
        }
    }

    /// The district's decision on a plan: approve, return (with reasons) or suspend (with reasons).
    package func reviewPlan(id: String, decision: String?, reason: String?, viewer: MovementViewer, language l: Language) async throws -> PlanRecord {
        guard viewer.user.can(.reviewBusinessPlans), !viewer.isBusiness else { throw AppError.forbidden }
        let next: PlanStatus
        switch decision ?? "" {
        case "approve": next = .approved
        case "return": next = .returned
        case "suspend": next = .suspended
        default: throw AppError.invalid("Chọn duyệt, trả lại hoặc tạm dừng.", "Choose approve, return or suspend.", details: ["decision": "required"])
        }
        let reason = (reason ?? "").trimmed
        if next != .approved && reason.isEmpty {
            throw AppError.invalid("Ghi rõ lý do trả lại hoặc tạm dừng.", "Give the reasons for returning or suspending.", details: ["reason": msg(l, "Ghi rõ lý do.", "Give the reasons.")])
        }
        if reason.count > TextLimits.title * 10 { throw AppError.invalid("Lý do quá dài.", "Reason too long.") }
        return try await database.transaction { db in
            guard var plan = try await plan(db, id: id, viewer: viewer) else { throw AppError.notFound }
            guard let current = PlanStatus(rawValue: plan.status), current.canMove(to: next) else {
                throw AppError(.conflict, code: "plan_state", vi: "Phương án đang \(Strings.label("plan.status", plan.status, .vi).lowercased()): không chuyển sang \(Strings.label("plan.status", next.rawValue, .vi).lowercased()) được.",
                               en: "The plan is \(Strings.label("plan.status", plan.status, .en).lowercased()): it cannot become \(Strings.label("plan.status", next.rawValue, .en).lowercased()).")
            }
            let now = Timestamp.now()
            try await db.raw("""
                UPDATE business_plans SET status = \(bind: next.rawValue), reason = \(bind: reason), reviewed_by = \(bind: viewer.user.username), reviewed_at = \(bind: now),
                version = version + 1 WHERE id = \(bind: plan.id) AND version = \(bind: plan.version)
                """).run()
            try await Audit.record(db, actor: viewer.user, action: next == .approved ? "approve_plan" : next == .returned ? "return_plan" : "suspend_plan", entityType: "business_plan",
                                   entityId: plan.id, unitPath: try? UnitPath(plan.unitPath), summary: reason.isEmpty ? "Duyệt phương án" : reason,
                                   changes: [FieldChange("status", old: plan.status, new: next.rawValue)])
            plan.status = next.rawValue
            plan.reason = reason
            plan.reviewedBy = viewer.user.username
            plan.reviewedAt = now
            plan.version += 1
            return plan
        }
    }

    // MARK: staff

    package func staff(_ db: any SQLDatabase, businessID: String, viewer: MovementViewer, limit: Int = 2000) async throws -> [StaffRecord] {
        try await db.raw("SELECT \(unsafeRaw: StaffRecord.columns) FROM business_staff WHERE business_id = \(bind: businessID) AND \(viewer.businessRows()) ORDER BY full_name, id LIMIT \(literal: limit)")
            .all(decoding: StaffRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Reads a staff list (CSV: ho_ten, cccd, cong_viec) into the business: each person matched to the
    /// registry by citizen id, bad rows reported by line, rows already listed left as they are.
    package func importStaff(businessID: String, csv bytes: [UInt8], viewer: MovementViewer, language l: Language) async throws -> StaffImportReport {
        guard viewer.user.can(.requestPermits) else { throw AppError.forbidden }
        guard let business = try await database.read({ try await business($0, id: businessID, viewer: viewer) }) else { throw AppError.notFound }
        var reader = CSVReader(bytes: bytes)
        var report = StaffImportReport()
        var header: [String] = []
        var rows: [(line: Int, name: String, cccd: String, job: String)] = []
        var seen = Set<String>()
        do {
            while let record = try reader.next() {
                if header.isEmpty {
                    header = record.fields.map { VietnameseText.fold($0.trimmed).replacingOccurrences(of: " ", with: "_") }
                    guard header.contains("ho_ten"), header.contains("cccd") else {
                        throw AppError.invalid("Tệp cần các cột ho_ten và cccd.", "The file needs the columns ho_ten and cccd.", details: ["file": "columns"])
                    }
                    continue
                }
                func field(_ name: String) -> String {
                    guard let i = header.firstIndex(of: name), i < record.fields.count else { return "" }
                    return record.fields[i].trimmed
                }
                if record.fields.allSatisfy({ $0.trimmed.isEmpty }) { continue }
                let name = field("ho_ten")
                guard !name.isEmpty, name.count <= TextLimits.name else {
                    report.problems.append(.init(line: record.line, reason: msg(l, "Thiếu họ tên.", "Name missing."))); continue
                }
                let cccd: CitizenID
                do { cccd = try CitizenID(parsing: field("cccd")) } catch {
                    report.problems.append(.init(line: record.line, reason: msg(l, "Số CCCD/CMND không hợp lệ: ", "Invalid citizen ID: ") + (l == .vi ? error.messageVI : error.messageEN))); continue
                }
                guard seen.insert(cccd.digits).inserted else {
                    report.problems.append(.init(line: record.line, reason: msg(l, "Số CCCD trùng với một dòng trước.", "Citizen ID repeats an earlier row."))); continue
                }
                rows.append((record.line, name, cccd.digits, String(field("cong_viec").prefix(TextLimits.title))))
                if rows.count > 20_000 { throw AppError.invalid("Tối đa 20.000 người một lần.", "At most 20,000 people at a time.") }
            }
        } catch let error as CSVError {
            throw AppError.invalid("Tệp CSV lỗi: \(error.messageVI)", "CSV error: \(error.messageEN)")
        }
        guard !rows.isEmpty || !report.problems.isEmpty else { throw AppError.invalid("Tệp không có dòng nào.", "The file has no rows.", details: ["file": "empty"]) }
        let now = Timestamp.now()
        let all = rows, start = report
        report = try await database.transaction { db in
            var report = start
            for start in stride(from: 0, to: all.count, by: 500) {
                let chunk = Array(all[start..<min(start + 500, all.count)])
                let ids = chunk.map { SQLBind($0.cccd) }
                var people: [String: String] = [:]
                for row in try await db.raw("SELECT id, citizen_id FROM persons WHERE merged_into IS NULL AND citizen_id IN (\(SQLList(ids)))").all() {
                    people[try row.decode(column: "citizen_id", as: String.self)] = try row.decode(column: "id", as: String.self)
                }
                var existing = Set<String>()
                for row in try await db.raw("SELECT citizen_id FROM business_staff WHERE business_id = \(bind: business.id) AND citizen_id IN (\(SQLList(ids)))").all() {
                    existing.insert(try row.decode(column: "citizen_id", as: String.self))
                }
                let fresh = chunk.filter { !existing.contains($0.cccd) }
                report.unchanged += chunk.count - fresh.count
                report.matched += fresh.filter { people[$0.cccd] != nil }.count
                guard !fresh.isEmpty else { continue }
                var insert = db.insert(into: "business_staff").columns("id", "business_id", "citizen_id", "full_name", "person_id", "job", "unit_path", "group_code", "created_at")
                for row in fresh {
                    insert = insert.values([Identifier.make(), business.id, row.cccd, row.name, people[row.cccd], row.job, business.unitPath, "", now] as [any Encodable & Sendable])
                }
                try await insert.run()
                report.added += fresh.count
            }
            if report.added > 0 {
                try await Audit.record(db, actor: viewer.user, action: "import_staff", entityType: "business", entityId: business.id, unitPath: try? UnitPath(business.unitPath),
                                       summary: "Danh sách lao động: thêm \(report.added), đã có \(report.unchanged), lỗi \(report.problems.count)",
                                       changes: [FieldChange("staff_added", old: nil, new: String(report.added))])
            }
            return report
        }
        return report
    }

    // MARK: permits

    package func permit(_ db: any SQLDatabase, id: String, viewer: MovementViewer) async throws -> PermitRecord? {
        try await db.raw("SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE id = \(bind: id) AND \(viewer.businessRows())")
            .first(decoding: PermitRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func permits(_ db: any SQLDatabase, viewer: MovementViewer, businessID: String? = nil, status: PermitStatus? = nil, limit: Int = 500) async throws -> [PermitRecord] {
        var sql: SQLQueryString = "SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE \(viewer.businessRows())"
        if let businessID { sql = sql + " AND business_id = \(bind: businessID)" }
        if let status { sql = sql + " AND status = \(bind: status.rawValue)" }
        // Newest first on the `permits_created` index: a city's list no longer sorts every permit (0.6 s for 2,000,000).
        sql = sql + " ORDER BY created_at DESC, id DESC LIMIT \(literal: limit)"
        return try await db.raw(sql).all(decoding: PermitRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    func dates(_ from: String?, _ to: String?, language l: Language) throws -> (CivilDate, CivilDate) {
        var errors: [String: String] = [:]
        var start: CivilDate?, end: CivilDate?
        do { start = try CivilDate(parsing: from ?? "") } catch { errors["valid_from"] = l == .vi ? error.messageVI : error.messageEN }
        do { end = try CivilDate(parsing: to ?? "") } catch { errors["valid_to"] = l == .vi ? error.messageVI : error.messageEN }
        guard let start, let end else { throw AppError.invalid("Kiểm tra ngày hiệu lực.", "Check the validity dates.", details: errors) }
        if let problem = PermitTerms.checkRange(from: start, to: end) {
            throw AppError.invalid(problem.messageVI, problem.messageEN, details: ["valid_to": l == .vi ? problem.messageVI : problem.messageEN])
        }
        return (start, end)
    }

    /// Zones a permit names: wards (paths or dots) or lockdown zone ids, each inside the city.
    func zones(_ raw: String?) async throws -> String {
        let parts = (raw ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0.isNewline }).map { String($0).trimmed.replacingOccurrences(of: ".", with: "/") }.filter { !$0.isEmpty }
        guard parts.count <= 50 else { throw AppError.invalid("Tối đa 50 vùng.", "At most 50 zones.") }
        for part in parts where try await directory.unit(part) == nil {
            let known = try await database.read { try await $0.raw("SELECT id FROM zones WHERE id = \(bind: part)").first() } != nil
            if !known { throw AppError.invalid("Không có phường/vùng '\(part.prefix(40))'.", "No ward or zone '\(part.prefix(40))'.", details: ["zones": "unknown"]) }
        }
        return parts.joined(separator: ",")
    }

    static func newNumber(day: CivilDate) -> String {
        let hex = Identifier.make().replacingOccurrences(of: "-", with: "").uppercased()
        return "GDD-\(day.iso.replacingOccurrences(of: "-", with: ""))-\(hex.suffix(10))"
    }

    /// The business asks for permits for every listed staff member; only with an approved plan. A
    /// request for someone already asked for the same first day adds nothing.
    package func requestPermits(businessID: String, _ input: PermitRequestInput, viewer: MovementViewer, language l: Language) async throws -> (created: Int, existing: Int) {
        guard viewer.user.can(.requestPermits) else { throw AppError.forbidden }
        guard let business = try await database.read({ try await business($0, id: businessID, viewer: viewer) }) else { throw AppError.notFound }
        let (from, to) = try dates(input.validFrom, input.validTo, language: l)
        let zones = try await zones(input.zones)
        let route = (input.route ?? "").trimmed, purpose = (input.purpose ?? "").trimmed
        if route.count > TextLimits.title || purpose.count > TextLimits.title { throw AppError.invalid("Nội dung quá dài.", "Text too long.") }
        let group: PermitGroup = business.kind == BusinessKind.agency.rawValue ? .agencyStaff : .essentialWorker
        return try await database.transaction { db in
            let approved = try await db.raw("SELECT id FROM business_plans WHERE business_id = \(bind: business.id) AND status = 'approved'").first() != nil
            guard approved || group == .agencyStaff else {
                throw AppError(.unprocessableContent, code: "plan_not_approved", vi: "Doanh nghiệp chưa có phương án phòng dịch được duyệt: chưa đề nghị cấp giấy đi đường được.",
                               en: "The business has no approved prevention plan: it cannot request permits yet.")
            }
            let staff = try await db.raw("SELECT \(unsafeRaw: StaffRecord.columns) FROM business_staff WHERE business_id = \(bind: business.id) ORDER BY full_name LIMIT 50000")
                .all(decoding: StaffRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            guard !staff.isEmpty else { throw AppError.invalid("Chưa có danh sách lao động.", "No staff list yet.") }
            let now = Timestamp.now()
            var created = 0
            for start in stride(from: 0, to: staff.count, by: 500) {
                let chunk = Array(staff[start..<min(start + 500, staff.count)])
                let keys = chunk.map { "b:\(business.id):\($0.citizenId):\(from.iso)" }
                var existing = Set<String>()
                for row in try await db.raw("SELECT request_key FROM permits WHERE request_key IN (\(SQLList(keys.map { SQLBind($0) })))").all() {
                    existing.insert(try row.decode(column: "request_key", as: String.self))
                }
                var insert = db.insert(into: "permits").columns("id", "number", "grp", "status", "business_id", "person_id", "full_name", "citizen_id", "purpose", "route", "zones",
                                                                "days", "valid_from", "valid_to", "unit_path", "group_code", "reason", "requested_by", "created_at", "request_key")
                var any = false
                for (s, key) in zip(chunk, keys) where !existing.contains(key) {
                    insert = insert.values([Identifier.make(), Self.newNumber(day: from), group.rawValue, PermitStatus.requested.rawValue, business.id, s.personId, s.fullName, s.citizenId,
                                            purpose, route, zones, "", from.iso, to.iso, business.unitPath, "", "", viewer.user.username, now, key] as [any Encodable & Sendable])
                    any = true
                    created += 1
                }
                if any { try await insert.run() }
            }
            if created > 0 {
                try await Audit.record(db, actor: viewer.user, action: "request_permits", entityType: "business", entityId: business.id, unitPath: try? UnitPath(business.unitPath),
                                       summary: "Đề nghị cấp \(created) giấy đi đường từ \(from.vietnamese) đến \(to.vietnamese)",
                                       changes: [FieldChange("permits_requested", old: nil, new: String(created))])
            }
            return (created, staff.count - created)
        }
    }

    /// Signs a permit's facts for its QR: what a checkpoint shows without the network.
    package func sign(_ p: PermitRecord, issuedAt: Date) throws -> String {
        guard let to = CivilDate(iso: p.validTo) else { throw AppError.invalid("Ngày hết hạn không hợp lệ.", "Invalid end date.") }
        let service = try SigningService.open(services.settings)
        let document: [(String, CBOR)] = [
            ("id", .text(p.id)), ("no", .text(p.number)), ("name", .text(p.fullName)), ("cccd", .text(p.citizenId)), ("grp", .text(p.grp)),
            ("iss", .text(p.issuerUnit ?? "")), ("zones", .text(p.zones)), ("route", .text(p.route)), ("from", .text(p.validFrom)), ("to", .text(p.validTo)), ("days", .text(p.days)),
        ]
        return try SignedCode.sign(document, purpose: .permit, issuedAt: issuedAt, expiresAt: VietnamTime.instant(to.adding(days: 1)), using: service)
    }

    /// Issues requested permits in bulk: the given ones, or every request of a business, within the
    /// issuer's jurisdiction. Each gets its signed code and its own audit row.
    package func approvePermits(ids: [String]?, businessID: String?, viewer: MovementViewer) async throws -> Int {
        guard viewer.user.can(.issuePermits), !viewer.isBusiness else { throw AppError.forbidden }
        guard ids?.isEmpty == false || businessID != nil else { throw AppError.invalid("Chọn giấy cần duyệt.", "Choose the permits to approve.") }
        return try await database.transaction { db in
            var sql: SQLQueryString = "SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE status = 'requested' AND \(viewer.scope.condition())"
            if let ids, !ids.isEmpty { sql = sql + " AND id IN (\(SQLList(ids.prefix(5000).map { SQLBind($0) })))" }
            if let businessID { sql = sql + " AND business_id = \(bind: businessID)" }
            let pending = try await db.raw(sql + " LIMIT 20000").all(decoding: PermitRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            guard !pending.isEmpty else { throw AppError.notFound }
            let now = Clock.now(), stamp = Timestamp.string(now)
            var issued: [OutCounters.Permit] = []
            for var p in pending {
                p.issuerUnit = viewer.user.unitPath.string
                p.status = PermitStatus.issued.rawValue
                let code = try sign(p, issuedAt: now)
                // Counted only if this transaction is the one that issued it (a concurrent approval may have).
                let changed = try await db.raw("""
                    UPDATE permits SET status = 'issued', issuer_unit = \(bind: p.issuerUnit), issued_by = \(bind: viewer.user.username), issued_at = \(bind: stamp), code = \(bind: code)
                    WHERE id = \(bind: p.id) AND status = 'requested' RETURNING id
                    """).all()
                if !changed.isEmpty { issued.append(OutCounters.Permit(p)) }
                try await Audit.record(db, actor: viewer.user, action: "issue_permit", entityType: "permit", entityId: p.id, unitPath: try? UnitPath(p.unitPath),
                                       summary: "Cấp giấy đi đường \(p.number) cho \(p.fullName)", changes: [FieldChange("status", old: "requested", new: "issued")])
            }
            var deltas: [Counters.Change: Int] = [:]
            OutCounters.permits(issued, sign: 1, into: &deltas)
            try await Counters.apply(db, deltas)
            return pending.count
        }
    }

    /// A ward's permit for a household's food or medicine trips (market voucher): issued at once.
    package func issueIndividual(_ input: IndividualPermitInput, viewer: MovementViewer, language l: Language) async throws -> PermitRecord {
        guard viewer.user.can(.issuePermits), !viewer.isBusiness else { throw AppError.forbidden }
        let (from, to) = try dates(input.validFrom, input.validTo, language: l)
        var days: [CivilDate] = []
        for raw in (input.days ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }) {
            guard let d = try? CivilDate(parsing: String(raw)), d >= from, d <= to else {
                throw AppError.invalid("Ngày đi chợ phải nằm trong thời hạn của giấy.", "Market days must lie within the permit's dates.", details: ["days": String(raw.prefix(20))])
            }
            days.append(d)
        }
        let zones = try await zones(input.zones)
        var name = (input.fullName ?? "").trimmed, cccdText = (input.citizenId ?? "").trimmed, personID: String? = nil, unit = viewer.user.unitPath.string
        if let pid = input.personId.nonBlank {
            guard let row = try await database.read({ try await $0.raw("SELECT id, full_name, citizen_id, unit_path FROM persons WHERE id = \(bind: pid) AND merged_into IS NULL AND \(viewer.scope.condition())").first() })
            else { throw AppError.notFound }
            personID = pid
            name = try row.decode(column: "full_name", as: String.self)
            cccdText = (try row.decode(column: "citizen_id", as: String?.self)) ?? cccdText
            unit = try row.decode(column: "unit_path", as: String.self)
        }
        var errors: [String: String] = [:]
        if name.isEmpty || name.count > TextLimits.name { errors["full_name"] = msg(l, "Nhập họ tên.", "Enter the name.") }
        var cccd: CitizenID?
        do { cccd = try CitizenID(parsing: cccdText) } catch { errors["citizen_id"] = l == .vi ? error.messageVI : error.messageEN }
        guard errors.isEmpty, let cccd else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        if personID == nil { unit = try await coveredWard(nil, user: viewer.user).path }
        let purpose = (input.purpose.nonBlank ?? msg(l, "Mua lương thực, thuốc men", "Food and medicine")).prefix(TextLimits.title)
        let now = Clock.now(), stamp = Timestamp.string(now)
        var p = PermitRecord(id: Identifier.make(), number: Self.newNumber(day: from), grp: PermitGroup.foodMedicine.rawValue, status: PermitStatus.issued.rawValue, businessId: nil,
                             personId: personID, fullName: name, citizenId: cccd.digits, purpose: String(purpose), route: "", zones: zones, days: days.map(\.iso).joined(separator: ","),
                             validFrom: from.iso, validTo: to.iso, unitPath: unit, groupCode: "", issuerUnit: viewer.user.unitPath.string, issuedBy: viewer.user.username,
                             issuedAt: stamp, code: nil, revokedAt: nil, revokedBy: nil, reason: "", requestedBy: viewer.user.username, createdAt: stamp)
        p.code = try sign(p, issuedAt: now)
        let made = p
        let key = "h:\(cccd.digits):\(from.iso):\(p.days)"
        return try await database.transaction { db in
            if let existing = try await db.raw("SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE request_key = \(bind: key)").first(decoding: PermitRecord.self, keyDecodingStrategy: .memoizedSnakeCase) {
                return existing
            }
            try await db.raw("""
                INSERT INTO permits (\(unsafeRaw: PermitRecord.columns), request_key) VALUES (\(bind: made.id), \(bind: made.number), \(bind: made.grp), 'issued', NULL, \(bind: made.personId),
                \(bind: made.fullName), \(bind: made.citizenId), \(bind: made.purpose), '', \(bind: made.zones), \(bind: made.days), \(bind: made.validFrom), \(bind: made.validTo), \(bind: made.unitPath), '',
                \(bind: made.issuerUnit), \(bind: made.issuedBy), \(bind: stamp), \(bind: made.code), NULL, NULL, '', \(bind: made.requestedBy), \(bind: stamp), \(bind: key))
                """).run()
            var deltas: [Counters.Change: Int] = [:]
            OutCounters.permits([OutCounters.Permit(made)], sign: 1, into: &deltas)
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: viewer.user, action: "issue_permit", entityType: "permit", entityId: made.id, unitPath: try? UnitPath(made.unitPath),
                                   summary: "Cấp giấy đi chợ/mua thuốc \(made.number) cho \(made.fullName)", changes: [FieldChange("status", old: nil, new: "issued")])
            return made
        }
    }

    package func revoke(id: String, reason: String?, viewer: MovementViewer, language l: Language) async throws -> PermitRecord {
        guard viewer.user.can(.issuePermits), !viewer.isBusiness else { throw AppError.forbidden }
        let reason = (reason ?? "").trimmed
        guard !reason.isEmpty, reason.count <= TextLimits.title else {
            throw AppError.invalid("Ghi lý do thu hồi.", "Give the reason for revoking.", details: ["reason": msg(l, "Ghi lý do thu hồi.", "Give the reason.")])
        }
        return try await database.transaction { db in
            guard var p = try await permit(db, id: id, viewer: viewer) else { throw AppError.notFound }
            guard p.status == PermitStatus.issued.rawValue else {
                throw AppError(.conflict, code: "permit_state", vi: "Chỉ thu hồi được giấy đang có hiệu lực.", en: "Only an issued permit can be revoked.")
            }
            let now = Timestamp.now()
            let changed = try await db.raw("""
                UPDATE permits SET status = 'revoked', revoked_at = \(bind: now), revoked_by = \(bind: viewer.user.username), reason = \(bind: reason)
                WHERE id = \(bind: p.id) AND status = 'issued' RETURNING id
                """).all()
            // A concurrent revocation got there first: it took the permit off the counts already.
            guard !changed.isEmpty else {
                throw AppError(.conflict, code: "permit_state", vi: "Chỉ thu hồi được giấy đang có hiệu lực.", en: "Only an issued permit can be revoked.")
            }
            var deltas: [Counters.Change: Int] = [:]
            OutCounters.permits([OutCounters.Permit(p)], sign: -1, into: &deltas)
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: viewer.user, action: "revoke_permit", entityType: "permit", entityId: p.id, unitPath: try? UnitPath(p.unitPath),
                                   summary: "Thu hồi giấy đi đường \(p.number): \(reason)", changes: [FieldChange("status", old: "issued", new: "revoked")])
            p.status = PermitStatus.revoked.rawValue
            p.revokedAt = now
            p.reason = reason
            return p
        }
    }

    /// Ids of revoked permits still within their dates: what an offline checkpoint phone caches.
    package func revocations(_ db: any SQLDatabase, today: CivilDate) async throws -> [String] {
        try await db.raw("SELECT id FROM permits WHERE revoked_at IS NOT NULL AND valid_to >= \(bind: today.iso) ORDER BY id LIMIT 200000").all()
            .map { try $0.decode(column: "id", as: String.self) }
    }
}
