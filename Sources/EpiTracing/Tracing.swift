import EpiCore
import EpiPlatform
import Foundation

/// What the tracing capability (cases, contacts, quarantine, zones, risk) brings to the composition root besides its routes.
package enum Tracing {
    package static let resources = CapabilityResources(name: "EpiTracing", bundle: .module)

    /// The stored codes this capability shows, each with a label in its string table.
    package static let labels: [LabelSet] = []

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
