import EpiCore
import EpiPlatform

/// How reporting's audit rows read: its actions, record kinds, fields and coded values (see `AuditDisplay`).
package enum ReportingAuditStrings {
    package static var entries: [String: (vi: String, en: String)] {
        var table = fixed
        // A submission's changes name the template's fields; the seeded templates' fields read by their labels.
        for field in DefaultTemplates.all.flatMap(\.fields) where table["field.report_submission.\(field.key)"] == nil {
            table["field.report_submission.\(field.key)"] = (field.labelVI, field.labelEN)
        }
        return table
    }

    static let fixed: [String: (vi: String, en: String)] = [
        "audit_action.submit": ("Gửi báo cáo", "Submitted a report"), "audit_action.correct": ("Sửa báo cáo", "Corrected a report"),
        "audit_action.remind": ("Đôn đốc", "Sent a reminder"), "audit_action.post": ("Đăng tin", "Posted"), "audit_action.handle": ("Đánh dấu đã xử lý", "Marked handled"),
        "audit_action.print": ("In báo cáo", "Printed"),
        "audit_entity.duty_shift": ("Ca trực", "Duty shift"), "audit_entity.hotline": ("Đường dây nóng", "Hotline"), "audit_entity.message": ("Tin nhắn", "Message"),
        "audit_entity.report_consolidation": ("Báo cáo tổng hợp", "Consolidated report"), "audit_entity.report_reminder": ("Đôn đốc báo cáo", "Report reminder"),
        "audit_entity.report_submission": ("Báo cáo", "Report"), "audit_entity.report_template": ("Mẫu báo cáo", "Report template"),
        "audit_entity.target": ("Chỉ tiêu", "Target"), "audit_entity.task": ("Nhiệm vụ", "Task"),
        "field.duty_shift.person": ("Người trực", "On duty"),
        "field.message.handled": ("Đã xử lý", "Handled"), "message.handled.true": ("Đã xử lý", "Handled"), "message.handled.false": ("Chưa xử lý", "Not handled"),
        "field.message.mentions": ("Gửi tới", "Mentions"),
        "field.report_template.active": ("Đang dùng", "In use"), "report_template.active.true": ("Đang dùng", "In use"), "report_template.active.false": ("Ngừng dùng", "Retired"),
        "field.report_template.deadline": ("Hạn gửi", "Deadline"), "field.report_template.fields": ("Các trường", "Fields"),
        "field.report_template.version": ("Phiên bản", "Version"),
        "field.report_submission.correction_reason": ("Lý do sửa", "Reason for correction"),
        "field.target.active": ("Đang theo dõi", "Tracked"), "target.active.true": ("Đang theo dõi", "Tracked"), "target.active.false": ("Đã bỏ", "Removed"),
        "field.target.source": ("Nguồn số liệu", "Source"), "field.target.target_value": ("Chỉ tiêu", "Target value"),
        "field.task.assignee": ("Người thực hiện", "Assignee"), "field.task.due_at": ("Hạn", "Due"), "field.task.status": ("Trạng thái", "Status"),
        "task.status.open": ("Chưa làm", "Open"), "task.status.in_progress": ("Đang làm", "In progress"), "task.status.done": ("Hoàn thành", "Done"),
        "task.status.cancelled": ("Đã hủy", "Cancelled"),
        "field.hotline.phone": ("Số điện thoại", "Phone"),
    ]
}
