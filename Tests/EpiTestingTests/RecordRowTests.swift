import EpiCore
import Foundation
import SQLKit
import Testing
@testable import EpiPlatform
@testable import EpiTestSupport
@testable import EpiTesting

/// The lab-result path reads tubes and members column by column; what it reads must be what the
/// keyed Decodable path reads, nil and set fields alike, or a result would be matched on a wrong field.
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
            try await app.services.database.read { db in
                // The columns the lab-result path itself reads.
                let joined = try await db.raw("""
                    SELECT \(unsafeRaw: ResultIngest.tubeAndMemberColumns)
                    FROM samples s JOIN sample_members m ON m.sample_id = s.id WHERE s.id = \(bind: tube.id) ORDER BY m.position
                    """).all()
                #expect(joined.count == 3)
                for row in joined {
                    let sample = try SampleRecord(row: row)
                    #expect(sample == (try row.decode(model: SampleRecord.self, keyDecodingStrategy: .convertFromSnakeCase)))
                    #expect(sample == tube)
                    let member = try MemberRecord(row: row, prefix: "m_")
                    #expect(member == (try row.decode(model: MemberRecord.self, prefix: "m_", keyDecodingStrategy: .convertFromSnakeCase)))
                }
                let members = try joined.map { try MemberRecord(row: $0, prefix: "m_") }
                #expect(members.map(\.personId) == [nam.id, an.id, nil])
                #expect(members[2].fullName == "Lê Văn Khách" && members[2].phone != nil && members[2].birthYear == 1990)
                #expect(members[0].citizenId == "001085012345" && members[1].citizenId == nil)
            }
        }
    }
}
