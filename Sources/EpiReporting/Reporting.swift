import EpiCore
import EpiPlatform
import Foundation

/// What the reporting capability (reports, dashboard, messages, tasks) brings to the composition root besides its routes.
package enum Reporting {
    package static let resources = CapabilityResources(name: "EpiReporting", bundle: .module)

    /// The stored codes this capability shows, each with a label in its string table.
    package static let labels: [LabelSet] = []

    package static let navigation: [NavigationItem] = [
        NavigationItem("dashboard", "/dashboard", label: "nav_dashboard", anyOf: [.viewDashboard]),
        NavigationItem("reports", "/reports", label: "nav_reports", anyOf: [.viewReports]),
        NavigationItem("messages", "/messages", label: "nav_messages", anyOf: [.postMessages]),
        NavigationItem("tasks", "/tasks", label: "nav_tasks", anyOf: [.viewDashboard]),
    ]
}
