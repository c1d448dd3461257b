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

@Suite("Administrative tree: Hanoi 2021 seed, residential groups, populations")
struct UnitTests {
    @Test(arguments: Dialect.enabled)
    func hanoiSeedHas30DistrictsAnd579Wards(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let units = await app.services.directory.all()
            #expect(units.filter { $0.depth == 2 }.count == 30)
            #expect(units.filter { $0.depth == 3 && !$0.isGroup }.count == 579)
            #expect(try await app.services.directory.unit("01/007/00295")?.name == "Phường Minh Khai")
            // Seeding again adds nothing.
            #expect(try await HanoiSeed.seed(app.services.database) == 0)
            var session = try await BrowserSession.login(client, "minhkhai")
            let page = try await session.get(client, "/units/01.007")
            #expect(page.text.contains("Quận Hai Bà Trưng"))
            #expect(page.text.contains("(18)"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func wardAddsResidentialGroupsOnlyToItsOwnWard(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var session = try await BrowserSession.login(client, "minhkhai")
            try await session.get(client, "/units/01.007.00295")
            let ok = try await session.post(client, "/units/01.007.00295/groups", form: ["code": "hb2", "name": "ngõ Hòa Bình 2"])
            #expect(ok.status == .seeOther)
            #expect(try await app.services.directory.unit("01/007/00295/HB2")?.name == "Ngõ Hòa Bình 2")
            // Sentence case, as Vietnamese writes place names: not "Tổ Dân Phố Số 3".
            _ = try await session.post(client, "/units/01.007.00295/groups", form: ["code": "TDP03", "name": "tổ dân phố số 3"])
            #expect(try await app.services.directory.unit("01/007/00295/TDP03")?.name == "Tổ dân phố số 3")
            let dup = try await session.post(client, "/units/01.007.00295/groups", form: ["code": "HB2", "name": "x"])
            #expect(dup.status == .conflict)
            let other = try await session.post(client, "/units/01.007.00286/groups", form: ["code": "X1", "name": "Tổ 1"])
            #expect(other.status == .notFound)
        }
    }

    @Test(arguments: Dialect.enabled)
    func onlyTheCitySetsPopulations(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var ward = try await BrowserSession.login(client, "minhkhai")
            try await ward.get(client, "/units/01.007.00295")
            #expect(try await ward.post(client, "/units/01.007.00295/population", form: ["population": "30000"]).status == .forbidden)
            var city = try await BrowserSession.login(client, "city")
            try await city.get(client, "/units/01.007.00295")
            #expect(try await city.post(client, "/units/01.007.00295/population", form: ["population": "31.245"]).status == .seeOther)
            #expect(try await app.services.directory.unit("01/007/00295")?.population == 31245)
            #expect(try await city.post(client, "/units/01.007.00295/population", form: ["population": "-4"]).status == .unprocessableContent)
        }
    }

    @Test(arguments: Dialect.enabled)
    func openAPIDocumentDescribesThePersonAPI(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { _, client in
            let response = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(response.status == .ok)
            let doc = try response.json()
            #expect((doc["openapi"] as? String)?.hasPrefix("3.") == true)
            let paths = doc["paths"] as? [String: Any] ?? [:]
            for path in ["/api/v1/people", "/api/v1/people/{id}", "/api/v1/people/{id}/merge", "/api/v1/residents/import", "/api/v1/units"] {
                #expect(paths[path] != nil, "\(path) not documented")
            }
        }
    }
}

@Suite("Figures in the reader's language")
struct ReaderNumberTests {
    /// The same population reads 8.053.663 to a Vietnamese reader and 8,053,663 to an English one.
    @Test(arguments: Dialect.enabled)
    func thousandsSeparatorsFollowThePageLanguage(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.services.database.transaction { try await $0.raw("UPDATE units SET population = 8053663 WHERE path = '01'").run() }
            try await app.services.directory.reload()
            var city = try await BrowserSession.login(client, "city")
            #expect(try await city.get(client, "/units/01").text.contains("8.053.663"))
            _ = try await city.get(client, "/lang/en")
            let english = try await city.get(client, "/units/01").text
            #expect(english.contains("8,053,663") && !english.contains("8.053.663"))
        }
    }
}
