/// An administrative violation of the epidemic measures, with its legal basis and fine range, as
/// versioned data: a fine is judged by the rule in force on the day of the violation.
///
/// Readings of Decree 117/2020/NĐ-CP (in force 15/11/2020): the mask fine (Art. 12.1) is widely
/// reported [sure]; the other articles and ranges are our reading of press reports of Hanoi fines in
/// 2021 [unsure]. An organisation's fine is twice an individual's (Art. 4.3) [unsure].
public enum ViolationKind: String, CaseIterable, Codable, Sendable {
    case noMask = "no_mask"
    case noPermit = "no_permit"
    case wrongRoute = "wrong_route"
    case gathering
    case quarantineBreach = "quarantine_breach"
    case operatingWithoutPlan = "operating_without_plan"
}

public enum ViolationStatus: String, CaseIterable, Codable, Sendable {
    case issued
    case paid
    case appealed
}

public struct ViolationRule: Sendable, Equatable {
    public let kind: ViolationKind
    public let effectiveFrom: CivilDate
    public let legalBasis: String
    /// Fine range for an individual, VND, inclusive.
    public let minFine: Int
    public let maxFine: Int
    public let sure: Bool

    /// The range for the offender: an organisation pays twice an individual's.
    public func range(organisation: Bool) -> ClosedRange<Int> {
        organisation ? (minFine * 2)...(maxFine * 2) : minFine...maxFine
    }
}

public enum ViolationRules {
    static let decree117 = CivilDate(dayNumber: 18_581) // 2020-11-15

    public static let all: [ViolationRule] = [
        ViolationRule(kind: .noMask, effectiveFrom: decree117, legalBasis: "Điểm a khoản 1 Điều 12 Nghị định 117/2020/NĐ-CP", minFine: 1_000_000, maxFine: 3_000_000, sure: true),
        ViolationRule(kind: .noPermit, effectiveFrom: decree117, legalBasis: "Khoản 1 Điều 12 Nghị định 117/2020/NĐ-CP [chưa chắc chắn]", minFine: 1_000_000, maxFine: 3_000_000, sure: false),
        ViolationRule(kind: .wrongRoute, effectiveFrom: decree117, legalBasis: "Khoản 1 Điều 12 Nghị định 117/2020/NĐ-CP [chưa chắc chắn]", minFine: 1_000_000, maxFine: 3_000_000, sure: false),
        ViolationRule(kind: .gathering, effectiveFrom: decree117, legalBasis: "Khoản 1 Điều 12 Nghị định 117/2020/NĐ-CP [chưa chắc chắn]", minFine: 1_000_000, maxFine: 3_000_000, sure: false),
        ViolationRule(kind: .quarantineBreach, effectiveFrom: decree117, legalBasis: "Khoản 1 Điều 11 Nghị định 117/2020/NĐ-CP [chưa chắc chắn]", minFine: 5_000_000, maxFine: 10_000_000, sure: false),
        ViolationRule(kind: .operatingWithoutPlan, effectiveFrom: decree117, legalBasis: "Khoản 2 Điều 12 Nghị định 117/2020/NĐ-CP [chưa chắc chắn]", minFine: 10_000_000, maxFine: 20_000_000, sure: false),
    ]

    /// The rule for `kind` in force on `day`: the latest version that started on or before it.
    public static func rule(_ kind: ViolationKind, on day: CivilDate, rules: [ViolationRule] = all) -> ViolationRule? {
        rules.filter { $0.kind == kind && $0.effectiveFrom <= day }.max { $0.effectiveFrom < $1.effectiveFrom }
    }

    /// Checks a fine against the rule in force: nil when it lies in the range.
    public static func checkAmount(_ amount: Int, kind: ViolationKind, on day: CivilDate, organisation: Bool, rules: [ViolationRule] = all) -> FineProblem? {
        guard let rule = rule(kind, on: day, rules: rules) else { return .noRuleInForce }
        let range = rule.range(organisation: organisation)
        return range.contains(amount) ? nil : .outOfRange(range)
    }
}

public enum FineProblem: Error, Equatable, Sendable {
    case noRuleInForce
    case outOfRange(ClosedRange<Int>)
}
