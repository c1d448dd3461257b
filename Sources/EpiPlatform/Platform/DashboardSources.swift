import EpiCore
import Foundation
import SQLKit

/// Something the command must act on, shown on the dashboard of every level whose scope holds it.
package struct DashboardAlert: Sendable, Equatable {
    package enum Severity: Int, Sendable, Comparable {
        case info = 0, warning = 1, critical = 2
        package static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
    }

    /// A stable kind for filtering and tests: "late_report", "overdue_tracing", "facility_load", "urgent_message", …
    package let kind: String
    package let severity: Severity
    package let unitPath: String
    package let titleVI: String
    package let titleEN: String
    /// Where the user goes to act on it.
    package let link: String
    package let since: Date?

    package init(kind: String, severity: Severity, unitPath: String, titleVI: String, titleEN: String, link: String, since: Date? = nil) {
        self.kind = kind
        self.severity = severity
        self.unitPath = unitPath
        self.titleVI = titleVI
        self.titleEN = titleEN
        self.link = link
        self.since = since
    }
}

/// A feature that raises dashboard alerts (reports raise late reports, cases raise overdue tracing …).
package protocol AlertProvider: Sendable {
    func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert]
}

/// A unit's colour on the dashboard grid: its risk level for a week.
package struct UnitLevel: Sendable, Equatable {
    package let level: Int
    package let labelVI: String
    package let labelEN: String
    /// A CSS colour for the grid cell.
    package let color: String

    package init(level: Int, labelVI: String, labelEN: String, color: String) {
        self.level = level
        self.labelVI = labelVI
        self.labelEN = labelEN
        self.color = color
    }
}

/// The feature that knows each ward's level (risk assessment) for the dashboard grid.
package protocol LevelProvider: Sendable {
    /// Levels of the lowest units inside `scope` for the ISO week containing `day`; units not assessed are absent.
    func levels(_ db: any SQLDatabase, scope: Scope, on day: CivilDate) async throws -> [String: UnitLevel]
}

/// A ward's vaccine coverage as the risk levels' criterion reads it (percent, nil when the population is unknown).
package struct CoverageFigures: Sendable, Equatable {
    package let adultsFirstDosePercent: Double?
    package let over50CompletePercent: Double?

    package init(adultsFirstDosePercent: Double?, over50CompletePercent: Double?) {
        self.adultsFirstDosePercent = adultsFirstDosePercent
        self.over50CompletePercent = over50CompletePercent
    }
}

/// The feature that counts vaccine coverage (vaccination), read by the risk assessment without either
/// target importing the other.
package protocol CoverageSource: Sendable {
    /// Coverage of the lowest units under `root` (inside `scope`) on `day`; units it cannot tell are absent.
    func coverage(_ services: AppServices, scope: Scope, root: String, on day: CivilDate) async throws -> [String: CoverageFigures]
}

/// What the dashboard reads from other features, wired once in the composition root.
package struct DashboardSources: Sendable {
    package var alerts: [any AlertProvider]
    package var levels: (any LevelProvider)?
    /// Coverage for the risk levels' vaccination criterion (nil: only what is entered by hand).
    package var coverage: (any CoverageSource)?

    package init(alerts: [any AlertProvider] = [], levels: (any LevelProvider)? = nil, coverage: (any CoverageSource)? = nil) {
        self.alerts = alerts
        self.levels = levels
        self.coverage = coverage
    }

    /// Every provider's alerts for a scope, most severe first, then the longest-standing first.
    package func allAlerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        var all: [DashboardAlert] = []
        for provider in alerts { all += try await provider.alerts(db, scope: scope, now: now) }
        return all.sorted { a, b in
            a.severity != b.severity ? a.severity > b.severity : (a.since ?? .distantFuture) < (b.since ?? .distantFuture)
        }
    }
}
