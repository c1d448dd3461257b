import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// An F0 case as stored.
package struct CaseRecord: Codable, Sendable, Equatable {
    package var id: String
    package var caseNumber: String
    package var personId: String
    package var unitPath: String
    package var groupCode: String
    package var confirmedOn: String
    package var sampledOn: String?
    package var testType: String
    package var testPlace: String
    package var detectedIn: String
    package var symptomOnset: String?
    package var symptoms: String
    package var clinicalStatus: String
    package var careSetting: String
    package var facilityId: String?
    package var outcome: String
    package var outcomeOn: String?
    package var clusterId: String?
    package var notes: String
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package init(id: String, caseNumber: String, personId: String, unitPath: String, groupCode: String, confirmedOn: String, sampledOn: String? = nil, testType: String, testPlace: String, detectedIn: String, symptomOnset: String? = nil, symptoms: String, clinicalStatus: String, careSetting: String, facilityId: String? = nil, outcome: String, outcomeOn: String? = nil, clusterId: String? = nil, notes: String, createdBy: String, createdAt: String, updatedAt: String, version: Int) {
        self.id = id
        self.caseNumber = caseNumber
        self.personId = personId
        self.unitPath = unitPath
        self.groupCode = groupCode
        self.confirmedOn = confirmedOn
        self.sampledOn = sampledOn
        self.testType = testType
        self.testPlace = testPlace
        self.detectedIn = detectedIn
        self.symptomOnset = symptomOnset
        self.symptoms = symptoms
        self.clinicalStatus = clinicalStatus
        self.careSetting = careSetting
        self.facilityId = facilityId
        self.outcome = outcome
        self.outcomeOn = outcomeOn
        self.clusterId = clusterId
        self.notes = notes
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    static let columns = "id, case_number, person_id, unit_path, group_code, confirmed_on, sampled_on, test_type, test_place, detected_in, symptom_onset, symptoms, clinical_status, care_setting, facility_id, outcome, outcome_on, cluster_id, notes, created_by, created_at, updated_at, version"

    var outcomeValue: CaseOutcome { CaseOutcome(rawValue: outcome) ?? .active }
    var careValue: CareSetting { CareSetting(rawValue: careSetting) ?? .home }
    /// The stored confirmation day; a record that does not read back counts from 1970, visibly wrong rather than a crash.
    var confirmedDate: CivilDate { CivilDate(iso: confirmedOn) ?? CivilDate(dayNumber: 0) }
    var isCommunity: Bool { detectedIn == DetectionSetting.community.rawValue }

    /// The gauges and daily figures this case contributes while in its current state.

    package var counterContributions: [Counters.Change: Int] {
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
package struct ExposureRecord: Codable, Sendable, Equatable {
    package var id: String
    package var sourceId: String
    package var contactId: String
    package var day: String
    package var setting: String
    package var closeness: String
    package var note: String
    package var pairKey: String
    package var caseId: String?
    package var unitPath: String
    package var reachedAt: String?
    package var reachedBy: String?
    package var createdBy: String
    package var createdAt: String

    static let columns = "id, source_id, contact_id, day, setting, closeness, note, pair_key, case_id, unit_path, reached_at, reached_by, created_by, created_at"

    package static func pairKey(_ a: String, _ b: String, day: String) -> String {
        a < b ? "\(a)|\(b)|\(day)" : "\(b)|\(a)|\(day)"
    }
}

/// A person's derived contact level.
package struct ContactLevelRecord: Codable, Sendable, Equatable {
    package var personId: String
    package var level: Int
    package var since: String
    package var viaPersonId: String?
    package var unitPath: String
    package var groupCode: String
    package var updatedAt: String
}

package struct TracingTaskRecord: Codable, Sendable, Equatable {
    package var id: String
    package var caseId: String
    package var unitPath: String
    package var groupCode: String
    package var openedAt: String
    package var dueAt: String
    package var status: String
    package var closedAt: String?
    package var closedBy: String?
    package var note: String

    static let columns = "id, case_id, unit_path, group_code, opened_at, due_at, status, closed_at, closed_by, note"

    func isOverdue(now: Date) -> Bool { status == "open" && (Timestamp.date(dueAt).map { $0 < now } ?? false) }
}

package struct ClusterRecord: Codable, Sendable, Equatable {
    package var id: String
    package var name: String
    package var place: String
    package var unitPath: String
    package var groupCode: String
    package var startedOn: String
    package var status: String
    package var notes: String
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package static let columns = "id, name, place, unit_path, group_code, started_on, status, notes, created_by, created_at, updated_at, version"
}

/// Case numbers: "HN-" and a city-wide sequence, allocated inside the write's transaction.
package enum Sequences {
    static func next(_ db: any SQLDatabase, _ name: String) async throws -> Int {
        try await db.raw("INSERT INTO sequences (name, value) VALUES (\(bind: name), 0) ON CONFLICT (name) DO NOTHING").run()
        let row = try await db.raw("UPDATE sequences SET value = value + 1 WHERE name = \(bind: name) RETURNING value").first()
        return try row?.decode(column: "value", as: Int.self) ?? 1
    }

    package static func caseNumber(_ n: Int) -> String {
        var digits = String(n)
        while digits.count < 6 { digits = "0" + digits }
        return "HN-\(digits)"
    }
}
