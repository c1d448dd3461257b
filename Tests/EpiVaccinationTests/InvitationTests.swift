import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiVaccination

/// A session's invitation list must fill from the whole ward: a ward whose first people by name are
/// vaccinated already still invites those further down, and nobody who is not due is invited.
@Suite("Vaccination session invitations")
struct InvitationTests {
    static let ward = "01/001/00001"
    static let pfizer = "EU/1/20/1528"

    @Test(arguments: Dialect.enabled)
    func theListReadsPastVaccinatedPeopleUntilItIsFull(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let day = TestApp.today
            // Sorted by name: An, Bình, Cường were dosed 20 days ago (due at 21 days), Dung 5 days ago,
            // Em and Giang never, Hà 25 days ago (due for dose 2), Khánh is 15.
            var found: [String: String] = [:]
            for (name, birth) in [("An", "1980-01-01"), ("Bình", "1981-01-01"), ("Cường", "1982-01-01"), ("Dung", "1983-01-01"),
                                  ("Em", "1984-01-01"), ("Giang", "1985-01-01"), ("Hà", "1986-01-01"), ("Khánh", day.adding(days: -15 * 365).iso)] {
                found[name] = try await app.person("Nguyễn Văn \(name)", ward: Self.ward, birth: birth).id
            }
            let ids = found
            try await app.services.database.transaction { db in
                for (name, ago) in [("An", 20), ("Bình", 20), ("Cường", 20), ("Dung", 5), ("Hà", 25)] {
                    try await db.raw("""
                        INSERT INTO vaccine_doses (id, person_id, unit_path, group_code, dose_number, counts, given_on, product_code, manufacturer_code, source, created_by, created_at)
                        VALUES (\(bind: Identifier.make()), \(bind: ids[name] ?? ""), \(bind: Self.ward), '', 1, 'first', \(bind: day.adding(days: -ago).iso),
                                \(bind: Self.pfizer), 'ORG-100030215', 'import', 'test', \(bind: Timestamp.now()))
                        """).run()
                }
            }
            @Sendable func session(capacity: Int) -> SessionRecord {
                SessionRecord(id: "s", siteId: "site", unitPath: Self.ward, groupCode: "", sessionOn: day.iso, capacity: capacity, productCode: Self.pfizer,
                              priorityGroups: "", minAge: 18, status: "planned", createdBy: "test", createdAt: Timestamp.now())
            }
            try await app.services.database.read { db in
                // Two people a page: the first page holds nobody due, the list still fills from the next ones.
                let two = try await VaccinationService.invitations(db, session: session(capacity: 2), page: 2)
                #expect(two.map(\.0.id) == [ids["Em"], ids["Giang"]].compactMap { $0 })
                #expect(two.map(\.1) == [1, 1])
                // Room for everyone: those due and only they, Hà for her second dose; Khánh is under 18.
                for page in [1, 2, 3, 2_000] {
                    let all = try await VaccinationService.invitations(db, session: session(capacity: 100), page: page)
                    #expect(all.map(\.0.fullName) == ["Nguyễn Văn Em", "Nguyễn Văn Giang", "Nguyễn Văn Hà"], "page \(page)")
                    #expect(all.map(\.1) == [1, 1, 2], "page \(page)")
                }
            }
        }
    }

    /// Someone who turned the session's minimum age on any day up to the session's is invited, the 29th to
    /// the 31st of the month included; someone a day short is not.
    @Test(arguments: Dialect.enabled)
    func everyoneOldEnoughOnTheSessionsDayIsInvited(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            var ids: [String: String] = [:]
            for (name, birth) in [("Tròn", "2003-09-30"), ("Hôm qua", "2003-09-29"), ("Ngày 28", "2003-09-28"), ("Mai", "2003-10-01"), ("Nhuận", "2004-02-29")] {
                ids[name] = try await app.person("Phạm Văn \(name)", ward: Self.ward, birth: birth).id
            }
            func invited(on day: String) async throws -> Set<String> {
                let session = SessionRecord(id: "s", siteId: "site", unitPath: Self.ward, groupCode: "", sessionOn: day, capacity: 100, productCode: Self.pfizer,
                                            priorityGroups: "", minAge: 18, status: "planned", createdBy: "test", createdAt: Timestamp.now())
                return try await app.services.database.read { db in Set(try await VaccinationService.invitations(db, session: session).map(\.0.id)) }
            }
            let thirtieth = try await invited(on: "2021-09-30")
            #expect(thirtieth == Set(["Tròn", "Hôm qua", "Ngày 28"].compactMap { ids[$0] }))
            // Born on 29/2: 18 on 1/3 of a year without one, not on 28/2.
            #expect(try await invited(on: "2022-02-28").contains(ids["Nhuận"] ?? "") == false)
            #expect(try await invited(on: "2022-03-01").contains(ids["Nhuận"] ?? ""))
        }
    }

    @Test(arguments: Dialect.enabled)
    func aSessionForOneResidentialGroupInvitesOnlyItsPeople(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let s = try await VaccinationTests.setup(app, client)
            let hbt = try await app.token("hbt")
            let first = try await app.person("Lê Văn Một", birth: "1970-05-05", group: "TDP01")
            let second = try await app.person("Lê Văn Hai", birth: "1971-05-05", group: "TDP02")
            let session = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                                #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.vietnamese)", "capacity": 50, "product_code": "\#(Self.pfizer)", "group_code": "tdp01"}"#)
            #expect(session.status == .created)
            let data = try session.json()["data"] as? [String: Any]
            #expect(data?["group_code"] as? String == "TDP01")
            let id = data?["id"] as? String ?? ""
            let read = try await client.json(.get, "/api/v1/vaccination/sessions/\(id)", hbt)
            let invited = ((try read.json()["invitations"] as? [[String: Any]]) ?? []).compactMap { ($0["person"] as? [String: Any])?["id"] as? String }
            #expect(invited == [first.id])
            // The whole ward's session invites both, and the person registered without a group.
            let ward = try await client.json(.get, "/api/v1/vaccination/sessions/\(s.session)", hbt)
            let all = Set(((try ward.json()["invitations"] as? [[String: Any]]) ?? []).compactMap { ($0["person"] as? [String: Any])?["id"] as? String })
            #expect(all.isSuperset(of: [first.id, second.id, s.person]))
            // The page names the group as the ward knows it.
            var browser = try await BrowserSession.login(client, "hbt")
            #expect(try await browser.get(client, "/vaccination/sessions/\(id)").text.contains("Tổ dân phố: Tổ dân phố số 1"))
            // A group the ward does not have is refused on its field, and no session is made.
            let before = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccination_sessions").first()?.decode(column: "n", as: Int.self) }
            let wrong = try await client.json(.post, "/api/v1/vaccination/sessions", hbt,
                                              #"{"site_id": "\#(s.site)", "session_on": "\#(TestApp.today.vietnamese)", "capacity": 50, "product_code": "\#(Self.pfizer)", "group_code": "TDP99"}"#)
            #expect(wrong.status == .unprocessableContent)
            #expect(((try wrong.json()["error"] as? [String: Any])?["details"] as? [String: Any])?["group_code"] as? String == "Tổ dân phố 'TDP99' không có trong Phường Minh Khai.")
            let after = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM vaccination_sessions").first()?.decode(column: "n", as: Int.self) }
            #expect(before == after)
        }
    }
}
