import EpiCore
import EpiPlatform

/// UI text of the testing chain (Vietnamese first, English second).
package enum TestingStrings {
    package static let entries: [String: (vi: String, en: String)] = [
        "nav_testing": ("Xét nghiệm", "Testing"),
        "policy_source.sample_pool_max": ("Thực tế xét nghiệm gộp mẫu 5 hoặc 10 người/ống, Hà Nội 2021", "Hanoi 2021 practice: pools of 5 or 10 per tube"),
        "policy_source.result_overdue_hours": ("Mặc định của EpiCommand", "EpiCommand default"),
        "policy_source.batch_receipt_hours": ("Mặc định của EpiCommand", "EpiCommand default"),
        "policy_source.antigen_confirmation": ("Bộ Y tế giữa 2021: RT-PCR khẳng định; quy định sau đó [chưa chắc chắn]", "MoH mid-2021: RT-PCR confirms; later rules [unsure]"),
        "nav_sampling": ("Lấy mẫu", "Sampling"),
        "nav_batches": ("Vận chuyển mẫu", "Sample transport"),
        "nav_lab_results": ("Kết quả xét nghiệm", "Lab results"),
        "tst_title": ("Xét nghiệm", "Testing"),
        "tst_14_days": ("14 ngày", "14 days"),
        "tst_accept_result": ("Chấp nhận kết quả mới", "Accept the new result"),
        "tst_action_failed": ("Chưa xử lý được kết quả:", "The result could not be acted on:"),
        "tst_add_newcomers": ("Thêm người chưa có trong danh sách", "Add people not in the registry"),
        "tst_already_recorded": ("Đã có từ trước (không thêm)", "Already recorded (nothing added)"),
        "tst_batch": ("Lô mẫu", "Batch"),
        "tst_batch_discrepancy": ("Phòng xét nghiệm nhận lệch số ống", "The laboratory received a different count"),
        "tst_batch_labels": ("Mã các ống trong lô", "Tube labels in the batch"),
        "tst_batch_labels_hint": ("Quét hoặc gõ mỗi mã một dòng; để trống để gửi mọi ống của điểm chưa gửi.", "Scan or type one label per line; leave empty to send every tube of the point not yet sent."),
        "tst_batch_late": ("Lô này chưa được phòng xét nghiệm xác nhận nhận đúng hạn.", "The laboratory has not confirmed receipt of this batch in time."),
        "tst_batches": ("Vận chuyển mẫu", "Sample transport"),
        "tst_campaign_test": ("Theo đợt xét nghiệm", "As the campaign says"),
        "tst_campaigns": ("Đợt xét nghiệm", "Testing campaigns"),
        "tst_capacity": ("Công suất (người/ngày)", "Capacity (people/day)"),
        "tst_carrier": ("Người vận chuyển", "Carried by"),
        "tst_cases_opened": ("F0 đã mở", "cases opened"),
        "tst_close_campaign": ("Kết thúc đợt xét nghiệm", "Close the campaign"),
        "tst_closed": ("Đã kết thúc", "Closed"),
        "tst_confirm_receipt": ("Xác nhận đã nhận lô", "Confirm receipt"),
        "tst_correct_label": ("Mã ống đúng", "Correct tube label"),
        "tst_count": ("Số ống", "Tubes"),
        "tst_csv_help": ("Mỗi dòng một kết quả của một ống. Cột bắt buộc: ma_ong_mau, ket_qua (Dương tính/Âm tính/Không xác định), thoi_gian_tra_ket_qua (dd/mm/yyyy hh:mm). Dòng lỗi được báo kèm số dòng, dòng hợp lệ được lưu; gửi lại cùng tệp không thêm gì. Các cột:", "One tube result per row. Required columns: ma_ong_mau, ket_qua (positive/negative/inconclusive), thoi_gian_tra_ket_qua (dd/mm/yyyy hh:mm). Bad rows are reported with their line, good rows are kept; sending the same file again adds nothing. Columns:"),
        "tst_deadline": ("Hạn hoàn thành", "Deadline"),
        "tst_dismiss": ("Loại kết quả", "Set aside"),
        "tst_dismiss_reason": ("Lý do", "Reason"),
        "tst_due": ("Hạn nhận", "Due by"),
        "tst_enter_results": ("Nhập kết quả", "Enter results"),
        "tst_expected_by_today": ("cần đạt đến hôm nay", "expected by today"),
        "tst_file_seen": ("Tệp này đã được nhập lúc", "This file was already imported at"),
        "tst_find_household": ("Tìm hộ: họ tên, số điện thoại, CCCD hoặc mã hộ", "Find a household: name, phone, ID or household code"),
        "tst_flag_retest": ("Cần xét nghiệm lại", "To be re-tested"),
        "tst_from": ("Từ điểm", "From"),
        "tst_group": ("Nhóm nguy cơ", "Group at risk"),
        "tst_group_targets": ("Số người của nhóm theo phường/xã", "Group size per ward"),
        "tst_group_targets_hint": ("Với nhóm nguy cơ: mỗi dòng \"mã phường: số người\".", "For a group at risk: one line per ward, \"ward code: people\"."),
        "tst_hl7_facility": ("Mã cơ sở gửi HL7 (MSH-4)", "HL7 sending facility (MSH-4)"),
        "tst_hl7_fhir_help": ("Hệ thống phòng xét nghiệm có thể gửi kết quả tự động: HL7 v2.5.1 ORU^R01 qua MLLP hoặc POST /api/v1/testing/results/hl7, và FHIR R4 Bundle qua POST /api/v1/testing/results/fhir.", "Laboratory systems can send results automatically: HL7 v2.5.1 ORU^R01 over MLLP or POST /api/v1/testing/results/hl7, and FHIR R4 Bundles to POST /api/v1/testing/results/fhir."),
        "tst_kind": ("Loại mẫu", "Kind"),
        "tst_lab": ("Phòng xét nghiệm", "Laboratory"),
        "tst_lab_ward": ("Đặt tại phường/xã", "Located in"),
        "tst_label": ("Mã ống mẫu", "Tube label"),
        "tst_labs": ("Phòng xét nghiệm", "Laboratories"),
        "tst_labs_help": ("Tài khoản phòng xét nghiệm làm việc cho các phòng đặt tại đơn vị của tài khoản. Kết quả gửi qua MLLP nhận diện phòng theo mã cơ sở HL7.", "A laboratory account works for the laboratories located in its unit. Results sent over MLLP name their laboratory by its HL7 facility id."),
        "tst_late": ("quá hạn", "late"),
        "tst_link_person": ("Gắn với người này", "Link to this person"),
        "tst_link_tube": ("Gắn với ống này", "Link to this tube"),
        "tst_manifest": ("Danh sách ống", "Manifest"),
        "tst_match": ("Đối chiếu", "Matching"),
        "tst_matched": ("Khớp mẫu hoặc người", "Matched"),
        "tst_missing_title": ("Phường/xã sẽ không kịp hạn với tốc độ hiện tại", "Wards that will miss the deadline at the current pace"),
        "tst_new_campaign": ("Lập đợt xét nghiệm", "New campaign"),
        "tst_new_lab": ("Thêm phòng xét nghiệm", "Add a laboratory"),
        "tst_new_point": ("Thêm điểm lấy mẫu", "Add a sampling point"),
        "tst_no_active_points": ("Chưa có điểm lấy mẫu nào đang hoạt động trong địa bàn. Ban Chỉ huy quận/thành phố lập đợt xét nghiệm và điểm lấy mẫu.", "No active sampling point in your jurisdiction yet. The district or city command sets up campaigns and points."),
        "tst_no_batches": ("Chưa có lô mẫu nào.", "No batches yet."),
        "tst_no_campaigns": ("Chưa có đợt xét nghiệm nào.", "No campaigns yet."),
        "tst_no_labs": ("Chưa có phòng xét nghiệm nào.", "No laboratories yet."),
        "tst_no_points": ("Chưa có điểm lấy mẫu.", "No sampling points yet."),
        "tst_no_result_yet": ("Chưa có kết quả.", "No result yet."),
        "tst_no_results": ("Chưa có kết quả nào.", "No results yet."),
        "tst_no_retests": ("Không có ai cần xét nghiệm lại.", "Nobody needs a re-test."),
        "tst_no_tubes": ("Chưa có ống mẫu nào.", "No tubes yet."),
        "tst_no_turnaround": ("Chưa có kết quả trong 7 ngày qua.", "No results in the last 7 days."),
        "tst_not_registered": ("chưa có trong danh sách nhân khẩu", "not in the registry"),
        "tst_notes": ("Ghi chú", "Notes"),
        "tst_oldest": ("Lấy mẫu sớm nhất", "Oldest sampled"),
        "tst_overdue_by_ward": ("Ống quá hạn chưa có kết quả theo phường/xã", "Overdue tubes by ward"),
        "tst_p50": ("Trung vị (p50)", "Median (p50)"),
        "tst_p90": ("p90", "p90"),
        "tst_people": ("người", "people"),
        "tst_people_in_tube": ("Người trong ống", "People in the tube"),
        "tst_people_per_day": ("người/ngày", "people/day"),
        "tst_per_day": ("Mỗi ngày (3 ngày qua)", "Per day (last 3 days)"),
        "tst_period": ("Thời gian", "Period"),
        "tst_person": ("Người", "Person"),
        "tst_person_id": ("Mã hồ sơ người", "Person record id"),
        "tst_person_section": ("Xét nghiệm", "Testing"),
        "tst_risk_groups": ("Nhóm nguy cơ", "Groups at risk"), "tst_risk_groups_edit": ("Ghi nhóm nguy cơ (tiểu thương, shipper, lái xe…)", "Record groups at risk (market traders, shippers, drivers…)"),
        "tst_point": ("Điểm lấy mẫu", "Sampling point"),
        "tst_points": ("Điểm lấy mẫu", "Sampling points"),
        "tst_pool_hint": ("Chọn 1 người là mẫu đơn; từ 2 người trở lên là mẫu gộp, tối đa", "One person is an individual sample; two or more are a pooled tube, at most"),
        "tst_pool_size": ("Số người mỗi ống gộp", "People per pooled tube"),
        "tst_positives": ("Dương tính", "Positive"),
        "tst_positivity": ("Tỷ lệ dương tính", "Positivity"),
        "tst_positivity_wards": ("Tỷ lệ dương tính 7 ngày theo phường/xã", "7-day positivity by ward"),
        "tst_progress": ("Tiến độ", "Progress"),
        "tst_projected": ("Dự kiến đến hạn", "Projected by the deadline"),
        "tst_reason": ("Lý do", "Reason"),
        "tst_received": ("đã nhận", "received"),
        "tst_received_count": ("Số ống đã nhận", "Tubes received"),
        "tst_register_person": ("Lập hồ sơ mới", "Register a new person"),
        "tst_reported": ("Phòng xét nghiệm ghi", "The laboratory wrote"),
        "tst_result": ("Kết quả", "Result"),
        "tst_resulted_at": ("Thời gian trả kết quả", "Resulted at"),
        "tst_results": ("Kết quả xét nghiệm", "Test results"),
        "tst_results_7d": ("Kết quả 7 ngày", "Results (7 days)"),
        "tst_retests": ("Cần xét nghiệm lại", "To re-test"),
        "tst_retests_help": ("Người trong ống gộp dương tính, có test nhanh dương tính cần RT-PCR khẳng định, hoặc có mẫu không đạt: lấy mẫu đơn lại cho từng người.", "People in a positive pooled tube, with a rapid positive that RT-PCR must confirm, or with an unreadable tube: take an individual sample from each."),
        "tst_capacity_per_day": ("Công suất điểm lấy mẫu (người/ngày)", "Points' capacity (people/day)"),
        "tst_edit_lab": ("Sửa tên, mã HL7", "Edit name, HL7 id"),
        "tst_lab_code_fixed": ("Mã phòng xét nghiệm không đổi: tệp kết quả và hệ thống của phòng gọi phòng bằng mã này.", "The lab code stays: result files and the lab's system name the lab by it."),
        "tst_retest_result": ("Kết quả", "Result"),
        "tst_retest_close": ("Đóng: đã có kết quả", "Close: resulted"),
        "tst_retest_reason": ("Lý do", "Reason"),
        "tst_retest_cancel": ("Hủy nhiệm vụ", "Cancel the task"),
        "tst_retests_opened": ("người cần xét nghiệm lại", "people to re-test"),
        "tst_retry": ("Xử lý lại", "Try again"),
        "tst_review": ("Chờ đối chiếu", "Awaiting review"),
        "tst_review_empty": ("Không có kết quả nào chờ đối chiếu.", "No result is waiting for review."),
        "tst_review_help": ("Kết quả không khớp ống hay người nào, ghi tên người không có trong ống, hoặc khác kết quả chính thức trước đó: chọn ống đúng, gắn người, lập hồ sơ hoặc loại kết quả. Không ai bị tạo trùng hồ sơ.", "Results that match no tube or person, name someone not in their tube, or differ from an earlier final result: choose the right tube, link a person, register them or set the result aside. Nobody is registered twice."),
        "tst_review_title": ("Kết quả chờ đối chiếu", "Results awaiting review"),
        "tst_sampled_at": ("Thời gian lấy mẫu", "Sampled at"),
        "tst_sampled_people": ("Đã lấy mẫu", "Sampled"),
        "tst_save_tube": ("Lưu ống mẫu", "Save the tube"),
        "tst_saved_tube": ("Đã lưu ống", "Saved tube"),
        "tst_scan_or_type": ("Quét mã vạch hoặc gõ mã ống", "Scan the barcode or type the label"),
        "tst_send": ("Gửi lô", "Send the batch"),
        "tst_send_batch": ("Gửi lô mẫu đến phòng xét nghiệm", "Send a batch to a laboratory"),
        "tst_sent": ("Gửi lúc", "Sent"),
        "tst_since": ("Từ", "Since"),
        "tst_source": ("Nguồn", "Source"),
        "tst_start": ("Bắt đầu", "Starts"),
        "tst_symptomatic": ("Có triệu chứng", "Has symptoms"),
        "tst_take_samples": ("Lấy mẫu", "Take samples"),
        "tst_target": ("Đối tượng", "Target"),
        "tst_target_people": ("Chỉ tiêu (người)", "Target (people)"),
        "tst_team": ("Tổ lấy mẫu", "Sampling team"),
        "tst_test": ("Loại xét nghiệm", "Test"),
        "tst_trends": ("Diễn biến", "Trends"),
        "tst_tube": ("Ống", "Tube"),
        "tst_tubes": ("Ống mẫu", "Sample tubes"),
        "tst_tubes_lc": ("ống", "tubes"),
        "tst_turnaround": ("Thời gian trả kết quả theo phòng xét nghiệm (7 ngày)", "Turnaround by laboratory (7 days)"),
        "tst_unsent": ("ống chưa gửi", "tubes not sent"),
        "tst_upload_results": ("Nhập kết quả từ tệp CSV", "Upload results (CSV)"),
        "tst_wards": ("Phường/xã", "Wards"),
        "tst_wards_hint": ("Mã các phường/xã, cách nhau bằng dấu phẩy; để trống là mọi phường/xã của đơn vị.", "Ward codes separated by commas; empty means every ward of the unit."),
        "tst_wards_will_miss": ("phường/xã sẽ không kịp hạn với tốc độ lấy mẫu hoặc công suất điểm lấy mẫu hiện tại.", "wards will miss the deadline at the current sampling pace or capacity."),
        "tst_will_miss": ("không kịp hạn", "will miss"),
        "tst_your_lab": ("Phòng của bạn", "Your laboratory"),
        "tst_zone": ("Vùng phong tỏa", "Lockdown zone"),
        "actor.mllp": ("Kết nối HL7 (MLLP) của phòng xét nghiệm", "Laboratory HL7 link (MLLP)"),
    ]
}

/// How testing's audit rows read: actions, record kinds, fields and coded values (see `AuditDisplay`).
package enum TestingAuditStrings {
    package static let actions: [String: (vi: String, en: String)] = [
        "sampled": ("Lấy mẫu xét nghiệm", "Sampled"), "receive": ("Nhận lô mẫu", "Received a batch"), "retest": ("Yêu cầu xét nghiệm lại", "Re-test required"),
        "review": ("Đối chiếu kết quả", "Reviewed a result"), "linked_case": ("Gắn kết quả với F0 đã có", "Linked to an existing case"),
        "set_risk_groups": ("Ghi nhóm nguy cơ", "Recorded the groups at risk"),
    ]
    package static let entities: [String: (vi: String, en: String)] = [
        "campaign": ("Đợt xét nghiệm", "Testing campaign"), "sampling_point": ("Điểm lấy mẫu", "Sampling point"), "sample": ("Ống mẫu", "Sample tube"),
        "batch": ("Lô mẫu", "Sample batch"), "test_result": ("Kết quả xét nghiệm", "Test result"), "lab_results": ("Tệp kết quả xét nghiệm", "Lab result file"),
        "lab": ("Phòng xét nghiệm", "Laboratory"), "fhir_export": ("Xuất dữ liệu FHIR", "FHIR export"),
        "retest": ("Nhiệm vụ xét nghiệm lại", "Re-test task"),
    ]

    package static let entries: [String: (vi: String, en: String)] = {
        var table: [String: (vi: String, en: String)] = [:]
        for (k, v) in actions { table["audit_action.\(k)"] = v }
        for (k, v) in entities { table["audit_entity.\(k)"] = v }
        let fields: [(String, String, (vi: String, en: String))] = [
            ("campaign", "target_kind", ("Đối tượng", "Target")), ("campaign", "starts_on", ("Bắt đầu", "Starts")), ("campaign", "deadline_on", ("Hạn hoàn thành", "Deadline")),
            ("campaign", "test", ("Loại xét nghiệm", "Test")), ("campaign", "status", ("Trạng thái", "Status")),
            ("sampling_point", "daily_capacity", ("Công suất mỗi ngày", "Daily capacity")),
            ("sample", "kind", ("Loại mẫu", "Kind")), ("sample", "label", ("Mã ống", "Tube label")),
            ("batch", "declared_count", ("Số ống gửi", "Tubes sent")), ("batch", "received_count", ("Số ống nhận", "Tubes received")), ("batch", "status", ("Trạng thái", "Status")),
            ("test_result", "value", ("Kết quả", "Result")), ("test_result", "match_status", ("Đối chiếu", "Matching")), ("test_result", "case_id", ("Ca F0", "Case")),
            ("test_result", "reason", ("Lý do", "Reason")), ("test_result", "action_status", ("Xử lý", "Action")), ("test_result", "sample_id", ("Ống mẫu", "Tube")),
            ("test_result", "person_id", ("Người", "Person")), ("person", "risk_groups", ("Nhóm nguy cơ", "Groups at risk")),
            ("retest", "status", ("Trạng thái", "Status")), ("retest", "outcome", ("Kết quả", "Result")),
            ("lab", "hl7_facility", ("Mã cơ sở HL7", "HL7 facility id")), ("lab", "name", ("Tên", "Name")), ("lab", "active", ("Trạng thái", "Status")),
        ]
        for (entity, field, label) in fields { table["field.\(entity).\(field)"] = label }
        for v in CampaignTarget.allCases { table["campaign.target_kind.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in LabTest.allCases { table["campaign.test.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        table["campaign.status.active"] = ("Đang lấy mẫu", "Sampling")
        table["campaign.status.closed"] = ("Đã kết thúc", "Closed")
        for v in SampleKind.allCases { table["sample.kind.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in BatchStatus.allCases { table["batch.status.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in TestResultValue.allCases { table["test_result.value.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in MatchStatus.allCases { table["test_result.match_status.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in RetestReason.allCases { table["test_result.reason.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for (code, vi, en) in [("none", "Không cần xử lý", "Nothing to do"), ("pending", "Đang chờ xử lý", "Pending"), ("done", "Đã xử lý", "Done"), ("failed", "Chưa xử lý được", "Failed")] {
            table["test_result.action_status.\(code)"] = (vi, en)
        }
        for v in RetestStatus.allCases { table["retest.status.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in TestResultValue.allCases { table["retest.outcome.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        table["lab.active.true"] = ("Đang hoạt động", "Active")
        table["lab.active.false"] = ("Ngừng hoạt động", "Inactive")
        return table
    }()
}
