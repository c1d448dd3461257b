import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// A change to one priority group, or a new one (by a code not yet in the list).
package struct PriorityGroupInput: Codable, Sendable {
    package var code: String?
    package var labelVi: String?
    package var labelEn: String?
    package var position: Int?
    /// Blank (nil) for a group the registry cannot see; an age for a group defined by age alone.
    package var minAge: Int?
    /// Blank (nil) when the registry records nobody as belonging; else a group at risk's code (`health_workers`).
    package var registryGroup: String?
    package var active: Bool?
    package init(code: String? = nil, labelVi: String? = nil, labelEn: String? = nil, position: Int? = nil, minAge: Int? = nil, registryGroup: String? = nil, active: Bool? = nil) {
        self.code = code; self.labelVi = labelVi; self.labelEn = labelEn; self.position = position; self.minAge = minAge; self.registryGroup = registryGroup; self.active = active
    }
}

extension VaccinationService {
    /// Every priority group, in the list's order (inactive ones too: old sessions and doses still name them).
    static func priorityGroups(_ db: any SQLDatabase) async throws -> [PriorityGroup] {
        try await db.raw("SELECT code, position, label_vi, label_en, min_age, registry_group, active FROM vaccination_priority_groups ORDER BY position, code").all().map { row in
            PriorityGroup(code: try row.decode(column: "code", as: String.self), position: try row.decode(column: "position", as: Int.self),
                          labelVI: try row.decode(column: "label_vi", as: String.self), labelEN: try row.decode(column: "label_en", as: String.self),
                          minAge: try row.decode(column: "min_age", as: Int?.self), registryGroup: try row.decode(column: "registry_group", as: String?.self),
                          active: try row.decode(column: "active", as: Int.self) != 0)
        }
    }

    package func priorityGroups() async throws -> [PriorityGroup] {
        try await database.read { try await Self.priorityGroups($0) }
    }

    /// A session's groups as people read them. A session saved before groups were a list holds free text,
    /// which is shown as it was written.
    static func priorityLabels(_ stored: String, groups: [PriorityGroup], language l: Language) -> [String] {
        let codes = PriorityGroups.codes(stored)
        let known = Dictionary(groups.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        guard codes.allSatisfy({ known[$0] != nil }) else { return stored.trimmed.isEmpty ? [] : [stored] }
        return codes.compactMap { known[$0].map { l == .vi ? $0.labelVI : $0.labelEN } }
    }

    /// The codes a new session may name: active groups of the list. Unknown or inactive codes are refused.
    func sessionPriorityCodes(_ raw: String?, language l: Language) async throws -> Result<String, AppError> {
        let codes = PriorityGroups.codes(raw ?? "")
        guard !codes.isEmpty else { return .success("") }
        let active = Set(try await priorityGroups().filter(\.active).map(\.code))
        if let wrong = codes.first(where: { !active.contains($0) }) {
            let vi = "Nhóm ưu tiên '\(wrong.prefix(40))' không có trong danh sách.", en = "Priority group '\(wrong.prefix(40))' is not in the list."
            return .failure(AppError(.unprocessableContent, code: "unknown_priority_group", vi: vi, en: en, details: ["priority_groups": msg(l, vi, en)]))
        }
        return .success(codes.joined(separator: ","))
    }

    /// Adds a group or changes one. The list is the city's: only a user who edits rules (the city command) may.
    package func savePriorityGroup(_ input: PriorityGroupInput, user: CurrentUser, language l: Language) async throws -> PriorityGroup {
        guard user.can(.manageRules) else { throw AppError.forbidden }
        let code = (input.code ?? "").trimmed
        guard PriorityGroups.isValidCode(code) else {
            throw Self.invalid(l, ["code": msg(l, "Mã nhóm: 2–40 chữ thường không dấu, số hoặc '_', bắt đầu bằng chữ.", "Code: 2–40 of a–z, 0–9 or '_', starting with a letter.")])
        }
        return try await database.transaction { db in
            let list = try await Self.priorityGroups(db)
            let before = list.first { $0.code == code }
            var errors: [String: String] = [:]
            let labelVI = String((input.labelVi ?? before?.labelVI ?? "").trimmed.prefix(TextLimits.title))
            let labelEN = String((input.labelEn ?? before?.labelEN ?? "").trimmed.prefix(TextLimits.title))
            if labelVI.isEmpty { errors["label_vi"] = msg(l, "Nhập tên nhóm bằng tiếng Việt.", "Enter the group's Vietnamese name.") }
            let position = input.position ?? before?.position ?? ((list.map(\.position).max() ?? 0) + 1)
            if !(1...999).contains(position) { errors["position"] = msg(l, "Thứ tự từ 1 đến 999.", "Order: 1 to 999.") }
            let minAge = input.minAge
            if let minAge, !(VaccineCatalog.minimumAge...120).contains(minAge) {
                errors["min_age"] = msg(l, "Tuổi từ \(VaccineCatalog.minimumAge) đến 120, hoặc để trống.", "Age \(VaccineCatalog.minimumAge) to 120, or blank.")
            }
            let registryGroup = input.registryGroup.nonBlank
            if let registryGroup, TargetGroup(rawValue: registryGroup) == nil {
                errors["registry_group"] = msg(l, "Nhóm nguy cơ '\(registryGroup.prefix(40))' không có trong danh mục.", "Group at risk '\(registryGroup.prefix(40))' is not in the list.")
            }
            guard errors.isEmpty else { throw Self.invalid(l, errors) }
            let group = PriorityGroup(code: code, position: position, labelVI: labelVI, labelEN: labelEN.isEmpty ? labelVI : labelEN, minAge: minAge,
                                      registryGroup: registryGroup, active: input.active ?? before?.active ?? true)
            guard group != before else { return group }
            let now = Timestamp.now()
            if before == nil {
                try await db.raw("""
                    INSERT INTO vaccination_priority_groups (code, position, label_vi, label_en, min_age, registry_group, active, updated_by, updated_at)
                    VALUES (\(bind: code), \(bind: position), \(bind: group.labelVI), \(bind: group.labelEN), \(bind: minAge), \(bind: registryGroup), \(bind: group.active ? 1 : 0),
                            \(bind: user.username), \(bind: now))
                    """).run()
            } else {
                try await db.raw("""
                    UPDATE vaccination_priority_groups SET position = \(bind: position), label_vi = \(bind: group.labelVI), label_en = \(bind: group.labelEN), min_age = \(bind: minAge),
                    registry_group = \(bind: registryGroup), active = \(bind: group.active ? 1 : 0), updated_by = \(bind: user.username), updated_at = \(bind: now) WHERE code = \(bind: code)
                    """).run()
            }
            var changes: [FieldChange] = []
            func note(_ field: String, _ old: String?, _ new: String?) { if old != new { changes.append(FieldChange(field, old: old, new: new)) } }
            note("label_vi", before?.labelVI, group.labelVI)
            note("label_en", before?.labelEN, group.labelEN)
            note("position", before.map { String($0.position) }, String(position))
            note("min_age", before?.minAge.map(String.init), minAge.map(String.init))
            // Read by people in the audit log: the group at risk's name.
            note("registry_group", before?.registryGroup.map(Self.riskGroupLabel), registryGroup.map(Self.riskGroupLabel))
            note("active", before.map { $0.active ? "1" : "0" }, group.active ? "1" : "0")
            try await Audit.record(db, actor: user, action: before == nil ? "create" : "update", entityType: "vaccination_priority_group", entityId: code, unitPath: user.unitPath,
                                   summary: "Nhóm ưu tiên tiêm chủng: \(group.labelVI)", changes: changes)
            return group
        }
    }

    static func riskGroupLabel(_ code: String) -> String { TargetGroup(rawValue: code)?.labelVI ?? code }
}
