import Foundation

/// The kinds of administrative units and residential groups, by their Vietnamese names.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    case city = "thanh_pho"
    case province = "tinh"
    case urbanDistrict = "quan"
    case ruralDistrict = "huyen"
    case town = "thi_xa"
    case ward = "phuong"
    case commune = "xa"
    case townlet = "thi_tran"
    case residentialGroup = "to_dan_pho"
    case village = "thon"

    public var labelVI: String {
        switch self {
        case .city: return "Thành phố"
        case .province: return "Tỉnh"
        case .urbanDistrict: return "Quận"
        case .ruralDistrict: return "Huyện"
        case .town: return "Thị xã"
        case .ward: return "Phường"
        case .commune: return "Xã"
        case .townlet: return "Thị trấn"
        case .residentialGroup: return "Tổ dân phố"
        case .village: return "Thôn"
        }
    }

    public var labelEN: String {
        switch self {
        case .city: return "City"
        case .province: return "Province"
        case .urbanDistrict: return "Urban district"
        case .ruralDistrict: return "Rural district"
        case .town: return "Town"
        case .ward: return "Ward"
        case .commune: return "Commune"
        case .townlet: return "Township"
        case .residentialGroup: return "Residential group"
        case .village: return "Village"
        }
    }

    /// Reads "quận", "Thị xã", "thi tran"… as written in official lists.
    public static func fromVietnamese(_ s: String) -> UnitKind? {
        let key = VietnameseText.fold(s).replacingOccurrences(of: " ", with: "_")
        return UnitKind(rawValue: key) ?? allCases.first { VietnameseText.fold($0.labelVI).replacingOccurrences(of: " ", with: "_") == key }
    }
}
