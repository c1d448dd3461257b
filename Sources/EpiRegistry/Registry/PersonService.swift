import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The outcome of a save that the user may need to confirm.
enum SaveOutcome: Sendable {
    case saved(PersonRecord, warnings: [String])
    /// Same folded name and birth date in the same district: saved only on confirmation. The ones inside
    /// the user's scope are shown; those in other wards are only counted (`hidden`), with no personal
    /// detail, and the district, which sees both, can merge them.
    case possibleDuplicates([PersonRecord], hidden: Int, warnings: [String])
}

/// Creating, editing and merging people: validation, duplicate guard, scope and audit in one place
/// for both the pages and the API.
package struct PersonService: Sendable {
    let database: Database
    let directory: UnitDirectory

    package init(database: Database, directory: UnitDirectory) {
        self.database = database
        self.directory = directory
    }

    /// Resolves the ward a form or client names (path or 5-digit code) and checks it is inside the user's scope.
    package func resolveUnit(_ raw: String?, user: CurrentUser) async throws -> UnitRecord? {
        guard var raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            if await directory.isLowestAdministrative(user.unitPath.string) { return try await directory.unit(user.unitPath.string) }
            return nil
        }
        raw = raw.replacingOccurrences(of: ".", with: "/")
        var unit = try await directory.unit(raw)
        if unit == nil, !raw.contains("/") {
            unit = await directory.all().first { $0.code == raw && !$0.isGroup }
        }
        guard let unit, !unit.isGroup, await directory.isLowestAdministrative(unit.path),
              let path = try? UnitPath(unit.path), user.unitPath.contains(path) else { return nil }
        return unit
    }

    func create(_ input: PersonInput, user: CurrentUser, language: Language) async throws -> SaveOutcome {
        let unit = try await resolveUnit(input.unit, user: user)
        var validator = PersonValidator(language: language)
        guard var draft = validator.validate(input, unitPath: unit?.path, base: nil) else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: validator.errors)
        }
        try await checkGroup(&draft)
        let warnings = validator.warnings
        let record = draft
        let scope = try await Scope.of(user, directory: directory)
        return try await database.transaction { db in
            try await Self.guardUniqueIDs(db, record, language: language)
            if input.confirmDuplicate != true {
                let dups = try await PersonQueries.possibleDuplicates(db, record: record)
                let visible = dups.filter { scope.contains(unitPath: $0.unitPath, groupCode: $0.groupCode) }
                if !dups.isEmpty { return .possibleDuplicates(visible, hidden: dups.count - visible.count, warnings: warnings) }
            }
            try await PersonQueries.insert(db, [record])
            try await Audit.record(db, actor: user, action: "create", entityType: "person", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                                   summary: "Tạo hồ sơ \(record.fullName)", changes: record.auditFields.compactMap { $0.1 == nil ? nil : FieldChange($0.0, old: nil, new: $0.1) })
            return .saved(record, warnings: warnings)
        }
    }

    func update(id: String, _ input: PersonInput, user: CurrentUser, scope: Scope, language: Language) async throws -> SaveOutcome {
        guard let existing = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }) else { throw AppError.notFound }
        guard existing.mergedInto == nil else {
            throw AppError(.conflict, code: "merged", vi: "Hồ sơ này đã được gộp vào hồ sơ khác; hãy sửa hồ sơ còn lại.", en: "This record was merged into another; edit that one.")
        }
        let input = input.filled(from: existing)
        let unit = try await resolveUnit(input.unit, user: user)
        var validator = PersonValidator(language: language)
        guard var draft = validator.validate(input, unitPath: unit?.path, base: existing) else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: validator.errors)
        }
        try await checkGroup(&draft)
        let expected = input.version ?? existing.version
        let warnings = validator.warnings
        let record = draft
        return try await database.transaction { db in
            try await Self.guardUniqueIDs(db, record, language: language)
            let changes = existing.changes(to: record)
            guard !changes.isEmpty else { return .saved(existing, warnings: warnings) }
            try await PersonQueries.update(db, record, previous: existing, expectedVersion: expected)
            try await Audit.record(db, actor: user, action: "update", entityType: "person", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                                   summary: "Sửa hồ sơ \(record.fullName)", changes: changes)
            return .saved(record, warnings: warnings)
        }
    }

    /// Reads one person and audits the view (who looked at whose record is itself sensitive).
    func view(id: String, user: CurrentUser, scope: Scope) async throws -> PersonRecord {
        try await database.transaction { db in
            guard let person = try await PersonQueries.find(db, id: id, scope: scope) else { throw AppError.notFound }
            try await Audit.record(db, actor: user, action: "view", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath), summary: "Xem hồ sơ \(person.fullName)")
            return person
        }
    }

    /// Folds `duplicateID` into `survivorID`: the survivor keeps its values and gains the ones it lacks;
    /// the duplicate stays, marked merged, with a snapshot, so nothing is lost. `carry` moves what other
    /// capabilities recorded on the duplicate that the survivor needs (its groups at risk).
    func merge(survivorID: String, duplicateID: String, user: CurrentUser, scope: Scope, carry: [any PersonMergeStep] = []) async throws -> PersonRecord {
        guard survivorID != duplicateID else {
            throw AppError.invalid("Không thể gộp một hồ sơ với chính nó.", "A record cannot be merged with itself.")
        }
        return try await database.transaction { db in
            guard var survivor = try await PersonQueries.find(db, id: survivorID, scope: scope),
                  var duplicate = try await PersonQueries.find(db, id: duplicateID, scope: scope) else { throw AppError.notFound }
            guard survivor.mergedInto == nil, duplicate.mergedInto == nil else {
                throw AppError(.conflict, code: "merged", vi: "Một trong hai hồ sơ đã được gộp trước đó.", en: "One of the records was already merged.")
            }
            if let a = survivor.citizenId, let b = duplicate.citizenId, a != b {
                throw AppError(.conflict, code: "different_ids", vi: "Hai hồ sơ có số CCCD khác nhau: không phải cùng một người.", en: "The records have different citizen IDs: not the same person.")
            }
            let before = survivor
            let duplicateBefore = duplicate
            let snapshot = String(decoding: try JSONEncoder().encode(duplicate), as: UTF8.self)
            let movedCitizen = survivor.citizenId == nil ? duplicate.citizenId : nil
            let movedOld = survivor.oldId == nil ? duplicate.oldId : nil
            survivor.sex = survivor.sex ?? duplicate.sex
            survivor.birthDate = survivor.birthDate ?? duplicate.birthDate
            survivor.phone = survivor.phone ?? duplicate.phone
            survivor.householdCode = survivor.householdCode ?? duplicate.householdCode
            survivor.groupCode = survivor.groupCode ?? duplicate.groupCode
            if survivor.address.isEmpty { survivor.address = duplicate.address }
            let now = Timestamp.now()
            // IDs are unique: release them from the duplicate before the survivor takes them.
            duplicate.mergedInto = survivor.id
            duplicate.updatedAt = now
            duplicate.version += 1
            if movedCitizen != nil { duplicate.citizenId = nil }
            if movedOld != nil { duplicate.oldId = nil }
            try await PersonQueries.update(db, duplicate, previous: duplicateBefore, expectedVersion: duplicate.version - 1)
            survivor.citizenId = survivor.citizenId ?? movedCitizen
            survivor.oldId = survivor.oldId ?? movedOld
            survivor.updatedAt = now
            survivor.version += 1
            try await PersonQueries.update(db, survivor, previous: before, expectedVersion: survivor.version - 1)
            try await db.raw("""
                INSERT INTO person_merges (id, survivor_id, merged_id, merged_snapshot, merged_by, merged_at)
                VALUES (\(bind: Identifier.make()), \(bind: survivor.id), \(bind: duplicate.id), \(bind: snapshot), \(bind: user.id), \(bind: now))
                """).run()
            var carried: [FieldChange] = []
            for step in carry { carried += try await step.carry(db, from: duplicate.id, to: survivor.id) }
            try await Audit.record(db, actor: user, action: "merge", entityType: "person", entityId: survivor.id, unitPath: try? UnitPath(survivor.unitPath),
                                   summary: "Gộp hồ sơ trùng \(duplicate.id) vào hồ sơ này",
                                   changes: before.changes(to: survivor) + carried + [FieldChange("merged_from", old: nil, new: duplicate.id)])
            try await Audit.record(db, actor: user, action: "merge", entityType: "person", entityId: duplicate.id, unitPath: try? UnitPath(duplicate.unitPath),
                                   summary: "Hồ sơ được gộp vào \(survivor.id)", changes: [FieldChange("merged_into", old: nil, new: survivor.id)])
            return survivor
        }
    }

    private func checkGroup(_ record: inout PersonRecord) async throws {
        guard let code = record.groupCode else { return }
        guard let group = try await directory.unit("\(record.unitPath)/\(code)"), group.isGroup else {
            throw AppError.invalid("Tổ dân phố \(code) không thuộc phường/xã đã chọn.", "Residential group \(code) is not in the chosen ward.", details: ["group_code": "unknown"])
        }
    }

    /// Citizen IDs are unique in the whole system: the same ID cannot be entered twice.
    package static func guardUniqueIDs(_ db: any SQLDatabase, _ record: PersonRecord, language: Language) async throws {
        guard let holder = try await PersonQueries.holder(db, citizenID: record.citizenId, oldID: record.oldId, excluding: record.id) else { return }
        let field = holder.citizenId == record.citizenId || holder.oldId == record.citizenId ? "citizen_id" : "old_id"
        throw AppError(.conflict, code: "duplicate_citizen_id",
                       vi: "Số định danh này đã có trong hệ thống (hồ sơ khác). Hãy tìm hồ sơ đó thay vì tạo mới.",
                       en: "This ID number is already registered to another record. Find that record instead of creating a new one.",
                       details: [field: "duplicate"])
    }
}
