import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiApp
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing
@testable import EpiReporting

@Suite("Sign-in, sessions, lockout, CSRF and API tokens")
struct AuthTests {
    @Test(arguments: Dialect.enabled)
    func loginSetsHardenedSessionCookieAndShowsUser(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var session = BrowserSession()
            try await session.get(client, "/login")
            let response = try await session.post(client, "/login", form: ["username": "minhkhai", "password": TestApp.password])
            #expect(response.status == .seeOther)
            let cookie = response.headers[values: .setCookie].first { $0.hasPrefix("epi_session=") } ?? ""
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            let home = try await session.get(client, "/")
            #expect(home.status == .ok)
            #expect(home.text.contains("id=\"current-user\""))
            #expect(home.text.contains("User minhkhai"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func wrongPasswordIsRejectedAndFiveFailuresLockTheAccount(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var session = BrowserSession()
            try await session.get(client, "/login")
            let first = try await session.post(client, "/login", form: ["username": "minhkhai", "password": "wrong"])
            #expect(first.status == .unauthorized)
            #expect(first.text.contains("id=\"login-error\""))
            for _ in 0..<4 { try await session.post(client, "/login", form: ["username": "minhkhai", "password": "wrong"]) }
            // Locked now: even the right password is refused until the lock expires.
            let locked = try await session.post(client, "/login", form: ["username": "minhkhai", "password": TestApp.password])
            #expect(locked.status == .tooManyRequests)
            #expect(locked.text.contains("khóa"))
            let audit = try await app.services.database.read { try await $0.raw("SELECT action FROM audit_log WHERE username = 'minhkhai'").all().map { try $0.decode(column: "action", as: String.self) } }
            #expect(audit.filter { $0 == "login_failed" }.count == 4)
            #expect(audit.contains("locked"))
            // Other accounts are unaffected.
            _ = try await BrowserSession.login(client, "bachmai")
        }
    }

    @Test(arguments: Dialect.enabled)
    func protectedPagesRedirectToLoginAndAPIAnswers401(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            let page = try await client.execute(uri: "/people", method: .get)
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login?next=/people")
            let api = try await client.execute(uri: "/api/v1/people", method: .get)
            #expect(api.status == .unauthorized)
            #expect(try api.json()["error"] != nil)
        }
    }

    @Test(arguments: Dialect.enabled)
    func formsWithoutTheSessionCSRFTokenAreRejected(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var session = try await BrowserSession.login(client, "minhkhai")
            let missing = try await session.post(client, "/people", form: ["full_name": "Đỗ Văn Cường", "unit": "01/007/00295"], csrf: false)
            #expect(missing.status == .forbidden)
            let forged = try await session.post(client, "/people", form: ["full_name": "Đỗ Văn Cường", "unit": "01/007/00295", "_csrf": "forged"])
            #expect(forged.status == .forbidden)
            let count = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(count == 0)
            let ok = try await session.post(client, "/people", form: ["full_name": "Đỗ Văn Cường", "unit": "01/007/00295"])
            #expect(ok.status == .seeOther)
        }
    }

    @Test(arguments: Dialect.enabled)
    func loginFormItselfNeedsItsCSRFCookie(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var session = BrowserSession()
            let response = try await session.post(client, "/login", form: ["username": "minhkhai", "password": TestApp.password, "_csrf": "x"])
            #expect(response.status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func logoutEndsTheSession(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var session = try await BrowserSession.login(client, "minhkhai")
            let oldCookie = try session.cookies["epi_session"].unwrapped("session cookie")
            try await session.post(client, "/logout", form: [:])
            var replay = BrowserSession()
            replay.cookies["epi_session"] = oldCookie
            let page = try await replay.get(client, "/people")
            #expect(page.status == .seeOther)
        }
    }

    @Test(arguments: Dialect.enabled)
    func apiTokensAuthenticateMachineClientsWithoutCSRF(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.services.auth.issueToken(username: "minhkhai", name: "lab-sync")
            let me = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(me.status == .ok)
            #expect(try me.json()["username"] as? String == "minhkhai")
            let created = try await client.execute(uri: "/api/v1/people", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                   body: ByteBuffer(string: #"{"full_name":"hoàng văn thái","unit":"00295","birth_date":"02/09/1980"}"#))
            #expect(created.status == .created)
            let data = try created.json()["data"] as? [String: Any]
            #expect(data?["full_name"] as? String == "Hoàng Văn Thái")
            let bad = try await client.execute(uri: "/api/v1/me", method: .get, headers: [.authorization: "Bearer epi_not-a-token"])
            #expect(bad.status == .unauthorized)
        }
    }

    @Test(arguments: Dialect.enabled)
    func sessionCookieAPIWritesNeedTheCSRFHeader(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            let session = try await BrowserSession.login(client, "minhkhai")
            let body = ByteBuffer(string: #"{"full_name":"Vũ Thị Lan","unit":"00295"}"#)
            let without = try await client.execute(uri: "/api/v1/people", method: .post, headers: [.cookie: session.cookieHeader, .contentType: "application/json"], body: body)
            #expect(without.status == .forbidden)
            let with = try await client.execute(uri: "/api/v1/people", method: .post,
                                                headers: [.cookie: session.cookieHeader, .contentType: "application/json", HTTPField.Name("X-CSRF-Token")!: session.csrf], body: body)
            #expect(with.status == .created)
        }
    }

    @Test(arguments: Dialect.enabled)
    func passwordsAreStoredAsBcryptHashes(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let hash = try await app.services.database.read { try await $0.raw("SELECT password_hash FROM users WHERE username = 'city'").first().unwrapped().decode(column: "password_hash", as: String.self) }
            #expect(hash.hasPrefix("$2"))
            #expect(!hash.contains(TestApp.password))
        }
    }

    @Test(arguments: Dialect.enabled)
    func languageSwitchRendersEnglish(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var session = try await BrowserSession.login(client, "minhkhai")
            let vi = try await session.get(client, "/people")
            #expect(vi.text.contains("<html lang=\"vi\">"))
            #expect(vi.text.contains("Nhân khẩu"))
            try await session.get(client, "/lang/en")
            let en = try await session.get(client, "/people")
            #expect(en.text.contains("<html lang=\"en\">"))
            #expect(en.text.contains("People"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func navigationFollowsTheRole(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            var city = try await BrowserSession.login(client, "city")
            let cityHome = try await city.get(client, "/").text
            #expect(cityHome.contains("href=\"/audit\""))
            #expect(cityHome.contains("href=\"/users\""))
            var checkpoint = try await BrowserSession.login(client, "checkpoint.mk")
            let cpHome = try await checkpoint.get(client, "/").text
            #expect(!cpHome.contains("href=\"/people\""))
            #expect(!cpHome.contains("href=\"/audit\""))
        }
    }
}
