import EpiCore
import EpiPlatform
import Foundation

/// What the testing capability (campaigns, samples, transport, lab results, FHIR) brings to the
/// composition root besides its routes.
package enum TestingCapability {
    package static let resources = CapabilityResources(name: "EpiTesting", bundle: .module)

    /// The stored codes this capability shows or records in the audit trail, each with a label.
    package static let labels: [LabelSet] = [
        LabelSet("audit_action", Array(TestingAuditStrings.actions.keys)),
        LabelSet("audit_entity", Array(TestingAuditStrings.entities.keys)),
        LabelSet("test_result.value", TestResultValue.self),
        LabelSet("test_result.match_status", MatchStatus.self),
        LabelSet("test_result.reason", RetestReason.self),
        LabelSet("sample.kind", SampleKind.self),
        LabelSet("batch.status", BatchStatus.self),
        LabelSet("campaign.target_kind", CampaignTarget.self),
    ]

    package static let navigation: [NavigationItem] = [
        NavigationItem("testing", "/testing", label: "nav_testing", anyOf: [.viewTesting]),
        NavigationItem("sampling", "/testing/samples/new", label: "nav_sampling", anyOf: [.collectSamples]),
        NavigationItem("batches", "/testing/batches", label: "nav_batches", anyOf: [.transportSamples]),
        NavigationItem("lab_results", "/testing/results", label: "nav_lab_results", anyOf: [.enterResults, .reviewResults]),
    ]

    package static let alerts: [any AlertProvider] = [PositiveResultAlerts(), OverdueResultAlerts(), BatchAlerts(), CampaignPaceAlerts()]
}
