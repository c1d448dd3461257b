import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// A laboratory that receives tubes and sends results.
package struct LabRecord: Codable, Sendable, Equatable {
    package var id: String
    package var code: String
    package var name: String
    package var unitPath: String
    package var groupCode: String
    package var hl7Facility: String?
    package var active: Bool
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    static let columns = "id, code, name, unit_path, group_code, hl7_facility, active, created_by, created_at, updated_at, version"
}

package struct CampaignRecord: Codable, Sendable, Equatable {
    package var id: String
    package var name: String
    package var unitPath: String
    package var groupCode: String
    package var targetKind: String
    package var targetGroup: String?
    package var zoneId: String?
    package var test: String
    package var poolSize: Int
    package var startsOn: String
    package var deadlineOn: String
    package var status: String
    package var notes: String
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    static let columns = "id, name, unit_path, group_code, target_kind, target_group, zone_id, test, pool_size, starts_on, deadline_on, status, notes, created_by, created_at, updated_at, version"

    var startDay: CivilDate { CivilDate(iso: startsOn) ?? CivilDate(dayNumber: 0) }
    var deadlineDay: CivilDate { CivilDate(iso: deadlineOn) ?? CivilDate(dayNumber: 0) }
    var testValue: LabTest { LabTest(rawValue: test) ?? .rtPCR }
    var targetValue: CampaignTarget { CampaignTarget(rawValue: targetKind) ?? .units }
}

package struct PointRecord: Codable, Sendable, Equatable {
    package var id: String
    package var campaignId: String
    package var unitPath: String
    package var groupCode: String
    package var name: String
    package var address: String
    package var dailyCapacity: Int
    package var active: Bool
    package var createdBy: String
    package var createdAt: String

    static let columns = "id, campaign_id, unit_path, group_code, name, address, daily_capacity, active, created_by, created_at"
}

/// One tube.
package struct SampleRecord: Codable, Sendable, Equatable {
    package var id: String
    package var label: String
    package var campaignId: String?
    package var pointId: String?
    package var unitPath: String
    package var groupCode: String
    package var kind: String
    package var test: String
    package var poolSize: Int
    package var team: String
    package var symptomatic: Bool
    package var sampledAt: String
    package var sampledOn: String
    package var status: String
    package var batchId: String?
    package var labId: String?
    package var resultValue: String?
    package var resultedAt: String?
    package var resultId: String?
    package var createdBy: String
    package var createdAt: String

    static let columns = "id, label, campaign_id, point_id, unit_path, group_code, kind, test, pool_size, team, symptomatic, sampled_at, sampled_on, status, batch_id, lab_id, result_value, resulted_at, result_id, created_by, created_at"

    var kindValue: SampleKind { SampleKind(rawValue: kind) ?? .individual }
    var testValue: LabTest { LabTest(rawValue: test) ?? .rtPCR }

    var binds: [any Encodable & Sendable] {
        [id, label, campaignId, pointId, unitPath, groupCode, kind, test, poolSize, team, symptomatic, sampledAt, sampledOn, status, batchId, labId,
         resultValue, resultedAt, resultId, createdBy, createdAt]
    }
}

/// Someone sampled into a tube.
package struct MemberRecord: Codable, Sendable, Equatable {
    package var id: String
    package var sampleId: String
    package var position: Int
    package var personId: String?
    package var fullName: String
    package var nameFolded: String
    package var citizenId: String?
    package var phone: String?
    package var birthYear: Int?
    package var unitPath: String
    package var groupCode: String
    package var retestId: String?

    static let columns = "id, sample_id, position, person_id, full_name, name_folded, citizen_id, phone, birth_year, unit_path, group_code, retest_id"

    var binds: [any Encodable & Sendable] {
        [id, sampleId, position, personId, fullName, nameFolded, citizenId, phone, birthYear, unitPath, groupCode, retestId]
    }

    var identity: ResultMatching.Member {
        ResultMatching.Member(id: id, citizenID: citizenId.flatMap { $0.count == 12 ? $0 : nil }, oldID: citizenId.flatMap { $0.count == 9 ? $0 : nil },
                              nameFolded: nameFolded, birthYear: birthYear)
    }
}

package struct BatchRecord: Codable, Sendable, Equatable {
    package var id: String
    package var code: String
    package var unitPath: String
    package var groupCode: String
    package var pointId: String?
    package var labId: String
    package var sentAt: String
    package var expectedBy: String
    package var declaredCount: Int
    package var status: String
    package var receivedAt: String?
    package var receivedCount: Int?
    package var receivedBy: String?
    package var note: String
    package var carrier: String
    package var createdBy: String
    package var createdAt: String
    package var version: Int

    static let columns = "id, code, unit_path, group_code, point_id, lab_id, sent_at, expected_by, declared_count, status, received_at, received_count, received_by, note, carrier, created_by, created_at, version"

    var statusValue: BatchStatus { BatchStatus(rawValue: status) ?? .inTransit }

    func isLate(now: Date) -> Bool { statusValue == .inTransit && (Timestamp.date(expectedBy).map { $0 < now } ?? false) }
}

package struct ResultRecord: Codable, Sendable, Equatable {
    package var id: String
    package var sourceKey: String
    package var labId: String
    package var source: String
    package var messageId: String
    package var label: String
    package var sampleId: String?
    package var memberId: String?
    package var personId: String?
    package var test: String
    package var value: String
    package var status: String
    package var ct: Double?
    package var sampledAt: String?
    package var resultedAt: String
    package var receivedAt: String
    package var unitPath: String
    package var groupCode: String
    package var matchStatus: String
    package var reviewReason: String?
    package var reportedName: String
    package var reportedId: String
    package var reportedBirth: String
    package var reportedPhone: String
    package var action: String
    package var actionStatus: String
    package var caseId: String?
    package var reviewedBy: String?
    package var reviewedAt: String?
    package var reviewNote: String
    package var createdBy: String

    static let columns = "id, source_key, lab_id, source, message_id, label, sample_id, member_id, person_id, test, value, status, ct, sampled_at, resulted_at, received_at, unit_path, group_code, match_status, review_reason, reported_name, reported_id, reported_birth, reported_phone, action, action_status, case_id, reviewed_by, reviewed_at, review_note, created_by"

    /// The row's values in `columns`' order, for `BulkInsert`.
    func append(to cells: inout [SQLCell]) {
        cells.append(.text(id))
        cells.append(.text(sourceKey))
        cells.append(.text(labId))
        cells.append(.text(source))
        cells.append(.text(messageId))
        cells.append(.text(label))
        cells.append(SQLCell(sampleId))
        cells.append(SQLCell(memberId))
        cells.append(SQLCell(personId))
        cells.append(.text(test))
        cells.append(.text(value))
        cells.append(.text(status))
        cells.append(ct.map { .real($0) } ?? .null)
        cells.append(SQLCell(sampledAt))
        cells.append(.text(resultedAt))
        cells.append(.text(receivedAt))
        cells.append(.text(unitPath))
        cells.append(.text(groupCode))
        cells.append(.text(matchStatus))
        cells.append(SQLCell(reviewReason))
        cells.append(.text(reportedName))
        cells.append(.text(reportedId))
        cells.append(.text(reportedBirth))
        cells.append(.text(reportedPhone))
        cells.append(.text(action))
        cells.append(.text(actionStatus))
        cells.append(SQLCell(caseId))
        cells.append(SQLCell(reviewedBy))
        cells.append(SQLCell(reviewedAt))
        cells.append(.text(reviewNote))
        cells.append(.text(createdBy))
    }

    var valueKind: TestResultValue { TestResultValue(rawValue: value) ?? .inconclusive }
    var testKind: LabTest { LabTest(rawValue: test) ?? .rtPCR }
    var statusKind: TestResultStatus { TestResultStatus(rawValue: status) ?? .final }
}

package struct RetestRecord: Codable, Sendable, Equatable {
    package var id: String
    package var resultId: String
    package var sampleId: String?
    package var memberId: String?
    package var personId: String?
    package var fullName: String
    package var unitPath: String
    package var groupCode: String
    package var reason: String
    package var status: String
    package var createdAt: String
    package var newSampleId: String?
    package var closedAt: String?
    /// Set when a ward closed the task by hand: the result it was told (a `TestResultValue`), or the
    /// reason it cancelled, and who.
    package var outcome: String? = nil
    package var closeNote: String? = nil
    package var closedBy: String? = nil

    /// What a task is created with (`INSERT`); `readColumns` adds what closing it by hand writes.
    static let columns = "id, result_id, sample_id, member_id, person_id, full_name, unit_path, group_code, reason, status, created_at, new_sample_id, closed_at"
    static let readColumns = columns + ", outcome, close_note, closed_by"
}

/// Keyset cursors for lists ordered by (instant, id), newest first.
enum Cursor {
    static func encode(_ at: String, _ id: String) -> String {
        Data("\(at)|\(id)".utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String?) -> (String, String)? {
        guard let cursor, cursor.count <= 400 else { return nil }
        var b64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "|", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}

extension String {
    var trimmed: String { trimmedWhitespace }
    /// nil when blank after trimming.
    var nonBlank: String? { let t = trimmed; return t.isEmpty ? nil : t }
}

extension Optional where Wrapped == String {
    var nonBlank: String? { self?.nonBlank }
}
