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
@testable import EpiTracing

extension TestApp {
    func personID(phone: String) async throws -> String {
        try await services.database.read { try await $0.raw("SELECT id FROM persons WHERE phone = \(bind: phone)").first().unwrapped("person \(phone)").decode(column: "id", as: String.self) }
    }

    func level(_ personID: String) async throws -> Int? { try await levels()[personID] }
}

/// The defects of the tracing review (issue 8): F-level lists that silently dropped people.
@Suite("Tracing a CDC officer can trust")
struct TracingTrustTests {
    /// An F1's own contacts (the F2 list) could only be written as raw rows; now the ward records them
    /// by page, API or CSV, and a person without a level is refused.
    @Test(arguments: Dialect.enabled)
    func aWardRecordsAnF1sContactsAsF2(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var headers = try await app.token("entry.mk")
            _ = try await client.json(.post, "/api/v1/cases", headers, #"{"person": {"full_name": "Quách Văn Một", "phone": "0916100001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Quách Thị Hai", "phone": "0916100002"}]}"#)
            let f1 = try await app.personID(phone: "+84916100002")
            headers[HTTPField.Name("Idempotency-Key")!] = "f2-list-1"
            let body = #"{"contacts": [{"full_name": "Lâm Văn Ba", "phone": "0916100003", "day": "2021-09-11"}, {"full_name": "Lâm Thị Bốn", "phone": "0916100004", "day": "2021-09-11"}, {"full_name": "Lâm Văn Năm", "citizen_id": "001090012345", "day": "2021-09-12"}]}"#
            let added = try await client.json(.post, "/api/v1/people/\(f1)/contacts", headers, body)
            #expect(added.status == .created)
            #expect((try added.json()["data"] as? [String: Any])?["added"] as? Int == 3)
            // A retry adds nothing.
            #expect(try await client.json(.post, "/api/v1/people/\(f1)/contacts", headers, body).status == .created)
            let f2s = try await ["+84916100003", "+84916100004"].asyncMap { try await app.personID(phone: $0) }
            for id in f2s { #expect(try await app.level(id) == 2) }
            #expect(try await app.services.database.read { try await ["exposures"].asyncMapCount($0) } == [4])
            // The page shows them, and the contact list offers the same action per F1.
            var entry = try await BrowserSession.login(client, "entry.mk")
            let page = try await entry.get(client, "/people/\(f1)/contacts")
            #expect(page.text.contains("Lâm Văn Ba") && page.text.contains("id=\"person-contacts\""))
            #expect(try await entry.get(client, "/contacts?level=1").text.contains("/people/\(f1)/contacts"))
            // Someone with no level has no contacts to trace.
            let nobody = try await app.person("Tạ Văn Không")
            let refused = try await client.json(.post, "/api/v1/people/\(nobody.id)/contacts", try await app.token("entry.mk"), #"{"contacts": [{"full_name": "X Y", "phone": "0916100009"}]}"#)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.text.contains("no_level"))
        }
    }

    /// A contact list imported as CSV: bad rows reported by line, good ones kept, the same file again adds nothing.
    @Test(arguments: Dialect.enabled)
    func aContactListImportsByLineAndOnlyOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Ông Văn Nguồn", "phone": "0916200001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Ông Thị Một", "phone": "0916200002"}]}"#)
            let f1 = try await app.personID(phone: "+84916200002")
            let csv = """
                ho_ten,so_dien_thoai,so_dinh_danh,ngay_tiep_xuc,hinh_thuc,ghi_chu
                Hà Văn Một,0916200011,,11/09/2021,Nơi làm việc,cùng ca
                Hà Thị Hai,,001191012345,12/09/2021,household,
                Không Có Số,,,12/09/2021,,
                Hà Văn Bốn,0916200014,,31/02/2021,,
                Hà Văn Năm,0916200015,,12/09/2021,nhảy múa,

                """
            func send() async throws -> [String: Any] {
                let r = try await client.execute(uri: "/api/v1/people/\(f1)/contacts/import", method: .post,
                                                 headers: [.authorization: token[.authorization] ?? "", .contentType: "text/csv"], body: ByteBuffer(string: csv))
                #expect(r.status == .ok)
                return (try r.json()["data"] as? [String: Any]) ?? [:]
            }
            let first = try await send()
            #expect(first["added"] as? Int == 2 && first["failed"] as? Int == 3)
            let messages = ((first["errors"] as? [[String: Any]]) ?? []).compactMap { $0["message"] as? String }
            #expect(messages.contains { $0.hasPrefix("Dòng 4") } && messages.contains { $0.hasPrefix("Dòng 5") } && messages.contains { $0.hasPrefix("Dòng 6") })
            let again = try await send()
            #expect(again["added"] as? Int == 0 && again["already_recorded"] as? Int == 2)
            #expect(try await app.level(try await app.personID(phone: "+84916200011")) == 2)
            #expect(try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons WHERE full_name LIKE 'Hà %'").first().unwrapped().decode(column: "n", as: Int.self) } == 2)
        }
    }

    /// When an F1 turns positive, its F2s met before "sampling − 2 days" used to get no level at all.
    @Test(arguments: Dialect.enabled)
    func aPromotedF1sEarlierContactsBecomeF1AndLossesAreListed(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            let a = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Từ Văn Gốc", "phone": "0916300001"}, "confirmed_on": "2021-09-09", "sampled_on": "2021-09-08", "contacts": [{"full_name": "Từ Thị Bé", "phone": "0916300002", "day": "2021-09-07"}]}"#)
            let caseA = try (a.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let b = try await app.personID(phone: "+84916300002")
            #expect(try await client.json(.post, "/api/v1/people/\(b)/contacts", token, #"{"contacts": [{"full_name": "Từ Văn Cháu", "phone": "0916300003", "day": "2021-09-08"}]}"#).status == .created)
            let c = try await app.personID(phone: "+84916300003")
            #expect(try await app.level(c) == 2)
            // B tests positive with a sample on 14/9: infectious from 12/9 by the rule, but an F1 since 7/9.
            #expect(try await client.json(.post, "/api/v1/cases", token, #"{"person_id": "\#(b)", "confirmed_on": "2021-09-15", "sampled_on": "2021-09-14", "detected_in": "quarantine"}"#).status == .created)
            #expect(try await app.level(c) == 1)
            // A turns out a false positive: B was never exposed then, so its window is its own again and C,
            // met before it, is no longer a contact. C does not vanish: the ward sees since when and why.
            _ = try await client.json(.put, "/api/v1/cases/\(caseA)", token, #"{"outcome": "ruled_out", "outcome_on": "2021-09-10"}"#)
            #expect(try await app.level(c) == nil)
            var entry = try await BrowserSession.login(client, "entry.mk")
            let ended = try await entry.get(client, "/contacts?view=ended")
            #expect(ended.text.contains("Từ Văn Cháu"))
            #expect(ended.text.contains("Không còn liên hệ với ca bệnh"))
        }
    }

    /// Only a person's latest quarantine counted: an earlier completed one was forgotten when a new one
    /// started, so old exposures came back.
    @Test(arguments: Dialect.enabled)
    func everyQuarantineEpisodeCounts(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Lý Văn Đầu", "phone": "0916400001"}, "confirmed_on": "2021-08-20", "sampled_on": "2021-08-19", "contacts": [{"full_name": "Lý Thị Cũ", "phone": "0916400002", "day": "2021-08-19"}]}"#)
            let b = try await app.personID(phone: "+84916400002")
            let first = try await client.json(.post, "/api/v1/quarantine", token, #"{"person_id": "\#(b)", "setting": "home", "start_date": "2021-08-20"}"#)
            let firstID = try (first.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            #expect(try await client.json(.post, "/api/v1/quarantine/\(firstID)/release", token, #"{"released_on": "2021-09-02"}"#).status == .ok)
            #expect(try await app.level(b) == nil)
            // A second, unrelated quarantine (back from another province) must not bring the August exposure back.
            #expect(try await client.json(.post, "/api/v1/quarantine", token, #"{"person_id": "\#(b)", "subject": "arrival", "setting": "home", "start_date": "2021-09-15"}"#).status == .created)
            #expect(try await app.level(b) == nil)
            let before = try await app.levels()
            try await app.services.database.transaction { try await ContactLevelService.recomputeAll($0) }
            #expect(try await app.levels() == before)
        }
    }

    /// Settings were read as of today and applied only when something nearby changed.
    @Test(arguments: Dialect.enabled)
    func rulesApplyAsOfTheRecordsDateAndAChangeReachesTheWholeCity(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var city = try await BrowserSession.login(client, "city")
            try await city.get(client, "/rules")
            // From October a case is infectious 7 days before its sample; this September case keeps 2 days.
            #expect(try await city.post(client, "/rules/policies", form: ["key": "infectious_days_before", "value": "7", "effective_from": "01/10/2021"]).status == .seeOther)
            await app.services.jobs.waitUntilIdle()
            let token = try await app.token("entry.mk")
            _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Mạc Văn Nguồn", "phone": "0916500001"}, "confirmed_on": "2021-09-12", "sampled_on": "2021-09-11", "contacts": [{"full_name": "Mạc Thị Xa", "phone": "0916500002", "day": "2021-09-06"}, {"full_name": "Mạc Thị Gần", "phone": "0916500003", "day": "2021-09-10"}]}"#)
            let far = try await app.personID(phone: "+84916500002"), near = try await app.personID(phone: "+84916500003")
            #expect(try await app.level(far) == nil)
            #expect(try await app.level(near) == 1)
            // The city changes the value in force in September: a background job recomputes everyone.
            #expect(try await city.post(client, "/rules/policies", form: ["key": "infectious_days_before", "value": "5", "effective_from": "01/01/2021"]).status == .seeOther)
            await app.services.jobs.waitUntilIdle()
            #expect(try await app.level(far) == 1)
            let rules = try await city.get(client, "/rules")
            #expect(rules.text.contains("id=\"job-list\"") && rules.text.contains("Hoàn thành"))
            // The capacity switch of the risk tables lives in the tables; the unread setting is gone.
            #expect(!PolicyKey.allCases.map(\.rawValue).contains("risk_capacity_fail_raises"))
            #expect(try await city.post(client, "/rules/policies", form: ["key": "risk_capacity_fail_raises", "value": "0"]).status == .unprocessableContent)
        }
    }

    /// A contact never placed in quarantine stayed an active F1 for years.
    @Test(arguments: Dialect.enabled)
    func anUnplacedF1LapsesAndTheWardSeesWhoWaitsLongest(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            // Exposed on 10/8/2021; today (for the tests' data) is 20/9/2021; the F1 rule of August follows 28 days.
            _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Bạch Văn Cũ", "phone": "0916600001"}, "confirmed_on": "2021-08-11", "sampled_on": "2021-08-10", "contacts": [{"full_name": "Bạch Thị Quên", "phone": "0916600002", "day": "2021-08-10"}]}"#)
            _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Bạch Văn Mới", "phone": "0916600003"}, "confirmed_on": "2021-09-14", "sampled_on": "2021-09-13", "contacts": [{"full_name": "Bạch Thị Chờ", "phone": "0916600004", "day": "2021-09-12"}, {"full_name": "Bạch Thị Vừa", "phone": "0916600005", "day": "2021-09-17"}]}"#)
            let forgotten = try await app.personID(phone: "+84916600002")
            #expect(try await app.level(forgotten) == nil)
            var entry = try await BrowserSession.login(client, "entry.mk")
            let ended = try await entry.get(client, "/contacts?view=ended")
            #expect(ended.text.contains("Bạch Thị Quên") && ended.text.contains("Hết thời hạn theo dõi"))
            // Waiting to be placed: the longest waiting first.
            let waiting = try await entry.get(client, "/contacts?level=1&unplaced=1").text
            let first = try #require(waiting.range(of: "Bạch Thị Chờ")), second = try #require(waiting.range(of: "Bạch Thị Vừa"))
            #expect(first.lowerBound < second.lowerBound)
        }
    }

    /// The home-care check judged age and the days since a dose on today's date.
    @Test(arguments: Dialect.enabled)
    func homeCareIsJudgedOnTheCasesDate(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            // Born 15/12/1970: 50 on 10/9/2021 (eligible by age without vaccine), over 50 today.
            let made = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Kha Văn Tuổi", "birth_date": "15/12/1970", "phone": "0916700001"}, "confirmed_on": "2021-09-10", "clinical_status": "mild"}"#)
            let caseID = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let check = try await client.json(.get, "/api/v1/cases/\(caseID)/home-care?breaths=16&spo2=98&doses=0&carer=1", token)
            #expect(check.status == .ok)
            #expect(try check.json()["eligible"] as? Bool == true, "\(check.text)")
            // One dose 10 days before the case: not yet 14 days on the case's date, whatever today is.
            let dose = try await client.json(.get, "/api/v1/cases/\(caseID)/home-care?breaths=16&spo2=98&doses=1&last_dose=31/08/2021&carer=1&condition=1", token)
            #expect(try dose.json()["eligible"] as? Bool == false)
        }
    }

    /// The 30,000/40,000/50,000 scenarios said "beds" and counted hospitals.
    @Test(arguments: Dialect.enabled)
    func capacityScenariosCountQuarantinePlacesOnly(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let city = try await app.token("city")
            let kcl = try await client.json(.post, "/api/v1/facilities", city, #"{"name": "KCL Mễ Trì", "kind": "quarantine", "unit": "01/007", "capacity": 400}"#)
            let hospital = try await client.json(.post, "/api/v1/facilities", city, #"{"name": "BV dã chiến số 1", "kind": "field_hospital", "unit": "01/007", "capacity": 3000}"#)
            let kclID = try (kcl.json()["data"] as? [String: Any])?["id"] as? String ?? "", hospitalID = try (hospital.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            try await app.services.database.transactionless { db in
                try await db.raw("UPDATE facilities SET occupancy = 300 WHERE id = \(bind: kclID)").run()
                try await db.raw("UPDATE facilities SET occupancy = 2700 WHERE id = \(bind: hospitalID)").run()
            }
            var page = try await BrowserSession.login(client, "city")
            let text = try await page.get(client, "/facilities").text
            #expect(text.contains("Kịch bản 30.000 chỗ cách ly tập trung") && !text.contains("giường</td>"))
            #expect(text.contains("id=\"city-occupancy\">300<"))
            #expect(text.contains("id=\"hospital-beds\""))
            #expect(text.contains("2.700 / 3.000"))
            let api = try await client.json(.get, "/api/v1/facilities", city)
            #expect(((try api.json()["quarantine_places"] as? [String: Any])?["occupancy"] as? Int) == 300)
        }
    }

    /// A recovered F0's isolation stayed open; a care change did not move it; a day-7 result on day 1 went in silently.
    @Test(arguments: Dialect.enabled)
    func isolationFollowsTheCaseAndEarlyResultsAskForConfirmation(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk"), district = try await app.token("hbt")
            let f = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Đại học", "unit": "01/007", "capacity": 50}"#)
            let facility = try (f.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let made = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Phí Văn Khỏi", "phone": "0916800001"}, "confirmed_on": "2021-09-10", "care_setting": "home"}"#)
            let caseID = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let personID = try (made.json()["data"] as? [String: Any])?["person_id"] as? String ?? ""
            func episodes() async throws -> [EpisodeRecord] { try await app.services.database.read { try await QuarantineService.episodes($0, personID: personID) } }
            // Moved to a facility: the home isolation ends, isolation continues there from its start.
            #expect(try await client.json(.put, "/api/v1/cases/\(caseID)", token, #"{"care_setting": "facility", "facility_id": "\#(facility)"}"#).status == .ok)
            var now = try await episodes()
            #expect(now.filter(\.isActive).count == 1)
            #expect(now.first { $0.isActive }?.facilityId == facility && now.first { $0.isActive }?.startDate == "2021-09-10")
            #expect(try await app.services.database.read { try await QuarantineService.facility($0, id: facility) }?.occupancy == 1)
            // Recovered: the isolation ends in the same write, and the facility place is free.
            #expect(try await client.json(.put, "/api/v1/cases/\(caseID)", token, #"{"outcome": "recovered", "outcome_on": "2021-09-20"}"#).status == .ok)
            now = try await episodes()
            #expect(now.allSatisfy { !$0.isActive })
            #expect(try await app.services.database.read { try await QuarantineService.facility($0, id: facility) }?.occupancy == 0)
            var entry = try await BrowserSession.login(client, "entry.mk")
            #expect(!(try await entry.get(client, "/quarantine").text.contains("Phí Văn Khỏi")))

            // A day-7 test recorded on day 1 asks first.
            let contact = try await app.person("Phí Thị Sớm")
            let q = try await client.json(.post, "/api/v1/quarantine", token, #"{"person_id": "\#(contact.id)", "setting": "home", "start_date": "2021-09-10"}"#)
            let qid = try (q.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let early = try await client.json(.post, "/api/v1/quarantine/\(qid)/tests", token, #"{"day": 7, "result": "negative", "taken_on": "2021-09-10"}"#)
            #expect(early.status == .unprocessableContent && early.text.contains("early_test"))
            #expect(try await client.json(.post, "/api/v1/quarantine/\(qid)/tests", token, #"{"day": 7, "result": "negative", "taken_on": "2021-09-10", "confirm_early": true}"#).status == .ok)
            try await entry.get(client, "/quarantine/\(qid)")
            let asked = try await entry.post(client, "/quarantine/\(qid)/tests", form: ["day": "14", "result": "negative", "taken_on": "11/09/2021"])
            #expect(asked.headers[.location]?.contains("early=14") == true)
            #expect(try await entry.get(client, try asked.headers[.location].unwrapped()).text.contains("id=\"early-test\""))
        }
    }

    /// The 2022 rule for others applies in facilities too, and every assumed start date says so.
    @Test(arguments: Dialect.enabled)
    func theQuarantineTableHasThe2022FacilityRuleAndMarksAssumedDates(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let rules = try await app.services.database.read { try await QuarantineService.rules($0) }
            let facility2022 = QuarantinePolicy.rule(for: .f1, setting: .facility, on: CivilDate(dayNumber: CivilDate.september1st2021 + 200), rules: rules)
            #expect(facility2022?.days == 7 && facility2022?.monitoringDays == 3)
            for id in ["seed-2021-08-01-arrival-home", "seed-2021-12-01-f1v-home", "seed-2021-05-05-f0-facility", "seed-2021-05-05-f0-hospital"] {
                #expect(rules.first { $0.id == id }?.source.contains("[start date unsure") == true, "\(id)")
            }
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
