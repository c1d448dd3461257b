import EpiCore
import EpiPlatform
import Foundation

/// What movement control brings to the composition root besides its routes.
package enum MovementCapability {
    package static let resources = CapabilityResources(name: "EpiMovement", bundle: .module)

    package static let labels: [LabelSet] = [
        LabelSet("audit_action", MovementStrings.audit.keys.filter { $0.hasPrefix("audit_action.") }.map { String($0.dropFirst(13)) }),
        LabelSet("audit_entity", MovementStrings.audit.keys.filter { $0.hasPrefix("audit_entity.") }.map { String($0.dropFirst(13)) }),
        LabelSet("permit.group", PermitGroup.self),
        LabelSet("permit.status", PermitStatus.self),
        LabelSet("check.result", PermitVerdict.self),
        LabelSet("plan.model", PlanModel.self),
        LabelSet("plan.item", PlanItem.self),
        LabelSet("plan.status", PlanStatus.self),
        LabelSet("out_reason", OutReason.self),
        LabelSet("business.kind", BusinessKind.self),
        LabelSet("violation.kind", ViolationKind.self),
        LabelSet("violation.status", ViolationStatus.self),
        LabelSet("inspection.item", InspectionItem.self),
        LabelSet("inspection.target", InspectionTarget.self),
        LabelSet("inspection_finding.status", FindingStatus.self),
    ]

    package static let alerts: [any AlertProvider] = [CheckpointOfflineAlerts()]

    package static let navigation: [NavigationItem] = [
        NavigationItem("movement", "/movement", label: "nav_movement", anyOf: [.viewMovement]),
        NavigationItem("my_business", "/movement/businesses", label: "nav_my_business", anyOf: [.submitBusinessPlans]),
        NavigationItem("movement_check", "/movement/check", label: "nav_movement_check", anyOf: [.checkPermits]),
        NavigationItem("violations", "/movement/violations", label: "nav_violations", anyOf: [.recordViolations]),
        NavigationItem("inspections", "/movement/inspections", label: "nav_inspections", anyOf: [.manageInspections]),
    ]
}
