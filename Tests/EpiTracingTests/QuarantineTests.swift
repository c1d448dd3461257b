import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTracing

@Suite("Quarantine episodes, facilities and transfers")
struct QuarantineTests {
    @Test(arguments: Dialect.enabled)
    func theRuleInForceOnTheStartDateSetsTheEndAndTestDays(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let headers = try await app.token("minhkhai")
            let person = try await app.person("Ngô Thị Thu")
            let july = try await client.json(.post, "/api/v1/quarantine", headers, #"{"person_id": "\#(person.id)", "subject": "f1", "setting": "home", "start_date": "2021-09-01"}"#)
            #expect(july.status == .created)
            let episode = try july.json()["data"] as? [String: Any]
            #expect(episode?["planned_end"] as? String == "2021-09-15")
            #expect(episode?["monitoring_end"] as? String == "2021-09-15")
            let id = episode?["id"] as? String ?? ""
            let shown = try await client.json(.get, "/api/v1/quarantine/\(id)", headers)
            let tests = (try shown.json()["tests"] as? [[String: Any]]) ?? []
            #expect(tests.compactMap { $0["due_on"] as? String } == ["2021-09-01", "2021-09-07", "2021-09-14"])
            #expect(try await app.gauges("minhkhai")[.quarantineHome] == 1)
            // A second active episode for the same person is refused.
            let twice = try await client.json(.post, "/api/v1/quarantine", headers, #"{"person_id": "\#(person.id)", "setting": "home"}"#)
            #expect(twice.status == .conflict)

            // Before 14/7/2021 the 21-day facility rule applied, even to a home quarantine.
            let other = try await app.person("Ngô Văn Tâm", birth: "1970-01-01")
            let may = try await client.json(.post, "/api/v1/quarantine", headers, #"{"person_id": "\#(other.id)", "subject": "f1", "setting": "home", "start_date": "2021-07-01"}"#)
            #expect((try may.json()["data"] as? [String: Any])?["planned_end"] as? String == "2021-07-22")

            // Results, extension and release move the figures and the plan.
            #expect(try await client.json(.post, "/api/v1/quarantine/\(id)/tests", headers, #"{"day": 7, "result": "negative", "taken_on": "2021-09-07"}"#).status == .ok)
            let extended = try await client.json(.post, "/api/v1/quarantine/\(id)/extend", headers, #"{"days": 7, "reason": "F0 mới trong hộ"}"#)
            #expect((try extended.json()["data"] as? [String: Any])?["planned_end"] as? String == "2021-09-22")
            let noReason = try await client.json(.post, "/api/v1/quarantine/\(id)/extend", headers, #"{"days": 7, "reason": " "}"#)
            #expect(noReason.status == .unprocessableContent)
            let released = try await client.json(.post, "/api/v1/quarantine/\(id)/release", headers, #"{"released_on": "2021-09-22"}"#)
            #expect((try released.json()["data"] as? [String: Any])?["status"] as? String == "released")
            let g = try await app.gauges("minhkhai")
            #expect(g[.quarantineHome] == 1)  // Tâm is still in
            let scope = try await app.scope(for: "minhkhai")
            let daily = try await app.services.database.read { try await Counters.daily($0, scope: scope, [.quarantineReleased, .quarantineTests], from: CivilDate(year: 2021, month: 9, day: 1)!, to: CivilDate(year: 2021, month: 9, day: 30)!) }
            #expect(daily[.quarantineReleased]?[CivilDate(year: 2021, month: 9, day: 22)!] == 1)
            #expect(daily[.quarantineTests]?[CivilDate(year: 2021, month: 9, day: 7)!] == 1)
            // Another ward sees nothing of it.
            let bachMai = try await app.token("bachmai")
            #expect(try await client.json(.get, "/api/v1/quarantine/\(id)", bachMai).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/quarantine/\(id)/extend", bachMai, #"{"days": 1, "reason": "x"}"#).status == .notFound)
        }
    }

    @Test(arguments: Dialect.enabled)
    func quarantineStartsCloseTheF1sWindowAndReleaseTakesTheChainBelowAway(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let headers = try await app.token("entry.mk")
            let created = try await client.json(.post, "/api/v1/cases", headers, """
                {"person": {"full_name": "Đặng Văn Long", "phone": "0914000001"}, "confirmed_on": "2021-09-05", "contacts": [{"full_name": "Đặng Thị Mơ", "phone": "0914000002", "day": "2021-09-04"}]}
                """)
            #expect(created.status == .created)
            let mo = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone = '+84914000002'").first! }
            let late = try await app.person("Kiều Văn Nam", phone: "+84914000003")
            let early = try await app.person("Kiều Thị Ngọc", phone: "+84914000004")
            let recorded = try await client.json(.post, "/api/v1/people/\(mo.id)/contacts", headers, """
                {"contacts": [{"person_id": "\(early.id)", "day": "2021-09-06", "setting": "workplace"}, {"person_id": "\(late.id)", "day": "2021-09-09", "setting": "workplace"}]}
                """)
            #expect(recorded.status == .created)
            let before = try await app.levels()
            #expect(before[late.id] == 2 && before[early.id] == 2)
            // Mơ went into quarantine on 7/9: the 9/9 meeting no longer makes an F2.
            let started = try await client.json(.post, "/api/v1/quarantine", headers, #"{"person_id": "\#(mo.id)", "setting": "home", "start_date": "2021-09-07"}"#)
            #expect(started.status == .created)
            var levels = try await app.levels()
            #expect(levels[early.id] == 2 && levels[late.id] == nil)
            // Released negative on 21/9: she was never infected, so nobody below her is followed.
            let id = try (started.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            #expect(try await client.json(.post, "/api/v1/quarantine/\(id)/release", headers, #"{"released_on": "2021-09-21"}"#).status == .ok)
            levels = try await app.levels()
            #expect(levels[mo.id] == nil && levels[early.id] == nil)
            #expect(try await app.gauges("minhkhai")[.f2Active] ?? 0 == 0)
        }
    }

    @Test(arguments: Dialect.enabled)
    func facilitiesFillUpRefuseWhenFullAndTransfersAdmitOnArrival(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await UserAdmin(services: app.services).create(username: "kcl.hbt", displayName: "KCL Hai Bà Trưng", role: .quarantineFacility, unit: "01/007",
                                                               password: TestApp.password, creator: nil)
            let district = try await app.token("hbt")
            let made = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "KTX Đại học Bách khoa", "kind": "quarantine", "unit": "01/007", "capacity": 2}"#)
            #expect(made.status == .created)
            let facility = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            // A ward cannot create facilities (its role lacks the permission).
            #expect(try await client.json(.post, "/api/v1/facilities", try await app.token("minhkhai"), #"{"name": "X", "unit": "01/007/00295", "capacity": 5}"#).status == .forbidden)

            let ward = try await app.token("minhkhai")
            var made3: [PersonRecord] = []
            for i in 0..<3 { made3.append(try await app.person("Người cách ly \(i)", birth: "19\(70 + i)-01-01")) }
            let people = made3
            for p in people.prefix(2) {
                let r = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(p.id)", "setting": "facility", "facility_id": "\#(facility)"}"#)
                #expect(r.status == .created)
            }
            let full = try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(people[2].id)", "setting": "facility", "facility_id": "\#(facility)"}"#)
            #expect(full.status == .conflict)
            #expect((try full.json()["error"] as? [String: Any])?["code"] as? String == "facility_full")
            // Nothing was half-written for the refused person.
            #expect(try await app.services.database.read { try await QuarantineService.episodes($0, personID: people[2].id) }.isEmpty)
            #expect(try await app.gauges("minhkhai")[.quarantineFacility] == 2)

            // At 100% the district and the city see an alert; the city page totals it against the scenarios.
            let hbtScope = try await app.scope(for: "hbt")
            let alerts = try await app.services.database.read { db in try await app.services.dashboard.allAlerts(db, scope: hbtScope, now: Clock.now()) }
            #expect(alerts.contains { $0.kind == "facility_load" && $0.severity == .critical })
            var city = try await BrowserSession.login(client, "city")
            let page = try await city.get(client, "/facilities")
            #expect(page.text.contains("id=\"city-occupancy\">2<"))
            #expect(page.text.contains("30.000"))

            // One leaves; a transfer for the third is requested by the ward and completed by the facility's staff.
            let active = try await app.services.database.read { try await QuarantineService.episodes($0, personID: people[0].id) }.first!
            #expect(try await client.json(.post, "/api/v1/quarantine/\(active.id)/release", ward, #"{"return_home": true}"#).status == .ok)
            let transfer = try await client.json(.post, "/api/v1/transfers", ward, #"{"person_id": "\#(people[2].id)", "facility_id": "\#(facility)", "vehicle": "29A-123.45"}"#)
            #expect(transfer.status == .created)
            let transferID = try (transfer.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let staff = try await app.token("kcl.hbt")
            let listed = try await client.json(.get, "/api/v1/transfers", staff)
            let ids = (try listed.json()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids.contains(transferID))
            #expect(try await client.json(.post, "/api/v1/transfers/\(transferID)/complete", staff).status == .ok)
            let episodes = try await app.services.database.read { try await QuarantineService.episodes($0, personID: people[2].id) }
            #expect(episodes.first?.facilityId == facility && episodes.first?.isActive == true)
            let occupancy = try await app.services.database.read { try await QuarantineService.facility($0, id: facility)!.occupancy }
            #expect(occupancy == 2)
            // The release booked a ride home for the first person.
            #expect(try await app.services.database.read { try await $0.raw("SELECT id FROM transfers WHERE kind = 'return_home'").all() }.count == 1)
            // Facility staff reach people only through their facility: not another ward's registry.
            #expect(try await client.json(.get, "/api/v1/people/\(people[1].id)", staff).status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func anF0IsolatesWithTheCaseAndAnF1WhoTurnsPositiveMovesFromQuarantineToIsolation(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let district = try await app.token("hbt"), ward = try await app.token("entry.mk")
            let made = try await client.json(.post, "/api/v1/facilities", district, #"{"name": "BV dã chiến", "kind": "field_hospital", "unit": "01/007", "capacity": 1}"#)
            let facility = try (made.json()["data"] as? [String: Any])?["id"] as? String ?? ""
            let first = try await client.json(.post, "/api/v1/cases", ward, #"{"person": {"full_name": "Lò Văn Bảy"}, "confirmed_on": "2021-09-10", "care_setting": "facility", "facility_id": "\#(facility)", "contacts": [{"full_name": "Lò Thị Tám", "phone": "0917000008"}]}"#)
            #expect(first.status == .created)
            #expect(try await app.services.database.read { try await QuarantineService.facility($0, id: facility)!.occupancy } == 1)
            // The facility is full: the next F0 sent there is refused and nothing of it is kept.
            let full = try await client.json(.post, "/api/v1/cases", ward, #"{"person": {"full_name": "Lò Văn Chín"}, "confirmed_on": "2021-09-10", "care_setting": "facility", "facility_id": "\#(facility)"}"#)
            #expect(full.status == .conflict)
            #expect(try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons WHERE full_name = 'Lò Văn Chín'").first()!.decode(column: "n", as: Int.self) } == 0)

            // Tám, in home quarantine as an F1, tests positive: her quarantine ends and isolation starts.
            let tam = try await app.services.database.read { try await PersonQueries.fetch($0, "\(unsafeRaw: PersonQueries.select) WHERE phone = '+84917000008'").first! }
            #expect(try await client.json(.post, "/api/v1/quarantine", ward, #"{"person_id": "\#(tam.id)", "setting": "home", "start_date": "2021-09-10"}"#).status == .created)
            #expect(try await app.gauges("minhkhai")[.quarantineHome] == 1)
            #expect(try await client.json(.post, "/api/v1/cases", ward, #"{"person_id": "\#(tam.id)", "confirmed_on": "2021-09-14", "detected_in": "quarantine"}"#).status == .created)
            let episodes = try await app.services.database.read { try await QuarantineService.episodes($0, personID: tam.id) }
            #expect(episodes.map(\.status).sorted() == ["active", "transferred"])
            #expect(episodes.first { $0.isActive }?.kind == "isolation")
            let g = try await app.gauges("minhkhai")
            #expect(g[.quarantineHome] ?? 0 == 0 && g[.isolationHome] == 1 && g[.isolationFacility] == 1)
        }
    }

    /// A retry with the same Idempotency-Key gets the first answer and creates nothing more.
    @Test(arguments: Dialect.enabled)
    func retriedCreatesReturnTheFirstRecord(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var district = try await app.token("hbt"), ward = try await app.token("minhkhai")
            district[HTTPField.Name("Idempotency-Key")!] = "facility-1"
            let person = try await app.person("Âu Văn Lâm")
            func twice(_ path: String, _ headers: HTTPFields, _ body: String) async throws -> (String, String) {
                let a = try (try await client.json(.post, path, headers, body).json()["data"] as? [String: Any])?["id"] as? String ?? "a"
                let b = try (try await client.json(.post, path, headers, body).json()["data"] as? [String: Any])?["id"] as? String ?? "b"
                return (a, b)
            }
            let (f1, f2) = try await twice("/api/v1/facilities", district, #"{"name": "KCL thử", "unit": "01/007", "capacity": 10}"#)
            #expect(f1 == f2)
            ward[HTTPField.Name("Idempotency-Key")!] = "cluster-1"
            let (c1, c2) = try await twice("/api/v1/clusters", ward, #"{"name": "Ổ dịch thử", "unit": "01/007/00295"}"#)
            #expect(c1 == c2)
            ward[HTTPField.Name("Idempotency-Key")!] = "transfer-1"
            let (t1, t2) = try await twice("/api/v1/transfers", ward, #"{"person_id": "\#(person.id)", "facility_id": "\#(f1)"}"#)
            #expect(t1 == t2)
            ward[HTTPField.Name("Idempotency-Key")!] = "episode-1"
            let (e1, e2) = try await twice("/api/v1/quarantine", ward, #"{"person_id": "\#(person.id)", "setting": "home"}"#)
            #expect(e1 == e2)
            let counts = try await app.services.database.read { db in
                try await ["facilities", "clusters", "transfers", "episodes"].asyncMapCount(db)
            }
            #expect(counts == [1, 1, 1, 1])
        }
    }
}
