import EpiCore
import EpiPlatform
import EpiRegistry
import EpiTracing
import Foundation
import SQLKit

/// What the campaign form or `POST /api/v1/testing/campaigns` sends.
package struct CampaignInput: Codable, Sendable {
    package var name: String?
    /// The unit the campaign covers (a district, a ward, or the city); the caller's own when absent.
    package var unit: String?
    /// `units`, `zone` or `group`.
    package var targetKind: String?
    package var targetGroup: String?
    package var zoneId: String?
    /// Ward codes or paths to cover; every ward of `unit` when absent.
    package var wards: [String]?
    /// For a group at risk: how many people of the group live in each ward (code or path → count), or
    /// one count for every ward (`group_size`); without either, the group's people recorded in the registry
    /// (`person_risk_groups`).
    package var targets: [String: Int]?
    package var groupSize: Int?
    package var test: String?
    package var poolSize: Int?
    package var startsOn: String?
    package var deadlineOn: String?
    package var notes: String?

    package init(name: String? = nil, unit: String? = nil, targetKind: String? = nil, targetGroup: String? = nil, zoneId: String? = nil, wards: [String]? = nil,
                 targets: [String: Int]? = nil, groupSize: Int? = nil, test: String? = nil, poolSize: Int? = nil, startsOn: String? = nil, deadlineOn: String? = nil, notes: String? = nil) {
        self.name = name
        self.unit = unit
        self.targetKind = targetKind
        self.targetGroup = targetGroup
        self.zoneId = zoneId
        self.wards = wards
        self.targets = targets
        self.groupSize = groupSize
        self.test = test
        self.poolSize = poolSize
        self.startsOn = startsOn
        self.deadlineOn = deadlineOn
        self.notes = notes
    }
}

package struct PointInput: Codable, Sendable {
    package var unit: String?
    package var name: String?
    package var address: String?
    package var dailyCapacity: Int?

    package init(unit: String? = nil, name: String? = nil, address: String? = nil, dailyCapacity: Int? = nil) {
        self.unit = unit
        self.name = name
        self.address = address
        self.dailyCapacity = dailyCapacity
    }
}

package struct LabInputForm: Codable, Sendable {
    package var code: String?
    package var name: String?
    package var unit: String?
    package var hl7Facility: String?
    package var active: Bool?

    package init(code: String? = nil, name: String? = nil, unit: String? = nil, hl7Facility: String? = nil, active: Bool? = nil) {
        self.code = code
        self.name = name
        self.unit = unit
        self.hl7Facility = hl7Facility
        self.active = active
    }
}

/// One ward's (or district's) standing in a campaign.
package struct WardProgress: Codable, Sendable {
    package let unitPath: String
    package let target: Int
    package let people: Int
    package let tubes: Int
    package let perDay: Double
    package let projected: Int
    package let willMiss: Bool
    package let daysNeeded: Int?
    /// People a day the ward's active sampling points can take, summed.
    package var capacityPerDay: Int = 0
    /// People a day still needed to finish by the deadline (nil when done or past it).
    package var neededPerDay: Int? = nil
    /// Even at full capacity of its points the ward cannot finish: counted in `willMiss` too.
    package var beyondCapacity: Bool = false

    package var percent: Double { target > 0 ? Double(people) * 100 / Double(target) : 0 }
}

/// Campaigns (đợt xét nghiệm), their wards' targets, sampling points, progress; and the laboratories.
package struct CampaignService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }
    var directory: UnitDirectory { services.directory }

    private func msg(_ l: Language, _ vi: String, _ en: String) -> String { l == .vi ? vi : en }

    /// A unit the user covers, named by path, slug or code; the user's own when blank.
    func coveredUnit(_ raw: String?, user: CurrentUser) async throws -> UnitRecord {
        guard let raw = raw?.nonBlank else {
            guard let own = try await directory.unit(user.unitPath.string) else { throw AppError.notFound }
            return own
        }
        let path = raw.replacingOccurrences(of: ".", with: "/")
        var unit = try await directory.unit(path)
        if unit == nil { unit = await directory.all().first { $0.code == raw && !$0.isGroup } }
        guard let unit, !unit.isGroup, let p = try? UnitPath(unit.path), user.covers(p) else {
            throw AppError(.notFound, code: "unknown_unit", vi: "Đơn vị '\(raw.prefix(40))' không thuộc địa bàn của bạn.", en: "Unit '\(raw.prefix(40))' is not in your jurisdiction.",
                           details: ["unit": "unknown"])
        }
        return unit
    }

    /// The wards (lowest administrative units) under a unit, itself included when it is one.
    func wards(under unit: UnitRecord) async -> [UnitRecord] {
        if await directory.isLowestAdministrative(unit.path) { return [unit] }
        guard let root = try? UnitPath(unit.path) else { return [] }
        var out: [UnitRecord] = []
        for u in await directory.all() where !u.isGroup {
            guard let p = try? UnitPath(u.path), root.contains(p), await directory.isLowestAdministrative(u.path) else { continue }
            out.append(u)
        }
        return out.sorted { $0.path < $1.path }
    }

    // MARK: campaigns

    package func create(_ input: CampaignInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> CampaignRecord {
        guard user.can(.manageCampaigns) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let name = (input.name ?? "").trimmed
        if name.isEmpty { errors["name"] = msg(l, "Nhập tên đợt xét nghiệm.", "Name the campaign.") }
        if name.count > TextLimits.title { errors["name"] = msg(l, "Tên quá dài.", "The name is too long.") }
        let owner = try await coveredUnit(input.unit, user: user)
        let target = CampaignTarget(rawValue: input.targetKind ?? "units")
        if target == nil { errors["target_kind"] = msg(l, "Đối tượng không hợp lệ.", "Unknown target.") }
        let group = input.targetGroup.nonBlank.flatMap(TargetGroup.init(rawValue:))
        if target == .group && group == nil { errors["target_group"] = msg(l, "Chọn nhóm nguy cơ.", "Choose the group.") }
        let test = LabTest(rawValue: input.test ?? LabTest.rtPCR.rawValue)
        if test == nil { errors["test"] = msg(l, "Loại xét nghiệm không hợp lệ.", "Unknown test.") }
        let today = Clock.today()
        let start: CivilDate? = try? DateInput.parse(input.startsOn, field: "starts_on", default: today)
        if start == nil { errors["starts_on"] = msg(l, "Ngày không hợp lệ.", "Invalid date.") }
        let deadline: CivilDate? = try? DateInput.parse(input.deadlineOn, field: "deadline_on")
        if deadline == nil, input.deadlineOn.nonBlank != nil { errors["deadline_on"] = msg(l, "Ngày không hợp lệ.", "Invalid date.") }
        if deadline == nil && errors["deadline_on"] == nil { errors["deadline_on"] = msg(l, "Nhập hạn hoàn thành.", "Give the deadline.") }
        if let start, let deadline, deadline < start { errors["deadline_on"] = msg(l, "Hạn hoàn thành trước ngày bắt đầu.", "The deadline is before the start.") }
        let poolMax = try await database.read { try await Policies.value($0, .samplePoolMax, on: start ?? today) }
        let pool = input.poolSize ?? min(5, poolMax)
        if !(1...poolMax).contains(pool) { errors["pool_size"] = msg(l, "Số người mỗi ống từ 1 đến \(poolMax).", "People per tube: 1 to \(poolMax).") }

        // The wards and their targets.
        var targets: [(unit: UnitRecord, target: Int)] = []
        var zone: ZoneRecord?
        if target == .zone {
            let scope = try await Scope.of(user, directory: directory)
            zone = try await input.zoneId.nonBlank.asyncMap { id in try await database.read { try await ZoneService.find($0, id: id, scope: scope.wholeWard) } } ?? nil
            if let zone, zone.status == "active", let ward = try await directory.unit(zone.unitPath) {
                let residents = try await database.read { try await ZoneService.residents($0, zone: zone, limit: 0) }
                targets = [(ward, residents.count)]
            } else {
                errors["zone_id"] = msg(l, "Chọn vùng phong tỏa đang hiệu lực trong địa bàn.", "Choose an active lockdown zone in your jurisdiction.")
            }
        } else if target != nil {
            var chosen: [UnitRecord] = []
            let all = await wards(under: owner)
            if let raw = input.wards, !raw.isEmpty {
                for code in raw.map({ $0.trimmed }).filter({ !$0.isEmpty }) {
                    let path = code.replacingOccurrences(of: ".", with: "/")
                    if let w = all.first(where: { $0.path == path || $0.code == code }) { chosen.append(w) } else {
                        errors["wards"] = msg(l, "Phường/xã '\(code.prefix(20))' không thuộc \(owner.name).", "Ward '\(code.prefix(20))' is not in \(owner.name).")
                    }
                }
            } else {
                chosen = all
            }
            if chosen.isEmpty && errors["wards"] == nil { errors["wards"] = msg(l, "Chọn ít nhất một phường/xã.", "Choose at least one ward.") }
            if target == .group {
                // A size typed in for a ward wins; otherwise the group's people registered in the ward.
                var registered: [String: Int] = [:]
                if let group {
                    let paths = chosen.map(\.path)
                    registered = try await database.read { db in try await RiskGroupService.registered(db, group: group, wards: paths) }
                }
                for w in chosen {
                    let n = input.targets?[w.code] ?? input.targets?[w.path] ?? input.targets?[w.path.replacingOccurrences(of: "/", with: ".")] ?? input.groupSize
                        ?? registered[w.path]
                    guard let n, n >= 0, n <= 10_000_000 else {
                        errors["targets"] = msg(l, "Nhập số người của nhóm tại \(w.name) (sổ cư trú chưa ghi ai thuộc nhóm này).",
                                                "Give the group's size in \(w.name) (the registry records nobody of this group there).")
                        continue
                    }
                    targets.append((w, n))
                }
            } else {
                // Everyone registered in each ward; where the registry is still empty, the ward's population as the city entered it.
                let paths = chosen.map(\.path)
                let counts = try await database.read { db in try await Self.registered(db, wards: paths) }
                targets = chosen.map { ($0, counts[$0.path].flatMap { $0 > 0 ? $0 : nil } ?? $0.population ?? 0) }
            }
        }
        guard errors.isEmpty, let target, let test, let start, let deadline else {
            throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors)
        }
        let now = Timestamp.now()
        let record = CampaignRecord(id: Identifier.make(), name: name, unitPath: owner.path, groupCode: "", targetKind: target.rawValue,
                                    targetGroup: target == .group ? group?.rawValue : nil, zoneId: zone?.id, test: test.rawValue, poolSize: pool,
                                    startsOn: start.iso, deadlineOn: deadline.iso, status: "active", notes: (input.notes ?? "").trimmed,
                                    createdBy: user.username, createdAt: now, updatedAt: now, version: 1)
        let planned = targets
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await TestingQueries.campaign(db, id: $0) }) {
                try await db.raw("""
                    INSERT INTO campaigns (\(unsafeRaw: CampaignRecord.columns)) VALUES (\(bind: record.id), \(bind: record.name), \(bind: record.unitPath), '',
                    \(bind: record.targetKind), \(bind: record.targetGroup), \(bind: record.zoneId), \(bind: record.test), \(bind: record.poolSize),
                    \(bind: record.startsOn), \(bind: record.deadlineOn), 'active', \(bind: record.notes), \(bind: record.createdBy), \(bind: now), \(bind: now), 1)
                    """).run()
                for start in stride(from: 0, to: planned.count, by: 300) {
                    var insert = db.insert(into: "campaign_units").columns("campaign_id", "unit_path", "group_code", "target")
                    for t in planned[start..<min(start + 300, planned.count)] { insert = insert.values(SQLBind(record.id), SQLBind(t.unit.path), SQLBind(""), SQLBind(t.target)) }
                    try await insert.run()
                }
                try await Audit.record(db, actor: user, action: "create", entityType: "campaign", entityId: record.id, unitPath: try? UnitPath(record.unitPath),
                                       summary: "Lập đợt xét nghiệm \(record.name): \(planned.count) phường/xã, \(planned.reduce(0) { $0 + $1.target }) người, hạn \(deadline.vietnamese)",
                                       changes: [FieldChange("target_kind", old: nil, new: record.targetKind), FieldChange("starts_on", old: nil, new: record.startsOn),
                                                 FieldChange("deadline_on", old: nil, new: record.deadlineOn), FieldChange("test", old: nil, new: record.test)])
                return record
            }
        }
    }

    /// Registered people per ward, from the registry's pre-aggregated counts.
    static func registered(_ db: any SQLDatabase, wards: [String]) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for start in stride(from: 0, to: wards.count, by: 500) {
            let chunk = wards[start..<min(start + 500, wards.count)]
            for row in try await db.raw("SELECT unit_path, CAST(SUM(n) AS BIGINT) AS n FROM person_counts WHERE unit_path IN (\(SQLList(chunk.map { SQLBind($0) }))) GROUP BY unit_path").all() {
                out[try row.decode(column: "unit_path", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
        }
        return out
    }

    package func close(campaignID: String, user: CurrentUser) async throws -> CampaignRecord {
        guard user.can(.manageCampaigns) else { throw AppError.forbidden }
        let scope = try await Scope.of(user, directory: directory)
        return try await database.transaction { db in
            guard var c = try await db.raw("SELECT \(unsafeRaw: CampaignRecord.columns) FROM campaigns WHERE id = \(bind: campaignID) AND \(scope.wholeWard.condition())")
                .first(decoding: CampaignRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { throw AppError.notFound }
            guard c.status != "closed" else { return c }
            c.status = "closed"
            c.updatedAt = Timestamp.now()
            try await db.raw("UPDATE campaigns SET status = 'closed', updated_at = \(bind: c.updatedAt), version = version + 1 WHERE id = \(bind: c.id)").run()
            try await Audit.record(db, actor: user, action: "close", entityType: "campaign", entityId: c.id, unitPath: try? UnitPath(c.unitPath),
                                   summary: "Kết thúc đợt xét nghiệm \(c.name)", changes: [FieldChange("status", old: "active", new: "closed")])
            return c
        }
    }

    package func addPoint(campaignID: String, _ input: PointInput, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> PointRecord {
        guard user.can(.manageCampaigns) else { throw AppError.forbidden }
        let viewer = try await TestingViewer.of(user, services: services)
        guard let campaign = try await database.read({ try await TestingQueries.campaign($0, id: campaignID, viewer: viewer) }) else { throw AppError.notFound }
        var errors: [String: String] = [:]
        let ward = try await coveredUnit(input.unit, user: user)
        let inCampaign = try await database.read { db in
            try await db.raw("SELECT unit_path FROM campaign_units WHERE campaign_id = \(bind: campaign.id) AND unit_path = \(bind: ward.path)").first() != nil
        }
        if !inCampaign { errors["unit"] = msg(l, "Phường/xã này không thuộc đợt xét nghiệm.", "This ward is not part of the campaign.") }
        let name = (input.name ?? "").trimmed
        if name.isEmpty || name.count > TextLimits.title { errors["name"] = msg(l, "Nhập tên điểm lấy mẫu.", "Name the sampling point.") }
        let capacity = input.dailyCapacity ?? 0
        if !(1...100_000).contains(capacity) { errors["daily_capacity"] = msg(l, "Công suất mỗi ngày từ 1 đến 100.000 người.", "Daily capacity: 1 to 100,000 people.") }
        if campaign.status == "closed" { errors["campaign"] = msg(l, "Đợt xét nghiệm đã kết thúc.", "The campaign is closed.") }
        guard errors.isEmpty else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let point = PointRecord(id: Identifier.make(), campaignId: campaign.id, unitPath: ward.path, groupCode: "", name: name,
                                address: String((input.address ?? "").trimmed.prefix(TextLimits.address)), dailyCapacity: capacity, active: true,
                                createdBy: user.username, createdAt: Timestamp.now())
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await TestingQueries.point(db, id: $0) }) {
                try await db.raw("""
                    INSERT INTO sampling_points (\(unsafeRaw: PointRecord.columns)) VALUES (\(bind: point.id), \(bind: point.campaignId), \(bind: point.unitPath), '',
                    \(bind: point.name), \(bind: point.address), \(bind: point.dailyCapacity), \(bind: true), \(bind: point.createdBy), \(bind: point.createdAt))
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "sampling_point", entityId: point.id, unitPath: try? UnitPath(point.unitPath),
                                       summary: "Điểm lấy mẫu \(point.name) (\(campaign.name)), \(point.dailyCapacity) người/ngày",
                                       changes: [FieldChange("daily_capacity", old: nil, new: String(point.dailyCapacity))])
                return point
            }
        }
    }

    /// Each ward's progress against its target inside `scope`, with the pace of its last three days.
    package func progress(_ campaign: CampaignRecord, scope: Scope, today: CivilDate = Clock.today()) async throws -> [WardProgress] {
        let recentFrom = today.adding(days: -2)
        let (totals, recent) = try await database.read { db -> ([(String, Int, Int, Int)], [String: [String: Int]]) in
            let rows = try await db.raw("""
                SELECT cu.unit_path, cu.target, CAST(COALESCE(SUM(cp.people), 0) AS BIGINT) AS people, CAST(COALESCE(SUM(cp.tubes), 0) AS BIGINT) AS tubes
                FROM campaign_units cu LEFT JOIN campaign_progress cp ON cp.campaign_id = cu.campaign_id AND cp.unit_path = cu.unit_path
                WHERE cu.campaign_id = \(bind: campaign.id) AND \(scope.wholeWard.condition("cu")) GROUP BY cu.unit_path, cu.target ORDER BY cu.unit_path
                """).all()
            let totals = try rows.map { (try $0.decode(column: "unit_path", as: String.self), try $0.decode(column: "target", as: Int.self),
                                         try $0.decode(column: "people", as: Int.self), try $0.decode(column: "tubes", as: Int.self)) }
            var recent: [String: [String: Int]] = [:]
            for row in try await db.raw("""
                SELECT unit_path, day, people FROM campaign_progress WHERE campaign_id = \(bind: campaign.id) AND day >= \(bind: recentFrom.iso) AND day <= \(bind: today.iso)
                AND \(scope.wholeWard.condition())
                """).all() {
                recent[try row.decode(column: "unit_path", as: String.self), default: [:]][try row.decode(column: "day", as: String.self)] = try row.decode(column: "people", as: Int.self)
            }
            return (totals, recent)
        }
        let capacity = try await database.read { db in
            var out: [String: Int] = [:]
            for row in try await db.raw("""
                SELECT unit_path, CAST(SUM(daily_capacity) AS BIGINT) AS n FROM sampling_points WHERE campaign_id = \(bind: campaign.id) AND active
                AND \(scope.wholeWard.condition()) GROUP BY unit_path
                """).all() {
                out[try row.decode(column: "unit_path", as: String.self)] = try row.decode(column: "n", as: Int.self)
            }
            return out
        }
        // The pace counts only days the campaign was running (its first day may be today).
        let firstDay = max(recentFrom, campaign.startDay)
        let days = firstDay > today ? [] : (0...today.days(since: firstDay)).map { firstDay.adding(days: $0).iso }
        let judged = campaign.status != "closed" && today >= campaign.startDay
        return totals.map { (path, target, people, tubes) in
            let series = days.map { recent[path]?[$0] ?? 0 }
            let from = max(today, campaign.startDay)
            let p = CampaignPace.project(target: target, done: people, recent: series, today: from, deadline: campaign.deadlineDay)
            let c = CampaignPace.beyondCapacity(target: target, done: people, capacityPerDay: capacity[path] ?? 0, today: from, deadline: campaign.deadlineDay)
            var w = WardProgress(unitPath: path, target: target, people: people, tubes: tubes, perDay: p.perDay, projected: p.projected,
                                 // Before the first day there is no pace to judge: no ward is told it will miss.
                                 willMiss: judged && (p.willMiss || c.beyond), daysNeeded: p.daysNeeded)
            w.capacityPerDay = capacity[path] ?? 0
            w.neededPerDay = c.neededPerDay
            w.beyondCapacity = judged && c.beyond
            return w
        }
    }

    /// Wards summed by the unit directly below `parent` (districts for the city, wards for a district).
    package func rollUp(_ wards: [WardProgress], under parent: String, campaign: CampaignRecord, today: CivilDate = Clock.today()) async -> [WardProgress] {
        var groups: [String: [WardProgress]] = [:]
        for w in wards {
            let lineage = await directory.lineage(w.unitPath).map(\.path)
            guard let i = lineage.firstIndex(of: parent), i + 1 < lineage.count else { groups[w.unitPath, default: []].append(w); continue }
            groups[lineage[i + 1], default: []].append(w)
        }
        return groups.map { path, members in
            let target = members.reduce(0) { $0 + $1.target }, people = members.reduce(0) { $0 + $1.people }
            let perDay = members.reduce(0.0) { $0 + $1.perDay }
            let p = CampaignPace.project(target: target, done: people, recent: [Int(perDay.rounded())], today: max(today, campaign.startDay), deadline: campaign.deadlineDay)
            var w = WardProgress(unitPath: path, target: target, people: people, tubes: members.reduce(0) { $0 + $1.tubes }, perDay: perDay,
                                 projected: members.reduce(0) { $0 + $1.projected }, willMiss: members.contains(where: \.willMiss), daysNeeded: p.daysNeeded)
            w.capacityPerDay = members.reduce(0) { $0 + $1.capacityPerDay }
            w.neededPerDay = members.contains { $0.neededPerDay != nil } ? members.reduce(0) { $0 + ($1.neededPerDay ?? 0) } : nil
            w.beyondCapacity = members.contains(where: \.beyondCapacity)
            return w
        }.sorted { $0.unitPath < $1.unitPath }
    }

    // MARK: laboratories

    package func createLab(_ input: LabInputForm, user: CurrentUser, key: IdempotencyKey?, language l: Language) async throws -> LabRecord {
        guard user.can(.manageCampaigns) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let code = (input.code ?? "").trimmed.uppercased()
        if code.isEmpty || code.count > TextLimits.code || !code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            errors["code"] = msg(l, "Mã phòng xét nghiệm: chữ, số, - và _, tối đa 50 ký tự.", "Lab code: letters, digits, - and _, up to 50 characters.")
        }
        let name = (input.name ?? "").trimmed
        if name.isEmpty || name.count > TextLimits.title { errors["name"] = msg(l, "Nhập tên phòng xét nghiệm.", "Name the laboratory.") }
        let unit = try await coveredUnit(input.unit, user: user)
        let facility = input.hl7Facility.nonBlank
        if let facility, facility.count > TextLimits.code { errors["hl7_facility"] = msg(l, "Mã cơ sở HL7 quá dài.", "HL7 facility id too long.") }
        guard errors.isEmpty else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu.", "Please correct the marked fields.", details: errors) }
        let now = Timestamp.now()
        let lab = LabRecord(id: Identifier.make(), code: code, name: name, unitPath: unit.path, groupCode: "", hl7Facility: facility, active: input.active ?? true,
                            createdBy: user.username, createdAt: now, updatedAt: now, version: 1)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await TestingQueries.lab(db, id: $0) }) {
                if try await db.raw("SELECT id FROM labs WHERE code = \(bind: code) OR (hl7_facility IS NOT NULL AND hl7_facility = \(bind: facility ?? ""))").first() != nil {
                    throw AppError(.conflict, code: "duplicate_lab", vi: "Mã phòng xét nghiệm hoặc mã cơ sở HL7 đã được dùng.", en: "The lab code or HL7 facility id is already in use.",
                                   details: ["code": msg(l, "Mã phòng xét nghiệm hoặc mã cơ sở HL7 đã được dùng.", "The lab code or HL7 facility id is already in use.")])
                }
                try await db.raw("""
                    INSERT INTO labs (\(unsafeRaw: LabRecord.columns)) VALUES (\(bind: lab.id), \(bind: lab.code), \(bind: lab.name), \(bind: lab.unitPath), '',
                    \(bind: lab.hl7Facility), \(bind: lab.active), \(bind: lab.createdBy), \(bind: now), \(bind: now), 1)
                    """).run()
                try await Audit.record(db, actor: user, action: "create", entityType: "lab", entityId: lab.id, unitPath: try? UnitPath(lab.unitPath),
                                       summary: "Phòng xét nghiệm \(lab.name) (\(lab.code))", changes: [FieldChange("hl7_facility", old: nil, new: lab.hl7Facility)])
                return lab
            }
        }
    }

    /// Renames a laboratory, changes its HL7 sending-facility id, or (de)activates it; absent fields stay.
    /// The code is fixed: CSV uploads, `?lab=` and lab systems' configurations name the lab by it.
    package func updateLab(id: String, _ input: LabInputForm, user: CurrentUser, language l: Language = .vi) async throws -> LabRecord {
        guard user.can(.manageCampaigns) else { throw AppError.forbidden }
        return try await database.transaction { db in
            guard var lab = try await TestingQueries.lab(db, id: id), let p = try? UnitPath(lab.unitPath), user.covers(p) else { throw AppError.notFound }
            let before = lab
            var errors: [String: String] = [:]
            if let code = input.code, code.trimmed.uppercased() != lab.code {
                errors["code"] = msg(l, "Mã phòng xét nghiệm không đổi được (\(lab.code)).", "The lab code cannot change (\(lab.code)).")
            }
            if let name = input.name {
                let name = name.trimmed
                if name.isEmpty || name.count > TextLimits.title { errors["name"] = msg(l, "Nhập tên phòng xét nghiệm.", "Name the laboratory.") } else { lab.name = name }
            }
            if let facility = input.hl7Facility {
                if facility.trimmed.count > TextLimits.code { errors["hl7_facility"] = msg(l, "Mã cơ sở HL7 quá dài.", "HL7 facility id too long.") }
                lab.hl7Facility = facility.nonBlank
            }
            guard errors.isEmpty else { throw AppError.invalid("Vui lòng sửa các trường được đánh dấu; chưa có gì được lưu.", "Please correct the marked fields; nothing was saved.", details: errors) }
            if let active = input.active { lab.active = active }
            guard lab != before else { return lab }
            if let f = lab.hl7Facility, try await db.raw("SELECT id FROM labs WHERE hl7_facility = \(bind: f) AND id <> \(bind: lab.id)").first() != nil {
                throw AppError(.conflict, code: "duplicate_lab", vi: "Mã cơ sở HL7 đã được phòng khác dùng.", en: "Another lab uses this HL7 facility id.",
                               details: ["hl7_facility": msg(l, "Mã cơ sở HL7 đã được phòng khác dùng.", "Another lab uses this HL7 facility id.")])
            }
            lab.updatedAt = Timestamp.now()
            lab.version += 1
            try await db.raw("""
                UPDATE labs SET name = \(bind: lab.name), hl7_facility = \(bind: lab.hl7Facility), active = \(bind: lab.active), updated_at = \(bind: lab.updatedAt),
                version = \(bind: lab.version) WHERE id = \(bind: lab.id)
                """).run()
            var changes: [FieldChange] = []
            if before.name != lab.name { changes.append(FieldChange("name", old: before.name, new: lab.name)) }
            if before.hl7Facility != lab.hl7Facility { changes.append(FieldChange("hl7_facility", old: before.hl7Facility, new: lab.hl7Facility)) }
            if before.active != lab.active { changes.append(FieldChange("active", old: String(before.active), new: String(lab.active))) }
            try await Audit.record(db, actor: user, action: "update", entityType: "lab", entityId: lab.id, unitPath: try? UnitPath(lab.unitPath),
                                   summary: "Sửa phòng xét nghiệm \(lab.name)", changes: changes)
            return lab
        }
    }
}
