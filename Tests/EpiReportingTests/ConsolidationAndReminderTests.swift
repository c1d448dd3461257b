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

@Suite("Reminders, consolidation with missing units, exports and the printable copy")
struct ConsolidationAndReminderTests {
    static func utc(_ s: String) -> Date { try! Date(s, strategy: .iso8601) }
    static let mk = "01/007/00295", bm = "01/007/00286"

    @Test(arguments: Dialect.enabled)
    func aDistrictRemindsLateWardsAndTheWardSeesIt(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let period = Clock.today().adding(days: -1).iso
            try await app.submitReport("bachmai", period: period, unit: Self.bm, values: TestApp.wardDailyValues())
            var hbt = try await BrowserSession.login(client, "hbt")
            let page = try await hbt.get(client, "/reports/ward_daily/completeness?period=\(period)&unit=01.007")
            #expect(page.text.contains("name=\"unit.01.007.00295\""))
            // Only the late or missing can be reminded: Bạch Mai sent its report.
            #expect(!page.text.contains("name=\"unit.01.007.00286\""))
            let sent = try await hbt.post(client, "/reports/ward_daily/reminders", form: [
                "period": period, "unit.01.007.00295": "1", "note": "Đề nghị phường Minh Khai gửi báo cáo ngay", "focus": "01.007", "_key": BrowserSession.formKey(page.text),
            ])
            #expect(sent.status == .seeOther)
            let after = try await hbt.get(client, "/reports/ward_daily/completeness?period=\(period)&unit=01.007")
            #expect(after.text.contains("data-unit=\"01.007.00295\""))
            let reminders = try await app.services.database.read { db in
                try await ReportStore.reminderCounts(db, code: "ward_daily", period: period, scope: try await app.scope(for: "city"))
            }
            #expect(reminders == [Self.mk: 1])
            #expect(try await app.audit("report_reminder").count == 1)

            // The reminded ward sees a banner on its reports page and the reminder in its message stream.
            var ward = try await BrowserSession.login(client, "minhkhai")
            let reports = try await ward.get(client, "/reports")
            #expect(reports.text.contains("id=\"report-reminders\""))
            #expect(reports.text.contains("Đề nghị phường Minh Khai gửi báo cáo ngay"))
            #expect(try await ward.get(client, "/messages").text.contains("Đề nghị phường Minh Khai gửi báo cáo ngay"))
            // Once the report is in, the banner goes.
            try await app.submitReport("minhkhai", period: period, unit: Self.mk, values: TestApp.wardDailyValues())
            #expect(!(try await ward.get(client, "/reports").text.contains("id=\"report-reminders\"")))

            // A ward may not remind, and a district may not remind outside its district.
            #expect(try await ward.post(client, "/reports/ward_daily/reminders", form: ["period": period, "unit.01.007.00286": "1"]).status == .forbidden)
            #expect(try await hbt.post(client, "/reports/ward_daily/reminders", form: ["period": period, "unit.01.004.00139": "1"]).status == .notFound)
        }
    }

    @Test(arguments: Dialect.enabled)
    func repeatedLatenessShowsOverThirtyPeriods(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let start = CivilDate(year: 2021, month: 9, day: 1)!
            for i in 0..<10 {
                let day = start.adding(days: i)
                // Minh Khai always at 16:00; Bạch Mai at 18:00 (late) on even days, never on odd ones.
                try await app.submitReport("minhkhai", period: day.iso, unit: Self.mk, values: TestApp.wardDailyValues(), at: VietnamTime.instant(day, hour: 16))
                if i % 2 == 0 { try await app.submitReport("bachmai", period: day.iso, unit: Self.bm, values: TestApp.wardDailyValues(), at: VietnamTime.instant(day, hour: 18)) }
            }
            let service = ReportService(services: app.services)
            let template = try await service.template("ward_daily")
            let periods = ReportPeriod(frequency: .daily, start: start.adding(days: 9)).trailing(10)
            let records = try await service.history(template: template, periods: periods, root: "01/007", scope: try await app.scope(for: "hbt"), now: Self.utc("2021-09-30T00:00:00Z"))
            let mk = records.first { $0.unit.path == Self.mk }!.record, bm = records.first { $0.unit.path == Self.bm }!.record
            #expect(mk.onTime == 10 && !mk.isRepeatedlyLate())
            #expect(bm.late == 5 && bm.missing == 5 && bm.isRepeatedlyLate())
            #expect(records.count == 18)
        }
    }

    @Test(arguments: Dialect.enabled)
    func consolidationListsMissingUnitsAndNeverCountsThemAsZero(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let day = "2021-09-15", at = Self.utc("2021-09-15T08:00:00Z")
            try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1832, doses: 400, issues: "Cần thêm 2.000 test nhanh"), at: at)
            try await app.submitReport("bachmai", period: day, unit: Self.bm, values: TestApp.wardDailyValues(samples: 360, doses: 0), at: at)
            // A correction replaces Bạch Mai's figures in the totals; the first version is not added twice.
            try await app.submitReport("bachmai", period: day, unit: Self.bm, values: TestApp.wardDailyValues(samples: 368, doses: 0), correction: "Sai số liệu mẫu", at: at)
            try await app.submitReport("longbien", code: "district_weekly", period: "2021-W37", unit: "01/004",
                                       values: ["f0_week": "0", "f0_community_week": "0", "quarantine_facility": "0", "samples_week": "46375", "doses_week": "100", "zones_active": "0", "results": "Ổn định"],
                                       at: Self.utc("2021-09-20T01:00:00Z"))
            let service = ReportService(services: app.services)
            let template = try await service.template("ward_daily")
            let c = try await service.consolidate(template: template, period: ReportPeriod(key: day, frequency: .daily)!, root: "01/007", scope: try await app.scope(for: "hbt"))
            #expect(c.consolidation.total("samples_taken") == 1832 + 368)
            #expect(c.consolidation.total("doses_given") == 400)
            #expect(c.consolidation.total("permits_issued") == nil)
            #expect(c.consolidation.reportedCount == 2 && c.consolidation.expected == 18 && c.consolidation.missing.count == 16)

            var hbt = try await BrowserSession.login(client, "hbt")
            let page = try await hbt.get(client, "/reports/ward_daily/consolidation?period=\(day)&unit=01.007")
            #expect(page.text.contains("<strong>2/18</strong>"))
            #expect(page.text.contains("2.200"))
            #expect(page.text.contains("id=\"consolidation-missing\"") && page.text.contains("Phường Bách Khoa"))
            #expect(page.text.contains("Cần thêm 2.000 test nhanh"))

            // The city sees districts with their own n/N.
            var city = try await BrowserSession.login(client, "city")
            let cityPage = try await city.get(client, "/reports/ward_daily/consolidation?period=\(day)")
            #expect(cityPage.text.contains("2/18"))
            #expect(cityPage.text.contains("<strong>2/579</strong>"))
            let weekly = try await city.get(client, "/reports/district_weekly/consolidation?period=2021-W37")
            #expect(weekly.text.contains("<strong>1/30</strong>") && weekly.text.contains("46.375"))

            // CSV: one row per ward, missing ones marked, then the total with n/N.
            let csv = try await hbt.get(client, "/reports/ward_daily/consolidation.csv?period=\(day)&unit=01.007")
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            #expect(lines.count == 1 + 18 + 1)
            #expect(lines.contains { $0.hasPrefix("01/007/00295,Phường Minh Khai,Đúng hạn,1,0,0,0,0,0,0,1832,400") })
            #expect(lines.contains { $0.hasPrefix("01/007/00298,") && $0.contains("Chưa báo cáo") })
            #expect(lines.last?.contains("2/18 đơn vị đã báo cáo") == true && lines.last?.contains(",2200,400,") == true)

            // XLSX: a valid zip with the workbook parts and the figures in the sheet.
            let xlsx = try await hbt.get(client, "/reports/ward_daily/consolidation.xlsx?period=\(day)&unit=01.007")
            #expect(xlsx.headers[.contentType] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            let entries = try ZipReader.entries(Array(xlsx.body.readableBytesView))
            #expect(entries["[Content_Types].xml"] != nil && entries["xl/workbook.xml"] != nil && entries["xl/worksheets/sheet2.xml"] != nil)
            let sheet = String(decoding: entries["xl/worksheets/sheet1.xml"] ?? [], as: UTF8.self)
            #expect(sheet.contains("Phường Minh Khai") && sheet.contains("<v>1832</v>") && sheet.contains("<v>2200</v>"))
            let missingSheet = String(decoding: entries["xl/worksheets/sheet2.xml"] ?? [], as: UTF8.self)
            #expect(missingSheet.contains("Phường Bách Khoa") && !missingSheet.contains("Phường Minh Khai"))

            // The printable A4 copy carries the figures and the official heading; the export is audited.
            let print = try await hbt.get(client, "/reports/ward_daily/print?period=\(day)&unit=01.007")
            #expect(print.text.contains("id=\"print-page\"") && print.text.contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
            #expect(print.text.contains("2.200") && print.text.contains("2/18"))
            // Each export audited in words: two files (CSV, XLSX) and the printed copy, never the format's code.
            let summaries = try await app.audit("report_consolidation").map(\.summary)
            #expect(summaries.filter { $0.hasPrefix("Xuất tệp CSV") || $0.hasPrefix("Xuất tệp XLSX") }.count == 2, "\(summaries)")
            #expect(summaries.filter { $0.hasPrefix("In bản A4") }.count == 1 && !summaries.contains { $0.contains("print") }, "\(summaries)")
            let css = try await client.execute(uri: "/static/app.css", method: .get)
            #expect(css.text.contains("@page{size:A4"))

            // A ward consolidating another district is refused.
            var ward = try await BrowserSession.login(client, "minhkhai")
            #expect(try await ward.get(client, "/reports/ward_daily/consolidation.csv?period=\(day)&unit=01.007").status == .notFound)
        }
    }
}
