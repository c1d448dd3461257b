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
@testable import EpiApp

@Suite("OpenAPI document")
struct OpenAPITests {
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
