import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry

/// The databases every database test runs on: SQLite always, PostgreSQL when CI provides one.
enum Dialect: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var enabled: [Dialect] {
        ProcessInfo.processInfo.environment["EPI_TEST_POSTGRES_URL"].map { $0.isEmpty ? [.sqlite] : [.sqlite, .postgres] } ?? [.sqlite]
    }

    var testDescription: String { rawValue }
}

/// Folders the tests write (databases, signing keys, capability folders) live under one folder of this
/// test process, removed when the process exits, so test runs do not fill the machine's /tmp.
package enum Scratch {
    package static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("epi-tests-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// A new path under `root` (not created).
    package static func path(_ prefix: String) -> URL {
        root.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    }
}

/// A fresh, empty database per test: a temporary SQLite file, or a new PostgreSQL database.
struct TestDatabase {
    let location: DatabaseLocation
    let cleanup: @Sendable () async throws -> Void

    static func make(_ dialect: Dialect) async throws -> TestDatabase {
        switch dialect {
        case .sqlite:
            let dir = Scratch.path("db")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return TestDatabase(location: .sqliteFile(dir.appendingPathComponent("test.sqlite").path)) {
                try? FileManager.default.removeItem(at: dir)
            }
        case .postgres:
            let url = ProcessInfo.processInfo.environment["EPI_TEST_POSTGRES_URL"]!
            let name = "epi_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            try await admin(url) { try await $0.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
            guard var components = URLComponents(string: url) else { throw AppError.notFound }
            components.path = "/\(name)"
            return TestDatabase(location: .postgres(url: components.string!)) {
                try await admin(url) { try await $0.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
            }
        }
    }

    private static func admin(_ url: String, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        let db = try await Database.open(.postgres(url: url), logger: Logger(label: "test-admin"))
        do {
            try await db.transactionless(body)
        } catch {
            await db.shutdown()
            throw error
        }
        await db.shutdown()
    }
}

/// A running application on a fresh database with Hanoi's units and a set of users, one per role we test.
struct TestApp: Sendable {
    let services: AppServices
    /// Every route the router holds, with its declared access rule.
    var catalog = RouteCatalog()
    /// The router's own list of (method, path), to check the catalog is complete.
    var registered: [(method: String, path: String)] = []
    static let password = "correct horse battery"
    /// The day the tests' data is as of (`SimulatedDay`).
    static let today = CivilDate(dayNumber: CivilDate.september1st2021 + 19)

    /// Users: city, district (Hai Bà Trưng), two wards (Minh Khai, Bạch Mai), data entry, community team (group TDP01 of Minh Khai), checkpoint, supervisor.
    static let users: [(String, Role, String)] = [
        ("city", .cityCommand, "01"),
        ("hbt", .districtCommand, "01/007"),
        ("longbien", .districtCommand, "01/004"),
        ("minhkhai", .wardCommand, "01/007/00295"),
        ("bachmai", .wardCommand, "01/007/00286"),
        ("entry.mk", .wardDataEntry, "01/007/00295"),
        ("team.mk", .communityTeam, "01/007/00295/TDP01"),
        ("checkpoint.mk", .checkpoint, "01/007/00295"),
        ("supervisor.mk", .supervisor, "01/007/00295"),
    ]

    static func run(_ dialect: Dialect, mode: TestingSetup = .router, settings adjust: @Sendable (inout Settings) -> Void = { _ in },
                    _ body: @escaping @Sendable (TestApp, any TestClientProtocol) async throws -> Void) async throws {
        do {
            try await runUnwrapped(dialect, mode: mode, adjust, body)
        } catch let error as PSQLError {
            // PostgresNIO hides the server's message from `description`; a failing test should show it.
            throw DatabaseFailure(detail: String(reflecting: error))
        }
    }

    struct DatabaseFailure: Error, CustomStringConvertible {
        let detail: String
        var description: String { detail }
    }

    private static func runUnwrapped(_ dialect: Dialect, mode: TestingSetup, _ adjust: @Sendable (inout Settings) -> Void,
                                     _ body: @escaping @Sendable (TestApp, any TestClientProtocol) async throws -> Void) async throws {
        // Every test of this process runs on one clock, started on the tests' day at 10:00: far from the
        // midnight at which that day would end mid-run, and the same hour whenever the suite runs.
        Clock.simulate(TestApp.today, secondsOfDay: 10 * 3600)
        let database = try await TestDatabase.make(dialect)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        // Each test signs with its own keys, as a fresh deployment would.
        let keys = Scratch.path("keys").path
        var settings = Settings(database: database.location, bcryptCost: 4, keysDirectory: keys)
        adjust(&settings)
        let services = try await AppServices.start(settings: settings, logger: logger)
        do {
            try await HanoiSeed.seed(services.database)
            try await services.directory.reload()
            // The tests' data is dated September 2021: contact levels are judged as of then.
            try await services.database.transaction { try await SimulatedDay.set($0, TestApp.today) }
            let minhKhai = try await services.directory.unit("01/007/00295")!
            let city = CurrentUser(id: "test", username: "test", displayName: "test", role: .cityCommand, unitPath: try UnitPath("01"))
            _ = try await UnitRoutes(services: services).addGroup(to: minhKhai, code: "TDP01", name: "Tổ dân phố số 1", kind: nil, user: city)
            _ = try await UnitRoutes(services: services).addGroup(to: minhKhai, code: "TDP02", name: "Tổ dân phố số 2", kind: nil, user: city)
            let admin = UserAdmin(services: services)
            for (username, role, unit) in users {
                try await admin.create(username: username, displayName: "User \(username)", role: role, unit: unit, password: password, creator: nil)
            }
            let catalog = RouteCatalog()
            let router = buildRouter(services, catalog: catalog)
            let app = Application(router: router)
            let testApp = TestApp(services: services, catalog: catalog, registered: router.routes.map { ($0.method.rawValue, $0.path.description) })
            try await app.test(mode) { client in
                try await body(testApp, client)
            }
        } catch {
            await services.jobs.waitUntilIdle()
            await services.database.shutdown()
            try await database.cleanup()
            try? FileManager.default.removeItem(atPath: keys)
            throw error
        }
        await services.jobs.waitUntilIdle()
        await services.database.shutdown()
        try await database.cleanup()
        try? FileManager.default.removeItem(atPath: keys)
    }

    /// Inserts a person directly (bypassing HTTP) and returns it.
    @discardableResult
    func person(_ name: String, ward: String = "01/007/00295", citizenID: String? = nil, birth: String? = "1985-03-07", group: String? = nil,
                status: ResidenceStatus = .permanent, phone: String? = nil) async throws -> PersonRecord {
        let now = Timestamp.now()
        let record = PersonRecord(id: UUID().uuidString.lowercased(), fullName: name, nameFolded: VietnameseText.fold(name), givenFolded: VietnameseText.givenNameKey(name),
                                  sex: "male", birthDate: birth, citizenId: citizenID, oldId: nil, phone: phone, address: "Số 1", unitPath: ward, groupCode: group,
                                  householdCode: nil, residenceStatus: status.rawValue, residentUntil: nil, mergedInto: nil, createdAt: now, updatedAt: now, version: 1)
        try await services.database.transaction { try await PersonQueries.insert($0, [record]) }
        return record
    }

    func auditRows(entityId: String, action: String? = nil) async throws -> [AuditEntry] {
        let all = try await services.database.read { try await Audit.history($0, entityType: "person", entityId: entityId) }
        return action.map { a in all.filter { $0.action == a } } ?? all
    }
}

/// A browser-like session: cookies kept between requests, the CSRF token read from pages.
struct BrowserSession {
    var cookies: [String: String] = [:]
    var csrf = ""

    var cookieHeader: String { cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func absorb(_ response: TestResponse) {
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            if pair.count == 2 { cookies[pair[0]] = pair[1] }
        }
        let body = String(buffer: response.body)
        if let range = body.range(of: "name=\"_csrf\" value=\"") {
            let rest = body[range.upperBound...]
            csrf = String(rest.prefix { $0 != "\"" })
        }
    }

    @discardableResult
    mutating func get(_ client: any TestClientProtocol, _ path: String) async throws -> TestResponse {
        var headers = HTTPFields()
        if !cookies.isEmpty { headers[.cookie] = cookieHeader }
        let response = try await client.execute(uri: path, method: .get, headers: headers, body: nil)
        absorb(response)
        return response
    }

    @discardableResult
    mutating func post(_ client: any TestClientProtocol, _ path: String, form: [String: String], csrf includeCSRF: Bool = true) async throws -> TestResponse {
        var fields = form
        if includeCSRF, fields["_csrf"] == nil { fields["_csrf"] = csrf }
        let body = fields.map { "\(Self.encode($0.key))=\(Self.encode($0.value))" }.joined(separator: "&")
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if !cookies.isEmpty { headers[.cookie] = cookieHeader }
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
        absorb(response)
        return response
    }

    static func encode(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    /// Signs in through the login page like a browser and returns the session.
    static func login(_ client: any TestClientProtocol, _ username: String, password: String = TestApp.password) async throws -> BrowserSession {
        var session = BrowserSession()
        try await session.get(client, "/login")
        let response = try await session.post(client, "/login", form: ["username": username, "password": password])
        #expect(response.status == .seeOther, "login as \(username) failed: \(response.status)")
        try await session.get(client, "/")
        return session
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> [String: Any] {
        (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }
}

struct MissingValue: Error, CustomStringConvertible {
    let description: String
}

extension Optional {
    /// Like `!`, but a failed test instead of a crashed test run.
    func unwrapped(_ what: String = "value", sourceLocation: SourceLocation = #_sourceLocation) throws -> Wrapped {
        guard let self else { throw MissingValue(description: "missing \(what) at \(sourceLocation)") }
        return self
    }
}

extension TestApp {
    /// A test user as the server sees it after sign-in.
    func user(_ username: String) async throws -> CurrentUser {
        try await CLIImport.user(services, username: username)
    }

    /// The jurisdiction scope of a test user.
    func scope(for username: String) async throws -> Scope {
        try await Scope.of(try await user(username), directory: services.directory)
    }
}

extension TestApp {
    /// A complete ward daily report: live figures kept (all zero unless counters were fed), hand-entered ones given.
    static func wardDailyValues(samples: Int = 100, doses: Int = 50, f0: Int = 0, issues: String = "") -> [String: String] {
        ["f0_new": String(f0), "f0_community": "0", "f1_found": "0", "quarantine_facility": "0", "quarantine_home": "0", "f0_home_care": "0",
         "samples_taken": String(samples), "doses_given": String(doses), "situation": "Ổn định", "issues": issues]
    }

    func audit(_ entityType: String) async throws -> [AuditEntry] {
        try await services.database.read { db in
            try await db.raw("SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes FROM audit_log WHERE entity_type = \(bind: entityType) ORDER BY occurred_at, id")
                .all(decoding: AuditEntry.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
    }
}

extension BrowserSession {
    /// The `_key` idempotency field of the last form on a page.
    static func formKey(_ html: String) -> String {
        guard let range = html.range(of: "name=\"_key\" value=\"") else { return "" }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}

extension TestApp {
    /// JSON headers with a fresh API token of this user.
    func token(_ username: String) async throws -> HTTPFields {
        [.authorization: "Bearer \(try await services.auth.issueToken(username: username, name: "t"))", .contentType: "application/json"]
    }
}

extension TestClientProtocol {
    func json(_ method: HTTPRequest.Method, _ path: String, _ headers: HTTPFields, _ body: String? = nil) async throws -> TestResponse {
        try await execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

/// The F0 form as a ward officer fills it: the case and five contacts in one submission.
func intakeForm(name: String = "Nguyễn Văn Bình", phone: String = "0912345678", contacts: [(String, String)], key: String = UUID().uuidString) -> [String: String] {
    var form: [String: String] = ["p_full_name": name, "p_phone": phone, "p_unit": "01/007/00295", "p_group_code": "TDP01", "confirmed_on": "10/09/2021",
                                  "sampled_on": "09/09/2021", "test_type": "rt_pcr", "detected_in": "community", "care_setting": "home",
                                  "clinical_status": "mild", "_key": key]
    for (i, c) in contacts.enumerated() {
        form["c\(i)_name"] = c.0
        form["c\(i)_phone"] = c.1
        form["c\(i)_setting"] = "household"
    }
    return form
}

extension Array where Element == String {
    /// Row counts of these tables.
    func asyncMapCount(_ db: any SQLDatabase) async throws -> [Int] {
        var out: [Int] = []
        for table in self { out.append(try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()!.decode(column: "n", as: Int.self)) }
        return out
    }
}
