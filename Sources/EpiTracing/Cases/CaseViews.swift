import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import Hummingbird

/// View data shared by the case, contact, quarantine and zone pages.
enum CaseView {
    /// Options for a `<select>` of stored codes, each shown by its label (`prefix.code`).
    static func options<T: CaseIterable & RawRepresentable>(_ prefix: String, _ type: T.Type, selected: String?, _ language: Language) -> [[String: Any]]
    where T.RawValue == String {
        options(prefix, type.allCases.map(\.rawValue), selected: selected, language)
    }

    static func options(_ prefix: String, _ codes: [String], selected: String?, _ language: Language) -> [[String: Any]] {
        codes.map { ["value": $0, "label": Strings.label(prefix, $0, language), "selected": $0 == selected] }
    }

    static func outcome(_ raw: String, _ l: Language) -> String { Strings.label("case_outcome", raw, l) }
    static func care(_ raw: String, _ l: Language) -> String { Strings.label("care_setting", raw, l) }
    static func detection(_ raw: String, _ l: Language) -> String { Strings.label("detection", raw, l) }
    static func clinical(_ raw: String, _ l: Language) -> String { Strings.label("clinical", raw, l) }
    static func setting(_ raw: String, _ l: Language) -> String { Strings.label("exposure_setting", raw, l) }
    static func testType(_ raw: String, _ l: Language) -> String { Strings.label("test_type", raw, l) }
    static func endReason(_ raw: String, _ l: Language) -> String { Strings.label("level_end", raw, l) }

    /// A sentence or word of the string tables, in the reader's language.
    static func text(_ key: String, _ language: Language) -> String { Strings.table(language)[key] ?? key }

    static func date(_ iso: String?) -> String { iso.flatMap(CivilDate.init(iso:))?.vietnamese ?? "" }

    /// Initials only ("N. V. A."), for people the viewer may not open (SORMAS-style masking).
    static func masked(_ name: String) -> String {
        name.split(separator: " ").compactMap { $0.first.map { "\($0)." } }.joined(separator: " ")
    }

    /// Per-field messages keyed for templates: "contacts.0.phone" becomes "contacts_0_phone".
    static func fieldErrors(_ error: AppError?) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in error?.details ?? [:] { out[k.replacingOccurrences(of: ".", with: "_")] = v }
        return out
    }

    /// Where a service error key points, as the reader sees the form: "contacts.0.phone" is
    /// "Người tiếp xúc 1 · Số điện thoại" (rows are numbered from 1 on screen), "person.phone" is the
    /// F0's phone, anything else the field's own label.
    static func fieldName(_ key: String, _ language: Language) -> String {
        let parts = key.split(separator: ".").map(String.init)
        if parts.count == 3, parts[0] == "contacts", let i = Int(parts[1]) {
            let who = i >= householdBase ? text("c_household_member", language) : "\(text("c_contact_n", language)) \(i + 1)"
            return "\(who) · \(TracingHistory.fieldLabel(parts[2], language))"
        }
        if parts.count == 2, parts[0] == "person" {
            return "\(text("c_f0_person", language)) · \(TracingHistory.fieldLabel(parts[1], language))"
        }
        return TracingHistory.fieldLabel(key, language)
    }

    /// The marked fields of a refused form, in screen order, each with its place in words.
    static func errorList(_ error: AppError?, _ language: Language) -> [[String: Any]] {
        func order(_ key: String) -> (Int, Int, String) {
            let parts = key.split(separator: ".")
            if parts.first == "person" { return (0, 0, key) }
            if parts.first == "contacts", parts.count > 1, let i = Int(parts[1]) { return (2, i, key) }
            return (1, 0, key)
        }
        return (error?.details ?? [:]).sorted { order($0.key) < order($1.key) }
            .map { ["field": fieldName($0.key, language), "message": message($0.value, language)] }
    }

    /// A detail is a sentence for the reader, or, from older code paths, a bare code ("required").
    static func message(_ detail: String, _ language: Language) -> String {
        guard detail.allSatisfy({ $0.isLetter && $0.isASCII || $0 == "_" }), detail.contains(where: \.isLowercase), !detail.contains(" ") else { return detail }
        return Strings.table(language)["err_\(detail)"] ?? text("err_invalid", language)
    }

    /// One refused form's sentence: the general message and each marked field, for pages that come
    /// back by redirect with the error in the address.
    static func sentence(_ error: AppError, _ language: Language) -> String {
        ([error.message(language)] + errorList(error, language).map { "\($0["field"] ?? ""): \($0["message"] ?? "")" }).joined(separator: " ")
    }

    /// Household members offered as contacts are numbered from here in form keys ("contacts.100.…"),
    /// apart from the typed rows.
    static let householdBase = 100
}

extension Request {
    /// A query-string value, trimmed; nil when absent or blank.
    func query(_ name: String) -> String? {
        guard let v = formQuery[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        return v
    }
}
