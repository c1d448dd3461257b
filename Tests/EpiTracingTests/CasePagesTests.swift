import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing

/// Every page of the epidemiological core renders for the roles that use it, in both languages.
@Suite("Case, quarantine, zone and risk pages render")
struct CasePagesTests {
    @Test(arguments: Dialect.enabled)
    func everyPageRendersForTheWardAndTheCity(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai"), district = try await app.token("hbt")
            let created = try await client.json(.post, "/api/v1/cases", ward, #"{"person": {"full_name": "Chu Văn Ánh", "phone": "0916000001"}, "confirmed_on": "2021-09-10", "contacts": [{"full_name": "Chu Thị Bảo", "phone": "0916000002"}]}"#)
            let caseID = try (created.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let facility = try (try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KCL Hai Bà Trưng", "unit": "01/007", "capacity": 100}"#).json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let bao = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone = '+84916000002'").first! }
            let episode = try (try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(bao.id)", "setting": "facility", "facility_id": "\#(facility)"}"#).json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let zone = try (try await client.json(.post, "/api/v1/zones", ward, #"{"unit": "01/007/00295", "name": "Tổ 1", "groups": ["TDP01"]}"#).json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let cluster = try (try await client.json(.post, "/api/v1/clusters", ward, #"{"name": "Chợ Mai Động", "unit": "01/007/00295"}"#).json()["data"] as? [String: Any])?["id"] as? String ?? ""
            #expect(!caseID.isEmpty && !facility.isEmpty && !episode.isEmpty && !zone.isEmpty && !cluster.isEmpty)

            let pages = ["/cases", "/cases/new", "/cases/\(caseID)", "/cases/\(caseID)/chain", "/contacts", "/contacts?level=2", "/tracing", "/clusters",
                         "/clusters/\(cluster)", "/quarantine", "/quarantine/new?person=\(bao.id)", "/quarantine/\(episode)", "/facilities", "/facilities/\(facility)",
                         "/transfers?person=\(bao.id)", "/zones", "/zones/new", "/zones/\(zone)", "/risk", "/risk/history/01.007.00295", "/people/\(bao.id)"]
            for username in ["minhkhai", "city"] {
                var session = try await BrowserSession.login(client, username)
                for language in ["vi", "en"] {
                    session.cookies["lang"] = language
                    for path in pages {
                        let page = try await session.get(client, path)
                        #expect(page.status == .ok, "\(username) \(language) \(path)")
                        #expect(!page.text.contains("{{") && !page.text.contains("template") , "\(path) left template text")
                        #expect(page.text.contains("<main>"), "\(path)")
                    }
                }
            }
            var city = try await BrowserSession.login(client, "city")
            let rules = try await city.get(client, "/rules")
            #expect(rules.status == .ok && rules.text.contains("max_contact_level"))
            let vi = try await city.get(client, "/cases/\(caseID)")
            #expect(vi.text.contains("Người tiếp xúc"))
            city.cookies["lang"] = "en"
            #expect(try await city.get(client, "/cases/\(caseID)").text.contains("Contacts"))
        }
    }
}

@Suite("The person page's tracing section")
struct PersonSectionTests {
    /// The registry shows the page; tracing adds where the person stands, with links that name this person.
    @Test(arguments: Dialect.enabled)
    func thePersonPageShowsTheTracingSectionWithThisPersonsActions(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let person = try await app.person("Đỗ Văn Khánh")
            var ward = try await BrowserSession.login(client, "minhkhai")
            let page = try await ward.get(client, "/people/\(person.id)")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("id=\"person-epi\""))
            #expect(html.contains("href=\"/cases/new?person=\(person.id)\""))
            // The person's own name is on the page once in the header, not replaced by the section's data.
            #expect(html.contains("Đỗ Văn Khánh"))

            // A checkpoint officer may see people but not cases: no tracing section.
            var checkpoint = try await BrowserSession.login(client, "checkpoint.mk")
            let limited = try await checkpoint.get(client, "/people/\(person.id)")
            if limited.status == .ok {
                #expect(!String(buffer: limited.body).contains("person-epi"))
            }
        }
    }
}
