import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing

@Suite("Lockdown zones, risk levels and rule tables")
struct ZoneRiskTests {
    @Test(arguments: Dialect.enabled)
    func aZoneIsDrawnByGroupAndAlleyNarrowedLiftedAndKeepsItsHistory(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let inGroup = try await app.person("Trịnh Văn Phúc", group: "TDP02")
            let inAlley = try await app.person("Trịnh Thị Quyên", birth: "1990-02-02")
            let nextAlley = try await app.person("Trịnh Văn Sơn", birth: "1991-03-03")
            let elsewhere = try await app.person("Trịnh Văn Tài", birth: "1992-04-04")
            try await app.services.database.transaction { db in
                try await db.raw("UPDATE persons SET address = 'Số 12 Ngõ Hòa Bình 4, Minh Khai' WHERE id = \(bind: inAlley.id)").run()
                try await db.raw("UPDATE persons SET address = 'Số 3 ngõ Hòa Bình 40' WHERE id = \(bind: nextAlley.id)").run()
                try await db.raw("UPDATE persons SET address = '15 Minh Khai' WHERE id = \(bind: elsewhere.id)").run()
            }
            var ward = try await BrowserSession.login(client, "minhkhai")
            let form = try await ward.get(client, "/zones/new")
            let key = String(form.text.components(separatedBy: "name=\"_key\" value=\"")[1].prefix { $0 != "\"" })
            let created = try await ward.post(client, "/zones", form: ["name": "Ngõ Hòa Bình 4 và TDP 2", "unit": "01/007/00295", "g_TDP02": "1",
                                                                       "addresses": "ngo hoa binh 4", "started_on": "06/09/2021", "_key": key])
            #expect(created.status == .seeOther)
            let location = try created.headers[.location].unwrapped("zone")
            let page = try await ward.get(client, location)
            #expect(page.text.contains("id=\"resident-count\">2<"))
            #expect(page.text.contains(inGroup.id) && page.text.contains(inAlley.id))
            #expect(!page.text.contains(nextAlley.id) && !page.text.contains(elsewhere.id))
            // Sent twice: one zone.
            _ = try await ward.post(client, "/zones", form: ["name": "Ngõ Hòa Bình 4 và TDP 2", "unit": "01/007/00295", "g_TDP02": "1", "addresses": "ngo hoa binh 4", "_key": key])
            #expect(try await app.gauges("minhkhai")[.zonesActive] == 1)

            // Narrowed to the alley only, then lifted; every version stays.
            let id = String(location.split(separator: "/").last!)
            let detail = try await ward.get(client, location)
            let version = String(detail.text.components(separatedBy: "name=\"version\" value=\"")[1].prefix { $0 != "\"" })
            // A mistyped date is refused, not taken as today.
            #expect(try await ward.post(client, "/zones/\(id)/redraw", form: ["addresses": "ngõ Hòa Bình 4", "started_on": "31/02/2021", "version": version]).status == .unprocessableContent)
            #expect(try await ward.post(client, "/zones/\(id)/redraw", form: ["addresses": "ngõ Hòa Bình 4", "started_on": "10/09/2021", "version": version]).status == .seeOther)
            let narrowed = try await ward.get(client, location)
            #expect(narrowed.text.contains("id=\"resident-count\">1<"))
            #expect(try await ward.post(client, "/zones/\(id)/supplies", form: ["items": "Gạo 10kg, rau", "households": "12"]).status == .seeOther)
            var team = try await BrowserSession.login(client, "team.mk")
            #expect(try await team.post(client, "/zones/\(id)/supplies", form: ["items": "Thuốc hạ sốt", "households": "3"]).status == .seeOther)
            #expect(try await team.post(client, "/zones/\(id)/lift", form: [:]).status == .forbidden)
            #expect(try await ward.post(client, "/zones/\(id)/lift", form: ["ended_on": "21/09/2021"]).status == .seeOther)
            let lifted = try await ward.get(client, location)
            #expect(lifted.text.contains("Thuốc hạ sốt"))
            let versions = try await app.services.database.read { try await ZoneService.versions($0, zoneID: id) }
            #expect(versions.map(\.change) == ["lift", "narrow", "create"])
            #expect(try await app.gauges("minhkhai")[.zonesActive] ?? 0 == 0)

            // Another ward cannot see or change it; a bad boundary is refused with its reason.
            var bachMai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachMai.get(client, location).status == .notFound)
            #expect(try await bachMai.post(client, "/zones/\(id)/supplies", form: ["items": "x", "households": "1"]).status == .notFound)
            let bad = try await ward.post(client, "/zones", form: ["name": "Sai", "unit": "01/007/00295", "g_XYZ": "1"])
            #expect(bad.status == .unprocessableContent)
        }
    }

    /// Community cases over a week against population, coverage and capacity, per ward and up.
    @Test(arguments: Dialect.enabled)
    func weeklyLevelsFollowTheTableInForceAndShowTheDecidingCriterion(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let db = app.services.database
            let city = try await app.user("city")
            let hbtWards = await app.services.directory.children(of: "01/007").filter { !$0.isGroup }
            try await db.transaction { db in
                try await db.raw("UPDATE units SET population = 10000 WHERE parent_path = '01/007'").run()
                // Minh Khai: 6 community cases in the week of 15/11/2021 (60 per 100,000); Bạch Mai: 1.
                try await Counters.apply(db, [.init("01/007/00295", .casesNewCommunity, day: CivilDate(year: 2021, month: 11, day: 16)!): 6,
                                              .init("01/007/00286", .casesNewCommunity, day: CivilDate(year: 2021, month: 11, day: 17)!): 1,
                                              .init("01/007/00286", .casesNewCommunity, day: CivilDate(year: 2021, month: 11, day: 22)!): 9])
                for w in hbtWards {
                    try await RiskService.setIndicator(db, unit: w.path, .adultsFirstDose, asOf: CivilDate(year: 2021, month: 11, day: 1)!, value: 95, reason: "số liệu hệ thống tiêm chủng quốc gia", user: city)
                    try await RiskService.setIndicator(db, unit: w.path, .over50Full, asOf: CivilDate(year: 2021, month: 11, day: 1)!, value: w.code == "00286" ? 60 : 90, reason: "số liệu hệ thống tiêm chủng quốc gia", user: city)
                }
            }
            try await app.services.directory.reload()
            // A ward may look but not assess.
            var mk = try await BrowserSession.login(client, "minhkhai")
            #expect(try await mk.post(client, "/risk/compute", form: ["week": "2021-W46"]).status == .forbidden)
            var hbt = try await BrowserSession.login(client, "hbt")
            #expect(try await hbt.post(client, "/risk/compute", form: ["week": "2021-W46"]).status == .seeOther)
            let rows = try await db.read { try await RiskService.assessments($0, week: "2021-W46", scope: try await app.scope(for: "hbt")) }
            let byUnit = Dictionary(uniqueKeysWithValues: rows.map { ($0.unitPath, $0) })
            #expect(byUnit["01/007/00295"]?.level == 3)  // 60/100k, coverage met
            #expect(byUnit["01/007/00286"]?.level == 2)  // 10/100k, coverage not met (50+ at 60%)
            #expect(byUnit["01/007/00286"]?.decidedVi.contains("chưa đạt độ bao phủ") == true)
            #expect(hbtWards.allSatisfy { byUnit[$0.path] != nil })
            // The district on its own figures: 7 cases over 180,000 people is under 20 per 100,000, coverage met on average.
            #expect(byUnit["01/007"]?.level == 1)
            #expect(byUnit["01/004/00139"] == nil)  // Long Biên is not Hai Bà Trưng's to assess
            let page = try await mk.get(client, "/risk?week=2021-W46")
            #expect(page.text.contains("Cấp 3"))

            // In July 2021 the 2686 table applies, and a district is judged by its wards' shares.
            try await db.transaction { db in
                for w in hbtWards.prefix(6) {
                    try await Counters.apply(db, [.init(w.path, .casesNewCommunity, day: CivilDate(year: 2021, month: 7, day: 20)!): 8])
                }
            }
            let july = try await RiskService(services: app.services).compute(week: "2021-W29", root: try UnitPath("01/007"), user: city)
            let j = Dictionary(uniqueKeysWithValues: july.rows.map { ($0.unitPath, $0) })
            #expect(july.ruleSet.rules.scheme == "2686")
            #expect(j[hbtWards[0].path]?.level == 4)  // 80/100k: very high under the 2686 reading
            #expect(j[hbtWards[17].path]?.level == 1)  // no community case
            #expect(j["01/007"]?.level == 4)  // 6 of 18 wards very high is 33% ≥ 30%
            #expect(j["01/007"]?.decidedVi.contains("33") == true)
            let history = try await db.read { try await RiskService.history($0, unit: "01/007/00295") }
            #expect(history.map(\.week) == ["2021-W46", "2021-W29"])
        }
    }

    @Test(arguments: Dialect.enabled)
    func theCityEditsVersionedRulesAndOthersCannot(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var city = try await BrowserSession.login(client, "city")
            #expect(try await city.get(client, "/rules").status == .ok)
            let ok = try await city.post(client, "/rules/quarantine", form: ["effective_from": "01/10/2021", "subject": "f1", "setting": "home", "days": "10",
                                                                             "monitoring_days": "4", "test_days": "1, 10", "source": "Công văn thử"])
            #expect(ok.status == .seeOther)
            let rules = try await app.services.database.read { try await QuarantineService.rules($0) }
            #expect(QuarantinePolicy.rule(for: .f1, setting: .home, on: CivilDate(year: 2021, month: 10, day: 2)!, rules: rules)?.days == 10)
            #expect(QuarantinePolicy.rule(for: .f1, setting: .home, on: CivilDate(year: 2021, month: 9, day: 30)!, rules: rules)?.days == 14)
            let bad = try await city.post(client, "/rules/quarantine", form: ["effective_from": "01/10/2021", "subject": "f1", "setting": "home", "days": "7", "test_days": "1, 14"])
            #expect(bad.status == .unprocessableContent)
            var broken = RiskAssessment.decision4800
            broken.bands[1].minRate = 0
            let json = String(decoding: try JSONEncoder().encode(broken), as: UTF8.self)
            #expect(try await city.post(client, "/rules/risk", form: ["definition": json, "effective_from": "01/12/2021"]).status == .unprocessableContent)
            #expect(try await city.post(client, "/rules/risk", form: ["definition": "{", "effective_from": "01/12/2021"]).status == .unprocessableContent)
            // Following F2 only: F3s drop at once.
            let headers = try await app.token("entry.mk")
            _ = try await client.json(.post, "/api/v1/cases", headers, #"{"person": {"full_name": "Mai Văn A", "phone": "0915000001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Mai Thị B", "phone": "0915000002"}]}"#)
            let b = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone = '+84915000002'").first! }
            let c = try await app.person("Mai Văn C", phone: "+84915000003"), d = try await app.person("Mai Văn D", birth: "2000-01-01", phone: "+84915000004")
            // The ward records B's contact C, then C's contact D, as it traces.
            #expect(try await client.json(.post, "/api/v1/people/\(b.id)/contacts", headers, #"{"contacts": [{"person_id": "\#(c.id)", "day": "2021-09-10"}]}"#).status == .created)
            #expect(try await client.json(.post, "/api/v1/people/\(c.id)/contacts", headers, #"{"contacts": [{"person_id": "\#(d.id)", "day": "2021-09-10"}]}"#).status == .created)
            #expect(try await app.levels()[d.id] == 3)
            #expect(try await city.post(client, "/rules/policies", form: ["key": "max_contact_level", "value": "2", "effective_from": "01/01/2021"]).status == .seeOther)
            // The change is applied to the whole city by a background job, shown on /rules.
            await app.services.jobs.waitUntilIdle()
            #expect(try await app.levels()[d.id] == nil)
            #expect(try await city.get(client, "/rules").text.contains("class=\"job\""))
            #expect(try await app.gauges("city")[.f3PlusActive] ?? 0 == 0)

            var district = try await BrowserSession.login(client, "hbt")
            #expect(try await district.get(client, "/rules").status == .forbidden)
            #expect(try await district.post(client, "/rules/policies", form: ["key": "max_contact_level", "value": "5"]).status == .forbidden)
        }
    }
}
