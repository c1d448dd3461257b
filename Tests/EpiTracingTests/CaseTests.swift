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
@testable import EpiTracing

extension TestApp {
    func gauges(_ username: String) async throws -> [Metric: Int] {
        let scope = try await scope(for: username)
        return try await services.database.read { try await Counters.gauges($0, scope: scope) }
    }

    func levels() async throws -> [String: Int] {
        let rows = try await services.database.read { try await $0.raw("SELECT person_id, level FROM contact_levels").all() }
        var out: [String: Int] = [:]
        for r in rows { out[try r.decode(column: "person_id", as: String.self)] = try r.decode(column: "level", as: Int.self) }
        return out
    }
}

@Suite("F0 cases, contacts, tracing and derived levels")
struct CaseTests {
    static let five = [("Trần Thị Lan", "0912000001"), ("Nguyễn Văn Hải", "0912000002"), ("Nguyễn Thị Mai", "0912000003"),
                       ("Lê Văn Tùng", "0912000004"), ("Phạm Thị Hồng", "0912000005")]

    @Test(arguments: Dialect.enabled)
    func aWardOfficerRecordsAnF0AndFiveContactsInOneForm(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            let formPage = try await entry.get(client, "/cases/new")
            #expect(formPage.status == .ok)
            #expect(formPage.text.contains("c4_name"))
            let form = intakeForm(contacts: Self.five, key: "intake-1")
            let saved = try await entry.post(client, "/cases", form: form)
            #expect(saved.status == .seeOther)
            let location = try saved.headers[.location].unwrapped("redirect")
            #expect(location.hasPrefix("/cases/"))
            let page = try await entry.get(client, location)
            #expect(page.text.contains("HN-000001"))
            #expect(page.text.contains("Trần Thị Lan"))
            #expect(page.text.components(separatedBy: "class=\"contact\"").count - 1 == 5)

            // The live figures moved with the write.
            let g = try await app.gauges("minhkhai")
            #expect(g[.casesActive] == 1 && g[.f1Active] == 5 && g[.tracingOpen] == 1 && g[.isolationHome] == 1)
            #expect(try await app.levels().values.sorted() == [1, 1, 1, 1, 1])

            // A double click sends the same form again: nothing new.
            let again = try await entry.post(client, "/cases", form: form)
            #expect(again.headers[.location] == location)
            let count = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM cases").first()!.decode(column: "n", as: Int.self) }
            #expect(count == 1)
            #expect(try await app.gauges("minhkhai")[.casesActive] == 1)

            // The F1 list shows them, waiting for quarantine.
            let f1 = try await entry.get(client, "/contacts?level=1&unplaced=1")
            for (name, _) in Self.five { #expect(f1.text.contains(name)) }

            // Every write left an audit row.
            let audit = try await app.services.database.read { try await $0.raw("SELECT action, entity_type FROM audit_log WHERE username = 'entry.mk'").all() }
            let kinds = try audit.map { "\(try $0.decode(column: "entity_type", as: String.self)):\(try $0.decode(column: "action", as: String.self))" }
            #expect(kinds.filter { $0 == "case:create" }.count == 1)
            #expect(kinds.filter { $0 == "exposure:create" }.count == 5)
            #expect(kinds.filter { $0 == "person:create" }.count == 6)
        }
    }

    @Test(arguments: Dialect.enabled)
    func badRowsAreReportedAndNothingIsSaved(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            var form = intakeForm(contacts: [("Trần Thị Lan", "0912000001"), ("Lê Văn Tùng", "12345")])
            form["confirmed_on"] = "31/02/2021"
            let response = try await entry.post(client, "/cases", form: form)
            #expect(response.status == .unprocessableContent)
            // Each problem is named as the screen shows it: the second contact row, the confirmation date.
            #expect(response.text.contains("Người tiếp xúc 2 · Số điện thoại"))
            #expect(response.text.contains("Ngày khẳng định</strong>"))
            #expect(!response.text.contains("contacts_1_phone") && !response.text.contains("confirmed_on</"))
            // The officer's typing is kept in the form.
            #expect(response.text.contains("value=\"Trần Thị Lan\""))
            let counts = try await app.services.database.read { db in
                (try await db.raw("SELECT COUNT(*) AS n FROM cases").first()!.decode(column: "n", as: Int.self),
                 try await db.raw("SELECT COUNT(*) AS n FROM persons").first()!.decode(column: "n", as: Int.self))
            }
            #expect(counts == (0, 0))
        }
    }

    @Test(arguments: Dialect.enabled)
    func whenAnF1TurnsPositiveItsContactsMoveUpAndRulingOutUndoesIt(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let headers = try await app.token("entry.mk")
            let first = try await client.json(.post, "/api/v1/cases", headers, """
                {"person": {"full_name": "Đỗ Văn An", "phone": "0913000001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Đỗ Thị Bích", "phone": "0913000002"}]}
                """)
            #expect(first.status == .created)
            let caseA = try (first.json()["data"] as? [String: Any])?["id"] as? String
            let bich = try await app.services.database.read { try await $0.raw("SELECT id FROM persons WHERE phone = '+84913000002'").first()!.decode(column: "id", as: String.self) }
            // Bích's household contact, recorded through a second case's form later.
            let second = try await client.json(.post, "/api/v1/cases", headers, """
                {"person": {"full_name": "Vũ Văn Cường", "phone": "0913000003"}, "confirmed_on": "2021-09-11",
                 "contacts": [{"full_name": "Đỗ Thị Bích", "phone": "0913000002", "day": "2021-09-11"}]}
                """)
            #expect(second.status == .created)
            let cuong = try await app.services.database.read { try await $0.raw("SELECT id FROM persons WHERE phone = '+84913000003'").first()!.decode(column: "id", as: String.self) }
            let dung = try await client.json(.post, "/api/v1/cases/\(try (first.json()["data"] as? [String: Any])?["id"] as? String ?? "")/contacts", headers, """
                {"contacts": [{"full_name": "Hồ Văn Dũng", "phone": "0913000004", "day": "2021-09-09"}]}
                """)
            #expect(dung.status == .ok)
            // Bích (F1 of both) meets Em after her exposure and before any quarantine: the ward records Bích's
            // contact as it would, and Em is F2.
            let emRecord = try await app.person("Lương Thị Em", citizenID: nil, phone: "+84913000010")
            let em = try await client.json(.post, "/api/v1/people/\(bich)/contacts", headers, #"{"contacts": [{"person_id": "\#(emRecord.id)", "day": "2021-09-12", "setting": "market"}]}"#)
            #expect(em.status == .created)
            var levels = try await app.levels()
            #expect(levels[bich] == 1)
            #expect(levels[emRecord.id] == 2)
            #expect(levels[cuong] == nil)  // a case, not a contact

            // Bích tests positive: Em moves up to F1 at once.
            let positive = try await client.json(.post, "/api/v1/cases", headers, #"{"person_id": "\#(bich)", "confirmed_on": "2021-09-13", "detected_in": "quarantine"}"#)
            #expect(positive.status == .created)
            let bichCase = try (positive.json()["data"] as? [String: Any])?["id"] as? String
            levels = try await app.levels()
            #expect(levels[bich] == nil)
            #expect(levels[emRecord.id] == 1)
            #expect(try await app.gauges("minhkhai")[.f2Active] ?? 0 == 0)

            // Her result was a false positive: ruled out, Em is F2 again; An recovering changes nothing for earlier exposures.
            let ruled = try await client.json(.put, "/api/v1/cases/\(bichCase ?? "")", headers, #"{"outcome": "ruled_out", "outcome_on": "2021-09-14"}"#)
            #expect(ruled.status == .ok)
            levels = try await app.levels()
            #expect(levels[bich] == 1 && levels[emRecord.id] == 2)
            let recovered = try await client.json(.put, "/api/v1/cases/\(caseA ?? "")", headers, #"{"outcome": "recovered", "outcome_on": "2021-09-19"}"#)
            #expect(recovered.status == .ok)
            #expect(try await app.levels()[bich] == 1)
            let g = try await app.gauges("minhkhai")
            #expect(g[.casesActive] == 1)  // Cường; An recovered, Bích ruled out
            // The incremental path agrees with a full recomputation.
            let before = try await app.levels()
            try await app.services.database.transaction { try await ContactLevelService.recomputeAll($0) }
            #expect(try await app.levels() == before)
        }
    }

    /// An F0 and a contact each entered twice (once by the case form, once in the registry): merged, the
    /// case and the exposures follow the record kept, the levels are derived again from the one history,
    /// and a meeting between the two records of one person is dropped. Two records both under care are refused.
    @Test(arguments: Dialect.enabled)
    func aMergeCarriesTheDuplicatesCaseAndExposuresAndDerivesTheLevelsAgain(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let entry = try await app.token("entry.mk"), ward = try await app.token("minhkhai")
            let first = try await client.json(.post, "/api/v1/cases", entry, """
                {"person": {"full_name": "Đỗ Văn An", "phone": "0913000001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Đỗ Thị Bích", "phone": "0913000002", "day": "2021-09-10"}]}
                """)
            #expect(first.status == .created)
            let caseNumber = (try first.json()["data"] as? [String: Any])?["case_number"] as? String
            func id(_ phone: String) async throws -> String {
                try await app.services.database.read { try await $0.raw("SELECT id FROM persons WHERE phone = \(bind: phone)").first()?.decode(column: "id", as: String.self) } ?? ""
            }
            let anTwice = try await id("+84913000001"), bichTwice = try await id("+84913000002")
            let an = try await app.person("Đỗ Văn An", birth: "1980-01-01"), bich = try await app.person("Đỗ Thị Bích", birth: "1982-02-02")
            let em = try await app.person("Lương Thị Em", phone: "+84913000010")
            // The F1 met Em, and (as another officer entered it) "the other Bích", the registry's.
            let met = try await client.json(.post, "/api/v1/people/\(bichTwice)/contacts", entry,
                                            #"{"contacts": [{"person_id": "\#(em.id)", "day": "2021-09-12", "setting": "market"}, {"person_id": "\#(bich.id)", "day": "2021-09-11", "setting": "household"}]}"#)
            #expect(met.status == .created, "\(met.text.prefix(400))")
            var levels = try await app.levels()
            #expect(levels[bichTwice] == 1 && levels[bich.id] == 2 && levels[em.id] == 2)

            // The F0's records merged: the case is the kept record's, and Bích is still F1 through it.
            #expect(try await client.json(.post, "/api/v1/people/\(an.id)/merge", ward, #"{"duplicate_id": "\#(anTwice)"}"#).status == .ok)
            let cases = try await app.services.database.read { db in
                try await db.raw("SELECT person_id FROM cases WHERE case_number = \(bind: caseNumber ?? "")").first()?.decode(column: "person_id", as: String.self)
            }
            #expect(cases == an.id)
            #expect(try await app.levels()[bichTwice] == 1)
            let page = try await BrowserSession.login(client, "minhkhai")
            var browser = page
            #expect(try await browser.get(client, "/people/\(an.id)").text.contains(caseNumber ?? "—"))

            // The contact's records merged: one F1 who met Em two days after the F0, so Em is F2; the meeting of
            // the two records is gone; the duplicate has no level.
            #expect(try await client.json(.post, "/api/v1/people/\(bich.id)/merge", ward, #"{"duplicate_id": "\#(bichTwice)"}"#).status == .ok)
            levels = try await app.levels()
            #expect(levels[bich.id] == 1 && levels[bichTwice] == nil && levels[em.id] == 2)
            let left = try await app.services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM exposures WHERE source_id = \(bind: bichTwice) OR contact_id = \(bind: bichTwice)").first()?.decode(column: "n", as: Int.self)
            }
            #expect(left == 0)
            let changes = try await app.auditRows(entityId: bich.id, action: "merge").first?.decodedChanges ?? []
            #expect(changes.first { $0.field == "tracing_records" }?.new == "0 ca F0, 0 đợt cách ly/điều trị, 2 tiếp xúc")
            #expect(changes.first { $0.field == "repeated_exposures" }?.old == "11/09/2021 (\(ExposureSetting.household.labelVI))")
            // The incremental path agrees with a full derivation, and the ward's F1 count is one Bích.
            let before = try await app.levels()
            try await app.services.database.transaction { try await ContactLevelService.recomputeAll($0) }
            #expect(try await app.levels() == before)
            #expect(try await app.gauges("minhkhai")[.f1Active] == 1)

            // Two records each an active F0: refused, nothing merged.
            let other = try await client.json(.post, "/api/v1/cases", entry, #"{"person": {"full_name": "Phí Văn Hai", "phone": "0913000020"}, "confirmed_on": "2021-09-12"}"#)
            #expect(other.status == .created)
            let hai = try await app.person("Phí Văn Hai", phone: "+84913000021")
            #expect(try await client.json(.post, "/api/v1/cases", entry, #"{"person_id": "\#(hai.id)", "confirmed_on": "2021-09-13"}"#).status == .created)
            let haiTwice = try await id("+84913000020")
            let refused = try await client.json(.post, "/api/v1/people/\(hai.id)/merge", ward, #"{"duplicate_id": "\#(haiTwice)"}"#)
            #expect(refused.status == .conflict && refused.text.contains("Cả hai hồ sơ đều đang là F0"))
            // On the page: the form shows what each record holds, and a refused merge comes back to it with why.
            let otherNumber = (try other.json()["data"] as? [String: Any])?["case_number"] as? String ?? "—"
            let form = try await browser.get(client, "/people/\(hai.id)/merge")
            #expect(form.status == .ok && form.text.contains("F0 \(otherNumber)") && form.text.contains("merge-kept-holdings"))
            let posted = try await browser.post(client, "/people/\(hai.id)/merge", form: ["duplicate_id": haiTwice])
            #expect(posted.status == .conflict && posted.text.contains("form-error") && posted.text.contains("Cả hai hồ sơ đều đang là F0"))
            #expect(try await app.services.database.read { try await $0.raw("SELECT merged_into FROM persons WHERE phone = '+84913000020'").first()?.decode(column: "merged_into", as: String?.self) } == nil)
        }
    }

    @Test(arguments: Dialect.enabled)
    func anotherWardCannotSeeOrChangeTheCaseAndSeesMaskedContacts(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            var form = intakeForm(contacts: [("Trần Thị Lan", "0912000001")])
            form["c1_name"] = "Hoàng Văn Khánh"
            form["c1_phone"] = "0912000011"
            form["c1_unit"] = "00286"  // lives in Bạch Mai
            let saved = try await entry.post(client, "/cases", form: form)
            let location = try saved.headers[.location].unwrapped("redirect")
            let caseID = String(location.split(separator: "/")[1].split(separator: "?")[0])
            let page = try await entry.get(client, "/cases/\(caseID)")
            #expect(page.text.contains("H. V. K."))
            #expect(!page.text.contains("Hoàng Văn Khánh"))

            var bachMai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachMai.get(client, "/cases/\(caseID)").status == .notFound)
            #expect(try await bachMai.post(client, "/cases/\(caseID)", form: ["outcome": "ruled_out"]).status == .notFound)
            #expect(try await bachMai.post(client, "/cases/\(caseID)/contacts", form: ["c0_name": "X Y"]).status == .notFound)
            #expect(try await bachMai.get(client, "/cases/\(caseID)/chain").status == .notFound)
            let list = try await bachMai.get(client, "/cases?outcome=all")
            #expect(!list.text.contains(caseID))
            // But Bạch Mai follows its own resident, who is now an F1.
            let contacts = try await bachMai.get(client, "/contacts?level=1")
            #expect(contacts.text.contains("Hoàng Văn Khánh"))
            let headers = try await app.token("bachmai")
            for (method, path) in [(HTTPRequest.Method.get, "/api/v1/cases/\(caseID)"), (.put, "/api/v1/cases/\(caseID)"), (.get, "/api/v1/cases/\(caseID)/chain")] {
                let r = try await client.json(method, path, headers, method == .put ? #"{"outcome":"ruled_out"}"# : nil)
                #expect(r.status == .notFound, "\(method) \(path)")
            }
            // Roles without case access are refused outright.
            var checkpoint = try await BrowserSession.login(client, "checkpoint.mk")
            #expect(try await checkpoint.get(client, "/cases").status == .forbidden)
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            #expect(try await supervisor.get(client, "/cases/\(caseID)").status == .ok)
            #expect(try await supervisor.post(client, "/cases", form: intakeForm(contacts: [])).status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func theChainIsDrawnAndOverdueTracingIsFlagged(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            let saved = try await entry.post(client, "/cases", form: intakeForm(contacts: Array(Self.five.prefix(3))))
            let location = try saved.headers[.location].unwrapped("redirect")
            let caseID = String(location.split(separator: "/")[1].split(separator: "?")[0])
            let chain = try await entry.get(client, "/cases/\(caseID)/chain")
            #expect(chain.status == .ok)
            #expect(chain.text.contains("<svg"))
            #expect(chain.text.components(separatedBy: "class=\"node\"").count - 1 == 4)
            #expect(chain.text.components(separatedBy: "<line ").count - 1 == 3)

            // Not overdue yet; then the deadline passes.
            #expect(try await entry.get(client, "/tracing").text.contains("id=\"overdue-count\">0<"))
            try await app.services.database.transaction { try await $0.raw("UPDATE tracing_tasks SET due_at = '2021-09-11T00:00:00.000Z'").run() }
            let tracing = try await entry.get(client, "/tracing")
            #expect(tracing.text.contains("id=\"overdue-count\">1<"))
            var district = try await BrowserSession.login(client, "hbt")
            #expect(try await district.get(client, "/tracing").text.contains("id=\"overdue-count\">1<"))
            let scope = try await app.scope(for: "hbt")
            let alerts = try await app.services.database.read { db in try await app.services.dashboard.allAlerts(db, scope: scope, now: Clock.now()) }
            #expect(alerts.contains { $0.kind == "overdue_tracing" && $0.link == "/cases/\(caseID)" })
            let otherDistrict = try await app.scope(for: "longbien")
            let elsewhere = try await app.services.database.read { db in try await app.services.dashboard.allAlerts(db, scope: otherDistrict, now: Clock.now()) }
            #expect(!elsewhere.contains { $0.kind == "overdue_tracing" })
        }
    }

    @Test(arguments: Dialect.enabled)
    func homeCareEligibilityIsCheckedAgainstTheCriteria(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let headers = try await app.token("entry.mk")
            let made = try await client.json(.post, "/api/v1/cases", headers, #"{"person": {"full_name": "Quách Văn Tùng", "birth_date": "1960-01-01"}, "confirmed_on": "2021-09-10", "clinical_status": "mild"}"#)
            let id = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let ok = try await client.json(.get, "/api/v1/cases/\(id)/home-care?breaths=18&spo2=97&doses=2&last_dose=01/08/2021", headers).json()
            #expect(ok["eligible"] as? Bool == true)
            let low = try await client.json(.get, "/api/v1/cases/\(id)/home-care?breaths=18&spo2=94&doses=0", headers).json()
            let codes = (low["failures"] as? [[String: Any]])?.compactMap { $0["code"] as? String } ?? []
            #expect(low["eligible"] as? Bool == false)
            #expect(codes == ["spo2", "risk_group"])  // 61 years old and unvaccinated
            #expect(try await client.json(.get, "/api/v1/cases/\(id)/home-care?doses=1&last_dose=32/07/2021", headers).status == .unprocessableContent)
            var entry = try await BrowserSession.login(client, "entry.mk")
            let page = try await entry.get(client, "/cases/\(id)?hc=1&breaths=24&spo2=97&doses=2")
            #expect(page.text.contains("id=\"home-care-result\""))
            #expect(page.text.contains("Nhịp thở trên 20"))
            var bachMai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachMai.get(client, "/cases/\(id)?hc=1").status == .notFound)
        }
    }
}
