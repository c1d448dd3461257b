import EpiCore
import EpiPlatform
import Foundation
import Hummingbird

/// View helpers shared by the testing pages: labels of stored codes in the reader's language, options
/// for selects, figures and times as people read them.
enum TestingView {
    static func label<T: RawRepresentable>(_ raw: String?, _ type: T.Type, _ l: Language, _ text: (T) -> (String, String)) -> String where T.RawValue == String {
        guard let raw, let v = T(rawValue: raw) else { return raw ?? "" }
        let (vi, en) = text(v)
        return l == .vi ? vi : en
    }

    static func value(_ raw: String?, _ l: Language) -> String {
        guard let raw else { return l == .vi ? "Chưa có kết quả" : "No result yet" }
        return label(raw, TestResultValue.self, l) { ($0.labelVI, $0.labelEN) }
    }
    static func test(_ raw: String, _ l: Language) -> String { label(raw, LabTest.self, l) { ($0.labelVI, $0.labelEN) } }
    static func kind(_ raw: String, _ l: Language) -> String { label(raw, SampleKind.self, l) { ($0.labelVI, $0.labelEN) } }
    static func sampleStatus(_ raw: String, _ l: Language) -> String { label(raw, SampleStatus.self, l) { ($0.labelVI, $0.labelEN) } }
    static func batchStatus(_ raw: String, _ l: Language) -> String { label(raw, BatchStatus.self, l) { ($0.labelVI, $0.labelEN) } }
    static func match(_ raw: String, _ l: Language) -> String { label(raw, MatchStatus.self, l) { ($0.labelVI, $0.labelEN) } }
    static func review(_ raw: String?, _ l: Language) -> String { label(raw, ReviewReason.self, l) { ($0.labelVI, $0.labelEN) } }
    static func retest(_ raw: String, _ l: Language) -> String { label(raw, RetestReason.self, l) { ($0.labelVI, $0.labelEN) } }
    static func resultStatus(_ raw: String, _ l: Language) -> String { label(raw, TestResultStatus.self, l) { ($0.labelVI, $0.labelEN) } }
    static func source(_ raw: String, _ l: Language) -> String { label(raw, ResultSource.self, l) { ($0.labelVI, $0.labelEN) } }
    static func target(_ raw: String, _ l: Language) -> String { label(raw, CampaignTarget.self, l) { ($0.labelVI, $0.labelEN) } }
    static func group(_ raw: String?, _ l: Language) -> String { label(raw, TargetGroup.self, l) { ($0.labelVI, $0.labelEN) } }

    static func options<T: CaseIterable & RawRepresentable>(_ type: T.Type, selected: String?, _ l: Language, _ text: (T) -> (String, String)) -> [[String: Any]] where T.RawValue == String {
        type.allCases.map { v in
            let (vi, en) = text(v)
            return ["value": v.rawValue, "label": l == .vi ? vi : en, "selected": v.rawValue == selected]
        }
    }

    static func date(_ iso: String?) -> String { iso.flatMap(CivilDate.init(iso:))?.vietnamese ?? "" }
    static func time(_ iso: String?) -> String { iso.map(DisplayTime.format) ?? "" }

    static func percent(_ x: Double?, _ l: Language) -> String {
        guard let x else { return "–" }
        return NumberFormat.decimal(x, digits: 1, language: l) + " %"
    }

    static func hours(_ h: Int?, _ l: Language) -> String {
        guard let h else { return "–" }
        return l == .vi ? "\(h) giờ" : "\(h) h"
    }

    /// Field errors keyed for templates ("members.0.full_name" → "members_0_full_name").
    static func fieldErrors(_ error: AppError?) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in error?.details ?? [:] { out[k.replacingOccurrences(of: ".", with: "_")] = v }
        return out
    }

    static func slug(_ path: String) -> String { (try? UnitPath(path))?.slug ?? path }
}

extension Request {
    /// A query-string value, trimmed; nil when absent or blank.
    func q(_ name: String) -> String? {
        guard let v = formQuery[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }
}
