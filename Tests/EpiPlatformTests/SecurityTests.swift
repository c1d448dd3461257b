import EpiCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing
@testable import EpiReporting

/// The defects of the security review (issue 9), each as a user or an attacker would meet it.
@Suite("Security: crashes, leaks, lockout, body limits, redirects, tokens")
struct SecurityTests {
    /// Far-away dates used to reach a force-unwrap and stop the server; now each is a clear 4xx.
    @Test(arguments: Dialect.enabled)
    func farAwayDatesAreRefusedInsteadOfStoppingTheServer(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let supervisor = try await app.token("supervisor.mk")
            for week in ["9999-W53", "0001-W01", "2101-W01"] {
                let r = try await client.json(.get, "/api/v1/risk?week=\(week)", supervisor)
                #expect((400..<500).contains(Int(r.status.code)), "week \(week): \(r.status)")
            }
            let city = try await app.token("city")
            for period in ["0001-01-01", "9999-12-31"] {
                let r = try await client.json(.get, "/api/v1/reports/ward_daily/consolidation?period=\(period)", city)
                #expect((400..<500).contains(Int(r.status.code)), "period \(period): \(r.status)")
                let page = try await client.json(.get, "/api/v1/reports/ward_daily/\(period)/01.007.00295", city)
                #expect((400..<500).contains(Int(page.status.code)), "report \(period): \(page.status)")
            }
            let entry = try await app.token("entry.mk")
            for field in ["confirmed_on", "symptom_onset"] {
                let body = #"{"person": {"full_name": "Lê Văn Xa", "unit": "01/007/00295"}, "\#(field)": "01/01/0001"}"#
                let r = try await client.json(.post, "/api/v1/cases", entry, body)
                #expect(r.status == .unprocessableContent, "\(field): \(r.status)")
            }
            let person = try await app.person("Đào Thị Hạ")
            for start in ["31/12/9999", "01/01/2999"] {
                let r = try await client.json(.post, "/api/v1/quarantine", entry, #"{"person_id": "\#(person.id)", "subject": "f1", "setting": "home", "start_date": "\#(start)"}"#)
                #expect(r.status == .unprocessableContent, "start \(start): \(r.status)")
            }
            // The server still answers.
            #expect(try await client.json(.get, "/api/v1/me", supervisor).status == .ok)
        }
    }

    /// 40 parallel guesses used to evaluate every password and never lock; now at most the threshold is
    /// evaluated and the account locks.
    @Test(arguments: Dialect.enabled)
    func parallelGuessesCannotBypassTheLockout(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var session = BrowserSession()
            try await session.get(client, "/login")
            let cookie = session.cookieHeader, csrf = session.csrf
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        let body = "username=minhkhai&password=guess\(i)&_csrf=\(csrf)"
                        return try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                                                        body: ByteBuffer(string: body)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(!statuses.contains(.seeOther))
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 35)
            let actions = try await app.services.database.read { try await $0.raw("SELECT action FROM audit_log WHERE username = 'minhkhai'").all().map { try $0.decode(column: "action", as: String.self) } }
            #expect(actions.filter { $0 == "login_failed" }.count <= app.services.settings.lockoutThreshold - 1)
            #expect(actions.filter { $0 == "locked" }.count == 1)
            let locked = try await session.post(client, "/login", form: ["username": "minhkhai", "password": TestApp.password])
            #expect(locked.status == .tooManyRequests)
        }
    }

    /// An unknown username is checked against a hash of the configured cost, like a real one.
    @Test func theUnknownUserPathCostsTheConfiguredBcrypt() async throws {
        #expect(try await Passwords.dummyHash(cost: 5).hasPrefix("$2b$05$"))
        #expect(try await Passwords.dummyHash(cost: 4).hasPrefix("$2b$04$"))
    }

    @Test(arguments: Dialect.enabled)
    func commonPasswordsAndTheUsernameAreRefused(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var ward = try await BrowserSession.login(client, "minhkhai")
            for (username, password, problem) in [("to.nhap1", "password123", "common"), ("to.nhap2", "Matkhau123", "common"), ("to.nhap3", "TO.NHAP3", "equals_username")] {
                try await ward.get(client, "/users")
                let r = try await ward.post(client, "/users", form: ["username": username, "display_name": "Tổ nhập liệu", "role": "ward_data_entry",
                                                                        "unit": "01/007/00295", "password": password])
                #expect(r.status == .unprocessableContent, "\(password)")
                #expect(r.text.contains(problem == "common" ? "quá phổ biến" : "trùng tên đăng nhập"))
            }
            let users = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM users WHERE username LIKE 'to.nhap%'").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(users == 0)
        }
    }

    @Test(arguments: Dialect.enabled)
    func tokensExpireAndCanBeRevokedAndDeactivatedUsersLoseAccess(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            // A token past its expiry is refused (the expiry while it is held in memory: TokenCacheTests).
            let expiring = try await app.services.auth.issueToken(username: "bachmai", name: "ngắn", days: 1)
            let headers: HTTPFields = [.authorization: "Bearer \(expiring)"]
            try await app.services.database.transactionless { db in
                try await db.raw("UPDATE api_tokens SET expires_at = \(bind: Timestamp.string(Date().addingTimeInterval(-60))) WHERE name = 'ngắn'").run()
            }
            #expect(try await client.json(.get, "/api/v1/me", headers).status == .unauthorized)

            let revocable = try await app.services.auth.issueToken(username: "bachmai", name: "thu hồi")
            let rHeaders: HTTPFields = [.authorization: "Bearer \(revocable)"]
            #expect(try await client.json(.get, "/api/v1/me", rHeaders).status == .ok)
            let listed = try await app.services.auth.tokens(username: "bachmai")
            try await app.services.auth.revokeToken(id: try listed.first { $0.name == "thu hồi" }.unwrapped().id, by: nil)
            #expect(try await client.json(.get, "/api/v1/me", rHeaders).status == .unauthorized)

            // A ward deactivates its data-entry officer: their open session and their token stop at once.
            var officer = try await BrowserSession.login(client, "entry.mk")
            let officerToken = try await app.token("entry.mk")
            // Used once, so the server holds the token in memory when the account is deactivated.
            #expect(try await client.json(.get, "/api/v1/me", officerToken).status == .ok)
            var ward = try await BrowserSession.login(client, "minhkhai")
            let page = try await ward.get(client, "/users")
            #expect(page.text.contains("entry.mk"))
            let id = try await UserAdmin(services: app.services).id(of: "entry.mk")
            #expect(try await ward.post(client, "/users/\(id)/active", form: ["active": "0"]).status == .seeOther)
            #expect(try await officer.get(client, "/people").status == .seeOther)
            #expect(try await client.json(.get, "/api/v1/me", officerToken).status == .unauthorized)
            var login = BrowserSession()
            try await login.get(client, "/login")
            #expect(try await login.post(client, "/login", form: ["username": "entry.mk", "password": TestApp.password]).status == .unauthorized)
            // A ward cannot deactivate its district, nor an account elsewhere.
            let district = try await UserAdmin(services: app.services).id(of: "hbt")
            #expect(try await ward.post(client, "/users/\(district)/active", form: ["active": "0"]).status == .notFound)
            let other = try await UserAdmin(services: app.services).id(of: "bachmai")
            #expect(try await ward.post(client, "/users/\(other)/active", form: ["active": "0"]).status == .notFound)
            #expect(try await ward.post(client, "/users/\(id)/active", form: ["active": "1"]).status == .seeOther)
            _ = try await BrowserSession.login(client, "entry.mk")
        }
    }

    @Test(arguments: Dialect.enabled)
    func redirectsStayOnThisSite(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            for (next, expected) in [("/\\evil.example", "/"), ("//evil.example", "/"), ("https://evil.example/", "/"), ("/%2F%2Fevil.example", "/"),
                                     ("/people?q=nam", "/people?q=nam"), ("/cases", "/cases")] {
                var session = BrowserSession()
                try await session.get(client, "/login")
                let r = try await session.post(client, "/login", form: ["username": "minhkhai", "password": TestApp.password, "next": next])
                #expect(r.status == .seeOther)
                #expect(r.headers[.location] == expected, "next=\(next)")
            }
            #expect(LocalPath.checked("/transfers?x=1") == "/transfers?x=1")
            #expect(LocalPath.checked("https://evil.example") == nil)
            #expect(LocalPath.checked("/\tevil") == nil)
        }
    }

    /// A 200 MB anonymous login is refused by its declared length before a byte is read, and
    /// oversized JSON answers 413 instead of 500.
    @Test(arguments: Dialect.enabled)
    func bodiesAreLimitedPerRouteBeforeAuthentication(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect, mode: .live) { app, client in
            // Over a real socket: the server answers 413 on the declared length alone, before a byte of a
            // 200 MB body is sent, so nothing is buffered.
            let port = try client.port.unwrapped("port")
            let head = "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(200 << 20)\r\n\r\nusername=a"
            let answer = try await RawHTTP.exchange(port: port, head)
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(80))")
            // Anonymous callers may not send an upload-sized body even to an upload route.
            let anonymousUpload = try await client.execute(uri: "/api/v1/residents/import?unit=01.007.00295", method: .post,
                                                           headers: [.contentType: "text/csv"], body: ByteBuffer(string: String(repeating: "ho_ten\n", count: 100_000)))
            #expect(anonymousUpload.status == .contentTooLarge)
            let token = try await app.token("entry.mk")
            let bigJSON = "{\"full_name\": \"" + String(repeating: "a", count: 10 << 20) + "\"}"
            let r = try await client.json(.post, "/api/v1/people", token, bigJSON)
            #expect(r.status == .contentTooLarge)
            #expect(try r.json()["error"] != nil)
            // A signed-in upload far above the anonymous limit is fine. Long addresses make it twice that
            // limit with few rows, so the import's own work stays small on a loaded machine.
            var csv = "ho_ten,ngay_sinh,dia_chi\n"
            let street = String(repeating: "Ngõ 12 phố Minh Khai ", count: 6)
            for i in 0..<1_000 { csv += "Nguyễn Văn Số \(i),01/01/1980,\(street)\(i)\n" }
            #expect(csv.utf8.count > 2 * BodyLimits.anonymous)
            let upload = try await client.execute(uri: "/api/v1/residents/import?unit=01.007.00295", method: .post,
                                                  headers: [.authorization: token[.authorization] ?? "", .contentType: "text/csv"], body: ByteBuffer(string: csv))
            #expect(upload.status == .ok)
        }
    }

    /// A contact without a phone used to show the F0's own phone (the template looked the key up in
    /// the enclosing case).
    @Test(arguments: Dialect.enabled)
    func aContactRowNeverShowsAValueItDidNotGet(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var entry = try await BrowserSession.login(client, "entry.mk")
            try await entry.get(client, "/cases/new")
            let saved = try await entry.post(client, "/cases", form: intakeForm(phone: "0987654321", contacts: [("Trần Thị Không Số", "")]))
            #expect(saved.status == .seeOther)
            let page = try await entry.get(client, try saved.headers[.location].unwrapped())
            #expect(page.text.contains("Trần Thị Không Số"))
            let rows = page.text.components(separatedBy: "class=\"contact\"").dropFirst()
            #expect(rows.count == 1)
            #expect(rows.allSatisfy { !$0.prefix(600).contains("0987") })
        }
    }
}

extension SecurityTests {
    /// The duplicate guard used to name a person of another ward (name, ward, CCCD, id) to whoever typed
    /// the same name and birth date.
    @Test(arguments: Dialect.enabled)
    func aDuplicateInAnotherWardIsCountedNotShown(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let other = try await app.person("Nguyễn Thị Trùng", ward: "01/007/00286", citizenID: "001185012345", birth: "1985-03-07")
            let token = try await app.token("minhkhai")
            let r = try await client.json(.post, "/api/v1/people", token, #"{"full_name": "Nguyễn Thị Trùng", "birth_date": "07/03/1985", "unit": "01/007/00295"}"#)
            #expect(r.status == .conflict)
            #expect(!r.text.contains(other.id) && !r.text.contains("001185012345") && !r.text.contains("Bạch Mai"))
            let details = try r.json()["error"] as? [String: Any]
            #expect((details?["details"] as? [String: String])?["outside_scope"] == "1")
            var page = try await BrowserSession.login(client, "minhkhai")
            try await page.get(client, "/people/new")
            let form = try await page.post(client, "/people", form: ["full_name": "Nguyễn Thị Trùng", "birth_date": "07/03/1985", "unit": "01/007/00295"])
            #expect(form.text.contains("id=\"hidden-duplicates\""))
            #expect(!form.text.contains(other.id) && !form.text.contains("001185012345"))
            // The district sees both wards, so it sees the candidate by name.
            let district = try await app.token("hbt")
            let d = try await client.json(.post, "/api/v1/people", district, #"{"full_name": "Nguyễn Thị Trùng", "birth_date": "07/03/1985", "unit": "01/007/00295"}"#)
            #expect(d.status == .conflict && d.text.contains(other.id))
        }
    }

    /// After an F0 moves to another ward, the old ward's case page showed the new address, phone and CCCD;
    /// it keeps the case and the name it recorded, nothing current.
    @Test(arguments: Dialect.enabled)
    func aCaseWhosePersonMovedAwayShowsInitialsOnly(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("entry.mk")
            let made = try await client.json(.post, "/api/v1/cases", ward, #"{"person": {"full_name": "Vũ Văn Chuyển", "phone": "0913555777", "citizen_id": "001085099999"}, "confirmed_on": "2021-09-10"}"#)
            #expect(made.status == .created)
            let caseID = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let personID = try (made.json()["data"] as? [String: Any])?["person_id"] as? String ?? ""
            // The district moves the person to Bạch Mai, with a new address.
            let district = try await app.token("hbt")
            let moved = try await client.json(.put, "/api/v1/people/\(personID)", district, #"{"unit": "01/007/00286", "address": "Số 9 ngõ Mới"}"#)
            #expect(moved.status == .ok)
            var entry = try await BrowserSession.login(client, "entry.mk")
            let page = try await entry.get(client, "/cases/\(caseID)")
            #expect(page.status == .ok)
            #expect(page.text.contains("id=\"moved-away\""))
            for secret in ["0913", "001085099999", "Số 9 ngõ Mới", "/people/\(personID)"] { #expect(!page.text.contains(secret), "\(secret)") }
            // Bạch Mai now sees them in full.
            var bachmai = try await BrowserSession.login(client, "bachmai")
            #expect(try await bachmai.get(client, "/people/\(personID)").text.contains("Số 9 ngõ Mới"))
        }
    }

    /// Facility staff listed the district's episodes over the API and could start home quarantine for anyone.
    @Test(arguments: Dialect.enabled)
    func facilityStaffSeeAndActOnlyThroughTheirFacility(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await UserAdmin(services: app.services).create(username: "kcl.hbt", displayName: "KCL Hai Bà Trưng", role: .quarantineFacility, unit: "01/007",
                                                              password: TestApp.password, creator: nil)
            let district = try await app.token("hbt"), ward = try await app.token("minhkhai"), staff = try await app.token("kcl.hbt")
            let made = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Ký túc xá", "unit": "01/007", "capacity": 10}"#)
            let facility = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let athome = try await app.person("Hà Văn Nhà")
            let inside = try await app.person("Hà Thị Khu")
            let startHome = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(athome.id)", "setting": "home", "start_date": "2021-09-10"}"#)
            #expect(startHome.status == .created, "\(startHome.text)")
            #expect(try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(inside.id)", "setting": "facility", "facility_id": "\#(facility)", "start_date": "2021-09-10"}"#).status == .created)
            let listed = try await client.json(.get, "/api/v1/quarantine", staff)
            let names = (try listed.json()["data"] as? [[String: Any]])?.compactMap { $0["full_name"] as? String } ?? []
            #expect(names == ["Hà Thị Khu"])
            let stranger = try await app.person("Hà Văn Lạ")
            let home = try await client.json(.post, "/api/v1/quarantine", staff, #"{"person_id": "\#(stranger.id)", "setting": "home"}"#)
            #expect(home.status == .forbidden)
            let intoFacility = try await client.json(.post, "/api/v1/quarantine", staff, #"{"person_id": "\#(stranger.id)", "setting": "facility", "facility_id": "\#(facility)"}"#)
            #expect(intoFacility.status == .notFound)
            let transfers = try await client.json(.get, "/api/v1/transfers", staff)
            #expect((try transfers.json()["data"] as? [[String: Any]])?.isEmpty == true)
            #expect(try await app.services.database.read { try await QuarantineService.episodes($0, personID: stranger.id) }.isEmpty)
        }
    }

    /// The audit is append-only in the database itself, not only by convention.
    @Test(arguments: Dialect.enabled)
    func theAuditTableRefusesUpdatesAndDeletes(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let before = try await app.audit("user").count
            #expect(before > 0)
            await #expect(throws: (any Error).self) {
                try await app.services.database.transaction { try await $0.raw("UPDATE audit_log SET summary = 'xóa dấu vết'").run() }
            }
            await #expect(throws: (any Error).self) {
                try await app.services.database.transaction { try await $0.raw("DELETE FROM audit_log").run() }
            }
            #expect(try await app.audit("user").count == before)
        }
    }

    /// Reads that showed people without leaving an audit row now leave one each.
    @Test(arguments: Dialect.enabled)
    func everyReadOfAPersonIsAudited(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("entry.mk")
            let made = try await client.json(.post, "/api/v1/cases", token, #"{"person": {"full_name": "Kiều Văn Soát", "phone": "0915000111"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Kiều Thị Xem", "phone": "0915000222"}]}"#)
            let caseID = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let personID = try (made.json()["data"] as? [String: Any])?["person_id"] as? String ?? ""
            let episode = try await app.services.database.read { try await QuarantineService.episodes($0, personID: personID) }.first?.id ?? ""
            func views() async throws -> Int {
                try await app.auditRows(entityId: personID).filter { ["view", "search_view", "list_view"].contains($0.action) }.count
            }
            var entry = try await BrowserSession.login(client, "entry.mk")
            var last = try await views()
            let reads: [(String, () async throws -> Void)] = [
                ("search page", { _ = try await entry.get(client, "/people?q=kieu") }),
                ("search API", { _ = try await client.json(.get, "/api/v1/people?q=kieu", token) }),
                ("edit form", { _ = try await entry.get(client, "/people/\(personID)/edit") }),
                ("F0 form", { _ = try await entry.get(client, "/cases/new?person=\(personID)") }),
                ("quarantine form", { _ = try await entry.get(client, "/quarantine/new?person=\(personID)") }),
                ("epi API", { _ = try await client.json(.get, "/api/v1/people/\(personID)/epi", token) }),
                ("history API", { _ = try await client.json(.get, "/api/v1/people/\(personID)/history", token) }),
                ("episode API", { _ = try await client.json(.get, "/api/v1/quarantine/\(episode)", token) }),
                ("chain API", { _ = try await client.json(.get, "/api/v1/cases/\(caseID)/chain", token) }),
                ("case list", { _ = try await client.json(.get, "/api/v1/cases", token) }),
            ]
            for (what, read) in reads {
                try await read()
                let now = try await views()
                #expect(now > last, "\(what) left no audit row")
                last = now
            }
        }
    }

    /// Concurrent repeats of one key used to answer 500 on PostgreSQL; a reused key with another body
    /// used to return the first record silently.
    @Test(arguments: Dialect.enabled)
    func repeatsOfOneKeyGetTheFirstAnswerAndAnotherBodyIsRefused(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var headers = try await app.token("minhkhai")
            headers[HTTPField.Name("Idempotency-Key")!] = "cluster-race"
            let ward = headers
            let body = #"{"name": "Ổ dịch chợ", "unit": "01/007/00295"}"#
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String).self) { group in
                for _ in 0..<24 {
                    group.addTask {
                        let r = try await client.json(.post, "/api/v1/clusters", ward, body)
                        return (r.status, try (r.json()["data"] as? [String: Any])?["id"] as? String ?? "")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.allSatisfy { $0.0 == .created || $0.0 == .ok }, "\(answers.map(\.0))")
            #expect(Set(answers.map(\.1)).count == 1)
            #expect(try await app.services.database.read { try await ["clusters"].asyncMapCount($0) } == [1])
            let other = try await client.json(.post, "/api/v1/clusters", ward, #"{"name": "Ổ dịch khác", "unit": "01/007/00295"}"#)
            #expect(other.status == .unprocessableContent)
            #expect(other.text.contains("idempotency_key_reused"))
        }
    }
}

extension SecurityTests {
    /// NUL bytes and names longer than an index row used to answer 500 on PostgreSQL; malformed unit
    /// paths answered 500 in rosters and risk.
    @Test(arguments: Dialect.enabled)
    func badTextAndBadUnitsAreClearErrors(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("minhkhai")
            for body in [#"{"full_name": "Nguyễn\u0000Văn"}"#, #"{"full_name": "\#(String(repeating: "Nguyễn Văn ", count: 400))"}"#,
                         #"{"full_name": "A", "address": "\#(String(repeating: "x", count: 30_000))"}"#] {
                let r = try await client.json(.post, "/api/v1/people", token, body)
                #expect(r.status == .unprocessableContent, "\(r.status) for \(body.prefix(40))")
            }
            #expect(try await client.json(.get, "/api/v1/people?q=nam%00", token).status == .unprocessableContent)
            var page = try await BrowserSession.login(client, "minhkhai")
            try await page.get(client, "/people/new")
            #expect(try await page.post(client, "/people", form: ["full_name": "Lê\u{0}Văn", "unit": "01/007/00295"]).status == .unprocessableContent)
            let roster = try await client.json(.post, "/api/v1/rosters/shifts", token, #"{"unit": "01/../x y", "person": "A", "role": "B", "starts_at": "2021-09-10 08:00", "ends_at": "2021-09-10 16:00"}"#)
            #expect(roster.status == .unprocessableContent, "\(roster.status)")
            let city = try await app.token("city")
            let risk = try await client.json(.post, "/api/v1/risk/compute", city, #"{"week": "2021-W37", "unit": "01..007"}"#)
            #expect((400..<500).contains(Int(risk.status.code)), "\(risk.status)")
            let persons = try await app.services.database.read { try await ["persons"].asyncMapCount($0) }
            #expect(persons == [0])
        }
    }

    /// A population file of a million repeated lines wrote a million updates and audit rows; only real
    /// changes are written now.
    @Test(arguments: Dialect.enabled)
    func aPopulationFileWritesOnlyRealChanges(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.token("city")
            var csv = "ma,dan_so\n"
            for i in 0..<20_000 { csv += i % 2 == 0 ? "00295,31000\n" : "00286,27000\n" }
            let first = try await client.execute(uri: "/api/v1/units/populations", method: .post, headers: [.authorization: token[.authorization] ?? "", .contentType: "text/csv"],
                                                 body: ByteBuffer(string: csv))
            #expect(first.status == .ok)
            let report = try first.json()["data"] as? [String: Any]
            #expect(report?["updated"] as? Int == 2 && report?["repeated"] as? Int == 19_998)
            #expect(try await app.audit("unit").filter { $0.action == "update" }.count == 2)
            let again = try await client.execute(uri: "/api/v1/units/populations", method: .post, headers: [.authorization: token[.authorization] ?? "", .contentType: "text/csv"],
                                                 body: ByteBuffer(string: csv))
            #expect((try again.json()["data"] as? [String: Any])?["updated"] as? Int == 0)
            #expect(try await app.audit("unit").filter { $0.action == "update" }.count == 2)
        }
    }

    /// An import that failed midway used to answer "nothing was changed" with no record of it; now the
    /// saved rows are stated, the import is recorded as unfinished, and the retry says so.
    @Test(arguments: Dialect.enabled)
    func anInterruptedImportIsRecordedAndTheRetryCompletesIt(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            var csv = "ho_ten,so_dinh_danh\n"
            for i in 0..<1_200 { csv += "Trương Văn Số \(i),0010851\(String(format: "%05d", i))\n" }
            let bytes = Array(csv.utf8)
            let ward = try await app.services.directory.unit("01/007/00295").unwrapped()
            let user = try await app.user("entry.mk")
            // The database refuses the third batch: the first two stay, and the answer says how many.
            try await app.services.database.transactionless { db in
                switch db.dialect.name {
                case "sqlite":
                    try await db.raw("CREATE TRIGGER stop_import BEFORE INSERT ON persons WHEN NEW.full_name = 'Trương Văn Số 1100' BEGIN SELECT RAISE(ABORT, 'disk full'); END").run()
                default:
                    try await db.raw("CREATE FUNCTION stop_import() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.full_name = 'Trương Văn Số 1100' THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$").run()
                    try await db.raw("CREATE TRIGGER stop_import BEFORE INSERT ON persons FOR EACH ROW EXECUTE FUNCTION stop_import()").run()
                }
            }
            var importer = ResidentImporter(services: app.services)
            importer.batchSize = 500
            importer.writeBudget = nil
            do {
                _ = try await importer.run(bytes: bytes, filename: "ds.csv", ward: ward, user: user)
                Issue.record("the import should have stopped")
            } catch let error as AppError {
                #expect(error.code == "import_interrupted")
                #expect(error.messageVI.contains("1000 người đã được lưu"))
            }
            let status = try await app.services.database.read { try await $0.raw("SELECT status, inserted FROM imports").first().unwrapped() }
            #expect(try status.decode(column: "status", as: String.self) == "failed")
            #expect(try status.decode(column: "inserted", as: Int.self) == 1000)
            try await app.services.database.transactionless { db in try await db.raw("DROP TRIGGER stop_import\(unsafeRaw: db.dialect.name == "sqlite" ? "" : " ON persons")").run() }
            let retry = try await importer.run(bytes: bytes, filename: "ds.csv", ward: ward, user: user)
            #expect(retry.previousInterrupted)
            #expect(retry.inserted == 200 && retry.duplicates == 1000)
            #expect(try await app.services.database.read { try await ["persons"].asyncMapCount($0) } == [1200])
        }
    }
}

/// A bare HTTP exchange over a socket, for what a client library would not send (a length it does not keep).
enum RawHTTP {
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try blockingExchange(port: port, request) })
            }
        }
    }

    private static func blockingExchange(port: Int, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MissingValue(description: "socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw MissingValue(description: "connect to \(port)") }
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}
