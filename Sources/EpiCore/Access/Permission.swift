/// One operation a role may perform; checked on the server for every request.
public enum Permission: String, CaseIterable, Codable, Sendable {
    case viewPeople, editPeople, mergePeople, importResidents, exportResidents, manageUnits, setPopulation, manageUsers, viewAudit

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
        }
    }
}
