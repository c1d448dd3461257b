import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The person page's testing section: the tubes they were sampled into with their results, a flag while
/// they are to be re-tested (a positive pool, a rapid positive to confirm, an unreadable tube), and the
/// groups at risk they belong to (which a ward officer ticks here).
package struct TestingSection: PersonSectionProvider {
    package let template = "testing/person-section"

    package init() {}

    package func section(personID: String, merged: Bool, user: CurrentUser, language l: Language, db: any SQLDatabase) async throws -> PersonSection? {
        guard user.can(.viewTesting) else { return nil }
        let tubes = try await db.raw("""
            SELECT s.id, s.label, s.kind, s.test, s.sampled_at, s.result_value, s.pool_size FROM sample_members m JOIN samples s ON s.id = m.sample_id
            WHERE m.person_id = \(bind: personID) ORDER BY s.sampled_at DESC LIMIT 20
            """).all()
        let retests = try await db.raw("SELECT reason, created_at FROM retests WHERE person_id = \(bind: personID) AND status IN ('open', 'sampled') ORDER BY created_at").all()
        let direct = try await db.raw("""
            SELECT label, test, value, resulted_at FROM test_results WHERE person_id = \(bind: personID) AND sample_id IS NULL AND match_status = 'person_only' ORDER BY resulted_at DESC LIMIT 10
            """).all()
        let groups = try await RiskGroupService.groups(db, personID: personID)
        let canGroup = user.can(.editPeople) && !merged
        guard !tubes.isEmpty || !retests.isEmpty || !direct.isEmpty || !groups.isEmpty || canGroup else { return nil }
        func label<T: RawRepresentable>(_ raw: String?, _ type: T.Type, _ text: (T) -> (String, String)) -> String where T.RawValue == String {
            guard let raw, let v = T(rawValue: raw) else { return l == .vi ? "Chưa có kết quả" : "No result yet" }
            let (vi, en) = text(v)
            return l == .vi ? vi : en
        }
        var rows: [[String: Any]] = []
        for row in tubes {
            let value = (try? row.decode(column: "result_value", as: String?.self)).flatMap { $0 }
            rows.append(["id": try row.decode(column: "id", as: String.self), "label": try row.decode(column: "label", as: String.self),
                         "kind": label(try row.decode(column: "kind", as: String.self), SampleKind.self) { ($0.labelVI, $0.labelEN) },
                         "test": label(try row.decode(column: "test", as: String.self), LabTest.self) { ($0.labelVI, $0.labelEN) },
                         "at": DisplayTime.format(try row.decode(column: "sampled_at", as: String.self)),
                         "result": label(value, TestResultValue.self) { ($0.labelVI, $0.labelEN) }, "positive": value == TestResultValue.detected.rawValue])
        }
        for row in direct {
            let value = try row.decode(column: "value", as: String.self)
            rows.append(["label": try row.decode(column: "label", as: String.self), "kind": "",
                         "test": label(try row.decode(column: "test", as: String.self), LabTest.self) { ($0.labelVI, $0.labelEN) },
                         "at": DisplayTime.format(try row.decode(column: "resulted_at", as: String.self)),
                         "result": label(value, TestResultValue.self) { ($0.labelVI, $0.labelEN) }, "positive": value == TestResultValue.detected.rawValue])
        }
        let flags = try retests.map { row -> [String: Any] in
            ["reason": label(try row.decode(column: "reason", as: String.self), RetestReason.self) { ($0.labelVI, $0.labelEN) },
             "since": DisplayTime.format(try row.decode(column: "created_at", as: String.self))]
        }
        return PersonSection(["tubes": rows, "hasTubes": !rows.isEmpty, "flags": flags, "flagged": !flags.isEmpty,
                              "riskGroups": groups.map { l == .vi ? $0.labelVI : $0.labelEN }.joined(separator: ", "), "hasRiskGroups": !groups.isEmpty,
                              "canGroup": canGroup,
                              "riskOptions": TargetGroup.allCases.map { g in ["code": g.rawValue, "label": l == .vi ? g.labelVI : g.labelEN, "on": groups.contains(g)] as [String: Any] },
                              "canSample": user.can(.collectSamples) && !merged && !flags.isEmpty])
    }
}
