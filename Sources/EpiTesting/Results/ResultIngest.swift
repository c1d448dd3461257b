import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// One result as a laboratory sent it, whatever the format (a CSV row, an HL7 OBX, a FHIR Observation).
package struct IncomingResult: Sendable, Equatable {
    /// Where it came from inside its file or message ("line 12", "MSG0001/OBX1", "entry 3").
    package var ref: String
    package var label: String
    package var test: LabTest
    package var value: TestResultValue
    package var status: TestResultStatus
    package var ct: Double?
    package var sampledAt: Date?
    package var resultedAt: Date
    /// National IDs (12 or 9 digits) the lab sent for the person.
    package var nationalIDs: [String] = []
    package var name: String?
    /// The birth date or year as sent (yyyy, yyyy-mm or yyyy-mm-dd).
    package var birth: String?
    package var phone: String?

    /// The same tube, test, result time, value and status from the same lab is the same result, however
    /// often it is sent. A correction is another result even when the lab keeps the original time: it is
    /// stored and judged (a changed value waits for review), never dropped as a repeat.
    func sourceKey(labID: String) -> String {
        let minute = Int((resultedAt.timeIntervalSince1970 / 60).rounded(.down))
        return "\(labID)|\(label)|\(test.rawValue)|\(minute)|\(value.rawValue)|\(status.rawValue)"
    }

    var reported: ResultMatching.Reported {
        ResultMatching.Reported(nationalIDs: nationalIDs, nameFolded: name.map(VietnameseText.fold), birthYear: birth.flatMap { Int($0.prefix(4)) })
    }
}

/// What became of one incoming result.
package enum IngestOutcome: Sendable, Equatable {
    /// Stored now.
    case added(id: String, match: MatchStatus, review: ReviewReason?, action: ResultAction)
    /// The same result was stored before (a file or message sent again): nothing was added. The id is the
    /// stored result's, when known.
    case repeated(id: String?)
}

/// Writes results in the caller's transaction: each one matched to its tube and person
/// (`ResultMatching`), judged by the rules in force (`ResultRules`), stored once, its tube marked
/// resulted, the live figures and the lab's turnaround moved, and an audit row written. What a result
/// makes happen (an F0, re-tests) is queued on the row (`action_status = pending`) and done by
/// `ResultActions` right after the commit, so a failure there never loses the result itself.
package enum ResultIngest {
    /// A result, skipped when its key (lab, tube, test, the lab's own id) is stored already.
    static let insert = BulkInsert(into: "test_results", columns: ResultRecord.columns.split(separator: ",").map { $0.trimmedWhitespace },
                                   skippingConflictsOn: ["source_key"], idColumn: "id")

    /// - Parameter messageIDs: each item's own message id, when the items come from several messages
    ///   (an MLLP group); `messageID` for all of them otherwise.
    package static func write(_ db: any SQLDatabase, _ items: [IncomingResult], lab: LabRecord, source: ResultSource, messageID: String,
                              messageIDs: [String]? = nil, actor: CurrentUser, now: Date = Clock.now()) async throws -> [IngestOutcome] {
        var outcomes = Array(repeating: IngestOutcome.repeated(id: nil), count: items.count)
        guard !items.isEmpty else { return outcomes }
        let keys = items.map { $0.sourceKey(labID: lab.id) }
        // The first of several entries with one key stands for them (the members of a pooled tube reported one by one).
        var first: [String: Int] = [:]
        for (i, k) in keys.enumerated() where first[k] == nil { first[k] = i }
        // The results stored before for these tubes: a repeat has the same key, and the tube's label is part of the key.
        let earlier = try await Self.earlierResults(db, labels: Set(items.map(\.label)), keys: Set(first.keys))
        let existing = earlier.ids
        for (i, k) in keys.enumerated() { if let id = existing[k] { outcomes[i] = .repeated(id: id) } }
        let fresh = items.indices.filter { first[keys[$0]] == $0 && existing[keys[$0]] == nil }
        guard !fresh.isEmpty else { return outcomes }

        // What the database knows about these tubes and people, read in a few queries.
        let (samples, members) = try await Self.samples(db, labels: Set(fresh.map { items[$0].label }))
        var priorFinal = earlier.finals
        let holderIDs = Set(fresh.filter { samples[items[$0].label] == nil }.flatMap { items[$0].nationalIDs })
        let holders = try await Self.holders(db, ids: holderIDs)
        var antigenRules: [CivilDate: AntigenConfirmationRule] = [:]

        var rows: [ResultRecord] = []
        var itemOfRow: [Int] = []  // for each row, the item it was made from
        rows.reserveCapacity(fresh.count)
        itemOfRow.reserveCapacity(fresh.count)
        // The same for every row of a file or group: made once, not per row.
        let receivedAt = Timestamp.string(now), sharedMessageID = Self.fitted(messageID, 200)
        for i in fresh {
            let item = items[i]
            let sample = samples[item.label]
            var row = ResultRecord(
                id: Identifier.make(), sourceKey: keys[i], labId: lab.id, source: source.rawValue,
                messageId: messageIDs.map { Self.fitted($0[i], 200) } ?? sharedMessageID, label: item.label,
                sampleId: nil, memberId: nil, personId: nil, test: item.test.rawValue, value: item.value.rawValue, status: item.status.rawValue,
                ct: item.ct, sampledAt: item.sampledAt.map(Timestamp.string), resultedAt: Timestamp.string(item.resultedAt), receivedAt: receivedAt,
                unitPath: lab.unitPath, groupCode: "", matchStatus: MatchStatus.review.rawValue, reviewReason: nil,
                reportedName: Self.fitted(item.name ?? "", TextLimits.name), reportedId: item.nationalIDs.first ?? "",
                reportedBirth: Self.fitted(item.birth ?? "", 10), reportedPhone: Self.fitted(item.phone ?? "", 20),
                action: "none", actionStatus: "none", caseId: nil, reviewedBy: nil, reviewedAt: nil, reviewNote: "", createdBy: actor.username)
            var review: ReviewReason?
            var kind = SampleKind.individual
            var symptomatic = false
            if let sample {
                // The tube exists: the lab's word about the person must fit someone sampled into it.
                let inTube = members[sample.id] ?? []
                kind = sample.kind
                symptomatic = sample.symptomatic
                row.sampleId = sample.id
                row.unitPath = sample.unitPath
                row.groupCode = sample.groupCode
                row.sampledAt = sample.sampledAt
                switch ResultMatching.decide(item.reported, members: inTube.map(\.identity), pooled: kind == .pooled) {
                case .member(let id):
                    row.matchStatus = MatchStatus.matched.rawValue
                    row.memberId = id
                    row.personId = inTube.first { $0.id == id }?.personId
                case .wholeTube:
                    row.matchStatus = MatchStatus.matched.rawValue
                case .mismatch:
                    review = .identityMismatch
                }
            } else if let person = item.nationalIDs.lazy.compactMap({ holders[$0] }).first {
                // No tube, but the ID is a registered person's: the result is theirs.
                row.matchStatus = MatchStatus.personOnly.rawValue
                row.personId = person.id
                row.unitPath = person.unitPath
                row.groupCode = person.groupCode
            } else {
                review = .unknownSample
            }
            // A final result that contradicts an earlier final one for the same tube needs a person to decide.
            let priorKey = "\(item.label)|\(item.test.rawValue)"
            if review == nil, item.status.acts, let before = priorFinal[priorKey], before != item.value {
                review = .changedResult
            }
            if review == nil, item.status.acts { priorFinal[priorKey] = item.value }
            if let review {
                row.matchStatus = MatchStatus.review.rawValue
                row.reviewReason = review.rawValue
            }
            var action = ResultAction.none
            if review == nil {
                let day = item.sampledAt.map(VietnamTime.day(of:)) ?? VietnamTime.day(of: item.resultedAt)
                // The rule is a policy read; only a result the rule decides needs it (a PCR result never does).
                var rule = AntigenConfirmationRule.pcrRequired
                if ResultRules.dependsOnAntigenRule(kind: kind, test: item.test, value: item.value, status: item.status) {
                    if let cached = antigenRules[day] { rule = cached } else {
                        rule = AntigenConfirmationRule(rawValue: try await Policies.value(db, .antigenConfirmation, on: day)) ?? .pcrRequired
                        antigenRules[day] = rule
                    }
                }
                var evidence = ResultRules.Evidence(symptomatic: symptomatic)
                if item.test == .rapidAntigen, item.value == .detected, rule == .withSymptomsOrLink, !symptomatic {
                    evidence.epidemiologicalLink = try await Self.hasEpidemiologicalLink(db, personID: row.personId, campaignID: sample?.campaignId)
                }
                action = ResultRules.action(kind: kind, test: item.test, value: item.value, status: item.status, antigenRule: rule, evidence: evidence)
                if action != .none {
                    row.action = Self.code(action)
                    row.actionStatus = "pending"
                }
            }
            itemOfRow.append(i)
            outcomes[i] = .added(id: row.id, match: MatchStatus(rawValue: row.matchStatus) ?? .review, review: review, action: action)
            rows.append(row)
        }

        // Stored once: a concurrent import of the same file loses the race here and reports the rows as repeated.
        var cells: [SQLCell] = []
        cells.reserveCapacity(rows.count * Self.insert.columns.count)
        for i in rows.indices { rows[i].append(to: &cells) }
        let written = try await Self.insert.run(db, cells: cells)
        for (item, new) in zip(itemOfRow, written) where !new { outcomes[item] = .repeated(id: nil) }
        // Later entries that repeat a key of this group share the first one's fate.
        for (i, k) in keys.enumerated() where first[k] != i && existing[k] == nil {
            if let f = first[k], case .added(let id, _, _, _) = outcomes[f] { outcomes[i] = .repeated(id: id) }
        }
        // Usually every row is new: the same array then, not a copy of each record.
        let stored = written.allSatisfy { $0 } ? rows : zip(rows, written).compactMap { $1 ? $0 : nil }
        try await Self.markTubes(db, stored, lab: lab)
        try await Self.closeRetests(db, stored, members: members)
        try await Self.figures(db, stored)
        try await Self.audit(db, stored, lab: lab, actor: actor)
        return outcomes
    }

    /// `text` cut to `characters`; a text whose bytes are that few already is kept without walking its
    /// characters (Vietnamese names are several scalars per letter, and every row has a few such fields).
    static func fitted(_ text: String, _ characters: Int) -> String {
        text.utf8.count <= characters ? text : String(text.prefix(characters))
    }

    static func code(_ action: ResultAction) -> String {
        switch action {
        case .none: return "none"
        case .openCase: return "open_case"
        case .retest(let reason): return "retest_" + reason.rawValue
        }
    }

    /// What matching and the writes after it need of a tube: a third of `SampleRecord`'s columns, read
    /// column by column for every result (SQLKit's keyed Decodable path, a container, a key conversion and
    /// a dynamic cast per field, was a tenth of a CSV import's time).
    struct Tube: Sendable {
        let id: String
        let campaignId: String?
        let unitPath: String
        let groupCode: String
        let kind: SampleKind
        let symptomatic: Bool
        let sampledAt: String
    }

    /// What matching needs of someone sampled into a tube.
    struct TubeMember: Sendable {
        let id: String
        let position: Int
        let personId: String?
        let nameFolded: String
        let citizenId: String?
        let birthYear: Int?
        let retestId: String?

        var identity: ResultMatching.Member {
            ResultMatching.Member(id: id, citizenID: citizenId.flatMap { $0.count == 12 ? $0 : nil }, oldID: citizenId.flatMap { $0.count == 9 ? $0 : nil },
                                  nameFolded: nameFolded, birthYear: birthYear)
        }
    }

    /// The tubes with these labels, by label, and their members in order, by tube id: one query, each
    /// tube's row repeated once per member.
    static func samples(_ db: any SQLDatabase, labels: Set<String>) async throws -> ([String: Tube], [String: [TubeMember]]) {
        var samples: [String: Tube] = [:]
        var members: [String: [TubeMember]] = [:]
        let all = Array(labels)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(start + 500, all.count)]
            // No ORDER BY: a sort of every row costs more than putting each tube's few members in order here.
            let rows = try await db.raw("""
                SELECT s.id, s.label, s.campaign_id, s.unit_path, s.group_code, s.kind, s.symptomatic, s.sampled_at,
                m.id AS m_id, m.position AS m_position, m.person_id AS m_person_id, m.name_folded AS m_name_folded, m.citizen_id AS m_citizen_id,
                m.birth_year AS m_birth_year, m.retest_id AS m_retest_id
                FROM samples s LEFT JOIN sample_members m ON m.sample_id = s.id
                WHERE s.label IN (\(SQLList(chunk.map { SQLBind($0) })))
                """).all()
            for row in rows {
                let id = try row.decode(column: "id", as: String.self)
                let label = try row.decode(column: "label", as: String.self)
                if samples[label]?.id != id {
                    samples[label] = Tube(id: id, campaignId: try row.decode(column: "campaign_id", as: String?.self),
                                          unitPath: try row.decode(column: "unit_path", as: String.self), groupCode: try row.decode(column: "group_code", as: String.self),
                                          kind: SampleKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .individual,
                                          symptomatic: try row.decode(column: "symptomatic", as: Bool.self), sampledAt: try row.decode(column: "sampled_at", as: String.self))
                }
                // A tube with nobody in it yet has one row, with no member.
                guard let memberID = try row.decode(column: "m_id", as: String?.self) else { continue }
                members[id, default: []].append(TubeMember(
                    id: memberID, position: try row.decode(column: "m_position", as: Int.self), personId: try row.decode(column: "m_person_id", as: String?.self),
                    nameFolded: try row.decode(column: "m_name_folded", as: String.self), citizenId: try row.decode(column: "m_citizen_id", as: String?.self),
                    birthYear: try row.decode(column: "m_birth_year", as: Int?.self), retestId: try row.decode(column: "m_retest_id", as: String?.self)))
            }
        }
        for (id, list) in members where list.count > 1 { members[id] = list.sorted { $0.position < $1.position } }
        return (samples, members)
    }

    /// Results stored before for these tube labels, read once: the ids of those with one of `keys` (a
    /// result sent again), and the latest final value per tube and test among the accepted ones.
    private static func earlierResults(_ db: any SQLDatabase, labels: Set<String>, keys: Set<String>) async throws -> (ids: [String: String], finals: [String: TestResultValue]) {
        var ids: [String: String] = [:]
        var finals: [String: (String, TestResultValue)] = [:]
        let all = Array(labels)
        for start in stride(from: 0, to: all.count, by: 500) {
            let chunk = all[start..<min(start + 500, all.count)]
            let rows = try await db.raw("""
                SELECT id, source_key, label, test, value, status, match_status, resulted_at FROM test_results WHERE label IN (\(SQLList(chunk.map { SQLBind($0) })))
                """).all()
            for row in rows {
                let key = try row.decode(column: "source_key", as: String.self)
                if keys.contains(key) { ids[key] = try row.decode(column: "id", as: String.self) }
                let status = try row.decode(column: "status", as: String.self), match = try row.decode(column: "match_status", as: String.self)
                guard TestResultStatus(rawValue: status)?.acts == true, match == MatchStatus.matched.rawValue || match == MatchStatus.personOnly.rawValue,
                      let value = TestResultValue(rawValue: try row.decode(column: "value", as: String.self)) else { continue }
                let tube = "\(try row.decode(column: "label", as: String.self))|\(try row.decode(column: "test", as: String.self))"
                let at = try row.decode(column: "resulted_at", as: String.self)
                if let seen = finals[tube], seen.0 >= at { continue }
                finals[tube] = (at, value)
            }
        }
        return (ids, finals.mapValues(\.1))
    }

    struct Holder: Sendable {
        let id: String
        let unitPath: String
        let groupCode: String
    }

    /// Registered people holding these national IDs, by ID.
    private static func holders(_ db: any SQLDatabase, ids: Set<String>) async throws -> [String: Holder] {
        var out: [String: Holder] = [:]
        let all = Array(ids)
        for start in stride(from: 0, to: all.count, by: 400) {
            let chunk = all[start..<min(start + 400, all.count)].map { SQLBind($0) }
            let rows = try await db.raw("""
                SELECT id, citizen_id, old_id, unit_path, group_code FROM persons
                WHERE (citizen_id IN (\(SQLList(chunk))) OR old_id IN (\(SQLList(chunk)))) AND merged_into IS NULL
                """).all()
            for row in rows {
                let holder = Holder(id: try row.decode(column: "id", as: String.self), unitPath: try row.decode(column: "unit_path", as: String.self),
                                    groupCode: (try? row.decode(column: "group_code", as: String?.self)) ?? "")
                for column in ["citizen_id", "old_id"] {
                    if let id = try? row.decode(column: column, as: String?.self) { out[id] = holder }
                }
            }
        }
        return out
    }

    /// An F0's contact (a derived level), someone in quarantine, or sampled in a lockdown zone's campaign.
    static func hasEpidemiologicalLink(_ db: any SQLDatabase, personID: String?, campaignID: String?) async throws -> Bool {
        if let campaignID, let row = try await db.raw("SELECT target_kind FROM campaigns WHERE id = \(bind: campaignID)").first(),
           try row.decode(column: "target_kind", as: String.self) == CampaignTarget.zone.rawValue { return true }
        guard let personID else { return false }
        if try await db.raw("SELECT person_id FROM contact_levels WHERE person_id = \(bind: personID)").first() != nil { return true }
        return try await db.raw("SELECT id FROM episodes WHERE person_id = \(bind: personID) AND status = 'active' AND kind = 'quarantine'").first() != nil
    }

    /// Tubes whose result arrived leave the waiting list; the newest result of a tube is the one it shows.
    /// A preliminary result leaves the tube waiting for its final one.
    private static func markTubes(_ db: any SQLDatabase, _ stored: [ResultRecord], lab: LabRecord) async throws {
        // Each tube's newest result, by its place in `stored`.
        var latest: [String: Int] = [:]
        // By index, field by field: a whole record's copy is some twenty retains, for every result.
        for i in stored.indices where stored[i].matchStatus == MatchStatus.matched.rawValue && stored[i].statusKind != .preliminary {
            guard let sample = stored[i].sampleId else { continue }
            if let seen = latest[sample], stored[seen].resultedAt >= stored[i].resultedAt { continue }
            latest[sample] = i
        }
        let rows = latest.values.sorted()
        for start in stride(from: 0, to: rows.count, by: 200) {
            let chunk = rows[start..<min(start + 200, rows.count)]
            var values: [SQLQueryString] = []
            for i in chunk {
                values.append("(\(bind: stored[i].sampleId ?? ""), \(bind: stored[i].value), \(bind: stored[i].resultedAt), \(bind: stored[i].id))")
            }
            // One statement per chunk (UPDATE … FROM VALUES works on SQLite ≥ 3.33 and PostgreSQL); a tube that
            // already shows a later result keeps it.
            try await db.raw("""
                UPDATE samples SET status = 'resulted', result_value = v.column2, resulted_at = v.column3, result_id = v.column4,
                lab_id = COALESCE(samples.lab_id, \(bind: lab.id))
                FROM (VALUES \(SQLList(values))) AS v WHERE samples.id = v.column1 AND (samples.resulted_at IS NULL OR samples.resulted_at <= v.column3)
                """).run()
        }
    }

    /// A re-test task is done when the tube taken for it has its result.
    /// - Parameter members: the tubes' members as read for matching in this transaction (nothing writes them between).
    private static func closeRetests(_ db: any SQLDatabase, _ stored: [ResultRecord], members: [String: [TubeMember]]) async throws {
        let sampleIDs = Set(stored.indices.compactMap { i in
            stored[i].matchStatus == MatchStatus.matched.rawValue && stored[i].statusKind != .preliminary ? stored[i].sampleId : nil
        })
        // Few tubes were taken for a re-test: no array per tube to find them, and only their ids sorted.
        var retestIDs: [String] = []
        for id in sampleIDs {
            guard let list = members[id] else { continue }
            for j in list.indices { if let retest = list[j].retestId { retestIDs.append(retest) } }
        }
        guard !retestIDs.isEmpty else { return }
        retestIDs.sort()
        // Tasks left the open count when their tube was taken (`sampled`); a task still open when a result
        // names its tube (the tube was recorded for it by another path) leaves the count now.
        var deltas: [Counters.Change: Int] = [:]
        for start in stride(from: 0, to: retestIDs.count, by: 500) {
            let chunk = retestIDs[start..<min(start + 500, retestIDs.count)]
            let wasOpen = try await db.raw("SELECT unit_path, group_code FROM retests WHERE status = 'open' AND id IN (\(SQLList(chunk.map { SQLBind($0) })))").all()
            for row in wasOpen {
                deltas[Counters.Change(try row.decode(column: "unit_path", as: String.self), group: try row.decode(column: "group_code", as: String.self), .testRetestsOpen), default: 0] -= 1
            }
            try await db.raw("""
                UPDATE retests SET status = 'done', closed_at = \(bind: Timestamp.now()) WHERE id IN (\(SQLList(chunk.map { SQLBind($0) })))
                AND status IN ('open', 'sampled')
                """).run()
        }
        try await Counters.apply(db, deltas)
    }

    /// Live figures per ward and day, and the lab's turnaround histogram per day and hour.
    private static func figures(_ db: any SQLDatabase, _ stored: [ResultRecord]) async throws {
        var deltas: [Counters.Change: Int] = [:]
        let counts = { (r: ResultRecord) in r.matchStatus != MatchStatus.review.rawValue && r.statusKind != .preliminary && r.statusKind != .cancelled }
        let counted = stored.allSatisfy(counts) ? stored : stored.filter(counts)
        for i in counted.indices {
            guard let resulted = Timestamp.date(counted[i].resultedAt) else { continue }
            let day = VietnamTime.day(of: resulted)
            deltas[Counters.Change(counted[i].unitPath, group: counted[i].groupCode, .testResults, day: day), default: 0] += 1
            if counted[i].value == TestResultValue.detected.rawValue {
                deltas[Counters.Change(counted[i].unitPath, group: counted[i].groupCode, .testPositives, day: day), default: 0] += 1
            }
        }
        try await Counters.apply(db, deltas)
        try await turnaround(db, counted)
    }

    /// Adds results that count to their lab's turnaround histogram (per result day and whole hour):
    /// at ingest, and again for a result a reviewer settles, which waited outside the figures until then.
    /// Only results with a sampling time (the tube's, or the lab's own) can say how long they took.
    static func turnaround(_ db: any SQLDatabase, _ counted: [ResultRecord]) async throws {
        var turnaround: [String: Int] = [:]
        for i in counted.indices {
            guard let resulted = Timestamp.date(counted[i].resultedAt), let sampled = counted[i].sampledAt.flatMap(Timestamp.date) else { continue }
            turnaround["\(counted[i].labId)|\(VietnamTime.day(of: resulted).iso)|\(Turnaround.hours(sampled: sampled, resulted: resulted))", default: 0] += 1
        }
        let entries = turnaround.sorted { $0.key < $1.key }
        for start in stride(from: 0, to: entries.count, by: 300) {
            let rows = entries[start..<min(start + 300, entries.count)].compactMap { key, n -> SQLQueryString? in
                let parts = key.split(separator: "|").map(String.init)
                guard parts.count == 3, let hours = Int(parts[2]) else { return nil }
                return "(\(bind: parts[0]), \(bind: parts[1]), \(bind: hours), \(bind: n))"
            }
            guard !rows.isEmpty else { continue }
            try await db.raw("""
                INSERT INTO test_turnaround (lab_id, day, hours, n) VALUES \(SQLList(rows))
                ON CONFLICT (lab_id, day, hours) DO UPDATE SET n = test_turnaround.n + excluded.n
                """).run()
        }
    }

    /// One audit row per stored result, written in the same statements' rhythm as the results.
    private static func audit(_ db: any SQLDatabase, _ stored: [ResultRecord], lab: LabRecord, actor: CurrentUser) async throws {
        let at = Timestamp.now()
        var cells: [SQLCell] = []
        cells.reserveCapacity(stored.count * Audit.rows.columns.count)
        for i in stored.indices {
            let value = TestResultValue(rawValue: stored[i].value)?.labelVI ?? stored[i].value
            Audit.append(to: &cells, at: at, actor: actor, action: "import", entityType: "test_result", entityId: stored[i].id, unitPath: stored[i].unitPath,
                         summary: "Kết quả ống \(stored[i].label): \(value) (\(lab.name))",
                         changes: "[{\"field\":\"value\",\"new\":\"\(stored[i].value)\"},{\"field\":\"match_status\",\"new\":\"\(stored[i].matchStatus)\"}]")
        }
        _ = try await Audit.rows.run(db, cells: cells)
    }
}
