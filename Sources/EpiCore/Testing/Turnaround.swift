import Foundation

/// Turnaround from sampling to result, overdue results and positivity: the arithmetic behind the
/// laboratory figures, on whole hours so that the pre-aggregated histogram per lab and day holds
/// everything a percentile needs.
public enum Turnaround {
    /// Whole hours from sampling to result (rounded down; a result stamped before its sampling counts 0).
    public static func hours(sampled: Date, resulted: Date) -> Int {
        let seconds = resulted.timeIntervalSince(sampled)
        guard seconds.isFinite, seconds > 0 else { return 0 }
        return Int(min(seconds / 3600, Double(Int32.max)).rounded(.down))
    }

    /// The nearest-rank percentile (`p` in 0...1) of a histogram of hours → count; nil when it is empty.
    /// p50 of [1, 2, 3, 4] is 2, p90 is 4: the smallest value with at least p of the results at or below it.
    public static func percentile(_ histogram: [Int: Int], _ p: Double) -> Int? {
        let total = histogram.values.reduce(0) { $0 + max($1, 0) }
        guard total > 0 else { return nil }
        let clamped = min(max(p, 0), 1)
        let rank = max(1, Int((clamped * Double(total)).rounded(.up)))
        var seen = 0
        for hours in histogram.keys.sorted() {
            seen += max(histogram[hours] ?? 0, 0)
            if seen >= rank { return hours }
        }
        return histogram.keys.max()
    }

    /// A tube still without a result `limitHours` after it was sampled.
    public static func isOverdue(sampled: Date, now: Date, limitHours: Int) -> Bool {
        now.timeIntervalSince(sampled) > Double(max(limitHours, 0)) * 3600
    }

    /// The instant before which a tube sampled without a result is overdue.
    public static func overdueBefore(now: Date, limitHours: Int) -> Date {
        now.addingTimeInterval(-Double(max(limitHours, 0)) * 3600)
    }

    /// Positives over results, as a percentage; nil without results (shown as "–", never as 0 %).
    public static func positivityPercent(positive: Int, total: Int) -> Double? {
        guard total > 0 else { return nil }
        return Double(max(positive, 0)) * 100 / Double(total)
    }
}

/// Whether a ward will reach its campaign target by the deadline at its current pace.
public enum CampaignPace {
    public struct Projection: Equatable, Sendable {
        /// People sampled per day over the recent days.
        public let perDay: Double
        /// Where the ward will stand on the deadline at that pace (capped at the target).
        public let projected: Int
        /// Days still available, today included.
        public let daysLeft: Int
        public let willMiss: Bool
        /// Days the rest would take at this pace; nil when nothing is being sampled.
        public let daysNeeded: Int?
    }

    /// - Parameters:
    ///   - recent: people sampled on each of the last days (oldest first), the pace to project.
    ///   - today, deadline: the deadline day counts as a working day.
    public static func project(target: Int, done: Int, recent: [Int], today: CivilDate, deadline: CivilDate) -> Projection {
        let remaining = max(target - done, 0)
        let perDay = recent.isEmpty ? 0 : Double(recent.reduce(0) { $0 + max($1, 0) }) / Double(recent.count)
        let daysLeft = max(deadline.days(since: today) + 1, 0)
        let projected = min(target, done + Int((perDay * Double(daysLeft)).rounded(.down)))
        let needed: Int? = remaining == 0 ? 0 : perDay > 0 ? Int((Double(remaining) / perDay).rounded(.up)) : nil
        let willMiss = remaining > 0 && (needed.map { $0 > daysLeft } ?? true)
        return Projection(perDay: perDay, projected: projected, daysLeft: daysLeft, willMiss: willMiss, daysNeeded: needed)
    }

    /// The share of the campaign's time elapsed by the end of `today` (0 before the start, 1 from the
    /// deadline on): where progress should stand if sampling were even.
    /// Whether the ward cannot finish even if its sampling points took their full daily capacity every
    /// day left (today and the deadline included): a pace that looks fine today cannot outrun the points,
    /// and a ward without a point cannot sample anyone. Nil capacity per day when the rest is already done.
    public static func beyondCapacity(target: Int, done: Int, capacityPerDay: Int, today: CivilDate, deadline: CivilDate) -> (beyond: Bool, neededPerDay: Int?) {
        let remaining = max(target - done, 0)
        guard remaining > 0 else { return (false, nil) }
        let daysLeft = max(deadline.days(since: today) + 1, 0)
        guard daysLeft > 0 else { return (true, nil) }
        let needed = (remaining + daysLeft - 1) / daysLeft
        return (max(capacityPerDay, 0) < needed, needed)
    }

    public static func expectedFraction(start: CivilDate, deadline: CivilDate, today: CivilDate) -> Double {
        let span = deadline.days(since: start) + 1
        guard span > 0 else { return 1 }
        let elapsed = min(max(today.days(since: start) + 1, 0), span)
        return Double(elapsed) / Double(span)
    }
}
