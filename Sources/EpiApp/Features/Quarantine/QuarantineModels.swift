import EpiCore
import Foundation
import SQLKit

public struct EpisodeRecord: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    /// "quarantine" for contacts and arrivals, "isolation" for cases.
    public var kind: String
    public var subject: String
    public var setting: String
    public var facilityId: String?
    public var unitPath: String
    public var groupCode: String
    public var startDate: String
    public var plannedEnd: String
    public var monitoringEnd: String
    public var extraDays: Int
    public var ruleId: String
    public var status: String
    public var releasedOn: String?
    public var note: String
    public var createdBy: String
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    static let columns = "id, person_id, kind, subject, setting, facility_id, unit_path, group_code, start_date, planned_end, monitoring_end, extra_days, rule_id, status, released_on, note, created_by, created_at, updated_at, version"

    var isActive: Bool { status == "active" }
    var settingValue: CareSetting { CareSetting(rawValue: setting) ?? .home }

    /// The gauge this episode holds while active (cases are counted by their own care setting).
    var gauge: Metric? {
        guard kind == "quarantine" else { return nil }
        return settingValue == .home ? .quarantineHome : .quarantineFacility
    }
}

public struct EpisodeTestRecord: Codable, Sendable, Equatable {
    public var id: String
    public var episodeId: String
    public var dayNumber: Int
    public var dueOn: String
    public var takenOn: String?
    public var result: String
    public var recordedBy: String?
    public var recordedAt: String?

    static let columns = "id, episode_id, day_number, due_on, taken_on, result, recorded_by, recorded_at"
}

public struct FacilityRecord: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var kind: String
    public var unitPath: String
    public var groupCode: String
    public var address: String
    public var capacity: Int
    public var occupancy: Int
    public var active: Bool
    public var createdAt: String
    public var updatedAt: String
    public var version: Int

    static let columns = "id, name, kind, unit_path, group_code, address, capacity, occupancy, active, created_at, updated_at, version"

    var loadPercent: Int { capacity > 0 ? occupancy * 100 / capacity : 0 }
}

public struct TransferRecord: Codable, Sendable, Equatable {
    public var id: String
    public var personId: String
    public var episodeId: String?
    /// "to_facility", "to_hospital" or "return_home".
    public var kind: String
    public var facilityId: String?
    public var unitPath: String
    public var groupCode: String
    public var pickup: String
    public var destination: String
    public var vehicle: String
    public var scheduledAt: String
    /// "requested", "dispatched", "completed" or "cancelled".
    public var status: String
    public var requestedBy: String
    public var createdAt: String
    public var updatedAt: String
    public var completedAt: String?
    public var version: Int

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
