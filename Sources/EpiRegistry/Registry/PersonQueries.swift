import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// A page of people in name order, with the cursor for the next page.
package struct PersonPage: Sendable {
    package let people: [PersonRecord]
    package let nextCursor: String?
}

/// How a search box query is understood: an ID number, a phone number, or a name.
enum PersonQueryKind: Equatable {
    case all
    case citizenID(String)
    case phone(String)
    case name(String)

    static func classify(_ raw: String) -> PersonQueryKind {
        let trimmed = raw.trimmedWhitespace
        if trimmed.isEmpty { return .all }
        let digits = trimmed.filter { !" .-".contains($0) }
        if digits.allSatisfy(\.isNumber) {
            if let id = try? CitizenID(parsing: digits) { return .citizenID(id.digits) }
            if let phone = try? PhoneNumber(parsing: trimmed) { return .phone(phone.e164) }
        }
        if trimmed.hasPrefix("+"), let phone = try? PhoneNumber(parsing: trimmed) { return .phone(phone.e164) }
        let folded = VietnameseText.fold(trimmed)
        return folded.isEmpty ? .all : .name(folded)
    }
}

/// Every read and write of the person registry; each takes the caller's scope, so no query can forget it.
package enum PersonQueries {
    package static let select = "SELECT \(PersonRecord.columns) FROM persons"

    /// Why a person outside the caller's scope may still be read: the caller holds a record naming this
    /// person that they were authorized to act on. Each case is one reviewed access path; pages decide
    /// what of the record they show (a ward whose F0 moved away sees initials, not the new address).
    package enum Grant: Sendable {
        /// A case of the caller's unit (the person may have moved since).
        case ownCase(personID: String)
        /// An episode the caller runs: their ward's, or held in a facility they run.
        case authorizedEpisode(personID: String)
        /// A transfer the caller dispatches or receives.
        case authorizedTransfer(personID: String)

        var personID: String {
            switch self {
            case .ownCase(let id), .authorizedEpisode(let id), .authorizedTransfer(let id): return id
            }
        }
    }

    package static func find(_ db: any SQLDatabase, grant: Grant) async throws -> PersonRecord? {
        try await db.raw("\(unsafeRaw: select) WHERE id = \(bind: grant.personID)")
            .first(decoding: PersonRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package static func find(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> PersonRecord? {
        try await db.raw("\(unsafeRaw: select) WHERE id = \(bind: id) AND \(scope.condition())")
            .first(decoding: PersonRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Searches by name (folded prefix of the full name, or of the given name for one word), by
    /// citizen ID, or by phone, in name order with keyset pagination.
    package static func search(_ db: any SQLDatabase, query: String, scope: Scope, after cursor: String? = nil, limit: Int = 50) async throws -> PersonPage {
        let limit = max(1, min(limit, 200))
        var keyset: SQLQueryString = "1 = 1"
        if let cursor, let (name, id) = decodeCursor(cursor) {
            keyset = "(name_folded > \(bind: name) OR (name_folded = \(bind: name) AND id > \(bind: id)))"
        }
        let base: SQLQueryString = "\(unsafeRaw: select) WHERE merged_into IS NULL AND \(scope.condition()) AND \(keyset)"
        var rows: [PersonRecord]
        switch PersonQueryKind.classify(query) {
        case .all:
            rows = try await fetch(db, "\(base) ORDER BY name_folded, id LIMIT \(literal: limit + 1)")
        case .citizenID(let digits):
            // Two equality lookups on the unique indexes; an OR with ORDER BY lets SQLite scan by name instead.
            let byNew = try await fetch(db, "\(base) AND citizen_id = \(bind: digits)")
            let byOld = try await fetch(db, "\(base) AND old_id = \(bind: digits)")
            rows = byNew + byOld.filter { o in !byNew.contains { $0.id == o.id } }
        case .phone(let e164):
            rows = try await fetch(db, "\(base) AND phone = \(bind: e164) ORDER BY name_folded, id LIMIT \(literal: limit + 1)")
        case .name(let folded):
            // '~' sorts after every character a folded name can hold (a–z, 0–9, space).
            rows = try await fetch(db, "\(base) AND name_folded >= \(bind: folded) AND name_folded < \(bind: folded + "~") ORDER BY name_folded, id LIMIT \(literal: limit + 1)")
            var seen = Set(rows.map(\.id))
            // People type names in any order and in part ("van nam", "nguyen nam", "ngu na" for Nguyễn Văn Nam):
            // each word in turn is taken as the given name (exactly, or for the last word of several, its
            // start), walking the (given_folded, name_folded) index, and every other word must begin a word
            // of the name. The whole-name prefix above covers names typed in order.
            var words: [String] = []
            for word in folded.split(separator: " ").map(String.init) where !words.contains(word) && words.count < 5 { words.append(word) }
            for (i, word) in words.enumerated() {
                var condition: SQLQueryString = words.count > 1 && i == words.count - 1
                    ? "given_folded >= \(bind: word) AND given_folded < \(bind: word + "~")"
                    : "given_folded = \(bind: word)"
                for (j, other) in words.enumerated() where j != i {
                    condition = "\(condition) AND (name_folded LIKE \(bind: other + "%") OR name_folded LIKE \(bind: "% " + other + "%"))"
                }
                let found = try await fetch(db, "\(base) AND \(condition) ORDER BY name_folded, id LIMIT \(literal: limit + 1)")
                rows += found.filter { seen.insert($0.id).inserted }
            }
            rows.sort { ($0.nameFolded, $0.id) < ($1.nameFolded, $1.id) }
        }
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { encodeCursor(name: $0.nameFolded, id: $0.id) } : nil
        return PersonPage(people: page, nextCursor: next)
    }

    package static func fetch(_ db: any SQLDatabase, _ sql: SQLQueryString) async throws -> [PersonRecord] {
        try await db.raw(sql).all(decoding: PersonRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package static func encodeCursor(name: String, id: String) -> String {
        Data("\(name)|\(id)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    package static func decodeCursor(_ cursor: String) -> (String, String)? {
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    /// The person already holding this citizen ID or old ID, anywhere in the city (IDs are unique nationally).
    package static func holder(_ db: any SQLDatabase, citizenID: String?, oldID: String?, excluding id: String?) async throws -> PersonRecord? {
        var conditions: [SQLQueryString] = []
        if let citizenID { conditions.append("citizen_id = \(bind: citizenID) OR old_id = \(bind: citizenID)") }
        if let oldID { conditions.append("citizen_id = \(bind: oldID) OR old_id = \(bind: oldID)") }
        guard !conditions.isEmpty else { return nil }
        var sql: SQLQueryString = "\(unsafeRaw: select) WHERE ("
        for (i, c) in conditions.enumerated() {
            if i > 0 { sql = "\(sql) OR " }
            sql = "\(sql)\(c)"
        }
        sql = "\(sql)) AND id <> \(bind: id ?? "")"
        return try await db.raw(sql).first(decoding: PersonRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// People with the same folded name and birth date in the same district: probably the same person.
    static func possibleDuplicates(_ db: any SQLDatabase, record: PersonRecord) async throws -> [PersonRecord] {
        guard let birth = record.birthDate, let path = try? UnitPath(record.unitPath) else { return [] }
        let district = path.depth >= 2 ? (path.parent ?? path) : path
        return try await fetch(db, """
            \(unsafeRaw: select) WHERE name_folded = \(bind: record.nameFolded) AND birth_date = \(bind: birth) AND merged_into IS NULL
            AND id <> \(bind: record.id) AND (unit_path = \(bind: district.string) OR (unit_path >= \(bind: district.descendantLowerBound) AND unit_path < \(bind: district.descendantUpperBound)))
            LIMIT 10
            """)
    }

    package static func insert(_ db: any SQLDatabase, _ records: [PersonRecord]) async throws {
        guard !records.isEmpty else { return }
        var builder = db.insert(into: "persons").columns(PersonRecord.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        for record in records { builder = builder.values(record.binds) }
        try await builder.run()
        try await adjustCounts(db, records.filter { $0.mergedInto == nil }.map { ($0, 1) })
    }

    /// Keeps `person_counts` in step with a write, inside the same transaction.
    static func adjustCounts(_ db: any SQLDatabase, _ changes: [(PersonRecord, Int)]) async throws {
        var deltas: [[String]: Int] = [:]
        for (p, d) in changes { deltas[[p.unitPath, p.groupCode ?? "", p.residenceStatus], default: 0] += d }
        let nonZero = deltas.filter { $0.value != 0 }.sorted { $0.key.joined() < $1.key.joined() }
        for start in stride(from: 0, to: nonZero.count, by: 500) {
            var builder = db.insert(into: "person_counts").columns("unit_path", "group_code", "residence_status", "n")
            for (key, n) in nonZero[start..<min(start + 500, nonZero.count)] {
                builder = builder.values(key[0], key[1], key[2], n)
            }
            try await builder
                .onConflict(with: ["unit_path", "group_code", "residence_status"]) { $0.set(SQLColumn("n"), to: SQLRaw("person_counts.n + excluded.n")) }
                .run()
        }
    }

    /// Registry figures for a scope by residence status, from the pre-aggregated counts.
    package static func counts(_ db: any SQLDatabase, scope: Scope) async throws -> [String: Int] {
        let rows = try await db.raw("SELECT residence_status, CAST(SUM(n) AS BIGINT) AS n FROM person_counts WHERE \(scope.condition()) GROUP BY residence_status").all()
        var counts: [String: Int] = [:]
        for row in rows { counts[try row.decode(column: "residence_status", as: String.self)] = try row.decode(column: "n", as: Int.self) }
        return counts
    }

    /// Writes an edit if nobody changed the record since it was read (optimistic locking).
    /// `previous` is the stored record the edit starts from, for the pre-aggregated counts.
    static func update(_ db: any SQLDatabase, _ record: PersonRecord, previous: PersonRecord, expectedVersion: Int) async throws {
        let updated = try await db.raw("""
            UPDATE persons SET full_name = \(bind: record.fullName), name_folded = \(bind: record.nameFolded), given_folded = \(bind: record.givenFolded),
            sex = \(bind: record.sex), birth_date = \(bind: record.birthDate), citizen_id = \(bind: record.citizenId), old_id = \(bind: record.oldId),
            phone = \(bind: record.phone), address = \(bind: record.address), unit_path = \(bind: record.unitPath), group_code = \(bind: record.groupCode),
            household_code = \(bind: record.householdCode), residence_status = \(bind: record.residenceStatus), resident_until = \(bind: record.residentUntil),
            merged_into = \(bind: record.mergedInto), updated_at = \(bind: record.updatedAt), version = \(bind: record.version)
            WHERE id = \(bind: record.id) AND version = \(bind: expectedVersion) RETURNING id
            """).all()
        if updated.isEmpty { throw AppError.conflict }
        var changes: [(PersonRecord, Int)] = []
        if previous.mergedInto == nil { changes.append((previous, -1)) }
        if record.mergedInto == nil { changes.append((record, 1)) }
        try await adjustCounts(db, changes)
    }

    /// Members of the same household (same household code in the same unit).
    static func household(_ db: any SQLDatabase, of person: PersonRecord) async throws -> [PersonRecord] {
        guard let code = person.householdCode else { return [] }
        return try await fetch(db, "\(unsafeRaw: select) WHERE unit_path = \(bind: person.unitPath) AND household_code = \(bind: code) AND merged_into IS NULL AND id <> \(bind: person.id) ORDER BY birth_date LIMIT 50")
    }

    /// Candidate duplicates for a merge: same folded name in the caller's scope.
    static func mergeCandidates(_ db: any SQLDatabase, of person: PersonRecord, scope: Scope) async throws -> [PersonRecord] {
        try await fetch(db, "\(unsafeRaw: select) WHERE name_folded = \(bind: person.nameFolded) AND merged_into IS NULL AND id <> \(bind: person.id) AND \(scope.condition()) ORDER BY birth_date LIMIT 50")
    }
}
