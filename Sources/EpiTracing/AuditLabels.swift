import EpiCore
import EpiPlatform

/// How tracing's audit rows read: its actions, record kinds, fields and coded values (see `AuditDisplay`).
package enum TracingAuditStrings {
    package static let entries: [String: (vi: String, en: String)] = fixed.merging(enumLabels) { a, _ in a }

    /// A case's coded fields read as the case page labels them.
    static let enumLabels: [String: (vi: String, en: String)] = {
        var table: [String: (vi: String, en: String)] = [:]
        for v in CareSetting.allCases { table["case.care_setting.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in DetectionSetting.allCases { table["case.detected_in.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in ClinicalStatus.allCases { table["case.clinical_status.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in CaseOutcome.allCases { table["case.outcome.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        for v in TestType.allCases { table["case.test_type.\(v.rawValue)"] = (v.labelVI, v.labelEN) }
        return table
    }()

    static let fixed: [String: (vi: String, en: String)] = [
        "audit_action.case_opened": ("Ghi nhận F0", "Recorded a case"), "audit_action.exposure": ("Ghi nhận tiếp xúc", "Recorded a contact"),
        "audit_action.reached": ("Đã liên hệ", "Reached"), "audit_action.unreached": ("Chưa liên hệ được", "Not reached"),
        "audit_action.close": ("Đóng", "Closed"), "audit_action.quarantine": ("Bắt đầu cách ly", "Started quarantine"),
        "audit_action.extend": ("Gia hạn", "Extended"), "audit_action.test_result": ("Kết quả xét nghiệm", "Test result"),
        "audit_action.released": ("Hoàn thành cách ly", "Released"), "audit_action.transferred": ("Chuyển nơi cách ly", "Transferred"),
        "audit_action.became_case": ("Chuyển thành F0", "Became a case"), "audit_action.ended": ("Kết thúc", "Ended"),
        "audit_action.cancel": ("Hủy", "Cancelled"), "audit_action.cancelled": ("Hủy đợt cách ly", "Cancelled the quarantine"), "audit_action.dispatch": ("Điều xe", "Dispatched"), "audit_action.arrive": ("Đã đến", "Arrived"),
        "audit_action.lift": ("Gỡ phong tỏa", "Lifted"), "audit_action.narrow": ("Thu hẹp vùng", "Narrowed"), "audit_action.redraw": ("Vẽ lại vùng", "Redrawn"),
        "audit_action.supply": ("Cấp nhu yếu phẩm", "Supplies delivered"), "audit_action.assess": ("Đánh giá cấp độ", "Assessed the level"),
        "audit_action.recompute": ("Tính lại", "Recomputed"),
        "audit_entity.case": ("Ca F0", "Case"), "audit_entity.checkpoint": ("Chốt kiểm soát", "Checkpoint"), "audit_entity.cluster": ("Ổ dịch", "Cluster"),
        "audit_entity.contact_levels": ("Cấp tiếp xúc", "Contact levels"), "audit_entity.episode": ("Đợt cách ly", "Quarantine episode"),
        "audit_entity.exposure": ("Tiếp xúc", "Exposure"), "audit_entity.exposures": ("Danh sách tiếp xúc", "Contact list"),
        "audit_entity.facility": ("Cơ sở cách ly", "Quarantine facility"), "audit_entity.quarantine_rule": ("Quy định cách ly", "Quarantine rule"),
        "audit_entity.risk_week": ("Cấp độ dịch theo tuần", "Weekly risk level"), "audit_entity.risk_rule_set": ("Bảng tiêu chí cấp độ", "Risk criteria"),
        "audit_entity.indicator": ("Chỉ số", "Indicator"), "audit_entity.tracing_task": ("Nhiệm vụ truy vết", "Tracing task"),
        "audit_entity.transfer": ("Điều chuyển", "Transfer"), "audit_entity.zone": ("Vùng phong tỏa", "Lockdown zone"),
        "field.person.tracing_records": ("Truy vết chuyển từ hồ sơ trùng", "Tracing moved from the duplicate"),
        "field.person.repeated_exposures": ("Tiếp xúc ghi trùng đã bỏ", "Exposures entered twice, removed"),
        "field.case.person_id": ("Người", "Person"), "field.case.confirmed_on": ("Ngày khẳng định", "Confirmed on"),
        "field.case.care_setting": ("Nơi điều trị", "Care setting"), "field.case.detected_in": ("Phát hiện tại", "Detected in"),
        "field.case.clinical_status": ("Tình trạng lâm sàng", "Clinical status"), "field.case.outcome": ("Kết cục", "Outcome"),
        "field.case.outcome_on": ("Ngày kết cục", "Outcome date"), "field.case.cluster_id": ("Ổ dịch", "Cluster"), "field.case.facility_id": ("Cơ sở", "Facility"),
        "field.case.symptom_onset": ("Ngày khởi phát", "Symptom onset"), "field.case.sampled_on": ("Ngày lấy mẫu", "Sampled on"),
        "field.case.test_type": ("Loại xét nghiệm", "Test type"), "field.case.notes": ("Ghi chú", "Notes"),
"case.care_setting.facility": ("Cơ sở cách ly", "Quarantine facility"),
"case.detected_in.community": ("Cộng đồng", "Community"), "case.detected_in.quarantine": ("Khu cách ly", "Quarantine"),
"case.clinical_status.asymptomatic": ("Không triệu chứng", "Asymptomatic"), "case.clinical_status.mild": ("Nhẹ", "Mild"),
"case.clinical_status.severe": ("Nặng", "Severe"),
"case.outcome.active": ("Đang điều trị", "Under treatment"), "case.outcome.recovered": ("Khỏi bệnh", "Recovered"),
"case.outcome.ruled_out": ("Loại trừ", "Ruled out"),
        "field.exposure.source_id": ("Nguồn lây", "Source"), "field.exposure.contact_id": ("Người tiếp xúc", "Contact"),
        "field.episode.person_id": ("Người", "Person"), "field.episode.rule_id": ("Quy định áp dụng", "Rule applied"),
        "field.episode.planned_end": ("Dự kiến kết thúc", "Planned end"), "field.episode.status": ("Trạng thái", "Status"),
        "episode.status.active": ("Đang cách ly", "In quarantine"), "episode.status.released": ("Hoàn thành cách ly", "Released"),
        "episode.status.transferred": ("Đã chuyển", "Transferred"), "episode.status.became_case": ("Chuyển thành F0", "Became a case"),
        "episode.status.ended": ("Kết thúc", "Ended"), "episode.status.cancelled": ("Đã hủy", "Cancelled"),
        "field.facility.capacity": ("Sức chứa", "Capacity"),
        "field.quarantine_rule.days": ("Số ngày", "Days"), "field.quarantine_rule.test_days": ("Ngày xét nghiệm", "Test days"),
        "field.tracing_task.status": ("Trạng thái", "Status"),
        "tracing_task.status.open": ("Đang truy vết", "Open"), "tracing_task.status.done": ("Hoàn thành", "Done"),
        "field.transfer.status": ("Trạng thái", "Status"),
        "transfer.status.requested": ("Đã yêu cầu", "Requested"), "transfer.status.dispatched": ("Đã điều xe", "Dispatched"),
        "transfer.status.arrived": ("Đã đến", "Arrived"), "transfer.status.cancelled": ("Đã hủy", "Cancelled"),
        "field.zone.groups": ("Tổ dân phố", "Residential groups"), "field.zone.addresses": ("Địa chỉ", "Addresses"), "field.zone.status": ("Trạng thái", "Status"),
        "zone.status.active": ("Đang phong tỏa", "In force"), "zone.status.lifted": ("Đã gỡ", "Lifted"),
    ]
}
