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
@testable import EpiReporting

@Suite("Reports API: JSON submissions, repeat-safe keys, field errors, the OpenAPI document")
struct ReportAPITests {
    @Test(arguments: Dialect.enabled)
    func anAPIClientSubmitsOnceAndGetsFieldErrors(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.services.auth.issueToken(username: "minhkhai", name: "t")
            let day = Clock.today().iso
            let uri = "/api/v1/reports/ward_daily/\(day)/01.007.00295"
            func post(_ json: String, key: String?) async throws -> TestResponse {
                var headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
                if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
                return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
            }
            // Numbers may be sent as numbers or strings; a bad value is named with a stable code.
            let bad = try await post(#"{"values": {"f0_new": 0, "f1_found": 0, "quarantine_facility": 0, "quarantine_home": 0, "samples_taken": "nhiều", "doses_given": -1, "situation": "Tốt"}}"#, key: "a")
            #expect(bad.status == .unprocessableContent)
            let details = (try bad.json()["error"] as? [String: Any])?["details"] as? [String: String]
            #expect(details == ["samples_taken": "not_a_number", "doses_given": "below_min", "situation": "not_a_choice"])
            let good = #"{"values": {"f0_new": 0, "f1_found": 0, "quarantine_facility": 0, "quarantine_home": 0, "samples_taken": 1832, "doses_given": "640", "situation": "Ổn định"}}"#
            let first = try await post(good, key: "b")
            #expect(first.status == .created)
            #expect(((try first.json()["data"] as? [String: Any])?["values"] as? [String: String])?["samples_taken"] == "1832")
            // The same key again: the same answer, no second submission.
            #expect(try await post(good, key: "b").status == .created)
            // A new key on a locked report: refused.
            let locked = try await post(good, key: "c")
            #expect(locked.status == .conflict)
            #expect((try locked.json()["error"] as? [String: Any])?["code"] as? String == "report_locked")
            let rows = try await app.services.database.read { try await ReportStore.history($0, code: "ward_daily", period: day, unit: "01/007/00295") }
            #expect(rows.count == 1)
            let shown = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(try shown.json()["status"] as? String != "missing")
        }
    }

    @Test(arguments: Dialect.enabled)
    func everyReportingEndpointIsInTheOpenAPIDocument(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            let doc = try await client.execute(uri: "/api/openapi.json", method: .get).json()
            let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
            let expected: [(String, String)] = [
                ("/api/v1/reports", "get"), ("/api/v1/report-templates", "get"), ("/api/v1/report-templates", "post"), ("/api/v1/report-templates/{code}", "get"),
                ("/api/v1/reports/{code}/{period}/{slug}", "get"), ("/api/v1/reports/{code}/{period}/{slug}", "post"),
                ("/api/v1/reports/{code}/completeness", "get"), ("/api/v1/reports/{code}/history", "get"), ("/api/v1/reports/{code}/reminders", "post"),
                ("/api/v1/reports/{code}/consolidation", "get"), ("/api/v1/reports/{code}/consolidation.csv", "get"), ("/api/v1/reports/{code}/consolidation.xlsx", "get"),
                ("/api/v1/dashboard", "get"), ("/api/v1/targets", "get"), ("/api/v1/targets", "post"),
                ("/api/v1/messages", "get"), ("/api/v1/messages", "post"), ("/api/v1/messages/{id}/handled", "post"),
                ("/api/v1/tasks", "get"), ("/api/v1/tasks", "post"), ("/api/v1/tasks/{id}", "get"), ("/api/v1/tasks/{id}/status", "post"),
                ("/api/v1/rosters", "get"), ("/api/v1/rosters/shifts", "post"), ("/api/v1/rosters/hotline", "put"), ("/api/v1/public/hotlines", "get"),
            ]
            for (path, method) in expected {
                #expect(paths[path]?[method] != nil, "\(method.uppercased()) \(path) not documented")
            }
            // The public directory needs no credentials, in the document as on the server.
            #expect((paths["/api/v1/public/hotlines"]?["get"] as? [String: Any])?["security"] as? [Any] != nil)
            #expect(try await client.execute(uri: "/api/v1/public/hotlines", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/api/v1/dashboard", method: .get).status == .unauthorized)
        }
    }
}
