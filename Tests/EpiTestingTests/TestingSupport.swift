import EpiCore
import EpiLabFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting
@testable import EpiTracing

/// A testing chain ready to use: two laboratories (Bạch Mai hospital's in Minh Khai, the CDC's in Long
/// Biên), a lab account for each, and Hai Bà Trưng's campaign over Minh Khai and Bạch Mai with a point in each.
struct TestingFixture: Sendable {
    let lab: LabRecord
    let otherLab: LabRecord
    let campaign: CampaignRecord
    let pointMK: PointRecord
    let pointBM: PointRecord

    static let today = TestApp.today                                    // 20/09/2021
    static let yesterday = TestApp.today.adding(days: -1)

    static func make(_ app: TestApp) async throws -> TestingFixture {
        let admin = UserAdmin(services: app.services)
        let lbWard = try await app.services.directory.children(of: "01/004").first { !$0.isGroup }.unwrapped("a Long Biên ward").path
        try await admin.create(username: "lab.mk", displayName: "Khoa Xét nghiệm BV Bạch Mai", role: .lab, unit: "01/007/00295", password: TestApp.password, creator: nil)
        try await admin.create(username: "lab.lb", displayName: "CDC Long Biên", role: .lab, unit: lbWard, password: TestApp.password, creator: nil)
        let service = CampaignService(services: app.services)
        let city = try await app.user("city"), hbt = try await app.user("hbt")
        let lab = try await service.createLab(LabInputForm(code: "BVBM", name: "Khoa Xét nghiệm BV Bạch Mai", unit: "01/007/00295", hl7Facility: "BVBM_LIS"), user: city, key: nil, language: .vi)
        let other = try await service.createLab(LabInputForm(code: "CDCLB", name: "CDC Long Biên", unit: lbWard, hl7Facility: "CDC_LB"), user: city, key: nil, language: .vi)
        let campaign = try await service.create(CampaignInput(name: "Xét nghiệm toàn dân Hai Bà Trưng", unit: "01/007", wards: ["00295", "00286"], test: "rt_pcr", poolSize: 5,
                                                              startsOn: today.adding(days: -3).iso, deadlineOn: today.adding(days: 2).iso), user: hbt, key: nil, language: .vi)
        let mk = try await service.addPoint(campaignID: campaign.id, PointInput(unit: "00295", name: "Nhà văn hóa TDP 1", address: "Ngõ 2 Hòa Bình", dailyCapacity: 2000), user: hbt, key: nil, language: .vi)
        let bm = try await service.addPoint(campaignID: campaign.id, PointInput(unit: "00286", name: "Trường THCS Bạch Mai", dailyCapacity: 1500), user: hbt, key: nil, language: .vi)
        return TestingFixture(lab: lab, otherLab: other, campaign: campaign, pointMK: mk, pointBM: bm)
    }

    /// Records a tube as a ward user would, through the service.
    @discardableResult
    func sample(_ app: TestApp, by username: String = "entry.mk", point: PointRecord? = nil, label: String, people: [PersonRecord], newcomers: [MemberInput] = [],
                test: String? = nil, symptomatic: Bool = false, sampledAt: String? = nil) async throws -> SampleRecord {
        try await SampleService(services: app.services).record(
            SampleInput(pointId: (point ?? pointMK).id, label: label, test: test, members: people.map { MemberInput(personId: $0.id) } + newcomers, symptomatic: symptomatic,
                        team: "Tổ 1", sampledAt: sampledAt ?? "\(Self.yesterday.vietnamese) 08:00"),
            user: try await app.user(username), key: nil, language: .vi)
    }
}

/// HL7 v2.5.1 ORU^R01 as a LIS sends it (ER7, segments ended by CR).
func oru(id: String, facility: String = "BVBM_LIS", label: String, cccd: String? = nil, family: String = "NGUYEN", given: String = "AN", middle: String = "",
         loinc: String = "94500-6", snomed: String = "260415000", status: String = "F", collected: String = "20210919080000+0700", resulted: String = "20210919200000+0700") -> String {
    HL7ORUWriter.tube(controlID: id, facility: facility, patientID: cccd.map { "\($0)^^^BCA^CCCD" } ?? "LOCAL-\(id)^^^BVBM^PI", name: "\(family)^\(given)^\(middle)",
                      loinc: loinc, snomed: snomed, status: status, label: label, collected: collected, resulted: resulted)
}

extension TestApp {
    func count(_ sql: String) async throws -> Int {
        try await services.database.read { try await $0.raw("\(unsafeRaw: sql)").first()?.decode(column: "n", as: Int.self) } ?? -1
    }

    func results() async throws -> [ResultRecord] {
        try await services.database.read { try await $0.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results ORDER BY received_at, id").all(decoding: ResultRecord.self, keyDecodingStrategy: .convertFromSnakeCase) }
    }

    func testingGauge(_ username: String, _ metric: Metric) async throws -> Int {
        let scope = try await scope(for: username)
        return try await services.database.read { try await Counters.gauges($0, scope: scope, [metric]) }[metric] ?? 0
    }

    func activeCase(personID: String) async throws -> CaseRecord? {
        try await services.database.read { try await CaseQueries.cases(ofPerson: personID, $0) }.first { $0.outcome == "active" }
    }
}

extension TestClientProtocol {
    func raw(_ method: HTTPRequest.Method, _ path: String, _ headers: HTTPFields, contentType: String, _ body: String) async throws -> TestResponse {
        var h = headers
        h[.contentType] = contentType
        return try await execute(uri: path, method: method, headers: h, body: ByteBuffer(string: body))
    }
}

/// The MSA-1 code and the ERR-3 codes of an ACK.
func ackCodes(_ ack: String) -> (code: String, errors: [String]) {
    let segments = ack.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).map(String.init)
    let msa = segments.first { $0.hasPrefix("MSA|") }?.split(separator: "|", omittingEmptySubsequences: false) ?? []
    let errs = segments.filter { $0.hasPrefix("ERR|") }.compactMap { $0.split(separator: "|", omittingEmptySubsequences: false).dropFirst(3).first.map { String($0.split(separator: "^").first ?? "") } }
    return (msa.count > 1 ? String(msa[1]) : "", errs)
}
