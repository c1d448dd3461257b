import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// How a ward closes a newcomer's re-test task: `result` when closing it as done (a
/// `TestResultValue`: `not_detected`, `detected`, `inconclusive`, `invalid`), `reason` when cancelling.
package struct RetestCloseInput: Codable, Sendable {
    package var result: String?
    package var reason: String?
    package var note: String?

    package init(result: String? = nil, reason: String? = nil, note: String? = nil) {
        self.result = result
        self.reason = reason
        self.note = note
    }
}

/// Closing re-test tasks by hand. A registered person's task follows their tubes (sampled again, then
/// resulted, or closed when they become an F0); a newcomer's, kept by name only, has nothing to follow,
/// so the ward that sees it closes it: done with the result it learnt, or cancelled with a reason.
package struct RetestService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package enum Outcome: Sendable { case done, cancelled }

    package func close(id: String, _ input: RetestCloseInput, as outcome: Outcome, user: CurrentUser, language l: Language) async throws -> RetestRecord {
        guard user.can(.collectSamples) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        var picked: TestResultValue?
        var written = (input.note ?? "").trimmed
        switch outcome {
        case .done:
            guard let raw = input.result.nonBlank else {
                throw AppError.invalid("Chọn kết quả xét nghiệm lại.", "Choose the re-test's result.", details: ["result": l == .vi ? "Chọn kết quả." : "Choose the result."])
            }
            guard let v = TestResultValue(rawValue: raw) else {
                throw AppError.invalid("Kết quả không hợp lệ.", "Unknown result.", details: ["result": l == .vi ? "Kết quả không hợp lệ." : "Unknown result."])
            }
            picked = v
        case .cancelled:
            guard let reason = (input.reason ?? input.note).nonBlank else {
                throw AppError.invalid("Ghi lý do hủy nhiệm vụ xét nghiệm lại.", "Give the reason for cancelling the re-test.",
                                       details: ["reason": l == .vi ? "Ghi lý do." : "Give the reason."])
            }
            written = reason
        }
        let status: RetestStatus = outcome == .done ? .done : .cancelled
        let (value, note) = (picked, String(written.prefix(TextLimits.title)))
        return try await database.transaction { db in
            guard var task = try await db.raw("SELECT \(unsafeRaw: RetestRecord.readColumns) FROM retests WHERE id = \(bind: id) AND \(scope.condition())")
                .first(decoding: RetestRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            guard task.personId == nil else {
                throw AppError(.conflict, code: "retest_follows_person", vi: "Nhiệm vụ của người đã có hồ sơ tự đóng khi người đó được lấy mẫu lại và có kết quả.",
                               en: "A registered person's task closes by itself once they are sampled again and resulted.")
            }
            guard task.status == RetestStatus.open.rawValue || task.status == RetestStatus.sampled.rawValue else {
                throw AppError(.conflict, code: "retest_closed", vi: "Nhiệm vụ xét nghiệm lại này đã đóng.", en: "This re-test task is already closed.")
            }
            let before = task.status
            task.status = status.rawValue
            task.closedAt = Timestamp.now()
            task.outcome = value?.rawValue
            task.closeNote = note.isEmpty ? nil : note
            task.closedBy = user.username
            // Guarded on the status read, so of two people closing at once one wins and the task leaves the count once.
            guard try await db.raw("""
                UPDATE retests SET status = \(bind: task.status), closed_at = \(bind: task.closedAt), outcome = \(bind: task.outcome), close_note = \(bind: task.closeNote),
                closed_by = \(bind: task.closedBy) WHERE id = \(bind: task.id) AND status = \(bind: before) RETURNING id
                """).first() != nil else {
                throw AppError(.conflict, code: "retest_closed", vi: "Nhiệm vụ xét nghiệm lại này đã đóng.", en: "This re-test task is already closed.")
            }
            if before == RetestStatus.open.rawValue {
                try await Counters.apply(db, [Counters.Change(task.unitPath, group: task.groupCode, .testRetestsOpen): -1])
            }
            let summary = switch outcome {
            case .done: "Đóng nhiệm vụ xét nghiệm lại của \(task.fullName): \(value?.labelVI ?? "")\(note.isEmpty ? "" : " (\(note))")"
            case .cancelled: "Hủy nhiệm vụ xét nghiệm lại của \(task.fullName): \(note)"
            }
            var changes = [FieldChange("status", old: before, new: task.status)]
            if let value { changes.append(FieldChange("outcome", old: nil, new: value.rawValue)) }
            try await Audit.record(db, actor: user, action: outcome == .done ? "close" : "cancel", entityType: "retest", entityId: task.id,
                                   unitPath: try? UnitPath(task.unitPath), summary: summary, changes: changes)
            return task
        }
    }
}
