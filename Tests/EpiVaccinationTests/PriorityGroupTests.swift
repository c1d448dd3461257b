import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiVaccination

/// Priority groups are the city's editable list: a session names groups from it, the officer records the
/// group each person came under, and a session only for people over 65 invites only them.
@Suite("Vaccination priority groups")
struct PriorityGroupTests {
    static let pfizer = "EU/1/20/1528"

    @Test(arguments: Dialect.enabled)
    func aSessionServesGroupsFromTheListAndEachDoseRecordsItsGroup(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await VaccinationTests.setup(app, client)
            let hbt = try await app.token("hbt")
            // The seeded list, in order, with the over-65 group defined by age.
            let list = try await client.json(.get, "/api/v1/vaccination/priority-groups", hbt)
            let groups = (try list.json()["data"] as? [[String: Any]]) ?? []
            #expect(groups.count == PriorityGroups.seed.count)
            #expect(groups.first?["code"] as? String == "health_workers")
            #expect(groups.first { $0["code"] as? String == "over_65" }?["min_age"] as? Int == 65)
            // A code not in the list is refused on its field, and no session is made.
            let before = try await Self.count(app, "vaccination_sessions")
            let wrong = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                              #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.vietnamese)", "capacity": 20, "product_code": "\#(Self.pfizer)", "priority_groups": "health_workers,shoppers"}"#)
            #expect(wrong.status == .unprocessableContent)
            #expect(((try wrong.json()["error"] as? [String: Any])?["details"] as? [String: String])?["priority_groups"]?.contains("shoppers") == true)
            #expect(try await Self.count(app, "vaccination_sessions") == before)
            // The page form ticks two groups; the session page names them in Vietnamese.
            var browser = try await BrowserSession.login(client, "hbt")
            let overview = try await browser.get(client, "/vaccination")
            #expect(overview.text.contains("name=\"priority.over_65\"") && overview.text.contains("8. Người trên 65 tuổi"))
            let made = try await browser.post(client, "/vaccination/sessions", form: [
                "site_id": s.site, "session_on": TestApp.today.vietnamese, "capacity": "30", "product_code": Self.pfizer, "min_age": "18",
                "priority.health_workers": "1", "priority.chronic_illness": "1", "_key": BrowserSession.formKey(overview.text),
            ])
            let location = made.headers[.location] ?? ""
            #expect(location.hasPrefix("/vaccination/sessions/"))
            let sessionID = String(location.dropFirst("/vaccination/sessions/".count))
            let stored = try await app.services.database.read { db in
                try await db.raw("SELECT priority_groups FROM vaccination_sessions WHERE id = \(bind: sessionID)").first()?.decode(column: "priority_groups", as: String.self)
            }
            #expect(stored == "chronic_illness,health_workers")
            let page = try await browser.get(client, "/vaccination/sessions/\(sessionID)?q=001180012345").text
            #expect(page.contains("Nhóm ưu tiên: 8. Người mắc bệnh mạn tính; 1. Người làm việc trong cơ sở y tế"))
            // The record form offers the session's groups only.
            #expect(page.contains("<option value=\"chronic_illness\">") && page.contains("<option value=\"health_workers\">"))
            #expect(!page.contains("<option value=\"police\">"))
            // A group the session does not serve is refused and nothing is given.
            let refused = try await client.json(.post, "/api/v1/vaccination/sessions/\(sessionID)/record", hbt,
                                                #"{"person_id": "\#(s.person)", "lot_id": "\#(s.lot)", "priority_group": "police"}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(try await Self.count(app, "vaccine_doses") == 0)
            // Recorded under a group: the dose and the screening keep it, and the session counts by group.
            let given = try await browser.post(client, "/vaccination/sessions/\(sessionID)/record", form: [
                "person_id": s.person, "outcome": "eligible", "lot_id": s.lot, "priority_group": "chronic_illness",
            ])
            #expect(given.status == .seeOther || given.status == .found)
            let (dose, screening) = try await app.services.database.read { db in
                (try await db.raw("SELECT priority_group FROM vaccine_doses WHERE person_id = \(bind: s.person)").first()?.decode(column: "priority_group", as: String.self),
                 try await db.raw("SELECT priority_group FROM vaccination_screenings WHERE person_id = \(bind: s.person)").first()?.decode(column: "priority_group", as: String.self))
            }
            #expect(dose == "chronic_illness" && screening == "chronic_illness")
            let after = try await browser.get(client, "/vaccination/sessions/\(sessionID)").text
            #expect(after.contains("id=\"given-by-group\"") && after.contains("<td>8. Người mắc bệnh mạn tính</td><td>1</td>"))
            // The person's page names the group beside the dose.
            #expect(try await browser.get(client, "/people/\(s.person)").text.contains("Nhóm ưu tiên: 8. Người mắc bệnh mạn tính"))
            // A session that names no group takes any active group, and none.
            let open = try await client.json(.post, "/api/v1/vaccination/sessions/\(s.session)/record", hbt,
                                             #"{"person_id": "\#(s.person)", "outcome": "postpone", "priority_group": "police"}"#)
            #expect(open.status == .ok)
        }
    }

    @Test(arguments: Dialect.enabled)
    func aSessionOnlyForOver65InvitesOnlyThem(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await VaccinationTests.setup(app, client)
            let hbt = try await app.token("hbt")
            let day = TestApp.today
            let old = try await app.person("Trần Văn Cao", birth: CivilDate(year: day.year - 70, month: 1, day: 1)?.iso ?? "1950-01-01")
            let young = try await app.person("Trần Văn Trẻ", birth: CivilDate(year: day.year - 40, month: 1, day: 1)?.iso ?? "1980-01-01")
            func invited(_ groups: String) async throws -> Set<String> {
                let made = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                                 #"{"site_id": "\#(s.site)", "session_on": "\#(day.vietnamese)", "capacity": 100, "product_code": "\#(Self.pfizer)", "priority_groups": "\#(groups)"}"#)
                let id = (try made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
                let read = try await client.json(.get, "/api/v1/vaccination/sessions/\(id)", hbt)
                return Set(((try read.json()["invitations"] as? [[String: Any]]) ?? []).compactMap { ($0["person"] as? [String: Any])?["id"] as? String })
            }
            let over65 = try await invited("over_65")
            #expect(over65.contains(old.id) && !over65.contains(young.id))
            // The session's page says from which age it invites.
            var browser = try await BrowserSession.login(client, "hbt")
            let sessionID = try await app.services.database.read { db in
                try await db.raw("SELECT id FROM vaccination_sessions WHERE priority_groups = 'over_65'").first()?.decode(column: "id", as: String.self)
            } ?? ""
            #expect(try await browser.get(client, "/vaccination/sessions/\(sessionID)").text.contains("<span id=\"session-min-age\">Từ tuổi: 65</span>"))
            // With a group the registry cannot see, anyone of the session's age may belong: both are invited.
            let mixed = try await invited("over_65,chronic_illness")
            #expect(mixed.isSuperset(of: [old.id, young.id]))
            // Health workers are those the registry records as such (the ward's groups at risk), from the session's age.
            let nurse = try await app.person("Trần Thị Điều Dưỡng", birth: CivilDate(year: day.year - 30, month: 5, day: 5)?.iso ?? "1991-05-05")
            let ward = try await app.token("minhkhai")
            #expect(try await client.json(.post, "/api/v1/testing/people/\(nurse.id)/risk-groups", ward, #"{"groups": ["health_workers"]}"#).status == .ok)
            let health = try await invited("health_workers")
            #expect(health.contains(nurse.id) && !health.contains(young.id) && !health.contains(old.id))
            let healthAndOld = try await invited("over_65,health_workers")
            #expect(healthAndOld.isSuperset(of: [old.id, nurse.id]) && !healthAndOld.contains(young.id))
            let healthSession = try await app.services.database.read { db in
                try await db.raw("SELECT id FROM vaccination_sessions WHERE priority_groups = 'health_workers'").first()?.decode(column: "id", as: String.self)
            } ?? ""
            let healthPage = try await browser.get(client, "/vaccination/sessions/\(healthSession)").text
            #expect(healthPage.contains("Mời người sổ cư trú ghi thuộc nhóm: Nhân viên y tế (từ tuổi ") && !healthPage.contains("session-min-age"))
            // The city links chronic illness to the health station's list: before the ward imports it, a session for it
            // invites nobody and its page says why and where the lists are; then it invites the people the list names.
            let patient = try await app.person("Vũ Văn Bệnh Nền", citizenID: "001070033333", birth: CivilDate(year: day.year - 50, month: 3, day: 3)?.iso ?? "1971-03-03")
            let chronic = PriorityGroups.seed.first { $0.code == "chronic_illness" }?.labelVI ?? ""
            let linked = try await client.json(.post, "/api/v1/vaccination/priority-groups", try await app.token("city"),
                                               #"{"code": "chronic_illness", "label_vi": "\#(chronic)", "registry_group": "chronic_illness"}"#)
            #expect((try linked.json()["data"] as? [String: Any])?["registry_group"] as? String == "chronic_illness")
            #expect(try await invited("chronic_illness").isEmpty)
            let emptySession = try await app.services.database.read { db in
                try await db.raw("SELECT id FROM vaccination_sessions WHERE priority_groups = 'chronic_illness'").first()?.decode(column: "id", as: String.self)
            } ?? ""
            let emptyPage = try await browser.get(client, "/vaccination/sessions/\(emptySession)").text
            #expect(emptyPage.contains("invite-lists-hint") && emptyPage.contains("chỉ mời người sổ cư trú ghi thuộc nhóm: Người có bệnh nền (bệnh mạn tính)")
                    && emptyPage.contains("href=\"/testing/risk-groups\""))
            var csv = ward
            csv[.contentType] = "text/csv"
            #expect(try await client.json(.post, "/api/v1/testing/risk-groups/import", csv, "cccd,nhom\n001070033333,bệnh nền\n").status == .ok)
            let chronicOnly = try await invited("chronic_illness")
            #expect(chronicOnly.contains(patient.id) && !chronicOnly.contains(young.id) && !chronicOnly.contains(nurse.id))
        }
    }

    @Test(arguments: Dialect.enabled)
    func onlyTheCityEditsTheListAndEveryEditIsAudited(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let city = try await app.token("city"), hbt = try await app.token("hbt")
            // A district may read the list but not change it.
            let denied = try await client.json(.post, "/api/v1/vaccination/priority-groups", hbt, #"{"code": "police", "label_vi": "Công an"}"#)
            #expect(denied.status == .forbidden)
            // The city renames a group and retires another, and adds one; each change leaves an audit row.
            let renamed = try await client.json(.post, "/api/v1/vaccination/priority-groups", city,
                                                #"{"code": "police", "label_vi": "4. Lực lượng Công an nhân dân", "label_en": "4. People's Police", "position": 4}"#)
            #expect(renamed.status == .ok)
            let retired = try await client.json(.post, "/api/v1/vaccination/priority-groups", city,
                                                #"{"code": "going_abroad", "label_vi": "11. Người đi nước ngoài", "active": false}"#)
            #expect(retired.status == .ok)
            let added = try await client.json(.post, "/api/v1/vaccination/priority-groups", city,
                                              #"{"code": "workers_industrial", "label_vi": "Công nhân khu công nghiệp", "label_en": "Industrial-zone workers", "registry_group": "factory_workers"}"#)
            #expect((try added.json()["data"] as? [String: Any])?["position"] as? Int == PriorityGroups.seed.count + 1)
            #expect((try added.json()["data"] as? [String: Any])?["registry_group"] as? String == "factory_workers")
            let wrongRegistry = try await client.json(.post, "/api/v1/vaccination/priority-groups", city, #"{"code": "workers_industrial", "label_vi": "x", "registry_group": "astronauts"}"#)
            #expect(wrongRegistry.status == .unprocessableContent && wrongRegistry.text.contains("registry_group"))
            let bad = try await client.json(.post, "/api/v1/vaccination/priority-groups", city, #"{"code": "Bad Code", "label_vi": "x"}"#)
            #expect(bad.status == .unprocessableContent)
            let audits = try await app.services.database.read { db in
                try await db.raw("SELECT entity_id, action FROM audit_log WHERE entity_type = 'vaccination_priority_group' ORDER BY entity_id").all()
                    .map { "\(try $0.decode(column: "entity_id", as: String.self)):\(try $0.decode(column: "action", as: String.self))" }
            }
            #expect(audits == ["going_abroad:update", "police:update", "workers_industrial:create"])
            // A retired group is no longer offered for new sessions, and refused if sent.
            let s = try await VaccinationTests.setup(app, client)
            var browser = try await BrowserSession.login(client, "hbt")
            let overview = try await browser.get(client, "/vaccination").text
            #expect(!overview.contains("priority.going_abroad") && overview.contains("priority.workers_industrial"))
            #expect(overview.contains("4. Lực lượng Công an nhân dân"))
            let refused = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                                #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.vietnamese)", "capacity": 5, "product_code": "\#(Self.pfizer)", "priority_groups": "going_abroad"}"#)
            #expect(refused.status == .unprocessableContent)
            // The city's page edits in the browser, with the form's errors on the page.
            var cityBrowser = try await BrowserSession.login(client, "city")
            let page = try await cityBrowser.get(client, "/vaccination/priority-groups").text
            #expect(page.contains("Nghị quyết 21/NQ-CP") && page.contains("id=\"priority-new\""))
            #expect(page.contains("(sổ cư trú ghi: Công nhân khu công nghiệp)") && page.contains("(sổ cư trú ghi: Nhân viên y tế)"))
            let unlinked = try await cityBrowser.post(client, "/vaccination/priority-groups", form: ["code": "workers_industrial", "label_vi": "Công nhân khu công nghiệp", "registry_group": "", "active": "1"])
            #expect(unlinked.status == .seeOther || unlinked.status == .found)
            #expect(try await app.services.database.read { db in
                try await db.raw("SELECT changes FROM audit_log WHERE entity_id = 'workers_industrial' AND action = 'update'").first()?.decode(column: "changes", as: String.self)
            }?.contains("Công nhân khu công nghiệp") == true)
            let wrongAge = try await cityBrowser.post(client, "/vaccination/priority-groups", form: ["code": "over_65", "label_vi": "8. Người trên 65 tuổi", "min_age": "sáu lăm", "active": "1"])
            #expect(wrongAge.status == .unprocessableContent && wrongAge.text.contains("Tuổi phải là số"))
            let saved = try await cityBrowser.post(client, "/vaccination/priority-groups", form: ["code": "over_65", "label_vi": "8. Người từ 60 tuổi", "min_age": "60", "active": "1"])
            #expect(saved.headers[.location] == "/vaccination/priority-groups?saved=over_65")
            #expect(try await cityBrowser.get(client, "/vaccination/priority-groups?saved=over_65").text.contains("Đã lưu: 8. Người từ 60 tuổi"))
            // The district's page shows the list without the forms.
            let districtPage = try await browser.get(client, "/vaccination/priority-groups").text
            #expect(districtPage.contains("8. Người từ 60 tuổi") && !districtPage.contains("id=\"priority-new\""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func aDoseFileCarriesEachDosesGroupAndAnUnknownOneIsABadRow(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await VaccinationTests.setup(app, client)
            var csv = try await app.token("entry.mk")
            csv[.contentType] = "text/csv"
            let file = """
                cccd,ngay_tiem,mui_so,vac_xin,nhom_uu_tien
                001180012345,01/08/2021,1,AstraZeneca,chronic_illness
                001180012345,29/08/2021,2,Pfizer,astronauts

                """
            let r = try await client.json(.post, "/api/v1/vaccination/doses/import", csv, file)
            let report = (try r.json()["data"] as? [String: Any]) ?? [:]
            #expect(report["inserted"] as? Int == 1 && report["failed"] as? Int == 1)
            let errors = (report["errors"] as? [[String: Any]]) ?? []
            #expect(errors.first?["line"] as? Int == 3 && (errors.first?["message"] as? String)?.contains("astronauts") == true)
            let stored = try await app.services.database.read { db in
                try await db.raw("SELECT dose_number, priority_group FROM vaccine_doses WHERE person_id = \(bind: s.person)").all()
                    .map { "\(try $0.decode(column: "dose_number", as: Int.self)) \(try $0.decode(column: "priority_group", as: String.self))" }
            }
            #expect(stored == ["1 chronic_illness"])
        }
    }

    static func count(_ app: TestApp, _ table: String) async throws -> Int {
        try await app.services.database.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }
}
