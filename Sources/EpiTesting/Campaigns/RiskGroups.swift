import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The groups at risk a registered person belongs to (`TargetGroup`: market traders, shippers, drivers…),
/// recorded by the ward on the person's page. A campaign for a group counts the group's people per
/// ward from here.
package struct RiskGroupService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }

    /// A person's groups, in the catalogue's order; nil when the person is outside the user's jurisdiction.
    package func groups(personID: String, user: CurrentUser) async throws -> [TargetGroup]? {
        let scope = try await Scope.of(user, directory: services.directory)
        return try await services.database.read { db in
            guard try await Self.visible(db, personID: personID, scope: scope) else { return nil }
            return try await Self.groups(db, personID: personID)
        }
    }

    static func visible(_ db: any SQLDatabase, personID: String, scope: Scope) async throws -> Bool {
        try await db.raw("SELECT id FROM persons WHERE id = \(bind: personID) AND merged_into IS NULL AND \(scope.condition())").first() != nil
    }

    static func groups(_ db: any SQLDatabase, personID: String) async throws -> [TargetGroup] {
        let codes = Set(try await db.raw("SELECT group_code FROM person_risk_groups WHERE person_id = \(bind: personID)").all()
            .map { try $0.decode(column: "group_code", as: String.self) })
        return TargetGroup.allCases.filter { codes.contains($0.rawValue) }
    }

    /// Replaces a person's groups with `codes` (codes of `TargetGroup`); audited with the old and new lists.
    package func set(personID: String, codes raw: [String], user: CurrentUser, language l: Language) async throws -> [TargetGroup] {
        guard user.can(.editPeople) else { throw AppError.forbidden }
        var wanted: [TargetGroup] = []
        for code in raw.map({ $0.trimmedWhitespace }).filter({ !$0.isEmpty }) {
            guard let g = TargetGroup(rawValue: code) else {
                let text = l == .vi ? "Nhóm nguy cơ '\(code.prefix(40))' không có trong danh mục." : "Risk group '\(code.prefix(40))' is not in the list."
                throw AppError(.unprocessableContent, code: "unknown_risk_group", vi: "Nhóm nguy cơ '\(code.prefix(40))' không có trong danh mục.",
                               en: "Risk group '\(code.prefix(40))' is not in the list.", details: ["groups": text])
            }
            if !wanted.contains(g) { wanted.append(g) }
        }
        let scope = try await Scope.of(user, directory: services.directory)
        let after = TargetGroup.allCases.filter { wanted.contains($0) }
        return try await services.database.transaction { db in
            guard let row = try await db.raw("SELECT unit_path FROM persons WHERE id = \(bind: personID) AND merged_into IS NULL AND \(scope.condition())").first() else {
                throw AppError.notFound
            }
            let before = try await Self.groups(db, personID: personID)
            guard before != after else { return after }
            let now = Timestamp.now()
            try await db.raw("DELETE FROM person_risk_groups WHERE person_id = \(bind: personID)").run()
            for g in after {
                try await db.raw("""
                    INSERT INTO person_risk_groups (person_id, group_code, created_by, created_at) VALUES (\(bind: personID), \(bind: g.rawValue), \(bind: user.username), \(bind: now))
                    """).run()
            }
            try await Audit.record(db, actor: user, action: "set_risk_groups", entityType: "person", entityId: personID,
                                   unitPath: try? UnitPath(try row.decode(column: "unit_path", as: String.self)),
                                   summary: "Nhóm nguy cơ: \(after.isEmpty ? "không" : after.map(\.labelVI).joined(separator: ", "))",
                                   changes: [FieldChange("risk_groups", old: Self.names(before), new: Self.names(after))])
            return after
        }
    }

    /// The registered people of `group` per ward, for the wards given.
    static func registered(_ db: any SQLDatabase, group: TargetGroup, wards: [String]) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for start in stride(from: 0, to: wards.count, by: 500) {
            let chunk = wards[start..<min(start + 500, wards.count)]
            for row in try await db.raw("""
                SELECT p.unit_path, COUNT(*) AS n FROM person_risk_groups g JOIN persons p ON p.id = g.person_id
                WHERE g.group_code = \(bind: group.rawValue) AND p.merged_into IS NULL AND p.unit_path IN (\(SQLList(chunk.map { SQLBind($0) }))) GROUP BY p.unit_path
                """).all() {
                out[try row.decode(column: "unit_path", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
        }
        return out
    }

    // MARK: lists from a market board, a delivery company, a transport firm

    /// Adds the groups of a list (CSV: `cccd`, `nhom`, optional `ho_ten`) to the registered people it names,
    /// inside the user's jurisdiction. A bad row is reported with its line and reason and the good rows are
    /// kept; a group a person already has is left as it is, so sending the same list again adds nothing.
    /// Groups are only added here: a list never removes one (the person's page does).
    package func importList(bytes: [UInt8], user: CurrentUser, language l: Language) async throws -> RiskGroupImportReport {
        guard user.can(.editPeople) else { throw AppError.forbidden }
        @Sendable func text(_ vi: String, _ en: String) -> String { l == .vi ? vi : en }
        var reader = CSVReader(bytes: bytes)
        var report = RiskGroupImportReport()
        var header: [String] = []
        // One entry per citizen id with its rows, so that each row's name is checked and their groups merged.
        var wanted: [(cccd: String, rows: [ListRow])] = []
        var index: [String: Int] = [:]
        do {
            while let record = try reader.next() {
                if header.isEmpty {
                    header = record.fields.map { VietnameseText.fold($0.trimmed).replacingOccurrences(of: " ", with: "_") }
                    guard Self.column(header, Self.idColumns) != nil, Self.column(header, Self.groupColumns) != nil else {
                        throw AppError.invalid("Tệp cần các cột cccd và nhom (nhóm nguy cơ).", "The file needs the columns cccd and nhom (group at risk).", details: ["file": "columns"])
                    }
                    continue
                }
                func field(_ names: [String]) -> String {
                    guard let i = Self.column(header, names), i < record.fields.count else { return "" }
                    return record.fields[i].trimmed
                }
                if record.fields.allSatisfy({ $0.trimmed.isEmpty }) { continue }
                report.rows += 1
                let cccd: CitizenID
                do { cccd = try CitizenID(parsing: field(Self.idColumns)) } catch {
                    report.problems.append(.init(line: record.line, reason: text("Số CCCD/CMND không hợp lệ: ", "Invalid citizen ID: ") + (l == .vi ? error.messageVI : error.messageEN)))
                    continue
                }
                let cell = field(Self.groupColumns)
                let parsed = TargetGroup.parseList(cell)
                if let unknown = parsed.unknown.first {
                    let list = TargetGroup.allCases.map { l == .vi ? $0.labelVI : $0.labelEN }.joined(separator: "; ")
                    report.problems.append(.init(line: record.line, reason: text("Nhóm nguy cơ '\(unknown.prefix(40))' không có trong danh mục (\(list)).",
                                                                                  "Group at risk '\(unknown.prefix(40))' is not in the list (\(list)).")))
                    continue
                }
                guard !parsed.groups.isEmpty else {
                    report.problems.append(.init(line: record.line, reason: text("Thiếu nhóm nguy cơ.", "Group at risk missing.")))
                    continue
                }
                let name = String(field(["ho_ten", "full_name"]).prefix(TextLimits.name))
                let row = ListRow(line: record.line, name: name, groups: parsed.groups)
                if let at = index[cccd.digits] {
                    wanted[at].rows.append(row)
                } else {
                    index[cccd.digits] = wanted.count
                    wanted.append((cccd.digits, [row]))
                }
                if report.rows > Self.maxRows {
                    throw AppError.invalid("Tối đa \(NumberFormat.grouped(Self.maxRows)) dòng một lần.", "At most \(Self.maxRows) rows at a time.", details: ["file": "too_many_rows"])
                }
            }
        } catch let error as CSVError {
            throw AppError.invalid("Tệp CSV lỗi: \(error.messageVI)", "CSV error: \(error.messageEN)", details: ["file": "csv"])
        }
        guard report.rows > 0 else { throw AppError.invalid("Tệp không có dòng nào.", "The file has no rows.", details: ["file": "empty"]) }
        let scope = try await Scope.of(user, directory: services.directory)
        let entries = wanted, start = report
        return try await services.database.transaction { db in
            var report = start
            let now = Timestamp.now()
            for from in stride(from: 0, to: entries.count, by: 500) {
                let chunk = entries[from..<min(from + 500, entries.count)]
                var people: [String: [(id: String, name: String, unit: String)]] = [:]
                for row in try await db.raw("""
                    SELECT id, citizen_id, full_name, unit_path FROM persons
                    WHERE merged_into IS NULL AND citizen_id IN (\(SQLList(chunk.map { SQLBind($0.cccd) }))) AND \(scope.condition())
                    """).all() {
                    people[try row.decode(column: "citizen_id", as: String.self), default: []].append(
                        (try row.decode(column: "id", as: String.self), try row.decode(column: "full_name", as: String.self), try row.decode(column: "unit_path", as: String.self)))
                }
                var matched: [(groups: [TargetGroup], id: String, unit: String)] = []
                for entry in chunk {
                    let found = people[entry.cccd] ?? []
                    guard let person = found.first, found.count == 1 else {
                        // Whether the person is registered elsewhere is not the uploader's to learn.
                        let reason = found.isEmpty
                            ? text("Không có người mang số CCCD này trong sổ cư trú thuộc địa bàn của bạn.", "No one with this citizen ID in the registry of your jurisdiction.")
                            : text("Sổ cư trú có \(found.count) hồ sơ cùng số CCCD này: gộp hồ sơ trước.", "The registry holds \(found.count) records with this citizen ID: merge them first.")
                        report.problems += entry.rows.map { .init(line: $0.line, reason: reason) }
                        continue
                    }
                    var groups = Set<TargetGroup>()
                    for row in entry.rows {
                        if !row.name.isEmpty, VietnameseText.fold(row.name) != VietnameseText.fold(person.name) {
                            report.problems.append(.init(line: row.line, reason: text("Họ tên không khớp với sổ cư trú cho số CCCD này.",
                                                                                       "The name does not match the registry for this citizen ID.")))
                        } else {
                            groups.formUnion(row.groups)
                        }
                    }
                    if !groups.isEmpty { matched.append((TargetGroup.allCases.filter(groups.contains), person.id, person.unit)) }
                }
                guard !matched.isEmpty else { continue }
                var had: [String: Set<String>] = [:]
                for row in try await db.raw("SELECT person_id, group_code FROM person_risk_groups WHERE person_id IN (\(SQLList(matched.map { SQLBind($0.id) })))").all() {
                    had[try row.decode(column: "person_id", as: String.self), default: []].insert(try row.decode(column: "group_code", as: String.self))
                }
                var insert = db.insert(into: "person_risk_groups").columns("person_id", "group_code", "created_by", "created_at")
                var inserting = 0
                for m in matched {
                    let before = TargetGroup.allCases.filter { had[m.id]?.contains($0.rawValue) == true }
                    let fresh = m.groups.filter { !before.contains($0) }
                    report.unchanged += m.groups.count - fresh.count
                    guard !fresh.isEmpty else { continue }
                    for g in fresh { insert = insert.values([m.id, g.rawValue, user.username, now] as [any Encodable & Sendable]) }
                    inserting += fresh.count
                    report.added += fresh.count
                    report.people += 1
                    let after = TargetGroup.allCases.filter { before.contains($0) || fresh.contains($0) }
                    try await Audit.record(db, actor: user, action: "set_risk_groups", entityType: "person", entityId: m.id, unitPath: try? UnitPath(m.unit),
                                           summary: "Nhóm nguy cơ (từ danh sách): \(after.map(\.labelVI).joined(separator: ", "))",
                                           changes: [FieldChange("risk_groups", old: Self.names(before), new: Self.names(after))])
                }
                if inserting > 0 { try await insert.run() }
            }
            report.problems.sort { $0.line < $1.line }
            return report
        }
    }

    struct ListRow: Sendable { let line: Int; let name: String; let groups: [TargetGroup] }

    package static let maxRows = 50_000
    static let idColumns = ["cccd", "so_cccd", "cmnd", "so_dinh_danh", "citizen_id"]
    static let groupColumns = ["nhom", "nhom_nguy_co", "group", "groups"]

    static func column(_ header: [String], _ names: [String]) -> Int? { names.lazy.compactMap { header.firstIndex(of: $0) }.first }

    /// Read by people in the audit log: the groups' names, not their codes.
    static func names(_ groups: [TargetGroup]) -> String { groups.isEmpty ? "—" : groups.map(\.labelVI).joined(separator: "; ") }

    /// The registered people of each group inside `scope`.
    package static func counts(_ db: any SQLDatabase, scope: Scope) async throws -> [TargetGroup: Int] {
        var out: [TargetGroup: Int] = [:]
        for row in try await db.raw("""
            SELECT g.group_code, COUNT(*) AS n FROM person_risk_groups g JOIN persons p ON p.id = g.person_id
            WHERE p.merged_into IS NULL AND \(scope.condition("p")) GROUP BY g.group_code
            """).all() {
            if let g = TargetGroup(rawValue: try row.decode(column: "group_code", as: String.self)) { out[g] = try row.decode(column: "n", as: Int.self) }
        }
        return out
    }
}

/// What a list of groups at risk did: rows read, people given a group, groups added and already there, bad rows by line.
package struct RiskGroupImportReport: Codable, Sendable {
    package struct Problem: Codable, Sendable { package let line: Int; package let reason: String }
    package var rows = 0
    package var people = 0
    package var added = 0
    package var unchanged = 0
    package var problems: [Problem] = []
}

/// A merge of duplicate records keeps the groups at risk recorded on either: the survivor gains the
/// duplicate's, which leave the merged record (counts and invitations read only unmerged people).
package struct RiskGroupMerge: PersonMergeStep {
    package init() {}

    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? {
        let groups = try await RiskGroupService.groups(db, personID: personID)
        return groups.isEmpty ? nil : groups.map { language == .vi ? $0.labelVI : $0.labelEN }.joined(separator: ", ")
    }

    package func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange] {
        let before = try await RiskGroupService.groups(db, personID: survivorID)
        let moving = try await RiskGroupService.groups(db, personID: duplicateID)
        guard !moving.isEmpty else { return [] }
        try await db.raw("""
            INSERT INTO person_risk_groups (person_id, group_code, created_by, created_at)
            SELECT \(bind: survivorID), d.group_code, d.created_by, d.created_at FROM person_risk_groups d
            WHERE d.person_id = \(bind: duplicateID) AND NOT EXISTS (SELECT 1 FROM person_risk_groups s WHERE s.person_id = \(bind: survivorID) AND s.group_code = d.group_code)
            """).run()
        try await db.raw("DELETE FROM person_risk_groups WHERE person_id = \(bind: duplicateID)").run()
        let after = try await RiskGroupService.groups(db, personID: survivorID)
        return after == before ? [] : [FieldChange("risk_groups", old: RiskGroupService.names(before), new: RiskGroupService.names(after))]
    }
}
