/// Derives everyone's contact level (F1, F2, …) from confirmed cases and recorded exposures.
///
/// Levels are never typed: they follow from the graph. An exposure is symmetric (either person
/// may have infected the other), so edges are undirected. A person is:
/// - F0 (level 0) when they are a confirmed case that has not been ruled out; an F0 transmits on
///   days inside its infectious window (a few days before onset or sampling, until recovery);
/// - F(n+1) when exposed to an Fn on a day that Fn could transmit: for F1 and beyond, from the
///   day of their own qualifying exposure up to and including the day their quarantine began;
/// - nothing once released from quarantine after the exposure (tested negative and done), which
///   also takes the people below them off the chain unless another chain reaches them.
/// The nearest level wins; among exposures at that level, the earliest day (the longest window).
/// Cycles are harmless: a breadth-first pass by level never revisits a settled level.
public enum ContactLevels {
    /// A confirmed case as a source of transmission.
    public struct Source<Node: Hashable & Comparable & Sendable>: Sendable {
        public let node: Node
        public let infectiousFrom: CivilDate
        /// Recovery or death; open while the case is active.
        public let infectiousUntil: CivilDate?

        public init(node: Node, infectiousFrom: CivilDate, infectiousUntil: CivilDate?) {
            self.node = node
            self.infectiousFrom = infectiousFrom
            self.infectiousUntil = infectiousUntil
        }
    }

    /// One recorded exposure between two people on a day.
    public struct Edge<Node: Hashable & Comparable & Sendable>: Sendable {
        public let a: Node
        public let b: Node
        public let day: CivilDate

        public init(_ a: Node, _ b: Node, day: CivilDate) {
            self.a = a
            self.b = b
            self.day = day
        }
    }

    /// Where a person's quarantine stands, which bounds what they can pass on.
    public struct Quarantine: Sendable, Equatable {
        public let startedOn: CivilDate?
        public let releasedOn: CivilDate?

        public init(startedOn: CivilDate?, releasedOn: CivilDate?) {
            self.startedOn = startedOn
            self.releasedOn = releasedOn
        }
    }

    /// A derived level: 0 for cases, n for Fn, with the exposure day that decided it and through whom.
    public struct Assignment<Node: Hashable & Comparable & Sendable>: Sendable, Equatable {
        public let level: Int
        public let since: CivilDate
        public let via: Node?

        public init(level: Int, since: CivilDate, via: Node?) {
            self.level = level
            self.since = since
            self.via = via
        }
    }

    /// Derives levels 0…`maxLevel`.
    ///
    /// - Parameters:
    ///   - fixed: contact assignments (level ≥ 1) known to be right and not to be recomputed (the rim
    ///     of a local recomputation); they seed the search but are never changed or returned. Cases
    ///     on the rim are passed as `sources`, since their window comes from the case, not from here.
    /// - Returns: every node with a level, `fixed` nodes excluded.
    public static func derive<Node>(
        sources: [Source<Node>],
        edges: [Edge<Node>],
        quarantine: [Node: Quarantine] = [:],
        maxLevel: Int,
        fixed: [Node: Assignment<Node>] = [:]
    ) -> [Node: Assignment<Node>] {
        var adjacency: [Node: [(Node, CivilDate)]] = [:]
        for e in edges where e.a != e.b {
            adjacency[e.a, default: []].append((e.b, e.day))
            adjacency[e.b, default: []].append((e.a, e.day))
        }
        let fixed = fixed.filter { $0.value.level > 0 }
        var windowEnd: [Node: CivilDate?] = [:]
        var assigned: [Node: Assignment<Node>] = fixed
        for s in sources {
            assigned[s.node] = Assignment(level: 0, since: s.infectiousFrom, via: nil)
            windowEnd[s.node] = .some(s.infectiousUntil)
        }
        func end(_ node: Node, _ a: Assignment<Node>) -> CivilDate? {
            if a.level == 0, let e = windowEnd[node] { return e }
            return quarantine[node]?.startedOn
        }
        var frontier = sources.map(\.node)
        var level = 0
        while level < maxLevel {
            // Fixed rim contacts join the search at their own level.
            frontier += fixed.filter { $0.value.level == level }.map(\.key)
            frontier = Array(Set(frontier)).sorted()
            var next: Set<Node> = []
            for node in frontier {
                guard let a = assigned[node], a.level == level else { continue }
                let until = end(node, a)
                for (other, day) in adjacency[node] ?? [] {
                    guard day >= a.since, until.map({ day <= $0 }) ?? true else { continue }
                    guard fixed[other] == nil else { continue }
                    if let released = quarantine[other]?.releasedOn, released >= day { continue }
                    let candidate = Assignment(level: level + 1, since: day, via: Optional(node))
                    if let current = assigned[other] {
                        guard current.level > candidate.level
                            || (current.level == candidate.level && (day, node) < (current.since, current.via ?? node)) else { continue }
                    }
                    assigned[other] = candidate
                    next.insert(other)
                }
            }
            frontier = Array(next)
            level += 1
        }
        for key in fixed.keys { assigned[key] = nil }
        return assigned
    }
}
