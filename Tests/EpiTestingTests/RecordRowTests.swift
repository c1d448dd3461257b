import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiTestSupport
@testable import EpiTesting

/// The lab-result path reads tubes and members column by column, and only the columns it needs; what it
/// reads must be what the keyed Decodable path reads, nil and set fields alike, members in their order,
/// or a result would be matched on a wrong field or to the wrong person.
@Suite("Tubes and members read column by column")
struct RecordRowTests {
    @Test(arguments: Dialect.enabled)
    func columnByColumnReadsWhatDecodableReads(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let fx = try await TestingFixture.make(app)
            let nam = try await app.person("Nguyễn Văn Nam", citizenID: "001085012345", group: "TDP01")
            let an = try await app.person("Trần Thị An", birth: nil, group: "TDP01")
            let tube = try await fx.sample(app, label: "HBT-RR-0001", people: [nam, an],
                                           newcomers: [MemberInput(fullName: "Lê Văn Khách", phone: "0912345678", birthYear: 1990)], symptomatic: true)
            let lone = try await fx.sample(app, label: "HBT-RR-0002", people: [an])
            try await app.services.database.read { db in
                let (tubes, members) = try await ResultIngest.samples(db, labels: ["HBT-RR-0001", "HBT-RR-0002", "HBT-RR-9999"])
                #expect(tubes.count == 2)
                #expect(tubes["HBT-RR-9999"] == nil)
                for expected in [tube, lone] {
                    let read = try #require(tubes[expected.label])
                    #expect(read.id == expected.id && read.campaignId == expected.campaignId && read.unitPath == expected.unitPath)
                    #expect(read.groupCode == expected.groupCode && read.kind == expected.kindValue && read.sampledAt == expected.sampledAt)
                    #expect(read.symptomatic == expected.symptomatic)
                    let stored = try await db.raw("SELECT \(unsafeRaw: MemberRecord.columns) FROM sample_members WHERE sample_id = \(bind: expected.id) ORDER BY position")
                        .all(decoding: MemberRecord.self, keyDecodingStrategy: .convertFromSnakeCase)
                    let got = members[expected.id] ?? []
                    #expect(got.map(\.id) == stored.map(\.id))
                    for (g, s) in zip(got, stored) {
                        #expect(g.position == s.position && g.personId == s.personId && g.nameFolded == s.nameFolded)
                        #expect(g.citizenId == s.citizenId && g.birthYear == s.birthYear && g.retestId == s.retestId)
                    }
                }
                #expect(tube.symptomatic && !lone.symptomatic)
                let three = members[tube.id] ?? []
                #expect(three.map(\.personId) == [nam.id, an.id, nil])
                #expect(three.map(\.position) == three.map(\.position).sorted())
                #expect(three[2].birthYear == 1990 && three[0].citizenId == "001085012345" && three[1].citizenId == nil)
            }
        }
    }

    /// What a lab reports of a person is kept up to a number of characters, not bytes: a Vietnamese name
    /// whose letters take several bytes each is kept whole when it has few enough letters.
    @Test func reportedTextsAreCutByCharactersNotBytes() {
        let name = "Nguyễn Thị Ánh Tuyết"  // 20 characters
        #expect(name.utf8.count > 20)
        #expect(ResultIngest.fitted(name, 20) == name)
        #expect(ResultIngest.fitted(name, 19) == "Nguyễn Thị Ánh Tuyế")
        #expect(ResultIngest.fitted(name, 6) == "Nguyễn")
        let decomposed = name.decomposedStringWithCanonicalMapping  // as some systems send it: letters and marks apart
        #expect(decomposed.unicodeScalars.count > 20)
        #expect(ResultIngest.fitted(decomposed, 20) == decomposed)
        #expect(ResultIngest.fitted(decomposed, 6).unicodeScalars.elementsEqual("Nguyễn".decomposedStringWithCanonicalMapping.unicodeScalars))
        #expect(ResultIngest.fitted("0912345678", 20) == "0912345678")
        #expect(ResultIngest.fitted("", 10) == "")
    }
}
