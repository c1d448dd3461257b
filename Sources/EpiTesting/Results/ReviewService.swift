import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// How a reviewer settles a result waiting in the queue.
package struct ResolveInput: Codable, Sendable {
    /// `link_sample` (the tube is this label), `link_person` (a registered person, no tube), `register`
    /// (a new registry record from what the lab sent, in `unit`), `dismiss` (with a note), `retry` (run
    /// again an action that failed).
    package var action: String?
    package var label: String?
    package var personId: String?
    package var unit: String?
    package var note: String?

    package init(action: String? = nil, label: String? = nil, personId: String? = nil, unit: String? = nil, note: String? = nil) {
        self.action = action
        self.label = label
        self.personId = personId
        self.unit = unit
        self.note = note
    }
}

/// The review queue: results that matched no tube or person, named someone not in their tube, or
/// contradicted an earlier final result; and results whose action failed. A reviewer's decision is
/// audited, and the result then counts and acts like any other.
package struct ReviewService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package func resolve(resultID: String, _ input: ResolveInput, user: CurrentUser, language l: Language) async throws -> ResultRecord {
        guard user.can(.reviewResults) else { throw AppError.forbidden }
        let viewer = try await TestingViewer.of(user, services: services)
        guard let action = input.action.nonBlank else { throw AppError.invalid("Chọn cách xử lý.", "Choose how to settle it.", details: ["action": "required"]) }
        let (updated, runActions) = try await database.transaction { db -> (ResultRecord, Bool) in
            var runActions = false
            guard var r = try await TestingQueries.result(db, id: resultID, viewer: viewer) else { throw AppError.notFound }
            let before = r
            switch action {
            case "retry":
                guard r.actionStatus == "failed" else { throw Self.notWaiting }
                r.actionStatus = "pending"
                runActions = true
            case "dismiss":
                guard r.matchStatus == MatchStatus.review.rawValue else { throw Self.notWaiting }
                guard let note = input.note.nonBlank else { throw AppError.invalid("Ghi lý do loại kết quả.", "Give the reason for setting it aside.", details: ["note": "required"]) }
                r.matchStatus = MatchStatus.dismissed.rawValue
                r.reviewNote = String(note.prefix(TextLimits.title))
            case "link_sample", "accept":
                guard r.matchStatus == MatchStatus.review.rawValue else { throw Self.notWaiting }
                let label: String
                if action == "accept" {
                    // A changed result, accepted as the tube's latest.
                    guard r.reviewReason == ReviewReason.changedResult.rawValue, r.sampleId != nil || r.personId != nil else { throw Self.notWaiting }
                    label = r.label
                } else {
                    switch SampleLabel.normalize(input.label ?? "") {
                    case .success(let l): label = l
                    case .failure(let p): throw AppError.invalid(p.messageVI, p.messageEN, details: ["label": "invalid"])
                    }
                }
                if let sampleID = r.sampleId, action == "accept" || label == r.label, let sample = try await TestingQueries.sample(db, id: sampleID) {
                    try await Self.attach(db, &r, to: sample)
                } else if action == "accept", r.personId != nil {
                    r.matchStatus = MatchStatus.personOnly.rawValue
                } else {
                    // The tube the reviewer names must be one they may see (a lab: one sent to it).
                    guard let sample = try await db.raw("SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE label = \(bind: label) AND \(viewer.labOrUnit())")
                        .first(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else {
                        throw AppError(.notFound, code: "unknown_label", vi: "Không có ống \(label) trong phạm vi của bạn.", en: "No tube \(label) within your reach.", details: ["label": "unknown"])
                    }
                    try await Self.attach(db, &r, to: sample)
                }
                try await Self.arm(db, &r)
                runActions = r.actionStatus == "pending"
            case "link_person", "register":
                guard r.matchStatus == MatchStatus.review.rawValue else { throw Self.notWaiting }
                guard user.can(.viewPeople) else { throw AppError.forbidden }
                let person: PersonRecord
                if action == "link_person" {
                    guard let id = input.personId.nonBlank, let p = try await PersonQueries.find(db, id: id, scope: viewer.scope) else {
                        throw AppError(.notFound, code: "unknown_person", vi: "Không tìm thấy người này trong địa bàn.", en: "Person not found in your jurisdiction.", details: ["person_id": "unknown"])
                    }
                    person = p
                } else {
                    guard user.can(.editPeople) else { throw AppError.forbidden }
                    let ward = try await CampaignService(services: services).coveredUnit(input.unit, user: user)
                    guard await services.directory.isLowestAdministrative(ward.path) else {
                        throw AppError.invalid("Chọn phường/xã nơi người này sống.", "Choose the ward the person lives in.", details: ["unit": "ward_required"])
                    }
                    guard !r.reportedName.isEmpty else { throw AppError.invalid("Kết quả không có họ tên để lập hồ sơ.", "The result has no name to register.", details: ["action": "no_name"]) }
                    let member = MemberRecord(id: Identifier.make(), sampleId: "", position: 0, personId: nil, fullName: r.reportedName, nameFolded: VietnameseText.fold(r.reportedName),
                                              citizenId: r.reportedId.nonBlank, phone: r.reportedPhone.nonBlank, birthYear: Int(r.reportedBirth.prefix(4)),
                                              unitPath: ward.path, groupCode: "", retestId: nil)
                    person = try await ResultActions.registerIfNew(db, member: member, reason: "Tạo hồ sơ khi đối chiếu kết quả xét nghiệm (ống \(r.label))", actor: user)
                }
                r.personId = person.id
                r.matchStatus = MatchStatus.personOnly.rawValue
                r.unitPath = person.unitPath
                r.groupCode = person.groupCode ?? ""
                try await Self.arm(db, &r)
                runActions = r.actionStatus == "pending"
            default:
                throw AppError.invalid("Cách xử lý không hợp lệ.", "Unknown way to settle it.", details: ["action": "invalid"])
            }
            r.reviewedBy = user.username
            r.reviewedAt = Timestamp.now()
            if let note = input.note.nonBlank, action != "dismiss" { r.reviewNote = String(note.prefix(TextLimits.title)) }
            try await db.raw("""
                UPDATE test_results SET sample_id = \(bind: r.sampleId), member_id = \(bind: r.memberId), person_id = \(bind: r.personId), match_status = \(bind: r.matchStatus),
                unit_path = \(bind: r.unitPath), group_code = \(bind: r.groupCode), sampled_at = \(bind: r.sampledAt), action = \(bind: r.action), action_status = \(bind: r.actionStatus),
                reviewed_by = \(bind: r.reviewedBy), reviewed_at = \(bind: r.reviewedAt), review_note = \(bind: r.reviewNote) WHERE id = \(bind: r.id)
                """).run()
            // Now that it belongs somewhere, it counts in that ward's figures and its lab's turnaround.
            if before.matchStatus == MatchStatus.review.rawValue, r.matchStatus != MatchStatus.dismissed.rawValue, r.statusKind != .preliminary, r.statusKind != .cancelled,
               let resulted = Timestamp.date(r.resultedAt) {
                let day = VietnamTime.day(of: resulted)
                var deltas: [Counters.Change: Int] = [Counters.Change(r.unitPath, group: r.groupCode, .testResults, day: day): 1]
                if r.valueKind == .detected { deltas[Counters.Change(r.unitPath, group: r.groupCode, .testPositives, day: day)] = 1 }
                try await Counters.apply(db, deltas)
                try await ResultIngest.turnaround(db, [r])
            }
            var changes = [FieldChange("match_status", old: before.matchStatus, new: r.matchStatus)]
            if before.actionStatus != r.actionStatus { changes.append(FieldChange("action_status", old: before.actionStatus, new: r.actionStatus)) }
            if before.sampleId != r.sampleId { changes.append(FieldChange("sample_id", old: before.sampleId, new: r.sampleId)) }
            if before.personId != r.personId { changes.append(FieldChange("person_id", old: before.personId, new: r.personId)) }
            try await Audit.record(db, actor: user, action: "review", entityType: "test_result", entityId: r.id, unitPath: try? UnitPath(r.unitPath),
                                   summary: "Đối chiếu kết quả ống \(r.label): \(MatchStatus(rawValue: r.matchStatus)?.labelVI ?? r.matchStatus)", changes: changes)
            return (r, runActions)
        }
        if runActions { try await ResultActions.run(database, resultIDs: [updated.id], actor: user) }
        return try await database.read { try await TestingQueries.result($0, id: updated.id) } ?? updated
    }

    static let notWaiting = AppError(.conflict, code: "not_in_review", vi: "Kết quả này không còn chờ đối chiếu.", en: "This result is no longer waiting for review.")

    /// The reviewer says this is the tube's result: for an individual tube its one person, for a pool the whole tube.
    static func attach(_ db: any SQLDatabase, _ r: inout ResultRecord, to sample: SampleRecord) async throws {
        let members = try await TestingQueries.members(db, sampleIDs: [sample.id])
        r.sampleId = sample.id
        r.unitPath = sample.unitPath
        r.groupCode = sample.groupCode
        r.sampledAt = sample.sampledAt
        r.matchStatus = MatchStatus.matched.rawValue
        if sample.kindValue == .individual, let only = members.first {
            r.memberId = only.id
            r.personId = only.personId
        }
        if r.statusKind != .preliminary {
            try await db.raw("""
                UPDATE samples SET status = 'resulted', result_value = \(bind: r.value), resulted_at = \(bind: r.resultedAt), result_id = \(bind: r.id), lab_id = COALESCE(lab_id, \(bind: r.labId))
                WHERE id = \(bind: sample.id) AND (resulted_at IS NULL OR resulted_at <= \(bind: r.resultedAt))
                """).run()
        }
    }

    /// The action the rules in force give the settled result, queued to run after the commit.
    static func arm(_ db: any SQLDatabase, _ r: inout ResultRecord) async throws {
        let sample = try await r.sampleId.asyncMap { try await TestingQueries.sample(db, id: $0) } ?? nil
        let day = r.sampledAt.flatMap(Timestamp.date).map(VietnamTime.day(of:)) ?? Timestamp.date(r.resultedAt).map(VietnamTime.day(of:)) ?? Clock.today()
        let rule = AntigenConfirmationRule(rawValue: try await Policies.value(db, .antigenConfirmation, on: day)) ?? .pcrRequired
        var evidence = ResultRules.Evidence(symptomatic: sample?.symptomatic ?? false)
        if r.testKind == .rapidAntigen, rule == .withSymptomsOrLink {
            evidence.epidemiologicalLink = try await ResultIngest.hasEpidemiologicalLink(db, personID: r.personId, campaignID: sample?.campaignId)
        }
        let action = ResultRules.action(kind: sample?.kindValue ?? .individual, test: r.testKind, value: r.valueKind, status: r.statusKind, antigenRule: rule, evidence: evidence)
        r.action = ResultIngest.code(action)
        r.actionStatus = action == .none ? "none" : "pending"
    }
}
