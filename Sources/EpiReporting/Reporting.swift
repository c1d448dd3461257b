import EpiCore
import EpiPlatform
import Foundation

/// What the reporting capability (reports, dashboard, messages, tasks) brings to the composition root besides its routes.
package enum Reporting {
    package static let resources = CapabilityResources(name: "EpiReporting", bundle: .module)

    /// The stored codes this capability shows, each with a label in its string table.
    package static let labels: [LabelSet] = [
        LabelSet("timeliness", Timeliness.self),
        LabelSet("task_status", TaskStatus.self),
        LabelSet("submitter_level", SubmitterLevel.self),
        LabelSet("report_frequency", ReportFrequency.self),
        LabelSet("report_weekday", (1...7).map(String.init)),
        LabelSet("report_choice", ["Ổn định", "Có nguy cơ", "Phức tạp"]),
        LabelSet("metric", Metric.self),
        LabelSet("alert_severity", ["info", "warning", "critical"]),
        LabelSet("alert_kind", DashboardService.alertKinds),
    ]

    package static let navigation: [NavigationItem] = [
        NavigationItem("dashboard", "/dashboard", label: "nav_dashboard", anyOf: [.viewDashboard]),
        NavigationItem("reports", "/reports", label: "nav_reports", anyOf: [.viewReports]),
        NavigationItem("messages", "/messages", label: "nav_messages", anyOf: [.postMessages]),
        NavigationItem("tasks", "/tasks", label: "nav_tasks", anyOf: [.viewDashboard]),
    ]
}
