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
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What users noticed trying the reporting pages in the field, on a phone and a desktop, in both languages.
@Suite("Reports and the dashboard, fit for the field")
struct FieldFitTests {
    static let mk = "01/007/00295", bm = "01/007/00286"

    /// The text a reader sees: tags and their attributes (links, form values) removed.
    static func visible(_ html: String) -> String {
        html.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
    }

    static func english(_ session: inout BrowserSession) { session.cookies["lang"] = "en" }

    @Test(arguments: Dialect.enabled)
    func theCityDashboardLeadsWithKeyFiguresAndGroupsItsAlerts(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            // Nobody has reported yet: every district is late with the weekly report and every ward with the daily one.
            _ = try await MessageRoutes(services: app.services).post(.init(body: "Ổ dịch mới tại chợ Mơ", urgent: true, mentions: [], submissionID: nil),
                                                                     user: try await app.user("bachmai"), key: nil)
            var city = try await BrowserSession.login(client, "city")
            let text = try await city.get(client, "/dashboard").text
            let figures = try #require(text.range(of: "id=\"key-figures\""))
            let alerts = try #require(text.range(of: "id=\"dashboard-alerts\""))
            #expect(figures.lowerBound < alerts.lowerBound)
            #expect(text.range(of: "class=\"alert-group")?.lowerBound ?? text.startIndex > figures.lowerBound)
            // One line per report, not one per district: 30 districts × 2 reports were 60 lines.
            let lines = text.components(separatedBy: "<li class=\"alert-group").count - 1
            #expect(lines == 3)
            #expect(text.contains("579/579 phường, xã chưa gửi báo cáo nhanh hằng ngày") && text.contains("ở 30 quận, huyện"))
            #expect(text.contains("30/30 quận, huyện chưa gửi báo cáo tuần"))
            // The daily line opens onto its districts, each linking to its own wards.
            #expect(text.contains("href=\"/reports/ward_daily/completeness?period=") && text.contains("&amp;unit=01.007\">Quận Hai Bà Trưng: 18/18 phường, xã"))
            // Ranked: the critical urgent message first, then the late reports, the most units first.
            let urgent = try #require(text.range(of: "data-kind=\"urgent_message\""))
            let daily = try #require(text.range(of: "579/579"))
            let weekly = try #require(text.range(of: "30/30 quận"))
            #expect(urgent.lowerBound < daily.lowerBound && daily.lowerBound < weekly.lowerBound)

            // The same in English, with English numbers.
            Self.english(&city)
            let en = Self.visible(try await city.get(client, "/dashboard").text)
            #expect(en.contains("579 of 579 wards have not sent") && en.contains("in 30 districts"))
            #expect(!en.contains("chưa gửi") && !en.contains("Chưa đánh giá"))

            // A district's dashboard: its wards, one line.
            var hbt = try await BrowserSession.login(client, "hbt")
            let district = try await hbt.get(client, "/dashboard").text
            #expect(district.contains("18/18 phường, xã chưa gửi báo cáo nhanh hằng ngày"))
            #expect(district.contains("href=\"/reports/ward_daily/") && district.contains("/01.007.00295\">Phường Minh Khai</a>"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func theRiskGridHasALegendAndWardNamesWithoutHovering(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var hbt = try await BrowserSession.login(client, "hbt")
            let district = try await hbt.get(client, "/dashboard").text
            #expect(district.contains("id=\"grid-legend\""))
            #expect(Self.visible(district).contains("Chưa đánh giá   (18)"))
            // The name is on the page next to its colour, not only in a tooltip.
            #expect(district.contains("<span>Phường Minh Khai</span></a>"))
            // The city's 579 wards fold per district, each summary counting its wards.
            var city = try await BrowserSession.login(client, "city")
            let page = try await city.get(client, "/dashboard").text
            #expect(page.components(separatedBy: "<details class=\"dash-group\">").count - 1 == 30)
            #expect(Self.visible(page).contains("Chưa đánh giá   (579)"))
            Self.english(&city)
            #expect(Self.visible(try await city.get(client, "/dashboard").text).contains("Not assessed   (579)"))
            // A level's swatch carries its number as well as its colour.
            #expect(TrendChart.swatch(color: "#c62828", level: 4).contains(">4</text>") && TrendChart.isLight("#f9a825") && !TrendChart.isLight("#c62828"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func reportedTrendsLeaveOutADayNotYetDue(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let today = Clock.today()
            try await app.submitReport("minhkhai", period: today.adding(days: -1).iso, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1832),
                                       at: VietnamTime.instant(today.adding(days: -1), hour: 15))
            try await app.submitReport("minhkhai", period: today.iso, unit: Self.mk, values: TestApp.wardDailyValues(samples: 40), at: VietnamTime.instant(today, hour: 9))
            let service = DashboardService(services: app.services)
            let unit = try #require(try await app.services.directory.unit("01/007"))
            let user = try await app.user("hbt"), scope = try await app.scope(for: "hbt")
            // At 10:00 one ward of eighteen has sent today's report: today is pending, not a fall to 40.
            let morning = try await service.build(root: unit, scope: scope, user: user, now: VietnamTime.instant(today, hour: 10))
            let samples = try #require(morning.trends.first { $0.key == "ward_daily.samples_taken" })
            #expect(samples.values.last == .some(nil) && samples.pending == [today.iso])
            #expect(samples.values[samples.values.count - 2] == 1832)
            // After the deadline the day is drawn with what came in.
            let evening = try await service.build(root: unit, scope: scope, user: user, now: VietnamTime.instant(today, hour: 18))
            let later = try #require(evening.trends.first { $0.key == "ward_daily.samples_taken" })
            #expect(later.values.last == 40 && later.pending.isEmpty)
            // A ward that has sent today's report sees its own day drawn: nothing more is to come.
            let ward = try #require(try await app.services.directory.unit(Self.mk))
            let own = try await service.build(root: ward, scope: try await app.scope(for: "minhkhai"), user: try await app.user("minhkhai"), now: VietnamTime.instant(today, hour: 10))
            #expect(own.trends.first { $0.key == "ward_daily.samples_taken" }?.values.last == 40)
            // Drawn: a dashed pending slot, no point for the day.
            let days = (0..<3).map { today.adding(days: $0 - 2) }
            let svg = TrendChart.series(days: days, values: [5, 1832, nil], pending: [today.iso], title: "x", bars: false, color: "#000", id: "t", language: .en)
            #expect(svg.contains("class=\"pending\"") && svg.contains("\(today.vietnamese): Not yet due") && svg.contains(">1,832</text>"))
            #expect(!svg.contains("\(today.vietnamese): 0"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func completenessAndConsolidationOpenOnTheLatestPeriodDue(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let service = ReportService(services: app.services)
            let daily = try await service.template("ward_daily"), weekly = try await service.template("district_weekly")
            // The pages read the clock themselves. A run that crosses a deadline (17:00) or midnight in Vietnam
            // would hold pages of the new period against the old one, so the pages are read again until the
            // periods were the same before and after them; every assertion is then made on that reading.
            func periods(_ now: Date) -> [String] {
                [daily.deadline.lastDuePeriod(at: now).key, weekly.deadline.lastDuePeriod(at: now).key, daily.deadline.openPeriod(at: now).key,
                 daily.defaultPeriod(now: now).key, VietnamTime.day(of: now).iso]
            }
            var hbt = try await BrowserSession.login(client, "hbt"), city = try await BrowserSession.login(client, "city")
            let token = try await app.services.auth.issueToken(username: "hbt", name: "t")
            for attempt in 1...3 {
                let now = Clock.now()
                let due = daily.deadline.lastDuePeriod(at: now), dueWeek = weekly.deadline.lastDuePeriod(at: now)
                let open = daily.deadline.openPeriod(at: now), today = ReportPeriod(frequency: .daily, start: VietnamTime.day(of: now))
                let completeness = try await hbt.get(client, "/reports/ward_daily/completeness?unit=01.007").text
                let consolidation = try await hbt.get(client, "/reports/ward_daily/consolidation?unit=01.007").text
                let weeklyPage = try await city.get(client, "/reports/district_weekly/completeness").text
                let index = try await hbt.get(client, "/reports").text
                let openPage = try await hbt.get(client, "/reports/ward_daily/completeness?period=\(open.key)&unit=01.007").text
                let api = try await client.execute(uri: "/api/v1/reports/ward_daily/completeness", method: .get, headers: [.authorization: "Bearer \(token)"])
                let apiPeriod = try api.json()["period"] as? String
                if periods(Clock.now()) != periods(now), attempt < 3 { continue }
                #expect(completeness.contains("id=\"completeness-period\">\(due.label(vietnamese: true))<"))
                #expect(!completeness.contains("id=\"period-not-due\""))
                // The picker offers today's period too, marked as not yet due until 17:00.
                #expect(completeness.contains("<option value=\"\(due.key)\" selected>"))
                if today != due { #expect(completeness.contains("<option value=\"\(today.key)\">\(today.vietnameseLabel) (chưa đến hạn)</option>")) }
                #expect(consolidation.contains("id=\"consolidation-period\">\(due.label(vietnamese: true))<"))
                #expect(weeklyPage.contains("id=\"completeness-period\">\(dueWeek.label(vietnamese: true))<"))
                // The reports page points overseers at the same periods.
                #expect(index.contains("href=\"/reports/ward_daily/completeness?period=\(due.key)\""))
                // A period not yet due, asked for, says so.
                #expect(openPage.contains("id=\"period-not-due\""))
                // The API keeps its documented default: the period being filled now.
                #expect(apiPeriod == daily.defaultPeriod(now: now).key)
                return
            }
        }
    }

    @Test(arguments: Dialect.enabled)
    func aReminderReadsFromWhereTheReaderStands(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let period = Clock.today().adding(days: -1).iso
            var hbt = try await BrowserSession.login(client, "hbt")
            let page = try await hbt.get(client, "/reports/ward_daily/completeness?period=\(period)&unit=01.007")
            _ = try await hbt.post(client, "/reports/ward_daily/reminders", form: ["period": period, "unit.01.007.00295": "1", "focus": "01.007", "_key": BrowserSession.formKey(page.text)])
            // The district sent it: not "from the level above" on its own page.
            let own = try await hbt.get(client, "/reports").text
            #expect(!own.contains("id=\"report-reminders\"") && !own.contains("Cấp trên đôn đốc"))
            #expect(own.contains("id=\"report-reminders-sent\"") && own.contains("Đơn vị đã đôn đốc Phường Minh Khai"))
            // The ward received it from above.
            var ward = try await BrowserSession.login(client, "minhkhai")
            let received = try await ward.get(client, "/reports").text
            #expect(received.contains("id=\"report-reminders\"") && received.contains("Cấp trên đôn đốc báo cáo") && received.contains("Quận Hai Bà Trưng"))
            #expect(!received.contains("id=\"report-reminders-sent\""))
            // The city sees who reminded whom.
            var city = try await BrowserSession.login(client, "city")
            let cityPage = try await city.get(client, "/reports").text
            #expect(cityPage.contains("Quận Hai Bà Trưng đã đôn đốc Phường Minh Khai") && !cityPage.contains("id=\"report-reminders\""))
            Self.english(&hbt)
            #expect(try await hbt.get(client, "/reports").text.contains("We reminded Phường Minh Khai"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func theSpreadsheetHasTitleRowsStylesAndWidths(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let day = "2021-09-15", at = VietnamTime.instant(CivilDate(year: 2021, month: 9, day: 15)!, hour: 15)
            try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1832, doses: 400), at: at)
            var hbt = try await BrowserSession.login(client, "hbt")
            let xlsx = try await hbt.get(client, "/reports/ward_daily/consolidation.xlsx?period=\(day)&unit=01.007")
            let entries = try ZipReader.entries(Array(xlsx.body.readableBytesView))
            let sheet = String(decoding: try #require(entries["xl/worksheets/sheet1.xml"]), as: UTF8.self)
            // Title, period, unit and export lines, an empty row, then the header in row 6.
            #expect(sheet.contains("<c r=\"A1\" t=\"inlineStr\" s=\"2\"><is><t xml:space=\"preserve\">Tổng hợp báo cáo nhanh hằng ngày của phường/xã ngày 15/09/2021</t>"))
            #expect(sheet.contains("<c r=\"A2\" t=\"inlineStr\" s=\"3\"><is><t xml:space=\"preserve\">Kỳ báo cáo: 15/09/2021 · hạn 15/09/2021 17:00</t>"))
            #expect(sheet.contains("<c r=\"A3\" t=\"inlineStr\" s=\"3\"><is><t xml:space=\"preserve\">Đơn vị: Quận Hai Bà Trưng · 1/18 đơn vị đã báo cáo</t>"))
            #expect(sheet.contains("<row r=\"6\" ht=") && sheet.contains("<c r=\"B6\" t=\"inlineStr\" s=\"1\"><is><t xml:space=\"preserve\">Đơn vị</t>"))
            // Widths, the frozen header, grouped numbers, the bold total, A4 landscape.
            #expect(sheet.contains("<cols><col min=\"1\" max=\"1\" width=") && sheet.contains("<pane ySplit=\"6\" topLeftCell=\"A7\""))
            #expect(sheet.contains("s=\"5\"><v>1832</v>") && sheet.contains("<c r=\"B25\" t=\"inlineStr\" s=\"6\"><is><t xml:space=\"preserve\">Tổng cộng Quận Hai Bà Trưng</t>"))
            #expect(sheet.contains("<pageSetup paperSize=\"9\" orientation=\"landscape\""))
            let styles = String(decoding: try #require(entries["xl/styles.xml"]), as: UTF8.self)
            #expect(styles.contains("<cellXfs count=\"8\">") && styles.contains("numFmtId=\"3\"") && styles.contains("wrapText=\"1\""))
            let workbook = String(decoding: try #require(entries["xl/workbook.xml"]), as: UTF8.self)
            #expect(workbook.contains("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">'Tổng hợp'!$6:$6</definedName>"))
            #if canImport(FoundationXML)
            for part in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/styles.xml", "xl/workbook.xml", "[Content_Types].xml"] {
                #expect(throws: Never.self, "\(part) is well-formed XML") { _ = try XMLDocument(data: Data(entries[part] ?? [])) }
            }
            #endif
            // English readers get an English sheet.
            Self.english(&hbt)
            let en = try await hbt.get(client, "/reports/ward_daily/consolidation.xlsx?period=\(day)&unit=01.007")
            let enSheet = String(decoding: try ZipReader.entries(Array(en.body.readableBytesView))["xl/worksheets/sheet1.xml"] ?? [], as: UTF8.self)
            #expect(enSheet.contains("Consolidated ") && enSheet.contains(">On time<") && !enSheet.contains("Đúng hạn"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func thePrintedCopyIsAnAdministrativeDocument(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let day = "2021-09-15"
            try await app.submitReport("minhkhai", period: day, unit: Self.mk, values: TestApp.wardDailyValues(), at: VietnamTime.instant(CivilDate(year: 2021, month: 9, day: 15)!, hour: 15))
            var hbt = try await BrowserSession.login(client, "hbt")
            let html = try await hbt.get(client, "/reports/ward_daily/print?period=\(day)&unit=01.007").text
            let start = try #require(html.range(of: "id=\"print-page\"")), end = try #require(html.range(of: "</article>"))
            let page = String(html[start.lowerBound..<end.lowerBound])
            #expect(page.contains("Số: ……/BC-SCH"))
            #expect(page.contains(OfficialDocument.placeAndDate("Hà Nội", Clock.today(), vietnamese: true)) && page.contains("Hà Nội, ngày 20 tháng 9 năm 2021"))
            // Titled after what it consolidates; the district named once, as the issuing authority.
            #expect(page.contains("Tổng hợp báo cáo nhanh hằng ngày của phường/xã ngày 15/09/2021"))
            #expect(page.components(separatedBy: "UBND QUẬN HAI BÀ TRƯNG").count == 2 && !page.contains("Quận Hai Bà Trưng"))
            #expect(html.contains("<title>Báo cáo · Tổng hợp báo cáo nhanh hằng ngày"))
            Self.english(&hbt)
            let en = Self.visible(try await hbt.get(client, "/reports/ward_daily/print?period=\(day)&unit=01.007").text)
            #expect(en.contains("No.: ……/BC-SCH") && en.contains("Hà Nội, 20 September 2021") && !en.contains("ngày"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func englishPagesSpeakEnglishAndWeeksReadTheSameEverywhere(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let yesterday = Clock.today().adding(days: -1).iso
            try await app.submitReport("minhkhai", period: yesterday, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1832), at: VietnamTime.instant(Clock.today().adding(days: -1), hour: 15))
            try await app.submitReport("bachmai", period: yesterday, unit: Self.bm, values: TestApp.wardDailyValues(samples: 12000), at: VietnamTime.instant(Clock.today(), hour: 9))
            try await app.submitReport("longbien", code: "district_weekly", period: "2021-W37", unit: "01/004",
                                       values: ["f0_week": "0", "f0_community_week": "0", "quarantine_facility": "0", "samples_week": "46375", "doses_week": "100", "zones_active": "0", "results": "Ổn định"],
                                       at: VietnamTime.instant(Clock.today(), hour: 8))
            let task = try await TaskRoutes(services: app.services).create(.init(title: "Rà soát", details: "", due: "25/09/2021 17:00", assigneeUnit: "01.007.00295"), user: try await app.user("hbt"), key: nil)
            _ = try await TaskRoutes(services: app.services).setStatus(id: task.id, status: "in_progress", note: "", version: nil, user: try await app.user("hbt"))
            var hbt = try await BrowserSession.login(client, "hbt")
            Self.english(&hbt)
            let pages = ["/reports", "/reports/ward_daily/completeness?period=\(yesterday)&unit=01.007", "/reports/ward_daily/completeness?period=\(yesterday)&unit=01.007&view=history",
                         "/reports/ward_daily/consolidation?period=\(yesterday)&unit=01.007", "/reports/ward_daily/print?period=\(yesterday)&unit=01.007",
                         "/reports/ward_daily/\(yesterday)/01.007.00295", "/dashboard", "/dashboard/targets", "/tasks", "/tasks/\(task.id)", "/report-templates", "/rosters", "/messages"]
            for path in pages {
                let page = try await hbt.get(client, path)
                #expect(page.status == .ok, "\(path)")
                let text = Self.visible(page.text)
                for word in ["Đúng hạn", "đúng hạn", "Muộn", "muộn", "Chưa gửi", "chưa gửi", "chưa đến hạn", "Chưa đánh giá", "Đang thực hiện", "Thứ Hai", "12.000", "1.832"] {
                    #expect(!text.contains(word), "\(path) shows “\(word)” in English")
                }
            }
            var city = try await BrowserSession.login(client, "city")
            Self.english(&city)
            let form = Self.visible(try await city.get(client, "/report-templates/district_weekly").text)
            #expect(form.contains("Monday") && !form.contains("Thứ Hai") && !form.contains("Báo cáo tuần của quận/huyện"))
            let completeness = Self.visible(try await hbt.get(client, "/reports/ward_daily/completeness?period=\(yesterday)&unit=01.007").text)
            #expect(completeness.contains("On time") && completeness.contains("Late"))
            #expect(Self.visible(try await hbt.get(client, "/reports/ward_daily/consolidation?period=\(yesterday)&unit=01.007").text).contains("13,832"))
            #expect(Self.visible(try await hbt.get(client, "/tasks").text).contains("In progress"))

            // One week label: "Tuần 37/2021" / "Week 37/2021", never the key, on pages and pickers.
            city.cookies["lang"] = "vi"
            let vi = Self.visible(try await city.get(client, "/reports/district_weekly/consolidation?period=2021-W37").text)
            #expect(vi.contains("Tuần 37/2021") && !vi.contains("2021-W37") && vi.contains("46.375"))
            Self.english(&city)
            let en = Self.visible(try await city.get(client, "/reports/district_weekly/consolidation?period=2021-W37").text)
            #expect(en.contains("Week 37/2021") && !en.contains("2021-W37") && en.contains("46,375") && !en.contains("Tuần"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func pagesLinkOnlyWhereTheReaderMayGoAndNameTheSystemAndWeeksInWords(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            _ = try await MessageRoutes(services: app.services).post(.init(body: "Cần thêm xe chở F1 tại ngõ 12", urgent: true, mentions: [], submissionID: nil),
                                                                     user: try await app.user("minhkhai"), key: nil)
            // The supervisor reads the urgent message on the dashboard, but may not open the message stream: no link to a 403.
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            let board = try await supervisor.get(client, "/dashboard").text
            #expect(board.contains("Cần thêm xe chở F1 tại ngõ 12"))
            #expect(!board.contains("href=\"/messages"))
            #expect(try await supervisor.get(client, "/messages").status == .forbidden)
            var ward = try await BrowserSession.login(client, "minhkhai")
            #expect(try await ward.get(client, "/dashboard").text.contains("href=\"/messages/"))
            // The community team's task list offers the duty roster, and it opens on the team's ward (a group has no roster of its own).
            var team = try await BrowserSession.login(client, "team.mk")
            #expect(try await team.get(client, "/tasks").text.contains("href=\"/rosters\""))
            let roster = try await team.get(client, "/rosters")
            #expect(roster.status == .ok && roster.text.contains("Minh Khai"))

            // Seeded templates were written by the system, in Vietnam time: both read as words.
            var city = try await BrowserSession.login(client, "city")
            let template = Self.visible(try await city.get(client, "/report-templates/district_weekly").text)
            #expect(template.contains("Hệ thống") && template.contains("giờ Việt Nam"))
            #expect(!template.contains(" system ") && !template.contains("Asia/Ho_Chi_Minh"))
            // A level assessment's audit row names its week as people do, in either language.
            let token = try await app.token("city")
            #expect(try await client.json(.post, "/api/v1/risk/compute", token, #"{"week": "2021-W36", "unit": "01"}"#).status == .ok)
            let audit = Self.visible(try await city.get(client, "/audit").text)
            #expect(audit.contains("Tuần 36/2021") && !audit.contains("2021-W36"))
            Self.english(&city)
            #expect(Self.visible(try await city.get(client, "/audit").text).contains("Week 36/2021"))
            // A report's changed fields read by the template's labels.
            #expect(AuditDisplay.field("f0_week", entity: "report_submission", .vi) == "Số ca F0 trong tuần")
            #expect(AuditDisplay.field("zones_active", entity: "report_submission", .en) == "Active lockdown zones")
        }
    }
}

extension ReportPeriod {
    var vietnameseLabel: String { shortLabel(vietnamese: true) }
}
