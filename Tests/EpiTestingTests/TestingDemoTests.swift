import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

/// `serve --demo`'s testing data (TestingDemo), made through the services on the demo's accounts and
/// synthetic residents: what docs/testing.md says the demo holds.
@Suite("Testing demo of serve --demo")
struct TestingDemoTests {
    @Test(arguments: Dialect.enabled)
    func theDemoHasALabACampaignTubesBatchesAndResults(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let admin = UserAdmin(services: app.services)
            for (username, name, role, unit) in DemoSeed.users where ["q.haibatrung", "p.minhkhai", "p.bachmai", TestingDemo.labUsername].contains(username) {
                try await admin.create(username: username, displayName: name, role: role, unit: unit, password: DemoSeed.password, creator: nil)
            }
            _ = try await SyntheticPopulation.generate(app.services, count: 1000, seed: 7, under: ["01/007"]) { _ in }
            try await TestingDemo.seed(app.services) { _ in }

            let db = app.services.database
            let labs = try await db.read { try await TestingQueries.labs($0) }
            let lab = try #require(labs.first { $0.code == TestingDemo.labCode })
            #expect(lab.unitPath == "01/007/00295")
            let labUser = try await app.user(TestingDemo.labUsername)
            #expect(labUser.role == .lab)

            func count(_ sql: String) async throws -> Int {
                try await db.read { try await $0.raw("\(unsafeRaw: sql)").first()?.decode(column: "n", as: Int.self) ?? -1 }
            }
            #expect(try await count("SELECT COUNT(*) AS n FROM campaigns WHERE pool_size = 5 AND unit_path = '01/007' AND status = 'active' AND target_kind = 'units'") == 1)
            // The ward's lists: half of its adults with a CCCD are market traders, three in ten shippers, the rest
            // health workers (30, 18 and 12 in the demo); the traders' campaign targets exactly the traders.
            let traders = try await count("SELECT COUNT(*) AS n FROM person_risk_groups WHERE group_code = 'market_traders'")
            let listed = try await count("SELECT COUNT(*) AS n FROM person_risk_groups")
            #expect(traders >= 5 && traders == listed / 2)
            #expect(try await count("SELECT COUNT(*) AS n FROM person_risk_groups WHERE group_code = 'shippers'") == listed * 4 / 5 - listed / 2)
            #expect(try await count("""
                SELECT CAST(SUM(cu.target) AS BIGINT) AS n FROM campaign_units cu JOIN campaigns c ON c.id = cu.campaign_id
                WHERE c.target_kind = 'group' AND c.target_group = 'market_traders'
                """) == traders)
            #expect(try await count("SELECT COUNT(*) AS n FROM sampling_points") == 2)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples") == 28)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples WHERE kind = 'pooled'") == 17)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples WHERE status = 'collected'") == 6)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples WHERE status = 'in_transit'") == 10)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples WHERE status = 'received'") == 2)
            #expect(try await count("SELECT COUNT(*) AS n FROM samples WHERE status = 'resulted'") == 10)
            #expect(try await count("SELECT COUNT(*) AS n FROM sample_batches WHERE status = 'received' AND received_count = 12") == 1)
            #expect(try await count("SELECT COUNT(*) AS n FROM sample_batches WHERE status = 'in_transit'") == 1)
            #expect(try await count("SELECT COUNT(*) AS n FROM test_results WHERE value = 'not_detected'") == 9)
            #expect(try await count("SELECT COUNT(*) AS n FROM test_results WHERE value = 'detected' AND label = 'MK0919-005'") == 1)
            #expect(try await count("SELECT COUNT(*) AS n FROM retests WHERE status = 'open'") == 3)
            #expect(try await count("SELECT COUNT(*) AS n FROM cases") == 0, "a pooled positive opens re-tests, not an F0")

            // Nothing after the simulated day: tubes, batches and results are all dated on or before it.
            let today = Clock.today()
            let days = try await db.read { db in
                try await db.raw("SELECT sampled_on AS d FROM samples UNION SELECT substr(sent_at, 1, 10) FROM sample_batches UNION SELECT substr(resulted_at, 1, 10) FROM test_results")
                    .all().map { try $0.decode(column: "d", as: String.self) }
            }
            #expect(days.allSatisfy { $0 <= today.iso }, "\(days)")
        }
    }
}
