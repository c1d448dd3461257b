import Crypto
import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// What a dose import did: rows read, doses added, doses already recorded, and each bad row with its line.
package struct DoseImportReport: Codable, Sendable {
    package struct LineError: Codable, Sendable { package let line: Int; package let message: String }
    package var importId: String
    package var totalRows = 0
    package var inserted = 0
    package var duplicates = 0
    package var failed = 0
    package var errors: [LineError] = []
}

/// Imports doses given by other systems, matched by CCCD to people in the importer's jurisdiction. The
/// same person, dose number and date is one record (a unique index and `ON CONFLICT DO NOTHING`), so a
/// file sent twice, or two files overlapping, add each dose once.
package struct DoseImportService: Sendable {
    let services: AppServices
    package init(services: AppServices) { self.services = services }
    /// Rows per transaction (one lookup of people, one coverage update).
    static let batchSize = 5_000
    /// A dose row, skipped when the same person, dose number and date is already recorded.
    static let insert = BulkInsert(into: "vaccine_doses", columns: DoseRecord.columns.split(separator: ",").map { $0.trimmedWhitespace },
                                   skippingConflictsOn: ["person_id", "dose_number", "given_on"], idColumn: "id")

    package func importCSV(bytes: [UInt8], filename: String, user: CurrentUser, language l: Language) async throws -> DoseImportReport {
        guard user.can(.importDoses) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        var reader = CSVReader(bytes: bytes)
        let header: DoseCSVHeader
        do {
            guard let first = try reader.next() else { throw AppError.invalid("Tệp rỗng.", "The file is empty.") }
            header = try DoseCSVHeader(fields: first.fields)
        } catch let problem as DoseCSVProblem {
            throw AppError.invalid(problem.vi, problem.en, details: ["file": problem.vi])
        } catch let error as CSVError {
            throw AppError.invalid(error.messageVI, error.messageEN)
        }
        var report = DoseImportReport(importId: Identifier.make())
        func fail(_ line: Int, _ vi: String, _ en: String) {
            report.failed += 1
            if report.errors.count < 5_000 { report.errors.append(.init(line: line, message: l == .vi ? "Dòng \(line): \(vi)" : "Line \(line): \(en)")) }
        }
        let today = Clock.today()
        // A dose may name any group of the list, retired ones too: it may have been given while one was in use.
        let knownGroups = header.priorityGroup == nil ? [] : Set(try await VaccinationService(services: services).priorityGroups().map(\.code))
        var batch: [DoseCSVRow] = []
        // The next batch is read and checked while the previous one is written: parsing runs here and the
        // database on its own thread, so the two overlap on a second core. Writes still go one at a
        // time and in file order; a batch's result is counted before the next batch is sent.
        var writing: Task<Written, any Error>?
        func settle() async throws {
            guard let task = writing else { return }
            writing = nil
            let written = try await task.value
            report.inserted += written.inserted
            report.duplicates += written.duplicates
            for line in written.unknown { fail(line, "Không tìm thấy CCCD trong danh sách cư trú của địa bàn.", "No resident of your jurisdiction has this citizen ID.") }
            for c in written.conflicts { fail(c.line, c.vi, c.en) }
        }
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let rows = batch
            batch.removeAll(keepingCapacity: true)
            try await settle()
            writing = Task { [self] in try await write(rows, scope: scope, user: user) }
        }
        while true {
            let record: CSVRecord?
            do { record = try reader.next() } catch {
                fail(0, error.messageVI, error.messageEN)
                break
            }
            guard let record else { break }
            if record.fields.allSatisfy({ $0.trimmedWhitespace.isEmpty }) { continue }
            report.totalRows += 1
            switch DoseCSV.row(record, header: header, today: today) {
            case .failure(let p): fail(record.line, p.vi, p.en)
            case .success(let row) where !row.priorityGroup.isEmpty && !knownGroups.contains(row.priorityGroup):
                fail(record.line, "Nhóm ưu tiên '\(row.priorityGroup)' không có trong danh sách.", "Priority group '\(row.priorityGroup)' is not in the list.")
            case .success(let row): batch.append(row)
            }
            if batch.count >= Self.batchSize { try await flush() }
        }
        try await flush()
        try await settle()
        report.errors.sort { $0.line < $1.line }
        let final = report
        let sha = Hex.encode(SHA256.hash(data: bytes))
        let errorsJSON = String(decoding: try JSONEncoder().encode(final.errors.prefix(200).map(\.message)), as: UTF8.self)
        try await services.database.transaction { db in
            try await db.raw("""
                INSERT INTO imports (id, kind, unit_path, content_sha256, filename, user_id, created_at, total_rows, inserted, duplicates, failed, errors, status)
                VALUES (\(bind: final.importId), 'vaccine_doses', \(bind: user.unitPath.string), \(bind: sha), \(bind: String(filename.prefix(200))), \(bind: user.id),
                        \(bind: Timestamp.now()), \(bind: final.totalRows), \(bind: final.inserted), \(bind: final.duplicates), \(bind: final.failed), \(bind: errorsJSON), 'done')
                """).run()
            try await Audit.record(db, actor: user, action: "import", entityType: "vaccine_doses", entityId: final.importId, unitPath: user.unitPath,
                                   summary: "Nhập \(final.inserted) mũi tiêm (\(final.duplicates) đã có, \(final.failed) dòng lỗi) từ \(filename.prefix(100))")
        }
        return final
    }

    /// What one batch did: doses added, already there, lines whose CCCD matched nobody in scope, and rows
    /// that contradict the person's recorded history.
    struct Written: Sendable {
        struct Conflict: Sendable { let line: Int; let vi: String; let en: String }
        var inserted = 0, duplicates = 0
        var unknown: [Int] = []
        var conflicts: [Conflict] = []
    }

    /// Writes one batch in one transaction.
    private func write(_ rows: [DoseCSVRow], scope: Scope, user: CurrentUser) async throws -> Written {
        try await services.database.transaction { db in
            // Only what a dose row needs, decoded by column (the Codable path with key conversion cost more than the insert).
            struct Match { let id: String; let birthDate: String?; let unitPath: String; let groupCode: String? }
            var people: [String: Match] = [:]
            // The doses these people already have, by number and by day, read in the same query. A second
            // "dose 1" on another day (a corrected date sent as a new row, another system's numbering) or a
            // second dose on one day would count the person twice in coverage: reported with its line, not
            // added. Earlier batches of the file are committed by now, and each row joins the history for the
            // rows after it.
            var byNumber: [String: [Int: String]] = [:], byDay: [String: [String: Int]] = [:]
            let ids = Array(Set(rows.map(\.citizenID)))
            for start in stride(from: 0, to: ids.count, by: 2_000) {
                let chunk = ids[start..<min(start + 2_000, ids.count)].map { SQLBind($0) }
                for p in try await db.raw("""
                    SELECT p.id, p.birth_date, p.citizen_id, p.unit_path, p.group_code, d.dose_number, d.given_on FROM persons p
                    LEFT JOIN vaccine_doses d ON d.person_id = p.id
                    WHERE p.citizen_id IN (\(SQLList(chunk))) AND p.merged_into IS NULL AND \(scope.condition("p"))
                    """).all() {
                    guard let c = try p.decode(column: "citizen_id", as: String?.self) else { continue }
                    let id = try p.decode(column: "id", as: String.self)
                    if people[c] == nil {
                        people[c] = Match(id: id, birthDate: try p.decode(column: "birth_date", as: String?.self),
                                          unitPath: try p.decode(column: "unit_path", as: String.self), groupCode: try p.decode(column: "group_code", as: String?.self))
                    }
                    guard let n = try p.decode(column: "dose_number", as: Int?.self), let day = try p.decode(column: "given_on", as: String?.self) else { continue }
                    if byNumber[id, default: [:]][n] == nil { byNumber[id, default: [:]][n] = day }
                    if byDay[id, default: [:]][day] == nil { byDay[id, default: [:]][day] = n }
                }
            }
            var out = Written()
            let now = Timestamp.now()
            struct Pending { let unitPath: String; let day: String; let ageGroup: String?; let counts: String }
            var pending: [Pending] = []
            pending.reserveCapacity(rows.count)
            var cells: [SQLCell] = []
            cells.reserveCapacity(rows.count * Self.insert.columns.count)
            for row in rows {
                guard let person = people[row.citizenID] else { out.unknown.append(row.line); continue }
                let day = row.date.iso
                if let other = byNumber[person.id]?[row.doseNumber], other != day {
                    let shown = CivilDate(iso: other)?.vietnamese ?? other
                    out.conflicts.append(.init(line: row.line, vi: "Người này đã có mũi \(row.doseNumber) ngày \(shown); mũi \(row.doseNumber) ngày \(row.date.vietnamese) không được thêm để không đếm hai lần. Kiểm tra lại với nơi tiêm.",
                                               en: "This person already has dose \(row.doseNumber) on \(shown); dose \(row.doseNumber) on \(row.date.vietnamese) is not added, so it is not counted twice. Check with the site."))
                    continue
                }
                if let other = byDay[person.id]?[day], other != row.doseNumber {
                    out.conflicts.append(.init(line: row.line, vi: "Người này đã có mũi \(other) ngày \(row.date.vietnamese): một ngày chỉ tiêm một mũi, mũi \(row.doseNumber) không được thêm.",
                                               en: "This person already has dose \(other) on \(row.date.vietnamese): one dose a day, dose \(row.doseNumber) is not added."))
                    continue
                }
                byNumber[person.id, default: [:]][row.doseNumber] = day
                byDay[person.id, default: [:]][day] = row.doseNumber
                let ageGroup = person.birthDate.flatMap { CivilDate(iso: $0) }.map { $0.age(on: row.date) }.flatMap { AgeGroup.of(age: $0) }?.rawValue
                let counts = VaccinationRules.counts(number: row.doseNumber, seriesDoses: row.product.seriesDoses).map(\.rawValue).joined(separator: ",")
                pending.append(Pending(unitPath: person.unitPath, day: day, ageGroup: ageGroup, counts: counts))
                // In DoseRecord.columns' order; appended one by one, as a literal array per row would allocate.
                cells.append(.text(Identifier.make()))
                cells.append(.text(person.id))
                cells.append(.text(person.unitPath))
                cells.append(.text(person.groupCode ?? ""))
                cells.append(SQLCell(ageGroup))
                cells.append(.integer(row.doseNumber))
                cells.append(.text(counts))
                cells.append(.text(day))
                cells.append(.text(row.product.code))
                cells.append(.text(row.product.manufacturerCode))
                cells.append(.text(row.lot))
                cells.append(.null)  // lot_id, site_id, session_id: given elsewhere
                cells.append(.null)
                cells.append(.null)
                cells.append(.text("import"))
                cells.append(.text(user.username))
                cells.append(.text(now))
                cells.append(.text(row.priorityGroup))
            }
            // A row not written was already recorded (or repeated in this very file): only the written ones
            // count towards coverage, summed and applied once per batch.
            let written = try await Self.insert.run(db, cells: cells)
            var tally = CoverageTally()
            for (p, new) in zip(pending, written) where new { tally.add(unitPath: p.unitPath, day: p.day, ageGroup: p.ageGroup, counts: p.counts) }
            try await tally.apply(db)
            out.inserted = written.count(where: { $0 })
            out.duplicates = pending.count - out.inserted
            return out
        }
    }
}
