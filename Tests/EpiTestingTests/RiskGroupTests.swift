import EpiCore
import Foundation
import HTTPTypes
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

/// A ward records who belongs to a group at risk (shippers, market traders…) on the person's page, and a
/// campaign for that group counts its people from the registry instead of a number typed in.
@Suite("Testing: groups at risk from the registry")
struct RiskGroupTests {
    @Test(arguments: Dialect.enabled)
    func aGroupCampaignCountsTheGroupsRegisteredPeople(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let ward = try await app.token("minhkhai")
            let a = try await app.person("Ngô Văn Giao", birth: "1990-01-01"), b = try await app.person("Ngô Thị Hàng", birth: "1992-02-02")
            let c = try await app.person("Ngô Văn Chợ", birth: "1970-03-03")
            // Through the API: two shippers, one of them also a market trader; a code not in the list is refused.
            #expect(try await client.json(.post, "/api/v1/testing/people/\(a.id)/risk-groups", ward, #"{"groups": ["shippers"]}"#).status == .ok)
            let both = try await client.json(.post, "/api/v1/testing/people/\(b.id)/risk-groups", ward, #"{"groups": ["market_traders", "shippers", "shippers"]}"#)
            #expect(((try both.json()["data"] as? [String: Any])?["groups"] as? [String]) == ["market_traders", "shippers"])
            let wrong = try await client.json(.post, "/api/v1/testing/people/\(c.id)/risk-groups", ward, #"{"groups": ["astronauts"]}"#)
            #expect(wrong.status == .unprocessableContent)
            // Through the person's page: the section offers the groups and shows the ones ticked.
            var browser = try await BrowserSession.login(client, "minhkhai")
            let page = try await browser.get(client, "/people/\(c.id)").text
            #expect(page.contains("name=\"group.drivers\"") && page.contains("Lái xe, phụ xe"))
            let saved = try await browser.post(client, "/testing/people/\(c.id)/risk-groups", form: ["group.drivers": "1", "group.shippers": "0"])
            #expect(saved.headers[.location] == "/people/\(c.id)#person-testing")
            #expect(try await browser.get(client, "/people/\(c.id)").text.contains("Nhóm nguy cơ: Lái xe, phụ xe"))
            let read = try await client.json(.get, "/api/v1/testing/people/\(c.id)/risk-groups", ward)
            #expect(((try read.json()["data"] as? [String: Any])?["groups"] as? [String]) == ["drivers"])
            // Another district's ward may neither read nor set them; every change is audited with before and after.
            let other = try await app.token("longbien")
            #expect(try await client.json(.get, "/api/v1/testing/people/\(a.id)/risk-groups", other).status == .notFound)
            #expect(try await client.json(.post, "/api/v1/testing/people/\(a.id)/risk-groups", other, #"{"groups": []}"#).status == .notFound)
            let changes = try await app.services.database.read { db in
                try await db.raw("SELECT changes FROM audit_log WHERE action = 'set_risk_groups' AND entity_id = \(bind: b.id)").all()
                    .map { try $0.decode(column: "changes", as: String.self) }
            }
            #expect(changes.count == 1 && changes.first?.contains("Tiểu thương chợ; Người giao hàng (shipper)") == true)
            // A shippers' campaign for Minh Khai with no size typed in targets the two registered shippers.
            let service = CampaignService(services: app.services), hbt = try await app.user("hbt")
            let today = TestApp.today
            let campaign = try await service.create(CampaignInput(name: "Shipper Minh Khai", unit: "01/007", targetKind: "group", targetGroup: "shippers", wards: ["00295"],
                                                                  startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            let progress = try await service.progress(campaign, scope: try await app.scope(for: "hbt"), today: today)
            #expect(progress.first { $0.unitPath == "01/007/00295" }?.target == 2)
            // A size typed in still wins; a ward where the registry records nobody of the group needs one.
            let typed = try await service.create(CampaignInput(name: "Shipper Minh Khai 2", unit: "01/007", targetKind: "group", targetGroup: "shippers", wards: ["00295"],
                                                               groupSize: 40, startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            #expect(try await service.progress(typed, scope: try await app.scope(for: "hbt"), today: today).first?.target == 40)
            await #expect(throws: AppError.self) {
                _ = try await service.create(CampaignInput(name: "Tiểu thương Bách Khoa", unit: "01/007", targetKind: "group", targetGroup: "market_traders", wards: ["00286"],
                                                           startsOn: today.iso, deadlineOn: today.adding(days: 3).iso), user: hbt, key: nil, language: .vi)
            }
        }
    }
}
