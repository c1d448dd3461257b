import EpiCore
import EpiPlatform
import Foundation

/// What the registry capability brings to the composition root besides its routes.
package enum Registry {
    package static let resources = CapabilityResources(name: "EpiRegistry", bundle: .module)

    /// The everyday menu: places, people, resident lists.
    /// The stored codes this capability (and the platform under it) shows, each with a label in `strings`.
    package static let labels: [LabelSet] = [
        LabelSet("audit_action", ["create", "update", "delete", "view", "list_view", "search_view", "login", "logout", "login_failed", "locked", "seed",
                                  "export", "import", "revoke", "activate", "deactivate", "merge"]),
        LabelSet("audit_entity", ["person", "user", "unit", "residents", "import", "api_token", "policy"]),
        LabelSet("field", personFields.map(\.0)),
        LabelSet("sex", Sex.self),
        LabelSet("residence_status", ResidenceStatus.self),
        LabelSet("role", Role.self),
    ]

    /// The person record's fields as the history shows them.
    static let personFields: [(String, (vi: String, en: String))] = [
        ("full_name", ("Họ và tên", "Full name")), ("sex", ("Giới tính", "Sex")), ("birth_date", ("Ngày sinh", "Birth date")),
        ("citizen_id", ("Số CCCD", "Citizen ID")), ("old_id", ("Số CMND cũ", "Old ID")), ("phone", ("Điện thoại", "Phone")),
        ("address", ("Địa chỉ", "Address")), ("unit_path", ("Phường/xã", "Ward")), ("group_code", ("Tổ dân phố", "Residential group")),
        ("household_code", ("Mã hộ", "Household")), ("residence_status", ("Tình trạng cư trú", "Residence status")),
        ("resident_until", ("Cư trú đến", "Resident until")), ("merged_into", ("Gộp vào hồ sơ", "Merged into")),
    ]

    /// Labels of the registry's (and the platform's) codes, installed with the other capabilities' tables.
    package static let strings: [String: (vi: String, en: String)] = {
        var table: [String: (vi: String, en: String)] = [
            "audit_action.create": ("Tạo mới", "Created"), "audit_action.update": ("Sửa", "Updated"), "audit_action.delete": ("Xóa", "Deleted"),
            "audit_action.view": ("Xem hồ sơ", "Viewed a record"), "audit_action.list_view": ("Xem danh sách", "Viewed a list"),
            "audit_action.search_view": ("Tìm kiếm", "Searched"), "audit_action.login": ("Đăng nhập", "Signed in"), "audit_action.logout": ("Đăng xuất", "Signed out"),
            "audit_action.login_failed": ("Đăng nhập sai", "Failed sign-in"), "audit_action.locked": ("Khóa tạm tài khoản", "Account locked"),
            "audit_action.seed": ("Nạp dữ liệu mẫu", "Seeded"), "audit_action.export": ("Xuất dữ liệu", "Exported"), "audit_action.import": ("Nhập từ danh sách", "Imported"),
            "audit_action.revoke": ("Thu hồi", "Revoked"), "audit_action.activate": ("Mở lại tài khoản", "Reactivated"),
            "audit_action.deactivate": ("Khóa tài khoản", "Deactivated"), "audit_action.merge": ("Gộp hồ sơ", "Merged"),
            "audit_entity.person": ("Nhân khẩu", "Person"), "audit_entity.user": ("Tài khoản", "Account"), "audit_entity.unit": ("Địa bàn", "Place"),
            "audit_entity.residents": ("Danh sách cư trú", "Resident list"), "audit_entity.import": ("Lần nhập", "Import"), "audit_entity.api_token": ("Mã truy cập API", "API token"),
            "audit_words": ("Tìm theo từ", "Words"), "audit_words_hint": ("xem, gộp hồ sơ, tên người…", "viewed, merged, a person's name…"),
            "all": ("Tất cả", "All"), "record_id": ("Mã hồ sơ", "Record ID"),
            "actor.system": ("Hệ thống", "System"), "actor.cli": ("Dòng lệnh", "Command line"),
        ]
        for (field, label) in personFields { table["field.\(field)"] = label }
        table["field.user.role"] = ("Vai trò", "Role")
        table["field.user.active"] = ("Trạng thái", "Status")
        table["user.active.true"] = ("Đang dùng", "Active")
        table["user.active.false"] = ("Đã khóa", "Deactivated")
        table["field.user.unit_path"] = ("Đơn vị", "Unit")
        for role in Role.allCases { table["role.\(role.rawValue)"] = (role.labelVI, role.labelEN) }
        table["field.unit.path"] = ("Mã địa bàn", "Place code")
        table["field.unit.name"] = ("Tên", "Name")
        table["field.unit.population"] = ("Dân số", "Population")
        table["field.person.merged_from"] = ("Gộp từ hồ sơ", "Merged from")
        table["audit_entity.policy"] = ("Tham số quy tắc", "Rule setting")
        for key in PolicyKey.allCases { table["field.policy.\(key.rawValue)"] = (key.labelVI, key.labelEN) }
        for sex in Sex.allCases { table["sex.\(sex.rawValue)"] = (sex.labelVI, sex.labelEN) }
        for status in ResidenceStatus.allCases { table["residence_status.\(status.rawValue)"] = (status.labelVI, status.labelEN) }
        return table
    }()

    package static let navigation: [NavigationItem] = [
        NavigationItem("home", "/", label: "nav_home"),
        NavigationItem("units", "/units", label: "nav_units"),
        NavigationItem("people", "/people", label: "nav_people", anyOf: [.viewPeople]),
        NavigationItem("import", "/residents/import", label: "nav_import", anyOf: [.importResidents]),
    ]

    /// Administration, shown after the capabilities' own entries.
    package static let adminNavigation: [NavigationItem] = [
        NavigationItem("users", "/users", label: "nav_users", anyOf: [.manageUsers]),
        NavigationItem("audit", "/audit", label: "nav_audit", anyOf: [.viewAudit]),
    ]
}
