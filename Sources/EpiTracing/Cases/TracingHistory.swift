import EpiCore
import EpiPlatform
import Foundation

/// A record's history as a person reads it: what was done and which fields changed, in words of
/// their language. The audit log stores codes (`care_setting`, `home`, `2021-09-10`, a person's id);
/// none of them reaches a page as stored.
enum TracingHistory {
    /// The actions tracing writes to the audit log (each has a `tracing_action` label).
    static let actions = ["create", "update", "view", "close", "reached", "unreached", "case_opened", "exposure", "quarantine", "test_result",
                          "extend", "released", "transferred", "cancelled", "dispatch", "complete", "cancel", "lift", "narrow", "redraw",
                          "supply", "assess", "recompute", "import"]

    /// Fields named in tracing's audit rows and form errors (each has a `tracing_field` label).
    static let fields = ["person_id", "confirmed_on", "sampled_on", "test_type", "test_place", "detected_in", "symptom_onset", "symptoms",
                         "clinical_status", "care_setting", "facility_id", "outcome", "outcome_on", "cluster_id", "notes", "status", "planned_end",
                         "rule_id", "start_date", "subject", "setting", "closeness", "day", "unit", "group_code", "full_name", "phone", "citizen_id",
                         "old_id", "birth_date", "sex", "address", "household_code", "residence_status", "resident_until", "source_id", "contact_id",
                         "groups", "addresses", "capacity", "days", "test_days", "test_day", "definition", "taken_on", "name", "kind", "vehicle",
                         "scheduled_at", "reason", "note", "started_on", "ended_on", "delivered_on", "items", "households", "released_on", "week",
                         "value", "indicator", "as_of", "key", "effective_from", "monitoring_days", "version", "contacts"]

    /// Which label set a field's stored values come from; `status` depends on the record.
    static func valuePrefix(field: String, entityType: String) -> String? {
        switch field {
        case "care_setting": return "care_setting"
        case "setting": return entityType == "episode" ? "care_setting" : "exposure_setting"
        case "detected_in": return "detection"
        case "clinical_status": return "clinical"
        case "outcome": return "case_outcome"
        case "test_type": return "test_type"
        case "closeness": return "closeness"
        case "subject": return "q_subject"
        case "kind" where entityType == "transfer": return "transfer_kind"
        case "kind" where entityType == "facility": return "facility_kind"
        case "kind" where entityType == "episode": return "episode_kind"
        case "status":
            switch entityType {
            case "episode": return "episode_status"
            case "transfer": return "transfer_status"
            case "zone": return "zone_status"
            case "tracing_task": return "tracing_task_status"
            default: return nil
            }
        default: return field.hasPrefix("test_day_") ? "test_result" : nil
        }
    }

    /// Fields holding a record id: shown as the name it stands for, or left out when the reader has no name for it.
    static let idFields: Set<String> = ["person_id", "facility_id", "cluster_id", "source_id", "contact_id", "rule_id"]

    /// A field's label; `test_day_7` reads "Xét nghiệm ngày thứ 7".
    static func fieldLabel(_ field: String, _ language: Language) -> String {
        if field.hasPrefix("test_day_"), let day = Int(field.dropFirst("test_day_".count)) {
            return "\(Strings.label("tracing_field", "test_day", language)) \(day)"
        }
        return Strings.label("tracing_field", field, language)
    }

    /// One stored value as words: a code by its label, an ISO date as dd/mm/yyyy, an id by its name.
    static func value(_ raw: String?, field: String, entityType: String, language: Language, names: [String: String]) -> String? {
        guard let raw, !raw.isEmpty else { return "—" }
        if idFields.contains(field) { return names[raw] }
        if let prefix = valuePrefix(field: field, entityType: entityType) { return Strings.label(prefix, raw, language) }
        if let day = CivilDate(iso: raw) { return day.vietnamese }
        if raw.count > 10, let day = CivilDate(iso: String(raw.prefix(10))), raw.dropFirst(10).first == "T" { return day.vietnamese }
        return raw
    }

    /// History rows for a template: `at`, `actionLabel`, `username`, `summary` (the stored Vietnamese
    /// sentence, for Vietnamese readers only) and `changes` with `field`, `old`, `new`.
    static func rows(_ entries: [AuditEntry], language: Language, names: [String: String] = [:]) -> [[String: Any]] {
        entries.map { e in
            let changes: [[String: Any]] = e.decodedChanges.compactMap { c in
                guard let old = value(c.old, field: c.field, entityType: e.entityType, language: language, names: names),
                      let new = value(c.new, field: c.field, entityType: e.entityType, language: language, names: names) else { return nil }
                return ["field": fieldLabel(c.field, language), "old": old, "new": new]
            }
            return [
                "action": e.action, "actionLabel": Strings.label("tracing_action", e.action, language), "username": e.username,
                "summary": language == .vi ? e.summary : "", "at": DisplayTime.format(e.occurredAt),
                "changes": changes, "hasChanges": !changes.isEmpty,
            ]
        }
    }
}

/// Notes the system writes on episodes and tracing tasks ("Cách ly điều trị F0 HN-000012") are
/// stored in Vietnamese beside what officers type; an English reader gets each generated line in
/// English, and anything typed by a person as it was typed.
enum SystemNote {
    private static let patterns: [(regex: String, key: String)] = [
        (#"^Cách ly điều trị F0 (HN-\d+) \(chuyển nơi\)$"#, "sys_isolation_moved"),
        (#"^Cách ly điều trị F0 (HN-\d+)$"#, "sys_isolation"),
        (#"^Trở thành F0 (HN-\d+)$"#, "sys_became_case"),
        (#"^Khỏi bệnh \(F0 (HN-\d+)\)$"#, "sys_recovered"),
        (#"^Tử vong \(F0 (HN-\d+)\)$"#, "sys_died"),
        (#"^Loại trừ F0 (HN-\d+)$"#, "sys_ruled_out_case"),
        (#"^Loại trừ F0$"#, "sys_ruled_out"),
        (#"^Chuyển nơi điều trị: (.+)$"#, "sys_care_moved"),
        (#"^Tiếp nhận từ điều chuyển$"#, "sys_admitted"),
        (#"^Chuyển đến (.+)$"#, "sys_moved_to"),
    ]

    static func render(_ note: String, _ language: Language) -> String {
        guard language != .vi, !note.isEmpty else { return note }
        return note.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            let text = String(line)
            for (pattern, key) in patterns {
                guard let regex = try? NSRegularExpression(pattern: pattern),
                      let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { continue }
                var value = match.numberOfRanges > 1 ? Range(match.range(at: 1), in: text).map { String(text[$0]) } ?? "" : ""
                if key == "sys_care_moved", let care = CareSetting.allCases.first(where: { $0.labelVI == value }) {
                    value = Strings.label("care_setting", care.rawValue, language)
                }
                return (Strings.table(language)[key] ?? text).replacingOccurrences(of: "{x}", with: value)
            }
            return text
        }.joined(separator: "\n")
    }
}
