import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry

/// Every route that touches a person must refuse another ward's people with 404, by page and by API.
@Suite("Jurisdiction and role checks on every person route")
struct JurisdictionTests {
    @Test(arguments: Dialect.enabled)
    func wardUserCannotListOpenChangeOrMergeAnotherWardsPerson(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let stranger = try await app.person("Nguyễn Văn Nam", ward: "01/007/00295", citizenID: "001085012345")
            let other = try await app.person("Nguyễn Văn Nam", ward: "01/007/00295", birth: "1990-01-01")
            let own = try await app.person("Nguyễn Văn Nam", ward: "01/007/00286", birth: "1992-01-30")
            var bachMai = try await BrowserSession.login(client, "bachmai")
            let token = try await app.services.auth.issueToken(username: "bachmai", name: "t")
            let bearer: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

            let list = try await bachMai.get(client, "/people?q=nguyen+van+nam")
            #expect(list.text.contains(own.id))
            #expect(!list.text.contains(stranger.id))
            let byID = try await bachMai.get(client, "/people?q=001085012345")
            #expect(byID.text.contains("id=\"no-results\""))

            let pages: [(String, Bool)] = [
                ("/people/\(stranger.id)", false), ("/people/\(stranger.id)/edit", false), ("/people/\(stranger.id)/merge", false),
            ]
            for (path, _) in pages {
                let response = try await bachMai.get(client, path)
                #expect(response.status == .notFound, "\(path)")
                #expect(!response.text.contains("001085012345"))
                #expect(response.text.contains("id=\"error-page\""))
            }
            let update = try await bachMai.post(client, "/people/\(stranger.id)", form: ["full_name": "Hacked", "unit": "01/007/00286"])
            #expect(update.status == .notFound)
            let merge = try await bachMai.post(client, "/people/\(own.id)/merge", form: ["duplicate_id": stranger.id])
            #expect(merge.status == .notFound)

            for (method, path, body) in [
                (HTTPRequest.Method.get, "/api/v1/people/\(stranger.id)", ""),
                (.get, "/api/v1/people/\(stranger.id)/history", ""),
                (.put, "/api/v1/people/\(stranger.id)", #"{"full_name":"X"}"#),
                (.post, "/api/v1/people/\(own.id)/merge", #"{"duplicate_id":"\#(stranger.id)"}"#),
            ] {
                let response = try await client.execute(uri: path, method: method, headers: bearer, body: body.isEmpty ? nil : ByteBuffer(string: body))
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(!response.text.contains("001085012345"))
            }
            let apiList = try await client.execute(uri: "/api/v1/people?q=nguyen", method: .get, headers: bearer)
            let ids = (try apiList.json()["data"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            #expect(ids == [own.id])

            // Nothing changed, and the unseen records have no view in their history.
            let after = try await app.services.database.read { try await PersonQueries.find($0, id: stranger.id, scope: try await app.scope(for: "city")) }
            #expect(after?.fullName == "Nguyễn Văn Nam")
            #expect(try await app.auditRows(entityId: stranger.id, action: "view").isEmpty)
            #expect(try await app.auditRows(entityId: other.id).isEmpty)

            // Creating a person in another ward is refused too.
            let create = try await bachMai.post(client, "/people", form: ["full_name": "Lý Văn Hải", "unit": "01/007/00295"])
            #expect(create.status == .unprocessableContent)
        }
    }

    @Test(arguments: Dialect.enabled)
    func districtAndCitySeeTheirWholeSubtree(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let mk = try await app.person("Trần Thị Hoa", ward: "01/007/00295")
            let lb = try await app.person("Trần Thị Hoa", ward: "01/004/00139", birth: "1991-01-01")
            var hbt = try await BrowserSession.login(client, "hbt")
            let hbtList = try await hbt.get(client, "/people?q=tran+thi+hoa").text
            #expect(hbtList.contains(mk.id))
            #expect(!hbtList.contains(lb.id))
            #expect(try await hbt.get(client, "/people/\(lb.id)").status == .notFound)
            var city = try await BrowserSession.login(client, "city")
            let cityList = try await city.get(client, "/people?q=tran+thi+hoa").text
            #expect(cityList.contains(mk.id) && cityList.contains(lb.id))
        }
    }

    @Test(arguments: Dialect.enabled)
    func communityTeamSeesOnlyItsResidentialGroup(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let inGroup = try await app.person("Phan Văn Đức", group: "TDP01")
            let otherGroup = try await app.person("Phan Văn Đức", birth: "1970-01-01", group: "TDP02")
            var team = try await BrowserSession.login(client, "team.mk")
            let list = try await team.get(client, "/people?q=phan").text
            #expect(list.contains(inGroup.id))
            #expect(!list.contains(otherGroup.id))
            #expect(try await team.get(client, "/people/\(otherGroup.id)").status == .notFound)
            #expect(try await team.get(client, "/people/\(inGroup.id)").status == .ok)
            // Read-only role: no editing.
            #expect(try await team.get(client, "/people/\(inGroup.id)/edit").status == .forbidden)
        }
    }

    @Test(arguments: Dialect.enabled)
    func rolesWithoutRegistryAccessAreForbidden(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let person = try await app.person("Bùi Thị Yến")
            var checkpoint = try await BrowserSession.login(client, "checkpoint.mk")
            #expect(try await checkpoint.get(client, "/people").status == .forbidden)
            #expect(try await checkpoint.get(client, "/people/\(person.id)").status == .forbidden)
            #expect(try await checkpoint.get(client, "/residents/export.csv").status == .forbidden)
            let token = try await app.services.auth.issueToken(username: "checkpoint.mk", name: "t")
            let api = try await client.execute(uri: "/api/v1/people", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(api.status == .forbidden)
            #expect((try api.json()["error"] as? [String: Any])?["code"] as? String == "forbidden")
            // Supervisors read but never write.
            var supervisor = try await BrowserSession.login(client, "supervisor.mk")
            #expect(try await supervisor.get(client, "/people/\(person.id)").status == .ok)
            #expect(try await supervisor.post(client, "/people/\(person.id)", form: ["full_name": "X"]).status == .forbidden)
            #expect(try await supervisor.get(client, "/audit").status == .forbidden)
        }
    }
}
