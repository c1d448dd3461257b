/// What a user does in the command chain; each user has one role bound to one unit.
public enum Role: String, CaseIterable, Codable, Sendable {
    case cityCommand = "city_command"
    case districtCommand = "district_command"
    case wardCommand = "ward_command"
    case wardDataEntry = "ward_data_entry"
    case communityTeam = "community_team"
    case checkpoint = "checkpoint"
    case lab = "lab"
    case vaccinationSite = "vaccination_site"
    case quarantineFacility = "quarantine_facility"
    case business = "business"
    case supervisor = "supervisor"

    public var labelVI: String {
        switch self {
        case .cityCommand: return "Ban Chỉ huy thành phố"
        case .districtCommand: return "Ban Chỉ huy quận/huyện"
        case .wardCommand: return "Ban Chỉ đạo phường/xã"
        case .wardDataEntry: return "Cán bộ nhập liệu phường/xã"
        case .communityTeam: return "Tổ COVID cộng đồng"
        case .checkpoint: return "Chốt kiểm soát"
        case .lab: return "Phòng xét nghiệm"
        case .vaccinationSite: return "Điểm tiêm chủng"
        case .quarantineFacility: return "Cơ sở cách ly"
        case .business: return "Doanh nghiệp/cơ quan"
        case .supervisor: return "Giám sát MTTQ"
        }
    }

    public var labelEN: String {
        switch self {
        case .cityCommand: return "City command"
        case .districtCommand: return "District command"
        case .wardCommand: return "Ward command"
        case .wardDataEntry: return "Ward data entry"
        case .communityTeam: return "Community COVID team"
        case .checkpoint: return "Checkpoint"
        case .lab: return "Laboratory"
        case .vaccinationSite: return "Vaccination site"
        case .quarantineFacility: return "Quarantine facility"
        case .business: return "Business/agency"
        case .supervisor: return "Fatherland Front supervisor"
        }
    }

    /// The permission matrix (docs/roles.md).
    public var permissions: Set<Permission> {
        switch self {
        case .cityCommand:
            return Set(Permission.allCases)
        case .districtCommand:
            return Set(Permission.allCases).subtracting([.setPopulation, .manageRules, .manageReportTemplates])
        case .wardCommand:
            return [.viewPeople, .editPeople, .mergePeople, .importResidents, .exportResidents, .manageUnits, .manageUsers,
                    .viewCases, .editCases, .manageQuarantine, .manageZones, .logSupplies, .viewRisk,
                    .viewDashboard, .viewReports, .submitReports, .postMessages, .manageTasks, .manageRosters,
                    .viewTesting, .collectSamples, .transportSamples, .viewVaccination, .runVaccinationSessions, .issueCertificates,
                    .viewMovement, .issuePermits, .recordViolations, .manageInspections]
        case .wardDataEntry:
            return [.viewPeople, .editPeople, .importResidents, .exportResidents,
                    .viewCases, .editCases, .manageQuarantine, .logSupplies, .viewRisk,
                    .viewDashboard, .viewReports, .submitReports, .postMessages,
                    .viewTesting, .collectSamples, .transportSamples, .viewVaccination, .runVaccinationSessions, .importDoses, .viewMovement]
        case .communityTeam:
            return [.viewPeople, .viewCases, .manageQuarantine, .logSupplies, .viewDashboard, .postMessages, .viewTesting, .collectSamples]
        case .supervisor:
            return [.viewPeople, .viewCases, .viewRisk, .viewDashboard, .viewReports, .viewTesting, .viewVaccination, .viewMovement]
        case .quarantineFacility:
            return [.manageFacilities]
        case .lab:
            return [.viewTesting, .transportSamples, .enterResults, .reviewResults]
        case .vaccinationSite:
            return [.viewVaccination, .runVaccinationSessions, .issueCertificates]
        case .checkpoint:
            return [.checkPermits, .recordViolations]
        case .business:
            return [.submitBusinessPlans, .requestPermits]
        }
    }

    public func has(_ permission: Permission) -> Bool { permissions.contains(permission) }

    /// The roles a user of this role may create, always within its own jurisdiction.
    public var canAssign: Set<Role> {
        switch self {
        case .cityCommand: return Set(Role.allCases)
        case .districtCommand: return Set(Role.allCases).subtracting([.cityCommand])
        case .wardCommand: return [.wardDataEntry, .communityTeam]
        default: return []
        }
    }
}
