/// Coverage arithmetic: shares of a population and whether a dated target is met at the current pace.
public enum Coverage {
    /// Percent of `population` covered, rounded to one decimal; nil when the population is unknown (0).
    /// Above 100 is kept: more doses than the registry's population means the registry is behind.
    public static func percent(_ covered: Int, of population: Int) -> Double? {
        guard population > 0, covered >= 0 else { return nil }
        return (Double(covered) * 1000 / Double(population)).rounded() / 10
    }

    /// People still needed to reach `targetPercent` of `population`.
    public static func remaining(covered: Int, population: Int, targetPercent: Double) -> Int {
        guard population > 0 else { return 0 }
        let needed = Int((Double(population) * targetPercent / 100).rounded(.up))
        return max(0, needed - covered)
    }
}

/// Where a unit will stand on a target's date if it keeps its last 7 days' pace.
public struct PaceProjection: Sendable, Equatable {
    public let perDay: Double
    public let projected: Int
    public let needed: Int
    public let willMiss: Bool
    /// Days at this pace to reach the target from today (nil at zero pace with people still to reach).
    public let daysNeeded: Int?

    /// `lastSevenDays` holds the people covered on each of the last 7 days (fewer when the unit began later).
    public init(covered: Int, population: Int, targetPercent: Double, lastSevenDays: [Int], today: CivilDate, dueOn: CivilDate) {
        let days = max(1, min(7, lastSevenDays.count))
        perDay = Double(lastSevenDays.suffix(7).reduce(0) { $0 + max(0, $1) }) / Double(days)
        let left = max(0, dueOn.days(since: today))
        projected = covered + Int((perDay * Double(left)).rounded(.down))
        needed = population > 0 ? Int((Double(population) * targetPercent / 100).rounded(.up)) : 0
        let remaining = max(0, needed - covered)
        if remaining == 0 { daysNeeded = 0 } else if perDay > 0 { daysNeeded = Int((Double(remaining) / perDay).rounded(.up)) } else { daysNeeded = nil }
        willMiss = population > 0 && projected < needed
    }
}
