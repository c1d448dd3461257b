import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

/// Someone sampled into a tube: a registered person, or a newcomer typed at the point.
package struct MemberInput: Codable, Sendable {
    package var personId: String?
    package var fullName: String?
    package var phone: String?
    package var citizenId: String?
    package var birthYear: Int?

    package init(personId: String? = nil, fullName: String? = nil, phone: String? = nil, citizenId: String? = nil, birthYear: Int? = nil) {
        self.personId = personId
        self.fullName = fullName
        self.phone = phone
        self.citizenId = citizenId
        self.birthYear = birthYear
    }

    var isBlank: Bool { [personId, fullName, phone, citizenId].allSatisfy { ($0 ?? "").trimmed.isEmpty } }
}

/// One tube as the sampling team records it (the phone form or `POST /api/v1/testing/samples`).
package struct SampleInput: Codable, Sendable {
    package var pointId: String?
    package var label: String?
    package var test: String?
    package var members: [MemberInput]?
    package var symptomatic: Bool?
    package var team: String?
    /// When the tube was taken; now when absent.
    package var sampledAt: String?

    package init(pointId: String? = nil, label: String? = nil, test: String? = nil, members: [MemberInput]? = nil, symptomatic: Bool? = nil, team: String? = nil, sampledAt: String? = nil) {
        self.pointId = pointId
        self.label = label
        self.test = test
        self.members = members
        self.symptomatic = symptomatic
        self.team = team
        self.sampledAt = sampledAt
    }
}

package struct BatchInput: Codable, Sendable {
    package var pointId: String?
    package var lab: String?
    /// Tube labels scanned into the box; every tube of the point not yet sent when absent.
    package var labels: [String]?
    package var carrier: String?
    package var note: String?

    package init(pointId: String? = nil, lab: String? = nil, labels: [String]? = nil, carrier: String? = nil, note: String? = nil) {
        self.pointId = pointId
        self.lab = lab
        self.labels = labels
        self.carrier = carrier
        self.note = note
    }
}

/// Tubes taken at sampling points, and the batches that carry them to laboratories.
package struct SampleService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    private func msg(_ l: Language, _ vi: String, _ en: String) -> String { l == .vi ? vi : en }

    /// Records one tube and the people in it: one person is an individual sample, several a pool (up to
    /// the campaign's pool size and the setting in force). A registered person is chosen from the registry; someone typed is linked
    /// to the registry by ID when it holds them, and otherwise kept by name, never added to the registry
    /// from the street (a positive result registers them then, without duplicates).
    package func record(_ input: SampleInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> SampleRecord {
        guard user.can(.collectSamples) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        var errors: [String: String] = [:]
        let point = try await input.pointId.nonBlank.asyncMap { id in try await database.read { try await TestingQueries.point($0, id: id) } } ?? nil
        guard let point, scope.wholeWard.contains(unitPath: point.unitPath, groupCode: ""), point.active else {
            throw AppError.invalid("Chọn điểm lấy mẫu của địa bàn.", "Choose a sampling point in your jurisdiction.", details: ["point_id": "required"])
        }
        guard let campaign = try await database.read({ try await TestingQueries.campaign($0, id: point.campaignId) }), campaign.status == "active" else {
            throw AppError.invalid("Đợt xét nghiệm của điểm này đã kết thúc.", "This point's campaign is closed.", details: ["point_id": "closed"])
        }
        var label = ""
        switch SampleLabel.normalize(input.label ?? "") {
        case .success(let l): label = l
        case .failure(let p): errors["label"] = msg(l, p.messageVI, p.messageEN)
        }
        let test = LabTest(rawValue: input.test.nonBlank ?? campaign.test)
        if test == nil { errors["test"] = msg(l, "Loại xét nghiệm không hợp lệ.", "Unknown test.") }
        let now = Clock.now()
        var sampledAt = now
        if let raw = input.sampledAt.nonBlank {
            switch LabTimeText.parse(raw) {
            case .success(let d):
                if d.timeIntervalSince(now) > 600 { errors["sampled_at"] = msg(l, "Thời gian lấy mẫu ở tương lai.", "Sampled in the future.") }
                sampledAt = d
            case .failure(let p): errors["sampled_at"] = msg(l, p.messageVI, p.messageEN)
            }
        }
        // The people in the tube, each resolved before anything is written.
        var members: [MemberRecord] = []
        var seen = Set<String>()
        let inputs = (input.members ?? []).filter { !$0.isBlank }
        for (i, m) in inputs.enumerated() {
            let prefix = "members.\(i)."
            if let id = m.personId.nonBlank {
                guard let p = try await database.read({ try await PersonQueries.find($0, id: id, scope: scope) }), p.mergedInto == nil else {
                    errors[prefix + "person_id"] = msg(l, "Không tìm thấy người này trong địa bàn.", "Person not found in your jurisdiction.")
                    continue
                }
                guard seen.insert("p:" + p.id).inserted else { continue }
                members.append(Self.member(of: p, sampleID: "", position: members.count))
                continue
            }
            let name = (m.fullName ?? "").trimmed
            if name.isEmpty || name.count > TextLimits.name { errors[prefix + "full_name"] = msg(l, "Nhập họ tên.", "Enter the name."); continue }
            var cid: CitizenID?
            if let raw = m.citizenId.nonBlank {
                do { cid = try CitizenID(parsing: raw) } catch { errors[prefix + "citizen_id"] = msg(l, "Số CCCD/CMND không hợp lệ.", "Invalid ID number."); continue }
            }
            var phone: PhoneNumber?
            if let raw = m.phone.nonBlank {
                do { phone = try PhoneNumber(parsing: raw) } catch { errors[prefix + "phone"] = msg(l, "Số điện thoại không hợp lệ.", "Invalid phone number."); continue }
            }
            if let y = m.birthYear, !CivilDate.acceptedYears.contains(y) { errors[prefix + "birth_year"] = msg(l, "Năm sinh không hợp lệ.", "Invalid birth year."); continue }
            // The registry's record when it holds this ID, wherever the person lives: nobody exists twice.
            if let cid, let holder = try await database.read({ try await PersonQueries.holder($0, citizenID: cid.kind == .cccd ? cid.digits : nil, oldID: cid.kind == .cmnd ? cid.digits : nil, excluding: nil) }) {
                guard seen.insert("p:" + holder.id).inserted else { continue }
                members.append(Self.member(of: holder, sampleID: "", position: members.count))
                continue
            }
            let folded = VietnameseText.fold(name)
            guard seen.insert("n:\(folded)|\(phone?.e164 ?? "")|\(cid?.digits ?? "")").inserted else { continue }
            members.append(MemberRecord(id: Identifier.make(), sampleId: "", position: members.count, personId: nil, fullName: name, nameFolded: folded,
                                        citizenId: cid?.digits, phone: phone?.e164, birthYear: m.birthYear, unitPath: point.unitPath, groupCode: "", retestId: nil))
        }
        let sampledDay = VietnamTime.day(of: sampledAt)
        let poolMax = try await database.read { try await Policies.value($0, .samplePoolMax, on: sampledDay) }
        var kind = SampleKind.individual
        switch Pooling.kind(members: members.count, maxPoolSize: poolMax, campaignPoolSize: campaign.poolSize) {
        case .success(let k): kind = k
        case .failure(let p): if errors.isEmpty { errors["members"] = msg(l, p.messageVI, p.messageEN) }
        }
        guard errors.isEmpty, let test else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors)
        }
        let sample = SampleRecord(id: Identifier.make(), label: label, campaignId: campaign.id, pointId: point.id, unitPath: point.unitPath, groupCode: "",
                                  kind: kind.rawValue, test: test.rawValue, poolSize: members.count, team: String((input.team ?? "").trimmed.prefix(TextLimits.title)),
                                  symptomatic: input.symptomatic ?? false, sampledAt: Timestamp.string(sampledAt), sampledOn: VietnamTime.day(of: sampledAt).iso,
                                  status: SampleStatus.collected.rawValue, batchId: nil, labId: nil, resultValue: nil, resultedAt: nil, resultId: nil,
                                  createdBy: user.username, createdAt: Timestamp.now())
        let planned = members.enumerated().map { i, m -> MemberRecord in
            var m = m
            m.sampleId = sample.id
            m.position = i
            return m
        }
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await TestingQueries.sample(db, id: $0) }) {
                if let other = try await TestingQueries.sample(db, label: sample.label) {
                    throw AppError(.conflict, code: "label_taken", vi: "Mã ống \(sample.label) đã được dùng cho một ống khác (lấy lúc \(DisplayTime.format(other.sampledAt))).",
                                   en: "Tube label \(sample.label) is already on another tube (taken \(DisplayTime.format(other.sampledAt))).", details: ["label": "taken"])
                }
                try await Self.write(db, sample, members: planned, campaign: campaign, user: user)
                return sample
            }
        }
    }

    static func member(of p: PersonRecord, sampleID: String, position: Int) -> MemberRecord {
        MemberRecord(id: Identifier.make(), sampleId: sampleID, position: position, personId: p.id, fullName: p.fullName, nameFolded: p.nameFolded,
                     citizenId: p.citizenId ?? p.oldId, phone: p.phone, birthYear: p.birthDate.flatMap { Int($0.prefix(4)) }, unitPath: p.unitPath,
                     groupCode: p.groupCode ?? "", retestId: nil)
    }

    /// Writes a tube in the caller's transaction: the tube, its people (each open re-test task of theirs
    /// marked sampled), the campaign's progress (people counted once per campaign), the live figures and
    /// the audit rows. Shared by the form, the API, the demo and the benchmark.
    package static func write(_ db: any SQLDatabase, _ sample: SampleRecord, members: [MemberRecord], campaign: CampaignRecord?, user: CurrentUser) async throws {
        var members = members
        // A person with an open re-test task is sampled for it: the task follows this tube.
        let personIDs = members.compactMap(\.personId)
        var deltas: [Counters.Change: Int] = [:]
        if !personIDs.isEmpty {
            let open = try await db.raw("SELECT id, person_id, unit_path, group_code FROM retests WHERE status = 'open' AND person_id IN (\(SQLList(personIDs.map { SQLBind($0) })))").all()
            for row in open {
                let id = try row.decode(column: "id", as: String.self), person = try row.decode(column: "person_id", as: String.self)
                guard let i = members.firstIndex(where: { $0.personId == person && $0.retestId == nil }) else { continue }
                members[i].retestId = id
                try await db.raw("UPDATE retests SET status = 'sampled', new_sample_id = \(bind: sample.id) WHERE id = \(bind: id) AND status = 'open'").run()
                deltas[Counters.Change(try row.decode(column: "unit_path", as: String.self), group: try row.decode(column: "group_code", as: String.self), .testRetestsOpen), default: 0] -= 1
            }
        }
        try await db.insert(into: "samples").columns(SampleRecord.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }).values(sample.binds).run()
        if !members.isEmpty {
            var insert = db.insert(into: "sample_members").columns(MemberRecord.columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            for m in members { insert = insert.values(m.binds) }
            try await insert.run()
        }
        let day = CivilDate(iso: sample.sampledOn) ?? Clock.today()
        var newPeople = members.count
        if let campaign {
            newPeople = 0
            for m in members {
                let key = m.personId.map { "p:" + $0 } ?? m.citizenId.map { "c:" + $0 } ?? "m:" + m.id
                let rows = try await db.raw("INSERT INTO campaign_people (campaign_id, person_key) VALUES (\(bind: campaign.id), \(bind: key)) ON CONFLICT DO NOTHING RETURNING person_key").all()
                newPeople += rows.count
            }
            try await db.raw("""
                INSERT INTO campaign_progress (campaign_id, unit_path, day, tubes, people) VALUES (\(bind: campaign.id), \(bind: sample.unitPath), \(bind: day.iso), 1, \(bind: newPeople))
                ON CONFLICT (campaign_id, unit_path, day) DO UPDATE SET tubes = campaign_progress.tubes + 1, people = campaign_progress.people + excluded.people
                """).run()
        }
        deltas[Counters.Change(sample.unitPath, group: sample.groupCode, .testSamples, day: day), default: 0] += 1
        deltas[Counters.Change(sample.unitPath, group: sample.groupCode, .testPeople, day: day), default: 0] += members.count
        try await Counters.apply(db, deltas)
        try await Audit.record(db, actor: user, action: "create", entityType: "sample", entityId: sample.id, unitPath: try? UnitPath(sample.unitPath),
                               summary: "Lấy mẫu ống \(sample.label) (\(sample.kindValue.labelVI), \(members.count) người)",
                               changes: [FieldChange("kind", old: nil, new: sample.kind), FieldChange("label", old: nil, new: sample.label)])
        // Each registered person's record shows they were sampled.
        for m in members where m.personId != nil {
            try await Audit.record(db, actor: user, action: "sampled", entityType: "person", entityId: m.personId, unitPath: try? UnitPath(m.unitPath),
                                   summary: "Lấy mẫu xét nghiệm, ống \(sample.label)")
        }
    }

    // MARK: batches

    /// Sends tubes from a point to a laboratory with a manifest: the labels scanned into the box (or every
    /// tube of the point not yet sent), the count declared, and when the lab must have confirmed receipt.
    package func createBatch(_ input: BatchInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> BatchRecord {
        guard user.can(.transportSamples), user.role != .lab else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: services.directory)
        guard let point = try await input.pointId.nonBlank.asyncMap({ id in try await database.read { try await TestingQueries.point($0, id: id) } }) ?? nil,
              scope.wholeWard.contains(unitPath: point.unitPath, groupCode: "") else {
            throw AppError.invalid("Chọn điểm lấy mẫu của địa bàn.", "Choose a sampling point in your jurisdiction.", details: ["point_id": "required"])
        }
        guard let labRaw = input.lab.nonBlank,
              let lab = try await database.read({ try await TestingQueries.labs($0) }).first(where: { $0.id == labRaw || $0.code.caseInsensitiveCompare(labRaw) == .orderedSame }) else {
            throw AppError.invalid("Chọn phòng xét nghiệm nhận mẫu.", "Choose the receiving laboratory.", details: ["lab": "required"])
        }
        var labels: [String]?
        if let raw = input.labels, !raw.isEmpty {
            var out: [String] = []
            for text in raw where !text.trimmed.isEmpty {
                switch SampleLabel.normalize(text) {
                case .success(let label): if !out.contains(label) { out.append(label) }
                case .failure(let p): throw AppError.invalid(p.messageVI, p.messageEN, details: ["labels": "invalid"])
                }
            }
            labels = out
        }
        let hours = try await database.read { try await Policies.value($0, .batchReceiptHours) }
        let now = Clock.now()
        let chosen = labels
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { id in try await db.raw("SELECT \(unsafeRaw: BatchRecord.columns) FROM sample_batches WHERE id = \(bind: id)")
                .first(decoding: BatchRecord.self, keyDecodingStrategy: .memoizedSnakeCase) }) {
                var tubes: [SampleRecord]
                if let chosen {
                    tubes = []
                    for start in stride(from: 0, to: chosen.count, by: 500) {
                        let chunk = chosen[start..<min(start + 500, chosen.count)]
                        tubes += try await db.raw("SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE label IN (\(SQLList(chunk.map { SQLBind($0) })))")
                            .all(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
                    }
                    let found = Set(tubes.map(\.label))
                    if let missing = chosen.first(where: { !found.contains($0) }) {
                        throw AppError.invalid("Không có ống mẫu \(missing).", "No tube \(missing).", details: ["labels": missing])
                    }
                    if let wrong = tubes.first(where: { $0.pointId != point.id || $0.batchId != nil || $0.status != SampleStatus.collected.rawValue }) {
                        throw AppError.invalid("Ống \(wrong.label) không thuộc điểm này hoặc đã được gửi.", "Tube \(wrong.label) is not from this point or was already sent.",
                                               details: ["labels": wrong.label])
                    }
                } else {
                    tubes = try await db.raw("""
                        SELECT \(unsafeRaw: SampleRecord.columns) FROM samples WHERE point_id = \(bind: point.id) AND batch_id IS NULL AND status = 'collected'
                        AND unit_path = \(bind: point.unitPath) ORDER BY sampled_at LIMIT 5000
                        """).all(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
                }
                guard !tubes.isEmpty else { throw AppError.invalid("Không có ống mẫu nào để gửi.", "No tubes to send.", details: ["labels": "empty"]) }
                let wardCode: String = point.unitPath.split(separator: "/").last.map(String.init) ?? ""
                let serial: String = String(Identifier.make().suffix(8)).uppercased()
                let code = "LO-\(wardCode)-\(serial)"
                let batch = BatchRecord(id: Identifier.make(), code: code, unitPath: point.unitPath, groupCode: "", pointId: point.id, labId: lab.id,
                                        sentAt: Timestamp.string(now), expectedBy: Timestamp.string(now.addingTimeInterval(Double(hours) * 3600)),
                                        declaredCount: tubes.count, status: BatchStatus.inTransit.rawValue, receivedAt: nil, receivedCount: nil, receivedBy: nil,
                                        note: String((input.note ?? "").trimmed.prefix(TextLimits.title)), carrier: String((input.carrier ?? "").trimmed.prefix(TextLimits.title)),
                                        createdBy: user.username, createdAt: Timestamp.now(), version: 1)
                try await db.raw("""
                    INSERT INTO sample_batches (\(unsafeRaw: BatchRecord.columns)) VALUES (\(bind: batch.id), \(bind: batch.code), \(bind: batch.unitPath), '', \(bind: batch.pointId),
                    \(bind: batch.labId), \(bind: batch.sentAt), \(bind: batch.expectedBy), \(bind: batch.declaredCount), \(bind: batch.status), NULL, NULL, NULL, \(bind: batch.note),
                    \(bind: batch.carrier), \(bind: batch.createdBy), \(bind: batch.createdAt), 1)
                    """).run()
                for start in stride(from: 0, to: tubes.count, by: 500) {
                    let chunk = tubes[start..<min(start + 500, tubes.count)]
                    try await db.raw("""
                        UPDATE samples SET batch_id = \(bind: batch.id), lab_id = \(bind: lab.id), status = 'in_transit' WHERE id IN (\(SQLList(chunk.map { SQLBind($0.id) })))
                        """).run()
                }
                try await Audit.record(db, actor: user, action: "create", entityType: "batch", entityId: batch.id, unitPath: try? UnitPath(batch.unitPath),
                                       summary: "Gửi lô \(batch.code): \(tubes.count) ống từ \(point.name) đến \(lab.name)",
                                       changes: [FieldChange("declared_count", old: nil, new: String(tubes.count)), FieldChange("status", old: nil, new: batch.status)])
                return batch
            }
        }
    }

    /// The laboratory confirms a batch arrived and how many tubes it counted; a different count is a
    /// discrepancy the sending ward sees at once.
    package func receiveBatch(batchID: String, count: Int?, note: String?, user: CurrentUser, language l: Language) async throws -> BatchRecord {
        guard user.can(.transportSamples) else { throw AppError.forbidden }
        let viewer = try await TestingViewer.of(user, services: services)
        guard let count, (0...100_000).contains(count) else {
            throw AppError.invalid("Nhập số ống đã nhận.", "Enter the number of tubes received.", details: ["received_count": "required"])
        }
        return try await database.transaction { db in
            guard var batch = try await TestingQueries.batch(db, id: batchID, viewer: viewer) else { throw AppError.notFound }
            guard let lab = try await TestingQueries.lab(db, id: batch.labId), viewer.actsFor(lab) else {
                throw AppError(.forbidden, code: "not_receiving_lab", vi: "Chỉ phòng xét nghiệm nhận lô (hoặc cấp quản lý phòng đó) xác nhận đã nhận.",
                               en: "Only the receiving laboratory (or those it reports to) confirms receipt.")
            }
            guard batch.statusValue == .inTransit else {
                throw AppError(.conflict, code: "batch_received", vi: "Lô này đã được xác nhận nhận.", en: "This batch was already received.")
            }
            let status: BatchStatus = count == batch.declaredCount ? .received : .discrepancy
            let now = Timestamp.now()
            try await db.raw("""
                UPDATE sample_batches SET status = \(bind: status.rawValue), received_at = \(bind: now), received_count = \(bind: count), received_by = \(bind: user.username),
                note = \(bind: String(((note ?? "").trimmed.isEmpty ? batch.note : (note ?? "").trimmed).prefix(TextLimits.title))), version = version + 1 WHERE id = \(bind: batch.id)
                """).run()
            try await db.raw("UPDATE samples SET status = 'received' WHERE batch_id = \(bind: batch.id) AND status = 'in_transit'").run()
            try await Audit.record(db, actor: user, action: "receive", entityType: "batch", entityId: batch.id, unitPath: try? UnitPath(batch.unitPath),
                                   summary: "\(lab.name) nhận lô \(batch.code): \(count)/\(batch.declaredCount) ống",
                                   changes: [FieldChange("received_count", old: nil, new: String(count)), FieldChange("status", old: batch.status, new: status.rawValue)])
            batch.status = status.rawValue
            batch.receivedAt = now
            batch.receivedCount = count
            batch.receivedBy = user.username
            return batch
        }
    }
}
