/// Why people were allowed out on a day, the three columns wards reported in September 2021 (Long Biên:
/// 29,161 workers + 14,356 market/supermarket + 2,858 other = 46,375; domain-rules.md).
public enum OutReason: String, CaseIterable, Codable, Sendable {
    case work
    case market
    case other
}

/// One unit's count of people allowed out on one day, by reason.
public struct DailyOutCount: Sendable, Equatable {
    public var unitPath: String
    public var byReason: [OutReason: Int]

    public init(unitPath: String, byReason: [OutReason: Int] = [:]) {
        self.unitPath = unitPath
        self.byReason = byReason
    }

    public subscript(_ reason: OutReason) -> Int { byReason[reason] ?? 0 }

    public var total: Int { OutReason.allCases.reduce(0) { $0 + self[$1] } }

    /// Adds `n` people for `reason`; negative counts are data errors and are refused.
    public mutating func add(_ reason: OutReason, _ n: Int) {
        guard n > 0 else { return }
        byReason[reason, default: 0] += n
    }

    /// Sums wards into their district (or districts into the city): every reason adds up separately,
    /// so the parent's total is the sum of its children's totals.
    public static func rollUp(_ children: [DailyOutCount], into parent: String) -> DailyOutCount {
        var out = DailyOutCount(unitPath: parent)
        for child in children {
            for reason in OutReason.allCases { out.add(reason, child[reason]) }
        }
        return out
    }

    /// Rolls ward counts up to each ancestor level given by `parentOf` (ward → district → city).
    public static func rollUp(_ wards: [DailyOutCount], parentOf: (String) -> String?) -> [String: DailyOutCount] {
        var totals: [String: DailyOutCount] = [:]
        for ward in wards {
            var node: String? = ward.unitPath
            while let path = node {
                var current = totals[path] ?? DailyOutCount(unitPath: path)
                for reason in OutReason.allCases { current.add(reason, ward[reason]) }
                totals[path] = current
                node = parentOf(path)
            }
        }
        return totals
    }
}
