import EpiCore
import EpiPlatform
import Foundation
import SQLKit

/// Who sees which testing records. A unit's users (wards, districts, the city) see what lies in their
/// jurisdiction, by the ward a tube was sampled in (or a result's person lives in). A laboratory's staff
/// see their laboratory's work, wherever its tubes came from, and nothing of the registry: the labs
/// they work for are those located in their unit.
package struct TestingViewer: Sendable {
    package let user: CurrentUser
    /// The user's jurisdiction; matches nothing for laboratory staff.
    package let scope: Scope
    /// The laboratories a lab account works for (empty for everyone else).
    package let labIDs: [String]

    package var isLab: Bool { user.role == .lab }

    package static func of(_ user: CurrentUser, services: AppServices) async throws -> TestingViewer {
        let own = try await Scope.of(user, directory: services.directory)
        guard user.role == .lab else { return TestingViewer(user: user, scope: own, labIDs: []) }
        let labs = try await services.database.read { db in
            try await db.raw("SELECT id FROM labs WHERE \(own.wholeWard.condition()) ORDER BY code").all().map { try $0.decode(column: "id", as: String.self) }
        }
        return TestingViewer(user: user, scope: Scope.nothing(root: user.unitPath), labIDs: labs)
    }

    /// Records of a lab this viewer works for, or in its jurisdiction: results and batches carry both.
    package func labOrUnit(_ alias: String = "") -> SQLQueryString {
        let prefix = alias.isEmpty ? "" : alias + "."
        if isLab { return labCondition(prefix + "lab_id") }
        return scope.wholeWard.condition(alias)
    }

    /// `column IN (the viewer's labs)`; false when it has none.
    package func labCondition(_ column: String) -> SQLQueryString {
        guard !labIDs.isEmpty else { return "1 = 0" }
        return "\(unsafeRaw: column) IN (\(SQLList(labIDs.map { SQLBind($0) })))"
    }

    /// Whether a laboratory is one this viewer may act for: its own (lab staff), or one located in the
    /// jurisdiction of a command that runs testing there (a district or the city, entering results or
    /// confirming a batch on a lab's behalf). A ward never acts for a lab that happens to sit in it.
    package func actsFor(_ lab: LabRecord) -> Bool {
        if isLab { return labIDs.contains(lab.id) }
        guard user.can(.manageCampaigns) else { return false }
        return (try? UnitPath(lab.unitPath)).map(user.covers) ?? false
    }
}

/// Reads shared by the testing pages and services.
package enum TestingQueries {
    static func lab(_ db: any SQLDatabase, id: String) async throws -> LabRecord? {
        try await db.raw("SELECT \(unsafeRaw: LabRecord.columns) FROM labs WHERE id = \(bind: id)").first(decoding: LabRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func labs(_ db: any SQLDatabase, activeOnly: Bool = true) async throws -> [LabRecord] {
        try await db.raw("SELECT \(unsafeRaw: LabRecord.columns) FROM labs \(unsafeRaw: activeOnly ? "WHERE active" : "") ORDER BY name LIMIT 1000")
            .all(decoding: LabRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func lab(_ db: any SQLDatabase, hl7Facility: String) async throws -> LabRecord? {
        try await db.raw("SELECT \(unsafeRaw: LabRecord.columns) FROM labs WHERE hl7_facility = \(bind: hl7Facility) AND active")
            .first(decoding: LabRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func campaign(_ db: any SQLDatabase, id: String) async throws -> CampaignRecord? {
        try await db.raw("SELECT \(unsafeRaw: CampaignRecord.columns) FROM campaigns WHERE id = \(bind: id)").first(decoding: CampaignRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// A campaign the viewer may see: one it runs (in its jurisdiction), or one covering a ward of it.
    static func campaign(_ db: any SQLDatabase, id: String, viewer: TestingViewer) async throws -> CampaignRecord? {
        guard !viewer.isLab else { return nil }
        return try await db.raw("""
            SELECT \(unsafeRaw: CampaignRecord.columns) FROM campaigns c WHERE c.id = \(bind: id) AND (\(viewer.scope.wholeWard.condition("c"))
              OR EXISTS (SELECT 1 FROM campaign_units cu WHERE cu.campaign_id = c.id AND \(viewer.scope.wholeWard.condition("cu"))))
            """).first(decoding: CampaignRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func campaigns(_ db: any SQLDatabase, viewer: TestingViewer, limit: Int = 200) async throws -> [CampaignRecord] {
        guard !viewer.isLab else { return [] }
        return try await db.raw("""
            SELECT \(unsafeRaw: CampaignRecord.columns) FROM campaigns c WHERE (\(viewer.scope.wholeWard.condition("c"))
              OR EXISTS (SELECT 1 FROM campaign_units cu WHERE cu.campaign_id = c.id AND \(viewer.scope.wholeWard.condition("cu"))))
            ORDER BY c.starts_on DESC, c.id LIMIT \(literal: limit)
            """).all(decoding: CampaignRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func points(_ db: any SQLDatabase, campaignID: String, scope: Scope) async throws -> [PointRecord] {
        try await db.raw("SELECT \(unsafeRaw: PointRecord.columns) FROM sampling_points WHERE campaign_id = \(bind: campaignID) AND \(scope.wholeWard.condition()) ORDER BY unit_path, name LIMIT 2000")
            .all(decoding: PointRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func point(_ db: any SQLDatabase, id: String) async throws -> PointRecord? {
        try await db.raw("SELECT \(unsafeRaw: PointRecord.columns) FROM sampling_points WHERE id = \(bind: id)").first(decoding: PointRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Active sampling points a user can record at: in its jurisdiction, of campaigns not closed.
    static func activePoints(_ db: any SQLDatabase, scope: Scope) async throws -> [PointRecord] {
        try await db.raw("""
            SELECT \(unsafeRaw: PointRecord.columns) FROM sampling_points p WHERE p.active AND \(scope.wholeWard.condition("p"))
            AND EXISTS (SELECT 1 FROM campaigns c WHERE c.id = p.campaign_id AND c.status = 'active') ORDER BY p.unit_path, p.name LIMIT 500
            """).all(decoding: PointRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func sample(_ db: any SQLDatabase, id: String) async throws -> SampleRecord? {
        try await db.raw("SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE id = \(bind: id)").first(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func sample(_ db: any SQLDatabase, label: String) async throws -> SampleRecord? {
        try await db.raw("SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE label = \(bind: label)").first(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// A tube the viewer may see: sampled in its jurisdiction, or sent to its lab.
    static func sample(_ db: any SQLDatabase, id: String, viewer: TestingViewer) async throws -> SampleRecord? {
        try await db.raw("SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE id = \(bind: id) AND \(viewer.labOrUnit())")
            .first(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func members(_ db: any SQLDatabase, sampleIDs: [String]) async throws -> [MemberRecord] {
        var out: [MemberRecord] = []
        for start in stride(from: 0, to: sampleIDs.count, by: 500) {
            let chunk = Array(sampleIDs[start..<min(start + 500, sampleIDs.count)])
            out += try await db.raw("SELECT \(unsafeRaw: MemberRecord.columns) FROM sample_members WHERE sample_id IN (\(SQLList(chunk.map { SQLBind($0) }))) ORDER BY sample_id, position")
                .all(decoding: MemberRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        return out
    }

    static func batch(_ db: any SQLDatabase, id: String, viewer: TestingViewer) async throws -> BatchRecord? {
        try await db.raw("SELECT \(unsafeRaw: BatchRecord.columns) FROM sample_batches WHERE id = \(bind: id) AND \(viewer.labOrUnit())")
            .first(decoding: BatchRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func result(_ db: any SQLDatabase, id: String, viewer: TestingViewer) async throws -> ResultRecord? {
        try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE id = \(bind: id) AND \(viewer.labOrUnit())")
            .first(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func result(_ db: any SQLDatabase, id: String) async throws -> ResultRecord? {
        try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE id = \(bind: id)")
            .first(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }
}
