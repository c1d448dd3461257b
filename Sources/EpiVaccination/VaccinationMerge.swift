import EpiCore
import EpiPlatform
import SQLKit

/// A merge of duplicate records keeps the person's vaccination on the record kept: the duplicate's doses
/// (numbered again with the kept record's, see `VaccinationRules.merge`), screenings, adverse events and
/// certificates. Without it a person vaccinated under a duplicate would be invited again as unvaccinated.
/// Coverage counted each record's doses on their own; the merge takes those counts back and counts the
/// one history, so the person is one "first dose" in the ward they live in.
package struct VaccinationMerge: PersonMergeStep {
    package init() {}

    package func holdings(_ db: any SQLDatabase, personID: String, language: Language) async throws -> String? {
        let doses = try await db.raw("SELECT COUNT(*) AS n FROM vaccine_doses WHERE person_id = \(bind: personID)").first()?.decode(column: "n", as: Int.self) ?? 0
        guard doses > 0 else { return nil }
        return language == .vi ? "\(doses) mũi tiêm" : "\(doses) vaccine doses"
    }

    package func carry(_ db: any SQLDatabase, from duplicateID: String, to survivorID: String) async throws -> [FieldChange] {
        let moving = try await VaccinationService.doses(db, personID: duplicateID)
        var changes: [FieldChange] = []
        guard let kept = try await db.raw("SELECT unit_path, group_code, birth_date FROM persons WHERE id = \(bind: survivorID)").first() else { return [] }
        let unitPath = try kept.decode(column: "unit_path", as: String.self)
        let groupCode = try kept.decode(column: "group_code", as: String?.self) ?? ""
        if !moving.isEmpty {
            let staying = try await VaccinationService.doses(db, personID: survivorID)
            let birth = try kept.decode(column: "birth_date", as: String?.self).flatMap { CivilDate(iso: $0) }
            func recorded(_ d: DoseRecord) -> RecordedDose? {
                CivilDate(iso: d.givenOn).map { RecordedDose(id: d.id, productCode: d.productCode, date: $0, number: d.doseNumber) }
            }
            let plan = VaccinationRules.merge(kept: staying.compactMap(recorded), duplicate: moving.compactMap(recorded))
            let byID = Dictionary((staying + moving).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var tally = CoverageTally()
            for d in staying + moving { tally.add(unitPath: d.unitPath, day: d.givenOn, ageGroup: d.ageGroup, counts: d.counts, by: -1) }
            var after: [(number: Int, dose: DoseRecord)] = []
            var reissue: [String] = []
            // Numbers go negative first, then flip: the unique (person, number, day) index never sees two rows agree on the way.
            for planned in plan.doses {
                guard let old = byID[planned.id] else { continue }
                let ward = planned.fromDuplicate ? unitPath : old.unitPath
                let group = planned.fromDuplicate ? groupCode : old.groupCode
                let age = birth.flatMap { b in CivilDate(iso: old.givenOn).flatMap { AgeGroup.of(age: b.age(on: $0)) } }?.rawValue ?? old.ageGroup
                let counts = planned.counts.map(\.rawValue).joined(separator: ",")
                tally.add(unitPath: ward, day: old.givenOn, ageGroup: age, counts: counts)
                if planned.number != old.doseNumber || counts != old.counts { reissue.append(old.id) }
                after.append((planned.number, old))
                try await db.raw("""
                    UPDATE vaccine_doses SET person_id = \(bind: survivorID), unit_path = \(bind: ward), group_code = \(bind: group), age_group = \(bind: age),
                      dose_number = \(bind: -planned.number), counts = \(bind: counts) WHERE id = \(bind: old.id)
                    """).run()
            }
            try await db.raw("UPDATE vaccine_doses SET dose_number = -dose_number WHERE person_id = \(bind: survivorID) AND dose_number < 0").run()
            // The same dose entered twice stays on the merged record, counted nowhere; what pointed at it points at the kept one.
            var repeated: [DoseRecord] = []
            for id in plan.repeated {
                guard let twin = byID[id], let same = staying.first(where: { $0.givenOn == twin.givenOn }) else { continue }
                repeated.append(twin)
                try await db.raw("UPDATE vaccine_doses SET counts = '' WHERE id = \(bind: id)").run()
                for table in ["vaccination_screenings", "vaccine_aefi", "vaccine_certificates"] {
                    try await db.raw("UPDATE \(ident: table) SET dose_id = \(bind: same.id) WHERE dose_id = \(bind: id)").run()
                }
            }
            try await tally.apply(db)
            // A certificate names its dose's number in the series: one whose number changed is kept (it was
            // signed and may be in someone's hand) but no longer handed out as the current one.
            for id in reissue {
                try await db.raw("UPDATE vaccine_certificates SET superseded_at = \(bind: Timestamp.now()) WHERE dose_id = \(bind: id) AND superseded_at IS NULL").run()
            }
            changes.append(FieldChange("vaccine_doses", old: Self.describe(staying.map { ($0.doseNumber, $0) }), new: Self.describe(after)))
            if !repeated.isEmpty {
                changes.append(FieldChange("repeated_doses", old: nil, new: Self.describe(repeated.map { ($0.doseNumber, $0) })))
            }
        }
        try await db.raw("UPDATE vaccination_screenings SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        try await db.raw("UPDATE vaccine_aefi SET person_id = \(bind: survivorID) WHERE person_id = \(bind: duplicateID)").run()
        try await db.raw("""
            UPDATE vaccine_certificates SET person_id = \(bind: survivorID), unit_path = \(bind: unitPath), group_code = \(bind: groupCode) WHERE person_id = \(bind: duplicateID)
            """).run()
        return changes
    }

    /// "Mũi 1 ngày 02/08/2021 (Vaxzevria (AstraZeneca)); Mũi 2 …", by date: what the audit row shows.
    static func describe(_ doses: [(number: Int, dose: DoseRecord)]) -> String? {
        guard !doses.isEmpty else { return nil }
        return doses.sorted { ($0.dose.givenOn, $0.number) < ($1.dose.givenOn, $1.number) }.map { n, d in
            "Mũi \(n) ngày \(CivilDate(iso: d.givenOn)?.vietnamese ?? d.givenOn) (\(VaccineCatalog.product(d.productCode)?.name ?? d.productCode))"
        }.joined(separator: "; ")
    }
}
