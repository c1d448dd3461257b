import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

@Suite("FHIR read API: errors as OperationOutcome, Observation by id, Bulk Data manifest")
struct FHIRReadTests {
    /// The issue code of an OperationOutcome answer, or nil when the answer is not one.
    static func outcome(_ r: TestResponse) -> String? {
        guard r.headers[.contentType]?.hasPrefix("application/fhir+json") == true, let json = try? r.json(), json["resourceType"] as? String == "OperationOutcome" else { return nil }
        return ((json["issue"] as? [[String: Any]])?.first)?["code"] as? String
    }

    @Test(arguments: Dialect.enabled)
    func everyErrorOnFHIRPathsIsAnOperationOutcomeWithItsStatus(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            _ = try await TestingFixture.make(app)
            let far = try await app.person("Người Long Biên", ward: try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path)
            // Not signed in: 401, not a redirect to the login page.
            let anonymous = try await client.execute(uri: "/fhir/Patient/x", method: .get, headers: [:], body: nil)
            #expect(anonymous.status == .unauthorized && Self.outcome(anonymous) == "login", "\(anonymous.status) \(anonymous.text.prefix(200))")
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            // A bad token: 401 too.
            let badToken = try await client.execute(uri: "/fhir/Condition", method: .get, headers: [.authorization: "Bearer nope"], body: nil)
            #expect(badToken.status == .unauthorized && Self.outcome(badToken) == "login")
            // A role without exportFHIR: 403, from the route's rule, before the handler runs; a browser session too.
            let ward = try await client.json(.get, "/fhir/Condition", try await app.token("minhkhai"))
            #expect(ward.status == .forbidden && Self.outcome(ward) == "forbidden", "\(ward.text.prefix(200))")
            var session = try await BrowserSession.login(client, "minhkhai")
            let page = try await session.get(client, "/fhir/Condition")
            #expect(page.status == .forbidden && Self.outcome(page) == "forbidden")
            // No such path, and a person outside the jurisdiction: 404.
            let district = try await app.token("hbt")
            let nowhere = try await client.json(.get, "/fhir/Encounter", district)
            #expect(nowhere.status == .notFound && Self.outcome(nowhere) == "not-found", "\(nowhere.text.prefix(200))")
            let outside = try await client.json(.get, "/fhir/Patient/\(far.id)", district)
            #expect(outside.status == .notFound && Self.outcome(outside) == "not-found")
            // A missing parameter: 422 in the caller's language.
            var english = district
            english[.cookie] = "lang=en"
            let missing = try await client.json(.get, "/fhir/Observation", english)
            #expect(missing.status == .unprocessableContent && Self.outcome(missing) == "invalid" && missing.text.contains("patient parameter"))
            // Everywhere else the envelope and pages stay as they were.
            #expect(try await client.json(.get, "/api/v1/nowhere", district).text.contains("\"error\""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func anObservationIsReadByTheIdTheSearchAndThePOSTLocationGive(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            let binh = try await app.person("Phan Thị Bình"), chi = try await app.person("Phan Thị Chi")
            try await fx.sample(app, label: "OB-1", people: [an])
            try await fx.sample(app, label: "OB-2", people: [binh, chi])
            let lab = try await app.token("lab.mk")
            // The lab posts a transaction; the Location it gets back is readable by the district.
            let posted = try await client.raw(.post, "/api/v1/testing/results/fhir", lab, contentType: "application/fhir+json",
                                              try ResultImportTests.bundle(kind: .transaction, label: "OB-1", cccd: "001085000001", value: .notDetected, entryID: "OB1"))
            let location = try #require(((try posted.json()["entry"] as? [[String: Any]])?.compactMap { ($0["response"] as? [String: Any])?["location"] as? String }.first))
            let id = try #require(location.split(separator: "/").dropFirst().first.map(String.init))
            let y = TestingFixture.yesterday.vietnamese
            _ = try await client.raw(.post, "/api/v1/testing/results/import", lab, contentType: "text/csv", ResultImportTests.csv(["OB-2,Âm tính,\(y) 20:00,,,,"]))
            let district = try await app.token("hbt")
            let views = try await app.auditRows(entityId: an.id, action: "view").count
            let one = try await client.json(.get, "/fhir/Observation/\(id)", district)
            #expect(one.status == .ok && one.headers[.contentType]?.hasPrefix("application/fhir+json") == true, "\(one.status) \(one.text.prefix(300))")
            let body = try one.json()
            #expect(body["resourceType"] as? String == "Observation" && body["id"] as? String == id)
            #expect((body["subject"] as? [String: Any])?["reference"] as? String == "Patient/\(an.id)")
            #expect(try await app.auditRows(entityId: an.id, action: "view").count == views + 1)
            // Each pooled member's Observation, as the search lists it, is readable too, about that member.
            let search = try await client.json(.get, "/fhir/Observation?patient=Patient/\(chi.id)", district)
            let memberID = try #require(((try search.json()["entry"] as? [[String: Any]])?.compactMap { ($0["resource"] as? [String: Any])?["id"] as? String }.first))
            let member = try await client.json(.get, "/fhir/Observation/\(memberID)", district)
            let memberSubject = (try member.json()["subject"] as? [String: Any])?["reference"] as? String
            #expect(member.status == .ok && memberSubject == "Patient/\(chi.id)")
            // The pooled tube's own result names nobody; an id that is no Observation is 404.
            let tube = try #require(try await app.results().first { $0.label == "OB-2" })
            let whole = try await client.json(.get, "/fhir/Observation/\(tube.id)", district)
            let wholeBody = try whole.json()
            #expect(whole.status == .ok && wholeBody["subject"] == nil && wholeBody["specimen"] != nil)
            #expect(try await client.json(.get, "/fhir/Observation/\(tube.id).99", district).status == .notFound)
            #expect(try await client.json(.get, "/fhir/Observation/\(id).x", district).status == .notFound)
            // Outside the jurisdiction, and for a role without exportFHIR: refused, as OperationOutcome.
            let far = try await client.json(.get, "/fhir/Observation/\(id)", try await app.token("longbien"))
            #expect(far.status == .notFound && Self.outcome(far) == "not-found")
            let labRead = try await client.json(.get, "/fhir/Observation/\(id)", lab)
            #expect(labRead.status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func theBulkDataManifestGivesAbsoluteURLsAClientCanFetch(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "BK-1", people: [an])
            let district = try await app.token("hbt")
            let kick = try await client.json(.get, "/fhir/Group/01.007.00295/$export", district)
            let poll = try #require(kick.headers[HTTPField.Name("Content-Location") ?? .location])
            #expect(kick.status == .accepted && poll.hasPrefix("http://localhost/fhir/bulk/"), "\(poll)")
            await app.services.jobs.waitUntilIdle()
            // Behind a TLS proxy the addresses say https.
            var proxied = district
            proxied[HTTPField.Name("X-Forwarded-Proto") ?? .via] = "https"
            let path = String(poll.dropFirst("http://localhost".count))
            let status = try await client.json(.get, path, proxied)
            #expect(status.status == .ok, "\(status.status) \(status.text.prefix(200))")
            let manifest = try status.json()
            #expect(manifest["request"] as? String == "https://localhost/fhir/Group/01.007.00295/$export")
            let urls = (manifest["output"] as? [[String: Any]])?.compactMap { $0["url"] as? String } ?? []
            #expect(!urls.isEmpty && urls.allSatisfy { $0.hasPrefix("https://localhost/fhir/bulk/") && $0.hasSuffix(".ndjson") }, "\(urls)")
            // Each URL, as given, is the file.
            let patients = try #require(urls.first { $0.contains("/Patient-") })
            let file = try await client.json(.get, String(patients.dropFirst("https://localhost".count)), district)
            #expect(file.status == .ok && file.text.contains(an.id))
        }
    }
}
