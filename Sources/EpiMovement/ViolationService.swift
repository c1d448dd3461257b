import EpiCore
import EpiPlatform
import Foundation
import Hummingbird
import SQLKit

package struct ViolationRecord: Codable, Sendable, Equatable {
    package var id: String
    package var kind: String
    package var personId: String?
    package var businessId: String?
    package var fullName: String
    package var citizenId: String
    package var unitPath: String
    package var groupCode: String
    package var amount: Int
    package var legalBasis: String
    package var occurredOn: String
    package var place: String
    package var status: String
    package var recordedBy: String
    package var createdAt: String
    package var version: Int

    static let columns = "id, kind, person_id, business_id, full_name, citizen_id, unit_path, group_code, amount, legal_basis, occurred_on, place, status, recorded_by, created_at, version"
}

package struct ViolationInput: Codable, Sendable {
    package var kind: String?
    package var personId: String?
    package var businessId: String?
    package var fullName: String?
    package var citizenId: String?
    package var amount: Int?
    package var occurredOn: String?
    package var place: String?
}

/// Administrative fines for breaches of the measures: the amount must lie in the range of the rule in force
/// on the day (versioned data in EpiCore), twice an individual's for a business; issued, then paid or appealed.
package struct ViolationService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }

    package func list(_ db: any SQLDatabase, scope: Scope, limit: Int = 300) async throws -> [ViolationRecord] {
        try await db.raw("SELECT \(unsafeRaw: ViolationRecord.columns) FROM violations WHERE \(scope.condition()) ORDER BY created_at DESC, id LIMIT \(literal: limit)")
            .all(decoding: ViolationRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func record(_ input: ViolationInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> ViolationRecord {
        guard user.can(.recordViolations) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory).wholeWard
        var errors: [String: String] = [:]
        let kind = ViolationKind(rawValue: input.kind ?? "")
        if kind == nil { errors["kind"] = msg(l, "Chọn hành vi vi phạm.", "Choose the violation.") }
        var day: CivilDate?
        do { day = try CivilDate(parsing: input.occurredOn.nonBlank ?? Clock.today().iso) } catch { errors["occurred_on"] = l == .vi ? error.messageVI : error.messageEN }
        var name = (input.fullName ?? "").trimmed, cccd = (input.citizenId ?? "").trimmed, unit = user.unitPath.string
        var personID: String?, businessID: String?
        if let pid = input.personId.nonBlank {
            guard let row = try await services.database.read({ try await $0.raw("SELECT full_name, citizen_id, unit_path FROM persons WHERE id = \(bind: pid) AND merged_into IS NULL AND \(scope.condition())").first() })
            else { throw AppError.notFound }
            personID = pid
            name = try row.decode(column: "full_name", as: String.self)
            cccd = (try row.decode(column: "citizen_id", as: String?.self)) ?? cccd
            unit = try row.decode(column: "unit_path", as: String.self)
        } else if let bid = input.businessId.nonBlank {
            guard let row = try await services.database.read({ try await $0.raw("SELECT name, tax_code, unit_path FROM businesses WHERE id = \(bind: bid) AND \(scope.condition())").first() })
            else { throw AppError.notFound }
            businessID = bid
            name = try row.decode(column: "name", as: String.self)
            cccd = try row.decode(column: "tax_code", as: String.self)
            unit = try row.decode(column: "unit_path", as: String.self)
        } else {
            if name.isEmpty || name.count > TextLimits.name { errors["full_name"] = msg(l, "Nhập họ tên người vi phạm.", "Name the offender.") }
            if !cccd.isEmpty { do { cccd = try CitizenID(parsing: cccd).digits } catch { errors["citizen_id"] = l == .vi ? error.messageVI : error.messageEN } }
            if !(await services.directory.isLowestAdministrative(unit)) { unit = user.unitPath.string }
        }
        let place = (input.place ?? "").trimmed
        if place.count > TextLimits.title { errors["place"] = msg(l, "Địa điểm quá dài.", "Place too long.") }
        guard errors.isEmpty, let kind, let day else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let amount = input.amount ?? 0
        switch ViolationRules.checkAmount(amount, kind: kind, on: day, organisation: businessID != nil) {
        case .none: break
        case .noRuleInForce?:
            throw AppError.invalid("Chưa có quy định xử phạt cho ngày này.", "No fine rule in force on that day.", details: ["occurred_on": "no_rule"])
        case .outOfRange(let range)?:
            let text = "\(NumberFormat.grouped(range.lowerBound))–\(NumberFormat.grouped(range.upperBound)) đồng"
            throw AppError.invalid("Mức phạt phải từ \(text).", "The fine must be \(text).", details: ["amount": text])
        }
        let rule = ViolationRules.rule(kind, on: day)
        let now = Timestamp.now()
        let v = ViolationRecord(id: Identifier.make(), kind: kind.rawValue, personId: personID, businessId: businessID, fullName: name, citizenId: cccd, unitPath: unit, groupCode: "",
                                amount: amount, legalBasis: rule?.legalBasis ?? "", occurredOn: day.iso, place: place, status: ViolationStatus.issued.rawValue,
                                recordedBy: user.username, createdAt: now, version: 1)
        return try await services.database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { id in
                try await db.raw("SELECT \(unsafeRaw: ViolationRecord.columns) FROM violations WHERE id = \(bind: id)").first(decoding: ViolationRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            }) {
                try await db.raw("""
                    INSERT INTO violations (\(unsafeRaw: ViolationRecord.columns)) VALUES (\(bind: v.id), \(bind: v.kind), \(bind: v.personId), \(bind: v.businessId), \(bind: v.fullName),
                    \(bind: v.citizenId), \(bind: v.unitPath), '', \(bind: v.amount), \(bind: v.legalBasis), \(bind: v.occurredOn), \(bind: v.place), 'issued', \(bind: v.recordedBy), \(bind: now), 1)
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "violation", entityId: v.id, unitPath: try? UnitPath(v.unitPath),
                                       summary: "Biên bản vi phạm: \(v.fullName), \(NumberFormat.grouped(v.amount)) đồng", changes: [FieldChange("kind", old: nil, new: v.kind)])
                return v
            }
        }
    }

    package func setStatus(id: String, status raw: String?, user: CurrentUser) async throws -> ViolationRecord {
        guard user.can(.recordViolations) else { throw AppError.forbidden }
        guard let next = ViolationStatus(rawValue: raw ?? ""), next != .issued else {
            throw AppError.invalid("Chọn đã nộp phạt hoặc khiếu nại.", "Choose paid or appealed.", details: ["status": "invalid"])
        }
        let scope = try await Scope.of(user, directory: services.directory).wholeWard
        return try await services.database.transaction { db in
            guard var v = try await db.raw("SELECT \(unsafeRaw: ViolationRecord.columns) FROM violations WHERE id = \(bind: id) AND \(scope.condition())")
                .first(decoding: ViolationRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            let allowed = (v.status == "issued") || (v.status == "appealed" && next == .paid)
            guard allowed else { throw AppError(.conflict, code: "violation_state", vi: "Biên bản đã ở trạng thái cuối.", en: "The violation is already closed.") }
            try await db.raw("UPDATE violations SET status = \(bind: next.rawValue), version = version + 1 WHERE id = \(bind: v.id)").run()
            try await Audit.record(db, actor: user, action: "update", entityType: "violation", entityId: v.id, unitPath: try? UnitPath(v.unitPath),
                                   summary: "Biên bản vi phạm của \(v.fullName)", changes: [FieldChange("status", old: v.status, new: next.rawValue)])
            v.status = next.rawValue
            v.version += 1
            return v
        }
    }
}

/// A checkpoint that was sending checks and has gone quiet for over an hour: its phone is probably
/// offline (or the checkpoint unmanned); its queued checks will arrive when it is back.
package struct CheckpointOfflineAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        // `last_seen_at` is kept by every check write (CheckLogRow.store): no walk through a day of checks.
        let rows = try await db.raw("""
            SELECT c.id, c.name, c.unit_path, c.last_seen_at AS last_seen FROM checkpoints c
            WHERE c.active AND \(scope.wholeWard.condition("c")) AND c.last_seen_at >= \(bind: Timestamp.string(now.addingTimeInterval(-24 * 3600)))
            AND c.last_seen_at < \(bind: Timestamp.string(now.addingTimeInterval(-3600))) ORDER BY c.last_seen_at LIMIT 50
            """).all()
        return try rows.map { row in
            let name = try row.decode(column: "name", as: String.self)
            let last = Timestamp.date(try row.decode(column: "last_seen", as: String.self))
            return DashboardAlert(kind: "checkpoint_offline", severity: .warning, unitPath: try row.decode(column: "unit_path", as: String.self),
                                  titleVI: "Chốt \(name) không gửi dữ liệu quá 1 giờ", titleEN: "Checkpoint \(name) has sent nothing for over an hour",
                                  link: "/movement", since: last)
        }
    }
}
