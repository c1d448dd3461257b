import NIOConcurrencyHelpers
/// UI text in Vietnamese (first) and English, looked up by templates as `{{t.key}}`.
/// Each capability keeps its own table (`CaseStrings`, …) beside its code; the composition root
/// installs them (`install`) and they are merged here with the platform's own.
package enum Strings {
    private static let installed = NIOLockedValueBox<[[String: (vi: String, en: String)]]>([])
    private static let merged = NIOLockedValueBox<(vi: [String: String], en: [String: String])?>(nil)

    /// Adds the capabilities' tables (once per process; installing the same tables again changes nothing).
    package static func install(_ tables: [[String: (vi: String, en: String)]]) {
        installed.withLockedValue { current in
            guard current.count != tables.count else { return }
            current = tables
            merged.withLockedValue { $0 = nil }
        }
    }

    /// Every table; a key defined twice is a mistake that `StringsTests` catches.
    package static var tables: [[String: (vi: String, en: String)]] { [platform] + installed.withLockedValue { $0 } }

    package static var entries: [String: (vi: String, en: String)] { tables.reduce(into: [:]) { all, table in all.merge(table) { first, _ in first } } }

    package static let platform: [String: (vi: String, en: String)] = [
        "app_name": ("EpiCommand — Sở Chỉ huy phòng, chống dịch", "EpiCommand — Epidemic Command Center"),
        "nav_home": ("Trang chủ", "Home"),
        "menu": ("Menu", "Menu"),
        "simulated_data": ("Dữ liệu mô phỏng ngày", "Simulated data as of"),
        "simulated_hint": ("Cơ sở dữ liệu demo: mọi ngày tháng tính theo ngày mô phỏng này.", "Demo database: every date is reckoned from this simulated day."),
        "nav_units": ("Địa bàn", "Places"),
        "nav_people": ("Nhân khẩu", "People"),
        "nav_import": ("Nhập danh sách", "Import"),
        "nav_users": ("Người dùng", "Users"),
        "nav_audit": ("Nhật ký", "Audit"),
        "logout": ("Đăng xuất", "Sign out"),
        "login_title": ("Đăng nhập", "Sign in"),
        "username": ("Tên đăng nhập", "Username"),
        "password": ("Mật khẩu", "Password"),
        "login_button": ("Đăng nhập", "Sign in"),
        "search": ("Tìm", "Search"),
        "search_placeholder": ("Họ tên (có hoặc không dấu), số CCCD/CMND hoặc số điện thoại", "Name (with or without diacritics), ID number or phone"),
        "add_person": ("Thêm nhân khẩu", "Add person"),
        "full_name": ("Họ và tên", "Full name"),
        "sex": ("Giới tính", "Sex"),
        "birth_date": ("Ngày sinh", "Date of birth"),
        "citizen_id": ("Số CCCD", "Citizen ID (CCCD)"),
        "old_id": ("Số CMND cũ", "Old ID card (CMND)"),
        "phone": ("Số điện thoại", "Phone"),
        "address": ("Địa chỉ", "Address"),
        "ward": ("Phường/xã", "Ward/commune"),
        "group": ("Tổ dân phố", "Residential group"),
        "household": ("Mã hộ", "Household code"),
        "residence_status": ("Tình trạng cư trú", "Residence status"),
        "resident_until": ("Cư trú đến ngày", "Resident until"),
        "save": ("Lưu", "Save"),
        "cancel": ("Hủy", "Cancel"),
        "edit": ("Sửa", "Edit"),
        "merge": ("Gộp hồ sơ trùng", "Merge duplicates"),
        "history": ("Lịch sử thay đổi và truy cập", "History of changes and views"),
        "household_members": ("Cùng hộ", "Household members"),
        "no_results": ("Không tìm thấy ai phù hợp.", "Nobody matches."),
        "next_page": ("Trang sau", "Next page"),
        "export_csv": ("Xuất CSV tạm trú/lưu trú", "Export temporary/short-stay CSV"),
        "possible_duplicates": ("Có thể trùng: đã có người cùng họ tên và ngày sinh trong quận/huyện.", "Possible duplicate: someone with the same name and birth date is registered in this district."),
        "confirm_different": ("Đây là người khác, vẫn lưu", "This is a different person, save anyway"),
        "warnings": ("Cảnh báo", "Warnings"),
        "choose": ("— Chọn —", "— Choose —"),
        "merged_banner": ("Hồ sơ này đã được gộp vào hồ sơ khác.", "This record was merged into another one."),
        "open_survivor": ("Mở hồ sơ còn lại", "Open the remaining record"),
        "merge_help": ("Chọn hồ sơ trùng. Hồ sơ đang xem được giữ; hồ sơ trùng được đánh dấu đã gộp và lưu lại nguyên trạng. Ca F0, đợt cách ly, tiếp xúc, nhóm nguy cơ, mẫu và kết quả xét nghiệm, mũi tiêm và chứng nhận của hồ sơ trùng chuyển sang hồ sơ được giữ; không gộp được hai hồ sơ cùng đang là F0 hoặc cùng đang cách ly.", "Choose the duplicate. The record shown is kept; the duplicate is marked merged and kept as it was. The duplicate's cases, quarantine episodes, exposures, groups at risk, test samples and results, vaccine doses and certificates move to the record kept; two records that are both active cases, or both in quarantine, cannot be merged."),
        "merge_button": ("Gộp vào hồ sơ này", "Merge into this record"),
        "no_candidates": ("Không có hồ sơ cùng họ tên trong địa bàn.", "No record with the same name in your jurisdiction."),
        "units_children": ("Đơn vị trực thuộc", "Units below"),
        "population": ("Dân số", "Population"),
        "code": ("Mã", "Code"),
        "kind": ("Loại", "Type"),
        "name": ("Tên", "Name"),
        "valid_from": ("Hiệu lực từ", "Valid from"),
        "add_group": ("Thêm tổ dân phố", "Add residential group"),
        "set_population": ("Cập nhật dân số", "Set population"),
        "people_here": ("Nhân khẩu tại đây", "People here"),
        "import_title": ("Nhập danh sách cư trú từ tệp CSV", "Import a resident list from CSV"),
        "import_help": ("Cột bắt buộc: ho_ten. Cột khác: gioi_tinh, ngay_sinh (dd/mm/yyyy), so_dinh_danh, cmnd, so_dien_thoai, dia_chi, to_dan_pho, ma_ho, tinh_trang_cu_tru (thường trú/tạm trú/lưu trú), cu_tru_den. Dòng lỗi được báo kèm số dòng; dòng hợp lệ được lưu; người đã có (cùng số định danh, hoặc cùng họ tên, ngày sinh và phường) được bỏ qua, nên nhập lại cùng tệp không tạo trùng.", "Required column: ho_ten. Others: gioi_tinh, ngay_sinh (dd/mm/yyyy), so_dinh_danh, cmnd, so_dien_thoai, dia_chi, to_dan_pho, ma_ho, tinh_trang_cu_tru, cu_tru_den. Bad rows are reported with their line number; good rows are saved; people already registered (same ID, or same name, birth date and ward) are skipped, so importing the same file again adds nothing."),
        "file": ("Tệp CSV", "CSV file"),
        "import_button": ("Nhập", "Import"),
        "import_result": ("Kết quả nhập", "Import result"),
        "rows_total": ("Tổng số dòng", "Rows"),
        "rows_inserted": ("Thêm mới", "Added"),
        "rows_duplicates": ("Đã có (bỏ qua)", "Already present (skipped)"),
        "rows_failed": ("Dòng lỗi", "Rows with errors"),
        "line": ("Dòng", "Line"),
        "column": ("Cột", "Column"),
        "problem": ("Lỗi", "Problem"),
        "previous_import": ("Tệp này đã được nhập lúc", "This file was already imported at"),
        "previous_import_interrupted": ("Lần nhập trước của tệp này bị dừng giữa chừng; lần này đã hoàn tất phần còn lại. Lần trước bắt đầu lúc", "An earlier import of this file stopped midway; this run completed the rest. The earlier one started at"),
        "users_title": ("Tài khoản trong địa bàn", "Accounts in your jurisdiction"),
        "display_name": ("Họ tên", "Name"),
        "role": ("Vai trò", "Role"),
        "unit": ("Đơn vị", "Unit"),
        "locked": ("Đang khóa", "Locked"),
        "user_status": ("Trạng thái", "Status"),
        "user_active": ("Đang hoạt động", "Active"),
        "user_inactive": ("Đã vô hiệu hóa", "Deactivated"),
        "user_deactivate": ("Vô hiệu hóa", "Deactivate"),
        "user_activate": ("Kích hoạt lại", "Reactivate"),
        "add_user": ("Thêm tài khoản", "Add account"),
        "audit_title": ("Nhật ký thao tác", "Audit log"),
        "when": ("Thời gian", "When"),
        "who": ("Người thực hiện", "Who"),
        "action": ("Thao tác", "Action"),
        "what": ("Nội dung", "What"),
        "day": ("Ngày", "Day"),
        "filter": ("Lọc", "Filter"),
        "older": ("Cũ hơn", "Older"),
        "registered_people": ("Nhân khẩu đã đăng ký", "Registered people"),
        "temporary": ("Tạm trú", "Temporary residents"),
        "short_stay": ("Lưu trú", "Short-stay residents"),
        "your_unit": ("Địa bàn của bạn", "Your jurisdiction"),
        "error_title": ("Không thực hiện được", "Could not complete"),
        "back_home": ("Về trang chủ", "Back to home"),
        "village": ("Thôn", "Village"),
        "residential_group": ("Tổ dân phố", "Residential group"),
        "population_import": ("Nhập dân số từ tệp CSV", "Import populations from CSV"),
        "population_import_help": ("Cột: ma (mã quận/huyện hoặc phường/xã), dan_so. Dòng lỗi được báo kèm số dòng; dòng hợp lệ được cập nhật.", "Columns: ma (district or ward code), dan_so. Bad rows are reported with their line; good rows are applied."),
        "population_updated": ("Số đơn vị được cập nhật dân số", "Units whose population was updated"),
        "population_unchanged": ("Không đổi (giữ nguyên, không ghi)", "Unchanged (nothing written)"),
        "population_repeated": ("Dòng lặp lại đơn vị (lấy dòng sau cùng)", "Lines repeating a unit (the last one wins)"),
        "hidden_duplicates": ("Có người cùng họ tên và ngày sinh ở phường/xã khác trong quận/huyện (không hiển thị chi tiết). Nếu là cùng một người, Ban Chỉ huy quận/huyện có thể gộp hồ sơ", "Someone with the same name and birth date lives in another ward of the district (details not shown). If it is the same person, the district command can merge the records"),
        "fields_changed": ("Trường thay đổi", "Fields changed"),
    ]

    package static func table(_ language: Language) -> [String: String] {
        let both = merged.withLockedValue { cached -> (vi: [String: String], en: [String: String]) in
            if let cached { return cached }
            let all = entries
            let made = (vi: all.mapValues(\.vi), en: all.mapValues(\.en))
            cached = made
            return made
        }
        return language == .vi ? both.vi : both.en
    }
}

/// Stored codes that people read (statuses, audit actions, settings, record fields): each code has
/// a label in the string tables under `prefix.code` ("episode_status.active"). Capabilities list
/// their sets in `Composition.labels`, and a test fails when any code lacks a label in either
/// language, so a missing label never shows a code on screen.
package struct LabelSet: Sendable {
    package let prefix: String
    package let codes: [String]

    package init(_ prefix: String, _ codes: [String]) {
        self.prefix = prefix
        self.codes = codes
    }

    /// Every case of a string enum.
    package init<E: CaseIterable & RawRepresentable>(_ prefix: String, _: E.Type) where E.RawValue == String {
        self.init(prefix, E.allCases.map(\.rawValue))
    }
}

extension Strings {
    /// The label of a stored code, in the reader's language. An unknown code (data older than its
    /// label, a value from an import) shows as itself with underscores spaced, never as nothing.
    package static func label(_ prefix: String, _ code: String, _ language: Language) -> String {
        table(language)["\(prefix).\(code)"] ?? code.replacingOccurrences(of: "_", with: " ")
    }

    /// Who did something, as people read it: the system and the command line by name, accounts by username.
    package static func actor(_ username: String, _ language: Language) -> String {
        table(language)["actor.\(username)"] ?? username
    }

    /// Whether a code has a label in both languages.
    package static func hasLabel(_ prefix: String, _ code: String) -> Bool {
        table(.vi)["\(prefix).\(code)"] != nil && table(.en)["\(prefix).\(code)"] != nil
    }
}

extension AuthedContext {
    /// The label of a stored code for this request's reader.
    package func label(_ prefix: String, _ code: String) -> String { Strings.label(prefix, code, language) }
}
