/// An editable, versioned table that turns a unit's week into a risk level.
///
/// Two schemes were used in Hanoi: Decision 2686/QĐ-BCĐQG (mid-2021, four levels from "bình
/// thường mới" to "nguy cơ rất cao") and Decision 4800/QĐ-BYT (from October 2021, levels 1–4,
/// green to red). Both are data here: bands of new community cases per 100,000 per week, with a
/// level when vaccine coverage is met and one when it is not; a treatment-capacity rule; and how a
/// district or the city is judged (from its own figures, or from the share of its units at each level).
public struct RiskRuleSet: Codable, Sendable, Equatable {
    public struct Level: Codable, Sendable, Equatable {
        public var level: Int
        public var labelVI: String
        public var labelEN: String
        public var color: String
    }

    /// From `minRate` (cases per 100,000 per week, inclusive) up to the next band.
    public struct Band: Codable, Sendable, Equatable {
        public var minRate: Double
        public var levelIfCoverageMet: Int
        public var levelIfCoverageNotMet: Int
    }

    /// "If at least `share` of the units below are at `atLeastLevel` or higher, the unit is at `level`."
    public struct ShareRule: Codable, Sendable, Equatable {
        public var level: Int
        public var atLeastLevel: Int
        public var share: Double
    }

    public enum Aggregation: String, Codable, Sendable {
        /// A district or city is assessed from its own totals, like a ward.
        case ownFigures = "own_figures"
        /// A district or city takes the level its units' shares decide (`shareRules`).
        case shareOfUnits = "share_of_units"
    }

    public var scheme: String
    public var nameVI: String
    public var levels: [Level]
    /// Levels when no community case at all was found in the week.
    public var zeroCasesLevelIfCoverageMet: Int
    public var zeroCasesLevelIfCoverageNotMet: Int
    public var bands: [Band]
    /// Coverage is met when both targets are reached (percent).
    public var adultsFirstDoseTarget: Double
    public var over50FullTarget: Double
    /// Whether coverage counts at all (2686 did not use it).
    public var usesCoverage: Bool
    /// When treatment capacity is not met: raise the level by one (true) or keep it.
    public var capacityFailRaises: Bool
    public var aggregation: Aggregation
    public var shareRules: [ShareRule]

    public func level(_ n: Int) -> Level? { levels.first { $0.level == n } }
    public var maxLevel: Int { levels.map(\.level).max() ?? 4 }

    /// Checks a version before it is saved.
    public func problems() -> [String] {
        var p: [String] = []
        let known = Set(levels.map(\.level))
        if levels.isEmpty { p.append("no levels") }
        if bands.isEmpty { p.append("no bands") }
        if zip(bands, bands.dropFirst()).contains(where: { $0.minRate >= $1.minRate }) { p.append("bands must rise") }
        if bands.first.map({ $0.minRate > 0 }) ?? false { p.append("the first band must start at 0") }
        let used = bands.flatMap { [$0.levelIfCoverageMet, $0.levelIfCoverageNotMet] } + [zeroCasesLevelIfCoverageMet, zeroCasesLevelIfCoverageNotMet]
            + shareRules.flatMap { [$0.level, $0.atLeastLevel] }
        if used.contains(where: { !known.contains($0) }) { p.append("a band names an unknown level") }
        if shareRules.contains(where: { !(0...1).contains($0.share) }) { p.append("shares are between 0 and 1") }
        if aggregation == .shareOfUnits && shareRules.isEmpty { p.append("share aggregation needs share rules") }
        return p
    }
}

/// A unit's figures for one week.
public struct RiskInput: Sendable, Equatable {
    public var communityCases: Int
    public var population: Int?
    public var adultsFirstDosePercent: Double?
    public var over50FullPercent: Double?
    /// Nil when nobody has said; treated as met.
    public var treatmentCapacityMet: Bool?

    public init(communityCases: Int, population: Int?, adultsFirstDosePercent: Double? = nil, over50FullPercent: Double? = nil, treatmentCapacityMet: Bool? = nil) {
        self.communityCases = communityCases
        self.population = population
        self.adultsFirstDosePercent = adultsFirstDosePercent
        self.over50FullPercent = over50FullPercent
        self.treatmentCapacityMet = treatmentCapacityMet
    }
}

/// The level and which criterion decided it.
public struct RiskResult: Sendable, Equatable {
    public let level: Int?
    public let ratePer100k: Double?
    public let coverageMet: Bool?
    public let decidedVI: String
    public let decidedEN: String

    public init(level: Int?, ratePer100k: Double?, coverageMet: Bool?, decidedVI: String, decidedEN: String) {
        self.level = level
        self.ratePer100k = ratePer100k
        self.coverageMet = coverageMet
        self.decidedVI = decidedVI
        self.decidedEN = decidedEN
    }
}

public enum RiskAssessment {
    /// Assesses a lowest unit (or a higher one judged on its own figures).
    public static func assess(_ input: RiskInput, rules: RiskRuleSet) -> RiskResult {
        guard let population = input.population, population > 0 else {
            return RiskResult(level: nil, ratePer100k: nil, coverageMet: nil,
                              decidedVI: "Chưa có dân số: không tính được số ca trên 100.000 dân", decidedEN: "No population: cannot compute cases per 100,000")
        }
        let rate = Double(input.communityCases) * 100_000 / Double(population)
        let coverageMet: Bool? = rules.usesCoverage
            ? ((input.adultsFirstDosePercent ?? -1) >= rules.adultsFirstDoseTarget && (input.over50FullPercent ?? -1) >= rules.over50FullTarget)
            : nil
        let met = coverageMet ?? true
        var level: Int
        var vi: String, en: String
        let rateVI = formatRate(rate, vietnamese: true), rateEN = formatRate(rate, vietnamese: false)
        if input.communityCases == 0 {
            level = met ? rules.zeroCasesLevelIfCoverageMet : rules.zeroCasesLevelIfCoverageNotMet
            vi = "Không có ca mắc mới trong cộng đồng trong tuần"
            en = "No new community case in the week"
        } else {
            let band = rules.bands.last { rate >= $0.minRate } ?? rules.bands[0]
            level = met ? band.levelIfCoverageMet : band.levelIfCoverageNotMet
            vi = "\(rateVI) ca cộng đồng/100.000 dân/tuần (từ \(formatRate(band.minRate, vietnamese: true)))"
            en = "\(rateEN) community cases/100,000/week (band from \(formatRate(band.minRate, vietnamese: false)))"
        }
        if let coverageMet {
            vi += coverageMet ? "; đạt độ bao phủ vắc xin" : "; chưa đạt độ bao phủ vắc xin (≥ \(formatRate(rules.adultsFirstDoseTarget, vietnamese: true))% từ 18 tuổi có 1 mũi, ≥ \(formatRate(rules.over50FullTarget, vietnamese: true))% từ 50 tuổi tiêm đủ)"
            en += coverageMet ? "; vaccine coverage met" : "; vaccine coverage not met (≥ \(formatRate(rules.adultsFirstDoseTarget, vietnamese: false))% of 18+ with 1 dose, ≥ \(formatRate(rules.over50FullTarget, vietnamese: false))% of 50+ fully vaccinated)"
        }
        if input.treatmentCapacityMet == false && rules.capacityFailRaises {
            level = min(level + 1, rules.maxLevel)
            vi += "; không đáp ứng năng lực điều trị: nâng một cấp"
            en += "; treatment capacity not met: raised one level"
        }
        return RiskResult(level: level, ratePer100k: rate, coverageMet: coverageMet, decidedVI: vi, decidedEN: en)
    }

    /// Judges a district or the city from the levels of the units below it (`shareOfUnits`).
    public static func aggregate(childLevels: [Int], rules: RiskRuleSet) -> RiskResult {
        guard !childLevels.isEmpty else {
            return RiskResult(level: nil, ratePer100k: nil, coverageMet: nil, decidedVI: "Chưa đơn vị nào được đánh giá", decidedEN: "No unit below was assessed")
        }
        let total = Double(childLevels.count)
        for rule in rules.shareRules {
            let share = Double(childLevels.filter { $0 >= rule.atLeastLevel }.count) / total
            if share >= rule.share {
                let name = rules.level(rule.atLeastLevel)?.labelVI ?? "cấp \(rule.atLeastLevel)"
                let nameEN = rules.level(rule.atLeastLevel)?.labelEN ?? "level \(rule.atLeastLevel)"
                return RiskResult(level: rule.level, ratePer100k: nil, coverageMet: nil,
                                  decidedVI: "\(formatRate(share * 100, vietnamese: true))% đơn vị ở mức \(name) trở lên (ngưỡng \(formatRate(rule.share * 100, vietnamese: true))%)",
                                  decidedEN: "\(formatRate(share * 100, vietnamese: false))% of units at \(nameEN) or above (threshold \(formatRate(rule.share * 100, vietnamese: false))%)")
            }
        }
        let lowest = rules.levels.map(\.level).min() ?? 1
        return RiskResult(level: lowest, ratePer100k: nil, coverageMet: nil, decidedVI: "Không ngưỡng nào đạt", decidedEN: "No threshold reached")
    }

    /// One decimal at most, in the sentence's language: "0,9" in Vietnamese, "0.9" in English.
    static func formatRate(_ x: Double, vietnamese: Bool) -> String {
        guard x.isFinite, abs(x) < 1e12 else { return "–" }
        let tenths = Int((x * 10).rounded())
        let whole = String(tenths / 10), fraction = abs(tenths % 10)
        let sign = tenths < 0 && tenths / 10 == 0 ? "-" : ""
        return fraction == 0 ? sign + whole : "\(sign)\(whole)\(vietnamese ? "," : ".")\(fraction)"
    }

    /// Decision 4800/QĐ-BYT as `domain-rules.md` reads it (the bands below 150 and the matrix are [unsure]).
    public static let decision4800 = RiskRuleSet(
        scheme: "4800", nameVI: "QĐ 4800/QĐ-BYT (từ 10/2021), cấp 1–4",
        levels: [
            .init(level: 1, labelVI: "Cấp 1 – nguy cơ thấp (xanh)", labelEN: "Level 1 – low (green)", color: "#2e7d32"),
            .init(level: 2, labelVI: "Cấp 2 – nguy cơ trung bình (vàng)", labelEN: "Level 2 – medium (yellow)", color: "#f9a825"),
            .init(level: 3, labelVI: "Cấp 3 – nguy cơ cao (cam)", labelEN: "Level 3 – high (orange)", color: "#ef6c00"),
            .init(level: 4, labelVI: "Cấp 4 – nguy cơ rất cao (đỏ)", labelEN: "Level 4 – very high (red)", color: "#c62828"),
        ],
        zeroCasesLevelIfCoverageMet: 1, zeroCasesLevelIfCoverageNotMet: 1,
        bands: [.init(minRate: 0, levelIfCoverageMet: 1, levelIfCoverageNotMet: 2), .init(minRate: 20, levelIfCoverageMet: 2, levelIfCoverageNotMet: 3),
                .init(minRate: 50, levelIfCoverageMet: 3, levelIfCoverageNotMet: 4), .init(minRate: 150, levelIfCoverageMet: 4, levelIfCoverageNotMet: 4)],
        adultsFirstDoseTarget: 70, over50FullTarget: 80, usesCoverage: true, capacityFailRaises: true,
        aggregation: .ownFigures, shareRules: []
    )

    /// Decision 2686/QĐ-BCĐQG (31/5/2021). The district rule (≥ 30% of communes very high, or ≥ 50%
    /// high) is [sure]; the commune bands are a reading [unsure], editable.
    public static let decision2686 = RiskRuleSet(
        scheme: "2686", nameVI: "QĐ 2686/QĐ-BCĐQG (từ 31/5/2021), 4 mức",
        levels: [
            .init(level: 1, labelVI: "Bình thường mới", labelEN: "New normal", color: "#2e7d32"),
            .init(level: 2, labelVI: "Nguy cơ", labelEN: "At risk", color: "#f9a825"),
            .init(level: 3, labelVI: "Nguy cơ cao", labelEN: "High risk", color: "#ef6c00"),
            .init(level: 4, labelVI: "Nguy cơ rất cao", labelEN: "Very high risk", color: "#c62828"),
        ],
        zeroCasesLevelIfCoverageMet: 1, zeroCasesLevelIfCoverageNotMet: 1,
        bands: [.init(minRate: 0, levelIfCoverageMet: 2, levelIfCoverageNotMet: 2), .init(minRate: 20, levelIfCoverageMet: 3, levelIfCoverageNotMet: 3),
                .init(minRate: 50, levelIfCoverageMet: 4, levelIfCoverageNotMet: 4)],
        adultsFirstDoseTarget: 70, over50FullTarget: 80, usesCoverage: false, capacityFailRaises: false,
        aggregation: .shareOfUnits,
        shareRules: [.init(level: 4, atLeastLevel: 4, share: 0.30), .init(level: 4, atLeastLevel: 3, share: 0.50),
                     .init(level: 3, atLeastLevel: 3, share: 0.30), .init(level: 2, atLeastLevel: 2, share: 0.30)]
    )
}
