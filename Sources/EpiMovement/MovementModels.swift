import EpiCore
import EpiPlatform
import Foundation

package struct BusinessRecord: Codable, Sendable, Equatable {
    package var id: String
    package var taxCode: String
    package var name: String
    package var kind: String
    package var sector: String
    package var address: String
    package var unitPath: String
    package var groupCode: String
    package var workforce: Int
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String

    package static let columns = "id, tax_code, name, kind, sector, address, unit_path, group_code, workforce, created_by, created_at, updated_at"
}

/// A business (enterprise) or a state agency: agencies' heads issue their own staff's permits.
package enum BusinessKind: String, CaseIterable, Codable, Sendable {
    case enterprise
    case agency
}

package struct PlanRecord: Codable, Sendable, Equatable {
    package var id: String
    package var businessId: String
    package var unitPath: String
    package var groupCode: String
    package var model: String
    package var items: String
    package var team: String
    package var commitmentBy: String
    package var commitmentAt: String?
    package var status: String
    package var reason: String
    package var submittedAt: String?
    package var reviewedBy: String?
    package var reviewedAt: String?
    package var createdAt: String
    package var version: Int

    package static let columns = "id, business_id, unit_path, group_code, model, items, team, commitment_by, commitment_at, status, reason, submitted_at, reviewed_by, reviewed_at, created_at, version"

    package var ticked: Set<PlanItem> { Set(items.split(separator: ",").compactMap { PlanItem(rawValue: String($0)) }) }
    package var teamMembers: [String] { team.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
}

package struct StaffRecord: Codable, Sendable, Equatable {
    package var id: String
    package var businessId: String
    package var citizenId: String
    package var fullName: String
    package var personId: String?
    package var job: String
    package var unitPath: String
    package var groupCode: String
    package var createdAt: String

    package static let columns = "id, business_id, citizen_id, full_name, person_id, job, unit_path, group_code, created_at"
}

package struct PermitRecord: Codable, Sendable, Equatable {
    package var id: String
    package var number: String
    package var grp: String
    package var status: String
    package var businessId: String?
    package var personId: String?
    package var fullName: String
    package var citizenId: String
    package var purpose: String
    package var route: String
    package var zones: String
    package var days: String
    package var validFrom: String
    package var validTo: String
    package var unitPath: String
    package var groupCode: String
    package var issuerUnit: String?
    package var issuedBy: String?
    package var issuedAt: String?
    package var code: String?
    package var revokedAt: String?
    package var revokedBy: String?
    package var reason: String
    package var requestedBy: String
    package var createdAt: String

    package static let columns = "id, number, grp, status, business_id, person_id, full_name, citizen_id, purpose, route, zones, days, valid_from, valid_to, unit_path, group_code, issuer_unit, issued_by, issued_at, code, revoked_at, revoked_by, reason, requested_by, created_at"

    /// The column names themselves, so a checkpoint's lookup decodes with the default keys: SQLKit's
    /// snake-case conversion of every key cost an eighth of a permit check. Unchanged for JSON
    /// (`convertToSnakeCase` leaves these names as they are) and for readers that still convert.
    enum CodingKeys: String, CodingKey {
        case id, number, grp, status, businessId = "business_id", personId = "person_id", fullName = "full_name", citizenId = "citizen_id", purpose, route, zones, days
        case validFrom = "valid_from", validTo = "valid_to", unitPath = "unit_path", groupCode = "group_code", issuerUnit = "issuer_unit", issuedBy = "issued_by"
        case issuedAt = "issued_at", code, revokedAt = "revoked_at", revokedBy = "revoked_by", reason, requestedBy = "requested_by", createdAt = "created_at"
    }

    package var zoneList: [String] { zones.split(separator: ",").map(String.init) }
    package var dayList: [CivilDate] { days.split(separator: ",").compactMap { CivilDate(iso: String($0)) } }

    package var terms: PermitTerms? {
        guard let from = CivilDate(iso: validFrom), let to = CivilDate(iso: validTo) else { return nil }
        return PermitTerms(validFrom: from, validTo: to, zones: zoneList, days: dayList, revoked: status == PermitStatus.revoked.rawValue)
    }
}

package struct CheckRecord: Codable, Sendable, Equatable {
    package var id: String
    package var checkpointId: String?
    package var checkpointName: String
    package var unitPath: String
    package var permitId: String?
    package var permitNumber: String
    package var direction: String
    package var result: String
    package var reason: String
    package var declarationOk: Bool?
    package var officer: String
    package var checkedAt: String

    package static let columns = "id, checkpoint_id, checkpoint_name, unit_path, permit_id, permit_number, direction, result, reason, declaration_ok, officer, checked_at"
}

extension String {
    var trimmed: String { trimmedWhitespace }
    var nonBlank: String? { let t = trimmed; return t.isEmpty ? nil : t }
}

extension Optional where Wrapped == String {
    var nonBlank: String? { self?.nonBlank }
}

func msg(_ l: Language, _ vi: String, _ en: String) -> String { l == .vi ? vi : en }
