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
            // Read by people in the audit log: the groups' names, not their codes.
            let list = { (gs: [TargetGroup]) in gs.isEmpty ? "—" : gs.map(\.labelVI).joined(separator: "; ") }
            try await Audit.record(db, actor: user, action: "set_risk_groups", entityType: "person", entityId: personID,
                                   unitPath: try? UnitPath(try row.decode(column: "unit_path", as: String.self)),
                                   summary: "Nhóm nguy cơ: \(after.isEmpty ? "không" : after.map(\.labelVI).joined(separator: ", "))",
                                   changes: [FieldChange("risk_groups", old: list(before), new: list(after))])
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
}
