/// One recorded dose, as a merge of two records of the same person needs it.
public struct RecordedDose: Sendable, Equatable {
    public let id: String
    public let productCode: String
    public let date: CivilDate
    public let number: Int

    public init(id: String, productCode: String, date: CivilDate, number: Int) {
        self.id = id
        self.productCode = productCode
        self.date = date
        self.number = number
    }
}

/// The doses of two records of one person, made one history.
public struct MergedDoses: Sendable, Equatable {
    public struct Dose: Sendable, Equatable {
        public let id: String
        public let number: Int
        public let counts: [DoseKind]
        /// Recorded on the duplicate: it moves to the record kept.
        public let fromDuplicate: Bool

        public init(id: String, number: Int, counts: [DoseKind], fromDuplicate: Bool) {
            self.id = id
            self.number = number
            self.counts = counts
            self.fromDuplicate = fromDuplicate
        }
    }
    /// Every dose the person keeps, by date.
    public let doses: [Dose]
    /// The duplicate's doses given on a day the kept record already has one: the same dose entered twice.
    public let repeated: [String]
}

extension VaccinationRules {
    /// One person's history from the doses of the record kept and of its duplicate. A person is given
    /// one dose a day (a session returns the first for a second recording), so a duplicate's dose on a
    /// day the kept record has one is the same dose entered twice and is set aside. The rest are numbered
    /// by date, never below the number recorded: a site that did not find the person's record gave
    /// "dose 1" to someone on their second, while a file from another system may name dose 2 of a first
    /// dose given where we have no record. Each dose counts as the first product's series says, as at a
    /// session.
    public static func merge(kept: [RecordedDose], duplicate: [RecordedDose]) -> MergedDoses {
        let keptDays = Set(kept.map(\.date))
        let repeated = duplicate.filter { keptDays.contains($0.date) }
        let repeatedIDs = Set(repeated.map(\.id))
        let all = kept.map { ($0, false) } + duplicate.filter { !repeatedIDs.contains($0.id) }.map { ($0, true) }
        let ordered = all.sorted { a, b in
            if a.0.date != b.0.date { return a.0.date < b.0.date }
            if a.0.number != b.0.number { return a.0.number < b.0.number }
            if a.1 != b.1 { return !a.1 }
            return a.0.id < b.0.id
        }
        // A product outside the catalogue names no series: such a dose counts only as a first.
        let series = ordered.first.flatMap { VaccineCatalog.product($0.0.productCode)?.seriesDoses } ?? Int.max
        var previous = 0
        var out: [MergedDoses.Dose] = []
        for (dose, fromDuplicate) in ordered {
            let number = max(dose.number, previous + 1)
            previous = number
            out.append(MergedDoses.Dose(id: dose.id, number: number, counts: counts(number: number, seriesDoses: series), fromDuplicate: fromDuplicate))
        }
        return MergedDoses(doses: out, repeated: repeated.sorted { $0.date < $1.date }.map(\.id))
    }
}
