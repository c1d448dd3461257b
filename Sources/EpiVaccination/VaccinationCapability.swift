import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// What vaccination brings to the composition root besides its routes.
package enum VaccinationCapability {
    package static let resources = CapabilityResources(name: "EpiVaccination", bundle: .module)

    package static let labels: [LabelSet] = [
        LabelSet("audit_action", Array(VaccinationStrings.actions.keys)),
        LabelSet("audit_entity", Array(VaccinationStrings.entities.keys)),
        LabelSet("stock.movement", StockMovement.self),
        LabelSet("screening.outcome", ScreeningOutcome.self),
        LabelSet("aefi.severity", AEFISeverity.self),
        LabelSet("dose.source", DoseSource.self),
    ]

    package static let navigation: [NavigationItem] = [
        NavigationItem("vaccination", "/vaccination", label: "nav_vaccination", anyOf: [.viewVaccination]),
    ]

    package static let alerts: [any AlertProvider] = [LotExpiryAlerts()]
}

/// Lots held in the scope that expire within two weeks with doses still in stock.
package struct LotExpiryAlerts: AlertProvider {
    package init() {}
    package func alerts(_ db: any SQLDatabase, scope: Scope, now: Date) async throws -> [DashboardAlert] {
        let today = VietnamTime.day(of: now)
        let limit = today.adding(days: StockRules.expiryWarningDays).iso
        let rows = try await db.raw("""
            SELECT s.unit_path, l.lot_number, l.expires_on, CAST(SUM(s.balance) AS BIGINT) AS doses FROM vaccine_stock s JOIN vaccine_lots l ON l.id = s.lot_id
            WHERE s.balance > 0 AND l.expires_on <= \(bind: limit) AND \(scope.wholeWard.condition("s"))
            GROUP BY s.unit_path, l.lot_number, l.expires_on ORDER BY l.expires_on LIMIT 50
            """).all()
        return try rows.map { row in
            let expires = try row.decode(column: "expires_on", as: String.self)
            let lot = try row.decode(column: "lot_number", as: String.self)
            let doses = try row.decode(column: "doses", as: Int.self)
            let day = CivilDate(iso: expires)
            let past = day.map { $0 < today } ?? false
            return DashboardAlert(kind: "vaccine_expiry", severity: past ? .critical : .warning, unitPath: try row.decode(column: "unit_path", as: String.self),
                                  titleVI: "Lô vắc xin \(lot): \(doses) liều \(past ? "đã hết hạn" : "hết hạn") ngày \(day?.vietnamese ?? expires)",
                                  titleEN: "Vaccine lot \(lot): \(doses) doses \(past ? "expired" : "expire") on \(day?.vietnamese ?? expires)", link: "/vaccination")
        }
    }
}
