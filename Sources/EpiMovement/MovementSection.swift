import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The person page's movement section: the travel permits and market vouchers issued to the person and the
/// fines recorded against them, so an officer deciding on a new permit or a fine sees the history (a repeat
/// offence, a voucher still valid) without searching the movement lists by name.
package struct MovementSection: PersonSectionProvider {
    package let template = "movement/person-section"
    package init() {}

    package func section(personID: String, merged: Bool, user: CurrentUser, language l: Language, db: any SQLDatabase) async throws -> PersonSection? {
        guard user.can(.viewMovement) || user.can(.issuePermits) || user.can(.recordViolations) else { return nil }
        let permits = try await db.raw("""
            SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE person_id = \(bind: personID) ORDER BY created_at DESC, id LIMIT 20
            """).all(decoding: PermitRecord.self)
        let fines = try await db.raw("""
            SELECT \(unsafeRaw: ViolationRecord.columns) FROM violations WHERE person_id = \(bind: personID) ORDER BY created_at DESC, id LIMIT 20
            """).all(decoding: ViolationRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        guard !permits.isEmpty || !fines.isEmpty else { return nil }
        func day(_ iso: String) -> String { CivilDate(iso: iso)?.vietnamese ?? iso }
        let permitRows: [[String: Any]] = permits.map { p in
            ["id": p.id, "number": p.number, "group": Strings.label("permit.group", p.grp, l), "status": Strings.label("permit.status", p.status, l),
             "from": day(p.validFrom), "to": day(p.validTo), "revoked": p.status == PermitStatus.revoked.rawValue]
        }
        let fineRows: [[String: Any]] = fines.map { v in
            ["kind": Strings.label("violation.kind", v.kind, l), "day": day(v.occurredOn), "amount": NumberFormat.grouped(v.amount),
             "status": Strings.label("violation.status", v.status, l), "open": v.status == ViolationStatus.issued.rawValue]
        }
        return PersonSection(["permits": permitRows, "hasPermits": !permitRows.isEmpty, "fines": fineRows, "hasFines": !fineRows.isEmpty,
                              "canSeeFines": user.can(.viewMovement) || user.can(.recordViolations)])
    }
}
