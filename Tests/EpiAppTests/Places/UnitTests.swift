import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import EpiApp

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
            let ok = try await session.post(client, "/units/01.007.00295/groups", form: ["code": "hb2", "name": "ngõ hòa bình 2"])
            #expect(ok.status == .seeOther)
            #expect(try await app.services.directory.unit("01/007/00295/HB2")?.name == "Ngõ Hòa Bình 2")
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

    /// A client reading the OpenAPI document finds every endpoint the server answers, with its method.
    @Test(arguments: Dialect.enabled)
    func everyAPIRouteIsInTheOpenAPIDocument(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let doc = try await client.execute(uri: "/api/openapi.json", method: .get).json()
            let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
            let routes = buildRouter(app.services).routes.filter { "\($0.path)".hasPrefix("/api/v1") || "\($0.path)".hasPrefix("api/v1") }
            #expect(routes.count > 40)
            for route in routes {
                var path = "\(route.path)"
                if !path.hasPrefix("/") { path = "/" + path }
                path = path.split(separator: "/", omittingEmptySubsequences: false)
                    .map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                #expect(paths[path]?[route.method.rawValue.lowercased()] != nil, "\(route.method) \(path) is not in openapi.json")
            }
        }
    }
}

@Suite("Population import")
struct PopulationImportTests {
    @Test(arguments: Dialect.enabled)
    func cityImportsPopulationsAndBadLinesAreReported(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let csv = "ma,dan_so\n00295,\"31.245\"\n007,295726\n99999,100\n00286,-5\n"
            let token = try await app.services.auth.issueToken(username: "city", name: "t")
            let response = try await client.execute(uri: "/api/v1/units/populations", method: .post,
                                                    headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: csv))
            #expect(response.status == .ok)
            let data = try response.json()["data"] as? [String: Any]
            #expect(data?["updated"] as? Int == 2)
            let lines = (data?["errors"] as? [[String: Any]])?.compactMap { $0["line"] as? Int }
            #expect(lines == [4, 5])
            #expect(try await app.services.directory.unit("01/007/00295")?.population == 31245)
            #expect(try await app.services.directory.unit("01/007")?.population == 295726)
            let wardToken = try await app.services.auth.issueToken(username: "minhkhai", name: "t")
            let denied = try await client.execute(uri: "/api/v1/units/populations", method: .post,
                                                  headers: [.authorization: "Bearer \(wardToken)", .contentType: "text/csv"], body: ByteBuffer(string: csv))
            #expect(denied.status == .forbidden)
        }
    }
}
