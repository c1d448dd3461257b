import EpiCore
import EpiPlatform
import Foundation

/// What the tracing capability (cases, contacts, quarantine, zones, risk) brings to the composition root besides its routes.
package enum Tracing {
    package static let resources = CapabilityResources(name: "EpiTracing", bundle: .module)

    /// The stored codes this capability shows, each with a label in its string table (`CaseStrings`).
    package static let labels: [LabelSet] = [
        LabelSet("case_outcome", CaseOutcome.self), LabelSet("care_setting", CareSetting.self), LabelSet("detection", DetectionSetting.self),
        LabelSet("clinical", ClinicalStatus.self), LabelSet("exposure_setting", ExposureSetting.self), LabelSet("test_type", TestType.self),
        LabelSet("closeness", Closeness.self), LabelSet("q_subject", QuarantineSubject.self), LabelSet("facility_kind", FacilityKind.self),
        LabelSet("indicator", Indicator.self), LabelSet("policy_key", PolicyKey.self), LabelSet("policy_source", PolicyKey.self),
        LabelSet("episode_kind", ["quarantine", "isolation"]),
        LabelSet("episode_status", ["active", "released", "transferred", "cancelled"]),
        LabelSet("test_result", ["pending", "negative", "positive"]),
        LabelSet("transfer_status", ["requested", "dispatched", "completed", "cancelled"]),
        LabelSet("transfer_kind", ["to_facility", "to_hospital", "return_home"]),
        LabelSet("zone_change", ["create", "narrow", "redraw", "lift"]),
        LabelSet("zone_status", ["active", "lifted"]),
        LabelSet("tracing_task_status", ["open", "done"]),
        LabelSet("level_end", ["lapsed", "became_case", "unlinked"]),
        LabelSet("job_status", ["queued", "running", "done", "failed"]),
        LabelSet("job_kind", [ContactLevelJob.kind]),
        LabelSet("risk_aggregation", ["own_figures", "share_of_units"]),
        LabelSet("risk_scheme", ["4800", "2686"]),
        LabelSet("q_rule_source", QuarantinePolicy.seed.map(\.id)),
        LabelSet("tracing_action", TracingHistory.actions),
        LabelSet("tracing_field", TracingHistory.fields),
    ]

    package static let navigation: [NavigationItem] = [
        NavigationItem("cases", "/cases", label: "nav_cases", anyOf: [.viewCases]),
        NavigationItem("contacts", "/contacts", label: "nav_contacts", anyOf: [.viewCases]),
        NavigationItem("tracing", "/tracing", label: "nav_tracing", anyOf: [.viewCases]),
        NavigationItem("quarantine", "/quarantine", label: "nav_quarantine", anyOf: [.manageQuarantine, .viewCases]),
        NavigationItem("facilities", "/facilities", label: "nav_facilities", anyOf: [.manageFacilities, .viewCases]),
        NavigationItem("zones", "/zones", label: "nav_zones", anyOf: [.viewCases]),
        NavigationItem("risk", "/risk", label: "nav_risk", anyOf: [.viewRisk]),
        NavigationItem("rules", "/rules", label: "nav_rules", anyOf: [.manageRules]),
    ]
}
