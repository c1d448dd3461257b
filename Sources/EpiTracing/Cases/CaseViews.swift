import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird

/// View data shared by the case, contact, quarantine and zone pages.
enum CaseView {
    /// Options for a `<select>` of an enum with Vietnamese and English labels.
    static func options<T: CaseIterable & RawRepresentable>(_ type: T.Type, selected: String?, _ language: Language,
                                                            label: (T) -> (String, String)) -> [[String: Any]] where T.RawValue == String {
        type.allCases.map { value in
            let (vi, en) = label(value)
            return ["value": value.rawValue, "label": language == .vi ? vi : en, "selected": value.rawValue == selected]
        }
    }

    static func label<T: RawRepresentable>(_ raw: String?, _ type: T.Type, _ language: Language, _ label: (T) -> (String, String)) -> String where T.RawValue == String {
        guard let raw, let value = T(rawValue: raw) else { return raw ?? "" }
        let (vi, en) = label(value)
        return language == .vi ? vi : en
    }

    static func outcome(_ raw: String, _ l: Language) -> String { label(raw, CaseOutcome.self, l) { ($0.labelVI, $0.labelEN) } }
    static func care(_ raw: String, _ l: Language) -> String { label(raw, CareSetting.self, l) { ($0.labelVI, $0.labelEN) } }
    static func detection(_ raw: String, _ l: Language) -> String { label(raw, DetectionSetting.self, l) { ($0.labelVI, $0.labelEN) } }
    static func clinical(_ raw: String, _ l: Language) -> String { label(raw, ClinicalStatus.self, l) { ($0.labelVI, $0.labelEN) } }
    static func setting(_ raw: String, _ l: Language) -> String { label(raw, ExposureSetting.self, l) { ($0.labelVI, $0.labelEN) } }
    static func testType(_ raw: String, _ l: Language) -> String { label(raw, TestType.self, l) { ($0.labelVI, $0.labelEN) } }

    static func date(_ iso: String?) -> String { iso.flatMap(CivilDate.init(iso:))?.vietnamese ?? "" }

    /// Initials only ("N. V. A."), for people the viewer may not open (SORMAS-style masking).
    static func masked(_ name: String) -> String {
        name.split(separator: " ").compactMap { $0.first.map { "\($0)." } }.joined(separator: " ")
    }

    /// Splits service error keys like "contacts.0.phone" into template-friendly "contacts_0_phone".
    static func fieldErrors(_ error: AppError?) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in error?.details ?? [:] { out[k.replacingOccurrences(of: ".", with: "_")] = v }
        return out
    }
}

extension Request {
    /// A query-string value, trimmed; nil when absent or blank.
    func query(_ name: String) -> String? {
        guard let v = formQuery[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }
}

extension CaseView {
    /// Why a contact level ended, as a ward reads it.
    static func endReason(_ raw: String, _ l: Language) -> String {
        switch raw {
        case "lapsed": return l == .vi ? "Hết thời hạn theo dõi, chưa được cách ly" : "Follow period over, never placed in quarantine"
        case "became_case": return l == .vi ? "Đã trở thành F0" : "Became an F0"
        default: return l == .vi ? "Không còn liên hệ với ca bệnh (F0 loại trừ, đã hoàn thành cách ly hoặc quy định thay đổi)" : "No longer linked to a case (case ruled out, quarantine completed or rules changed)"
        }
    }
}
