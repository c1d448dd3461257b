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
            let expiring = try await app.services.auth.issueToken(username: "bachmai", name: "ngắn", days: 1)
            let headers: HTTPFields = [.authorization: "Bearer \(expiring)"]
            #expect(try await client.json(.get, "/api/v1/me", headers).status == .ok)
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
            // A signed-in upload of a few megabytes is fine.
            var csv = "ho_ten,ngay_sinh\n"
            for i in 0..<40_000 { csv += "Nguyễn Văn Số \(i),01/01/1980\n" }
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
