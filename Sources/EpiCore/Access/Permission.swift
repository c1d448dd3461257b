/// One operation a role may perform; checked on the server for every request.
public enum Permission: String, CaseIterable, Codable, Sendable {
    case viewPeople, editPeople, mergePeople, importResidents, exportResidents, manageUnits, setPopulation, manageUsers, viewAudit
    // Cases, tracing, quarantine, facilities, zones, risk levels.
    case viewCases, editCases, manageQuarantine, manageFacilities, manageZones, logSupplies, viewRisk, assessRisk, manageRules
    // Reporting regime, dashboard, messages, tasks and duty rosters.
    case viewDashboard, viewReports, submitReports, manageReportTemplates, remindUnits, postMessages, manageTasks, manageRosters
    // Testing: campaigns, samples, transport to labs, results, the review queue, FHIR export.
    case viewTesting, manageCampaigns, collectSamples, transportSamples, enterResults, reviewResults, exportFHIR
    // Vaccination: lots and allocation, sessions and doses, imports, certificates.
    case viewVaccination, manageVaccineStock, runVaccinationSessions, importDoses, issueCertificates, revokeCertificates
    // Movement control: businesses and plans, travel permits, checkpoints, violations, inspections.
    case viewMovement, reviewBusinessPlans, submitBusinessPlans, requestPermits, issuePermits, checkPermits, recordViolations, manageInspections

    public var labelVI: String {
        switch self {
        case .viewPeople: return "Xem nhân khẩu"
        case .editPeople: return "Thêm, sửa nhân khẩu"
        case .mergePeople: return "Gộp hồ sơ trùng"
        case .importResidents: return "Nhập danh sách cư trú"
        case .exportResidents: return "Xuất danh sách cư trú"
        case .manageUnits: return "Quản lý tổ dân phố"
        case .setPopulation: return "Cập nhật dân số"
        case .manageUsers: return "Quản lý tài khoản"
        case .viewAudit: return "Xem nhật ký thao tác"
        case .viewCases: return "Xem ca bệnh, tiếp xúc, cách ly"
        case .editCases: return "Ghi nhận F0, tiếp xúc, truy vết, ổ dịch"
        case .manageQuarantine: return "Quản lý cách ly, xét nghiệm theo lịch"
        case .manageFacilities: return "Quản lý cơ sở cách ly, tiếp nhận, điều chuyển"
        case .manageZones: return "Quản lý vùng phong tỏa, chốt"
        case .logSupplies: return "Ghi nhận cấp nhu yếu phẩm"
        case .viewRisk: return "Xem cấp độ dịch"
        case .assessRisk: return "Đánh giá cấp độ dịch"
        case .manageRules: return "Sửa quy định, bảng tiêu chí"
        case .viewDashboard: return "Xem bảng điều hành"
        case .viewReports: return "Xem báo cáo"
        case .submitReports: return "Lập, gửi báo cáo"
        case .manageReportTemplates: return "Quản lý mẫu báo cáo"
        case .remindUnits: return "Đôn đốc đơn vị"
        case .postMessages: return "Gửi thông tin vào luồng trao đổi"
        case .manageTasks: return "Giao, theo dõi nhiệm vụ"
        case .manageRosters: return "Quản lý lịch trực"
        case .viewTesting: return "Xem xét nghiệm"
        case .manageCampaigns: return "Lập đợt xét nghiệm, điểm lấy mẫu"
        case .collectSamples: return "Lấy mẫu xét nghiệm"
        case .transportSamples: return "Vận chuyển, tiếp nhận mẫu"
        case .enterResults: return "Nhập kết quả xét nghiệm"
        case .reviewResults: return "Đối chiếu kết quả chưa khớp"
        case .exportFHIR: return "Xuất dữ liệu FHIR"
        case .viewVaccination: return "Xem tiêm chủng"
        case .manageVaccineStock: return "Quản lý lô vắc xin, phân bổ"
        case .runVaccinationSessions: return "Tổ chức buổi tiêm, ghi nhận mũi tiêm"
        case .importDoses: return "Nhập mũi tiêm từ hệ thống khác"
        case .issueCertificates: return "Cấp chứng nhận tiêm chủng"
        case .revokeCertificates: return "Thu hồi chứng nhận"
        case .viewMovement: return "Xem kiểm soát đi lại"
        case .reviewBusinessPlans: return "Duyệt phương án phòng dịch của doanh nghiệp"
        case .submitBusinessPlans: return "Lập phương án phòng dịch của doanh nghiệp"
        case .requestPermits: return "Đề nghị cấp giấy đi đường"
        case .issuePermits: return "Cấp, thu hồi giấy đi đường"
        case .checkPermits: return "Kiểm tra giấy đi đường tại chốt"
        case .recordViolations: return "Lập biên bản vi phạm"
        case .manageInspections: return "Kiểm tra, giám sát"
        }
    }

    public var labelEN: String {
        switch self {
        case .viewPeople: return "View people"
        case .editPeople: return "Add and edit people"
        case .mergePeople: return "Merge duplicates"
        case .importResidents: return "Import resident lists"
        case .exportResidents: return "Export resident lists"
        case .manageUnits: return "Manage residential groups"
        case .setPopulation: return "Set populations"
        case .manageUsers: return "Manage accounts"
        case .viewAudit: return "View the audit log"
        case .viewCases: return "View cases, contacts, quarantine"
        case .editCases: return "Record F0, exposures, tracing, clusters"
        case .manageQuarantine: return "Manage quarantine and scheduled tests"
        case .manageFacilities: return "Manage facilities, admissions, transfers"
        case .manageZones: return "Manage lockdown zones and checkpoints"
        case .logSupplies: return "Log supply deliveries"
        case .viewRisk: return "View risk levels"
        case .assessRisk: return "Assess risk levels"
        case .manageRules: return "Edit rules and criteria tables"
        case .viewDashboard: return "View the command dashboard"
        case .viewReports: return "View reports"
        case .submitReports: return "Fill in and submit reports"
        case .manageReportTemplates: return "Manage report templates"
        case .remindUnits: return "Send reminders to units"
        case .postMessages: return "Post to the message stream"
        case .manageTasks: return "Assign and track tasks"
        case .manageRosters: return "Manage duty rosters"
        case .viewTesting: return "View testing"
        case .manageCampaigns: return "Plan testing campaigns and sampling points"
        case .collectSamples: return "Take samples"
        case .transportSamples: return "Send and receive sample batches"
        case .enterResults: return "Enter laboratory results"
        case .reviewResults: return "Review unmatched results"
        case .exportFHIR: return "Export FHIR data"
        case .viewVaccination: return "View vaccination"
        case .manageVaccineStock: return "Manage vaccine lots and allocation"
        case .runVaccinationSessions: return "Run vaccination sessions and record doses"
        case .importDoses: return "Import doses from other systems"
        case .issueCertificates: return "Issue vaccination certificates"
        case .revokeCertificates: return "Revoke certificates"
        case .viewMovement: return "View movement control"
        case .reviewBusinessPlans: return "Review businesses' prevention plans"
        case .submitBusinessPlans: return "Write a business's prevention plan"
        case .requestPermits: return "Request travel permits"
        case .issuePermits: return "Issue and revoke travel permits"
        case .checkPermits: return "Check permits at a checkpoint"
        case .recordViolations: return "Record violations"
        case .manageInspections: return "Run inspections"
        }
    }
}
