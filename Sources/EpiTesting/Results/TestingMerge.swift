import EpiCore
import EpiPlatform
import SQLKit

/// A merge of duplicate records keeps the person's testing on the record kept: the tubes the duplicate
/// was sampled in, the results matched to it and its re-test tasks. The person page, the FHIR export and
/// "an F1 who turns positive" all read these by person; left on the duplicate they would be out of sight.
package struct TestingMerge: PersonMergeStep {
    package init() {}

    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? {
        let samples = try await db.raw("SELECT COUNT(*) AS n FROM sample_members WHERE person_id = \(bind: personID)").first()?.decode(column: "n", as: Int.self) ?? 0
        let results = try await db.raw("SELECT COUNT(*) AS n FROM test_results WHERE person_id = \(bind: personID)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard samples + results > 0 else { return nil }
        return language == .vi ? "\(samples) lần lấy mẫu, \(results) kết quả xét nghiệm" : "\(samples) samples, \(results) test results"
    }

    package func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange] {
        func count(_ table: String) async throws -> Int {
            try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE person_id = \(bind: duplicateID)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        let samples = try await count("sample_members"), results = try await count("test_results"), retests = try await count("retests")
        guard samples + results + retests > 0 else { return [] }
        // A tube both records were sampled in (a household's pool listed the person twice) keeps the
        // duplicate's place as it was: the kept record is in that tube already.
        try await db.raw("""
            UPDATE sample_members SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)
              AND NOT EXISTS (SELECT 1 FROM sample_members o WHERE o.sample_id = sample_members.sample_id AND o.person_id = \(bind: survivorID))
            """).run()
        let moved = samples - (try await count("sample_members"))
        try await db.raw("UPDATE test_results SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        try await db.raw("UPDATE retests SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        return [FieldChange("testing_records", old: nil, new: "\(moved) lần lấy mẫu, \(results) kết quả, \(retests) yêu cầu xét nghiệm lại")]
    }
}
