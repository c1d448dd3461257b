import Crypto
import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// The result of importing a resident list, shown to the user and stored with the import.
package struct ImportReport: Codable, Sendable {
    package struct RowError: Codable, Sendable {
        package let line: Int
        package let column: String?
        package let message: String

        package init(line: Int, column: String?, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }
    }
    package var importId: String
    package var totalRows = 0
    package var inserted = 0
    /// Rows already in the registry (same citizen ID, or same name, birth date and ward) or repeated in the file.
    package var duplicates = 0
    package var failed = 0
    package var errors: [RowError] = []
    /// When the same file content was imported before (nothing new is added the second time).
    package var previousImportAt: String?
    /// True when that earlier import of the same file stopped before it finished (server stopped,
    /// database error): this run completes it.
    package var previousInterrupted = false

    mutating func add(_ written: ResidentImporter.Written) {
        inserted += written.inserted
        duplicates += written.rows - written.inserted
    }
}

/// Imports a CSV resident list into one ward. Policy (documented in docs/import.md): every bad row is
/// reported with its line number and reason, good rows are kept, and rows already present are skipped,
/// so importing the same file twice adds nothing.
package struct ResidentImporter: Sendable {
    let database: Database
    let directory: UnitDirectory
    /// The most rows written in one transaction.
    package var batchSize = 500
    /// On SQLite, how long one import transaction may hold the single writer while others need it.
    /// Every person view writes an audit row and queues behind it, so while anyone has waited for the
    /// writer in the last few seconds, batches shrink to what fits in this time on the machine at hand
    /// (`epicommand bench registry` measures a person page meanwhile); with nobody waiting they are
    /// whole, since small ones only cost the import. nil always writes whole `batchSize` batches.
    package var writeBudget: Duration? = .milliseconds(15)
    package var progress: (@Sendable (Int) -> Void)?

    package init(services: AppServices) {
        self.database = services.database
        self.directory = services.directory
    }

    package func run(bytes: [UInt8], filename: String, ward: UnitRecord, user: CurrentUser, language: Language = .vi) async throws -> ImportReport {
        let wardPath = try UnitPath(ward.path)
        guard user.can(.importResidents) else { throw AppError.forbidden }
        guard user.covers(wardPath), await directory.isLowestAdministrative(ward.path) else { throw AppError.notFound }
        let sha = Hex.encode(SHA256.hash(data: bytes))
        var report = ImportReport(importId: Identifier.make())
        let previous = try await database.read { db in
            try await db.raw("""
                SELECT created_at, status FROM imports WHERE kind = 'residents' AND content_sha256 = \(bind: sha) AND unit_path = \(bind: ward.path)
                ORDER BY created_at DESC LIMIT 1
                """).first()
        }
        report.previousImportAt = try previous?.decode(column: "created_at", as: String.self)
        report.previousInterrupted = try previous.map { try $0.decodeNil(column: "status") ? false : try $0.decode(column: "status", as: String.self) != "done" } ?? false
        var reader = CSVReader(bytes: bytes)
        let header: ResidentHeader
        do {
            guard let first = try reader.next() else {
                throw AppError.invalid("Tệp rỗng.", "The file is empty.")
            }
            header = try ResidentHeader(fields: first.fields)
        } catch let problem as ResidentRowProblem {
            throw AppError.invalid(problem.messageVI, problem.messageEN)
        } catch let error as CSVError {
            throw AppError.invalid(error.messageVI, error.messageEN)
        }
        // Recorded before the first row is written: an import that dies midway stays visible as unfinished,
        // and the retry of the same file says so.
        let startedReport = report
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO imports (id, kind, unit_path, content_sha256, filename, user_id, created_at, total_rows, inserted, duplicates, failed, errors, status)
                VALUES (\(bind: startedReport.importId), 'residents', \(bind: ward.path), \(bind: sha), \(bind: String(filename.prefix(200))), \(bind: user.id),
                        \(bind: Timestamp.now()), 0, 0, 0, 0, '[]', 'running')
                """).run()
        }
        do {
            let groups = Set(await directory.children(of: ward.path).filter(\.isGroup).map(\.code))
            var wardsByCode: [String: String] = [:]
            for unit in await directory.all() where !unit.isGroup {
                if let p = try? UnitPath(unit.path), user.covers(p) { wardsByCode[unit.code] = unit.path }
            }
            var seenKeys = Set<String>()
            var pending: Task<Written, any Error>?
            var batch: [PersonRecord] = []
            // Small batches while others wait for SQLite's writer, whole ones otherwise (see WriterShare).
            var share = await WriterShare.of(database, most: batchSize, budget: writeBudget)
            let now = Timestamp.now()
            func fail(_ line: Int, _ column: String?, _ vi: String, _ en: String) {
                report.failed += 1
                if report.errors.count < 5000 { report.errors.append(.init(line: line, column: column, message: language == .vi ? vi : en)) }
            }
            while true {
                let record: CSVRecord?
                do { record = try reader.next() } catch {
                    fail(0, nil, error.messageVI, error.messageEN)
                    break
                }
                guard let record else { break }
                report.totalRows += 1
                let row: ResidentRow
                switch ResidentRow.parse(record, header: header) {
                case .failure(let problem):
                    fail(problem.line, problem.column, problem.messageVI, problem.messageEN)
                    continue
                case .success(let parsed): row = parsed
                }
                var unitPath = ward.path
                if let code = row.wardCode, code != ward.code {
                    guard let path = wardsByCode[code] else {
                        fail(record.line, "ma_phuong", "Dòng \(record.line): mã phường/xã \(code) không thuộc địa bàn của bạn.", "Line \(record.line): ward code \(code) is not in your jurisdiction.")
                        continue
                    }
                    unitPath = path
                }
                if let group = row.groupCode, unitPath == ward.path, !groups.contains(group.uppercased()) {
                    fail(record.line, "to_dan_pho", "Dòng \(record.line): tổ dân phố \(group) chưa có trong \(ward.name).", "Line \(record.line): residential group \(group) does not exist in \(ward.name).")
                    continue
                }
                let name = row.fullName
                let folded = VietnameseText.fold(name)
                var citizen = row.citizenID
                var old = row.oldID
                if let c = citizen, c.kind == .cmnd, old == nil { old = c; citizen = nil }
                let key = citizen.map { "id:\($0.digits)" } ?? old.map { "id:\($0.digits)" } ?? "nb:\(folded)|\(row.birthDate?.iso ?? "")|\(unitPath)"
                guard seenKeys.insert(key).inserted else {
                    report.duplicates += 1
                    continue
                }
                batch.append(PersonRecord(
                    id: Identifier.make(), fullName: name, nameFolded: folded, givenFolded: VietnameseText.givenNameKey(name),
                    sex: row.sex?.rawValue, birthDate: row.birthDate?.iso, citizenId: citizen?.digits, oldId: old?.digits, phone: row.phone?.e164,
                    address: row.address, unitPath: unitPath, groupCode: row.groupCode?.uppercased(), householdCode: row.householdCode?.uppercased(),
                    residenceStatus: row.residenceStatus.rawValue, residentUntil: row.residenceStatus == .permanent ? nil : row.residentUntil?.iso,
                    mergedInto: nil, createdAt: now, updatedAt: now, version: 1))
                if batch.count >= share.target {
                    // Parse the next batch on this core while the previous one is written on the other.
                    if let writing = pending {
                        let written = try await writing.value
                        report.add(written)
                        await share.wrote(rows: written.rows, in: written.elapsed, on: database)
                    }
                    let rows = batch
                    batch.removeAll(keepingCapacity: true)
                    let importId = report.importId
                    let importer = self
                    pending = Task { try await importer.write(rows, importId: importId, user: user) }
                    progress?(report.totalRows)
                }
            }
            if let writing = pending { report.add(try await writing.value) }
            if !batch.isEmpty { report.add(try await write(batch, importId: report.importId, user: user)) }
            progress?(report.totalRows)
            // Large loads change the data's shape; fresh statistics keep scoped queries on their indexes.
            if report.inserted >= 10_000 { try await database.refreshStatistics(of: "persons") }
        } catch {
            // Rows already committed stay (each batch is whole); say exactly that, and how to finish.
            let saved = report
            _ = try? await database.transaction { db in try await Self.recordProgress(db, saved, status: "failed", errorsJSON: "[]") }
            if let appError = error as? AppError, appError.status != .internalServerError { throw appError }
            throw AppError(.internalServerError, code: "import_interrupted",
                           vi: "Nhập danh sách bị dừng giữa chừng: \(saved.inserted) người đã được lưu trước khi gặp lỗi, phần còn lại chưa lưu. Nhập lại đúng tệp này sẽ hoàn tất mà không tạo trùng.",
                           en: "The import stopped midway: \(saved.inserted) people were saved before the error, the rest were not. Importing the same file again completes it without duplicates.")
        }
        let finalReport = report
        let errorsJSON = String(decoding: try JSONEncoder().encode(finalReport.errors), as: UTF8.self)
        try await database.transaction { db in
            try await Self.recordProgress(db, finalReport, status: "done", errorsJSON: errorsJSON)
            try await Audit.record(db, actor: user, action: "import", entityType: "import", entityId: finalReport.importId, unitPath: wardPath,
                                   summary: "Nhập danh sách \(filename): \(finalReport.inserted) thêm mới, \(finalReport.duplicates) đã có, \(finalReport.failed) lỗi")
        }
        return report
    }

    /// Writes an import's counts and status to its `imports` row.
    private static func recordProgress(_ db: any SQLDatabase, _ report: ImportReport, status: String, errorsJSON: String) async throws {
        try await db.raw("""
            UPDATE imports SET total_rows = \(bind: report.totalRows), inserted = \(bind: report.inserted), duplicates = \(bind: report.duplicates),
            failed = \(bind: report.failed), errors = \(bind: errorsJSON), status = \(bind: status), finished_at = \(bind: Timestamp.now())
            WHERE id = \(bind: report.importId)
            """).run()
    }

    /// One batch written: rows offered, rows inserted, and how long its transaction took.
    package struct Written: Sendable {
        let rows: Int
        let inserted: Int
        let elapsed: Duration
    }

    /// Skips rows whose person is already registered, inserts the rest with one audit row each.
    private func write(_ rows: [PersonRecord], importId: String, user: CurrentUser) async throws -> Written {
        // Queueing for the writer counts too: it is the sign that others are using it.
        let clock = ContinuousClock()
        let started = clock.now
        let inserted = try await database.transaction { db -> Int in
            let ids = rows.flatMap { [$0.citizenId, $0.oldId].compactMap { $0 } }
            var existingIDs = Set<String>()
            for chunk in stride(from: 0, to: ids.count, by: 900).map({ Array(ids[$0..<min($0 + 900, ids.count)]) }) {
                let found = try await db.raw("SELECT citizen_id, old_id FROM persons WHERE citizen_id IN (\(binds: chunk)) OR old_id IN (\(binds: chunk))").all()
                for row in found {
                    if let c = try row.decodeNil(column: "citizen_id") ? nil : row.decode(column: "citizen_id", as: String.self) { existingIDs.insert(c) }
                    if let o = try row.decodeNil(column: "old_id") ? nil : row.decode(column: "old_id", as: String.self) { existingIDs.insert(o) }
                }
            }
            let noID = rows.filter { $0.citizenId == nil && $0.oldId == nil }
            var existingNameKeys = Set<String>()
            let names = Array(Set(noID.map(\.nameFolded)))
            for chunk in stride(from: 0, to: names.count, by: 900).map({ Array(names[$0..<min($0 + 900, names.count)]) }) {
                let found = try await db.raw("SELECT name_folded, birth_date, unit_path FROM persons WHERE name_folded IN (\(binds: chunk)) AND merged_into IS NULL").all()
                for row in found {
                    let birth = try row.decodeNil(column: "birth_date") ? "" : try row.decode(column: "birth_date", as: String.self)
                    existingNameKeys.insert("\(try row.decode(column: "name_folded", as: String.self))|\(birth)|\(try row.decode(column: "unit_path", as: String.self))")
                }
            }
            let fresh = rows.filter { r in
                if let c = r.citizenId, existingIDs.contains(c) { return false }
                if let o = r.oldId, existingIDs.contains(o) { return false }
                if r.citizenId == nil && r.oldId == nil && existingNameKeys.contains("\(r.nameFolded)|\(r.birthDate ?? "")|\(r.unitPath)") { return false }
                return true
            }
            for chunk in stride(from: 0, to: fresh.count, by: 500) {
                let slice = Array(fresh[chunk..<min(chunk + 500, fresh.count)])
                try await PersonQueries.insert(db, slice)
                var audit = db.insert(into: "audit_log").columns("id", "occurred_at", "user_id", "username", "action", "entity_type", "entity_id", "unit_path", "summary", "changes")
                let at = Timestamp.now()
                for p in slice {
                    audit = audit.values([Identifier.make(), at, user.id, user.username, "import", "person", p.id, p.unitPath, "Nhập từ danh sách (lần nhập \(importId))", nil as String?] as [any Encodable & Sendable])
                }
                try await audit.run()
            }
            return fresh.count
        }
        return Written(rows: rows.count, inserted: inserted, elapsed: clock.now - started)
    }
}

/// The CSV a ward downloads: its temporary and short-stay residents (or any chosen statuses).
package enum ResidentExport {
    package static let header = ["ho_ten", "gioi_tinh", "ngay_sinh", "so_dinh_danh", "cmnd", "so_dien_thoai", "dia_chi", "ma_phuong", "to_dan_pho", "ma_ho", "tinh_trang_cu_tru", "cu_tru_den"]

    /// Streams rows in keyset pages so a city-wide export never holds everything in memory at once.
    package static func csv(_ database: Database, scope: Scope, statuses: [ResidenceStatus], write: (String) async throws -> Void) async throws -> Int {
        try await write("\u{FEFF}" + CSVWriter.row(header))
        var after: (String, String)? = nil
        var count = 0
        let statusValues = statuses.map(\.rawValue)
        while true {
            var sql: SQLQueryString = "\(unsafeRaw: PersonQueries.select) WHERE merged_into IS NULL AND \(scope.condition()) AND residence_status IN (\(binds: statusValues))"
            if let (name, id) = after { sql = "\(sql) AND (name_folded > \(bind: name) OR (name_folded = \(bind: name) AND id > \(bind: id)))" }
            sql = "\(sql) ORDER BY name_folded, id LIMIT 5000"
            let query = sql
            let page = try await database.read { try await PersonQueries.fetch($0, query) }
            for p in page {
                let status = ResidenceStatus(rawValue: p.residenceStatus)
                try await write(CSVWriter.row([
                    p.fullName, p.sex.flatMap(Sex.init(rawValue:))?.labelVI ?? "", p.birthDate.flatMap { try? CivilDate(parsing: $0) }?.vietnamese ?? "",
                    p.citizenId ?? "", p.oldId ?? "", p.phone.flatMap { try? PhoneNumber(parsing: $0).national } ?? "", p.address,
                    (try? UnitPath(p.unitPath))?.code ?? "", p.groupCode ?? "", p.householdCode ?? "", status?.labelVI ?? p.residenceStatus,
                    p.residentUntil.flatMap { try? CivilDate(parsing: $0) }?.vietnamese ?? "",
                ]))
            }
            count += page.count
            guard page.count == 5000, let last = page.last else { break }
            after = (last.nameFolded, last.id)
        }
        return count
    }
}
