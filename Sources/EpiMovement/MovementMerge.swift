import EpiCore
import EpiPlatform
import SQLKit

/// A merge of duplicate records points the duplicate's travel permits, fines and places on a business's
/// staff list at the record kept, so an officer opening the person sees every permit and fine they hold and
/// a repeat offence is found under one name. The permit or fine stays counted where it was issued (its
/// `unit_path`): the daily counts of people allowed out were made from it and must not move.
package struct MovementMerge: PersonMergeStep {
    package init() {}

    private static let tables = ["permits", "violations", "business_staff"]

    private func counts(_ db: any SQLDatabase, _ personID: String) async throws -> [Int] {
        var counts: [Int] = []
        for table in Self.tables {
            counts.append(try await db.raw("SELECT COUNT(*) AS n FROM \(ident: table) WHERE person_id = \(bind: personID)").first()?.decode(column: "n", as: Int.self) ?? 0)
        }
        return counts
    }

    /// "2 giấy đi đường, 1 biên bản vi phạm": only what the record holds.
    private func words(_ c: [Int], _ language: Language) -> String {
        let names = language == .vi
            ? [("giấy đi đường", "giấy đi đường"), ("biên bản vi phạm", "biên bản vi phạm"), ("danh sách lao động", "danh sách lao động")]
            : [("travel permit", "travel permits"), ("violation", "violations"), ("staff list", "staff lists")]
        return zip(c, names).filter { $0.0 > 0 }.map { n, name in "\(n) \(n == 1 ? name.0 : name.1)" }.joined(separator: ", ")
    }

    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? {
        let c = try await counts(db, personID)
        guard c.contains(where: { $0 > 0 }) else { return nil }
        return words(c, language)
    }

    package func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange] {
        let c = try await counts(db, duplicateID)
        guard c.contains(where: { $0 > 0 }) else { return [] }
        for table in Self.tables {
            try await db.raw("UPDATE \(ident: table) SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        }
        return [FieldChange("movement_records", old: nil, new: words(c, .vi))]
    }
}
