import EpiCore
import EpiPlatform
import EpiRegistry
import EpiTracing
import Foundation
import Logging
import SQLKit

/// What a result makes happen, at once after it is stored: an individual positive opens the F0 record
/// through tracing's `CaseService` (so contact levels are recomputed and an F1 in quarantine moves on to
/// isolation, as when a ward records an F0), a positive pool opens a re-test task for each member and
/// flags them, a rapid antigen positive follows the rule in force. Each result is claimed first, so two
/// servers (or a retry) never act twice, and handled alone: results of a file or bundle under a savepoint
/// of the transaction that stored them (`runInside`), those of MLLP messages (whose ACKs go out at the
/// commit) and the start-up sweep in a transaction each (`run`). One that fails is marked and shown in the
/// review queue, and the others go on.
package enum ResultActions {
    package struct Summary: Sendable, Equatable {
        package var casesOpened = 0
        package var casesExisting = 0
        package var retests = 0
        package var failed = 0
        /// The cases opened, with when their transaction committed (the benchmark measures the delay).
        package var opened: [(resultID: String, caseID: String, at: Date)] = []

        mutating func count(_ done: Done, resultID: String) {
            switch done {
            case .openedCase(let caseID):
                casesOpened += 1
                opened.append((resultID, caseID, Date()))
            case .existingCase: casesExisting += 1
            case .retests(let n): retests += n
            case .nothing: break
            }
        }

        package static func == (a: Summary, b: Summary) -> Bool {
            a.casesOpened == b.casesOpened && a.casesExisting == b.casesExisting && a.retests == b.retests && a.failed == b.failed
        }
    }

    /// Who acts when a result arrives without a signed-in user (an MLLP link, the start-up sweep).
    package static func systemActor(_ unitPath: UnitPath) -> CurrentUser {
        CurrentUser(id: "system", username: "system", displayName: "Hệ thống", role: .lab, unitPath: unitPath)
    }

    /// Handles the given pending results (or, with nil, every pending one: the sweep at start-up).
    @discardableResult
    package static func run(_ database: Database, resultIDs: [String]? = nil, actor: CurrentUser, logger: Logger? = nil) async throws -> Summary {
        var summary = Summary()
        let ids: [String]
        if let resultIDs { ids = resultIDs } else {
            ids = try await database.read { db in
                try await db.raw("SELECT id FROM test_results WHERE action_status = 'pending' ORDER BY received_at LIMIT 10000").all().map { try $0.decode(column: "id", as: String.self) }
            }
        }
        for id in ids {
            do {
                let done = try await database.transaction { db in try await Self.act(db, resultID: id, actor: actor) }
                summary.count(done, resultID: id)
            } catch {
                summary.failed += 1
                logger?.error("result action \(id) failed: \(String(reflecting: error))")
                _ = try? await database.transaction { db in try await Self.markFailed(db, resultID: id, error: error) }
            }
        }
        return summary
    }

    /// Handles the pending results of a file or bundle inside the transaction that stored them, each under
    /// a savepoint: an F0 commits in the same instant as the positive that opened it (a file's tenth
    /// positive no longer waits for nine F0 transactions after the commit), and an action that fails is
    /// undone alone and marked, its result kept. The opened cases' `at` is when this returns; the caller
    /// stamps the commit.
    package static func runInside(_ db: any SQLDatabase, resultIDs: [String], actor: CurrentUser) async throws -> Summary {
        var summary = Summary()
        for id in resultIDs {
            try await db.raw("SAVEPOINT result_action").run()
            do {
                let done = try await Self.act(db, resultID: id, actor: actor)
                try await db.raw("RELEASE SAVEPOINT result_action").run()
                summary.count(done, resultID: id)
            } catch {
                try await db.raw("ROLLBACK TO SAVEPOINT result_action").run()
                try await db.raw("RELEASE SAVEPOINT result_action").run()
                summary.failed += 1
                try await Self.markFailed(db, resultID: id, error: error)
            }
        }
        return summary
    }

    /// The result stays, shown in the review queue with why its action could not be done.
    static func markFailed(_ db: any SQLDatabase, resultID: String, error: any Error) async throws {
        let message = (error as? AppError)?.messageVI ?? "Lỗi hệ thống khi xử lý kết quả; cần xử lý tay."
        try await db.raw("UPDATE test_results SET action_status = 'failed', review_note = \(bind: String(message.prefix(500))) WHERE id = \(bind: resultID) AND action_status = 'pending'").run()
    }

    enum Done: Sendable {
        case openedCase(String)
        case existingCase(String)
        case retests(Int)
        case nothing
    }

    static func act(_ db: any SQLDatabase, resultID: String, actor: CurrentUser) async throws -> Done {
        // Claimed first: a concurrent sweep waits on this row (PostgreSQL) or on the one writer (SQLite), then finds it done.
        let claimed = try await db.raw("UPDATE test_results SET action_status = 'done' WHERE id = \(bind: resultID) AND action_status = 'pending' RETURNING id").all()
        guard !claimed.isEmpty, let result = try await TestingQueries.result(db, id: resultID) else { return .nothing }
        let sample = try await result.sampleId.asyncMap { try await TestingQueries.sample(db, id: $0) } ?? nil
        let members = try await sample.asyncMap { try await TestingQueries.members(db, sampleIDs: [$0.id]) } ?? []
        let lab = try await TestingQueries.lab(db, id: result.labId)
        switch result.action {
        case "open_case":
            guard let person = try await Self.person(of: result, members: members, sample: sample, db: db, actor: actor) else {
                throw AppError.invalid("Không xác định được người có kết quả dương tính.", "Could not tell whose positive result this is.")
            }
            let inQuarantine = try await db.raw("SELECT id FROM episodes WHERE person_id = \(bind: person.id) AND status = 'active' AND kind = 'quarantine'").first() != nil
            let inZone = try await sample?.campaignId.asyncMap { id in
                try await db.raw("SELECT id FROM campaigns WHERE id = \(bind: id) AND target_kind = 'zone'").first() != nil
            } ?? false
            let resulted = Timestamp.date(result.resultedAt) ?? Clock.now()
            let sampled = result.sampledAt.flatMap(Timestamp.date)
            let confirmed = min(VietnamTime.day(of: resulted), Clock.today())
            let opened = try await CaseService.openFromLabResult(
                db, person: person, confirmedOn: confirmed, sampledOn: sampled.map(VietnamTime.day(of:)),
                testType: result.testKind == .rapidAntigen ? .rapidAntigen : .rtPCR, testPlace: lab?.name ?? "",
                detectedIn: inQuarantine ? .quarantine : inZone ? .lockdown : .community,
                note: "Mở tự động từ kết quả dương tính, ống \(result.label)", actor: actor)
            try await db.raw("UPDATE test_results SET case_id = \(bind: opened.record.id), person_id = \(bind: person.id) WHERE id = \(bind: result.id)").run()
            try await Self.closeOpenRetests(db, personID: person.id)
            try await Audit.record(db, actor: actor, action: opened.opened ? "case_opened" : "linked_case", entityType: "test_result", entityId: result.id,
                                   unitPath: try? UnitPath(result.unitPath),
                                   summary: opened.opened ? "Kết quả dương tính ống \(result.label): mở F0 \(opened.record.caseNumber)"
                                                          : "Kết quả dương tính ống \(result.label): người này đã là F0 \(opened.record.caseNumber)",
                                   changes: [FieldChange("case_id", old: nil, new: opened.record.id)])
            return opened.opened ? .openedCase(opened.record.id) : .existingCase(opened.record.id)
        case let code where code.hasPrefix("retest_"):
            let reason = RetestReason(rawValue: String(code.dropFirst("retest_".count))) ?? .resample
            var targets: [(memberID: String, personID: String?, name: String, unit: String, group: String)] = []
            if let sample {
                // A pool: everyone in it. An individual tube: its one person.
                let chosen = sample.kindValue == .pooled ? members : members.filter { result.memberId == nil || $0.id == result.memberId }
                targets = chosen.map { ($0.id, $0.personId, $0.fullName, $0.unitPath, $0.groupCode) }
            } else if let personID = result.personId, let p = try await PersonQueries.find(db, grant: .ownCase(personID: personID)) {
                targets = [("p:\(p.id)", p.id, p.fullName, p.unitPath, p.groupCode ?? "")]
            }
            var deltas: [Counters.Change: Int] = [:]
            var made = 0
            let now = Timestamp.now()
            for t in targets {
                let rows = try await db.raw("""
                    INSERT INTO retests (\(unsafeRaw: RetestRecord.columns)) VALUES (\(bind: Identifier.make()), \(bind: result.id), \(bind: result.sampleId), \(bind: t.memberID),
                    \(bind: t.personID), \(bind: t.name), \(bind: t.unit), \(bind: t.group), \(bind: reason.rawValue), 'open', \(bind: now), NULL, NULL)
                    ON CONFLICT (result_id, member_id) DO NOTHING RETURNING id
                    """).all()
                if !rows.isEmpty {
                    made += 1
                    deltas[Counters.Change(t.unit, group: t.group, .testRetestsOpen), default: 0] += 1
                }
            }
            try await Counters.apply(db, deltas)
            try await Audit.record(db, actor: actor, action: "retest", entityType: "test_result", entityId: result.id, unitPath: try? UnitPath(result.unitPath),
                                   summary: "Ống \(result.label): \(made) người cần xét nghiệm lại (\(reason.labelVI))",
                                   changes: [FieldChange("reason", old: nil, new: reason.rawValue)])
            return .retests(made)
        default:
            return .nothing
        }
    }

    /// The registered person a result is about: the one it matched, or the member of its tube. Someone
    /// sampled without a registry record (a newcomer typed at the point) is found by ID, or by name and
    /// phone in the ward, and only registered when no one matches, so no person is ever made twice.
    static func person(of result: ResultRecord, members: [MemberRecord], sample: SampleRecord?, db: any SQLDatabase, actor: CurrentUser) async throws -> PersonRecord? {
        if let id = result.personId { return try await PersonQueries.find(db, grant: .ownCase(personID: id)) }
        guard let member = members.first(where: { $0.id == result.memberId }) ?? (members.count == 1 ? members.first : nil) else { return nil }
        if let id = member.personId { return try await PersonQueries.find(db, grant: .ownCase(personID: id)) }
        let person = try await Self.registerIfNew(db, member: member, reason: "Tạo hồ sơ từ kết quả xét nghiệm dương tính (ống \(result.label))", actor: actor)
        try await db.raw("UPDATE sample_members SET person_id = \(bind: person.id) WHERE id = \(bind: member.id)").run()
        return person
    }

    /// The registry record of someone sampled by name only: the holder of their ID anywhere in the city,
    /// else someone with the same name and phone in their ward, else a new record in that ward.
    static func registerIfNew(_ db: any SQLDatabase, member: MemberRecord, reason: String, actor: CurrentUser) async throws -> PersonRecord {
        if let cid = member.citizenId,
           let holder = try await PersonQueries.holder(db, citizenID: cid.count == 12 ? cid : nil, oldID: cid.count == 9 ? cid : nil, excluding: nil) {
            return holder
        }
        if let phone = member.phone, let same = try await PersonQueries.fetch(db, """
            \(unsafeRaw: PersonQueries.select) WHERE phone = \(bind: phone) AND name_folded = \(bind: member.nameFolded) AND merged_into IS NULL LIMIT 1
            """).first {
            return same
        }
        let now = Timestamp.now()
        let person = PersonRecord(id: Identifier.make(), fullName: member.fullName, nameFolded: member.nameFolded, givenFolded: VietnameseText.givenNameKey(member.fullName),
                                  sex: nil, birthDate: nil, citizenId: member.citizenId.flatMap { $0.count == 12 ? $0 : nil },
                                  oldId: member.citizenId.flatMap { $0.count == 9 ? $0 : nil }, phone: member.phone, address: "", unitPath: member.unitPath,
                                  groupCode: member.groupCode.isEmpty ? nil : member.groupCode, householdCode: nil,
                                  residenceStatus: ResidenceStatus.temporary.rawValue, residentUntil: nil, mergedInto: nil, createdAt: now, updatedAt: now, version: 1)
        try await PersonQueries.insert(db, [person])
        try await Audit.record(db, actor: actor, action: "create", entityType: "person", entityId: person.id, unitPath: try? UnitPath(person.unitPath), summary: reason,
                               changes: person.auditFields.compactMap { $0.1 == nil ? nil : FieldChange($0.0, old: nil, new: $0.1) })
        return person
    }

    /// A confirmed case needs no more re-tests.
    static func closeOpenRetests(_ db: any SQLDatabase, personID: String) async throws {
        let open = try await db.raw("SELECT id, unit_path, group_code, status FROM retests WHERE person_id = \(bind: personID) AND status IN ('open', 'sampled')").all()
        guard !open.isEmpty else { return }
        var deltas: [Counters.Change: Int] = [:]
        for row in open where try row.decode(column: "status", as: String.self) == "open" {
            deltas[Counters.Change(try row.decode(column: "unit_path", as: String.self), group: try row.decode(column: "group_code", as: String.self), .testRetestsOpen), default: 0] -= 1
        }
        try await db.raw("UPDATE retests SET status = 'done', closed_at = \(bind: Timestamp.now()) WHERE person_id = \(bind: personID) AND status IN ('open', 'sampled')").run()
        try await Counters.apply(db, deltas)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
