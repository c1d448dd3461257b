import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiReporting

@Suite("Submitting reports: lock, corrections, repeats, deadlines, scope")
struct ReportSubmissionTests {
    static func utc(_ s: String) -> Date { try! Date(s, strategy: .iso8601) }
    static let mk = "01/007/00295", bm = "01/007/00286"

    @Test(arguments: Dialect.enabled)
    func aWardFillsSubmitsAndTheReportLocks(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let today = Clock.today().iso
            let path = "/reports/ward_daily/\(today)/01.007.00295"
            var ward = try await BrowserSession.login(client, "minhkhai")
            let form = try await ward.get(client, path)
            #expect(form.status == .ok)
            #expect(form.text.contains("id=\"report-form\"") && form.text.contains("Số ca F0 mới trong ngày"))
            var fields = ["_key": BrowserSession.formKey(form.text)]
            for (k, v) in TestApp.wardDailyValues(samples: 1832, issues: "Thiếu test nhanh") { fields["f.\(k)"] = v }
            let first = try await ward.post(client, path, form: fields)
            #expect(first.status == .seeOther)
            // The same form sent again (double click, retry) lands on the same report and adds nothing.
            let again = try await ward.post(client, path, form: fields)
            #expect(again.status == .seeOther)
            let history = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: today, unit: Self.mk) }
            #expect(history.count == 1)
            #expect(history.first?.values["samples_taken"] == "1832")

            let shown = try await ward.get(client, path)
            #expect(shown.text.contains("id=\"report-locked\""))
            #expect(!shown.text.contains("id=\"report-form\""))
            #expect(shown.text.contains("1.832") && shown.text.contains("Thiếu test nhanh"))
            // A fresh submission of a locked report is refused: corrections go through the correction form.
            var fresh = ["_key": Idempotency.newKey()]
            for (k, v) in TestApp.wardDailyValues(samples: 5) { fresh["f.\(k)"] = v }
            #expect(try await ward.post(client, path, form: fresh).status == .conflict)
            #expect(try await app.audit("report_submission").filter { $0.action == "submit" }.count == 1)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aCorrectionIsANewVersionWithAReasonAndTheOldOneIsKept(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let day = "2021-09-15"
            try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(samples: 100), at: Self.utc("2021-09-15T09:00:00Z"))
            // No reason: refused, nothing stored.
            await #expect(throws: AppError.self) {
                try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(samples: 120), correction: "  ", at: Self.utc("2021-09-15T11:00:00Z"))
            }
            try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(samples: 120), correction: "Bổ sung 20 mẫu của điểm lấy mẫu lưu động",
                                       at: Self.utc("2021-09-15T11:00:00Z"))
            let history = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: day, unit: Self.mk) }
            #expect(history.map(\.version) == [2, 1])
            #expect(history[1].values["samples_taken"] == "100" && history[0].values["samples_taken"] == "120")
            #expect(history[0].correctionReason == "Bổ sung 20 mẫu của điểm lấy mẫu lưu động")
            // Timeliness stays with the first version: sent at 16:00, corrected at 18:00, still on time.
            let latest = try await app.services.database.read { try await ReportStore.latest($0, code: "ward_daily", period: day, unit: Self.mk) }
            #expect(latest?.version == 2 && latest?.onTime == true && latest?.values["samples_taken"] == "120")
            let correction = try await app.audit("report_submission").first { $0.action == "correct" }
            #expect(correction?.decodedChanges.contains { $0.field == "samples_taken" && $0.old == "100" && $0.new == "120" } == true)

            var ward = try await BrowserSession.login(client, "minhkhai")
            let page = try await ward.get(client, "/reports/ward_daily/\(day)/01.007.00295")
            #expect(page.text.contains("id=\"version-1\"") && page.text.contains("id=\"version-2\""))
            #expect(page.text.contains("Bổ sung 20 mẫu"))
            let form = try await ward.get(client, "/reports/ward_daily/\(day)/01.007.00295/correct")
            #expect(form.text.contains("name=\"correction_reason\""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func repeatedKeysAndConcurrentDoubleSubmitsStoreOneSubmission(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let day = "2021-09-15", now = Self.utc("2021-09-15T08:00:00Z")
            let key = "form-key-1"
            for _ in 0..<3 {
                let path = try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(), key: key, at: now)
                #expect(path == "/reports/ward_daily/2021-09-15/01.007.00295")
            }
            // Two different keys at the same moment: one wins, the other is told the report is locked.
            let results = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<2 {
                    group.addTask {
                        (try? await app.submitReport("bachmai", period: day, unit: Self.bm, values: TestApp.wardDailyValues(), key: "k\(i)", at: now)) != nil
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
            let counts = try await app.services.database.read { db in
                try await db.raw("SELECT unit_path, COUNT(*) AS n FROM report_submissions GROUP BY unit_path").all().map { (try $0.decode(column: "unit_path", as: String.self), try $0.decode(column: "n", as: Int.self)) }
            }
            #expect(Dictionary(uniqueKeysWithValues: counts) == [Self.mk: 1, Self.bm: 1])
        }
    }

    @Test(arguments: Dialect.enabled)
    func onTimeIsDecidedByTheVietnamDeadlineAcrossMidnight(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            // 16:59 and 17:01 Vietnam time (09:59 and 10:01 UTC) on 15/9.
            try await app.submitReport("minhkhai", period: "2021-09-15", unit: Self.mk, values: TestApp.wardDailyValues(), at: Self.utc("2021-09-15T09:59:00Z"))
            try await app.submitReport("bachmai", period: "2021-09-15", unit: Self.bm, values: TestApp.wardDailyValues(), at: Self.utc("2021-09-15T10:01:00Z"))
            // 00:30 on 16/9 in Vietnam is still 15/9 in UTC: the report for the 15th is late all the same.
            try await app.submitReport("minhkhai", period: "2021-09-14", unit: Self.mk, values: TestApp.wardDailyValues(), at: Self.utc("2021-09-14T17:30:00Z"))
            let rows = try await app.services.database.read { db in
                try await ReportStore.statuses(db, code: "ward_daily", from: "2021-09-14", to: "2021-09-15", scope: try await app.scope(for: "city"))
            }
            let byKey = Dictionary(uniqueKeysWithValues: rows.map { ("\($0.unitPath)@\($0.periodKey)", $0.onTime) })
            #expect(byKey["\(Self.mk)@2021-09-15"] == true)
            #expect(byKey["\(Self.bm)@2021-09-15"] == false)
            #expect(byKey["\(Self.mk)@2021-09-14"] == false)

            // A template due at 08:00 the next morning: a report sent at 00:30 (Vietnam) after its day is on time.
            let city = try await app.user("city")
            _ = try await TemplateRoutes(services: app.services).save(.init(code: "night_report", titleVI: "Báo cáo đêm", titleEN: "Night report", frequency: "daily", weekday: "1",
                                                                           time: "08:00", nextDay: true, level: "ward", fieldsSpec: "n; number; Số; Number; required min=0", active: true),
                                                                     user: city, isNew: true, key: nil)
            try await app.submitReport("minhkhai", code: "night_report", period: "2021-09-15", unit: Self.mk, values: ["n": "1"], at: Self.utc("2021-09-15T17:30:00Z"))
            let night = try await app.services.database.read { try await ReportStore.latest($0, code: "night_report", period: "2021-09-15", unit: Self.mk) }
            #expect(night?.onTime == true)

            // Completeness an hour after the deadline: on time, late, and the other 16 wards missing.
            let hbt = try await app.scope(for: "hbt")
            let template = try await ReportService(services: app.services).template("ward_daily")
            let rowsAfter = try await ReportService(services: app.services).completeness(template: template, period: ReportPeriod(key: "2021-09-15", frequency: .daily)!,
                                                                                        root: "01/007", scope: hbt, now: Self.utc("2021-09-15T11:00:00Z"))
            #expect(rowsAfter.count == 18)
            #expect(rowsAfter.first { $0.unit.path == Self.mk }?.timeliness == .onTime)
            #expect(rowsAfter.first { $0.unit.path == Self.bm }?.timeliness == .late)
            #expect(rowsAfter.filter { $0.timeliness == .missing }.count == 16)
            // Before the deadline the same wards are pending, not missing.
            let before = try await ReportService(services: app.services).completeness(template: template, period: ReportPeriod(key: "2021-09-15", frequency: .daily)!,
                                                                                     root: "01/007", scope: hbt, now: Self.utc("2021-09-15T09:00:00Z"))
            #expect(before.filter { $0.timeliness == .pending }.count == 16)
        }
    }

    @Test(arguments: Dialect.enabled)
    func livePrefilledFiguresNeedAReasonToChange(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let today = Clock.today()
            try await app.services.database.transaction { db in
                try await Counters.bump(db, Self.mk, group: "TDP01", .casesNew, day: today, by: 3)
                try await Counters.bump(db, Self.mk, .casesNew, day: today.adding(days: -1), by: 9)
                try await Counters.bump(db, Self.mk, .quarantineFacility, by: 12)
                try await Counters.bump(db, Self.bm, .casesNew, day: today, by: 40)
            }
            let path = "/reports/ward_daily/\(today.iso)/01.007.00295"
            var ward = try await BrowserSession.login(client, "minhkhai")
            let form = try await ward.get(client, path)
            // Today's new cases of Minh Khai only (not yesterday's, not Bạch Mai's), and the quarantine gauge.
            #expect(form.text.contains("id=\"f-f0_new\" name=\"f.f0_new\" value=\"3\""))
            #expect(form.text.contains("id=\"f-quarantine_facility\" name=\"f.quarantine_facility\" value=\"12\""))
            var fields = ["_key": BrowserSession.formKey(form.text)]
            for (k, v) in TestApp.wardDailyValues() { fields["f.\(k)"] = v }
            fields["f.f0_new"] = "5"
            fields["f.quarantine_facility"] = "12"
            let refused = try await ward.post(client, path, form: fields)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("cần ghi lý do"))
            #expect(try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: today.iso, unit: Self.mk) }.isEmpty)
            fields["reason.f0_new"] = "2 ca dương tính test nhanh chưa nhập hệ thống"
            fields["_key"] = Idempotency.newKey()
            #expect(try await ward.post(client, path, form: fields).status == .seeOther)
            let saved = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: today.iso, unit: Self.mk) }.first
            #expect(saved?.values["f0_new"] == "5" && saved?.prefill["f0_new"] == 3)
            #expect(saved?.reasons == ["f0_new": "2 ca dương tính test nhanh chưa nhập hệ thống"])
        }
    }

    @Test(arguments: Dialect.enabled)
    func anotherWardsReportIsNotFoundAndRolesAreChecked(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.submitReport("minhkhai", period: "2021-09-15", unit: Self.mk, values: TestApp.wardDailyValues(issues: "Ngõ Hòa Bình 4 nguy cơ rất cao"), at: Self.utc("2021-09-15T08:00:00Z"))
            let path = "/reports/ward_daily/2021-09-15/01.007.00295"
            var bachMai = try await BrowserSession.login(client, "bachmai")
            let seen = try await bachMai.get(client, path)
            #expect(seen.status == .notFound)
            #expect(!seen.text.contains("Hòa Bình 4"))
            var fields: [String: String] = [:]
            for (k, v) in TestApp.wardDailyValues() { fields["f.\(k)"] = v }
            #expect(try await bachMai.post(client, "/reports/ward_daily/2021-09-16/01.007.00295", form: fields).status == .notFound)
            await #expect(throws: AppError.self) {
                try await app.submitReport("bachmai", period: "2021-09-16", unit: Self.mk, values: TestApp.wardDailyValues(), at: Self.utc("2021-09-16T08:00:00Z"))
            }
            var longBien = try await BrowserSession.login(client, "longbien")
            #expect(try await longBien.get(client, path).status == .notFound)
            let token = try await app.services.auth.issueToken(username: "bachmai", name: "t")
            let api = try await client.execute(uri: "/api/v1/reports/ward_daily/2021-09-15/01.007.00295", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(api.status == .notFound)

            // The district sees the report and only its own wards in completeness.
            var hbt = try await BrowserSession.login(client, "hbt")
            #expect(try await hbt.get(client, path).text.contains("Hòa Bình 4"))
            let hbtToken = try await app.services.auth.issueToken(username: "hbt", name: "t")
            let completeness = try await client.execute(uri: "/api/v1/reports/ward_daily/completeness?period=2021-09-15", method: .get, headers: [.authorization: "Bearer \(hbtToken)"])
            let rows = try completeness.json()["data"] as? [[String: Any]] ?? []
            #expect(rows.count == 18)
            #expect(rows.allSatisfy { ($0["unit_path"] as? String)?.hasPrefix("01/007/") == true })
            #expect(try await hbt.get(client, "/reports/ward_daily/completeness?period=2021-09-15&unit=01.004").status == .notFound)

            // A supervisor reads but cannot submit; a community team has no reports at all.
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            #expect(try await supervisor.get(client, path).status == .ok)
            #expect(try await supervisor.post(client, "/reports/ward_daily/2021-09-16/01.007.00295", form: fields).status == .forbidden)
            var team = try await BrowserSession.login(client, "team.mk")
            #expect(try await team.get(client, "/reports").status == .forbidden)
            // The district report belongs to districts: a ward cannot file it.
            await #expect(throws: AppError.self) {
                try await app.submitReport("minhkhai", code: "district_weekly", period: "2021-W37", unit: Self.mk, values: [:], at: Self.utc("2021-09-20T01:00:00Z"))
            }
        }
    }

    @Test(arguments: Dialect.enabled)
    func templatesAreVersionedAndSubmissionsKeepTheirVersion(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.submitReport("minhkhai", period: "2021-09-15", unit: Self.mk, values: TestApp.wardDailyValues(), at: Self.utc("2021-09-15T08:00:00Z"))
            var city = try await BrowserSession.login(client, "city")
            let form = try await city.get(client, "/report-templates/ward_daily")
            #expect(form.text.contains("samples_taken; number"))
            let spec = DefaultTemplates.wardDaily + "\nmasks; number; Khẩu trang đã cấp; Masks handed out; min=0"
            let saved = try await city.post(client, "/report-templates/ward_daily", form: [
                "title_vi": "Báo cáo nhanh hằng ngày của phường/xã", "title_en": "Ward daily situation report", "frequency": "daily", "time": "16:30",
                "level": "ward", "fields": spec, "active": "1", "_key": BrowserSession.formKey(form.text),
            ])
            #expect(saved.status == .seeOther)
            let bad = try await city.post(client, "/report-templates/ward_daily", form: ["title_vi": "X", "frequency": "daily", "time": "16:30", "level": "ward", "fields": "masks; money; A; B", "active": "1"])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.text.contains("Dòng 1"))
            let (current, old) = try await app.services.database.read { db in
                (try await ReportStore.template(db, code: "ward_daily"), try await ReportStore.history(db, code: "ward_daily", period: "2021-09-15", unit: Self.mk).first)
            }
            #expect(current?.version == 2 && current?.deadline.clock == "16:30" && current?.field("masks") != nil)
            #expect(old?.templateVersion == 1)
            try await app.submitReport("bachmai", period: "2021-09-15", unit: Self.bm, values: TestApp.wardDailyValues().merging(["masks": "30"]) { a, _ in a }, at: Self.utc("2021-09-15T09:00:00Z"))
            let newer = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: "2021-09-15", unit: Self.bm).first }
            #expect(newer?.templateVersion == 2 && newer?.values["masks"] == "30")
            // The deadline of the new version (16:30) makes 16:00 Vietnam time on time and 17:00 late.
            #expect(newer?.onTime == true)
            #expect(try await app.audit("report_template").contains { $0.action == "update" && $0.entityId == "ward_daily" })
            var district = try await BrowserSession.login(client, "hbt")
            #expect(try await district.get(client, "/report-templates/new").status == .forbidden)
        }
    }
}
