import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiReporting

/// A risk-level feature stand-in: Minh Khai assessed very high, everything else not assessed.
struct StubLevels: LevelProvider {
    func levels(_ db: any SQLDatabase, scope: Scope, on day: CivilDate) async throws -> [String: UnitLevel] {
        ["01/007/00295": UnitLevel(level: 4, labelVI: "Nguy cơ rất cao", labelEN: "Very high risk", color: "#c62828")]
    }
}

@Suite("Command dashboard, message streams, tasks, rosters and hotlines")
struct DashboardStreamTaskTests {
    static let mk = "01/007/00295", bm = "01/007/00286"

    @Test(arguments: Dialect.enabled)
    func theDashboardShowsFiguresTrendsReportsTargetsAndAlerts(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let today = Clock.today()
            try await app.services.database.transaction { db in
                try await Counters.apply(db, [
                    .init(Self.mk, .casesNew, day: today): 7, .init(Self.mk, .casesNew, day: today.adding(days: -1)): 4,
                    .init(Self.bm, .casesNew, day: today.adding(days: -3)): 2, .init("01/004/00139", .casesNew, day: today): 100,
                    .init(Self.mk, group: "TDP01", .f1Active): 25, .init(Self.mk, .quarantineFacility): 31,
                ])
            }
            let yesterday = today.adding(days: -1).iso
            try await app.submitReport("minhkhai", period: yesterday, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1832, doses: 120, f0: 4).merging(["quarantine_facility": "31"]) { _, new in new })
            // Today's too, so the latest due report (yesterday's before 17:00, today's after) is in whenever the test runs.
            try await app.submitReport("minhkhai", period: today.iso, unit: Self.mk, values: TestApp.wardDailyValues(samples: 1000, doses: 80, f0: 7).merging(["quarantine_facility": "31"]) { _, new in new })
            // An urgent message from Bạch Mai and an overdue task for Minh Khai.
            _ = try await MessageRoutes(services: app.services).post(.init(body: "Ổ dịch mới tại chợ Mơ, cần hỗ trợ lấy mẫu", urgent: true, mentions: ["01.007"], submissionID: nil),
                                                                     user: try await app.user("bachmai"), key: nil)
            _ = try await TaskRoutes(services: app.services).create(.init(title: "Rà soát người từ ngõ Hòa Bình 4", details: "", due: "01/09/2021 17:00", assigneeUser: nil, assigneeUnit: "01.007.00295"),
                                                                    user: try await app.user("hbt"), key: nil)
            _ = try await DashboardRoutes(services: app.services).create(.init(unit: "01.007", titleVI: "Xét nghiệm toàn dân quận Hai Bà Trưng", titleEN: "Mass testing", source: "report:ward_daily.samples_taken",
                                                                               startDay: today.adding(days: -5).vietnamese, dueDay: today.adding(days: 5).vietnamese, value: "10000"),
                                                                         user: try await app.user("hbt"), key: nil)

            var hbt = try await BrowserSession.login(client, "hbt")
            let home = try await hbt.get(client, "/")
            #expect(home.text.contains("id=\"home-dashboard\"") && home.text.contains("href=\"/dashboard\""))
            let page = try await hbt.get(client, "/dashboard")
            #expect(page.status == .ok)
            let text = page.text
            // Key figures of the district only: 7 new today in Minh Khai, not Long Biên's 100.
            #expect(text.contains("data-metric=\"cases_new\"><span class=\"n\">7</span>"))
            #expect(text.contains("data-metric=\"f1_active\"><span class=\"n\">25</span>"))
            // Server-rendered SVG trends, live and from reports.
            #expect(text.contains("<svg class=\"chart\" id=\"svg-cases_new\""))
            #expect(text.contains("id=\"svg-ward_daily-samples_taken\""))
            #expect(text.contains("<title>\(today.vietnamese): 7</title>"))
            // Reports and their totals, with n/N.
            #expect(text.contains("(1/18 đơn vị đã báo cáo)"))
            #expect(text.contains("1.832"))
            // Target progress from the report field.
            #expect(text.contains("Xét nghiệm toàn dân quận Hai Bà Trưng") && text.contains("(2.832/10.000)"))
            #expect(text.contains("Từ báo cáo: tổng “Số mẫu xét nghiệm đã lấy”"))
            // Alerts: the urgent message, the overdue task, late reports.
            #expect(text.contains("data-kind=\"urgent_message\"") && text.contains("Ổ dịch mới tại chợ Mơ"))
            #expect(text.contains("data-kind=\"overdue_task\"") && text.contains("Rà soát người từ ngõ Hòa Bình 4"))
            #expect(text.contains("data-kind=\"late_report\""))
            // No risk assessment feature wired: every ward shows "not assessed".
            #expect(text.contains("Phường Minh Khai: Chưa đánh giá"))

            // With a level provider, the grid takes its colours.
            let withLevels = app.services.with(dashboard: DashboardSources(alerts: [], levels: StubLevels()))
            let hbtUser = try await app.user("hbt")
            let data = try await DashboardService(services: withLevels).build(root: try await app.services.directory.unit("01/007")!, scope: try await app.scope(for: "hbt"), user: hbtUser)
            #expect(data.grid.count == 18)
            #expect(data.grid.first { $0.unitPath == Self.mk }?.color == "#c62828")
            #expect(data.grid.first { $0.unitPath == Self.bm }?.level == nil)

            // The API returns the same figures; the city sees Long Biên's too; a ward sees its own only.
            let token = try await app.services.auth.issueToken(username: "city", name: "t")
            let api = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: [.authorization: "Bearer \(token)"])
            let figures = (try api.json()["data"] as? [String: Any])?["figures"] as? [[String: Any]] ?? []
            #expect(figures.first { $0["metric"] as? String == "cases_new" }?["value"] as? Int == 107)
            var bachMai = try await BrowserSession.login(client, "bachmai")
            let wardPage = try await bachMai.get(client, "/dashboard")
            #expect(wardPage.text.contains("data-metric=\"cases_new\"><span class=\"n\">0</span>"))
            #expect(!wardPage.text.contains("Rà soát người từ ngõ Hòa Bình 4"))
            #expect(try await bachMai.get(client, "/dashboard?unit=01.007.00295").status == .notFound)
            var team = try await BrowserSession.login(client, "team.mk")
            #expect(try await team.get(client, "/dashboard").status == .ok)
            var checkpoint = try await BrowserSession.login(client, "checkpoint.mk")
            #expect(try await checkpoint.get(client, "/dashboard").status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func messagesFlowUpTheChainAndToMentionedUnits(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var minhKhai = try await BrowserSession.login(client, "minhkhai")
            let form = try await minhKhai.get(client, "/messages")
            #expect(form.text.contains("name=\"mention.01.007.00286\""))
            let posted = try await minhKhai.post(client, "/messages", form: ["body": "Đề nghị Bạch Mai phối hợp truy vết F1 tại chợ", "mention.01.007.00286": "1", "urgent": "1",
                                                                             "_key": BrowserSession.formKey(form.text)])
            #expect(posted.status == .seeOther)
            // The same form again is one post.
            _ = try await minhKhai.post(client, "/messages", form: ["body": "Đề nghị Bạch Mai phối hợp truy vết F1 tại chợ", "mention.01.007.00286": "1", "urgent": "1",
                                                                    "_key": BrowserSession.formKey(form.text)])
            let stored = try await app.services.database.read { try await MessageStore.stream($0, scope: try await app.scope(for: "city")) }
            #expect(stored.count == 1)
            let id = try stored.first.unwrapped().id

            var bachMai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachMai.get(client, "/messages").text.contains("Đề nghị Bạch Mai phối hợp"))
            var hbt = try await BrowserSession.login(client, "hbt")
            #expect(try await hbt.get(client, "/messages").text.contains("Đề nghị Bạch Mai phối hợp"))
            #expect(try await hbt.get(client, "/messages?unit=01.007.00295").text.contains("Đề nghị Bạch Mai phối hợp"))
            var longBien = try await BrowserSession.login(client, "longbien")
            #expect(!(try await longBien.get(client, "/messages").text.contains("Đề nghị Bạch Mai")))
            #expect(try await longBien.get(client, "/messages/\(id)").status == .notFound)
            #expect(try await longBien.post(client, "/messages/\(id)/handled", form: [:]).status == .notFound)

            // Bạch Mai handles it: the urgent alert disappears from the dashboard.
            #expect(try await hbt.get(client, "/dashboard").text.contains("data-kind=\"urgent_message\""))
            #expect(try await bachMai.post(client, "/messages/\(id)/handled", form: [:]).status == .seeOther)
            let shown = try await hbt.get(client, "/messages/\(id)")
            #expect(shown.text.contains("id=\"message-handled\"") && shown.text.contains("User bachmai"))
            #expect(!(try await hbt.get(client, "/dashboard").text.contains("data-kind=\"urgent_message\"")))
            #expect(try await app.audit("message").map(\.action) == ["post", "handle"])

            // Attached to a report: shown on the report page; empty posts are refused; supervisors cannot post.
            try await app.submitReport("minhkhai", period: "2021-09-15", unit: Self.mk, values: TestApp.wardDailyValues(), at: try Date("2021-09-15T08:00:00Z", strategy: .iso8601))
            let submission = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: "2021-09-15", unit: Self.mk).first }
            _ = try await minhKhai.post(client, "/messages", form: ["body": "Số mẫu tăng do lấy mẫu cộng đồng", "submission_id": try submission.unwrapped().id, "back": "/reports/ward_daily/2021-09-15/01.007.00295"])
            #expect(try await hbt.get(client, "/reports/ward_daily/2021-09-15/01.007.00295").text.contains("Số mẫu tăng do lấy mẫu cộng đồng"))
            let token = try await app.services.auth.issueToken(username: "minhkhai", name: "t")
            let empty = try await client.execute(uri: "/api/v1/messages", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(string: #"{"body":"  "}"#))
            #expect(empty.status == .unprocessableContent)
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            #expect(try await supervisor.post(client, "/messages", form: ["body": "x"]).status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func tasksAreTrackedToDoneAndRostersFeedThePublicHotlines(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let entryUser = try await app.user("entry.mk")
            var hbt = try await BrowserSession.login(client, "hbt")
            let list = try await hbt.get(client, "/tasks")
            #expect(list.text.contains("value=\"user:\(entryUser.id)\""))
            let created = try await hbt.post(client, "/tasks", form: ["title": "Lập danh sách người tạm trú ngõ Hòa Bình 2", "assignee": "user:\(entryUser.id)",
                                                                       "due": "2021-08-31T17:00", "_key": BrowserSession.formKey(list.text)])
            #expect(created.status == .seeOther)
            let id = String(try (created.headers[.location]?.split(separator: "/").last).unwrapped())
            let shown = try await hbt.get(client, "/tasks/\(id)")
            #expect(shown.text.contains("id=\"task-overdue\"") && shown.text.contains("31/08/2021 17:00"))
            // The named official (data entry, no manageTasks) reports progress, then done.
            var entry = try await BrowserSession.login(client, "entry.mk")
            #expect(try await entry.get(client, "/tasks").text.contains("Lập danh sách người tạm trú"))
            #expect(try await entry.post(client, "/tasks/\(id)/status", form: ["status": "in_progress", "note": "Đã rà 2/5 tổ"]).status == .seeOther)
            #expect(try await entry.post(client, "/tasks/\(id)/status", form: ["status": "done", "note": "Xong"]).status == .seeOther)
            let done = try await hbt.get(client, "/tasks/\(id)")
            #expect(done.text.contains("id=\"task-status\">Đã hoàn thành") && done.text.contains("Đã rà 2/5 tổ"))
            #expect(!done.text.contains("id=\"task-overdue\""))
            #expect(try await app.audit("task").map(\.action) == ["create", "update", "update"])
            // Another ward sees nothing of it.
            var bachMai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachMai.get(client, "/tasks/\(id)").status == .notFound)
            #expect(try await bachMai.post(client, "/tasks/\(id)/status", form: ["status": "cancelled"]).status == .notFound)
            // A deadline is required.
            #expect(try await hbt.post(client, "/tasks", form: ["title": "X", "assignee": "unit:01.007.00295", "due": ""]).status == .seeOther)
            #expect(try await app.audit("task").count == 3)

            // Duty roster and hotline of Minh Khai, then the public directory with no login.
            var minhKhai = try await BrowserSession.login(client, "minhkhai")
            let roster = try await minhKhai.get(client, "/rosters")
            let now = Clock.now()
            let start = VietnamTime.display(now.addingTimeInterval(-3600)), end = VietnamTime.display(now.addingTimeInterval(8 * 3600))
            #expect(try await minhKhai.post(client, "/rosters/shifts", form: ["person": "Trần Văn Trực", "position": "Phó Chủ tịch UBND phường", "phone": "0912 345 678",
                                                                              "start": start, "end": end, "_key": BrowserSession.formKey(roster.text)]).status == .seeOther)
            #expect(try await minhKhai.post(client, "/rosters/hotline", form: ["phone": "024 3863 1234", "note": "24/7"]).status == .seeOther)
            #expect(try await minhKhai.post(client, "/rosters/shifts", form: ["person": "X", "phone": "0912345678", "start": start, "end": start, "unit": "01.007.00295"]).status == .seeOther)
            #expect(try await minhKhai.post(client, "/rosters/hotline", form: ["phone": "111", "unit": "01.007.00286"]).status == .notFound)
            let publicPage = try await client.execute(uri: "/hotlines?unit=01.007", method: .get)
            #expect(publicPage.status == .ok)
            #expect(publicPage.text.contains("024 3863 1234") && publicPage.text.contains("Trần Văn Trực") && publicPage.text.contains("0912345678"))
            let json = try await client.execute(uri: "/api/v1/public/hotlines?unit=01.007", method: .get)
            let entries = try json.json()["data"] as? [[String: Any]] ?? []
            #expect(entries.count == 19)
            #expect((entries.first { $0["unit_path"] as? String == Self.mk }?["on_duty"] as? [[String: Any]])?.count == 1)
            #expect(try await app.audit("hotline").count == 1)
            #expect(try await app.audit("duty_shift").count == 1)
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            #expect(try await supervisor.post(client, "/rosters/hotline", form: ["phone": "0243"]).status == .forbidden)
        }
    }
}
