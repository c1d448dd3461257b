/// What an inspection team (đoàn kiểm tra) looks at on a visit to a business, a ward or a checkpoint
/// [unsure: our reading of the 2021 checklists].
public enum InspectionItem: String, CaseIterable, Codable, Sendable {
    case masks
    case distancing
    case healthDeclarations = "health_declarations"
    case disinfection
    case permitsChecked = "permits_checked"
    case planFollowed = "plan_followed"
}

public enum InspectionTarget: String, CaseIterable, Codable, Sendable {
    case business, ward, checkpoint
}

public enum FindingStatus: String, CaseIterable, Codable, Sendable {
    case open, fixed
}

public enum InspectionRules {
    /// Items not ticked are findings; an inspection with none (and all items seen) earns recognition of good practice.
    public static func findings(ticked: Set<InspectionItem>) -> [InspectionItem] {
        InspectionItem.allCases.filter { !ticked.contains($0) }
    }

    /// A finding still open after its deadline.
    public static func isOverdue(status: FindingStatus, deadline: CivilDate, today: CivilDate) -> Bool {
        status == .open && today > deadline
    }
}
