import EpiCore
import EpiPlatform
import Foundation
import SQLKit

package struct InspectionRecord: Codable, Sendable, Equatable {
    package var id: String
    package var targetKind: String
    package var targetId: String?
    package var targetName: String
    package var unitPath: String
    package var groupCode: String
    package var team: String
    package var visitedOn: String
    package var items: String
    package var recognized: Bool
    package var notes: String
    package var createdBy: String
    package var createdAt: String

    static let columns = "id, target_kind, target_id, target_name, unit_path, group_code, team, visited_on, items, recognized, notes, created_by, created_at"
}

package struct FindingRecord: Codable, Sendable, Equatable {
    package var id: String
    package var inspectionId: String
    package var unitPath: String
    package var groupCode: String
    package var item: String
    package var deadline: String
    package var status: String
    package var fixedAt: String?

    static let columns = "id, inspection_id, unit_path, group_code, item, deadline, status, fixed_at"
}

package struct InspectionInput: Codable, Sendable {
    package var targetKind: String?
    package var businessId: String?
    package var checkpointId: String?
    package var unit: String?
    package var team: String?
    package var visitedOn: String?
    package var items: [String]?
    package var deadline: String?
    package var notes: String?
}

/// Inspection teams' visits: the checklist seen, each item not met a finding with a deadline to fix, and
/// recognition of good practice when nothing is found.
package struct InspectionService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }

    package func list(_ db: any SQLDatabase, scope: Scope, limit: Int = 200) async throws -> [InspectionRecord] {
        try await db.raw("SELECT \(unsafeRaw: InspectionRecord.columns) FROM inspections WHERE \(scope.condition()) ORDER BY visited_on DESC, id LIMIT \(literal: limit)")
            .all(decoding: InspectionRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func findings(_ db: any SQLDatabase, scope: Scope, limit: Int = 500) async throws -> [FindingRecord] {
        try await db.raw("SELECT \(unsafeRaw: FindingRecord.columns) FROM inspection_findings WHERE \(scope.condition()) ORDER BY status, deadline, id LIMIT \(literal: limit)")
            .all(decoding: FindingRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    package func record(_ input: InspectionInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> (InspectionRecord, [FindingRecord]) {
        guard user.can(.manageInspections) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory).wholeWard
        var errors: [String: String] = [:]
        guard let kind = InspectionTarget(rawValue: input.targetKind ?? "") else {
            throw AppError.invalid("Chọn nơi được kiểm tra.", "Choose what was inspected.", details: ["target_kind": "required"])
        }
        var name = "", unit = "", targetID: String?
        switch kind {
        case .business:
            guard let row = try await services.database.read({ try await $0.raw("SELECT id, name, unit_path FROM businesses WHERE id = \(bind: input.businessId ?? "") AND \(scope.condition())").first() })
            else { throw AppError.notFound }
            targetID = try row.decode(column: "id", as: String.self); name = try row.decode(column: "name", as: String.self); unit = try row.decode(column: "unit_path", as: String.self)
        case .checkpoint:
            guard let row = try await services.database.read({ try await $0.raw("SELECT id, name, unit_path FROM checkpoints WHERE id = \(bind: input.checkpointId ?? "") AND \(scope.condition())").first() })
            else { throw AppError.notFound }
            targetID = try row.decode(column: "id", as: String.self); name = try row.decode(column: "name", as: String.self); unit = try row.decode(column: "unit_path", as: String.self)
        case .ward:
            let raw = (input.unit.nonBlank ?? user.unitPath.string).replacingOccurrences(of: ".", with: "/")
            guard let p = try? UnitPath(raw), user.covers(p), await services.directory.isLowestAdministrative(raw) else { throw AppError.notFound }
            unit = raw; name = await services.directory.label(raw)
        }
        let team = (input.team ?? "").trimmed, notes = (input.notes ?? "").trimmed
        if team.isEmpty || team.count > TextLimits.title { errors["team"] = msg(l, "Ghi tên đoàn kiểm tra.", "Name the inspection team.") }
        if notes.count > TextLimits.title * 10 { errors["notes"] = msg(l, "Ghi chú quá dài.", "Notes too long.") }
        var visited: CivilDate?, deadline: CivilDate?
        do { visited = try CivilDate(parsing: input.visitedOn.nonBlank ?? Clock.today().iso) } catch { errors["visited_on"] = l == .vi ? error.messageVI : error.messageEN }
        let ticked = Set((input.items ?? []).compactMap(InspectionItem.init(rawValue:)))
        let found = InspectionRules.findings(ticked: ticked)
        if !found.isEmpty {
            do { deadline = try CivilDate(parsing: input.deadline ?? "") } catch { errors["deadline"] = msg(l, "Có tồn tại: ghi hạn khắc phục.", "Findings need a deadline to fix.") }
            if let d = deadline, let v = visited, d < v { errors["deadline"] = msg(l, "Hạn khắc phục phải sau ngày kiểm tra.", "The deadline must not be before the visit.") }
        }
        guard errors.isEmpty, let visited else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let now = Timestamp.now()
        let inspection = InspectionRecord(id: Identifier.make(), targetKind: kind.rawValue, targetId: targetID, targetName: name, unitPath: unit, groupCode: "", team: team,
                                          visitedOn: visited.iso, items: InspectionItem.allCases.filter(ticked.contains).map(\.rawValue).joined(separator: ","),
                                          recognized: found.isEmpty, notes: notes, createdBy: user.username, createdAt: now)
        let rows = found.map { FindingRecord(id: Identifier.make(), inspectionId: inspection.id, unitPath: unit, groupCode: "", item: $0.rawValue, deadline: deadline?.iso ?? visited.iso, status: "open", fixedAt: nil) }
        let saved = try await services.database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { id in
                try await db.raw("SELECT \(unsafeRaw: InspectionRecord.columns) FROM inspections WHERE id = \(bind: id)").first(decoding: InspectionRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
            }) {
                try await db.raw("""
                    INSERT INTO inspections (\(unsafeRaw: InspectionRecord.columns)) VALUES (\(bind: inspection.id), \(bind: inspection.targetKind), \(bind: inspection.targetId),
                    \(bind: inspection.targetName), \(bind: inspection.unitPath), '', \(bind: inspection.team), \(bind: inspection.visitedOn), \(bind: inspection.items),
                    \(bind: inspection.recognized), \(bind: inspection.notes), \(bind: inspection.createdBy), \(bind: now))
                    """).run()
                for f in rows {
                    try await db.raw("""
                        INSERT INTO inspection_findings (\(unsafeRaw: FindingRecord.columns)) VALUES (\(bind: f.id), \(bind: f.inspectionId), \(bind: f.unitPath), '', \(bind: f.item),
                        \(bind: f.deadline), 'open', NULL)
                        """).run()
                }
                try await Audit.record(db, actor: user, action: "create", entityType: "inspection", entityId: inspection.id, unitPath: try? UnitPath(inspection.unitPath),
                                       summary: "Kiểm tra \(inspection.targetName): \(rows.count) tồn tại\(inspection.recognized ? ", biểu dương" : "")",
                                       changes: [FieldChange("findings", old: nil, new: String(rows.count))])
                return inspection
            }
        }
        let findings = try await services.database.read { db in
            try await db.raw("SELECT \(unsafeRaw: FindingRecord.columns) FROM inspection_findings WHERE inspection_id = \(bind: saved.id) ORDER BY id").all(decoding: FindingRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        return (saved, findings)
    }

    package func fix(findingID: String, user: CurrentUser) async throws -> FindingRecord {
        guard user.can(.manageInspections) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory).wholeWard
        return try await services.database.transaction { db in
            guard var f = try await db.raw("SELECT \(unsafeRaw: FindingRecord.columns) FROM inspection_findings WHERE id = \(bind: findingID) AND \(scope.condition())")
                .first(decoding: FindingRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            guard f.status == FindingStatus.open.rawValue else { return f }
            let now = Timestamp.now()
            try await db.raw("UPDATE inspection_findings SET status = 'fixed', fixed_at = \(bind: now) WHERE id = \(bind: f.id)").run()
            try await Audit.record(db, actor: user, action: "update", entityType: "inspection_finding", entityId: f.id, unitPath: try? UnitPath(f.unitPath),
                                   summary: "Đã khắc phục tồn tại sau kiểm tra", changes: [FieldChange("status", old: "open", new: "fixed")])
            f.status = FindingStatus.fixed.rawValue
            f.fixedAt = now
            return f
        }
    }
}
