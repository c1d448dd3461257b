import EpiCore
import EpiPlatform
import SQLKit

/// A merge of duplicate records keeps the person's tracing on the record kept: their F0 cases,
/// quarantine and isolation episodes, transfers, ended levels and exposures, and derives the contact
/// levels again around both. Left on the duplicate, an F0 would vanish from the person's page and a
/// second F0 could be opened for them. Two records each under care at once are refused: which case or
/// episode stands is an officer's decision, not the merge's.
package struct TracingMerge: PersonMergeStep {
    package init() {}

    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? {
        let active = CaseOutcome.allCases.filter(\.isActive).map(\.rawValue)
        var parts: [String] = []
        for row in try await db.raw("SELECT case_number, outcome FROM cases WHERE person_id = \(bind: personID) ORDER BY confirmed_on LIMIT 5").all() {
            let number = try row.decode(column: "case_number", as: String.self)
            let isActive = active.contains(try row.decode(column: "outcome", as: String.self))
            parts.append(isActive ? "F0 \(number)" : (language == .vi ? "F0 \(number) (đã kết thúc)" : "F0 \(number) (closed)"))
        }
        if let level = try await db.raw("SELECT level FROM contact_levels WHERE person_id = \(bind: personID)").first()?.decode(column: "level", as: Int.self) {
            parts.append("F\(level)")
        }
        if try await db.raw("SELECT id FROM episodes WHERE person_id = \(bind: personID) AND status = 'active' LIMIT 1").first() != nil {
            parts.append(language == .vi ? "đang cách ly/điều trị" : "in quarantine or isolation")
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    package func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange] {
        let active = CaseOutcome.allCases.filter(\.isActive).map { SQLBind($0.rawValue) }
        func activeCases(_ id: String) async throws -> [String] {
            try await db.raw("SELECT case_number FROM cases WHERE person_id = \(bind: id) AND outcome IN (\(SQLList(active))) ORDER BY case_number").all()
                .map { try $0.decode(column: "case_number", as: String.self) }
        }
        let keptCases = try await activeCases(survivorID), duplicateCases = try await activeCases(duplicateID)
        if !keptCases.isEmpty, !duplicateCases.isEmpty {
            let both = (keptCases + duplicateCases).joined(separator: ", ")
            throw AppError(.conflict, code: "both_cases", vi: "Cả hai hồ sơ đều đang là F0 (\(both)). Đóng ca ghi trùng (kết luận loại trừ) trước khi gộp.",
                           en: "Both records are active cases (\(both)). Close the duplicate case (ruled out) before merging.")
        }
        func activeEpisodes(_ id: String) async throws -> Int {
            try await db.raw("SELECT COUNT(*) AS n FROM episodes WHERE person_id = \(bind: id) AND status = 'active'").first()?.decode(column: "n", as: Int.self) ?? 0
        }
        if try await activeEpisodes(survivorID) > 0, try await activeEpisodes(duplicateID) > 0 {
            throw AppError(.conflict, code: "both_episodes", vi: "Cả hai hồ sơ đều đang cách ly hoặc điều trị. Kết thúc đợt ghi trùng trước khi gộp.",
                           en: "Both records are in quarantine or isolation. End the duplicate episode before merging.")
        }
        func count(_ sql: SQLQueryString) async throws -> Int { try await db.raw(sql).first()?.decode(column: "n", as: Int.self) ?? 0 }
        let cases = try await count("SELECT COUNT(*) AS n FROM cases WHERE person_id = \(bind: duplicateID)")
        let episodes = try await count("SELECT COUNT(*) AS n FROM episodes WHERE person_id = \(bind: duplicateID)")
        for table in ["cases", "episodes", "transfers", "contact_level_ends"] {
            try await db.raw("UPDATE \(ident: table) SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        }
        // Exposures name the duplicate as either side. The one person cannot have met themselves, and a
        // meeting the kept record already holds for that day is the same meeting entered twice.
        struct Edge: Decodable { let id: String; let sourceId: String; let contactId: String; let day: String; let setting: String; let note: String }
        let edges = try await db.raw("""
            SELECT id, source_id, contact_id, day, setting, note FROM exposures WHERE source_id = \(bind: duplicateID) OR contact_id = \(bind: duplicateID) ORDER BY id
            """).all(decoding: Edge.self, keyDecodingStrategy: .convertFromSnakeCase)
        var moved = 0, dropped: [String] = []
        var neighbours: Set<String> = []
        for e in edges {
            let source = e.sourceId == duplicateID ? survivorID : e.sourceId, contact = e.contactId == duplicateID ? survivorID : e.contactId
            let key = ExposureRecord.pairKey(source, contact, day: e.day)
            let twice = try await db.raw("SELECT id FROM exposures WHERE pair_key = \(bind: key)").first() != nil
            if source == contact || twice {
                try await db.raw("DELETE FROM exposures WHERE id = \(bind: e.id)").run()
                // What the row said goes into the audit row: the merge removes it, it does not lose it.
                let setting = ExposureSetting(rawValue: e.setting)?.labelVI ?? e.setting
                dropped.append("\(CivilDate(iso: e.day)?.vietnamese ?? e.day) (\(setting)\(e.note.isEmpty ? "" : ": \(e.note)"))")
            } else {
                try await db.raw("UPDATE exposures SET source_id = \(bind: source), contact_id = \(bind: contact), pair_key = \(bind: key) WHERE id = \(bind: e.id)").run()
                moved += 1
            }
            neighbours.insert(source == survivorID ? contact : source)
        }
        let hadLevel = try await db.raw("SELECT person_id FROM contact_levels WHERE person_id = \(bind: duplicateID)").first() != nil
        guard cases + episodes + edges.count > 0 || hadLevel else { return [] }
        // The duplicate no longer meets anyone and is no case: its level goes, the kept record's follows from both histories.
        try await ContactLevelService.recompute(db, around: neighbours.union([survivorID, duplicateID]))
        var changes = [FieldChange("tracing_records", old: nil, new: "\(cases) ca F0, \(episodes) đợt cách ly/điều trị, \(moved) tiếp xúc")]
        if !dropped.isEmpty { changes.append(FieldChange("repeated_exposures", old: dropped.joined(separator: "; "), new: nil)) }
        return changes
    }
}
