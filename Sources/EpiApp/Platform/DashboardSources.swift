import EpiCore
import Foundation
import SQLKit

/// Something the command must act on, shown on the dashboard of every level whose scope holds it.
public struct DashboardAlert: Sendable, Equatable {
    public enum Severity: Int, Sendable, Comparable {
        case info = 0, warning = 1, critical = 2
        public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }
    }

    /// A stable kind for filtering and tests: "late_report", "overdue_tracing", "facility_load", "urgent_message", …
    public let kind: String
    public let severity: Severity
    public let unitPath: String
    public let titleVI: String
    public let titleEN: String
    /// Where the user goes to act on it.
    public let link: String
    public let since: Date?

    public init(kind: String, severity: Severity, unitPath: String, titleVI: String, titleEN: String, link: String, since: Date? = nil) {
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
public protocol AlertProvider: Sendable {
    func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert]
}

/// A unit's colour on the dashboard grid: its risk level for a week.
public struct UnitLevel: Sendable, Equatable {
    public let level: Int
    public let labelVI: String
    public let labelEN: String
    /// A CSS colour for the grid cell.
    public let color: String

    public init(level: Int, labelVI: String, labelEN: String, color: String) {
        self.level = level
        self.labelVI = labelVI
        self.labelEN = labelEN
        self.color = color
    }
}

/// The feature that knows each ward's level (risk assessment) for the dashboard grid.
public protocol LevelProvider: Sendable {
    /// Levels of the lowest units inside `scope` for the ISO week containing `day`; units not assessed are absent.
    func levels(_ db: any SQLDatabase, scope: Scope, on day: CivilDate) async throws -> [String: UnitLevel]
}

/// What the dashboard reads from other features, wired once in the composition root.
public struct DashboardSources: Sendable {
    public var alerts: [any AlertProvider]
    public var levels: (any LevelProvider)?

    public init(alerts: [any AlertProvider] = [], levels: (any LevelProvider)? = nil) {
        self.alerts = alerts
        self.levels = levels
    }

    /// Every provider's alerts for a scope, most severe first, then the longest-standing first.
    public func allAlerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        var all: [DashboardAlert] = []
        for provider in alerts { all += try await provider.alerts(db, scope: scope, now: now) }
        return all.sorted { a, b in
            a.severity != b.severity ? a.severity > b.severity : (a.since ?? .distantFuture) < (b.since ?? .distantFuture)
        }
    }
}
