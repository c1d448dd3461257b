import EpiCore
import EpiPlatform
import Foundation

package struct LotRecord: Codable, Sendable {
    package let id: String
    package let productCode: String
    package let manufacturerCode: String
    package let catalogVersion: String
    package let lotNumber: String
    package let expiresOn: String
    package let dosesPerVial: Int
    package let doses: Int
    package let receivedOn: String
    package let unitPath: String
    package let groupCode: String
    package let createdBy: String
    package let createdAt: String
    static let columns = "id, product_code, manufacturer_code, catalog_version, lot_number, expires_on, doses_per_vial, doses, received_on, unit_path, group_code, created_by, created_at"
}

package struct SiteRecord: Codable, Sendable {
    package let id: String
    package let name: String
    package let address: String
    package let unitPath: String
    package let groupCode: String
    package let active: Bool
    package let createdBy: String
    package let createdAt: String
    static let columns = "id, name, address, unit_path, group_code, active, created_by, created_at"
}

package struct SessionRecord: Codable, Sendable {
    package let id: String
    package let siteId: String
    package let unitPath: String
    package let groupCode: String
    package let sessionOn: String
    package let capacity: Int
    package let productCode: String
    package let priorityGroups: String
    package let minAge: Int
    package let status: String
    package let createdBy: String
    package let createdAt: String
    static let columns = "id, site_id, unit_path, group_code, session_on, capacity, product_code, priority_groups, min_age, status, created_by, created_at"
}

package struct DoseRecord: Codable, Sendable {
    package let id: String
    package let personId: String
    package let unitPath: String
    package let groupCode: String
    package let ageGroup: String?
    package let doseNumber: Int
    package let counts: String
    package let givenOn: String
    package let productCode: String
    package let manufacturerCode: String
    package let lotNumber: String
    package let lotId: String?
    package let siteId: String?
    package let sessionId: String?
    package let source: String
    package let createdBy: String
    package let createdAt: String
    /// The priority group the person was vaccinated under (a code of `vaccination_priority_groups`); empty
    /// when none was recorded (an imported dose, or a dose given before groups were recorded).
    package let priorityGroup: String
    static let columns = "id, person_id, unit_path, group_code, age_group, dose_number, counts, given_on, product_code, manufacturer_code, lot_number, lot_id, site_id, session_id, source, created_by, created_at, priority_group"
}

package struct StockRow: Codable, Sendable {
    package let holderId: String
    package let holderKind: String
    package let lotId: String
    package let unitPath: String
    package let balance: Int
}

package struct CertificateRecord: Codable, Sendable {
    package let id: String
    package let uvci: String
    package let personId: String
    package let unitPath: String
    package let groupCode: String
    package let doseId: String
    package let payload: String
    package let kid: String
    package let issuedAt: String
    package let expiresAt: String
    package let createdBy: String
    static let columns = "id, uvci, person_id, unit_path, group_code, dose_id, payload, kid, issued_at, expires_at, created_by"
}

/// Screening outcomes at a session.
package enum ScreeningOutcome: String, CaseIterable, Sendable, Codable {
    case eligible, postpone, refer
    package var labelVI: String {
        switch self { case .eligible: return "Đủ điều kiện tiêm"; case .postpone: return "Tạm hoãn"; case .refer: return "Chuyển viện, tiêm tại bệnh viện" }
    }
    package var labelEN: String {
        switch self { case .eligible: return "Eligible"; case .postpone: return "Postponed"; case .refer: return "Referred to hospital" }
    }
}

package enum AEFISeverity: String, CaseIterable, Sendable, Codable {
    case mild, serious
    package var labelVI: String { self == .mild ? "Phản ứng thông thường" : "Phản ứng nặng" }
    package var labelEN: String { self == .mild ? "Mild reaction" : "Serious reaction" }
}

/// Where a dose record came from.
package enum DoseSource: String, CaseIterable, Sendable, Codable {
    case site, `import`
    package var labelVI: String { self == .site ? "Tiêm tại điểm" : "Nhập từ hệ thống khác" }
    package var labelEN: String { self == .site ? "Given at a site" : "Imported" }
}

extension String {
    var trimmed: String { trimmedWhitespace }
    var nonBlank: String? { let t = trimmed; return t.isEmpty ? nil : t }
}

extension Optional where Wrapped == String {
    var nonBlank: String? { self?.nonBlank }
}

func msg(_ l: Language, _ vi: String, _ en: String) -> String { l == .vi ? vi : en }
