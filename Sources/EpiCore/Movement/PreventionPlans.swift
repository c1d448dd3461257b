/// How a business may keep working during social distancing (phương án phòng, chống dịch).
/// "3 tại chỗ" (work, eat, rest on site) and "1 cung đường 2 điểm đến" (one route between two points)
/// were Hanoi's models in 2021 [sure]; the items each must show are our reading of the district
/// checklists [unsure: districts' forms differed].
public enum PlanModel: String, CaseIterable, Codable, Sendable {
    case threeOnSite = "three_on_site"
    case oneRouteTwoPoints = "one_route_two_points"
    /// Working with a reduced on-site workforce and the 5K message, no on-site living.
    case reducedOnSite = "reduced_on_site"

    public var requiredItems: [PlanItem] {
        let common: [PlanItem] = [.covidTeam, .staffList, .screeningAndDeclaration, .testingSchedule, .isolationRoom, .disinfection, .responsePlanForCase]
        switch self {
        case .threeOnSite: return common + [.onSiteAccommodation, .onSiteMeals]
        case .oneRouteTwoPoints: return common + [.fixedRouteAndTransport, .residenceList]
        case .reducedOnSite: return common + [.shiftRoster]
        }
    }
}

/// One item a plan must show; a reviewer ticks it or returns the plan with reasons.
public enum PlanItem: String, CaseIterable, Codable, Sendable {
    case covidTeam = "covid_team"
    case staffList = "staff_list"
    case screeningAndDeclaration = "screening_declaration"
    case testingSchedule = "testing_schedule"
    case isolationRoom = "isolation_room"
    case disinfection
    case responsePlanForCase = "case_response"
    case onSiteAccommodation = "on_site_accommodation"
    case onSiteMeals = "on_site_meals"
    case fixedRouteAndTransport = "fixed_route_transport"
    case residenceList = "residence_list"
    case shiftRoster = "shift_roster"
}

public enum PlanStatus: String, CaseIterable, Codable, Sendable {
    case draft
    case submitted
    case returned
    case approved
    case suspended

    /// The moves a plan may make, and who makes them: the business submits (again after a return), the
    /// district approves, returns with reasons, or suspends an approved plan (and may lift a suspension
    /// by approving again).
    public func canMove(to next: PlanStatus) -> Bool {
        switch (self, next) {
        case (.draft, .submitted), (.returned, .submitted): return true
        case (.submitted, .approved), (.submitted, .returned): return true
        case (.approved, .suspended), (.suspended, .approved): return true
        default: return false
        }
    }

    /// Whether the business may operate (and its staff receive permits).
    public var allowsOperation: Bool { self == .approved }
}

/// What a plan lacks before it can be sent for review.
public struct PlanCompleteness: Sendable, Equatable {
    public let missing: [PlanItem]
    public let teamMissing: Bool
    public let commitmentMissing: Bool

    public var isComplete: Bool { missing.isEmpty && !teamMissing && !commitmentMissing }

    public static func check(model: PlanModel, ticked: Set<PlanItem>, teamMembers: Int, commitmentSignedBy: String?) -> PlanCompleteness {
        PlanCompleteness(missing: model.requiredItems.filter { !ticked.contains($0) },
                         teamMissing: teamMembers < 1,
                         commitmentMissing: (commitmentSignedBy ?? "").allSatisfy { $0 == " " })
    }
}
