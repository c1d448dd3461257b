import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The person page's vaccination section: doses given (here or imported, with the priority group each was
/// given under), certificates, and the button that issues one.
package struct VaccinationSection: PersonSectionProvider {
    package let template = "vaccination/person-section"
    package init() {}

    package func section(personID: String, merged: Bool, user: CurrentUser, language l: Language, db: any SQLDatabase) async throws -> PersonSection? {
        guard user.can(.viewVaccination) else { return nil }
        let doses = try await VaccinationService.doses(db, personID: personID)
        let certs = try await db.raw("""
            SELECT c.id, c.uvci, (SELECT COUNT(*) FROM certificate_revocations r WHERE r.uvci = c.uvci) AS revoked,
              CASE WHEN c.superseded_at IS NULL THEN 0 ELSE 1 END AS superseded FROM vaccine_certificates c
            WHERE c.person_id = \(bind: personID) ORDER BY c.issued_at DESC LIMIT 5
            """).all()
        guard !doses.isEmpty || !certs.isEmpty else { return nil }
        let groups = doses.contains { !$0.priorityGroup.isEmpty } ? try await VaccinationService.priorityGroups(db) : []
        let rows: [[String: Any]] = doses.map { d in
            ["number": d.doseNumber, "date": CivilDate(iso: d.givenOn)?.vietnamese ?? d.givenOn, "product": VaccineCatalog.product(d.productCode)?.name ?? d.productCode,
             "lot": d.lotNumber, "source": DoseSource(rawValue: d.source).map { l == .vi ? $0.labelVI : $0.labelEN } ?? "",
             "group": groups.first { $0.code == d.priorityGroup }.map { l == .vi ? $0.labelVI : $0.labelEN } ?? d.priorityGroup]
        }
        let certificates: [[String: Any]] = try certs.map { ["id": try $0.decode(column: "id", as: String.self), "uvci": try $0.decode(column: "uvci", as: String.self),
                                                             "revoked": try $0.decode(column: "revoked", as: Int.self) > 0,
                                                             "superseded": try $0.decode(column: "superseded", as: Int.self) > 0] }
        return PersonSection(["doses": rows, "hasDoses": !rows.isEmpty, "certificates": certificates, "canIssue": user.can(.issueCertificates) && !merged && !doses.isEmpty])
    }
}
