import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// The person page's "where they stand" section: their cases, contact level and quarantines, with the
/// actions a ward takes next (record an F0, record contacts, start quarantine).
package struct EpiSection: PersonSectionProvider {
    package let template = "cases/person-section"

    package init() {}

    package func section(personID: String, merged: Bool, user: CurrentUser, language l: Language, db: any SQLDatabase) async throws -> PersonSection? {
        guard user.can(.viewCases) else { return nil }
        let cases = try await CaseQueries.cases(ofPerson: personID, db)
        let level = try await CaseQueries.level(db, personID: personID)
        let episodes = try await QuarantineService.episodes(db, personID: personID)
        return PersonSection([
            "cases": cases.map { ["id": $0.id, "number": $0.caseNumber, "confirmed": CaseView.date($0.confirmedOn), "outcome": CaseView.outcome($0.outcome, l)] },
            "level": level.map { contactLevelName($0.level) } as Any, "since": level.map { CaseView.date($0.since) } as Any,
            "episodes": episodes.map { ["id": $0.id, "kind": Strings.label("episode_kind", $0.kind, l), "setting": CaseView.care($0.setting, l), "start": CaseView.date($0.startDate),
                                        "end": CaseView.date($0.plannedEnd), "status": Strings.label("episode_status", $0.status, l)] },
            "canRecord": user.can(.editCases) && !merged,
            "canContacts": user.can(.editCases) && !merged && (level != nil || cases.contains { CaseOutcome(rawValue: $0.outcome)?.isActive ?? false }),
            "canQuarantine": user.can(.manageQuarantine) && !episodes.contains { $0.isActive } && !merged,
        ])
    }
}
