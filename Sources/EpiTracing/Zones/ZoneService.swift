import EpiCore
import EpiPlatform
import EpiRegistry
import Foundation
import SQLKit

package struct ZoneRecord: Codable, Sendable, Equatable {
    package var id: String
    package var unitPath: String
    package var groupCode: String
    package var name: String
    package var reason: String
    package var status: String
    package var startedOn: String
    package var endedOn: String?
    /// Residential group codes inside the zone, comma-separated.
    package var groups: String
    /// Alleys and addresses inside the zone, one per line ("ngõ Hòa Bình 2").
    package var addresses: String
    package var currentVersion: Int
    package var createdBy: String
    package var createdAt: String
    package var updatedAt: String
    package var version: Int

    package static let columns = "id, unit_path, group_code, name, reason, status, started_on, ended_on, groups, addresses, current_version, created_by, created_at, updated_at, version"

    var groupList: [String] { groups.split(separator: ",").map { String($0).trimmed }.filter { !$0.isEmpty } }
    var addressList: [String] { addresses.split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty } }
    var isActive: Bool { status == "active" }
}

package struct ZoneVersionRecord: Codable, Sendable, Equatable {
    package var id: String
    package var zoneId: String
    package var version: Int
    package var groups: String
    package var addresses: String
    package var effectiveFrom: String
    package var change: String
    package var note: String
    package var changedBy: String
    package var changedAt: String
}

package struct SupplyRecord: Codable, Sendable, Equatable {
    package var id: String
    package var zoneId: String
    package var deliveredOn: String
    package var items: String
    package var households: Int
    package var note: String
    package var recordedBy: String
    package var recordedAt: String
}

package struct CheckpointRecord: Codable, Sendable, Equatable {
    package var id: String
    package var unitPath: String
    package var groupCode: String
    package var zoneId: String?
    package var name: String
    package var location: String
    package var active: Bool
    package var createdBy: String
    package var createdAt: String
}

/// Lockdown zones (phong tỏa): drawn narrow around cases by residential groups and alleys,
/// narrowed or lifted later with every version kept.
package struct ZoneService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }
    var database: Database { services.database }

    package struct Input: Codable, Sendable {
        var unit: String?
        var name: String?
        var reason: String?
        var groups: [String]?
        var addresses: String?
        var startedOn: String?
        var note: String?
        var version: Int?

        package init(unit: String? = nil, name: String? = nil, reason: String? = nil, groups: [String]? = nil, addresses: String? = nil, startedOn: String? = nil, note: String? = nil, version: Int? = nil) {
            self.unit = unit
            self.name = name
            self.reason = reason
            self.groups = groups
            self.addresses = addresses
            self.startedOn = startedOn
            self.note = note
            self.version = version
        }
    }

    package static func find(_ db: any SQLDatabase, id: String, scope: Scope) async throws -> ZoneRecord? {
        try await db.raw("SELECT \(unsafeRaw: ZoneRecord.columns) FROM zones WHERE id = \(bind: id) AND \(scope.condition())")
            .first(decoding: ZoneRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func list(_ db: any SQLDatabase, scope: Scope, activeOnly: Bool) async throws -> [ZoneRecord] {
        try await db.raw("""
            SELECT \(unsafeRaw: ZoneRecord.columns) FROM zones WHERE \(scope.condition()) \(unsafeRaw: activeOnly ? "AND status = 'active'" : "")
            ORDER BY status, started_on DESC LIMIT 500
            """).all(decoding: ZoneRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func versions(_ db: any SQLDatabase, zoneID: String) async throws -> [ZoneVersionRecord] {
        try await db.raw("SELECT id, zone_id, version, groups, addresses, effective_from, change, note, changed_by, changed_at FROM zone_versions WHERE zone_id = \(bind: zoneID) ORDER BY version DESC")
            .all(decoding: ZoneVersionRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func supplies(_ db: any SQLDatabase, zoneID: String) async throws -> [SupplyRecord] {
        try await db.raw("SELECT id, zone_id, delivered_on, items, households, note, recorded_by, recorded_at FROM zone_supplies WHERE zone_id = \(bind: zoneID) ORDER BY delivered_on DESC, recorded_at DESC LIMIT 200")
            .all(decoding: SupplyRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    static func checkpoints(_ db: any SQLDatabase, zoneID: String) async throws -> [CheckpointRecord] {
        try await db.raw("SELECT id, unit_path, group_code, zone_id, name, location, active, created_by, created_at FROM checkpoints WHERE zone_id = \(bind: zoneID) ORDER BY name")
            .all(decoding: CheckpointRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Validates groups (must exist in the ward) and addresses; returns them normalised.
    private func boundary(_ input: Input, ward: UnitRecord) async throws -> (groups: [String], addresses: [String]) {
        let known = Set(await services.directory.children(of: ward.path).filter(\.isGroup).map(\.code))
        let groups = Array(Set((input.groups ?? []).map { $0.trimmed.uppercased() }.filter { !$0.isEmpty })).sorted()
        let unknown = groups.filter { !known.contains($0) }
        let addresses = (input.addresses ?? "").split(whereSeparator: \.isNewline).map { String($0).trimmed }.filter { !$0.isEmpty }
        var errors: [String: String] = [:]
        if !unknown.isEmpty { errors["groups"] = "unknown: " + unknown.joined(separator: ", ") }
        if groups.isEmpty && addresses.isEmpty { errors["groups"] = "empty" }
        if addresses.contains(where: { VietnameseText.fold($0).count < 3 }) { errors["addresses"] = "too_short" }
        guard errors.isEmpty else {
            throw AppError.invalid("Vùng phong tỏa cần ít nhất một tổ dân phố của phường hoặc một địa chỉ/ngõ (đủ cụ thể).",
                                   "A zone needs at least one residential group of the ward or one specific address/alley.", details: errors)
        }
        return (groups, addresses)
    }

    package func create(_ input: Input, user: CurrentUser, scope: Scope, key: IdempotencyKey?) async throws -> ZoneRecord {
        guard user.can(.manageZones) else { throw AppError.forbidden }
        guard let ward = try await PersonService(database: database, directory: services.directory).resolveUnit(input.unit, user: user) else {
            throw AppError.invalid("Chọn phường/xã trong địa bàn của bạn.", "Choose a ward in your jurisdiction.", details: ["unit": "required"])
        }
        let name = (input.name ?? "").trimmed
        guard !name.isEmpty else { throw AppError.invalid("Tên vùng phong tỏa là bắt buộc.", "A zone name is required.", details: ["name": "required"]) }
        guard name.count <= TextLimits.title else { throw AppError.invalid("Tên vùng phong tỏa quá dài.", "The zone name is too long.", details: ["name": "too_long"]) }
        let started = try DateInput.orToday(input.startedOn, field: "started_on")
        let (groups, addresses) = try await boundary(input, ward: ward)
        return try await database.transaction { db in
            try await Idempotency.createOnce(db, key: key, user: user, id: \.id, load: { try await Self.find(db, id: $0, scope: scope) }) {
                let now = Timestamp.now()
                let zone = ZoneRecord(id: Identifier.make(), unitPath: ward.path, groupCode: "", name: name, reason: (input.reason ?? "").trimmed, status: "active",
                                      startedOn: started.iso, endedOn: nil, groups: groups.joined(separator: ","), addresses: addresses.joined(separator: "\n"),
                                      currentVersion: 1, createdBy: user.username, createdAt: now, updatedAt: now, version: 1)
                try await db.raw("""
                    INSERT INTO zones (\(unsafeRaw: ZoneRecord.columns)) VALUES (\(bind: zone.id), \(bind: zone.unitPath), '', \(bind: zone.name), \(bind: zone.reason), 'active',
                    \(bind: zone.startedOn), NULL, \(bind: zone.groups), \(bind: zone.addresses), 1, \(bind: zone.createdBy), \(bind: now), \(bind: now), 1)
                    """).run()
                try await Self.addVersion(db, zone: zone, change: "create", effective: started, note: input.note ?? "", user: user)
                try await Counters.bump(db, zone.unitPath, .zonesActive)
                try await Audit.record(db, actor: user, action: "create", entityType: "zone", entityId: zone.id, unitPath: try? UnitPath(zone.unitPath),
                                       summary: "Phong tỏa \(zone.name) từ \(started.vietnamese)",
                                       changes: [FieldChange("groups", old: nil, new: zone.groups), FieldChange("addresses", old: nil, new: zone.addresses)])
                return zone
            }
        }
    }

    private static func addVersion(_ db: any SQLDatabase, zone: ZoneRecord, change: String, effective: CivilDate, note: String, user: CurrentUser) async throws {
        try await db.raw("""
            INSERT INTO zone_versions (id, zone_id, version, groups, addresses, effective_from, change, note, changed_by, changed_at)
            VALUES (\(bind: Identifier.make()), \(bind: zone.id), \(bind: zone.currentVersion), \(bind: zone.groups), \(bind: zone.addresses), \(bind: effective.iso),
                    \(bind: change), \(bind: note.trimmed), \(bind: user.username), \(bind: Timestamp.now()))
            """).run()
    }

    /// Redraws the boundary (usually narrower) from a date; the old boundary stays in the history.
    func redraw(zoneID: String, _ input: Input, user: CurrentUser, scope: Scope) async throws -> ZoneRecord {
        guard user.can(.manageZones) else { throw AppError.forbidden }
        guard var zone = try await database.read({ try await Self.find($0, id: zoneID, scope: scope) }) else { throw AppError.notFound }
        guard zone.isActive else { throw AppError(.conflict, code: "zone_lifted", vi: "Vùng đã được gỡ phong tỏa.", en: "The zone was lifted.") }
        guard let ward = try await services.directory.unit(zone.unitPath) else { throw AppError.notFound }
        let (groups, addresses) = try await boundary(input, ward: ward)
        let effective = try DateInput.orToday(input.startedOn, field: "started_on")
        let before = zone
        zone.groups = groups.joined(separator: ",")
        zone.addresses = addresses.joined(separator: "\n")
        guard zone.groups != before.groups || zone.addresses != before.addresses else { return before }
        zone.currentVersion += 1
        zone.version += 1
        zone.updatedAt = Timestamp.now()
        let final = zone
        return try await database.transaction { db in
            let rows = try await db.raw("""
                UPDATE zones SET groups = \(bind: final.groups), addresses = \(bind: final.addresses), current_version = \(bind: final.currentVersion),
                updated_at = \(bind: final.updatedAt), version = \(bind: final.version) WHERE id = \(bind: final.id) AND version = \(bind: input.version ?? before.version) RETURNING id
                """).all()
            if rows.isEmpty { throw AppError.conflict }
            // Narrowing is judged on folded addresses: "ngo hoa binh 4" and "ngõ Hòa Bình 4" are one alley.
            let narrower = Set(groups).isSubset(of: Set(before.groupList))
                && Set(addresses.map(VietnameseText.fold)).isSubset(of: Set(before.addressList.map(VietnameseText.fold)))
            try await Self.addVersion(db, zone: final, change: narrower ? "narrow" : "redraw", effective: effective, note: input.note ?? "", user: user)
            try await Audit.record(db, actor: user, action: narrower ? "narrow" : "redraw", entityType: "zone", entityId: final.id, unitPath: try? UnitPath(final.unitPath),
                                   summary: (narrower ? "Thu hẹp" : "Điều chỉnh") + " vùng \(final.name) từ \(effective.vietnamese)",
                                   changes: [FieldChange("groups", old: before.groups, new: final.groups), FieldChange("addresses", old: before.addresses, new: final.addresses)])
            return final
        }
    }

    func lift(zoneID: String, on day: CivilDate?, note: String, user: CurrentUser, scope: Scope) async throws -> ZoneRecord {
        guard user.can(.manageZones) else { throw AppError.forbidden }
        return try await database.transaction { db in
            guard var zone = try await Self.find(db, id: zoneID, scope: scope) else { throw AppError.notFound }
            guard zone.isActive else { return zone }
            let day = day ?? Clock.today()
            guard day >= (try CivilDate.stored(zone.startedOn)) else { throw AppError.invalid("Ngày gỡ trước ngày phong tỏa.", "Lifted before it started.", details: ["ended_on": "before_start"]) }
            zone.status = "lifted"
            zone.endedOn = day.iso
            zone.currentVersion += 1
            zone.version += 1
            zone.updatedAt = Timestamp.now()
            try await db.raw("""
                UPDATE zones SET status = 'lifted', ended_on = \(bind: zone.endedOn), current_version = \(bind: zone.currentVersion), updated_at = \(bind: zone.updatedAt), version = \(bind: zone.version)
                WHERE id = \(bind: zone.id)
                """).run()
            try await Self.addVersion(db, zone: zone, change: "lift", effective: day, note: note, user: user)
            try await Counters.bump(db, zone.unitPath, .zonesActive, by: -1)
            try await Audit.record(db, actor: user, action: "lift", entityType: "zone", entityId: zone.id, unitPath: try? UnitPath(zone.unitPath),
                                   summary: "Gỡ phong tỏa \(zone.name) từ \(day.vietnamese)", changes: [FieldChange("status", old: "active", new: "lifted")])
            return zone
        }
    }

    /// People registered inside the zone's current boundary: in one of its groups, or at an address
    /// that names one of its alleys (compared without diacritics, as "ngo hoa binh 2").
    package static func residents(_ db: any SQLDatabase, zone: ZoneRecord, limit: Int = 500) async throws -> (count: Int, people: [PersonRecord]) {
        let groups = zone.groupList
        let patterns = zone.addressList.map { " " + VietnameseText.fold($0) + " " }
        var matched: [PersonRecord] = []
        var count = 0
        var after: (String, String)? = nil
        // A ward holds tens of thousands at most: walk it in keyset pages on its (unit_path, name_folded, id) index.
        while true {
            var sql: SQLQueryString = "\(unsafeRaw: PersonQueries.select) WHERE unit_path = \(bind: zone.unitPath) AND merged_into IS NULL"
            if let (name, id) = after { sql = "\(sql) AND (name_folded > \(bind: name) OR (name_folded = \(bind: name) AND id > \(bind: id)))" }
            let page = try await PersonQueries.fetch(db, "\(sql) ORDER BY name_folded, id LIMIT 5000")
            for p in page {
                let inGroup = p.groupCode.map(groups.contains) ?? false
                let address = " " + VietnameseText.fold(p.address) + " "
                if inGroup || patterns.contains(where: { address.contains($0) }) {
                    count += 1
                    if matched.count < limit { matched.append(p) }
                }
            }
            guard page.count == 5000, let last = page.last else { break }
            after = (last.nameFolded, last.id)
        }
        return (count, matched)
    }

    package func logSupply(zoneID: String, deliveredOn: String?, items: String, households: Int, note: String, user: CurrentUser, scope: Scope, key: IdempotencyKey?) async throws {
        guard user.can(.logSupplies) else { throw AppError.forbidden }
        guard !items.trimmed.isEmpty else { throw AppError.invalid("Ghi rõ hàng hóa đã cấp.", "Describe what was delivered.", details: ["items": "required"]) }
        guard (0...100_000).contains(households) else { throw AppError.invalid("Số hộ không hợp lệ.", "Invalid number of households.", details: ["households": "invalid"]) }
        let day = try DateInput.orToday(deliveredOn, field: "delivered_on")
        try await database.transaction { db in
            // A community team bound to one group still delivers to its ward's whole zone.
            guard let zone = try await Self.find(db, id: zoneID, scope: scope.wholeWard) else { throw AppError.notFound }
            _ = try await Idempotency.once(db, key: key, user: user) {
                let id = Identifier.make()
                try await db.raw("""
                    INSERT INTO zone_supplies (id, zone_id, delivered_on, items, households, note, recorded_by, recorded_at)
                    VALUES (\(bind: id), \(bind: zone.id), \(bind: day.iso), \(bind: items.trimmed), \(bind: households), \(bind: note.trimmed), \(bind: user.username), \(bind: Timestamp.now()))
                    """).run()
                try await Counters.bump(db, zone.unitPath, .suppliesDelivered, day: day)
                try await Audit.record(db, actor: user, action: "supply", entityType: "zone", entityId: zone.id, unitPath: try? UnitPath(zone.unitPath),
                                       summary: "Cấp \(items.trimmed) cho \(households) hộ ngày \(day.vietnamese)")
                return id
            }
        }
    }

    package func addCheckpoint(zoneID: String, name: String, location: String, user: CurrentUser, scope: Scope) async throws {
        guard user.can(.manageZones) else { throw AppError.forbidden }
        guard !name.trimmed.isEmpty else { throw AppError.invalid("Tên chốt là bắt buộc.", "A checkpoint name is required.", details: ["name": "required"]) }
        guard name.count <= TextLimits.title, location.count <= TextLimits.address else { throw AppError.invalid("Tên hoặc vị trí chốt quá dài.", "The checkpoint name or place is too long.", details: ["name": "too_long"]) }
        try await database.transaction { db in
            guard let zone = try await Self.find(db, id: zoneID, scope: scope) else { throw AppError.notFound }
            let id = Identifier.make()
            try await db.raw("""
                INSERT INTO checkpoints (id, unit_path, group_code, zone_id, name, location, active, created_by, created_at)
                VALUES (\(bind: id), \(bind: zone.unitPath), '', \(bind: zone.id), \(bind: name.trimmed), \(bind: location.trimmed), \(bind: true), \(bind: user.username), \(bind: Timestamp.now()))
                """).run()
            try await Audit.record(db, actor: user, action: "create", entityType: "checkpoint", entityId: id, unitPath: try? UnitPath(zone.unitPath),
                                   summary: "Lập chốt \(name.trimmed) cho vùng \(zone.name)")
        }
    }
}
