import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Tables of the reporting regime, the message streams, tasks, duty rosters and targets.
///
/// Every table that belongs to a place carries `unit_path` and `group_code` ('' above the group
/// level), so `Scope.condition()` filters it like the registry.
package enum ReportMigrations {
    package static let createReports = Migration("rep_001_report_templates_submissions") { db, kind in
        let c = kind.byteOrderCollation
        // A template is versioned: editing inserts a new (code, version); submissions name the version they used.
        try await db.create(table: "report_templates")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("code", type: .text, .notNull)
            .column("version", type: .bigint, .notNull)
            .column("title_vi", type: .text, .notNull)
            .column("title_en", type: .text, .notNull)
            .column("frequency", type: .text, .notNull)
            .column("deadline_weekday", type: .bigint)
            .column("deadline_hour", type: .bigint, .notNull)
            .column("deadline_minute", type: .bigint, .notNull)
            .column("deadline_next_day", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(false))
            .column("level", type: .text, .notNull)
            .column("fields", type: .text, .notNull)
            .column("active", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(true))
            .column("created_at", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .unique("code", "version")
            .run()

        // Every version of every report is kept; (template, unit, period, version) is unique, so a
        // double submit that slips past the idempotency key still cannot create a second row.
        try await db.create(table: "report_submissions")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("template_id", type: .text, .notNull)
            .column("template_code", type: .text, .notNull)
            .column("template_version", type: .bigint, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("period_key", type: .text, .notNull)
            .column("version", type: .bigint, .notNull)
            .column("values_json", type: .text, .notNull)
            .column("prefill_json", type: .text, .notNull)
            .column("reasons_json", type: .text, .notNull)
            .column("correction_reason", type: .text)
            .column("submitted_at", type: .text, .notNull)
            .column("submitted_by", type: .text, .notNull)
            .column("submitted_by_name", type: .text, .notNull)
            .column("deadline_at", type: .text, .notNull)
            .column("on_time", type: .custom(SQLRaw("BOOLEAN")), .notNull)
            .unique("template_code", "unit_path", "period_key", "version")
            .run()

        // One row per (template, period, unit) pointing at the latest version: completeness and
        // consolidation read this by primary-key range instead of grouping over every version.
        try await db.create(table: "report_latest")
            .column("template_code", type: .text, .notNull)
            .column("period_key", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("submission_id", type: .text, .notNull)
            .column("version", type: .bigint, .notNull)
            .column("first_submitted_at", type: .text, .notNull)
            .column("last_submitted_at", type: .text, .notNull)
            .column("on_time", type: .custom(SQLRaw("BOOLEAN")), .notNull)
            .column("values_json", type: .text, .notNull)
            .primaryKey("template_code", "period_key", "unit_path")
            .run()
        // A unit's own history (its lateness strip) walks this by equality on the unit.
        try await db.create(index: "report_latest_unit").on("report_latest").column("unit_path").column("template_code").column("period_key").run()

        // Number fields of latest versions, one row per value: targets and trends sum these.
        try await db.create(table: "report_figures")
            .column("template_code", type: .text, .notNull)
            .column("field_key", type: .text, .notNull)
            .column("period_key", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("n", type: .bigint, .notNull)
            .primaryKey("template_code", "field_key", "period_key", "unit_path")
            .run()

        try await db.create(table: "report_reminders")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("template_code", type: .text, .notNull)
            .column("period_key", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("note", type: .text, .notNull)
            .column("sent_by", type: .text, .notNull)
            .column("sent_by_name", type: .text, .notNull)
            .column("sender_unit_path", type: .text, [.notNull] + c)
            .column("sent_at", type: .text, .notNull)
            .run()
        try await db.create(index: "report_reminders_unit").on("report_reminders").column("unit_path").column("sent_at").run()
        try await db.create(index: "report_reminders_period").on("report_reminders").column("template_code").column("period_key").column("unit_path").run()
    }

    package static let createStreamsTasksRosters = Migration("rep_002_messages_tasks_rosters_targets") { db, kind in
        let c = kind.byteOrderCollation
        try await db.create(table: "messages")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("author_id", type: .text, .notNull)
            .column("author_name", type: .text, .notNull)
            .column("body", type: .text, .notNull)
            .column("urgent", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(false))
            .column("submission_id", type: .text)
            .column("handled_at", type: .text)
            .column("handled_by_name", type: .text)
            .column("created_at", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "messages_unit_time").on("messages").column("unit_path").column("created_at").run()
        try await db.create(index: "messages_open_urgent").on("messages").column("urgent").column("handled_at").column("unit_path").run()
        try await db.create(table: "message_mentions")
            .column("message_id", type: .text, .notNull)
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .primaryKey("message_id", "unit_path", "group_code")
            .run()
        try await db.create(index: "message_mentions_unit").on("message_mentions").column("unit_path").column("message_id").run()

        // A task belongs to the unit it is assigned to (unit_path) and is also visible to the unit that set it.
        try await db.create(table: "tasks")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("creator_unit_path", type: .text, [.notNull] + c)
            .column("title", type: .text, .notNull)
            .column("details", type: .text, .notNull)
            .column("assignee_user_id", type: .text)
            .column("assignee_name", type: .text, .notNull)
            .column("due_at", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("created_by", type: .text, .notNull)
            .column("created_by_name", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .column("done_at", type: .text)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "tasks_unit_status").on("tasks").column("unit_path").column("status").column("due_at").run()
        try await db.create(index: "tasks_creator_status").on("tasks").column("creator_unit_path").column("status").column("due_at").run()
        try await db.create(index: "tasks_status_due").on("tasks").column("status").column("due_at").run()
        try await db.create(table: "task_events")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("task_id", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("note", type: .text, .notNull)
            .column("at", type: .text, .notNull)
            .column("by_name", type: .text, .notNull)
            .run()
        try await db.create(index: "task_events_task").on("task_events").column("task_id").column("at").run()

        try await db.create(table: "duty_shifts")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("person_name", type: .text, .notNull)
            .column("position", type: .text, .notNull)
            .column("phone", type: .text, .notNull)
            .column("starts_at", type: .text, .notNull)
            .column("ends_at", type: .text, .notNull)
            .column("created_by_name", type: .text, .notNull)
            .column("created_at", type: .text, .notNull)
            .run()
        try await db.create(index: "duty_shifts_unit_end").on("duty_shifts").column("unit_path").column("ends_at").run()
        try await db.create(index: "duty_shifts_end").on("duty_shifts").column("ends_at").run()
        try await db.create(table: "unit_hotlines")
            .column("unit_path", type: .text, [.primaryKey(autoIncrement: false)] + c)
            .column("phone", type: .text, .notNull)
            .column("note", type: .text, .notNull)
            .column("updated_at", type: .text, .notNull)
            .column("updated_by", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()

        // Dated goals shown on a unit's dashboard with progress from a live figure or a report field.
        try await db.create(table: "targets")
            .column("id", type: .text, .primaryKey(autoIncrement: false))
            .column("unit_path", type: .text, [.notNull] + c)
            .column("group_code", type: .text, .notNull, .default(""))
            .column("title_vi", type: .text, .notNull)
            .column("title_en", type: .text, .notNull)
            .column("source", type: .text, .notNull)
            .column("source_key", type: .text, .notNull)
            .column("start_day", type: .text, .notNull)
            .column("due_day", type: .text, .notNull)
            .column("target_value", type: .bigint, .notNull)
            .column("active", type: .custom(SQLRaw("BOOLEAN")), .notNull, .default(true))
            .column("created_at", type: .text, .notNull)
            .column("created_by_name", type: .text, .notNull)
            .column("version", type: .bigint, .notNull, .default(1))
            .run()
        try await db.create(index: "targets_unit").on("targets").column("unit_path").run()
    }

    /// The two templates every deployment starts with (the seed documents' daily ward report and weekly district report).
    package static let seedTemplates = Migration("rep_003_seed_report_templates") { db, _ in
        for template in DefaultTemplates.all {
            try await ReportStore.insertTemplate(db, template)
        }
        try await Audit.record(db, actor: nil, actorName: "system", action: "seed", entityType: "report_template", entityId: nil, unitPath: nil,
                               summary: "Nạp mẫu báo cáo ngày của phường/xã và báo cáo tuần của quận/huyện")
    }

    /// The ward daily report's "people allowed out" pre-filled from movement control's daily counts
    /// (metric `people_out`): a new version of the template where the field is still the seeded,
    /// hand-typed one; a template the city has changed that field of is left as it is.
    package static let peopleOutPrefill = Migration("rep_004_people_out_prefill") { db, _ in
        guard let current = try await ReportStore.template(db, code: "ward_daily"),
              let index = current.fields.firstIndex(where: { $0.key == "people_out" && $0.metric == nil && $0.type == .number }) else { return }
        var fields = current.fields
        fields[index].metric = Metric.peopleOut.rawValue
        let next = ReportTemplate(id: Identifier.make(), code: current.code, version: current.version + 1, titleVI: current.titleVI, titleEN: current.titleEN,
                                  deadline: current.deadline, level: current.level, fields: fields, active: current.active, createdAt: Timestamp.now(), createdBy: "system")
        try await ReportStore.insertTemplate(db, next)
        try await Audit.record(db, actor: nil, actorName: "system", action: "update", entityType: "report_template", entityId: current.code, unitPath: nil,
                               summary: "Mẫu báo cáo \(current.titleVI), phiên bản \(next.version): số người ra đường tự điền từ số liệu kiểm soát đi lại",
                               changes: [FieldChange("version", old: String(current.version), new: String(next.version))])
    }
}

/// The seeded templates, written in the same line format the city edits.
enum DefaultTemplates {
    static let wardDaily = """
        f0_new; number; Số ca F0 mới trong ngày; New F0 cases today; required min=0 metric=cases_new
        f0_community; number; Trong đó: F0 phát hiện tại cộng đồng; Of which found in the community; min=0 metric=cases_new_community
        f1_found; number; Số F1 mới phát hiện, truy vết; New F1 contacts traced; required min=0 metric=exposures_recorded
        quarantine_facility; number; Đang cách ly tập trung; In centralized quarantine; required min=0 metric=quarantine_facility
        quarantine_home; number; Đang cách ly tại nhà; In home quarantine; required min=0 metric=quarantine_home
        f0_home_care; number; F0 điều trị tại nhà; F0 cared for at home; min=0 metric=isolation_home
        samples_taken; number; Số mẫu xét nghiệm đã lấy; Samples taken; required min=0
        doses_given; number; Số mũi vắc xin đã tiêm; Vaccine doses given; required min=0
        permits_issued; number; Giấy đi đường đã cấp; Travel permits issued; min=0
        people_out; number; Số người ra đường được kiểm soát; People allowed out (checked); min=0 metric=people_out
        violations; number; Số vụ vi phạm bị xử lý; Violations handled; min=0
        welfare_appraised; number; Hồ sơ hỗ trợ đã thẩm định; Welfare dossiers appraised; min=0
        welfare_received; number; Hồ sơ hỗ trợ đã tiếp nhận; Welfare dossiers received; min=0
        situation; choice; Đánh giá tình hình; Overall situation; required choices=Ổn_định|Có_nguy_cơ|Phức_tạp
        issues; text; Vấn đề phát sinh, kiến nghị; Issues arising, requests
        """

    static let districtWeekly = """
        f0_week; number; Số ca F0 trong tuần; F0 cases this week; required min=0 metric=cases_new window=week
        f0_community_week; number; Trong đó tại cộng đồng; Of which in the community; min=0 metric=cases_new_community window=week
        quarantine_facility; number; Đang cách ly tập trung; In centralized quarantine; required min=0 metric=quarantine_facility
        samples_week; number; Mẫu xét nghiệm trong tuần; Samples taken this week; required min=0
        doses_week; number; Mũi vắc xin trong tuần; Vaccine doses this week; required min=0
        zones_active; number; Vùng phong tỏa đang hiệu lực; Active lockdown zones; min=0 metric=zones_active
        welfare_appraised_week; number; Hồ sơ hỗ trợ thẩm định trong tuần; Welfare dossiers appraised this week; min=0
        results; text; Kết quả nổi bật trong tuần; Main results this week; required
        next_week; text; Nhiệm vụ trọng tâm tuần tới; Priorities for next week
        """

    static var all: [ReportTemplate] {
        let metrics = Set(Metric.allCases.map(\.rawValue))
        let created = "2021-07-01T00:00:00.000Z"
        return [
            ReportTemplate(id: "00000000-0000-7000-8000-000000000001", code: "ward_daily", version: 1,
                           titleVI: "Báo cáo nhanh hằng ngày của phường/xã", titleEN: "Ward daily situation report",
                           deadline: .daily(hour: 17), level: .ward,
                           fields: (try? ReportFieldSpec.parse(wardDaily, knownMetrics: metrics)) ?? [], active: true, createdAt: created, createdBy: "system"),
            ReportTemplate(id: "00000000-0000-7000-8000-000000000002", code: "district_weekly", version: 1,
                           titleVI: "Báo cáo tuần của quận/huyện", titleEN: "District weekly report",
                           deadline: .weekly(weekday: 1, hour: 10), level: .district,
                           fields: (try? ReportFieldSpec.parse(districtWeekly, knownMetrics: metrics)) ?? [], active: true, createdAt: created, createdBy: "system"),
        ]
    }
}
