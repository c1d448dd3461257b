/// District and city totals built from their units' latest report versions.
///
/// A unit that has not reported is listed as missing and contributes nothing; a total that no
/// unit reported stays absent (nil) rather than zero, so "0 new cases" always means someone said 0.
public struct Consolidation: Sendable, Equatable {
    /// Sums of number fields over the units that reported a value; nil when none did.
    public let totals: [String: Int?]
    /// For each number field, how many units gave a value.
    public let answered: [String: Int]
    /// Choice fields: how many units picked each value.
    public let choiceCounts: [String: [String: Int]]
    public let expected: Int
    public let reported: [String]
    public let missing: [String]

    public var reportedCount: Int { reported.count }
    public var isComplete: Bool { missing.isEmpty }

    /// `reports` maps unit path → latest values (field key → normalised text) for the units that reported.
    public init(fields: [ReportField], expectedUnits: [String], reports: [String: [String: String]]) {
        var totals: [String: Int?] = [:]
        var answered: [String: Int] = [:]
        var choices: [String: [String: Int]] = [:]
        let expectedSet = Set(expectedUnits)
        let reportedUnits = expectedUnits.filter { reports[$0] != nil }
        for field in fields {
            switch field.type {
            case .number:
                var sum: Int?
                var n = 0
                for unit in reportedUnits {
                    guard let text = reports[unit]?[field.key], let value = Int(text) else { continue }
                    sum = (sum ?? 0) + value
                    n += 1
                }
                totals[field.key] = .some(sum)
                answered[field.key] = n
            case .choice:
                var counts: [String: Int] = [:]
                for unit in reportedUnits { if let v = reports[unit]?[field.key] { counts[v, default: 0] += 1 } }
                choices[field.key] = counts
            case .text, .date:
                break
            }
        }
        self.totals = totals
        self.answered = answered
        self.choiceCounts = choices
        self.expected = expectedSet.count
        self.reported = reportedUnits
        self.missing = expectedUnits.filter { reports[$0] == nil }
    }

    /// The total of a number field, nil when no unit reported it.
    public func total(_ key: String) -> Int? { totals[key] ?? nil }
}
