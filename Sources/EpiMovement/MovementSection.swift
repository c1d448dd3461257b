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
        let permitRows = permits.map { MovementRoutes.permitRow($0, l, [:]) }
        let fineRows = fines.map { MovementRoutes.violationRow($0, l) }
        return PersonSection(["permits": permitRows, "hasPermits": !permitRows.isEmpty, "fines": fineRows, "hasFines": !fineRows.isEmpty,
                              "canSeeFines": user.can(.viewMovement) || user.can(.recordViolations)])
    }
}
