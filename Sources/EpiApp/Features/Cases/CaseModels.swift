import EpiCore
import Foundation
import SQLKit

/// An F0 case as stored.
public struct CaseRecord: Codable, Sendable, Equatable {
    public var id: String
    public var caseNumber: String
    public var personId: String
    public var unitPath: String
    public var groupCode: String
    public var confirmedOn: String
    public var sampledOn: String?
    public var testType: String
    public var testPlace: String
    public var detectedIn: String
    public var symptomOnset: String?
    public var symptoms: String
    public var clinicalStatus: String
    public var careSetting: String
    public var facilityId: String?
    public var outcome: String
    public var outcomeOn: String?
    public var clusterId: String?
    public var notes: String
    public var createdBy: String
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    static let columns = "id, case_number, person_id, unit_path, group_code, confirmed_on, sampled_on, test_type, test_place, detected_in, symptom_onset, symptoms, clinical_status, care_setting, facility_id, outcome, outcome_on, cluster_id, notes, created_by, created_at, updated_at, version"

    var outcomeValue: CaseOutcome { CaseOutcome(rawValue: outcome) ?? .active }
    var careValue: CareSetting { CareSetting(rawValue: careSetting) ?? .home }
    /// The stored confirmation day; a record that does not read back counts from 1970, visibly wrong rather than a crash.
    var confirmedDate: CivilDate { CivilDate(iso: confirmedOn) ?? CivilDate(dayNumber: 0) }
    var isCommunity: Bool { detectedIn == DetectionSetting.community.rawValue }

    /// The gauges and daily figures this case contributes while in its current state.
    var counterContributions: [Counters.Change: Int] {
        guard outcomeValue != .ruledOut else { return [:] }
        var out: [Counters.Change: Int] = [Counters.Change(unitPath, group: groupCode, .casesNew, day: confirmedDate): 1]
        if isCommunity { out[Counters.Change(unitPath, group: groupCode, .casesNewCommunity, day: confirmedDate)] = 1 }
        if outcomeValue.isActive {
            out[Counters.Change(unitPath, group: groupCode, .casesActive)] = 1
            let care: Metric = careValue == .home ? .isolationHome : careValue == .facility ? .isolationFacility : .hospital
            out[Counters.Change(unitPath, group: groupCode, care)] = 1
        }
        if let on = outcomeOn.flatMap(CivilDate.init(iso:)) {
            if outcomeValue == .recovered { out[Counters.Change(unitPath, group: groupCode, .casesRecovered, day: on)] = 1 }
            if outcomeValue == .died { out[Counters.Change(unitPath, group: groupCode, .casesDied, day: on)] = 1 }
        }
        return out
    }

    func changes(to other: CaseRecord) -> [FieldChange] {
        let pairs: [(String, String?, String?)] = [
            ("confirmed_on", confirmedOn, other.confirmedOn), ("sampled_on", sampledOn, other.sampledOn), ("test_type", testType, other.testType),
            ("test_place", testPlace, other.testPlace), ("detected_in", detectedIn, other.detectedIn), ("symptom_onset", symptomOnset, other.symptomOnset),
            ("symptoms", symptoms, other.symptoms), ("clinical_status", clinicalStatus, other.clinicalStatus), ("care_setting", careSetting, other.careSetting),
            ("facility_id", facilityId, other.facilityId), ("outcome", outcome, other.outcome), ("outcome_on", outcomeOn, other.outcomeOn),
            ("cluster_id", clusterId, other.clusterId), ("notes", notes, other.notes),
        ]
        return pairs.filter { $0.1 != $0.2 }.map { FieldChange($0.0, old: $0.1, new: $0.2) }
    }
}

/// A recorded exposure between two people.
public struct ExposureRecord: Codable, Sendable, Equatable {
    public var id: String
    public var sourceId: String
    public var contactId: String
    public var day: String
    public var setting: String
    public var closeness: String
    public var note: String
    public var pairKey: String
    public var caseId: String?
    public var unitPath: String
    public var reachedAt: String?
    public var reachedBy: String?
    public var createdBy: String
    public var createdAt: String

    static let columns = "id, source_id, contact_id, day, setting, closeness, note, pair_key, case_id, unit_path, reached_at, reached_by, created_by, created_at"

    static func pairKey(_ a: String, _ b: String, day: String) -> String {
        a < b ? "\(a)|\(b)|\(day)" : "\(b)|\(a)|\(day)"
    }
}

/// A person's derived contact level.
public struct ContactLevelRecord: Codable, Sendable, Equatable {
    public var personId: String
    public var level: Int
    public var since: String
    public var viaPersonId: String?
    public var unitPath: String
    public var groupCode: String
    public var updatedAt: String
}

public struct TracingTaskRecord: Codable, Sendable, Equatable {
    public var id: String
    public var caseId: String
    public var unitPath: String
    public var groupCode: String
    public var openedAt: String
    public var dueAt: String
    public var status: String
    public var closedAt: String?
    public var closedBy: String?
    public var note: String

    static let columns = "id, case_id, unit_path, group_code, opened_at, due_at, status, closed_at, closed_by, note"

    func isOverdue(now: Date) -> Bool { status == "open" && (Timestamp.date(dueAt).map { $0 < now } ?? false) }
}

public struct ClusterRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var place: String
    public var unitPath: String
    public var groupCode: String
    public var startedOn: String
    public var status: String
    public var notes: String
    public var createdBy: String
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    static let columns = "id, name, place, unit_path, group_code, started_on, status, notes, created_by, created_at, updated_at, version"
}

/// Case numbers: "HN-" and a city-wide sequence, allocated inside the write's transaction.
enum Sequences {
    static func next(_ db: any SQLDatabase, _ name: String) async throws -> Int {
        try await db.raw("INSERT INTO sequences (name, value) VALUES (\(bind: name), 0) ON CONFLICT (name) DO NOTHING").run()
        let row = try await db.raw("UPDATE sequences SET value = value + 1 WHERE name = \(bind: name) RETURNING value").first()
        return try row?.decode(column: "value", as: Int.self) ?? 1
    }

    static func caseNumber(_ n: Int) -> String {
        var digits = String(n)
        while digits.count < 6 { digits = "0" + digits }
        return "HN-\(digits)"
    }
}
