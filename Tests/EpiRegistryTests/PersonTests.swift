import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry

@Suite("Person registry: create, search, duplicate guard, merge, audit")
struct PersonTests {
    @Test(arguments: Dialect.enabled)
    func createThroughTheFormNormalisesAndAudits(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            try await entry.get(client, "/people/new")
            let response = try await entry.post(client, "/people", form: [
                "full_name": "  nguyễn   văn NAM ", "sex": "male", "birth_date": "07/03/1985", "citizen_id": "001 085 012345",
                "phone": "0912 345 678", "unit": "01/007/00295", "group_code": "TDP01", "residence_status": "temporary", "resident_until": "31/12/2021",
            ])
            #expect(response.status == .seeOther)
            let id = String(try response.headers[.location].unwrapped("location").dropFirst("/people/".count))
            let page = try await entry.get(client, "/people/\(id)")
            #expect(page.text.contains("<h1 id=\"person-name\">Nguyễn Văn Nam</h1>"))
            #expect(page.text.contains("001085012345"))
            #expect(page.text.contains("0912345678"))
            let stored = try await app.services.database.read { try await $0.raw("SELECT phone, birth_date, residence_status FROM persons WHERE id = \(bind: id)").first().unwrapped() }
            #expect(try stored.decode(column: "phone", as: String.self) == "+84912345678")
            #expect(try stored.decode(column: "birth_date", as: String.self) == "1985-03-07")
            let created = try await app.auditRows(entityId: id, action: "create")
            #expect(created.count == 1)
            #expect(created.first?.username == "entry.mk")
            #expect((created.first?.decodedChanges ?? []).contains { $0.field == "citizen_id" && $0.new == "001085012345" })
            // The page view was audited, and the history on the page shows it.
            #expect(try await app.auditRows(entityId: id, action: "view").count == 1)
            #expect(page.text.contains("data-action=\"view\""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func invalidFieldsAreReportedAndNothingIsSaved(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            let response = try await entry.post(client, "/people", form: [
                "full_name": "Lê Văn Tám", "birth_date": "31/02/1990", "citizen_id": "12345", "phone": "12", "unit": "01/007/00295",
            ])
            #expect(response.status == .unprocessableContent)
            #expect(response.text.contains("class=\"field-error\""))
            #expect(response.text.contains("value=\"Lê Văn Tám\""))
            let n = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(n == 0)
        }
    }

    @Test(arguments: Dialect.enabled)
    func searchIgnoresDiacriticsAndFindsByIDAndPhone(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let nam = try await app.person("Nguyễn Văn Nam", citizenID: "001085012345", phone: "+84912345678")
            let dung = try await app.person("Đặng Thị Dung", birth: "1970-02-02")
            try await app.person("Nguyễn Thị Lan", birth: "1980-02-02")
            var user = try await BrowserSession.login(client, "minhkhai")
            for q in ["nguyen van nam", "Nguyễn Văn Nam", "NGUYEN VAN", "001085012345", "0912345678", "+84 912 345 678", "nam"] {
                let text = try await user.get(client, "/people?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").text
                #expect(text.contains("href=\"/people/\(nam.id)\""), "query \(q)")
            }
            let d = try await user.get(client, "/people?q=dang+thi").text
            #expect(d.contains(dung.id))
            #expect(!d.contains(nam.id))
        }
    }

    /// Officers type what they remember: name words in any order, or only their start.
    @Test(arguments: Dialect.enabled)
    func nameWordsMatchInAnyOrderAndInPart(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let nam = try await app.person("Nguyễn Văn Nam")
            let lan = try await app.person("Nguyễn Thị Lan", birth: "1980-02-02")
            let hoa = try await app.person("Trần Văn Hòa", birth: "1975-04-04")
            var user = try await BrowserSession.login(client, "minhkhai")
            for q in ["van nam", "nguyen nam", "nam nguyen", "Văn Nam", "ngu na", "nguy van n"] {
                let text = try await user.get(client, "/people?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")").text
                #expect(text.contains("href=\"/people/\(nam.id)\""), "query \(q)")
                #expect(!text.contains(lan.id) && !text.contains(hoa.id), "query \(q) found someone else")
            }
            // Every word must be in the name: "van lan" is nobody here.
            let none = try await user.get(client, "/people?q=van+lan").text
            #expect(!none.contains(nam.id) && !none.contains(lan.id))
            // The API answers the same.
            let api = try await client.json(.get, "/api/v1/people?q=nam+van", try await app.token("minhkhai"))
            let ids = (try api.json()["data"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids == [nam.id])
        }
    }

    @Test(arguments: Dialect.enabled)
    func pagesShowOnlyWhatApplies(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let p = try await app.person("Ngô Thị Thu")
            var user = try await BrowserSession.login(client, "minhkhai")
            let page = try await user.get(client, "/people/\(p.id)").text
            // A record that was never merged shows no "merged" banner.
            #expect(!page.contains("class=\"banner\""))
            let list = try await user.get(client, "/people?q=ngo+thi+thu").text
            #expect(list.contains("value=\"ngo thi thu\""))
            #expect(!list.contains("id=\"next-page\""))
            let login = try await client.execute(uri: "/login", method: .get).text
            #expect(!login.contains("id=\"login-error\""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func keysetPaginationWalksEveryPersonOnce(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            var ids = Set<String>()
            for i in 0..<23 { ids.insert(try await app.person("Nguyễn Văn \(["An", "Bình", "Cường"][i % 3])", birth: "19\(50 + i)-01-01").id) }
            let scope = try await Scope.of(CurrentUser(id: "x", username: "x", displayName: "x", role: .wardCommand, unitPath: try UnitPath("01/007/00295")), directory: app.services.directory)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await app.services.database.read { [cursor] in try await PersonQueries.search($0, query: "nguyen", scope: scope, after: cursor, limit: 5) }
                seen += page.people.map(\.id)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(seen.count == 23)
            #expect(Set(seen) == ids)
        }
    }

    @Test(arguments: Dialect.enabled)
    func sameCitizenIDCannotBeEnteredTwiceEvenInAnotherWard(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.person("Nguyễn Văn Nam", ward: "01/004/00139", citizenID: "001085012345")
            var user = try await BrowserSession.login(client, "minhkhai")
            let response = try await user.post(client, "/people", form: ["full_name": "Nguyễn Văn Nam", "citizen_id": "001085012345", "unit": "01/007/00295"])
            #expect(response.status == .conflict)
            #expect(response.text.contains("đã có trong hệ thống"))
            // The other ward's record is not revealed.
            #expect(!response.text.contains("00139"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func sameNameAndBirthDateInTheDistrictWarnsAndNeedsConfirmation(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.person("Trần Thị Hoa", ward: "01/007/00286", birth: "1990-05-15")
            var user = try await BrowserSession.login(client, "minhkhai")
            let form = ["full_name": "tran thi hoa", "birth_date": "15/05/1990", "unit": "01/007/00295"]
            let warned = try await user.post(client, "/people", form: form)
            #expect(warned.status == .ok)
            #expect(warned.text.contains("id=\"possible-duplicates\""))
            var confirmed = form
            confirmed["confirm_duplicate"] = "1"
            #expect(try await user.post(client, "/people", form: confirmed).status == .seeOther)
            // A different district does not warn.
            try await app.person("Lê Văn Hùng", ward: "01/004/00139", birth: "1960-01-01")
            #expect(try await user.post(client, "/people", form: ["full_name": "Lê Văn Hùng", "birth_date": "01/01/1960", "unit": "01/007/00295"]).status == .seeOther)
        }
    }

    @Test(arguments: Dialect.enabled)
    func concurrentEditsAreDetectedByVersion(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let p = try await app.person("Hồ Văn Long")
            var user = try await BrowserSession.login(client, "minhkhai")
            let first = try await user.post(client, "/people/\(p.id)", form: ["full_name": "Hồ Văn Long", "phone": "0912000111", "unit": "01/007/00295", "version": "1"])
            #expect(first.status == .seeOther)
            let stale = try await user.post(client, "/people/\(p.id)", form: ["full_name": "Hồ Văn Long", "phone": "0912000222", "unit": "01/007/00295", "version": "1"])
            #expect(stale.status == .conflict)
            let updates = try await app.auditRows(entityId: p.id, action: "update")
            #expect(updates.count == 1)
            #expect(updates.first?.decodedChanges.map(\.field) == ["phone"])
        }
    }

    @Test(arguments: Dialect.enabled)
    func mergeKeepsTheDuplicateAndItsHistory(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let keep = try await app.person("Trần Thị Hoa", birth: "1990-05-15")
            let dup = try await app.person("Trần Thị Hoa", citizenID: "001190067890", birth: "1990-05-15", phone: "+84904111222")
            var user = try await BrowserSession.login(client, "minhkhai")
            let form = try await user.get(client, "/people/\(keep.id)/merge")
            #expect(form.text.contains(dup.id))
            let merged = try await user.post(client, "/people/\(keep.id)/merge", form: ["duplicate_id": dup.id])
            #expect(merged.status == .seeOther)
            let scope = try await app.scope(for: "city")
            let survivor = try await app.services.database.read { try await PersonQueries.find($0, id: keep.id, scope: scope) }.unwrapped()
            let gone = try await app.services.database.read { try await PersonQueries.find($0, id: dup.id, scope: scope) }.unwrapped()
            #expect(survivor.citizenId == "001190067890")
            #expect(survivor.phone == "+84904111222")
            #expect(gone.mergedInto == keep.id)
            #expect(try await app.auditRows(entityId: keep.id, action: "merge").count == 1)
            #expect(try await app.auditRows(entityId: dup.id, action: "merge").count == 1)
            let snapshots = try await app.services.database.read { try await $0.raw("SELECT merged_snapshot FROM person_merges WHERE merged_id = \(bind: dup.id)").all() }
            #expect(snapshots.count == 1)
            #expect(try snapshots.first.unwrapped().decode(column: "merged_snapshot", as: String.self).contains("001190067890"))
            // The start page's figures come from pre-aggregated counts that the merge kept current.
            let counts = try await app.services.database.read { try await PersonQueries.counts($0, scope: scope) }
            #expect(counts["permanent"] == 1)
            let home = try await user.get(client, "/").text
            #expect(home.contains("<span class=\"n\">1</span><span>Nhân khẩu đã đăng ký</span>"))
            // Merged records leave searches; the survivor is found by the moved ID.
            let list = try await user.get(client, "/people?q=001190067890").text
            #expect(list.contains(keep.id) && !list.contains("href=\"/people/\(dup.id)\""))
            // Entry staff cannot merge.
            var entry = try await BrowserSession.login(client, "entry.mk")
            #expect(try await entry.get(client, "/people/\(keep.id)/merge").status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func cityAuditSearchFindsViewsAndChanges(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let p = try await app.person("Vũ Minh Tuấn")
            var ward = try await BrowserSession.login(client, "minhkhai")
            try await ward.get(client, "/people/\(p.id)")
            #expect(try await ward.get(client, "/audit").status == .forbidden)
            var city = try await BrowserSession.login(client, "city")
            let audit = try await city.get(client, "/audit?username=minhkhai&action=view")
            #expect(audit.status == .ok)
            #expect(audit.text.contains("Vũ Minh Tuấn"))
            var district = try await BrowserSession.login(client, "longbien")
            // Another district's audit trail is out of scope.
            #expect(!(try await district.get(client, "/audit?username=minhkhai").text.contains("Vũ Minh Tuấn")))
        }
    }
}
