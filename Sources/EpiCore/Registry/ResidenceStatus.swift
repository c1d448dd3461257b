/// Where a person stands in residence registration: permanent, temporary (tạm trú) or short stay (lưu trú).
public enum ResidenceStatus: String, Codable, Sendable, CaseIterable {
    case permanent
    case temporary
    case shortStay = "short_stay"

    public var labelVI: String {
        switch self {
        case .permanent: return "Thường trú"
        case .temporary: return "Tạm trú"
        case .shortStay: return "Lưu trú"
        }
    }

    public var labelEN: String {
        switch self {
        case .permanent: return "Permanent"
        case .temporary: return "Temporary"
        case .shortStay: return "Short stay"
        }
    }

    public static func parse(_ raw: String) -> ResidenceStatus? {
        switch VietnameseText.fold(raw) {
        case "thuong tru", "permanent": return .permanent
        case "tam tru", "temporary": return .temporary
        case "luu tru", "short stay", "short_stay", "shortstay": return .shortStay
        default: return ResidenceStatus(rawValue: raw)
        }
    }
}
