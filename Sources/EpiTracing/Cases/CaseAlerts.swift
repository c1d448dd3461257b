import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Overdue tracing tasks, for the dashboards of the ward and every level above it.
package struct OverdueTracingAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        try await CaseQueries.openTasks(db, scope: scope, overdueAt: now, limit: 100).map { t in
            DashboardAlert(kind: "overdue_tracing", severity: .critical, unitPath: t.unitPath,
                           titleVI: "Quá hạn truy vết F0 \(t.caseNumber) (\(t.fullName)): còn \(t.toReach) người tiếp xúc chưa liên hệ",
                           titleEN: "Tracing overdue for case \(t.caseNumber) (\(t.fullName)): \(t.toReach) contacts not reached",
                           link: "/cases/\(t.caseId)", since: Timestamp.date(t.dueAt))
        }
    }
}

/// Facilities at or above the policy's load threshold (90% unless the city changed it).
package struct FacilityLoadAlerts: AlertProvider {
    package init() {}

    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let threshold = try await Policies.value(db, .facilityAlertPercent)
        return try await QuarantineService.facilities(db, scope: scope.wholeWard)
            .filter { $0.capacity > 0 && $0.occupancy * 100 >= threshold * $0.capacity }
            .map { f in
                DashboardAlert(kind: "facility_load", severity: f.occupancy >= f.capacity ? .critical : .warning, unitPath: f.unitPath,
                               titleVI: "\(f.name) đã dùng \(f.loadPercent)% công suất (\(f.occupancy)/\(f.capacity))",
                               titleEN: "\(f.name) is at \(f.loadPercent)% of capacity (\(f.occupancy)/\(f.capacity))",
                               link: "/facilities/\(f.id)", since: nil)
            }
    }
}
