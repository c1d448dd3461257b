import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing

/// What ward officers saw when they tried the app in the field, on a phone and in both languages.
@Suite("Fit for the field: registered contacts, households, words and numbers")
struct FieldFitTests {
    // MARK: registered contacts and households

    /// The acceptance case: an F0 with three contacts, one of them already in the registry, recorded on
    /// the phone form without a duplicate, and a second send of the same form changing nothing.
    @Test(arguments: Dialect.enabled)
    func aWardOfficerRecordsAnF0WithThreeContactsOneAlreadyRegisteredWithoutADuplicate(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let mai = try await app.resident("Lê Thị Mai", birth: "1987-11-20", phone: "+84987654321", address: "Số 12, ngõ 2 Hòa Bình")
            var ward = try await BrowserSession.login(client, "minhkhai")
            let blank = try await ward.get(client, "/cases/new")
            let key = try blank.hidden("_key")
            var form = intakeForm(name: "Vũ Văn Phong", phone: "0916300000", contacts: [("Đinh Văn Mới", "0977000001"), ("Mai Lê", "0987 654 321"), ("Phan Văn Hòa", "0977000003")], key: key)
            let before = try await app.count("persons")

            // The typed phone is Mai's: the form comes back asking, and nothing is saved yet.
            let asked = try await ward.post(client, "/cases", form: form)
            #expect(asked.status == .ok)
            #expect(asked.text.contains("id=\"contact-choices\""))
            #expect(asked.text.contains("Đã có trong danh sách"))
            #expect(asked.text.contains("Lê Thị Mai, 1987, Số 12, ngõ 2 Hòa Bình"))
            #expect(asked.text.contains("name=\"c1_person\" value=\"\(mai.id)\" checked"))
            #expect(!asked.text.contains("name=\"c0_person\"") && !asked.text.contains("name=\"c2_person\""))
            #expect(try asked.hidden("_key") == key, "the form keeps its one-time key")
            let (casesAfterQuestion, personsAfterQuestion) = (try await app.count("cases"), try await app.count("persons"))
            #expect(casesAfterQuestion == 0 && personsAfterQuestion == before)

            // The officer keeps the registered person and saves.
            form["c1_person"] = mai.id
            form["c1_asked"] = try asked.hidden("c1_asked")
            let saved = try await ward.post(client, "/cases", form: form)
            #expect(saved.status == .seeOther)
            let location = try saved.headers[.location].unwrapped("case")
            let caseID = String(location.split(separator: "/")[1].split(separator: "?")[0])
            let contacts = try await app.services.database.read { try await CaseQueries.exposures($0, caseID: caseID) }.map(\.contactId)
            #expect(contacts.count == 3)
            #expect(contacts.contains(mai.id))
            #expect(try await app.count("persons") == before + 3, "the F0 and two new contacts, Mai reused")
            #expect(try await app.count("persons", where: "phone = '+84987654321'") == 1)
            #expect(try await app.levels()[mai.id] == 1)

            // The same form sent again (a retry, a double tap): the same case, nothing new.
            let again = try await ward.post(client, "/cases", form: form)
            #expect(again.headers[.location] == saved.headers[.location])
            let counts = [try await app.count("cases"), try await app.count("persons"), try await app.count("exposures")]
            #expect(counts == [1, before + 3, 3])
            let page = try await ward.get(client, "/cases/\(caseID)")
            #expect(page.text.contains("href=\"/people/\(mai.id)\">Lê Thị Mai<"))
        }
    }

    /// Same name in the ward, no phone: offered too; "create a new person" creates one, and a choice
    /// made for other words (the row was retyped) is asked again rather than applied.
    @Test(arguments: Dialect.enabled)
    func aNameInTheWardIsOfferedAndCreatingANewPersonIsTheOfficersChoice(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let khoi = try await app.resident("Nguyễn Minh Khôi", birth: "2012-06-01")
            _ = try await app.resident("Nguyễn Minh Khôi", ward: "01/007/00286", birth: "1990-01-01")  // Bạch Mai: not the officer's
            var entry = try await BrowserSession.login(client, "entry.mk")
            var form = intakeForm(contacts: [("Nguyen Minh Khoi", "")], key: "name-offer-1")
            form["c0_phone"] = nil
            let asked = try await entry.post(client, "/cases", form: form)
            #expect(asked.text.contains("Nguyễn Minh Khôi, 2012"))
            #expect(!asked.text.contains("1990"), "people outside the ward's jurisdiction are never offered")
            #expect(asked.text.contains("name=\"c0_person\" value=\"\(khoi.id)\" checked"))

            // A choice for other words is stale: the row now has a phone, so it is asked again.
            var stale = form
            stale["c0_person"] = "new"
            stale["c0_asked"] = try asked.hidden("c0_asked")
            stale["c0_phone"] = "0977000111"
            let askedAgain = try await entry.post(client, "/cases", form: stale)
            #expect(askedAgain.status == .ok && askedAgain.text.contains("id=\"contact-choices\""))
            #expect(try await app.count("cases") == 0)

            form["c0_person"] = "new"
            form["c0_asked"] = try asked.hidden("c0_asked")
            let saved = try await entry.post(client, "/cases", form: form)
            #expect(saved.status == .seeOther)
            #expect(try await app.count("persons", where: "name_folded = 'nguyen minh khoi'") == 3)
            let exposures = try await app.services.database.read { try await $0.raw("SELECT contact_id FROM exposures").all().map { try $0.decode(column: "contact_id", as: String.self) } }
            #expect(exposures.count == 1 && !exposures.contains(khoi.id))
        }
    }

    /// An F0's household (same household code in the registry) is offered as contacts: ticked on the
    /// F0 form, and on the case page for whoever is not recorded yet, added in one click, once.
    @Test(arguments: Dialect.enabled)
    func householdMembersAreOfferedOnTheF0FormAndAddedFromTheCasePageInOneClick(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let nam = try await app.resident("Nguyễn Văn Nam", birth: "1985-03-07", household: "HK001")
            let wife = try await app.resident("Lê Thị Mai", birth: "1987-11-20", household: "HK001")
            let son = try await app.resident("Nguyễn Minh Khôi", birth: "2012-06-01", household: "HK001")
            let stranger = try await app.resident("Hồ Văn Lạ", ward: "01/007/00286", birth: "1970-01-01", household: "HK001")
            var ward = try await BrowserSession.login(client, "minhkhai")
            let page = try await ward.get(client, "/cases/new?person=\(nam.id)")
            #expect(page.text.contains("id=\"household\""))
            #expect(page.text.contains("name=\"hh_\(wife.id)\" value=\"1\" checked") && page.text.contains("name=\"hh_\(son.id)\" value=\"1\" checked"))
            #expect(!page.text.contains(stranger.id), "the same code in another ward is another household")

            // The officer unticks the son (away that week) and saves.
            let saved = try await ward.post(client, "/cases", form: ["person_id": nam.id, "confirmed_on": "10/09/2021", "care_setting": "home", "_key": try page.hidden("_key"),
                                                                     "hh_\(wife.id)": "1"])
            #expect(saved.status == .seeOther)
            let caseID = String(try saved.headers[.location].unwrapped("case").split(separator: "/")[1].split(separator: "?")[0])
            var exposures = try await app.services.database.read { try await CaseQueries.exposures($0, caseID: caseID) }
            #expect(exposures.map(\.contactId) == [wife.id] && exposures.first?.setting == "household")

            // The case page offers the son, ticked; one click adds him.
            let show = try await ward.get(client, "/cases/\(caseID)")
            #expect(show.text.contains("id=\"household-offer\""))
            #expect(show.text.contains("name=\"hh_\(son.id)\" value=\"1\" checked") && !show.text.contains("name=\"hh_\(wife.id)\""))
            let offerKey = try show.hidden("_key", in: "household-offer")
            let added = try await ward.post(client, "/cases/\(caseID)/contacts", form: ["hh_\(son.id)": "1", "_key": offerKey])
            #expect(added.status == .seeOther)
            _ = try await ward.post(client, "/cases/\(caseID)/contacts", form: ["hh_\(son.id)": "1", "_key": offerKey])
            exposures = try await app.services.database.read { try await CaseQueries.exposures($0, caseID: caseID) }
            #expect(Set(exposures.map(\.contactId)) == [wife.id, son.id] && exposures.count == 2)
            #expect(!(try await ward.get(client, "/cases/\(caseID)").text.contains("id=\"household-offer\"")))
            #expect(try await app.levels()[son.id] == 1)

            // A ticked id the ward may not open is refused like any other contact.
            let refused = try await ward.post(client, "/cases/\(caseID)/contacts", form: ["hh_\(stranger.id)": "1"])
            #expect(refused.status == .seeOther && (refused.headers[.location] ?? "").contains("error="))
            #expect(try await app.count("exposures") == 2)
        }
    }

    // MARK: form errors

    /// Errors name the row as the screen numbers it ("Người tiếp xúc 2"), never a field key, and a
    /// mistake in the F0's own fields no longer shows as a missing ward on every contact.
    @Test(arguments: Dialect.enabled)
    func formErrorsNameTheRowAsShownAndStayWithTheFieldThatIsWrong(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            var form = intakeForm(phone: "12345", contacts: [("Trần Thị Lan", "0912000001"), ("Lê Văn Tùng", "0912000002")])
            form["p_unit"] = "01/007/00295"
            let f0Wrong = try await entry.post(client, "/cases", form: form)
            #expect(f0Wrong.status == .unprocessableContent)
            let text = f0Wrong.visibleText
            #expect(text.contains("Người bệnh (F0) · Số điện thoại"))
            #expect(!text.contains("Người tiếp xúc 2 ·") && !text.contains("Người tiếp xúc 1 ·"), "no spurious error on the contacts: \(text)")
            #expect(!f0Wrong.text.contains("contacts_") && !f0Wrong.text.contains("person_phone"))

            form = intakeForm(contacts: [("Trần Thị Lan", "0912000001"), ("Lê Văn Tùng", "12345")])
            let rowWrong = try await entry.post(client, "/cases", form: form)
            #expect(rowWrong.status == .unprocessableContent)
            #expect(rowWrong.visibleText.contains("Người tiếp xúc 2 · Số điện thoại"))
            #expect(rowWrong.text.contains("id=\"contact-2\"") && rowWrong.text.range(of: #"id="contact-2"[^€]*?field-error"#, options: .regularExpression) != nil)
            entry.cookies["lang"] = "en"
            let english = try await entry.post(client, "/cases", form: form)
            #expect(english.visibleText.contains("Contact 2 · Phone"))
            #expect(try await app.count("cases") == 0)
        }
    }

    // MARK: words

    /// Statuses, settings and history read as words of the reader's language; dates as dd/mm/yyyy.
    @Test(arguments: Dialect.enabled)
    func statusesSettingsAndHistoryAreWordsInTheReadersLanguage(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let district = try await app.token("hbt"), ward = try await app.token("minhkhai")
            let facility = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Bách khoa", "unit": "01/007", "capacity": 100}"#)
            let facilityID = try (facility.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            var page = try await BrowserSession.login(client, "minhkhai")
            let saved = try await page.post(client, "/cases", form: intakeForm(contacts: [("Trần Thị Lan", "0912000001")]))
            let caseID = String(try saved.headers[.location].unwrapped("case").split(separator: "/")[1].split(separator: "?")[0])
            let show = try await page.get(client, "/cases/\(caseID)")
            _ = try await page.post(client, "/cases/\(caseID)", form: ["care_setting": "facility", "facility_id": facilityID, "version": try show.hidden("version")])
            let lan = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone = '+84912000001'").first.unwrapped("Lan") }
            let episode = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(lan.id)", "setting": "home", "start_date": "2021-09-10"}"#)
            let episodeID = try (episode.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            _ = try await client.json(.post, "/api/v1/transfers", ward, #"{"person_id": "\#(lan.id)", "facility_id": "\#(facilityID)"}"#)

            let caseVI = try await page.get(client, "/cases/\(caseID)").visibleText
            #expect(caseVI.contains("Nơi điều trị: Tại nhà → Cách ly tập trung"))
            #expect(caseVI.contains("Ngày khẳng định: — → 10/09/2021"))
            #expect(caseVI.contains("Người: — → Nguyễn Văn Bình"))
            #expect(caseVI.contains("Đang thực hiện"))
            let episodeVI = try await page.get(client, "/quarantine/\(episodeID)").visibleText
            #expect(episodeVI.contains("Chờ kết quả") && episodeVI.contains("Đang thực hiện"))
            let transfersVI = try await page.get(client, "/transfers").visibleText
            #expect(transfersVI.contains("Chờ điều xe") && transfersVI.contains("Đến cơ sở cách ly"))
            for (path, text) in [("/cases/\(caseID)", caseVI), ("/quarantine/\(episodeID)", episodeVI), ("/transfers", transfersVI)] {
                #expect(text.rawCodes.isEmpty, "\(path) shows \(text.rawCodes)")
            }

            page.cookies["lang"] = "en"
            let caseEN = try await page.get(client, "/cases/\(caseID)").visibleText
            #expect(caseEN.contains("Cared for: At home → Centralized facility") && caseEN.contains("Confirmed on: — → 10/09/2021"))
            #expect(!caseEN.contains("Ghi nhận F0"), "stored Vietnamese summaries are not shown to English readers")
            let episodeEN = try await page.get(client, "/quarantine/\(episodeID)").visibleText
            #expect(episodeEN.contains("Awaiting result") && episodeEN.contains("In progress") && !episodeEN.contains("pending"))
            #expect(try await page.get(client, "/transfers").visibleText.contains("Awaiting a vehicle"))
        }
    }

    /// English pages carry no Vietnamese: the capacity scenarios come from their place counts, numbers
    /// are grouped the English way; Vietnamese pages write decimals with a comma and one week label.
    @Test(arguments: Dialect.enabled)
    func numbersWeeksAndScenariosAreWrittenTheReadersWay(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let city = try await app.token("city")
            _ = try await client.json(.post, "/api/v1/facilities", city, #"{"name": "KCL Mễ Trì", "kind": "quarantine", "unit": "01/007", "capacity": 4000}"#)
            // Two community cases in a ward of 14,000 in week 36: 14.3 per 100,000.
            try await app.services.database.transactionless { try await $0.raw("UPDATE units SET population = 14000 WHERE path = '01/007/00295'").run() }
            try await app.services.directory.reload()
            let token = try await app.token("entry.mk")
            for (i, day) in ["2021-09-07", "2021-09-08"].enumerated() {
                _ = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Ca Cộng Đồng \#(i)", "phone": "091650000\#(i)"}, "confirmed_on": "\#(day)"}"#)
            }
            _ = try await client.json(.post, "/api/v1/risk/compute", city, #"{"week": "2021-W36", "unit": "01"}"#)

            var page = try await BrowserSession.login(client, "city")
            page.cookies["lang"] = "en"
            let facilities = try await page.get(client, "/facilities").visibleText
            #expect(facilities.contains("Scenario: 30,000 centralized quarantine places"))
            #expect(facilities.contains("4,000") && !facilities.contains("4.000") && !facilities.contains("Kịch bản"))
            let riskEN = try await page.get(client, "/risk?week=2021-W36&unit=01.007").visibleText
            #expect(riskEN.contains("Week 36/2021") && !riskEN.contains("2021-W36"))
            // The rules page: seeded citations and settings' sources in the reader's language, codes as words.
            let rulesEN = try await page.get(client, "/rules").visibleText
            #expect(rulesEN.contains("Ministry of Health 14/7/2021: 14 days in a facility") && !rulesEN.contains("Bộ Y tế"))
            #expect(rulesEN.contains("From the share of units below at each level") && !rulesEN.contains("share_of_units"))
            #expect(rulesEN.contains("Decision 4800/QĐ-BYT") && !rulesEN.contains("cấp 1–4"))
            page.cookies["lang"] = "vi"
            let rulesVI = try await page.get(client, "/rules").visibleText
            #expect(rulesVI.contains("Thực tế Hà Nội 2021") && !rulesVI.contains("Hanoi practice") && !rulesVI.contains("until negative"))

            var ward = try await BrowserSession.login(client, "minhkhai")
            let riskVI = try await ward.get(client, "/risk?week=2021-W36")
            #expect(riskVI.visibleText.contains("Tuần 36/2021") && riskVI.visibleText.contains("Tuần 37/2021 →"))
            #expect(!riskVI.visibleText.contains("2021-W3"), "ISO week keys stay in addresses only")
            #expect(riskVI.visibleText.contains("14,3"))
            #expect(riskVI.text.contains("week=2021-W35"), "links keep the ISO key")
            let history = try await ward.get(client, "/risk/history/01.007.00295").visibleText
            #expect(history.contains("Tuần 36/2021") && history.contains("14,3") && history.contains("14,3 ca cộng đồng/100.000 dân/tuần"))
            ward.cookies["lang"] = "en"
            #expect(try await ward.get(client, "/risk/history/01.007.00295").visibleText.contains("14.3 community cases/100,000/week"))
        }
    }

    // MARK: templates

    /// A row shows its own values only: a home quarantine next to a facility one does not pick up the
    /// page's figures ("Tại nhà 5"), and a zone drawn from addresses only does not print the page's
    /// group list as a raw dictionary in its history.
    @Test(arguments: Dialect.enabled)
    func aRowNeverShowsAValueOfThePage(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let district = try await app.token("hbt"), ward = try await app.token("minhkhai")
            let facility = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Bách khoa", "unit": "01/007", "capacity": 100}"#)
            let facilityID = try (facility.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let home = try await app.person("Đào Văn Nhà"), away = try await app.person("Đào Thị Tập", birth: "1990-01-01")
            _ = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(home.id)", "setting": "home"}"#)
            _ = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(away.id)", "setting": "facility", "facility_id": "\#(facilityID)"}"#)
            for username in ["minhkhai", "hbt"] {
                var page = try await BrowserSession.login(client, username)
                let list = try await page.get(client, "/quarantine").text
                let cells = list.matches(of: #"<td data-label="[^"]*" class="where">([^<]*)</td>"#)
                #expect(cells.sorted() == ["Cách ly tập trung · KCL Bách khoa", "Tại nhà"], "\(username): \(cells)")
            }

            let zone = try await client.json(.post, "/api/v1/zones", ward, #"{"unit": "01/007/00295", "name": "Ngõ 2 Hòa Bình", "addresses": "ngõ 2 Hòa Bình"}"#)
            let zoneID = try (zone.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            var page = try await BrowserSession.login(client, "minhkhai")
            let shown = try await page.get(client, "/zones/\(zoneID)")
            #expect(shown.status == .ok)
            #expect(!shown.text.contains("[[") && !shown.text.contains("[\"") && !shown.text.contains("&quot;code&quot;"))
            let row = shown.text.matches(of: #"<tr class="zone-version">(.*?)</tr>"#).first ?? ""
            #expect(row.contains("ngõ 2 Hòa Bình") && row.contains("Phong tỏa") && !row.contains("TDP01"), "\(row)")
        }
    }

    /// Every code tracing stores where a page can show it has a label in both languages.
    @Test(arguments: Dialect.enabled)
    func everyStoredCodeAPageShowsHasALabel(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let district = try await app.token("hbt"), ward = try await app.token("minhkhai")
            let facility = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Bách khoa", "unit": "01/007", "capacity": 100}"#)
            let facilityID = try (facility.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            var page = try await BrowserSession.login(client, "minhkhai")
            let saved = try await page.post(client, "/cases", form: intakeForm(contacts: [("Trần Thị Lan", "0912000001"), ("Lê Văn Tùng", "0912000002")]))
            let caseID = String(try saved.headers[.location].unwrapped("case").split(separator: "/")[1].split(separator: "?")[0])
            let show = try await page.get(client, "/cases/\(caseID)")
            _ = try await page.post(client, "/cases/\(caseID)", form: ["outcome": "recovered", "outcome_on": "19/09/2021", "version": try show.hidden("version")])
            _ = try await page.post(client, "/cases/\(caseID)/tracing/close", form: ["note": "xong"])
            let people = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone IN ('+84912000001', '+84912000002')") }
            for (i, p) in people.enumerated() {
                let e = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(p.id)", "setting": "home", "start_date": "2021-09-10"}"#)
                let id = try (e.json()["data"] as? [String: Any])?["id"] as? String ?? ""
                _ = try await client.json(.post, "/api/v1/quarantine/\(id)/tests", ward, #"{"day": 1, "result": "negative", "taken_on": "2021-09-10"}"#)
                _ = try await client.json(.post, "/api/v1/quarantine/\(id)/extend", ward, #"{"days": 2, "reason": "chờ kết quả"}"#)
                _ = try await client.json(.post, "/api/v1/quarantine/\(id)/release", ward, #"{"outcome": "\#(i == 0 ? "released" : "cancelled")"}"#)
                _ = try await client.json(.post, "/api/v1/transfers", ward, #"{"person_id": "\#(p.id)", "facility_id": "\#(facilityID)", "vehicle": "29A-12345"}"#)
            }
            let zone = try await client.json(.post, "/api/v1/zones", ward, #"{"unit": "01/007/00295", "name": "Tổ 1", "groups": ["TDP01", "TDP02"]}"#)
            let zoneID = try (zone.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            _ = try await client.json(.post, "/api/v1/zones/\(zoneID)/redraw", ward, #"{"groups": ["TDP01"]}"#)
            _ = try await client.json(.post, "/api/v1/zones/\(zoneID)/lift", ward, "{}")

            let stored: [(String, String)] = [
                ("episode_status", "SELECT DISTINCT status AS v FROM episodes"), ("episode_kind", "SELECT DISTINCT kind AS v FROM episodes"),
                ("care_setting", "SELECT DISTINCT setting AS v FROM episodes"), ("q_subject", "SELECT DISTINCT subject AS v FROM episodes"),
                ("test_result", "SELECT DISTINCT result AS v FROM episode_tests"), ("transfer_status", "SELECT DISTINCT status AS v FROM transfers"),
                ("transfer_kind", "SELECT DISTINCT kind AS v FROM transfers"), ("zone_status", "SELECT DISTINCT status AS v FROM zones"),
                ("zone_change", "SELECT DISTINCT change AS v FROM zone_versions"), ("tracing_task_status", "SELECT DISTINCT status AS v FROM tracing_tasks"),
                ("case_outcome", "SELECT DISTINCT outcome AS v FROM cases"), ("exposure_setting", "SELECT DISTINCT setting AS v FROM exposures"),
                ("closeness", "SELECT DISTINCT closeness AS v FROM exposures"), ("facility_kind", "SELECT DISTINCT kind AS v FROM facilities"),
                ("tracing_action", "SELECT DISTINCT action AS v FROM audit_log WHERE entity_type IN ('case', 'episode', 'exposure', 'tracing_task', 'transfer', 'zone')"),
            ]
            var missing: [String] = []
            var seen = 0
            for (prefix, sql) in stored {
                let values = try await app.services.database.read { try await $0.raw("\(unsafeRaw: sql)").all().map { try $0.decode(column: "v", as: String.self) } }
                seen += values.count
                missing += values.filter { !Strings.hasLabel(prefix, $0) }.map { "\(prefix).\($0)" }
            }
            let fields = try await app.services.database.read { db in
                try await db.raw("SELECT changes FROM audit_log WHERE entity_type IN ('case', 'episode') AND changes IS NOT NULL").all()
                    .map { try $0.decode(column: "changes", as: String.self) }
            }.flatMap { (try? JSONDecoder().decode([FieldChange].self, from: Data($0.utf8))) ?? [] }.map(\.field)
            missing += Set(fields).filter { !$0.hasPrefix("test_day_") && !Strings.hasLabel("tracing_field", $0) }.map { "tracing_field.\($0)" }
            #expect(seen > 20 && !fields.isEmpty)
            #expect(missing.isEmpty, "no label for \(missing.sorted())")
        }
    }

    /// On a phone every contact is its own block, headed with its number in words, and the tracing
    /// tables stack their cells under their column names.
    @Test(arguments: Dialect.enabled)
    func onAPhoneEachContactIsABlockHeadedByItsNumber(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            let form = try await entry.get(client, "/cases/new").text
            for n in 1...5 { #expect(form.contains("id=\"contact-\(n)\" role=\"group\" aria-labelledby=\"contact-\(n)-n\"")) }
            #expect(form.contains("<span class=\"n-word\">Người tiếp xúc </span>1</span>"))
            let css = try await entry.get(client, "/static/app.css").text
            let tracing = css.components(separatedBy: "/* cases, quarantine, zones, risk */").last?.components(separatedBy: "/* Reports, dashboard").first ?? ""
            let phone = tracing.components(separatedBy: "@media (max-width:600px)").last ?? ""
            #expect(phone.contains(".contact-row{display:block"), "contact rows stack on a phone")
            #expect(phone.contains("table.stack td{display:block"), "tables stack on a phone")
            #expect(!tracing.contains("grid-template-columns:1.2rem"), "no field is placed in the number's narrow column")
        }
    }
}

extension TestApp {
    /// A registered resident of a ward, with the details the form's offers show.
    @discardableResult
    func resident(_ name: String, ward: String = "01/007/00295", birth: String, phone: String? = nil, address: String = "Số 1", household: String? = nil) async throws -> PersonRecord {
        let now = Timestamp.now()
        let record = PersonRecord(id: UUID().uuidString.lowercased(), fullName: name, nameFolded: VietnameseText.fold(name), givenFolded: VietnameseText.givenNameKey(name),
                                  sex: nil, birthDate: birth, citizenId: nil, oldId: nil, phone: phone, address: address, unitPath: ward, groupCode: nil,
                                  householdCode: household, residenceStatus: ResidenceStatus.permanent.rawValue, residentUntil: nil, mergedInto: nil,
                                  createdAt: now, updatedAt: now, version: 1)
        try await services.database.transaction { try await PersonQueries.insert($0, [record]) }
        return record
    }

    func count(_ table: String, where condition: String = "1 = 1") async throws -> Int {
        try await services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table) WHERE \(unsafeRaw: condition)").first()?.decode(column: "n", as: Int.self) ?? -1 }
    }
}

extension TestResponse {
    /// The value of a hidden field of the page (in the form with `form` as id, if given).
    func hidden(_ name: String, in form: String? = nil) throws -> String {
        var html = text
        if let form, let start = html.range(of: "id=\"\(form)\"") { html = String(html[start.upperBound...]) }
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { throw MissingValue(description: "no hidden field \(name)") }
        return String(html[range.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'")
    }

    /// What a reader sees: the text of `<main>` without tags (option labels included), entities decoded.
    /// A textarea's content is data being edited (the rule set's JSON), not a label, so it is left out.
    var visibleText: String {
        let main = text.components(separatedBy: "<main>").last?.components(separatedBy: "</main>").first ?? text
        var out = main.replacingOccurrences(of: #"(?s)<textarea[^>]*>.*?</textarea>"#, with: " ", options: .regularExpression)
        out = out.replacingOccurrences(of: #"<[^>]*>"#, with: " ", options: .regularExpression)
        for (entity, char) in [("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&#x27;", "'")] {
            out = out.replacingOccurrences(of: entity, with: char)
        }
        return out.replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
    }
}

extension String {
    /// Stored codes that must never reach a page: snake_case keys, English status values, ISO weeks.
    var rawCodes: [String] {
        let words = ["active", "pending", "negative", "positive", "requested", "dispatched", "arrived", "cancelled", "completed", "released",
                     "home", "facility", "hospital", "household", "quarantine", "isolation", "open", "done"]
        var found = words.filter { range(of: "\\b\($0)\\b", options: .regularExpression) != nil }
        found += matches(of: #"(?<![\w./:=-])[a-z]+(?:_[a-z0-9]+)+(?![\w])"#)
        found += matches(of: #"\b\d{4}-W\d{2}\b"#)
        return found
    }

    /// The first capture group of each match of a regular expression, or the whole match.
    func matches(of pattern: String) -> [String] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]) else { return [] }
        return regex.matches(in: self, range: NSRange(startIndex..., in: self)).compactMap { m in
            let r = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
            return Range(r, in: self).map { String(self[$0]) }
        }
    }
}
