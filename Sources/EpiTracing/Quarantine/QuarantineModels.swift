import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

package struct EpisodeRecord: Codable, Sendable, Equatable {
    package var id: String
    package var personId: String
    /// "quarantine" for contacts and arrivals, "isolation" for cases.
    package var kind: String
    package var subject: String
    package var setting: String
    package var facilityId: String?
    package var unitPath: String
    package var groupCode: String
    package var startDate: String
    package var plannedEnd: String
    package var monitoringEnd: String
    package var extraDays: Int
    package var ruleId: String
    package var status: String
    package var releasedOn: String?
    package var note: String
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package static let columns = "id, person_id, kind, subject, setting, facility_id, unit_path, group_code, start_date, planned_end, monitoring_end, extra_days, rule_id, status, released_on, note, created_by, created_at, updated_at, version"

    var isActive: Bool { status == "active" }
    var settingValue: CareSetting { CareSetting(rawValue: setting) ?? .home }

    /// The gauge this episode holds while active (cases are counted by their own care setting).
    var gauge: Metric? {
        guard kind == "quarantine" else { return nil }
        return settingValue == .home ? .quarantineHome : .quarantineFacility
    }
}

package struct EpisodeTestRecord: Codable, Sendable, Equatable {
    package var id: String
    package var episodeId: String
    package var dayNumber: Int
    package var dueOn: String
    package var takenOn: String?
    package var result: String
    package var recordedBy: String?
    package var recordedAt: String?

    static let columns = "id, episode_id, day_number, due_on, taken_on, result, recorded_by, recorded_at"
}

package struct FacilityRecord: Codable, Sendable, Equatable {
    package var id: String
    package var name: String
    package var kind: String
    package var unitPath: String
    package var groupCode: String
    package var address: String
    package var capacity: Int
    package var occupancy: Int
    package var active: Bool
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package init(id: String, name: String, kind: String, unitPath: String, groupCode: String, address: String, capacity: Int, occupancy: Int, active: Bool, createdAt: String, updatedAt: String, version: Int) {
        self.id = id
        self.name = name
        self.kind = kind
        self.unitPath = unitPath
        self.groupCode = groupCode
        self.address = address
        self.capacity = capacity
        self.occupancy = occupancy
        self.active = active
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.version = version
    }

    package static let columns = "id, name, kind, unit_path, group_code, address, capacity, occupancy, active, created_at, updated_at, version"

    var loadPercent: Int { capacity > 0 ? occupancy * 100 / capacity : 0 }

}

package struct TransferRecord: Codable, Sendable, Equatable {
    package var id: String
    package var personId: String
    package var episodeId: String?
    /// "to_facility", "to_hospital" or "return_home".
    package var kind: String
    package var facilityId: String?
    package var unitPath: String
    package var groupCode: String
    package var pickup: String
    package var destination: String
    package var vehicle: String
    package var scheduledAt: String
    /// "requested", "dispatched", "completed" or "cancelled".
    package var status: String
    package var requestedBy: String
    package var createdAt: String
    package var updatedAt: String
    package var completedAt: String?
    package var version: Int

    static let columns = "id, person_id, episode_id, kind, facility_id, unit_path, group_code, pickup, destination, vehicle, scheduled_at, status, requested_by, created_at, updated_at, completed_at, version"
}

/// Kinds of places that take people in.
enum FacilityKind: String, CaseIterable, Sendable {
    case quarantine
    case fieldHospital = "field_hospital"
    case hospital

    var labelVI: String {
        switch self {
        case .quarantine: return "Khu cách ly tập trung"
        case .fieldHospital: return "Bệnh viện dã chiến"
        case .hospital: return "Bệnh viện"
        }
    }

    var labelEN: String {
        switch self {
        case .quarantine: return "Centralized quarantine"
        case .fieldHospital: return "Field hospital"
        case .hospital: return "Hospital"
        }
    }
}
