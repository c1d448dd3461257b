import EpiCore
import EpiPlatform

/// UI text of movement control (Vietnamese first, English second) and the labels of its stored codes.
package enum MovementStrings {
    static func label(_ p: PermitGroup) -> (String, String) {
        switch p {
        case .agencyStaff: return ("Cán bộ, công chức cơ quan", "Agency staff")
        case .essentialWorker: return ("Người lao động doanh nghiệp thiết yếu", "Essential-business worker")
        case .foodMedicine: return ("Đi mua lương thực, thuốc men", "Food and medicine trips")
        }
    }

    static func label(_ s: PermitStatus) -> (String, String) {
        switch s {
        case .requested: return ("Chờ duyệt", "Requested")
        case .issued: return ("Đã cấp", "Issued")
        case .refused: return ("Không cấp", "Refused")
        case .revoked: return ("Đã thu hồi", "Revoked")
        }
    }

    static func label(_ v: PermitVerdict) -> (String, String) {
        switch v {
        case .valid: return ("Hợp lệ", "Valid")
        case .notYetValid: return ("Chưa đến ngày hiệu lực", "Not yet valid")
        case .expired: return ("Hết hạn", "Expired")
        case .revoked: return ("Đã bị thu hồi", "Revoked")
        case .wrongZone: return ("Sai vùng, sai tuyến", "Wrong zone")
        case .wrongDay: return ("Không phải ngày được đi", "Not valid on this day")
        case .invalid: return ("Không hợp lệ", "Invalid")
        }
    }

    static func label(_ m: PlanModel) -> (String, String) {
        switch m {
        case .threeOnSite: return ("\"3 tại chỗ\" (sản xuất, ăn, nghỉ tại chỗ)", "\"3 on site\" (work, eat, rest on site)")
        case .oneRouteTwoPoints: return ("\"1 cung đường 2 điểm đến\"", "\"1 route, 2 destinations\"")
        case .reducedOnSite: return ("Giảm người làm việc trực tiếp", "Reduced on-site workforce")
        }
    }

    static func label(_ i: PlanItem) -> (String, String) {
        switch i {
        case .covidTeam: return ("Thành lập Tổ COVID", "A COVID team is set up")
        case .staffList: return ("Danh sách người lao động làm việc trực tiếp", "List of on-site staff")
        case .screeningAndDeclaration: return ("Đo thân nhiệt, khai báo y tế hằng ngày", "Daily temperature checks and health declarations")
        case .testingSchedule: return ("Lịch xét nghiệm định kỳ", "Regular testing schedule")
        case .isolationRoom: return ("Khu cách ly tạm thời", "Temporary isolation room")
        case .disinfection: return ("Khử khuẩn, bảo đảm khoảng cách", "Disinfection and distancing")
        case .responsePlanForCase: return ("Phương án xử lý khi có F0", "What to do when a case appears")
        case .onSiteAccommodation: return ("Nơi ở tại chỗ cho người lao động", "On-site accommodation")
        case .onSiteMeals: return ("Bữa ăn tại chỗ", "On-site meals")
        case .fixedRouteAndTransport: return ("Cung đường và phương tiện đưa đón cố định", "Fixed route and transport")
        case .residenceList: return ("Danh sách nơi lưu trú của người lao động", "Where each worker stays")
        case .shiftRoster: return ("Lịch làm việc theo ca", "Shift roster")
        }
    }

    static func label(_ s: PlanStatus) -> (String, String) {
        switch s {
        case .draft: return ("Đang soạn", "Draft")
        case .submitted: return ("Chờ duyệt", "Awaiting review")
        case .returned: return ("Trả lại để bổ sung", "Returned for changes")
        case .approved: return ("Đã duyệt", "Approved")
        case .suspended: return ("Tạm dừng hoạt động", "Suspended")
        }
    }

    static func label(_ r: OutReason) -> (String, String) {
        switch r {
        case .work: return ("Đi làm", "Work")
        case .market: return ("Đi chợ, siêu thị", "Market, supermarket")
        case .other: return ("Lý do khác", "Other")
        }
    }

    package static let audit: [String: (vi: String, en: String)] = {
        var t: [String: (vi: String, en: String)] = [:]
        for (k, v) in [("link_account", ("Cấp tài khoản doanh nghiệp", "Linked a business account")), ("submit_plan", ("Gửi phương án phòng dịch", "Submitted a prevention plan")),
                       ("approve_plan", ("Duyệt phương án phòng dịch", "Approved a prevention plan")), ("return_plan", ("Trả lại phương án phòng dịch", "Returned a prevention plan")),
                       ("suspend_plan", ("Tạm dừng phương án phòng dịch", "Suspended a prevention plan")), ("import_staff", ("Nhập danh sách lao động", "Imported a staff list")),
                       ("request_permits", ("Đề nghị cấp giấy đi đường", "Requested permits")), ("issue_permit", ("Cấp giấy đi đường", "Issued a permit")),
                       ("revoke_permit", ("Thu hồi giấy đi đường", "Revoked a permit")), ("upload_checks", ("Tải lên lượt kiểm tra tại chốt", "Uploaded checkpoint checks")),
                       ("declare", ("Khai báo y tế", "Declared health status"))] {
            t["audit_action.\(k)"] = v
        }
        for (k, v) in [("business", ("Doanh nghiệp, cơ quan", "Business or agency")), ("business_plan", ("Phương án phòng dịch", "Prevention plan")),
                       ("permit", ("Giấy đi đường", "Travel permit")), ("checkpoint_check", ("Kiểm tra tại chốt", "Checkpoint check")),
                       ("health_declaration", ("Khai báo y tế", "Health declaration")), ("violation", ("Biên bản vi phạm", "Violation")),
                       ("inspection", ("Đợt kiểm tra", "Inspection")), ("inspection_finding", ("Tồn tại sau kiểm tra", "Inspection finding"))] {
            t["audit_entity.\(k)"] = v
        }
        for (entity, field, vi, en) in [("business", "tax_code", "Mã số thuế", "Tax code"), ("business", "account", "Tài khoản", "Account"),
                                        ("business", "staff_added", "Số lao động thêm", "Staff added"), ("business", "permits_requested", "Số giấy đề nghị", "Permits requested"),
                                        ("business_plan", "status", "Trạng thái", "Status"), ("business_plan", "model", "Mô hình", "Model"),
                                        ("permit", "status", "Trạng thái", "Status"), ("violation", "kind", "Hành vi", "Violation"), ("violation", "status", "Trạng thái", "Status"),
                                        ("inspection", "findings", "Số tồn tại", "Findings"), ("inspection_finding", "status", "Trạng thái", "Status"), ("checkpoint_check", "checks_stored", "Số lượt lưu", "Checks stored"),
                                        ("person", "movement_records", "Giấy đi đường, vi phạm chuyển từ hồ sơ trùng", "Permits and fines moved from the duplicate")] {
            t["field.\(entity).\(field)"] = (vi, en)
        }
        for s in PlanStatus.allCases { t["business_plan.status.\(s.rawValue)"] = label(s) }
        for m in PlanModel.allCases { t["business_plan.model.\(m.rawValue)"] = label(m) }
        for s in PermitStatus.allCases { t["permit.status.\(s.rawValue)"] = label(s) }
        for k in ViolationKind.allCases { t["violation.kind.\(k.rawValue)"] = label(k) }
        for v in ViolationStatus.allCases { t["violation.status.\(v.rawValue)"] = label(v) }
        t["inspection_finding.status.open"] = ("Chưa khắc phục", "Open")
        t["inspection_finding.status.fixed"] = ("Đã khắc phục", "Fixed")
        return t
    }()

    static func label(_ i: InspectionItem) -> (String, String) {
        switch i {
        case .masks: return ("Đeo khẩu trang", "Masks worn")
        case .distancing: return ("Giữ khoảng cách", "Distancing kept")
        case .healthDeclarations: return ("Khai báo y tế, đo thân nhiệt", "Health declarations and temperature checks")
        case .disinfection: return ("Khử khuẩn", "Disinfection")
        case .permitsChecked: return ("Kiểm tra giấy đi đường", "Permits checked")
        case .planFollowed: return ("Thực hiện đúng phương án", "Plan followed")
        }
    }

    static func label(_ k: ViolationKind) -> (String, String) {
        switch k {
        case .noMask: return ("Không đeo khẩu trang nơi công cộng", "No mask in a public place")
        case .noPermit: return ("Ra đường không có giấy đi đường, không lý do chính đáng", "Out without a permit or a valid reason")
        case .wrongRoute: return ("Đi sai lộ trình, sai phạm vi trên giấy", "Outside the permit's route or area")
        case .gathering: return ("Tụ tập đông người", "Gathering")
        case .quarantineBreach: return ("Vi phạm quy định cách ly", "Breach of quarantine")
        case .operatingWithoutPlan: return ("Hoạt động khi chưa có phương án được duyệt", "Operating without an approved plan")
        }
    }

    static func label(_ s: ViolationStatus) -> (String, String) {
        switch s {
        case .issued: return ("Đã lập biên bản", "Issued")
        case .paid: return ("Đã nộp phạt", "Paid")
        case .appealed: return ("Đang khiếu nại", "Appealed")
        }
    }

    package static let entries: [String: (vi: String, en: String)] = {
        var t: [String: (vi: String, en: String)] = [
            "nav_movement": ("Kiểm soát đi lại", "Movement control"),
            "nav_movement_check": ("Kiểm tra giấy đi đường", "Check permits"),
            "nav_my_business": ("Doanh nghiệp, cơ quan", "Businesses"),
            "mov_title": ("Kiểm soát đi lại", "Movement control"),
            "mov_businesses": ("Doanh nghiệp, cơ quan", "Businesses and agencies"),
            "mov_business": ("Doanh nghiệp", "Business"),
            "mov_new_business": ("Thêm doanh nghiệp, cơ quan", "Add a business or agency"),
            "mov_tax_code": ("Mã số thuế", "Tax code"),
            "mov_tax_code_hint": ("10 chữ số, hoặc 13 chữ số cho chi nhánh (vd. 0100233488-001).", "10 digits, or 13 for a branch (e.g. 0100233488-001)."),
            "mov_kind": ("Loại", "Kind"),
            "mov_sector": ("Ngành nghề", "Sector"),
            "mov_address": ("Địa chỉ", "Address"),
            "mov_ward": ("Phường/xã", "Ward"),
            "mov_workforce": ("Số lao động", "Workforce"),
            "mov_no_businesses": ("Chưa có doanh nghiệp nào.", "No businesses yet."),
            "mov_account": ("Tài khoản doanh nghiệp", "Business account"),
            "mov_create_account": ("Cấp tài khoản", "Create the account"),
            "mov_accounts": ("Tài khoản", "Accounts"),
            "mov_plan": ("Phương án phòng, chống dịch", "Prevention plan"),
            "mov_no_plan": ("Chưa có phương án.", "No plan yet."),
            "mov_model": ("Mô hình hoạt động", "Operating model"),
            "mov_items": ("Nội dung bắt buộc", "Required items"),
            "mov_items_hint": ("Đánh dấu các nội dung đã có; mô hình quyết định nội dung nào là bắt buộc.", "Tick what the plan covers; the model decides which items are required."),
            "mov_team": ("Tổ COVID (mỗi người một dòng: họ tên, chức vụ, điện thoại)", "COVID team (one per line: name, position, phone)"),
            "mov_commitment": ("Người đứng đầu ký cam kết (họ tên)", "Commitment signed by the head (name)"),
            "mov_submit_plan": ("Gửi phương án để duyệt", "Send the plan for review"),
            "mov_review": ("Xét duyệt", "Review"),
            "mov_approve": ("Duyệt", "Approve"),
            "mov_return": ("Trả lại", "Return"),
            "mov_suspend": ("Tạm dừng", "Suspend"),
            "mov_reason": ("Lý do", "Reason"),
            "mov_plans_pending": ("Phương án chờ duyệt", "Plans awaiting review"),
            "mov_staff": ("Danh sách lao động", "Staff list"),
            "mov_staff_csv": ("Tệp CSV: họ tên, số CCCD và công việc (tùy chọn). Dòng lỗi được báo kèm số dòng; gửi lại cùng tệp không thêm trùng. Dòng tiêu đề:", "CSV file: name, citizen ID and job (optional). Bad rows are reported with their line; sending the same file again adds no duplicates. Header row:"),
            "mov_upload": ("Tải lên", "Upload"),
            "mov_in_registry": ("Có trong sổ dân cư", "In the registry"),
            "mov_request_permits": ("Đề nghị cấp giấy đi đường cho cả danh sách", "Request permits for the whole list"),
            "mov_permits": ("Giấy đi đường", "Travel permits"),
            "mov_permit": ("Giấy đi đường", "Travel permit"),
            "mov_number": ("Số giấy", "Number"),
            "mov_holder": ("Người được cấp", "Holder"),
            "mov_citizen_id": ("Số CCCD/CMND", "Citizen ID"),
            "mov_group": ("Đối tượng", "Group"),
            "mov_purpose": ("Mục đích", "Purpose"),
            "mov_route": ("Lộ trình", "Route"),
            "mov_zones": ("Phạm vi (phường/vùng, cách nhau dấu phẩy)", "Area (wards/zones, comma-separated)"),
            "mov_zones_any": ("Toàn thành phố", "The whole city"),
            "mov_valid_from": ("Có giá trị từ ngày", "Valid from"),
            "mov_valid_to": ("Đến hết ngày", "Valid to"),
            "mov_days": ("Ngày được đi chợ (dd/mm/yyyy, cách nhau dấu phẩy)", "Market days (dd/mm/yyyy, comma-separated)"),
            "mov_issuer": ("Cơ quan cấp", "Issued by"),
            "mov_status": ("Trạng thái", "Status"),
            "mov_approve_all": ("Duyệt tất cả giấy chờ duyệt", "Approve all requested permits"),
            "mov_approve_business": ("Duyệt các giấy chờ duyệt của doanh nghiệp này", "Approve this business's requested permits"),
            "mov_individual": ("Cấp giấy đi chợ, mua thuốc cho hộ gia đình", "Issue a household food/medicine voucher"),
            "mov_issue": ("Cấp giấy", "Issue"),
            "mov_revoke": ("Thu hồi giấy", "Revoke the permit"),
            "mov_print": ("In giấy", "Print"),
            "mov_no_permits": ("Chưa có giấy đi đường.", "No permits yet."),
            "mov_qr_hint": ("Chốt kiểm soát quét mã QR này; mã được ký số và kiểm tra được cả khi không có mạng.", "Checkpoints scan this QR; it is digitally signed and checks even without network."),
            "mov_check_title": ("Kiểm tra giấy đi đường", "Check a travel permit"),
            "mov_code_or_number": ("Mã QR hoặc số giấy", "QR code or permit number"),
            "mov_checkpoint": ("Chốt", "Checkpoint"),
            "mov_scan": ("Quét mã bằng camera", "Scan with the camera"),
            "mov_camera_denied": ("Không mở được camera: nhập mã hoặc số giấy.", "The camera could not be opened: type the code or number."),
            "mov_direction": ("Chiều", "Direction"),
            "mov_dir_out": ("Ra khỏi vùng", "Leaving"),
            "mov_dir_in": ("Vào vùng", "Entering"),
            "mov_declaration_ok": ("Có khai báo y tế trong 72 giờ", "Health declaration within 72 hours"),
            "mov_check": ("Kiểm tra", "Check"),
            "mov_recent_checks": ("Lượt kiểm tra gần đây", "Recent checks"),
            "mov_no_checks": ("Chưa có lượt kiểm tra.", "No checks yet."),
            "mov_officer": ("Cán bộ", "Officer"),
            "mov_time": ("Thời gian", "Time"),
            "mov_result": ("Kết quả", "Result"),
            "mov_offline_hint": ("Khi mất mạng, dùng trang Kiểm tra mã QR (/verify): giấy vẫn được kiểm tra và lượt kiểm tra được lưu lại để gửi khi có mạng.", "Without network use the QR check page (/verify): permits are still checked and checks are kept to send once online."),
            "mov_counts": ("Số người được ra đường theo lý do", "People allowed out by reason"),
            "mov_day": ("Ngày", "Day"),
            "mov_total": ("Tổng", "Total"),
            "mov_no_counts": ("Chưa có số liệu cho ngày này.", "No figures for this day."),
            "mov_permits_requested": ("Giấy chờ duyệt", "Permits awaiting approval"),
            "mov_permits_issued": ("Giấy đi đường, phiếu đi chợ dùng được trong ngày", "Permits and market vouchers usable on the day"),
            "mov_checks_today": ("Lượt kiểm tra hôm nay", "Checks today"),
            "mov_added": ("Đã thêm", "Added"),
            "mov_unchanged": ("Đã có từ trước", "Already listed"),
            "mov_matched": ("Khớp sổ dân cư", "Matched in the registry"),
            "mov_line": ("Dòng", "Line"),
            "mov_not_linked": ("Tài khoản chưa được gắn với doanh nghiệp nào. Liên hệ Ban Chỉ huy quận/huyện.", "This account is not linked to a business yet. Contact the district command."),
            "mov_username": ("Tên đăng nhập", "Username"),
            "mov_display_name": ("Họ tên người dùng", "Display name"),
            "mov_password": ("Mật khẩu", "Password"),
            "mov_reason_work": ("Đi làm", "Work"),
            "mov_reason_market": ("Đi chợ, siêu thị", "Market, supermarket"),
            "mov_reason_other": ("Lý do khác", "Other"),
            "mov_kind_enterprise": ("Doanh nghiệp", "Business"),
            "mov_kind_agency": ("Cơ quan nhà nước", "State agency"),
            "mov_declare_title": ("Khai báo y tế", "Health declaration"),
            "mov_declare_help": ("Khai báo trung thực. Mã QR nhận được có giá trị 72 giờ, xuất trình tại chốt kiểm soát.", "Declare truthfully. The QR code you receive is valid for 72 hours; show it at checkpoints."),
            "mov_declare_name": ("Họ và tên", "Full name"),
            "mov_declare_phone": ("Số điện thoại", "Phone"),
            "mov_declare_ward": ("Phường/xã nơi đang ở", "Ward where you stay"),
            "mov_declare_symptoms": ("Trong 14 ngày qua, bạn có triệu chứng nào?", "Any of these symptoms in the last 14 days?"),
            "mov_declare_contact": ("Tôi đã tiếp xúc gần với người mắc COVID-19 (F0)", "I was in close contact with a COVID-19 case"),
            "mov_declare_travel": ("Nơi đã đến trong 14 ngày (nếu có)", "Places visited in the last 14 days (if any)"),
            "mov_declare_send": ("Gửi khai báo", "Send"),
            "mov_declare_done": ("Đã ghi nhận khai báo y tế.", "Your declaration is recorded."),
            "mov_declare_flagged": ("Bạn có triệu chứng hoặc tiếp xúc: Trạm Y tế phường sẽ liên hệ. Hạn chế ra ngoài, đeo khẩu trang.", "You reported symptoms or contact: the ward health station will call you. Stay home and wear a mask."),
            "mov_declare_until": ("Có giá trị đến", "Valid until"),
            "mov_declare_code": ("Mã khai báo", "Declaration code"),
            "mov_violations": ("Vi phạm, xử phạt", "Violations and fines"),
            "mov_person_section": ("Đi lại, vi phạm", "Movement and fines"),
            "mov_new_violation": ("Lập biên bản vi phạm", "Record a violation"),
            "mov_violation_kind": ("Hành vi vi phạm", "Violation"),
            "mov_amount": ("Số tiền phạt (đồng)", "Fine (VND)"),
            "mov_legal_basis": ("Căn cứ", "Legal basis"),
            "mov_place": ("Địa điểm", "Place"),
            "mov_occurred_on": ("Ngày vi phạm", "Date"),
            "mov_offender": ("Người/đơn vị vi phạm", "Offender"),
            "mov_mark_paid": ("Đã nộp phạt", "Mark paid"),
            "mov_mark_appealed": ("Khiếu nại", "Appealed"),
            "mov_no_violations": ("Chưa có biên bản.", "No violations recorded."),
            "mov_fine_ranges": ("Khung phạt (cá nhân; tổ chức gấp đôi)", "Fine ranges (individuals; organisations twice)"),
            "nav_violations": ("Vi phạm, xử phạt", "Violations"),
            "mov_violations_today": ("Vi phạm trong ngày", "Violations that day"),
            "mov_flagged_today": ("Khai báo y tế có triệu chứng trong ngày", "Declarations with symptoms that day"),
            "nav_inspections": ("Kiểm tra, giám sát", "Inspections"),
            "mov_inspections": ("Kiểm tra, giám sát", "Inspections"),
            "mov_new_inspection": ("Ghi kết quả kiểm tra", "Record an inspection"),
            "mov_target": ("Nơi được kiểm tra", "Inspected"),
            "mov_team_name": ("Đoàn kiểm tra", "Inspection team"),
            "mov_visited_on": ("Ngày kiểm tra", "Visited on"),
            "mov_checklist": ("Đạt yêu cầu (đánh dấu mục đạt)", "Met (tick what was met)"),
            "mov_deadline": ("Hạn khắc phục", "Deadline to fix"),
            "mov_findings": ("Tồn tại cần khắc phục", "Findings to fix"),
            "mov_recognized": ("Biểu dương: thực hiện tốt", "Recognised for good practice"),
            "mov_mark_fixed": ("Đã khắc phục", "Mark fixed"),
            "mov_overdue": ("Quá hạn", "Overdue"),
            "mov_no_inspections": ("Chưa có đợt kiểm tra.", "No inspections yet."),
            "mov_notes": ("Ghi chú", "Notes"),
            "mov_plan_reason": ("Lý do trả lại / tạm dừng", "Reason returned / suspended"),
        ]
        // The offline verifier's plug-in reads its words from the `sig.` keys (Signing.words).
        for v in PermitVerdict.allCases { t["sig.permit_\(v.rawValue)"] = label(v) }
        t["sig.permit_holder"] = ("Người được cấp", "Holder")
        t["sig.permit_number"] = ("Số giấy", "Number")
        t["sig.permit_dates"] = ("Thời hạn", "Valid")
        t["sig.permit_zones"] = ("Phạm vi", "Area")
        t["sig.permit_checkpoint"] = ("Chốt đang đứng", "Checkpoint you stand at")
        t["sig.permit_own_ward"] = ("Phường/xã của tôi", "My ward")
        for g in PermitGroup.allCases { t["permit.group.\(g.rawValue)"] = label(g) }
        for s in PermitStatus.allCases { t["permit.status.\(s.rawValue)"] = label(s) }
        for v in PermitVerdict.allCases { t["check.result.\(v.rawValue)"] = label(v) }
        t["check.result.papers"] = ("Có giấy tờ (không cần giấy đi đường)", "Papers shown (no permit needed)")
        for d in CheckDirection.allCases { t["check.direction.\(d.rawValue)"] = d == .outbound ? ("Ra", "Out") : ("Vào", "In") }
        for m in PlanModel.allCases { t["plan.model.\(m.rawValue)"] = label(m) }
        for i in PlanItem.allCases { t["plan.item.\(i.rawValue)"] = label(i) }
        for s in PlanStatus.allCases { t["plan.status.\(s.rawValue)"] = label(s) }
        for r in OutReason.allCases { t["out_reason.\(r.rawValue)"] = label(r) }
        for i in InspectionItem.allCases { t["inspection.item.\(i.rawValue)"] = label(i) }
        for (k, vi, en) in [("business", "Doanh nghiệp, cơ quan", "Business or agency"), ("ward", "Phường/xã", "Ward"), ("checkpoint", "Chốt kiểm soát", "Checkpoint")] {
            t["inspection.target.\(k)"] = (vi, en)
        }
        t["inspection_finding.status.open"] = ("Chưa khắc phục", "Open")
        t["inspection_finding.status.fixed"] = ("Đã khắc phục", "Fixed")
        t["business.kind.enterprise"] = ("Doanh nghiệp", "Business")
        t["business.kind.agency"] = ("Cơ quan nhà nước", "State agency")
        return t.merging(audit) { a, _ in a }
    }()
}
