import EpiCore
import EpiLabFormats
import EpiPlatform
import EpiRegistry
import Foundation
import Logging
import SQLKit

/// FHIR R4 views of EpiCommand's records: a registered person as a `Patient`, a tube as a `Specimen`,
/// a result as an `Observation` (for a pooled tube, one per person in it), an F0 as a `Condition`;
/// and the Bulk Data export of a unit as NDJSON files, one per resource type, in parts.
package enum FHIRMapping {
    static func patient(_ p: PersonRecord) -> LabPatient {
        var ids: [PatientIdentifier] = []
        if let c = p.citizenId { ids.append(PatientIdentifier(kind: .cccd, value: c)) }
        if let o = p.oldId { ids.append(PatientIdentifier(kind: .cmnd, value: o)) }
        if ids.isEmpty { ids.append(PatientIdentifier(kind: .local, value: p.id, issuer: "EpiCommand")) }
        let words = p.fullName.split(separator: " ").map(String.init)
        let name = PersonName(family: words.first, middle: words.count > 2 ? words.dropFirst().dropLast().joined(separator: " ") : nil, given: words.count > 1 ? words.last : nil)
        let birth = p.birthDate.flatMap(CivilDate.init(iso:)).flatMap { LabCivilDate(year: $0.year, month: $0.month, day: $0.day) }
        let sex: LabSex? = p.sex == "male" ? .male : p.sex == "female" ? .female : nil
        return LabPatient(identifiers: ids, name: name, birthDate: birth, sex: sex, phone: p.phone, address: p.address.isEmpty ? nil : p.address)
    }

    static func specimen(_ s: SampleRecord) -> LabSpecimen {
        LabSpecimen(label: s.label, typeCode: "258500001", typeDisplay: "Nasopharyngeal swab", poolSize: s.poolSize > 1 ? s.poolSize : nil,
                    collectedAt: Timestamp.date(s.sampledAt))
    }

    static func entry(_ r: ResultRecord, specimen: LabSpecimen, patient: LabPatient, labName: String?, labCode: String?) -> LabResultEntry {
        let value: LabResultValue? = switch r.valueKind {
        case .detected: .detected
        case .notDetected: .notDetected
        case .inconclusive: .inconclusive
        case .invalid: r.statusKind == .cancelled ? nil : .invalid
        }
        let status: LabResultStatus = switch r.statusKind {
        case .final: .final
        case .preliminary: .preliminary
        case .corrected: .corrected
        case .cancelled: .cancelled
        }
        return LabResultEntry(entryID: r.id, patient: patient, specimen: specimen, test: r.testKind == .rapidAntigen ? .rapidAntigen : .rtPCR, result: value, ctValue: r.ct,
                              status: status, collectedAt: r.sampledAt.flatMap(Timestamp.date), resultedAt: Timestamp.date(r.resultedAt),
                              performingLab: LabOrganization(id: labCode, name: labName))
    }

    /// The Observations of one person: results matched to them, and the results of pooled tubes they were in.
    static func observations(_ db: any SQLDatabase, person: PersonRecord) async throws -> [JSONObject] {
        let direct = try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE person_id = \(bind: person.id) AND match_status IN ('matched', 'person_only') ORDER BY resulted_at DESC LIMIT 200")
            .all(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        let pooled = try await db.raw("""
            SELECT m.position, r.id FROM sample_members m JOIN samples s ON s.id = m.sample_id JOIN test_results r ON r.sample_id = s.id
            WHERE m.person_id = \(bind: person.id) AND s.kind = 'pooled' AND r.match_status = 'matched' ORDER BY r.resulted_at DESC LIMIT 200
            """).all()
        var out: [JSONObject] = []
        let patient = patient(person)
        var labs: [String: LabRecord] = [:]
        func lab(_ id: String) async throws -> LabRecord? {
            if let l = labs[id] { return l }
            let l = try await TestingQueries.lab(db, id: id)
            labs[id] = l
            return l
        }
        for r in direct {
            let sample = try await r.sampleId.asyncMap { try await TestingQueries.sample(db, id: $0) } ?? nil
            let specimen = sample.map(Self.specimen) ?? LabSpecimen(label: r.label)
            let l = try await lab(r.labId)
            if let o = try? FHIREncoder.observation(entry(r, specimen: specimen, patient: patient, labName: l?.name, labCode: l?.code), id: r.id,
                                                    subject: "Patient/\(person.id)", specimen: sample.map { "Specimen/\($0.id)" }) { out.append(o) }
        }
        for row in pooled {
            let id = try row.decode(column: "id", as: String.self), position = try row.decode(column: "position", as: Int.self)
            guard let r = try await TestingQueries.result(db, id: id), let sampleID = r.sampleId, let sample = try await TestingQueries.sample(db, id: sampleID) else { continue }
            let l = try await lab(r.labId)
            // One Observation per person of the pool: the tube's result, about them.
            if let o = try? FHIREncoder.observation(entry(r, specimen: specimen(sample), patient: patient, labName: l?.name, labCode: l?.code), id: "\(r.id).\(position)",
                                                    subject: "Patient/\(person.id)", specimen: "Specimen/\(sample.id)") { out.append(o) }
        }
        return out
    }

    /// One Observation by the id the search gives it (a result's id, or `{result}.{position}` for one
    /// person of a pooled tube) or a POST's `Location` names. The result must be filed in `scope`, and a
    /// person it is about must be in `scope` too; also returned: that person, for the audit trail.
    /// A result about no registered person (a pooled tube as a whole, one still in review) has no subject:
    /// what the lab wrote about the person is not shown.
    static func observation(_ db: any SQLDatabase, id raw: String, scope: Scope) async throws -> (resource: JSONObject, person: PersonRecord?)? {
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let resultID = parts.first.map(String.init), !resultID.isEmpty, resultID.count <= 100 else { return nil }
        let position: Int? = parts.count == 2 ? Int(parts[1]) : nil
        if parts.count == 2 && position == nil { return nil }
        guard let r = try await db.raw("SELECT \(unsafeRaw: ResultRecord.columns) FROM test_results WHERE id = \(bind: resultID) AND \(scope.condition())")
            .first(decoding: ResultRecord.self, keyDecodingStrategy: .memoizedSnakeCase) else { return nil }
        let sample = try await r.sampleId.asyncMap { try await TestingQueries.sample(db, id: $0) } ?? nil
        let personID: String?
        if let position {
            // A pooled member's view exists only where the search would list it.
            guard let sample, sample.kind == "pooled", r.matchStatus == "matched" else { return nil }
            let row = try await db.raw("SELECT person_id FROM sample_members WHERE sample_id = \(bind: sample.id) AND position = \(bind: position)").first()
            guard let id = try row?.decode(column: "person_id", as: String?.self) else { return nil }
            personID = id
        } else {
            personID = r.matchStatus == "review" ? nil : r.personId
        }
        var person: PersonRecord?
        if let personID {
            guard let p = try await PersonQueries.find(db, id: personID, scope: scope) else { return nil }
            person = p
        }
        let l = try await TestingQueries.lab(db, id: r.labId)
        let patient = person.map(Self.patient) ?? LabPatient()
        let specimen = sample.map(Self.specimen) ?? LabSpecimen(label: r.label)
        guard var o = try? FHIREncoder.observation(entry(r, specimen: specimen, patient: patient, labName: l?.name, labCode: l?.code), id: raw,
                                                   subject: person.map { "Patient/\($0.id)" } ?? "", specimen: sample.map { "Specimen/\($0.id)" }) else { return nil }
        if person == nil { o.set("subject", nil as JSONValue?) }
        return (o, person)
    }

    /// The tubes a person was sampled into.
    static func specimens(_ db: any SQLDatabase, personID: String) async throws -> [JSONObject] {
        let rows = try await db.raw("""
            SELECT \(unsafeRaw: SampleRecord.columns.split(separator: ",").map { "s." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM sample_members m JOIN samples s ON s.id = m.sample_id WHERE m.person_id = \(bind: personID) ORDER BY s.sampled_at DESC LIMIT 200
            """).all(decoding: SampleRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        return rows.compactMap { s in try? FHIREncoder.specimen(specimen(s), id: s.id, subject: s.poolSize > 1 ? nil : "Patient/\(personID)") }
    }

    /// A person's F0 cases as Conditions.
    static func conditions(_ db: any SQLDatabase, personIDs: [String]) async throws -> [JSONObject] {
        guard !personIDs.isEmpty else { return [] }
        var out: [JSONObject] = []
        for start in stride(from: 0, to: personIDs.count, by: 500) {
            let chunk = personIDs[start..<min(start + 500, personIDs.count)]
            let rows = try await db.raw("""
                SELECT c.id, c.person_id, c.case_number, c.confirmed_on, c.sampled_on, c.outcome, c.outcome_on, c.created_at,
                (SELECT r.id FROM test_results r WHERE r.case_id = c.id ORDER BY r.resulted_at LIMIT 1) AS result_id
                FROM cases c WHERE c.person_id IN (\(SQLList(chunk.map { SQLBind($0) }))) AND c.outcome <> 'ruled_out' ORDER BY c.confirmed_on
                """).all()
            for row in rows {
                let outcome = try row.decode(column: "outcome", as: String.self)
                let resolved = outcome == "recovered" || outcome == "died"
                let onset = (try row.decode(column: "sampled_on", as: String?.self) ?? row.decode(column: "confirmed_on", as: String.self))
                let abatement = try row.decode(column: "outcome_on", as: String?.self)
                let c = LabConfirmedCase(patientReference: "Patient/\(try row.decode(column: "person_id", as: String.self))", clinicalStatus: resolved ? .resolved : .active,
                                         onset: CivilDate(iso: onset).map { VietnamTime.instant($0) },
                                         recorded: Timestamp.date(try row.decode(column: "created_at", as: String.self)) ?? Clock.now(),
                                         abatement: abatement.flatMap(CivilDate.init(iso:)).map { VietnamTime.instant($0) },
                                         evidenceReference: try row.decode(column: "result_id", as: String?.self).map { "Observation/\($0)" },
                                         note: "F0 \(try row.decode(column: "case_number", as: String.self))")
                if let o = try? FHIREncoder.condition(c, id: try row.decode(column: "id", as: String.self)) { out.append(o) }
            }
        }
        return out
    }
}

/// The Bulk Data export of one unit, run as a background job: every person of the unit with a tube, a
/// result or a case, written as NDJSON parts of up to 2,000 resources, kept in the database until read.
package enum FHIRBulkExport {
    package static let kind = "fhir_export"
    static let linesPerPart = 2000

    /// Runs every export waiting (the job runner calls this; a second request while one runs is picked up here).
    package static func run(_ database: Database, _ job: JobContext) async throws -> String {
        var done = 0
        while let next = try await database.read({ db in
            try await db.raw("SELECT id, unit_path, user_id, username FROM fhir_exports WHERE status = 'queued' ORDER BY created_at LIMIT 1").first()
        }) {
            let id = try next.decode(column: "id", as: String.self)
            do {
                let count = try await export(database, id: id, unitPath: try next.decode(column: "unit_path", as: String.self),
                                             userID: try next.decode(column: "user_id", as: String.self), username: try next.decode(column: "username", as: String.self), job: job)
                try await database.transaction { db in
                    try await db.raw("UPDATE fhir_exports SET status = 'done', finished_at = \(bind: Timestamp.now()), message = \(bind: "\(count)") WHERE id = \(bind: id)").run()
                }
            } catch {
                try await database.transaction { db in
                    try await db.raw("UPDATE fhir_exports SET status = 'failed', finished_at = \(bind: Timestamp.now()), message = 'error' WHERE id = \(bind: id)").run()
                }
            }
            done += 1
        }
        return "\(done)"
    }

    static func export(_ database: Database, id: String, unitPath: String, userID: String, username: String, job: JobContext) async throws -> Int {
        guard let root = try? UnitPath(unitPath) else { return 0 }
        let user = CurrentUser(id: userID, username: username, displayName: username, role: .cityCommand, unitPath: root)
        // The unit's condition, as on every list: a ward by equality, a district or the city by range.
        let path = root.string
        let condition: SQLQueryString = "(unit_path = \(bind: path) OR (unit_path >= \(bind: root.descendantLowerBound) AND unit_path < \(bind: root.descendantUpperBound)))"
        let ids = try await database.read { db in
            try await db.raw("""
                SELECT DISTINCT person_id FROM (
                  SELECT person_id FROM sample_members WHERE person_id IS NOT NULL AND \(condition)
                  UNION SELECT person_id FROM test_results WHERE person_id IS NOT NULL AND \(condition)
                  UNION SELECT person_id FROM cases WHERE \(condition)) AS x ORDER BY person_id
                """).all().map { try $0.decode(column: "person_id", as: String.self) }
        }
        var parts: [String: (part: Int, lines: [String])] = [:]
        var total = 0
        // A pooled tube belongs to several people: its Specimen is written once.
        var specimensWritten = Set<String>()
        func flush(_ type: String, force: Bool) async throws {
            guard let current = parts[type], !current.lines.isEmpty, force || current.lines.count >= linesPerPart else { return }
            let body = current.lines.joined()
            try await database.transaction { db in
                try await db.raw("""
                    INSERT INTO fhir_export_files (export_id, resource_type, part, count, body) VALUES (\(bind: id), \(bind: type), \(bind: current.part), \(bind: current.lines.count), \(bind: body))
                    """).run()
            }
            parts[type] = (current.part + 1, [])
        }
        func add(_ resource: JSONObject) async throws {
            guard let type = resource["resourceType"]?.stringValue else { return }
            parts[type, default: (1, [])].lines.append(FHIRNDJSON.line(resource))
            total += 1
            try await flush(type, force: false)
        }
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = Array(ids[start..<min(start + 500, ids.count)])
            let people = try await database.read { db in
                try await PersonQueries.fetch(db, "\(unsafeRaw: PersonQueries.select) WHERE id IN (\(SQLList(chunk.map { SQLBind($0) }))) AND \(condition) AND merged_into IS NULL")
            }
            for p in people {
                if let patient = try? FHIREncoder.patient(FHIRMapping.patient(p), id: p.id) { try await add(patient) }
                for s in try await database.read({ try await FHIRMapping.specimens($0, personID: p.id) }) {
                    guard let sid = s["id"]?.stringValue, specimensWritten.insert(sid).inserted else { continue }
                    try await add(s)
                }
                for o in try await database.read({ try await FHIRMapping.observations($0, person: p) }) { try await add(o) }
            }
            for c in try await database.read({ try await FHIRMapping.conditions($0, personIDs: people.map(\.id)) }) { try await add(c) }
            // Who was exported is itself sensitive: each person is recorded as viewed by the requester.
            try await Audit.viewed(database, user: user, people: people.map { ($0.id, $0.unitPath) }, action: "export", summary: "Xuất dữ liệu FHIR (Bulk Data)")
            await job.progress(done: min(start + 500, ids.count), total: ids.count)
        }
        for type in parts.keys.sorted() { try await flush(type, force: true) }
        return total
    }
}
