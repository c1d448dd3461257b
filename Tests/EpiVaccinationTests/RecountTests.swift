import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiVaccination

/// Coverage reads the registry's populations from a count kept for a day; after a resident import a
/// ward asks for a new count from the coverage page, and a double click counts once.
@Suite("Vaccination coverage: counting the registry again")
struct RecountTests {
    @Test(arguments: Dialect.enabled)
    func aWardCountsItsRegistryAgainFromTheCoveragePage(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            _ = try await VaccinationTests.setup(app, client)
            let ward = "01/007/00295"
            func population() async throws -> Int {
                let rows = try await app.services.database.read { db in
                    try await db.raw("SELECT population FROM vaccine_registry_populations WHERE unit_path = \(bind: ward) AND age_group = '50-64' AND as_of = \(bind: Clock.today().iso)").all()
                }
                return try rows.first?.decode(column: "population", as: Int.self) ?? -1
            }
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/vaccination/coverage").text
            #expect(page.contains("id=\"vax-recount\"") && page.contains("Đếm lại dân số từ sổ cư trú"))
            let before = try await population()
            #expect(before >= 0)
            // Someone of 50–64 registered after the count: the stored count does not see them yet.
            _ = try await app.person("Lê Văn Năm", ward: ward, birth: CivilDate(year: Clock.today().year - 55, month: 3, day: 3)?.iso ?? "1966-03-03")
            _ = try await browser.get(client, "/vaccination/coverage")
            #expect(try await population() == before)
            // Asked within a minute of the count, the recount returns that count: nothing is counted twice.
            let soon = try await browser.post(client, "/vaccination/coverage/recount", form: ["unit": "01.007.00295"])
            #expect(soon.headers[.location] == "/vaccination/coverage?unit=01.007.00295")
            #expect(try await population() == before)
            // Two minutes later it counts again and finds them; the coverage page shows the new count.
            try await app.services.database.transaction { db in
                try await db.raw("UPDATE vaccine_registry_populations SET counted_at = \(bind: Timestamp.string(Date().addingTimeInterval(-120)))").run()
            }
            let token = try await app.token("minhkhai")
            let api = try await client.json(.post, "/api/v1/vaccination/coverage/recount", token, #"{"unit": "01.007.00295"}"#)
            #expect(api.status == .ok)
            let counted = (try api.json()["data"] as? [String: Any])?["populations_counted_at"] as? String ?? ""
            #expect(counted > Timestamp.string(Date().addingTimeInterval(-60)))
            #expect(try await population() == before + 1)
            // A ward may not count another district's wards; every request that counted or was answered leaves an audit row.
            #expect(try await client.json(.post, "/api/v1/vaccination/coverage/recount", token, #"{"unit": "01.004"}"#).status == .notFound)
            let audits = try await app.services.database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'recount_population' AND entity_id = \(bind: ward)").first()?.decode(column: "n", as: Int.self) ?? 0
            }
            #expect(audits == 2)
        }
    }
}
