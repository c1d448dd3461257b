import EpiCore
import Foundation
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

/// Every route of the router × every role (and an API token) × a record inside and one outside the
/// caller's unit, generated from the route catalog, so a new route is covered without anyone adding
/// it here. It fails on:
/// - a route the router holds that the catalog does not (a route without an access rule);
/// - any 5xx;
/// - a success (2xx, or a redirect that is not an error or the login page) for a role the route's
///   rule does not admit, or for a record outside the caller's jurisdiction;
/// - a successful read that contains a person from outside the caller's jurisdiction;
/// - a write route with no request body described in `MatrixBodies`, so writes are exercised with
///   bodies that would succeed inside the jurisdiction.
@Suite("Authorization matrix: every route × every role × inside/outside")
struct AuthorizationMatrixTests {
    @Test(arguments: Dialect.enabled)
    func everyRouteHasAnAccessRule(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let declared = Set(app.catalog.rules.map { "\($0.method.rawValue) \($0.path)" })
            let routed = Set(app.registered.map { "\($0.method) \(MatrixRunner.normalize($0.path))" })
            #expect(routed.subtracting(declared).isEmpty, "routes without an access rule: \(routed.subtracting(declared).sorted())")
            #expect(declared.subtracting(routed).isEmpty, "catalog entries the router lacks: \(declared.subtracting(routed).sorted())")
            #expect(app.catalog.rules.count >= 150)
        }
    }

    @Test(arguments: Dialect.enabled)
    func noRoleReachesWhatItShouldNot(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let runner = try await MatrixRunner.prepare(app, client)
            let report = try await runner.run()
            #expect(report.failures.isEmpty, "\(report.failures.count) failures:\n\(report.failures.prefix(60).joined(separator: "\n"))")
            #expect(report.missingBodies.isEmpty, "write routes with no body in MatrixBodies: \(report.missingBodies.sorted())")
            #expect(report.requests > 3000, "only \(report.requests) requests")
            print("authorization matrix (\(dialect.rawValue)): \(report.routes) routes × \(report.callers) callers × inside/outside = \(report.requests) requests, \(report.denied) refused as expected")

            // Every route has now been called by every role: whatever the audit trail recorded must read as words.
            let unlabelled = try await Self.unlabelledAuditCodes(app)
            #expect(unlabelled.isEmpty, "audit codes without a label in both languages: \(unlabelled.sorted())")
        }
    }

    /// Actions, record kinds, changed fields and coded values in the audit trail that have no label.
    static func unlabelledAuditCodes(_ app: TestApp) async throws -> Set<String> {
        let entries = try await app.services.database.read { db in
            try await db.raw("SELECT id, occurred_at, user_id, username, action, entity_type, entity_id, unit_path, summary, changes FROM audit_log")
                .all(decoding: AuditEntry.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        var missing = Set<String>()
        for e in entries {
            if !Strings.hasLabel("audit_action", e.action) { missing.insert("audit_action.\(e.action)") }
            if !Strings.hasLabel("audit_entity", e.entityType) { missing.insert("audit_entity.\(e.entityType)") }
            for change in e.decodedChanges {
                if !AuditDisplay.hasFieldLabel(change.field, entity: e.entityType) { missing.insert("field.\(e.entityType).\(change.field)") }
                for value in [change.old, change.new].compactMap({ $0 }) where AuditDisplay.isCode(value) {
                    if !AuditDisplay.hasValueLabel(value, field: change.field, entity: e.entityType) { missing.insert("\(e.entityType).\(change.field).\(value)") }
                }
            }
        }
        return missing
    }
}

/// The records one side of the matrix holds: inside is Minh Khai (Hai Bà Trưng), outside a ward of Long Biên.
struct MatrixSide: Sendable {
    var ward = "", district = "", person = "", person2 = "", personName = "", caseID = "", exposure = "", episode = "", facility = ""
    var transfer = "", zone = "", cluster = "", message = "", task = "", shift = "", target = "", user = ""
    // Testing: a laboratory in the side's ward, a campaign with a point, a tube sent to the lab, results, a FHIR export.
    var lab = "", labCode = "", campaign = "", point = "", sample = "", batch = "", result = "", review = "", export = "", retest = ""
    // Movement: a business with an approved plan, a staff member, requested permits, and a ward voucher.
    var business = "", plan = "", permit = "", violation = "", finding = ""
    // Vaccination: a lot, a site in the side's ward with stock, a session, a dose of the side's person, their certificate.
    var vaxLot = "", vaxSite = "", vaxSession = "", vaxCertificate = "", vaxAefi = ""

    var wardSlug: String { ward.replacingOccurrences(of: "/", with: ".") }
    var districtSlug: String { district.replacingOccurrences(of: "/", with: ".") }
}

struct MatrixCaller: Sendable {
    let name: String
    let user: CurrentUser
    let session: BrowserSession?
    let bearer: String?
}

struct MatrixReport: Sendable {
    var failures: [String] = []
    var missingBodies: Set<String> = []
    var requests = 0
    var denied = 0
    var routes = 0
    var callers = 0
}

struct MatrixRunner: Sendable {
    let app: TestApp
    let client: any TestClientProtocol
    let inside: MatrixSide
    let outside: MatrixSide
    let callers: [MatrixCaller]

    /// Hummingbird prints parameters as `:id`, like the catalog, but may add a leading slash differently.
    static func normalize(_ path: String) -> String {
        "/" + path.split(separator: "/").map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }.joined(separator: "/")
    }

    static func prepare(_ app: TestApp, _ client: any TestClientProtocol) async throws -> MatrixRunner {
        let admin = UserAdmin(services: app.services)
        let outsideWard = try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path
        for (name, role, unit) in [("lab.mk", Role.lab, "01/007/00295"), ("vax.mk", .vaccinationSite, "01/007/00295"), ("kcl.hbt", .quarantineFacility, "01/007"),
                                   ("biz.mk", .business, "01/007/00295"), ("ward.lb", .wardCommand, outsideWard), ("target.in", .wardDataEntry, "01/007/00295"),
                                   ("target.out", .wardDataEntry, outsideWard)] {
            try await admin.create(username: name, displayName: "User \(name)", role: role, unit: unit, password: TestApp.password, creator: nil)
        }
        let inside = try await side(app, client, ward: "01/007/00295", district: "01/007", poster: "minhkhai", targetUser: "target.in", tag: "Nội")
        let outside = try await side(app, client, ward: outsideWard, district: "01/004", poster: "ward.lb", targetUser: "target.out", tag: "Ngoại")
        var callers: [MatrixCaller] = []
        for name in ["city", "hbt", "minhkhai", "entry.mk", "team.mk", "checkpoint.mk", "supervisor.mk", "lab.mk", "vax.mk", "kcl.hbt", "biz.mk"] {
            let user = try await app.user(name)
            let session = try await BrowserSession.login(client, name)
            callers.append(MatrixCaller(name: name, user: user, session: session, bearer: try await app.services.auth.issueToken(username: name, name: "matrix")))
        }
        // An API token used for pages as well, as a script would.
        callers.append(MatrixCaller(name: "minhkhai+token", user: try await app.user("minhkhai"), session: nil,
                                    bearer: try await app.services.auth.issueToken(username: "minhkhai", name: "matrix-pages")))
        return MatrixRunner(app: app, client: client, inside: inside, outside: outside, callers: callers)
    }

    /// Creates one side's records through the API, as the city (and the side's ward for its own streams).
    private static func side(_ app: TestApp, _ client: any TestClientProtocol, ward: String, district: String, poster: String, targetUser: String, tag: String) async throws -> MatrixSide {
        var s = MatrixSide()
        s.ward = ward
        s.district = district
        let city = try await app.token("city"), own = try await app.token(poster)
        func post(_ path: String, _ headers: HTTPFields, _ body: String) async throws -> [String: Any] {
            let r = try await client.json(.post, path, headers, body)
            guard (200..<300).contains(Int(r.status.code)) else { throw MissingValue(description: "setup \(path): \(r.status) \(r.text.prefix(300))") }
            return (try r.json()["data"] as? [String: Any]) ?? [:]
        }
        s.personName = "\(tag) Thị Matrận"
        s.person = try await post("/api/v1/people", city, #"{"full_name": "\#(s.personName)", "birth_date": "01/02/1980", "unit": "\#(ward)"}"#)["id"] as? String ?? ""
        s.person2 = try await post("/api/v1/people", city, #"{"full_name": "\#(tag) Văn Trùnglặp", "birth_date": "03/04/1981", "unit": "\#(ward)"}"#)["id"] as? String ?? ""
        let contactPhone = tag == "Nội" ? "0918000001" : "0918000002"
        s.caseID = try await post("/api/v1/cases", city, #"{"person_id": "\#(s.person)", "confirmed_on": "2021-09-10", "contacts": [{"full_name": "\#(tag) Văn Tiếpxúc", "phone": "\#(contactPhone)", "unit": "\#(ward)"}]}"#)["id"] as? String ?? ""
        let (caseID, personID) = (s.caseID, s.person)
        s.exposure = try await app.services.database.read { try await $0.raw("SELECT id FROM exposures WHERE case_id = \(bind: caseID)").first()?.decode(column: "id", as: String.self) } ?? ""
        s.episode = try await app.services.database.read { try await QuarantineService.episodes($0, personID: personID) }.first?.id ?? ""
        s.facility = try await post("/api/v1/facilities", city, #"{"name": "KCL \#(tag)", "unit": "\#(district)", "capacity": 100}"#)["id"] as? String ?? ""
        s.transfer = try await post("/api/v1/transfers", city, #"{"person_id": "\#(s.person2)", "facility_id": "\#(s.facility)"}"#)["id"] as? String ?? ""
        s.zone = try await post("/api/v1/zones", city, #"{"unit": "\#(ward)", "name": "Vùng \#(tag)", "addresses": "ngõ Thửnghiệm 1", "started_on": "2021-09-10"}"#)["id"] as? String ?? ""
        s.cluster = try await post("/api/v1/clusters", city, #"{"name": "Ổ dịch \#(tag)", "unit": "\#(ward)"}"#)["id"] as? String ?? ""
        s.message = try await post("/api/v1/messages", own, #"{"body": "Tin \#(tag)", "urgent": true}"#)["id"] as? String ?? ""
        s.task = try await post("/api/v1/tasks", city, #"{"title": "Việc \#(tag)", "due_at": "2030-01-01 08:00", "assignee_unit": "\#(s.wardSlug)"}"#)["id"] as? String ?? ""
        s.shift = try await post("/api/v1/rosters/shifts", city, #"{"unit": "\#(s.wardSlug)", "person_name": "Trực \#(tag)", "phone": "0912000000", "starts_at": "2030-01-01 08:00", "ends_at": "2030-01-01 16:00"}"#)["id"] as? String ?? ""
        s.target = try await post("/api/v1/targets", city, #"{"unit": "\#(s.wardSlug)", "title_vi": "Chỉ tiêu \#(tag)", "source": "metric:cases_new", "start_day": "2021-09-01", "due_day": "2021-09-30", "target_value": 10}"#)["id"] as? String ?? ""
        s.user = try await UserAdmin(services: app.services).id(of: targetUser)
        try await testingSide(&s, app, client, city: city, tag: tag)
        try await movementSide(&s, app, client, city: city, tag: tag)
        try await vaccinationSide(&s, app, client, city: city, tag: tag)
        for (what, value) in [("person", s.person), ("case", s.caseID), ("exposure", s.exposure), ("episode", s.episode), ("facility", s.facility),
                              ("transfer", s.transfer), ("zone", s.zone), ("cluster", s.cluster), ("message", s.message), ("task", s.task), ("shift", s.shift),
                              ("target", s.target), ("lab", s.lab), ("campaign", s.campaign), ("point", s.point), ("sample", s.sample), ("batch", s.batch),
                              ("result", s.result), ("review", s.review), ("export", s.export), ("retest", s.retest),
                              ("business", s.business), ("plan", s.plan), ("permit", s.permit), ("violation", s.violation), ("finding", s.finding),
                              ("vaccine lot", s.vaxLot), ("vaccination site", s.vaxSite), ("vaccination session", s.vaxSession), ("certificate", s.vaxCertificate), ("adverse event", s.vaxAefi)] where value.isEmpty {
            throw MissingValue(description: "setup made no \(what) for \(tag)")
        }
        return s
    }

    /// Testing records of one side, made as the city: a lab in the side's ward, a campaign and a point, a
    /// tube with the side's person sent to that lab, a negative result, a result waiting for review, an export.
    private static func testingSide(_ s: inout MatrixSide, _ app: TestApp, _ client: any TestClientProtocol, city: HTTPFields, tag: String) async throws {
        let ascii = tag == "Nội" ? "NOI" : "NGOAI"
        func post(_ path: String, _ body: String, headers: HTTPFields? = nil) async throws -> TestResponse {
            let r = try await client.json(.post, path, headers ?? city, body)
            guard (200..<300).contains(Int(r.status.code)) else { throw MissingValue(description: "setup \(path): \(r.status) \(r.text.prefix(300))") }
            return r
        }
        func data(_ r: TestResponse) throws -> [String: Any] { (try r.json()["data"] as? [String: Any]) ?? [:] }
        s.labCode = "XN\(ascii)"
        s.lab = try data(try await post("/api/v1/testing/labs", #"{"code": "\#(s.labCode)", "name": "XN \#(tag)", "unit": "\#(s.ward)", "hl7_facility": "LIS_\#(ascii)"}"#))["id"] as? String ?? ""
        s.campaign = try data(try await post("/api/v1/testing/campaigns", #"{"name": "Đợt \#(tag)", "unit": "\#(s.ward)", "starts_on": "2021-09-08", "deadline_on": "2021-09-15"}"#))["id"] as? String ?? ""
        s.point = try data(try await post("/api/v1/testing/campaigns/\(s.campaign)/points", #"{"unit": "\#(s.ward)", "name": "Điểm \#(tag)", "daily_capacity": 500}"#))["id"] as? String ?? ""
        s.sample = try data(try await post("/api/v1/testing/samples", #"{"point_id": "\#(s.point)", "label": "MT-\#(ascii)-1", "members": [{"person_id": "\#(s.person)"}]}"#))["id"] as? String ?? ""
        s.batch = try data(try await post("/api/v1/testing/batches", #"{"point_id": "\#(s.point)", "lab": "\#(s.labCode)"}"#))["id"] as? String ?? ""
        var csv = city
        csv[.contentType] = "text/csv"
        _ = try await post("/api/v1/testing/results/import?lab=\(s.labCode)",
                           "ma_ong_mau,ket_qua,thoi_gian_tra_ket_qua\nMT-\(ascii)-1,Âm tính,10/09/2021 08:00\nKHONGCO-\(ascii),Âm tính,10/09/2021 08:05\n", headers: csv)
        let (sampleID, labID) = (s.sample, s.lab)
        s.result = try await app.services.database.read { try await $0.raw("SELECT id FROM test_results WHERE sample_id = \(bind: sampleID)").first()?.decode(column: "id", as: String.self) } ?? ""
        s.review = try await app.services.database.read { try await $0.raw("SELECT id FROM test_results WHERE lab_id = \(bind: labID) AND match_status = 'review'").first()?.decode(column: "id", as: String.self) } ?? ""
        // A newcomer's re-test task (a pooled positive of someone kept by name): only the ward closes it by hand.
        let (retestID, resultID, ward) = (UUID().uuidString.lowercased(), s.result, s.ward)
        try await app.services.database.transaction { db in
            try await db.raw("""
                INSERT INTO retests (id, result_id, sample_id, member_id, person_id, full_name, unit_path, group_code, reason, status, created_at)
                VALUES (\(bind: retestID), \(bind: resultID), NULL, NULL, NULL, \(bind: "\(tag) Văn Mới"), \(bind: ward), '', 'pool_positive', 'open', '2021-09-10T09:00:00Z')
                """).run()
        }
        s.retest = retestID
        let kick = try await client.json(.get, "/fhir/Group/\(s.wardSlug)/$export", city)
        s.export = kick.headers[HTTPField.Name("Content-Location") ?? .location].map { String($0.split(separator: "/").last ?? "") } ?? ""
        await app.services.jobs.waitUntilIdle()
    }

    /// Movement records of one side, made as the city; the inside business is the one `biz.mk` acts for.
    private static func movementSide(_ s: inout MatrixSide, _ app: TestApp, _ client: any TestClientProtocol, city: HTTPFields, tag: String) async throws {
        func post(_ path: String, _ body: String, headers: HTTPFields? = nil) async throws -> [String: Any] {
            let r = try await client.json(.post, path, headers ?? city, body)
            guard (200..<300).contains(Int(r.status.code)) else { throw MissingValue(description: "setup \(path): \(r.status) \(r.text.prefix(300))") }
            return (try r.json()["data"] as? [String: Any]) ?? [:]
        }
        let inside = tag == "Nội"
        s.business = try await post("/api/v1/movement/businesses", #"{"tax_code": "\#(inside ? "0109123458" : "0105543211")", "name": "DN \#(tag)", "unit": "\#(s.ward)", "workforce": 10}"#)["id"] as? String ?? ""
        if inside {
            let (userID, businessID) = (try await UserAdmin(services: app.services).id(of: "biz.mk"), s.business)
            try await app.services.database.transaction { try await $0.raw("INSERT INTO business_accounts (user_id, business_id) VALUES (\(bind: userID), \(bind: businessID))").run() }
        }
        let items = PlanModel.threeOnSite.requiredItems.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        s.plan = try await post("/api/v1/movement/businesses/\(s.business)/plan", #"{"model": "three_on_site", "items": [\#(items)], "team": "Tổ trưởng", "commitment_by": "Giám đốc"}"#)["id"] as? String ?? ""
        _ = try await post("/api/v1/movement/plans/\(s.plan)/review", #"{"decision": "approve"}"#)
        var csv = city
        csv[.contentType] = "text/csv"
        _ = try await post("/api/v1/movement/businesses/\(s.business)/staff", "ho_ten,cccd\n\(tag) Văn Làm,\(inside ? "001085000101" : "001085000202")\n", headers: csv)
        _ = try await post("/api/v1/movement/businesses/\(s.business)/permits", #"{"valid_from": "2021-09-18", "valid_to": "2021-09-30"}"#)
        s.violation = try await post("/api/v1/movement/violations", #"{"kind": "no_mask", "person_id": "\#(s.person)", "amount": 2000000, "occurred_on": "2021-09-18"}"#)["id"] as? String ?? ""
        let inspection = try await client.json(.post, "/api/v1/movement/inspections", city, #"{"target_kind": "business", "business_id": "\#(s.business)", "team": "Đoàn \#(tag)", "items": ["masks"], "deadline": "2021-09-25"}"#)
        s.finding = ((try inspection.json()["findings"] as? [[String: Any]])?.first?["id"] as? String) ?? ""
        s.permit = try await post("/api/v1/movement/permits", #"{"person_id": "\#(s.person)", "citizen_id": "\#(inside ? "001080000303" : "001080000404")", "valid_from": "2021-09-18", "valid_to": "2021-09-25"}"#)["id"] as? String ?? ""
    }

    /// Vaccination records of one side, made as the city through the API.
    private static func vaccinationSide(_ s: inout MatrixSide, _ app: TestApp, _ client: any TestClientProtocol, city: HTTPFields, tag: String) async throws {
        let ascii = tag == "Nội" ? "NOI" : "NGOAI"
        func post(_ path: String, _ body: String) async throws -> [String: Any] {
            let r = try await client.json(.post, path, city, body)
            guard (200..<300).contains(Int(r.status.code)) else { throw MissingValue(description: "setup \(path): \(r.status) \(r.text.prefix(300))") }
            return (try r.json()["data"] as? [String: Any]) ?? [:]
        }
        s.vaxLot = try await post("/api/v1/vaccination/lots", #"{"product_code": "EU/1/20/1528", "lot_number": "LOT-\#(ascii)", "expires_on": "31/12/2030", "doses_per_vial": 6, "doses": 600}"#)["id"] as? String ?? ""
        s.vaxSite = try await post("/api/v1/vaccination/sites", #"{"name": "Điểm tiêm \#(tag)", "unit": "\#(s.ward)"}"#)["id"] as? String ?? ""
        _ = try await post("/api/v1/vaccination/allocations", #"{"decision_no": "QĐ-\#(ascii)", "lot_id": "\#(s.vaxLot)", "to": "site:\#(s.vaxSite)", "doses": 100}"#)
        s.vaxSession = try await post("/api/v1/vaccination/sessions", #"{"site_id": "\#(s.vaxSite)", "session_on": "10/09/2021", "capacity": 50, "product_code": "EU/1/20/1528"}"#)["id"] as? String ?? ""
        _ = try await post("/api/v1/vaccination/sessions/\(s.vaxSession)/record", #"{"person_id": "\#(s.person)", "lot_id": "\#(s.vaxLot)", "aefi": "Sốt nhẹ"}"#)
        let personID = s.person
        s.vaxAefi = try await app.services.database.read { try await $0.raw("SELECT id FROM vaccine_aefi WHERE person_id = \(bind: personID)").first()?.decode(column: "id", as: String.self) } ?? ""
        s.vaxCertificate = try await post("/api/v1/vaccination/people/\(s.person)/certificate", "{}")["id"] as? String ?? ""
    }

    /// The id a path parameter takes on one side.
    private func parameter(_ name: String, in path: String, _ s: MatrixSide) -> String? {
        switch name {
        case "slug": return path.contains("/reports/") || path.contains("risk/history") || path.contains("units") || path.contains("/fhir/") ? s.wardSlug : nil
        case "file": return "Patient-1.ndjson"
        case "code": return path.contains("report-templates") ? "ward_daily" : "ward_daily"
        case "period": return "2021-09-10"
        case "exposure": return s.exposure
        case "action": return "cancel"
        case "lang": return "en"
        case "id":
            let parts = path.split(separator: "/").filter { $0 != "api" && $0 != "v1" }.map(String.init)
            let resource = parts.first ?? ""
            if resource == "testing" || resource == "fhir" {
                switch parts.count > 1 ? parts[1] : "" {
                case "campaigns": return s.campaign
                case "samples": return s.sample
                case "batches": return s.batch
                case "results": return path.hasSuffix("/resolve") ? s.review : s.result
                case "labs": return s.lab
                case "retests": return s.retest
                case "Patient", "people": return s.person
                case "Observation": return s.result
                case "bulk": return s.export
                default: return nil
                }
            }
            if resource == "movement" {
                switch parts.count > 1 ? parts[1] : "" {
                case "businesses": return s.business
                case "plans": return s.plan
                case "permits": return s.permit
                case "violations": return s.violation
                case "inspections": return s.finding
                default: return nil
                }
            }
            if resource == "vaccination" {
                switch parts.count > 1 ? parts[1] : "" {
                case "sites": return s.vaxSite
                case "sessions": return s.vaxSession
                case "people": return s.person
                case "certificates": return s.vaxCertificate
                case "aefi": return s.vaxAefi
                default: return nil
                }
            }
            switch resource {
            case "people": return s.person
            case "cases": return s.caseID
            case "quarantine": return s.episode
            case "facilities": return s.facility
            case "transfers": return s.transfer
            case "zones": return s.zone
            case "clusters": return s.cluster
            case "messages": return s.message
            case "tasks": return s.task
            case "rosters": return s.shift
            case "dashboard", "targets": return s.target
            case "users": return s.user
            default: return nil
            }
        case "file": return "app.css"
        default: return nil
        }
    }

    func run() async throws -> MatrixReport {
        var report = MatrixReport()
        let rules = app.catalog.rules.filter { !MatrixBodies.exempt.contains("\($0.method.rawValue) \($0.path)") }
        report.routes = rules.count
        report.callers = callers.count
        // Outside first: those must never succeed, and run before inside writes change the records.
        for outsidePass in [true, false] {
            for rule in rules {
                let side = outsidePass ? outside : inside
                var path = rule.path
                var unresolved = false
                for segment in rule.path.split(separator: "/") where segment.hasPrefix(":") {
                    guard let value = parameter(String(segment.dropFirst()), in: rule.path, side) else { unresolved = true; continue }
                    path = path.replacingOccurrences(of: String(segment), with: value)
                }
                if unresolved { report.failures.append("no fixture for a parameter of \(rule.path)"); continue }
                let api = rule.path.hasPrefix("/api/")
                var body: MatrixBodies.Body? = nil
                if rule.method == .get, let query = MatrixBodies.query(rule.path, side: side) {
                    body = MatrixBodies.Body(form: [:], json: "", namesJurisdiction: true, query: query)
                }
                if rule.method != .get {
                    body = MatrixBodies.body(rule.method, rule.path, side: side, outside: outsidePass)
                    if body == nil { report.missingBodies.insert("\(rule.method.rawValue) \(rule.path)"); continue }
                }
                // An outside pass only means something where the request names a record or a unit.
                let namesSomething = [":id", ":slug", ":exposure"].contains { rule.path.contains($0) } || (body?.namesJurisdiction ?? false)
                if outsidePass && !namesSomething { continue }
                for caller in callers {
                    var path = path
                    var headers = HTTPFields()
                    var sendBody: ByteBuffer?
                    var session = caller.session
                    if let bearer = caller.bearer, api || session == nil {
                        headers[.authorization] = "Bearer \(bearer)"
                        session = nil
                    } else if let s = session {
                        headers[.cookie] = s.cookieHeader
                    }
                    if let body {
                        path += body.query
                    }
                    if let body, rule.method != .get {
                        if let csv = body.csv, api {
                            headers[.contentType] = "text/csv"
                            sendBody = ByteBuffer(string: csv)
                        } else if let csv = body.csv {
                            let boundary = "matrix-boundary"
                            headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
                            var fields = body.form
                            if let s = session { fields["_csrf"] = s.csrf }
                            var text = ""
                            for (k, v) in fields { text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n" }
                            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ds.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n--\(boundary)--\r\n"
                            sendBody = ByteBuffer(string: text)
                        } else if api {
                            headers[.contentType] = "application/json"
                            sendBody = ByteBuffer(string: body.json)
                        } else {
                            headers[.contentType] = "application/x-www-form-urlencoded"
                            var fields = body.form
                            if let s = session { fields["_csrf"] = s.csrf }
                            sendBody = ByteBuffer(string: fields.map { "\(BrowserSession.encode($0.key))=\(BrowserSession.encode($0.value))" }.joined(separator: "&"))
                        }
                    }
                    let response = try await client.execute(uri: path, method: rule.method, headers: headers, body: sendBody)
                    report.requests += 1
                    let status = Int(response.status.code)
                    let location = response.headers[.location] ?? ""
                    let succeeded = (200..<300).contains(status) || ((300..<400).contains(status) && !location.contains("error=") && !location.hasPrefix("/login"))
                    let label = "\(caller.name) \(rule.method.rawValue) \(path) [\(outsidePass ? "outside" : "inside")]"
                    if status >= 500 {
                        report.failures.append("\(label): \(status) \(response.text.prefix(200))")
                        continue
                    }
                    if !rule.access.allows(caller.user) {
                        if succeeded { report.failures.append("\(label): \(status) although the role lacks \(rule.access)") } else { report.denied += 1 }
                        continue
                    }
                    let coversOutside = caller.user.covers(try UnitPath(outside.ward))
                    if outsidePass && !coversOutside && rule.access != .open {
                        if succeeded && !MatrixBodies.outsideMaySucceed.contains("\(rule.method.rawValue) \(rule.path)") {
                            report.failures.append("\(label): \(status) for a record outside the caller's jurisdiction")
                        } else if !succeeded { report.denied += 1 }
                        continue
                    }
                    // A read inside the jurisdiction must not carry a person from outside it.
                    if rule.method == .get, succeeded, !coversOutside {
                        let text = response.text
                        for secret in [outside.person, outside.person2, outside.personName] where text.contains(secret) {
                            report.failures.append("\(label): shows \(secret) from outside the jurisdiction")
                        }
                    }
                }
            }
        }
        return report
    }
}

/// What each write route is sent: a body that would succeed inside the caller's jurisdiction, naming
/// the side's own records and units. A new write route fails the matrix until it is described here.
enum MatrixBodies {
    struct Body {
        var form: [String: String]
        var json: String
        /// True when the body names a unit or a record, so the outside pass is meaningful.
        var namesJurisdiction: Bool
        /// Appended to the path (the API import names its ward in the query).
        var query = ""
        /// A CSV file: the API's body (text/csv), or the file of a multipart form on a page.
        var csv: String? = nil
    }

    /// Routes left out, with the reason: signing in and out changes the caller's own session.
    static let exempt: Set<String> = ["POST /login", "POST /logout"]

    /// Reads of shared reference data that every signed-in user may see anywhere in the city: the
    /// administrative tree (names, codes, populations) and the quarantine facilities, where people of
    /// other wards appear by initials only (the leak check on inside reads covers those names).
    static let outsideMaySucceed: Set<String> = ["GET /units/:slug", "GET /api/v1/units/:slug", "GET /facilities/:id"]

    /// Reads that take their unit as `?unit=`: the outside pass sends the other side's unit.
    static func query(_ path: String, side s: MatrixSide) -> String? {
        let route = path.hasPrefix("/api/v1") ? String(path.dropFirst(7)) : path
        switch route {
        case "/dashboard", "/dashboard/targets", "/targets", "/messages", "/rosters", "/risk", "/residents/export.csv", "/movement", "/movement/counts",
             "/vaccination/coverage":
            return "?unit=\(s.wardSlug)"
        case "/reports/:code/completeness", "/reports/:code/consolidation", "/reports/:code/consolidation.csv", "/reports/:code/consolidation.xlsx",
             "/reports/:code/print", "/reports/:code/history":
            return "?unit=\(s.wardSlug)&period=2021-09-10"
        default: return nil
        }
    }

    static func body(_ method: HTTPRequest.Method, _ path: String, side s: MatrixSide, outside: Bool) -> Body? {
        let route = path.hasPrefix("/api/v1") ? String(path.dropFirst(7)) : path
        func both(_ fields: [String: String], json: String? = nil, names: Bool = true) -> Body {
            let encoded = json ?? "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}"
            return Body(form: fields, json: encoded, namesJurisdiction: names)
        }
        switch (method, route) {
        case (.post, "/people"): return both(["full_name": "Đinh Văn Mới", "birth_date": "05/05/1990", "unit": s.ward])
        case (.post, "/people/:id"), (.put, "/people/:id"): return both(["address": "Số 2 phố Sửa"], names: false)
        case (.post, "/people/:id/merge"): return both(["duplicate_id": s.person2])
        case (.post, "/people/:id/contacts"):
            return both(["c0_name": "Tôn Văn Gặp", "c0_phone": "0916900111", "c0_day": "10/09/2021"],
                        json: #"{"contacts": [{"full_name": "Tôn Văn Gặp", "phone": "0916900111", "day": "2021-09-10"}]}"#, names: false)
        case (.post, "/people/:id/contacts/import"):
            return Body(form: [:], json: "", namesJurisdiction: false, csv: "ho_ten,so_dien_thoai,ngay_tiep_xuc\nTôn Thị Gặp,0916900112,10/09/2021\n")
        case (.post, "/residents/import"):
            return Body(form: ["unit": s.ward], json: "", namesJurisdiction: true, query: "?unit=\(s.wardSlug)", csv: "ho_ten,ngay_sinh\nLã Văn Nhập,01/01/1970\n")
        case (.post, "/cases"):
            return both(["person_id": s.person2, "confirmed_on": "11/09/2021"], json: #"{"person_id": "\#(s.person2)", "confirmed_on": "2021-09-11"}"#)
        case (.post, "/cases/:id"), (.put, "/cases/:id"): return both(["clinical_status": "mild"], names: false)
        case (.post, "/cases/:id/contacts"):
            return both(["c0_name": "Mạc Văn Thêm", "c0_phone": "0916000111"], json: #"{"contacts": [{"full_name": "Mạc Văn Thêm", "phone": "0916000111"}]}"#, names: false)
        case (.post, "/cases/:id/exposures/:exposure/reached"): return both(["reached": "1"], names: false)
        case (.post, "/cases/:id/tracing/close"): return both(["note": "xong"], names: false)
        case (.post, "/clusters"): return both(["name": "Ổ dịch mới", "unit": s.ward])
        case (.post, "/quarantine"):
            return both(["person_id": s.person2, "subject": "f1", "setting": "facility", "facility_id": s.facility, "start_date": "10/09/2021"])
        case (.post, "/quarantine/:id/tests"): return both(["day": "1", "result": "negative"], json: #"{"day": 1, "result": "negative"}"#, names: false)
        case (.post, "/quarantine/:id/extend"): return both(["days": "2", "reason": "thiếu xét nghiệm"], json: #"{"days": 2, "reason": "thiếu xét nghiệm"}"#, names: false)
        case (.post, "/quarantine/:id/release"): return both(["outcome": "released", "released_on": "20/09/2021"], names: false)
        case (.post, "/facilities"):
            return both(["name": "KCL mới", "unit": s.district, "capacity": "20"], json: #"{"name": "KCL mới", "unit": "\#(s.district)", "capacity": 20}"#)
        case (.post, "/facilities/:id"): return both(["capacity": "150", "name": "KCL đổi tên"], json: #"{"capacity": 150}"#, names: false)
        case (.post, "/transfers"): return both(["person_id": s.person, "facility_id": s.facility])
        case (.post, "/transfers/:id/:action"): return both(["vehicle": "29A-12345"], names: false)
        case (.post, "/zones"): return both(["unit": s.ward, "name": "Vùng mới", "addresses": "ngõ Mới 2", "started_on": "10/09/2021"])
        case (.post, "/zones/:id/redraw"): return both(["addresses": "ngõ Thửnghiệm 1, ngõ Thửnghiệm 3", "reason": "mở rộng"], names: false)
        case (.post, "/zones/:id/lift"): return both(["ended_on": "20/09/2021", "note": "hết ca"], names: false)
        case (.post, "/zones/:id/supplies"):
            return both(["items": "Gạo 10 kg", "households": "3", "delivered_on": "12/09/2021"], json: #"{"items": "Gạo 10 kg", "households": 3, "delivered_on": "12/09/2021"}"#, names: false)
        case (.post, "/zones/:id/checkpoints"): return both(["name": "Chốt đầu ngõ", "location": "Số 1"], names: false)
        case (.post, "/units/:slug/groups"): return both(["code": outside ? "TDPX9" : "TDP09", "name": "Tổ dân phố số 9"], names: false)
        case (.post, "/units/:slug/population"), (.put, "/units/:slug/population"): return both(["population": "31234"], json: #"{"population": 31234}"#, names: false)
        case (.post, "/units/populations"):
            return Body(form: [:], json: "", namesJurisdiction: true, csv: "ma,dan_so\n\(s.ward.split(separator: "/").last ?? ""),30000\n")
        case (.post, "/users"): return both(["username": outside ? "moi.ngoai" : "moi.noi", "display_name": "Người mới", "role": "community_team", "unit": s.ward, "password": "Mật khẩu dài 2021"])
        case (.post, "/users/:id/active"): return both(["active": "0"], json: #"{"active": false}"#, names: false)
        case (.post, "/messages"): return both(["body": "Báo cáo nhanh", "urgent": "1"], json: #"{"body": "Báo cáo nhanh", "urgent": true}"#, names: false)
        case (.post, "/messages/:id/handled"): return both(["handled": "1"], json: "{}", names: false)
        case (.post, "/tasks"):
            return both(["title": "Việc mới", "due": "01/01/2030 08:00", "assignee": "unit:\(s.wardSlug)"],
                        json: #"{"title": "Việc mới", "due_at": "2030-01-01 08:00", "assignee_unit": "\#(s.wardSlug)"}"#)
        case (.post, "/tasks/:id/status"): return both(["status": "in_progress", "note": "đang làm"], names: false)
        case (.post, "/rosters/shifts"):
            return both(["unit": s.wardSlug, "person": "Trực mới", "phone": "0912000001", "start": "01/01/2030 08:00", "end": "01/01/2030 16:00"],
                        json: #"{"unit": "\#(s.wardSlug)", "person_name": "Trực mới", "phone": "0912000001", "starts_at": "2030-01-01 08:00", "ends_at": "2030-01-01 16:00"}"#)
        case (.post, "/rosters/shifts/:id/delete"): return both([:], json: "{}", names: false)
        case (.post, "/rosters/hotline"), (.put, "/rosters/hotline"): return both(["unit": s.wardSlug, "phone": "024 3822 0000", "note": "24/7"])
        case (.post, "/dashboard/targets"), (.post, "/targets"):
            return both(["unit": s.wardSlug, "title_vi": "Chỉ tiêu mới", "source": "metric:cases_new", "start_day": "01/09/2021", "due_day": "30/09/2021", "target_value": "5"],
                        json: #"{"unit": "\#(s.wardSlug)", "title_vi": "Chỉ tiêu mới", "source": "metric:cases_new", "start_day": "2021-09-01", "due_day": "2021-09-30", "target_value": 5}"#)
        case (.post, "/dashboard/targets/:id/remove"): return both([:], json: "{}", names: false)
        case (.post, "/reports/:code/:period/:slug"):
            let values = TestApp.wardDailyValues()
            var form: [String: String] = [:]
            for (k, v) in values { form["f.\(k)"] = v }
            let json = "{\"values\": {" + values.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}}"
            return Body(form: form, json: json, namesJurisdiction: false)
        case (.post, "/reports/:code/reminders"):
            return both(["period": "2021-09-10", "unit.\(s.ward)": "1", "note": "nhắc"], json: #"{"period": "2021-09-10", "units": ["\#(s.ward)"], "note": "nhắc"}"#)
        case (.post, "/report-templates"):
            return both(["code": "thu_nghiem", "title_vi": "Mẫu thử", "frequency": "daily", "time": "17:00", "level": "ward", "fields": "f0_new; number; Số ca; Cases; required min=0"],
                        json: #"{"code": "thu_nghiem", "title_vi": "Mẫu thử", "frequency": "daily", "time": "17:00", "level": "ward", "fields_spec": "f0_new; number; Số ca; Cases; required min=0"}"#, names: false)
        case (.post, "/report-templates/:code"):
            return both(["title_vi": "Báo cáo ngày", "frequency": "daily", "time": "17:00", "level": "ward", "fields": "f0_new; number; Số ca; Cases; required min=0", "active": "1"], names: false)
        case (.post, "/risk/compute"): return both(["week": "2021-W37", "unit": s.wardSlug])
        case (.post, "/risk/indicators"):
            return both(["unit": s.ward, "indicator": "coverage_first_dose_18", "value": "75", "as_of": "10/09/2021"],
                        json: #"{"unit": "\#(s.ward)", "indicator": "coverage_first_dose_18", "value": 75, "as_of": "10/09/2021"}"#)
        case (.post, "/rules/policies"):
            return both(["key": "tracing_deadline_hours", "value": "24", "effective_from": "01/01/2021"], json: #"{"key": "tracing_deadline_hours", "value": 24, "effective_from": "2021-01-01"}"#, names: false)
        case (.post, "/rules/quarantine"):
            return both(["effective_from": "01/10/2021", "subject": "f1", "setting": "home", "days": "7", "monitoring_days": "7", "test_days": "1,7"],
                        json: #"{"effective_from": "2021-10-01", "subject": "f1", "setting": "home", "days": 7, "monitoring_days": 7, "test_days": [1, 7]}"#, names: false)
        case (.post, "/rules/risk"): return both(["effective_from": "01/10/2021", "definition": "{}"], json: #"{"effective_from": "2021-10-01", "rules": {}}"#, names: false)
        case (.post, "/rules/recompute-levels"): return both([:], json: "{}", names: false)
        case (.post, "/testing/campaigns"):
            return both(["name": "Đợt mới", "unit": s.ward, "deadline_on": "20/09/2021"], json: #"{"name": "Đợt mới", "unit": "\#(s.ward)", "deadline_on": "2021-09-20"}"#)
        case (.post, "/testing/campaigns/:id/points"):
            return both(["unit": s.ward, "name": "Điểm mới", "daily_capacity": "300"], json: #"{"unit": "\#(s.ward)", "name": "Điểm mới", "daily_capacity": 300}"#, names: false)
        case (.post, "/testing/campaigns/:id/close"): return both([:], json: "{}", names: false)
        case (.post, "/testing/labs"):
            return both(["code": outside ? "XNX9" : "XNN9", "name": "Phòng mới", "unit": s.ward], json: #"{"code": "\#(outside ? "XNX8" : "XNN8")", "name": "Phòng mới", "unit": "\#(s.ward)"}"#)
        case (.post, "/testing/labs/:id"), (.put, "/testing/labs/:id"): return both(["name": "Phòng đổi tên"], names: false)
        case (.post, "/testing/samples"):
            return both(["point_id": s.point, "label": "MX-\(outside ? "O" : "I")-2", "p_0": s.person2],
                        json: #"{"point_id": "\#(s.point)", "label": "MX-\#(outside ? "O" : "I")-3", "members": [{"person_id": "\#(s.person2)"}]}"#)
        case (.post, "/testing/batches"):
            return both(["point_id": s.point, "lab": s.labCode], json: #"{"point_id": "\#(s.point)", "lab": "\#(s.labCode)"}"#)
        case (.post, "/testing/batches/:id/receive"): return both(["received_count": "1"], json: #"{"received_count": 1}"#, names: false)
        case (.post, "/testing/results/import"):
            return Body(form: ["lab": s.labCode], json: "", namesJurisdiction: true, query: "?lab=\(s.labCode)",
                        csv: "ma_ong_mau,ket_qua,thoi_gian_tra_ket_qua\nMT-\(outside ? "NGOAI" : "NOI")-1,Âm tính,10/09/2021 09:00\n")
        case (.post, "/testing/results/hl7"):
            let hl7 = ["MSH|^~\\&|LIS|LIS_X|EPICOMMAND|HANOI_CDC|20210910090000+0700||ORU^R01^ORU_R01|M\(outside ? "O" : "I")1|P|2.5.1",
                       "PID|1||001085012345^^^BCA^CCCD||NGUYEN^NAM^VAN", "OBR|1|||94500-6^SARS-CoV-2 RNA^LN|||20210910070000+0700",
                       "OBX|1|CWE|94500-6^SARS-CoV-2 RNA^LN||260415000^Not detected^SCT||||||F|||20210910070000+0700",
                       "SPM|1|MT-\(outside ? "NGOAI" : "NOI")-1"].joined(separator: "\r")
            return Body(form: [:], json: hl7, namesJurisdiction: true, query: "?lab=\(s.labCode)")
        case (.post, "/testing/results/fhir"):
            let bundle = #"{"resourceType": "Bundle", "type": "batch", "entry": [{"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "94500-6"}]}, "subject": {"identifier": {"system": "https://epicommand.vn/fhir/sid/cccd", "value": "001085012345"}}, "specimen": {"identifier": {"system": "https://epicommand.vn/fhir/sid/specimen-label", "value": "MT-X-9"}}, "effectiveDateTime": "2021-09-10T07:00:00+07:00", "issued": "2021-09-10T10:00:00+07:00", "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260415000"}]}}, "request": {"method": "POST", "url": "Observation"}}]}"#
            return Body(form: [:], json: bundle, namesJurisdiction: true, query: "?lab=\(s.labCode)")
        case (.post, "/testing/retests/:id/close"): return both(["result": "not_detected"], names: false)
        case (.post, "/testing/retests/:id/cancel"): return both(["reason": "Đã chuyển đi nơi khác"], names: false)
        case (.post, "/khai-bao-y-te"), (.post, "/public/declarations"):
            return both(["full_name": "Người Khai", "phone": "0912000111", "unit": s.ward, "form_token": "x"], names: false)
        case (.post, "/movement/businesses"):
            return both(["tax_code": outside ? "0109123497" : "0109123472", "name": "DN mới", "unit": s.ward, "workforce": "5"],
                        json: #"{"tax_code": "\#(outside ? "0109123514" : "0109123507")", "name": "DN mới", "unit": "\#(s.ward)", "workforce": 5}"#)
        case (.post, "/movement/businesses/:id/account"):
            return both(["username": outside ? "dn.ngoai" : "dn.noi", "display_name": "Tài khoản DN", "password": "Mật khẩu dài 2021"], names: false)
        case (.post, "/movement/businesses/:id/plan"):
            var form = ["model": "three_on_site", "team": "Tổ trưởng", "commitment_by": "Giám đốc"]
            for item in PlanModel.threeOnSite.requiredItems { form["item_\(item.rawValue)"] = "1" }
            let items = PlanModel.threeOnSite.requiredItems.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            return both(form, json: #"{"model": "three_on_site", "items": [\#(items)], "team": "Tổ trưởng", "commitment_by": "Giám đốc"}"#, names: false)
        case (.post, "/movement/businesses/:id/staff"):
            return Body(form: [:], json: "", namesJurisdiction: false, csv: "ho_ten,cccd\nLã Văn Làm,001070000999\n")
        case (.post, "/movement/businesses/:id/permits"): return both(["valid_from": "20/09/2021", "valid_to": "25/09/2021"], names: false)
        case (.post, "/movement/plans/:id/review"): return both(["decision": "suspend", "reason": "kiểm tra đột xuất"], names: false)
        case (.post, "/movement/permits"):
            return both(["person_id": s.person2, "citizen_id": "001080000777", "valid_from": "20/09/2021", "valid_to": "22/09/2021"])
        case (.post, "/movement/permits/approve"): return both(["business_id": s.business])
        case (.post, "/movement/permits/:id/revoke"): return both(["reason": "thử thu hồi"], names: false)
        case (.post, "/movement/check"), (.post, "/movement/checks"): return both(["code": "GDD-KHONGCO"], names: false)
        case (.post, "/movement/violations"):
            return both(["kind": "no_mask", "person_id": s.person2, "amount": "1500000"], json: #"{"kind": "no_mask", "person_id": "\#(s.person2)", "amount": 1500000}"#)
        case (.post, "/movement/violations/:id/status"): return both(["status": "appealed"], names: false)
        case (.post, "/movement/inspections"):
            return both(["target": "b:\(s.business)", "team": "Đoàn kiểm tra", "item_masks": "1", "deadline": "30/09/2021"],
                        json: #"{"target_kind": "business", "business_id": "\#(s.business)", "team": "Đoàn kiểm tra", "items": ["masks"], "deadline": "2021-09-30"}"#)
        case (.post, "/movement/inspections/findings/:id/fix"): return both([:], json: "{}", names: false)
        case (.post, "/movement/checks/batch"):
            return both([:], json: #"{"checks": [{"id": "\#(UUID().uuidString)", "result": "valid", "checked_at": "2021-09-20T08:00:00Z"}]}"#, names: false)
        case (.post, "/testing/results/:id/resolve"):
            return both(["action": "dismiss", "note": "ống thử"], names: false)
        case (.post, "/vaccination/lots"):
            let number = outside ? "LX-O" : "LX-I"
            return both(["product_code": "EU/1/20/1528", "lot_number": number, "expires_on": "31/12/2030", "doses_per_vial": "6", "doses": "60"],
                        json: #"{"product_code": "EU/1/20/1528", "lot_number": "\#(number)-API", "expires_on": "31/12/2030", "doses_per_vial": 6, "doses": 60}"#, names: false)
        case (.post, "/vaccination/sites"): return both(["name": "Điểm tiêm mới", "unit": s.ward])
        case (.post, "/vaccination/allocations"):
            return both(["decision_no": "QĐ-9", "lot_id": s.vaxLot, "to": "site:\(s.vaxSite)", "doses": "1"],
                        json: #"{"decision_no": "QĐ-9", "lot_id": "\#(s.vaxLot)", "to": "site:\#(s.vaxSite)", "doses": 1}"#)
        case (.post, "/vaccination/sites/:id/stock"):
            return both(["lot_id": s.vaxLot, "movement": "wasted", "doses": "1", "note": "vỡ lọ"],
                        json: #"{"lot_id": "\#(s.vaxLot)", "movement": "wasted", "doses": 1, "note": "vỡ lọ"}"#, names: false)
        case (.post, "/vaccination/sessions"):
            return both(["site_id": s.vaxSite, "session_on": "11/09/2021", "capacity": "10", "product_code": "EU/1/20/1528"],
                        json: #"{"site_id": "\#(s.vaxSite)", "session_on": "11/09/2021", "capacity": 10, "product_code": "EU/1/20/1528"}"#)
        case (.post, "/vaccination/sessions/:id/record"): return both(["person_id": s.person2, "lot_id": s.vaxLot], names: false)
        case (.post, "/vaccination/people/:id/certificate"): return both([:], json: "{}", names: false)
        case (.post, "/vaccination/certificates/:id/revoke"): return both(["reason": "cấp nhầm"], names: false)
        case (.post, "/certificates/verify"): return both(["code": "HC1:NCFOXN"], names: false)
        case (.post, "/vaccination/targets"):
            return both(["title": "18+ mũi 1", "min_age": "18", "kind": "first", "percent": "95", "due_on": "30/09/2021", "unit": s.ward],
                        json: #"{"title": "18+ mũi 1", "min_age": 18, "kind": "first", "percent": 95, "due_on": "30/09/2021", "unit": "\#(s.ward)"}"#)
        case (.post, "/vaccination/populations"):
            return both(["unit": s.ward, "age_group": "18-49", "population": "12000"], json: #"{"unit": "\#(s.ward)", "age_group": "18-49", "population": 12000}"#)
        case (.post, "/vaccination/aefi/:id/follow-up"):
            return both(["follow_up": "Đã hết sốt", "close": "1"], json: #"{"follow_up": "Đã hết sốt", "close": true}"#, names: false)
        case (.post, "/testing/risk-groups/import"):
            return Body(form: [:], json: "", namesJurisdiction: false, csv: "cccd,nhom\n\(outside ? "001085099998" : "001085099997"),shipper\n")
        case (.post, "/testing/people/:id/risk-groups"):
            return both(["group.shippers": "1"], json: #"{"groups": ["shippers"]}"#, names: false)
        case (.post, "/vaccination/coverage/recount"): return both(["unit": s.wardSlug])
        case (.post, "/vaccination/priority-groups"):
            return both(["code": "police", "label_vi": "4. Lực lượng Công an", "active": "1"], json: #"{"code": "police", "label_vi": "4. Lực lượng Công an"}"#, names: false)
        case (.post, "/vaccination/doses/import"):
            return Body(form: [:], json: "", namesJurisdiction: false, csv: "cccd,ngay_tiem,mui_so,vac_xin\n001180099999,10/09/2021,1,Pfizer\n")
        default: return nil
        }
    }
}
