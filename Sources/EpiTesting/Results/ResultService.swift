import Crypto
import EpiCore
import EpiLabFormats
import EpiPlatform
import EpiRegistry
import Foundation
import Logging
import SQLKit

/// What an import of lab results did.
package struct ResultImportReport: Codable, Sendable {
    package struct RowError: Codable, Sendable, Equatable {
        package let line: Int
        package let message: String
    }

    package var importId: String
    package var lab: String = ""
    package var totalRows = 0
    package var added = 0
    /// Results stored before (the same file, message or Bundle sent again): nothing was added for them.
    package var alreadyRecorded = 0
    package var failed = 0
    package var matched = 0
    package var personOnly = 0
    package var review = 0
    package var positives = 0
    package var casesOpened = 0
    package var retests = 0
    package var errors: [RowError] = []
    package var previousImportAt: String?

    mutating func count(_ outcomes: [IngestOutcome], _ items: [IncomingResult]) {
        for (o, item) in zip(outcomes, items) {
            switch o {
            case .repeated: alreadyRecorded += 1
            case .added(_, let match, _, _):
                added += 1
                switch match {
                case .matched: matched += 1
                case .personOnly: personOnly += 1
                case .review, .dismissed: review += 1
                }
                if item.value == .detected { positives += 1 }
            }
        }
    }

    mutating func count(_ summary: ResultActions.Summary) {
        casesOpened += summary.casesOpened
        retests += summary.retests
    }
}

/// Lab results in: CSV files, HL7 v2.5.1 ORU^R01 messages (HTTP and MLLP) and FHIR R4 Bundles, all
/// through `ResultIngest` and `ResultActions`.
package struct ResultService: Sendable {
    let services: AppServices
    /// The most rows written in one transaction. Each commit rewrites every index page its rows touched
    /// (a result touches a dozen indexes and its tube), so while nobody else needs SQLite's writer,
    /// batches of 5,000 import a file 28 % faster than batches of 1,000 (`bench testing`, 200,000 rows).
    package var batchSize = 5000
    /// On SQLite, how long one batch may hold the single writer while others need it (a lab's MLLP
    /// group, a page's audit row): see `WriterShare`. nil always writes whole batches.
    package var writeBudget: Duration? = .milliseconds(15)

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    /// The lab a request acts for: the one it names (by code or id) among those the viewer may act for,
    /// or a lab account's only lab.
    package func lab(_ raw: String?, viewer: TestingViewer) async throws -> LabRecord {
        let labs = try await database.read { try await TestingQueries.labs($0) }.filter(viewer.actsFor)
        if let raw = raw?.nonBlank {
            guard let lab = labs.first(where: { $0.code.caseInsensitiveCompare(raw) == .orderedSame || $0.id == raw }) else {
                throw AppError(.notFound, code: "unknown_lab", vi: "Không có phòng xét nghiệm '\(raw.prefix(40))' trong phạm vi của bạn.",
                               en: "No laboratory '\(raw.prefix(40))' within your reach.", details: ["lab": "unknown"])
            }
            return lab
        }
        guard labs.count == 1, let only = labs.first else {
            throw AppError.invalid("Chọn phòng xét nghiệm gửi kết quả.", "Choose the laboratory the results come from.", details: ["lab": "required"])
        }
        return only
    }

    // MARK: CSV

    /// Imports a CSV of results: each bad row is reported with its line and reason, good rows are kept,
    /// and a file sent again adds nothing (each result is keyed by lab, tube, test and result time).
    /// `onBatch` hears, after each batch, when its results committed, the F0s they opened (committed in
    /// the same transaction) and how long the transaction held the writer (`epicommand bench testing`).
    package func importCSV(bytes: [UInt8], filename: String, lab: LabRecord, actor: CurrentUser, language: Language,
                           onBatch: (@Sendable (_ committed: Date, _ casesOpened: [Date], _ writing: Duration) -> Void)? = nil) async throws -> ResultImportReport {
        guard actor.can(.enterResults) else { throw AppError.forbidden }
        let sha = Hex.encode(SHA256.hash(data: bytes))
        var report = ResultImportReport(importId: Identifier.make(), lab: lab.name)
        report.previousImportAt = try await database.read { db in
            try await db.raw("SELECT created_at FROM imports WHERE kind = 'lab_results' AND content_sha256 = \(bind: sha) AND unit_path = \(bind: lab.unitPath) ORDER BY created_at DESC LIMIT 1")
                .first()?.decode(column: "created_at", as: String.self)
        }
        var reader = CSVReader(bytes: bytes)
        let header: ResultCSVHeader
        do {
            guard let first = try reader.next() else { throw AppError.invalid("Tệp rỗng.", "The file is empty.") }
            header = try ResultCSVHeader(fields: first.fields)
        } catch let problem as any InputProblem {
            throw AppError.invalid(problem.messageVI, problem.messageEN)
        }
        let started = report
        try await database.transaction { db in
            try await db.raw("""
                INSERT INTO imports (id, kind, unit_path, content_sha256, filename, user_id, created_at, total_rows, inserted, duplicates, failed, errors, status)
                VALUES (\(bind: started.importId), 'lab_results', \(bind: lab.unitPath), \(bind: sha), \(bind: String(filename.prefix(200))), \(bind: actor.id),
                        \(bind: Timestamp.now()), 0, 0, 0, 0, '[]', 'running')
                """).run()
        }
        let now = Clock.now()
        func fail(_ line: Int, _ vi: String, _ en: String) {
            report.failed += 1
            if report.errors.count < 5000 { report.errors.append(.init(line: line, message: language == .vi ? "Dòng \(line): \(vi)" : "Line \(line): \(en)")) }
        }
        var batch: [IncomingResult] = []
        var pending: Task<Written, any Error>?
        var share = await WriterShare.of(database, most: batchSize, budget: writeBudget)
        let service = self
        do {
            while true {
                let record: CSVRecord?
                do { record = try reader.next() } catch {
                    fail(0, error.messageVI, error.messageEN)
                    break
                }
                guard let record else { break }
                if record.fields.allSatisfy({ $0.trimmedWhitespace.isEmpty }) { continue }
                report.totalRows += 1
                switch ResultCSV.row(record, header: header, now: now) {
                case .failure(let reason): fail(record.line, reason.vi, reason.en)
                case .success(let item): batch.append(item)
                }
                if batch.count >= share.target {
                    // Read the next rows on this core while the previous batch is written on the other.
                    if let writing = pending {
                        let done = try await writing.value
                        report.count(done.outcomes, done.items)
                        report.count(done.actions)
                        await share.wrote(rows: done.items.count, in: done.elapsed, on: database)
                    }
                    let items = batch
                    batch.removeAll(keepingCapacity: true)
                    pending = Task { try await service.writeBatch(items, lab: lab, source: .csv, messageID: filename, actor: actor, onBatch: onBatch) }
                }
            }
            if let writing = pending {
                let done = try await writing.value
                report.count(done.outcomes, done.items)
                report.count(done.actions)
            }
            if !batch.isEmpty {
                let done = try await writeBatch(batch, lab: lab, source: .csv, messageID: filename, actor: actor, onBatch: onBatch)
                report.count(done.outcomes, done.items)
                report.count(done.actions)
            }
        } catch {
            let saved = report
            _ = try? await database.transaction { db in try await Self.recordProgress(db, saved, status: "failed") }
            if let appError = error as? AppError, appError.status != .internalServerError { throw appError }
            throw AppError(.internalServerError, code: "import_interrupted",
                           vi: "Nhập kết quả bị dừng giữa chừng: \(saved.added) kết quả đã được lưu trước khi gặp lỗi. Nhập lại đúng tệp này sẽ hoàn tất mà không tạo trùng.",
                           en: "The import stopped midway: \(saved.added) results were saved before the error. Importing the same file again completes it without duplicates.")
        }
        if report.added >= 10_000 { try await database.refreshStatistics(of: "test_results") }
        let final = report
        try await database.transaction { db in
            try await Self.recordProgress(db, final, status: "done")
            try await Audit.record(db, actor: actor, action: "import", entityType: "lab_results", entityId: final.importId, unitPath: try? UnitPath(lab.unitPath),
                                   summary: "Nhập kết quả \(lab.name) từ \(filename.prefix(100)): \(final.added) mới, \(final.alreadyRecorded) đã có, \(final.failed) dòng lỗi, \(final.review) chờ đối chiếu")
        }
        return report
    }

    struct Written: Sendable {
        let outcomes: [IngestOutcome]
        let items: [IncomingResult]
        let actions: ResultActions.Summary
        /// The batch's transaction (results and their actions), queueing for the writer included.
        let elapsed: Duration
    }

    /// One transaction of results and what they make happen (F0s, re-tests), each action under its own
    /// savepoint, so an F0 is readable the moment its positive is.
    func writeBatch(_ items: [IncomingResult], lab: LabRecord, source: ResultSource, messageID: String, actor: CurrentUser,
                    onBatch: (@Sendable (Date, [Date], Duration) -> Void)? = nil) async throws -> Written {
        let clock = ContinuousClock()
        let started = clock.now
        let (outcomes, done) = try await database.transaction { db in
            let outcomes = try await ResultIngest.write(db, items, lab: lab, source: source, messageID: messageID, actor: actor)
            let pending = Self.pendingIDs(outcomes)
            let actions = pending.isEmpty ? ResultActions.Summary() : try await ResultActions.runInside(db, resultIDs: pending, actor: actor)
            return (outcomes, actions)
        }
        let elapsed = clock.now - started
        let committed = Date()
        var actions = done
        actions.opened = done.opened.map { ($0.resultID, $0.caseID, committed) }
        onBatch?(committed, actions.opened.map(\.at), elapsed)
        return Written(outcomes: outcomes, items: items, actions: actions, elapsed: elapsed)
    }

    static func pendingIDs(_ outcomes: [IngestOutcome]) -> [String] {
        outcomes.compactMap { o in
            if case .added(let id, _, _, let action) = o, action != .none { return id }
            return nil
        }
    }

    private static func recordProgress(_ db: any SQLDatabase, _ report: ResultImportReport, status: String) async throws {
        let errors = String(decoding: try JSONEncoder().encode(report.errors.prefix(5000).map { ImportReport.RowError(line: $0.line, column: nil, message: $0.message) }), as: UTF8.self)
        try await db.raw("""
            UPDATE imports SET total_rows = \(bind: report.totalRows), inserted = \(bind: report.added), duplicates = \(bind: report.alreadyRecorded),
            failed = \(bind: report.failed), errors = \(bind: errors), status = \(bind: status), finished_at = \(bind: Timestamp.now()) WHERE id = \(bind: report.importId)
            """).run()
    }
}
