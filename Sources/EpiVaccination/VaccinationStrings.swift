import EpiCore
import EpiPlatform

/// UI text of vaccination (Vietnamese first, English second) and how its audit rows read.
package enum VaccinationStrings {
    package static let actions: [String: (vi: String, en: String)] = [
        "allocate": ("Phân bổ vắc xin", "Allocated vaccine"), "stock_wasted": ("Ghi hủy, hao hụt vắc xin", "Recorded wasted vaccine"),
        "stock_returned": ("Ghi trả lại vắc xin", "Recorded returned vaccine"), "screen": ("Khám sàng lọc", "Pre-screened"),
        "vaccinate": ("Ghi nhận mũi tiêm", "Recorded a dose"), "report_aefi": ("Báo phản ứng sau tiêm", "Reported an adverse event"),
        "issue_certificate": ("Cấp chứng nhận tiêm chủng", "Issued a vaccination certificate"), "revoke_certificate": ("Thu hồi chứng nhận tiêm chủng", "Revoked a vaccination certificate"),
        "follow_up_aefi": ("Theo dõi phản ứng sau tiêm", "Followed up an adverse event"),
        "set_vaccine_population": ("Nhập dân số theo nhóm tuổi", "Entered a population by age group"),
        "recount_population": ("Đếm lại dân số từ sổ cư trú", "Counted the registry's populations again"),
        "view_certificate": ("Xem chứng nhận tiêm chủng", "Viewed a vaccination certificate"),
    ]
    package static let entities: [String: (vi: String, en: String)] = [
        "vaccine_lot": ("Lô vắc xin", "Vaccine lot"), "vaccination_site": ("Điểm tiêm", "Vaccination site"),
        "vaccine_allocation": ("Quyết định phân bổ vắc xin", "Vaccine allocation"), "vaccination_session": ("Buổi tiêm", "Vaccination session"),
        "vaccine_target": ("Chỉ tiêu tiêm chủng", "Vaccination target"), "vaccine_population": ("Dân số theo nhóm tuổi", "Population by age group"),
        "vaccine_doses": ("Tệp mũi tiêm từ hệ thống khác", "Dose file from another system"),
        "vaccination_priority_group": ("Nhóm ưu tiên tiêm chủng", "Vaccination priority group"),
    ]

    package static let entries: [String: (vi: String, en: String)] = {
        var t: [String: (vi: String, en: String)] = [
            "nav_vaccination": ("Tiêm chủng", "Vaccination"),
            "vax_title": ("Tiêm chủng", "Vaccination"),
            "vax_lots": ("Lô vắc xin", "Vaccine lots"), "vax_new_lot": ("Nhận lô vắc xin", "Receive a lot"),
            "vax_product": ("Vắc xin", "Vaccine"), "vax_manufacturer": ("Nhà sản xuất", "Manufacturer"), "vax_lot_number": ("Số lô", "Lot number"),
            "vax_expires": ("Hạn dùng", "Expiry"), "vax_doses_per_vial": ("Liều/lọ", "Doses per vial"), "vax_doses": ("Số liều", "Doses"),
            "vax_received_on": ("Ngày nhận", "Received on"), "vax_sites": ("Điểm tiêm", "Vaccination sites"), "vax_new_site": ("Thêm điểm tiêm", "Add a site"),
            "vax_site": ("Điểm tiêm", "Site"), "vax_address": ("Địa chỉ", "Address"), "vax_ward": ("Phường/xã", "Ward"),
            "vax_stock": ("Tồn kho vắc xin", "Vaccine stock"), "vax_holder": ("Nơi giữ", "Held by"), "vax_balance": ("Còn (liều)", "Left (doses)"),
            "vax_allocate": ("Phân bổ vắc xin", "Allocate vaccine"), "vax_decision_no": ("Số quyết định", "Decision no."), "vax_decided_on": ("Ngày quyết định", "Decision date"),
            "vax_from": ("Đơn vị cấp", "Giving unit"), "vax_to": ("Nơi nhận", "Receiver"),
            "vax_stock_move": ("Ghi hủy/trả lại", "Record waste or return"), "vax_movement": ("Loại", "Kind"), "vax_note": ("Ghi chú", "Note"),
            "vax_sessions": ("Buổi tiêm", "Vaccination sessions"), "vax_new_session": ("Lập buổi tiêm", "Plan a session"), "vax_session_on": ("Ngày tiêm", "Date"),
            "vax_capacity": ("Số người dự kiến", "Capacity"), "vax_priority": ("Nhóm ưu tiên", "Priority groups"),
            "vax_priority_list": ("Danh sách nhóm ưu tiên", "The priority group list"),
            "vax_priority_hint": ("Để trống: mọi người đủ tuổi. Nếu mọi nhóm chọn đều xác định theo tuổi (trên 65), danh sách mời chỉ gồm người đủ tuổi đó.",
                                  "None ticked: everyone old enough. When every ticked group is defined by age (over 65), the invitation list holds only people of that age."),
            "vax_priority_one": ("Nhóm ưu tiên", "Priority group"), "vax_priority_none": ("Không thuộc nhóm ưu tiên", "No priority group"),
            "vax_pg_code": ("Mã nhóm", "Code"), "vax_pg_label_vi": ("Tên nhóm (tiếng Việt)", "Name (Vietnamese)"), "vax_pg_label_en": ("Tên nhóm (tiếng Anh)", "Name (English)"),
            "vax_pg_position": ("Thứ tự", "Order"), "vax_pg_min_age": ("Xác định theo tuổi: từ (để trống nếu không)", "Defined by age: from (blank if not)"),
            "vax_pg_active": ("Đang dùng", "In use"), "vax_pg_retired": ("Ngừng dùng", "Retired"), "vax_pg_new": ("Thêm nhóm", "Add a group"),
            "vax_pg_source": ("Nguồn", "Source"), "vax_pg_saved": ("Đã lưu", "Saved"),
            "vax_recount": ("Đếm lại dân số từ sổ cư trú", "Count the registry again"),
            "vax_recount_hint": ("(sau khi nhập, sửa danh sách cư trú; tự đếm lại sau một ngày)", "(after residents were imported or edited; recounted by itself after a day)"), "vax_doses_count": ("Số mũi", "Doses"), "vax_pg_by_age": ("theo tuổi từ", "by age from"),
            "vax_invites_recorded": ("Mời người sổ cư trú ghi thuộc nhóm", "Invites people the registry records as"),
            "vax_invites_only_recorded": ("Buổi tiêm này chỉ mời người sổ cư trú ghi thuộc nhóm", "This session invites only people the registry records as"),
            "vax_invites_lists_hint": ("Nếu phường chưa ghi ai thuộc nhóm này, hãy nhập danh sách (từ trạm y tế, cơ quan, trường học) hoặc ghi trên trang từng người.",
                                       "If the ward has recorded nobody in this group yet, import the list (from the health station, the employer, the school) or record it on each person's page."), "vax_min_age_lower": ("từ tuổi", "from age"),
            "vax_pg_registry": ("Người thuộc nhóm được ghi trong sổ cư trú là (để trống nếu không)", "People the registry records as (blank if none)"),
            "vax_pg_by_registry": ("sổ cư trú ghi:", "registry records:"),
            "vax_group": ("Tổ dân phố (để trống: cả phường)", "Residential group (blank: the whole ward)"), "vax_group_short": ("Tổ dân phố", "Residential group"), "vax_min_age": ("Từ tuổi", "Minimum age"),
            "vax_invited": ("Danh sách mời tiêm", "Invitation list"), "vax_dose_number": ("Mũi", "Dose"), "vax_checkin": ("Tìm người đến tiêm (CCCD hoặc họ tên)", "Find the person (citizen ID or name)"),
            "vax_search": ("Tìm", "Search"), "vax_record": ("Ghi nhận", "Record"), "vax_outcome": ("Khám sàng lọc", "Pre-screening"),
            "vax_aefi": ("Phản ứng sau tiêm (nếu có)", "Adverse event (if any)"), "vax_severity": ("Mức độ", "Severity"),
            "vax_recorded": ("Đã ghi nhận", "Recorded"), "vax_given": ("Đã tiêm trong buổi", "Given in this session"),
            "vax_none": ("Chưa có dữ liệu.", "Nothing yet."), "vax_doses_title": ("Tiêm chủng", "Vaccination"),
            "vax_certificate": ("Chứng nhận tiêm chủng COVID-19", "COVID-19 vaccination certificate"), "vax_issue_certificate": ("Cấp chứng nhận", "Issue a certificate"),
            "vax_uvci": ("Mã chứng nhận", "Certificate id"), "vax_valid_until": ("Hiệu lực đến", "Valid until"), "vax_revoke": ("Thu hồi", "Revoke"),
            "vax_revoked": ("Đã thu hồi", "Revoked"),
            "vax_superseded": ("Số mũi đã đổi khi gộp hồ sơ trùng: cấp lại để có số đúng", "The dose number changed when duplicate records were merged: issue again for the right number"), "vax_reason": ("Lý do", "Reason"), "vax_birth": ("Ngày sinh", "Date of birth"), "vax_name": ("Họ và tên", "Name"),
            "vax_nationality": ("Quốc tịch", "Nationality"), "vax_disease": ("Bệnh", "Disease"), "vax_date": ("Ngày tiêm", "Date"),
            "vax_png": ("Tải ảnh QR (PNG)", "Download the QR (PNG)"), "vax_print": ("In", "Print"), "vax_show_with_id": ("Xuất trình kèm giấy tờ tùy thân.", "Show with an identity document."),
            "vax_import": ("Nhập mũi tiêm từ hệ thống khác (CSV)", "Import doses from another system (CSV)"),
            "vax_import_help": ("Cột bắt buộc: số CCCD, ngày tiêm (dd/mm/yyyy), mũi số, vắc xin (mã EU hoặc tên: Pfizer, Moderna, AstraZeneca, Vero Cell…); tùy chọn: số lô. Mỗi người, mũi, ngày chỉ ghi một lần dù gửi lại bao nhiêu lần; dòng lỗi được báo kèm số dòng, dòng đúng được lưu. Tên cột:",
                                "Required columns: citizen ID, date given (dd/mm/yyyy), dose number, vaccine (EU code or name: Pfizer, Moderna, AstraZeneca, Vero Cell…); optional: lot number. The same person, dose and date is recorded once however often it is sent; bad rows are reported by line, good rows kept. Column names:"),
            "vax_file": ("Tệp CSV", "CSV file"), "vax_import_done": ("Kết quả nhập", "Import result"),
            "vax_rows": ("Số dòng", "Rows"), "vax_inserted": ("Mũi mới", "New doses"), "vax_duplicates": ("Đã có từ trước", "Already recorded"), "vax_failed": ("Dòng lỗi", "Bad rows"),
            "vax_coverage": ("Độ bao phủ tiêm chủng", "Vaccination coverage"), "vax_age_group": ("Nhóm tuổi", "Age group"),
            "vax_population": ("Dân số", "Population"), "vax_first": ("Mũi 1", "First dose"), "vax_complete": ("Đủ liều", "Complete"), "vax_booster": ("Mũi nhắc", "Booster"),
            "vax_entered": ("nhập tay", "entered"),
            "vax_populations_as_of": ("Dân số theo sổ cư trú đếm lúc", "Registry populations counted at"), "vax_targets": ("Chỉ tiêu có hạn", "Dated targets"), "vax_will_miss": ("Sẽ không đạt với tốc độ 7 ngày qua", "Will miss at the last 7 days' pace"),
            "vax_on_track": ("Đạt nếu giữ tốc độ 7 ngày qua", "On track at the last 7 days' pace"), "vax_per_day": ("Người/ngày (7 ngày)", "People/day (7 days)"),
            "vax_projected": ("Dự kiến đến hạn", "Projected by the date"), "vax_new_target": ("Thêm chỉ tiêu", "Add a target"), "vax_title_field": ("Tên chỉ tiêu", "Target"),
            "vax_percent": ("Tỷ lệ (%)", "Percent"), "vax_due": ("Hạn", "Due"), "vax_kind": ("Mũi", "Dose"), "vax_set_population": ("Nhập dân số theo nhóm tuổi", "Enter a population by age group"),
            "vax_trend": ("Số người tiêm mỗi ngày", "People vaccinated per day"), "vax_unit": ("Đơn vị", "Unit"),
            "vax_aefi_open": ("Phản ứng sau tiêm đang theo dõi", "Adverse events being followed up"), "vax_follow_up": ("Kết quả theo dõi", "Follow-up"),
            "vax_close_aefi": ("Kết thúc theo dõi", "Close the follow-up"), "vax_save_follow_up": ("Lưu theo dõi", "Save the follow-up"),
            "vax_history": ("Các mũi đã tiêm", "Doses given"), "vax_source": ("Nguồn", "Source"), "vax_expiring": ("Lô sắp hết hạn", "Lots expiring soon"),
        ]
        for (k, v) in actions { t["audit_action.\(k)"] = v }
        for (k, v) in entities { t["audit_entity.\(k)"] = v }
        let fields: [(String, String, (vi: String, en: String))] = [
            ("vaccine_lot", "doses", ("Số liều", "Doses")), ("vaccine_lot", "expires_on", ("Hạn dùng", "Expiry")),
            ("vaccination_site", "address", ("Địa chỉ", "Address")), ("vaccination_site", "balance", ("Tồn kho còn", "Stock left")),
            ("vaccine_allocation", "doses", ("Số liều", "Doses")), ("vaccine_allocation", "to_kind", ("Nơi nhận", "Receiver")),
            ("vaccination_session", "capacity", ("Số người dự kiến", "Capacity")),
            ("vaccine_target", "percent", ("Tỷ lệ (%)", "Percent")), ("vaccine_target", "due_on", ("Hạn", "Due")),
            ("vaccine_population", "population", ("Dân số", "Population")), ("person", "aefi_status", ("Phản ứng sau tiêm", "Adverse event")),
            ("person", "outcome", ("Khám sàng lọc", "Pre-screening")), ("person", "dose_number", ("Mũi số", "Dose number")),
            ("vaccination_priority_group", "label_vi", ("Tên nhóm (tiếng Việt)", "Name (Vietnamese)")),
            ("vaccination_priority_group", "label_en", ("Tên nhóm (tiếng Anh)", "Name (English)")),
            ("vaccination_priority_group", "position", ("Thứ tự", "Order")), ("vaccination_priority_group", "min_age", ("Xác định theo tuổi: từ", "By age: from")),
            ("vaccination_priority_group", "active", ("Đang dùng", "In use")),
            ("person", "vaccine_doses", ("Các mũi đã tiêm", "Doses given")), ("person", "repeated_doses", ("Mũi ghi trùng (để lại ở hồ sơ được gộp)", "Doses entered twice (left on the merged record)")),
            ("person", "lot_number", ("Số lô", "Lot number")), ("person", "severity", ("Mức độ phản ứng", "Severity")), ("person", "uvci", ("Mã chứng nhận", "Certificate id")),
        ]
        for (entity, field, label) in fields { t["field.\(entity).\(field)"] = label }
        t["person.aefi_status.open"] = ("Đang theo dõi", "Being followed up")
        t["person.aefi_status.closed"] = ("Đã kết thúc theo dõi", "Follow-up closed")
        t["vaccine_allocation.to_kind.unit"] = ("Đơn vị", "Unit")
        t["vaccine_allocation.to_kind.site"] = ("Điểm tiêm", "Site")
        for v in ScreeningOutcome.allCases { t["person.outcome.\(v.rawValue)"] = (v.labelVI, v.labelEN); t["screening.outcome.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in AEFISeverity.allCases { t["person.severity.\(v.rawValue)"] = (v.labelVI, v.labelEN); t["aefi.severity.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in StockMovement.allCases { t["stock.movement.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in DoseSource.allCases { t["dose.source.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        return t
    }()
}
