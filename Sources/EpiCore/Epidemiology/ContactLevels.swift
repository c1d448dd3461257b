/// Derives everyone's contact level (F1, F2, …) from confirmed cases and recorded exposures.
///
/// Levels are never typed: they follow from the graph. An exposure is symmetric (either person
/// may have infected the other), so edges are undirected. A person is:
/// - F0 (level 0) when they are a confirmed case that has not been ruled out; an F0 transmits on
///   days inside its infectious window (a few days before onset or sampling, until recovery). An
///   F0 who was an F1 first (a promoted F1) transmits from its own exposure already, so the people
///   it met as an F1 (its F2s) become its F1s, as Hanoi did;
/// - F(n+1) when exposed to an Fn on a day that Fn could transmit: for F1 and beyond, from the
///   day of their own qualifying exposure up to and including the day the quarantine that followed
///   (or was running on) that exposure began;
/// - nothing once released from a quarantine that ended after the exposure (tested negative and
///   done), which also takes the people below them off the chain unless another chain reaches them;
/// - nothing once a contact never placed in quarantine has gone unfollowed past the rule's
///   quarantine and monitoring period, counted from their last exposure (it lapses).
/// The nearest level wins; among exposures at that level, the earliest day (the longest window).
/// Cycles are harmless: a breadth-first pass by level never revisits a settled level. Every
/// quarantine episode a person had counts, each judged against the exposures of its own time.
public enum ContactLevels {
    /// A confirmed case as a source of transmission.
    public struct Source<Node: Hashable & Comparable & Sendable>: Sendable, Equatable {
        public let node: Node
        public let infectiousFrom: CivilDate
        /// Recovery or death; open while the case is active.
        public let infectiousUntil: CivilDate?

        public init(node: Node, infectiousFrom: CivilDate, infectiousUntil: CivilDate?) {
            self.node = node
            self.infectiousFrom = infectiousFrom
            self.infectiousUntil = infectiousUntil
        }

        /// Several cases of one person as one source: from the earliest start, open while any is.
        func merged(with other: Source) -> Source {
            let until: CivilDate? = if let a = infectiousUntil, let b = other.infectiousUntil { max(a, b) } else { nil }
            return Source(node: node, infectiousFrom: min(infectiousFrom, other.infectiousFrom), infectiousUntil: until)
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

    /// One quarantine episode of a person.
    public struct Quarantine: Sendable, Equatable {
        public let startedOn: CivilDate?
        /// Set when the episode ended with a release (quarantine done, tested negative).
        public let releasedOn: CivilDate?
        /// The day it ended, however it ended (released, or transferred into another episode); nil while it runs.
        public let endedOn: CivilDate?

        public var active: Bool { endedOn == nil }

        public init(startedOn: CivilDate?, releasedOn: CivilDate?, endedOn: CivilDate? = nil) {
            self.startedOn = startedOn
            self.releasedOn = releasedOn
            self.endedOn = endedOn ?? releasedOn
        }
    }

    /// When contacts stop being followed without quarantine: the days after the last exposure,
    /// by the rule in force on that exposure's date, and today.
    public struct Lapse: Sendable {
        public let today: CivilDate
        public let days: @Sendable (CivilDate) -> Int

        public init(today: CivilDate, days: @escaping @Sendable (CivilDate) -> Int) {
            self.today = today
            self.days = days
        }

        /// The first day a contact last exposed on `day` is no longer followed.
        public func endDay(afterLastExposure day: CivilDate) -> CivilDate { day.adding(days: days(day) + 1) }
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

    /// What a derivation gives: the levels, and the contacts that would have a level but have lapsed
    /// (with the day following stopped), so a ward can see who is no longer followed.
    public struct Derivation<Node: Hashable & Comparable & Sendable>: Sendable {
        public var levels: [Node: Assignment<Node>]
        public var lapsed: [Node: CivilDate]
    }

    /// Sources whose window starts earlier because they were contacts first: a case exposed to
    /// another case inside that one's window transmits from that exposure (a promoted F1), if it is
    /// earlier than its own infectious start. Chains of promoted cases are followed to the end.
    public static func promote<Node>(_ sources: [Source<Node>], edges: [Edge<Node>]) -> [Source<Node>] {
        var byNode: [Node: Source<Node>] = [:]
        for s in sources { byNode[s.node] = byNode[s.node].map { $0.merged(with: s) } ?? s }
        let between = edges.filter { $0.a != $0.b && byNode[$0.a] != nil && byNode[$0.b] != nil }
        var changed = !between.isEmpty
        var rounds = 0
        // Starts only move earlier and each round settles at least one more link of a chain.
        while changed && rounds <= byNode.count {
            changed = false
            rounds += 1
            for e in between {
                for (contact, source) in [(e.a, e.b), (e.b, e.a)] {
                    guard let s = byNode[source], let c = byNode[contact], e.day >= s.infectiousFrom,
                          s.infectiousUntil.map({ e.day <= $0 }) ?? true, e.day < c.infectiousFrom else { continue }
                    byNode[contact] = Source(node: contact, infectiousFrom: e.day, infectiousUntil: c.infectiousUntil)
                    changed = true
                }
            }
        }
        return byNode.values.sorted { $0.node < $1.node }
    }

    private struct EdgeKey<N: Hashable>: Hashable {
        let a: N
        let b: N
        let day: CivilDate
    }

    /// Collects the sources and exposures between cases that decide the promoted windows of `targets`
    /// (what `promote` gives them over the whole graph of cases), walking only what can matter.
    ///
    /// A case's window can start earlier only at an exposure before its own start, to a source
    /// infectious on that day; whether that source was is decided by its own exposures up to that
    /// day and no later. So from each case the walk follows exposures on or before a limit that only
    /// moves back in time, instead of the whole connected graph of cases (in a wave, most of a
    /// district). Exposures beyond a limit may be returned; they are left out.
    ///
    /// - Parameters:
    ///   - judgedOn: when given, the days on which each target's window is asked about (the days of
    ///     its exposures a derivation will read); the promoted windows then answer exactly whether
    ///     the target was infectious on those days, which is all such a derivation can tell apart.
    ///     Targets not listed keep their own windows. When nil, every target's whole window is exact.
    ///   - sourcesOf: the cases among some people, as sources with their own (unpromoted) windows.
    ///   - exposuresOf: exposures touching each given person on or before the given day.
    public static func promotionInputs<Node>(
        targets: Set<Node>,
        judgedOn: [Node: [CivilDate]]? = nil,
        sourcesOf: (Set<Node>) async throws -> [Source<Node>],
        exposuresOf: ([Node: CivilDate]) async throws -> [Edge<Node>]
    ) async throws -> (sources: [Source<Node>], edges: [Edge<Node>]) {
        var sources: [Node: Source<Node>] = [:]
        func load(_ nodes: Set<Node>) async throws {
            for s in try await sourcesOf(nodes) { sources[s.node] = sources[s.node].map { $0.merged(with: s) } ?? s }
        }
        try await load(targets)
        var loaded = targets
        var explored: [Node: CivilDate] = [:]
        var edges: [EdgeKey<Node>: Edge<Node>] = [:]
        // Only a day before a source's own start and not after its end can change what it is that
        // day: the walk follows its exposures up to the last such day.
        func open(_ s: Source<Node>, _ days: [CivilDate]) -> CivilDate? {
            days.filter { day in day < s.infectiousFrom && (s.infectiousUntil.map { day <= $0 } ?? true) }.max()
        }
        var pending: [Node: CivilDate] = [:]
        for t in targets {
            guard let s = sources[t] else { continue }
            if let judgedOn {
                if let days = judgedOn[t], let day = open(s, days) { pending[t] = day }
            } else {
                pending[t] = s.infectiousFrom.adding(days: -1)
            }
        }
        while !pending.isEmpty {
            let asked = pending
            for (node, day) in asked { explored[node] = max(explored[node] ?? day, day) }
            var needed: [Node: [CivilDate]] = [:]
            for e in try await exposuresOf(asked) where e.a != e.b {
                for (mine, other) in [(e.a, e.b), (e.b, e.a)] {
                    guard let limit = asked[mine], e.day <= limit else { continue }
                    edges[EdgeKey(a: min(mine, other), b: max(mine, other), day: e.day)] = e
                    // Whether `other` was infectious that day: only its exposures up to that day decide it.
                    needed[other, default: []].append(e.day)
                }
            }
            let unknown = Set(needed.keys).subtracting(loaded)
            if !unknown.isEmpty {
                try await load(unknown)
                loaded.formUnion(unknown)
            }
            pending = [:]
            for (node, days) in needed {
                guard let s = sources[node], let day = open(s, days) else { continue }
                if let done = explored[node], done >= day { continue }
                pending[node] = day
            }
        }
        return (sources.values.sorted { $0.node < $1.node }, Array(edges.values))
    }

    /// Derives levels 0…`maxLevel` (see `derivation` for the lapsed contacts too).
    public static func derive<Node>(
        sources: [Source<Node>],
        edges: [Edge<Node>],
        quarantine: [Node: Quarantine] = [:],
        maxLevel: Int,
        fixed: [Node: Assignment<Node>] = [:]
    ) -> [Node: Assignment<Node>] {
        derivation(sources: sources, edges: edges, episodes: quarantine.mapValues { [$0] }, maxLevel: maxLevel, fixed: fixed, lapse: nil).levels
    }

    /// Derives levels 0…`maxLevel`.
    ///
    /// - Parameters:
    ///   - episodes: every quarantine episode of each person (not cancelled ones).
    ///   - fixed: contact assignments (level ≥ 1) known to be right and not to be recomputed (the rim
    ///     of a local recomputation); they seed the search but are never changed or returned. Cases
    ///     on the rim are passed as `sources`, since their window comes from the case, not from here.
    ///   - lapse: when contacts never placed in quarantine stop being followed; nil keeps them.
    /// - Returns: every node with a level, `fixed` nodes excluded, and the lapsed contacts.
    public static func derivation<Node>(
        sources rawSources: [Source<Node>],
        edges: [Edge<Node>],
        episodes: [Node: [Quarantine]] = [:],
        maxLevel: Int,
        fixed: [Node: Assignment<Node>] = [:],
        lapse: Lapse? = nil
    ) -> Derivation<Node> {
        let sources = promote(rawSources, edges: edges)
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
        var lapsed: [Node: CivilDate] = [:]
        /// The day a contact's transmission ends: the start of the quarantine running on, or first
        /// starting after, the exposure that made them a contact.
        func end(_ node: Node, _ a: Assignment<Node>) -> CivilDate? {
            if a.level == 0, let e = windowEnd[node] { return e }
            let starts = (episodes[node] ?? []).compactMap { q -> CivilDate? in
                guard let start = q.startedOn else { return nil }
                let running = start <= a.since && (q.endedOn.map { $0 >= a.since } ?? true)
                return start >= a.since || running ? start : nil
            }
            return starts.min()
        }
        /// Released from a quarantine that ended on or after the exposure: done with it.
        func cleared(_ node: Node, exposedOn day: CivilDate) -> Bool {
            (episodes[node] ?? []).contains { $0.releasedOn.map { $0 >= day } ?? false }
        }
        func followed(_ node: Node) -> Bool { (episodes[node] ?? []).contains { $0.active } }
        var frontier = sources.map(\.node)
        var level = 0
        while level < maxLevel {
            // Fixed rim contacts join the search at their own level.
            frontier += fixed.filter { $0.value.level == level }.map(\.key)
            frontier = Array(Set(frontier)).sorted()
            var next: Set<Node> = []
            var lastExposure: [Node: CivilDate] = [:]
            for node in frontier {
                guard let a = assigned[node], a.level == level else { continue }
                let until = end(node, a)
                for (other, day) in adjacency[node] ?? [] {
                    guard day >= a.since, until.map({ day <= $0 }) ?? true else { continue }
                    guard fixed[other] == nil else { continue }
                    if cleared(other, exposedOn: day) { continue }
                    let candidate = Assignment(level: level + 1, since: day, via: Optional(node))
                    if let current = assigned[other] {
                        guard current.level >= candidate.level else { continue }
                        if current.level == candidate.level { lastExposure[other] = max(lastExposure[other] ?? day, day) }
                        guard current.level > candidate.level
                            || (day, node) < (current.since, current.via ?? node) else { continue }
                    }
                    if assigned[other]?.level != candidate.level { lastExposure[other] = day }
                    assigned[other] = candidate
                    next.insert(other)
                }
            }
            // Contacts never placed in quarantine stop being followed after the rule's period.
            if let lapse {
                for node in next.sorted() where !followed(node) {
                    guard let last = lastExposure[node] else { continue }
                    let stop = lapse.endDay(afterLastExposure: last)
                    if lapse.today >= stop {
                        assigned[node] = nil
                        lapsed[node] = stop
                        next.remove(node)
                    }
                }
            }
            frontier = Array(next)
            level += 1
        }
        for key in fixed.keys { assigned[key] = nil }
        for key in assigned.keys { lapsed[key] = nil }
        return Derivation(levels: assigned, lapsed: lapsed)
    }
}
