import EpiCodecs
import EpiCore
import EpiPlatform
import EpiSigning
import Foundation
import SQLKit

package struct CheckInput: Codable, Sendable {
    /// Client-generated UUID: the same check uploaded twice is stored once.
    package var id: String?
    /// The scanned QR text, or a permit number typed by the officer.
    package var code: String?
    package var number: String?
    package var checkpointId: String?
    package var direction: String?
    /// The verdict the phone showed when it checked offline (batch uploads only).
    package var result: String?
    /// For a pass with papers and no permit (medical, airport, embassy): counted as "other".
    package var reason: String?
    package var declarationOk: Bool?
    package var checkedAt: String?
    /// The holder's health declaration code (VNH1:…), read with the permit: current within 72 hours.
    package var declaration: String?
    package init(id: String? = nil, code: String? = nil, number: String? = nil, checkpointId: String? = nil, direction: String? = nil, result: String? = nil, reason: String? = nil, declarationOk: Bool? = nil, checkedAt: String? = nil, declaration: String? = nil) {
        self.declaration = declaration
        self.id = id
        self.code = code
        self.number = number
        self.checkpointId = checkpointId
        self.direction = direction
        self.result = result
        self.reason = reason
        self.declarationOk = declarationOk
        self.checkedAt = checkedAt
    }
}

package struct CheckOutcome: Codable, Sendable {
    package let id: String
    package let verdict: String
    package let permitId: String?
    package let number: String?
    package let fullName: String?
    package let citizenId: String?
    package let group: String?
    package let validFrom: String?
    package let validTo: String?
    package let problem: String?
    package var declarationOk: Bool? = nil
}

/// What the phone records for someone let through with papers but no permit.
package let papersResult = "papers"

/// Checks at checkpoints: online (the server decides) and uploaded from an offline phone (the phone
/// decided; the server keeps what the officer saw), and the daily counts of people allowed out.
package struct CheckService: Sendable {
    let services: AppServices
    /// The server's check log writer and checkpoint cache; without it (seeding, tests of the service
    /// alone) each check writes its own transaction and reads its checkpoint.
    let shared: CheckShared?
    package init(services: AppServices, shared: CheckShared? = nil) {
        self.services = services
        self.shared = shared
    }
    var database: Database { services.database }

    package struct Checkpoint: Sendable { let id: String?; let name: String; let unitPath: String; let groupCode: String; let zones: [String] }

    /// The checkpoint the officer stands at: one of the lockdown zones' checkpoints in their jurisdiction,
    /// or (none chosen) their own unit.
    func checkpoint(_ id: String?, viewer: MovementViewer) async throws -> Checkpoint {
        guard let id = id.nonBlank else {
            let unit = viewer.user.unitPath.string
            return Checkpoint(id: nil, name: await services.directory.label(unit), unitPath: unit, groupCode: "", zones: [unit])
        }
        let unknown = AppError.invalid("Không có chốt này trong địa bàn của bạn.", "No such checkpoint in your jurisdiction.", details: ["checkpoint_id": "unknown"])
        // The cache holds rows whatever the asker's jurisdiction; the scope is checked on every use.
        if let cached = shared?.checkpoint(id) {
            guard viewer.scope.contains(unitPath: cached.unitPath, groupCode: cached.groupCode) else { throw unknown }
            return cached
        }
        guard let row = try await database.read({ try await $0.raw("SELECT id, name, unit_path, group_code, zone_id FROM checkpoints WHERE id = \(bind: id)").first() }) else { throw unknown }
        let unit = try row.decode(column: "unit_path", as: String.self)
        let zone = try row.decode(column: "zone_id", as: String?.self)
        let found = Checkpoint(id: id, name: try row.decode(column: "name", as: String.self), unitPath: unit, groupCode: try row.decode(column: "group_code", as: String.self),
                               zones: [unit] + (zone.map { [$0] } ?? []))
        shared?.remember(found)
        guard viewer.scope.contains(unitPath: found.unitPath, groupCode: found.groupCode) else { throw unknown }
        return found
    }

    /// Verifies a permit at a checkpoint and logs the check.
    package func check(_ input: CheckInput, viewer: MovementViewer, language l: Language) async throws -> CheckOutcome {
        guard viewer.user.can(.checkPermits) else { throw AppError.forbidden }
        let direction = CheckDirection(rawValue: input.direction ?? "out") ?? .outbound
        let cp = try await checkpoint(input.checkpointId, viewer: viewer)
        let now = Clock.now(), today = VietnamTime.day(of: now)
        var permit: PermitRecord?
        var verdict = PermitVerdict.invalid
        var problem: String?
        if let code = input.code.nonBlank, code.hasPrefix(SigningPurpose.permit.prefix) {
            do {
                let verified = try SignedCode.verify(code, now: now, using: try SigningService.open(services.settings))
                if let id = verified.document["id"]?.textValue {
                    permit = try await database.read { try await $0.raw("SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE id = \(bind: id)").first(decoding: PermitRecord.self) }
                }
            } catch SignedCodeError.expired(_) {
                verdict = .expired
                problem = msg(l, "Giấy đã hết hạn.", "The permit has expired.")
            } catch let error as SignedCodeError {
                problem = l == .vi ? error.messageVI : error.messageEN
            }
        } else if let number = (input.number.nonBlank ?? input.code.nonBlank)?.uppercased(), number.count <= 60 {
            permit = try await database.read { try await $0.raw("SELECT \(unsafeRaw: PermitRecord.columns) FROM permits WHERE number = \(bind: number)").first(decoding: PermitRecord.self) }
            if permit == nil { problem = msg(l, "Không có giấy đi đường số này.", "No permit with this number.") }
        } else {
            throw AppError.invalid("Quét mã QR hoặc nhập số giấy đi đường.", "Scan the QR code or type the permit number.", details: ["code": "required"])
        }
        if let p = permit {
            if p.status == PermitStatus.requested.rawValue || p.status == PermitStatus.refused.rawValue {
                verdict = .invalid
                problem = msg(l, "Giấy chưa được cấp.", "The permit has not been issued.")
            } else if let terms = p.terms {
                verdict = terms.verdict(on: today, checkpointZones: cp.zones)
            }
        }
        var declarationOk = input.declarationOk
        if let declaration = input.declaration.nonBlank {
            let verified = try? SignedCode.verify(declaration, now: now, using: try SigningService.open(services.settings))
            declarationOk = verified?.purpose == .declaration
        }
        let id = input.id.flatMap { UUID(uuidString: $0)?.uuidString.lowercased() } ?? Identifier.make()
        let stamp = Timestamp.string(now)
        let row = CheckLogRow(id: id, checkpointId: cp.id, checkpointName: cp.name, unitPath: cp.unitPath, groupCode: "", permitId: permit?.id, permitNumber: permit?.number ?? "",
                              direction: direction.rawValue, result: verdict.rawValue, reason: "", declarationOk: declarationOk, officer: viewer.user.username,
                              checkedAt: stamp, checkedOn: today.iso, receivedAt: stamp)
        // The answer waits for the commit of the group the row went in: a check shown is a check stored.
        if let shared {
            _ = try await shared.log.submit(row)
        } else {
            _ = try await database.transaction { try await CheckLogRow.store($0, [row]) }
        }
        return CheckOutcome(id: id, verdict: verdict.rawValue, permitId: permit?.id, number: permit?.number, fullName: permit?.fullName, citizenId: permit?.citizenId,
                            group: permit?.grp, validFrom: permit?.validFrom, validTo: permit?.validTo, problem: problem, declarationOk: declarationOk)
    }

    /// Stores checks an offline phone queued. Each carries its phone-made UUID: a batch sent again (the
    /// phone never saw the first answer) stores nothing twice.
    package func upload(_ checks: [CheckInput], viewer: MovementViewer) async throws -> (stored: Int, duplicates: Int, problems: [String: String]) {
        guard viewer.user.can(.checkPermits) else { throw AppError.forbidden }
        guard checks.count <= 5_000 else { throw AppError.invalid("Tối đa 5.000 lượt một lần.", "At most 5,000 checks per upload.") }
        var problems: [String: String] = [:]
        var rows: [CheckLogRow] = []
        var checkpoints: [String: Checkpoint] = [:]
        let received = Timestamp.now()
        for (i, c) in checks.enumerated() {
            guard let id = c.id.flatMap({ UUID(uuidString: $0)?.uuidString.lowercased() }) else { problems[String(i + 1)] = "id"; continue }
            guard let at = c.checkedAt.flatMap({ Timestamp.date($0) }) else { problems[String(i + 1)] = "checked_at"; continue }
            let result = c.result ?? ""
            guard PermitVerdict(rawValue: result) != nil || result == papersResult else { problems[String(i + 1)] = "result"; continue }
            let key = c.checkpointId ?? ""
            let cp: Checkpoint
            if let known = checkpoints[key] { cp = known } else {
                do { cp = try await checkpoint(c.checkpointId, viewer: viewer) } catch { problems[String(i + 1)] = "checkpoint_id"; continue }
                checkpoints[key] = cp
            }
            let number = String((c.number ?? "").uppercased().prefix(60))
            let reason = result == papersResult ? "other" : ""
            rows.append(CheckLogRow(id: id, checkpointId: cp.id, checkpointName: cp.name, unitPath: cp.unitPath, groupCode: "", permitId: nil, permitNumber: number,
                                    direction: (CheckDirection(rawValue: c.direction ?? "") ?? .outbound).rawValue, result: result, reason: reason,
                                    declarationOk: c.declarationOk, officer: viewer.user.username, checkedAt: Timestamp.string(at), checkedOn: VietnamTime.day(of: at).iso,
                                    receivedAt: received))
        }
        let all = rows
        let stored = try await database.transaction { db in
            var stored = 0
            for start in stride(from: 0, to: all.count, by: 400) {
                let chunk = Array(all[start..<min(start + 400, all.count)])
                let new = try await CheckLogRow.store(db, chunk)
                guard new.contains(true) else { continue }
                let ids = zip(chunk, new).filter(\.1).map(\.0.id)
                // Link uploaded checks to their permits by number, for the daily figures and the permit's history.
                try await db.raw("""
                    UPDATE checkpoint_checks SET permit_id = (SELECT p.id FROM permits p WHERE p.number = checkpoint_checks.permit_number)
                    WHERE permit_id IS NULL AND permit_number <> '' AND id IN (\(SQLList(ids.map { SQLBind($0) })))
                    """).run()
                stored += ids.count
            }
            if stored > 0 {
                try await Audit.record(db, actor: viewer.user, action: "upload_checks", entityType: "checkpoint_check", entityId: nil, unitPath: viewer.user.unitPath,
                                       summary: "Tải lên \(stored) lượt kiểm tra tại chốt", changes: [FieldChange("checks_stored", old: nil, new: String(stored))])
            }
            return stored
        }
        return (stored, rows.count - stored, problems)
    }

    package func recentChecks(_ db: any SQLDatabase, viewer: MovementViewer, limit: Int = 50) async throws -> [CheckRecord] {
        let condition: SQLQueryString = viewer.user.role == .checkpoint ? "officer = \(bind: viewer.user.username)" : viewer.scope.condition()
        return try await db.raw("SELECT \(unsafeRaw: CheckRecord.columns) FROM checkpoint_checks WHERE \(condition) ORDER BY checked_at DESC, id LIMIT \(literal: limit)")
            .all(decoding: CheckRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// People allowed out on `day`, per ward, by reason: permits and vouchers usable that day (work,
    /// market), and passes with papers logged at checkpoints (other); read from the counters.
    package func dailyCounts(_ db: any SQLDatabase, scope: Scope, day: CivilDate) async throws -> [DailyOutCount] {
        try await OutCounters.daily(db, scope: scope, day: day)
    }

    /// The same figures counted from the permits and checkpoint logs themselves (a scan of every permit
    /// of the scope): what the counters must always equal.
    package func recount(_ db: any SQLDatabase, scope: Scope, day: CivilDate) async throws -> [DailyOutCount] {
        var byWard: [String: DailyOutCount] = [:]
        for row in try await db.raw("""
            SELECT unit_path, grp, COUNT(*) AS n FROM permits WHERE status = 'issued' AND valid_from <= \(bind: day.iso) AND valid_to >= \(bind: day.iso)
            AND (days = '' OR days LIKE \(bind: "%" + day.iso + "%")) AND \(scope.condition()) GROUP BY unit_path, grp
            """).all() {
            let unit = try row.decode(column: "unit_path", as: String.self)
            guard let group = PermitGroup(rawValue: try row.decode(column: "grp", as: String.self)) else { continue }
            byWard[unit, default: DailyOutCount(unitPath: unit)].add(group.outReason, try row.decode(column: "n", as: Int.self))
        }
        for row in try await db.raw("""
            SELECT unit_path, COUNT(*) AS n FROM checkpoint_checks WHERE checked_on = \(bind: day.iso) AND result = \(bind: papersResult) AND direction = 'out' AND \(scope.condition()) GROUP BY unit_path
            """).all() {
            let unit = try row.decode(column: "unit_path", as: String.self)
            byWard[unit, default: DailyOutCount(unitPath: unit)].add(.other, try row.decode(column: "n", as: Int.self))
        }
        return byWard.values.sorted { $0.unitPath < $1.unitPath }
    }
}
