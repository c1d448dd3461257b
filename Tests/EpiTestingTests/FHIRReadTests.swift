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
}
