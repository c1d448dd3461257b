import EpiCore
import EpiPlatform
import EpiRegistry
import EpiReporting
import EpiTracing
import Foundation
import SQLKit

/// A small deterministic random source (SplitMix64), so demo and benchmark data are the same on every run.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes many daily ward reports at once (demo data, benchmark data) through the same tables the
/// service writes, in batched multi-row inserts, with live counters that agree with the reports.
enum ReportBulk {
    struct Plan {
        var wards: [UnitRecord]
        var days: [CivilDate]
        var seed: UInt64
        /// Share of reports sent after the deadline, and of reports never sent.
        var lateRate = 0.12
        var missingRate = 0.04
        /// Units that never report on a given day (e.g. the demo ward, so a person can file today's report).
        var skip: @Sendable (String, CivilDate) -> Bool = { _, _ in false }
        /// Also write `unit_daily` / `unit_gauges` so pre-fills and trends show the same figures.
        var counters = true
        var now = Clock.now()
    }

    /// Returns the number of submissions written.
    static func dailyWardReports(_ database: Database, template: ReportTemplate, plan: Plan, user: CurrentUser) async throws -> Int {
        var rng = SeededRandom(seed: plan.seed)
        var submissions: [ReportSubmission] = []
        var daily: [Counters.Change: Int] = [:]
        var gauges: [Counters.Change: Int] = [:]
        let choices = template.field("situation")?.choices ?? []
        for (w, ward) in plan.wards.enumerated() {
            // Each ward has its own size and its own habits: a few are chronically late.
            let size = Double(rng.next() % 100) / 100 + 0.5
            let habitLate = w % 9 == 4 ? 0.45 : plan.lateRate
            for (d, day) in plan.days.enumerated() {
                let wave = sin(Double(d) / Double(max(plan.days.count, 1)) * .pi) + 0.3
                let f0 = Int((Double(rng.next() % 6) * wave * size).rounded())
                let community = f0 == 0 ? 0 : Int(rng.next() % UInt64(f0 + 1))
                let f1 = f0 * (3 + Int(rng.next() % 8))
                if plan.counters {
                    daily[.init(ward.path, .casesNew, day: day), default: 0] += f0
                    daily[.init(ward.path, .casesNewCommunity, day: day), default: 0] += community
                    daily[.init(ward.path, .exposuresRecorded, day: day), default: 0] += f1
                    daily[.init(ward.path, .quarantineAdmitted, day: day), default: 0] += f1 / 2
                    daily[.init(ward.path, .casesRecovered, day: day), default: 0] += Int(rng.next() % 4)
                }
                let roll = Double(rng.next() % 1000) / 1000
                guard !plan.skip(ward.path, day), roll >= plan.missingRate else { continue }
                let late = roll < plan.missingRate + habitLate
                let minutes = late ? 17 * 60 + 5 + Int(rng.next() % 300) : 13 * 60 + Int(rng.next() % 239)
                let submittedAt = VietnamTime.instant(day, hour: minutes / 60, minute: minutes % 60)
                guard submittedAt <= plan.now else { continue }
                let facility = Int(Double(20 + Int(rng.next() % 60)) * size)
                let home = Int(Double(30 + Int(rng.next() % 90)) * size)
                let homeCare = f0 / 2 + Int(rng.next() % 5)
                var values: [String: String] = [
                    "f0_new": String(f0), "f0_community": String(community), "f1_found": String(f1), "quarantine_facility": String(facility),
                    "quarantine_home": String(home), "f0_home_care": String(homeCare),
                    "samples_taken": String(Int(Double(300 + Int(rng.next() % 1500)) * size)), "doses_given": String(Int(Double(150 + Int(rng.next() % 900)) * size)),
                    "permits_issued": String(Int(rng.next() % 200)), "people_out": String(Int(Double(900 + Int(rng.next() % 3000)) * size)),
                    "violations": String(Int(rng.next() % 6)), "welfare_appraised": String(Int(rng.next() % 60)), "welfare_received": String(20 + Int(rng.next() % 60)),
                ]
                if !choices.isEmpty { values["situation"] = choices[f0 > 6 ? min(2, choices.count - 1) : (f0 > 2 ? min(1, choices.count - 1) : 0)] }
                if rng.next() % 6 == 0 { values["issues"] = ["Thiếu test nhanh kháng nguyên", "Đề nghị bổ sung lực lượng trực chốt", "Một số hộ khó khăn cần hỗ trợ lương thực",
                                                            "Khu trọ đông người dùng chung nhà vệ sinh", "Đề nghị điều xe chuyển F1 đi cách ly tập trung"][Int(rng.next() % 5)] }
                let prefill = template.fields.filter { $0.metric != nil }.reduce(into: [String: Int]()) { $0[$1.key] = Int(values[$1.key] ?? "0") ?? 0 }
                let period = ReportPeriod(frequency: .daily, start: day)
                let deadline = template.deadline.instant(period)
                submissions.append(ReportSubmission(id: Identifier.make(at: submittedAt), templateCode: template.code, templateVersion: template.version, unitPath: ward.path,
                                                    periodKey: period.key, version: 1, values: values, prefill: prefill, reasons: [:], correctionReason: nil,
                                                    submittedAt: Timestamp.string(submittedAt), submittedByName: "Cán bộ \(ward.name)", deadlineAt: Timestamp.string(deadline),
                                                    onTime: submittedAt <= deadline))
                if plan.counters, d == plan.days.count - 1 {
                    gauges[.init(ward.path, .quarantineFacility)] = facility
                    gauges[.init(ward.path, .quarantineHome)] = home
                    gauges[.init(ward.path, .isolationHome)] = homeCare
                    gauges[.init(ward.path, .casesActive)] = homeCare + f0
                    gauges[.init(ward.path, .f1Active)] = facility + home
                }
            }
        }
        let all = submissions, dailyCounts = daily, gaugeCounts = gauges
        for start in stride(from: 0, to: all.count, by: 5000) {
            let chunk = Array(all[start..<min(start + 5000, all.count)])
            try await database.transaction { db in try await insert(db, chunk, templateID: template.id, user: user) }
        }
        if plan.counters {
            try await database.transaction { db in
                try await Counters.apply(db, dailyCounts)
                try await Counters.apply(db, gaugeCounts)
            }
        }
        return all.count
    }

    /// Writes version-1 submissions with their latest rows and figures in multi-row statements.
    static func insert(_ db: any SQLDatabase, _ rows: [ReportSubmission], templateID: String, user: CurrentUser) async throws {
        for start in stride(from: 0, to: rows.count, by: 200) {
            let chunk = rows[start..<min(start + 200, rows.count)]
            var subs = db.insert(into: "report_submissions").columns("id", "template_id", "template_code", "template_version", "unit_path", "group_code", "period_key", "version",
                                                                     "values_json", "prefill_json", "reasons_json", "correction_reason", "submitted_at", "submitted_by",
                                                                     "submitted_by_name", "deadline_at", "on_time")
            var latest = db.insert(into: "report_latest").columns("template_code", "period_key", "unit_path", "group_code", "submission_id", "version", "first_submitted_at",
                                                                  "last_submitted_at", "on_time", "values_json")
            var figures: [[any SQLExpression]] = []
            for s in chunk {
                let values = JSONText.encode(s.values)
                subs = subs.values([SQLBind(s.id), SQLBind(templateID), SQLBind(s.templateCode), SQLBind(s.templateVersion), SQLBind(s.unitPath), SQLBind(""), SQLBind(s.periodKey),
                                    SQLBind(s.version), SQLBind(values), SQLBind(JSONText.encode(s.prefill)), SQLBind(JSONText.encode(s.reasons)), SQLBind(s.correctionReason),
                                    SQLBind(s.submittedAt), SQLBind(user.id), SQLBind(s.submittedByName), SQLBind(s.deadlineAt), SQLBind(s.onTime)])
                latest = latest.values([SQLBind(s.templateCode), SQLBind(s.periodKey), SQLBind(s.unitPath), SQLBind(""), SQLBind(s.id), SQLBind(s.version), SQLBind(s.submittedAt),
                                        SQLBind(s.submittedAt), SQLBind(s.onTime), SQLBind(values)])
                for (key, text) in s.values.sorted(by: { $0.key < $1.key }) {
                    guard let n = Int(text) else { continue }
                    figures.append([SQLBind(s.templateCode), SQLBind(key), SQLBind(s.periodKey), SQLBind(s.unitPath), SQLBind(""), SQLBind(n)])
                }
            }
            try await subs.run()
            try await latest.run()
            for fstart in stride(from: 0, to: figures.count, by: 1000) {
                var insert = db.insert(into: "report_figures").columns("template_code", "field_key", "period_key", "unit_path", "group_code", "n")
                for row in figures[fstart..<min(fstart + 1000, figures.count)] { insert = insert.values(row) }
                try await insert.run()
            }
        }
    }
}

/// The reporting part of `serve --demo`: a month of Hai Bà Trưng's daily reports (some late, some
/// missing), district weekly reports, messages, tasks, a duty roster, hotlines and targets.
enum ReportDemo {
    static func seed(_ services: AppServices, log: (String) -> Void) async throws {
        let database = services.database
        let units = await ReportUnits.load(services.directory)
        let wards = units.expected(.ward, under: "01/007")
        guard !wards.isEmpty, let template = try await database.read({ try await ReportStore.template($0, code: "ward_daily") }) else { return }
        let ward = try await CLIImport.user(services, username: "p.minhkhai")
        let district = try await CLIImport.user(services, username: "q.haibatrung")
        let city = try await CLIImport.user(services, username: "tp.chihuy")
        let now = Clock.now()
        let today = VietnamTime.day(of: now)
        let days = (0..<30).map { today.adding(days: $0 - 29) }
        // Live figures come from the cases feature when it seeds its own demo; only fill them when nobody has.
        let countersEmpty = try await database.read { try await $0.raw("SELECT metric FROM unit_daily LIMIT 1").first() == nil }
        var plan = ReportBulk.Plan(wards: wards, days: days, seed: 2021)
        plan.counters = countersEmpty
        plan.now = now
        // Minh Khai's report for today is left for a person to fill in (the browser check does).
        plan.skip = { path, day in path == "01/007/00295" && day == today }
        let n = try await ReportBulk.dailyWardReports(database, template: template, plan: plan, user: ward)

        // A correction, so the history view has something to show.
        let service = ReportService(services: services)
        let yesterday = today.adding(days: -1)
        if let latest = try await database.read({ try await ReportStore.latest($0, code: "ward_daily", period: yesterday.iso, unit: "01/007/00295") }) {
            var values = latest.values
            values["samples_taken"] = String((Int(values["samples_taken"] ?? "0") ?? 0) + 120)
            _ = try await service.submit(code: "ward_daily", periodKey: yesterday.iso, unitPath: "01/007/00295",
                                         input: .init(values: values, reasons: [:], correctionReason: "Bổ sung 120 mẫu của điểm lấy mẫu lưu động ngõ Hòa Bình 4"),
                                         user: ward, key: nil, now: now)
        }

        // District weekly reports of the last three weeks for Hai Bà Trưng and Long Biên (Long Biên late once).
        if let weekly = try await database.read({ try await ReportStore.template($0, code: "district_weekly") }) {
            let lastWeek = ReportPeriod.containing(today, .weekly).adding(-1)
            for (i, period) in lastWeek.trailing(3).enumerated() {
                for (path, user, late) in [("01/007", district, false), ("01/004", try await CLIImport.user(services, username: "q.longbien"), i == 1)] {
                    let due = weekly.deadline.instant(period)
                    let at = due.addingTimeInterval(late ? 5 * 3600 : -20 * 3600)
                    guard at <= now else { continue }
                    let live = try await database.read { try await service.prefill($0, template: weekly, unit: path, period: period, user: user) }
                    var values = live.mapValues(String.init)
                    values["samples_week"] = String(path == "01/007" ? 48_250 + i * 3_100 : 41_900 + i * 2_200)
                    values["doses_week"] = String(path == "01/007" ? 21_400 + i * 1_700 : 19_800 + i * 900)
                    values["welfare_appraised_week"] = path == "01/004" ? "1832" : "1240"
                    values["results"] = path == "01/007" ? "Khoanh vùng kịp thời ổ dịch phường Minh Khai; hoàn thành xét nghiệm toàn dân vòng 2." : "46.375 người được ra đường có giấy; thẩm định 1.832/2.192 hồ sơ hỗ trợ."
                    values["next_week"] = "Đẩy nhanh tiêm vắc xin mũi 1 cho người từ 18 tuổi."
                    _ = try await service.submit(code: weekly.code, periodKey: period.key, unitPath: path, input: .init(values: values, reasons: [:], correctionReason: nil),
                                                 user: user, key: nil, now: at)
                }
            }
        }

        // A reminder for a ward that has not sent yesterday's report, and the stream around it.
        let completeness = try await service.completeness(template: template, period: ReportPeriod(frequency: .daily, start: yesterday), root: "01/007",
                                                          scope: try await Scope.of(district, directory: services.directory), now: now)
        if let missing = completeness.first(where: { $0.timeliness == .missing }) {
            _ = try await service.remind(template: template, period: ReportPeriod(frequency: .daily, start: yesterday), units: [missing.unit.path],
                                         note: "Đề nghị \(missing.unit.name) gửi ngay báo cáo ngày \(yesterday.vietnamese).", user: district, key: nil)
        }
        let messages = MessageRoutes(services: services)
        let bachMai = try await CLIImport.user(services, username: "p.bachmai")
        _ = try await messages.post(.init(body: "Ngõ Hòa Bình 4 phát hiện thêm 3 F0 trong khu phong tỏa. Đề nghị quận tăng cường lực lượng trực chốt 24/24.", urgent: true,
                                          mentions: ["01.007"], submissionID: nil), user: ward, key: nil)
        _ = try await messages.post(.init(body: "Phối hợp truy vết 12 F1 là người bán hàng tại chợ Mơ, đã gửi danh sách sang phường Quỳnh Mai.", urgent: false,
                                          mentions: ["01.007.00289"], submissionID: nil), user: bachMai, key: nil)
        _ = try await messages.post(.init(body: "Sở Chỉ huy quận: các phường hoàn thành rà soát người tạm trú, lưu trú trước 17:00 hôm nay.", urgent: false, mentions: [], submissionID: nil),
                                    user: district, key: nil)
        let handled = try await messages.post(.init(body: "Thiếu 2.000 test nhanh cho đợt xét nghiệm toàn dân vòng 3.", urgent: true, mentions: ["01.007"], submissionID: nil), user: bachMai, key: nil)
        _ = try await messages.markHandled(id: handled.id, user: district)

        // Tasks: one overdue, one in progress, one done; to a named official and to units.
        let tasks = TaskRoutes(services: services)
        let entry = try await CLIImport.user(services, username: "nl.minhkhai")
        let overdue = try await tasks.create(.init(title: "Lập danh sách người tạm trú, lưu trú ngõ Hòa Bình 2", details: "Gửi Sở Chỉ huy quận trong ngày.",
                                                   due: VietnamTime.display(now.addingTimeInterval(-6 * 3600)), assigneeUser: entry.id, assigneeUnit: nil), user: district, key: nil)
        _ = overdue
        let progress = try await tasks.create(.init(title: "Phương án phòng dịch khu nhà trọ dùng chung nhà vệ sinh", details: "",
                                                    due: VietnamTime.display(now.addingTimeInterval(30 * 3600)), assigneeUser: nil, assigneeUnit: "01.007.00295"), user: district, key: nil)
        _ = try await tasks.setStatus(id: progress.id, status: "in_progress", note: "Đã khảo sát 3/7 khu trọ", version: nil, user: ward)
        let done = try await tasks.create(.init(title: "Xét nghiệm toàn dân vòng 2 khu vực ngõ Hòa Bình 4", details: "",
                                                due: VietnamTime.display(now.addingTimeInterval(-48 * 3600)), assigneeUser: nil, assigneeUnit: "01.007.00295"), user: district, key: nil)
        _ = try await tasks.setStatus(id: done.id, status: "done", note: "Hoàn thành 2.418 mẫu", version: nil, user: ward)

        // A 24/7 roster around now and hotlines (demo numbers, not real ones).
        let shiftStart = VietnamTime.instant(today, hour: 7).addingTimeInterval(now >= VietnamTime.instant(today, hour: 7) ? 0 : -86400)
        for (user, unit, people) in [(district, "01.007", [("Nguyễn Văn Trực", "Phó Chủ tịch UBND quận", "0900000101"), ("Lê Thị Ban", "Chánh Văn phòng", "0900000102")]),
                                     (ward, "01.007.00295", [("Phạm Minh Khai", "Chủ tịch UBND phường", "0900000201"), ("Trần Thu Hà", "Trưởng Trạm Y tế", "0900000202")]),
                                     (bachMai, "01.007.00286", [("Đỗ Văn Mai", "Phó Chủ tịch UBND phường", "0900000301"), ("Hoàng Thị Lan", "Trạm Y tế", "0900000302")])] {
            for k in 0..<4 {
                let start = shiftStart.addingTimeInterval(Double(k - 1) * 12 * 3600)
                let person = people[k % 2]
                _ = try await tasks.addShift(.init(unit: unit, person: person.0, position: person.1, phone: person.2, start: VietnamTime.display(start),
                                                   end: VietnamTime.display(start.addingTimeInterval(12 * 3600))), user: user, key: nil)
            }
        }
        for (user, unit, phone) in [(city, "01", "0900 000 001"), (district, "01.007", "0900 000 100"), (ward, "01.007.00295", "0900 000 200"), (bachMai, "01.007.00286", "0900 000 300")] {
            _ = try await tasks.setHotline(unit: unit, phone: phone, note: "số demo, trực 24/7", user: user)
        }

        // Targets with dates, measured from the reports (testing and vaccination are reported by hand until their features exist).
        let dashboard = DashboardRoutes(services: services)
        _ = try await dashboard.create(.init(unit: "01.007", titleVI: "Tiêm vắc xin mũi 1 cho 100% người từ 18 tuổi (600.000 mũi)", titleEN: "First dose for every adult (600,000 doses)",
                                             source: "report:ward_daily.doses_given", startDay: days[0].vietnamese, dueDay: today.adding(days: 14).vietnamese, value: "600000"),
                                       user: district, key: nil)
        _ = try await dashboard.create(.init(unit: "01.007", titleVI: "Xét nghiệm toàn dân (700.000 mẫu)", titleEN: "Mass testing (700,000 samples)",
                                             source: "report:ward_daily.samples_taken", startDay: days[0].vietnamese, dueDay: today.adding(days: 3).vietnamese, value: "700000"),
                                       user: district, key: nil)
        _ = try await dashboard.create(.init(unit: "01", titleVI: "100% người từ 18 tuổi tiêm mũi 1 (số mũi theo báo cáo)", titleEN: "Every adult with a first dose (doses reported)",
                                             source: "report:ward_daily.doses_given", startDay: days[0].vietnamese, dueDay: today.adding(days: 14).vietnamese, value: "5000000"),
                                       user: city, key: nil)
        log("Đã tạo \(n) báo cáo ngày của \(wards.count) phường quận Hai Bà Trưng, tin trao đổi, nhiệm vụ, lịch trực, đường dây nóng và chỉ tiêu demo.")
    }
}
