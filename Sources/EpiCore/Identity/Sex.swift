/// Sex as recorded in the registry and encoded in the CCCD.
public enum Sex: String, Codable, Sendable, CaseIterable {
    case male
    case female

    public var labelVI: String { self == .male ? "Nam" : "Nữ" }
    public var labelEN: String { self == .male ? "Male" : "Female" }

    /// Accepts Vietnamese and English words and their initials, with or without diacritics.
    public static func parse(_ raw: String) -> Sex? {
        switch VietnameseText.fold(raw) {
        case "nam", "male", "m": return .male
        case "nu", "female", "f": return .female
        default: return nil
        }
    }
}
