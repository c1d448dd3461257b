/// A dose already given, as eligibility needs it.
public struct GivenDose: Sendable, Equatable {
    public let productCode: String
    public let date: CivilDate

    public init(productCode: String, date: CivilDate) {
        self.productCode = productCode
        self.date = date
    }
}

/// Where a person stands for the next dose on one day.
public enum DoseEligibility: Sendable, Equatable {
    /// May receive dose `number` today; `kind` says which count it moves.
    case eligible(number: Int, kind: DoseKind?)
    /// Under the minimum age on that day.
    case tooYoung(age: Int)
    /// The interval since the last dose has not passed: due on `dueOn`.
    case tooSoon(number: Int, dueOn: CivilDate)
    /// A dose recorded with a product this table does not know: a person decides.
    case unknownProduct(String)
}

/// The vaccination schedule rules: dose numbers, what each dose counts as, and who is due.
public enum VaccinationRules {
    /// The dose number the next dose takes: doses are numbered by date, whoever gave them.
    public static func nextDoseNumber(_ history: [GivenDose]) -> Int { history.count + 1 }

    /// What dose `number` of `product` counts as: the first, the completing one (both for a
    /// one-dose product), or a booster (beyond the series). Dose 1 of Janssen is first *and* complete;
    /// callers counting coverage use `counts(number:seriesDoses:)`.
    public static func kind(number: Int, seriesDoses: Int) -> DoseKind? {
        guard number >= 1, seriesDoses >= 1 else { return nil }
        if number == 1 { return .first }
        if number == seriesDoses { return .complete }
        return number > seriesDoses ? .booster : nil
    }

    /// Every count a dose moves (a one-dose product's only dose is first and complete).
    public static func counts(number: Int, seriesDoses: Int) -> [DoseKind] {
        guard number >= 1, seriesDoses >= 1 else { return [] }
        var out: [DoseKind] = []
        if number == 1 { out.append(.first) }
        if number == seriesDoses { out.append(.complete) }
        if number > seriesDoses { out.append(.booster) }
        return out
    }

    /// Whether a person born on `birthDate`, with `history` (any order), may receive `product` on `day`.
    /// The interval is the previous dose's product's: a second dose of a mixed schedule waits as the first
    /// product requires [unsure: Vietnam allowed mixing AstraZeneca then Pfizer at 8–12 weeks].
    public static func eligibility(birthDate: CivilDate, history: [GivenDose], product: VaccineProduct, on day: CivilDate) -> DoseEligibility {
        let age = birthDate.age(on: day)
        if age < VaccineCatalog.minimumAge { return .tooYoung(age: age) }
        let sorted = history.sorted { $0.date < $1.date }
        let number = nextDoseNumber(sorted)
        guard let last = sorted.last else { return .eligible(number: 1, kind: .first) }
        guard let previous = VaccineCatalog.product(last.productCode) else { return .unknownProduct(last.productCode) }
        // The series is the first product's: a booster after Janssen's single dose comes at dose 2.
        let series = VaccineCatalog.product(sorted[0].productCode)?.seriesDoses ?? previous.seriesDoses
        let wait = number > series ? previous.boosterIntervalDays : previous.minIntervalDays
        let due = last.date.adding(days: wait)
        if day < due { return .tooSoon(number: number, dueOn: due) }
        return .eligible(number: number, kind: kind(number: number, seriesDoses: series))
    }

    /// Someone whose last dose is fewer days old than this is due for no product: a list of invitations
    /// skips them in SQL before reading their history. A product's series interval applies only when it
    /// began a series of two or more doses (the next dose after anything else is a booster).
    public static let shortestWaitDays: Int = VaccineCatalog.products
        .flatMap { $0.seriesDoses >= 2 ? [$0.minIntervalDays, $0.boosterIntervalDays] : [$0.boosterIntervalDays] }
        .min() ?? 0

    /// The day someone with this history becomes due for the next dose (nil when the last product is unknown).
    public static func dueDate(history: [GivenDose]) -> CivilDate? {
        let sorted = history.sorted { $0.date < $1.date }
        guard let last = sorted.last else { return nil }
        guard let previous = VaccineCatalog.product(last.productCode) else { return nil }
        let series = VaccineCatalog.product(sorted[0].productCode)?.seriesDoses ?? previous.seriesDoses
        return last.date.adding(days: sorted.count >= series ? previous.boosterIntervalDays : previous.minIntervalDays)
    }
}
