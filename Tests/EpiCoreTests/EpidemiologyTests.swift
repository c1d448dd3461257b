import Testing
@testable import EpiCore

private func day(_ m: Int, _ d: Int, _ y: Int = 2021) -> CivilDate { CivilDate(year: y, month: m, day: d)! }
private typealias Levels = ContactLevels

private func derive(_ sources: [Levels.Source<String>], _ edges: [Levels.Edge<String>], quarantine: [String: Levels.Quarantine] = [:], max: Int = 3) -> [String: Int] {
    ContactLevels.derive(sources: sources, edges: edges, quarantine: quarantine, maxLevel: max).mapValues(\.level)
}

private func f0(_ id: String, from: CivilDate = day(9, 1), until: CivilDate? = nil) -> Levels.Source<String> {
    .init(node: id, infectiousFrom: from, infectiousUntil: until)
}

private func e(_ a: String, _ b: String, _ d: CivilDate = day(9, 5)) -> Levels.Edge<String> { .init(a, b, day: d) }

@Suite("F-level derivation from cases and exposures")
struct ContactLevelTests {
    @Test func aChainGivesF1F2F3AndStopsAtTheMaximum() {
        let levels = derive([f0("A")], [e("A", "B"), e("B", "C"), e("C", "D"), e("D", "E")])
        #expect(levels == ["A": 0, "B": 1, "C": 2, "D": 3])
        #expect(derive([f0("A")], [e("A", "B"), e("B", "C"), e("C", "D"), e("D", "E")], max: 4)["E"] == 4)
    }

    @Test func exposuresCountInBothDirections() {
        #expect(derive([f0("A")], [e("B", "A")]) == ["A": 0, "B": 1])
    }

    @Test func whenAnF1TurnsPositiveItsContactsMoveUpALevel() {
        let edges = [e("A", "B"), e("B", "C"), e("C", "D")]
        #expect(derive([f0("A")], edges) == ["A": 0, "B": 1, "C": 2, "D": 3])
        #expect(derive([f0("A"), f0("B")], edges) == ["A": 0, "B": 0, "C": 1, "D": 2])
    }

    @Test func ruledOutCasesTakeTheirChainWithThemUnlessAnotherChainReachesIt() {
        let edges = [e("A", "B"), e("B", "C"), e("X", "Y"), e("Y", "C")]
        #expect(derive([f0("A"), f0("X")], edges) == ["A": 0, "B": 1, "C": 2, "X": 0, "Y": 1])
        // A ruled out: C is still reached from X through Y, and B only through C.
        #expect(derive([f0("X")], edges) == ["X": 0, "Y": 1, "C": 2, "B": 3])
        #expect(derive([f0("X")], edges, max: 2) == ["X": 0, "Y": 1, "C": 2])
        #expect(derive([], edges).isEmpty)
    }

    @Test func theNearestLevelWinsWhenSeveralChainsMeet() {
        let edges = [e("A", "B"), e("B", "C"), e("C", "D"), e("Z", "D")]
        #expect(derive([f0("A"), f0("Z")], edges)["D"] == 1)
        let assignment = ContactLevels.derive(sources: [f0("A"), f0("Z")], edges: edges, maxLevel: 3)["D"]
        #expect(assignment?.via == "Z")
    }

    @Test func cyclesAreHarmless() {
        let edges = [e("A", "B"), e("B", "C"), e("C", "A"), e("C", "D"), e("D", "B")]
        #expect(derive([f0("A")], edges) == ["A": 0, "B": 1, "C": 1, "D": 2])
        #expect(derive([], edges).isEmpty)
    }

    @Test func anF0TransmitsOnlyInsideItsInfectiousWindow() {
        let source = f0("A", from: day(9, 3), until: day(9, 20))
        #expect(derive([source], [e("A", "B", day(9, 2))]) == ["A": 0])
        #expect(derive([source], [e("A", "B", day(9, 3))]) == ["A": 0, "B": 1])
        #expect(derive([source], [e("A", "B", day(9, 20))]) == ["A": 0, "B": 1])
        // After recovery, meeting the person is no exposure.
        #expect(derive([source], [e("A", "B", day(9, 21))]) == ["A": 0])
    }

    @Test func anF2IsExposedBetweenTheF1sExposureAndItsQuarantine() {
        let edges = [e("A", "B", day(9, 5)), e("B", "C", day(9, 4)), e("B", "D", day(9, 5)), e("B", "E", day(9, 8)), e("B", "G", day(9, 9))]
        let levels = derive([f0("A")], edges, quarantine: ["B": .init(startedOn: day(9, 8), releasedOn: nil)])
        // Before B's own exposure: no; from it up to the day quarantine began: yes; after: no.
        #expect(levels == ["A": 0, "B": 1, "D": 2, "E": 2])
    }

    @Test func theEarliestQualifyingExposureSetsTheWindow() {
        // B is F1 through two F0s; the earlier exposure (5/9) makes B's contact on 6/9 an F2.
        let edges = [e("A", "B", day(9, 7)), e("Z", "B", day(9, 5)), e("B", "C", day(9, 6))]
        let result = ContactLevels.derive(sources: [f0("A"), f0("Z")], edges: edges, maxLevel: 3)
        #expect(result["B"]?.since == day(9, 5))
        #expect(result["C"]?.level == 2)
    }

    @Test func releaseFromQuarantineEndsTheLevelAndTheChainBelow() {
        let edges = [e("A", "B", day(9, 5)), e("B", "C", day(9, 6))]
        let released: [String: Levels.Quarantine] = ["B": .init(startedOn: day(9, 7), releasedOn: day(9, 21))]
        #expect(derive([f0("A")], edges, quarantine: released) == ["A": 0])
        // A new exposure after the release counts again.
        #expect(derive([f0("A")], edges + [e("A", "B", day(9, 22))], quarantine: released)["B"] == 1)
    }

    /// Hanoi: when an F1 turns positive, its F2s become F1s, including those it met before "sampling − 2 days".
    @Test func aPromotedF1TransmitsFromItsOwnExposure() {
        let edges = [e("A", "B", day(9, 3)), e("B", "C", day(9, 4)), e("B", "D", day(9, 9))]
        #expect(derive([f0("A")], edges) == ["A": 0, "B": 1, "C": 2, "D": 2])
        // B tests positive with a sample on 10/9: its own window would start 8/9, which used to drop C.
        let promoted = derive([f0("A"), f0("B", from: day(9, 8))], edges)
        #expect(promoted == ["A": 0, "B": 0, "C": 1, "D": 1])
        #expect(ContactLevels.promote([f0("A"), f0("B", from: day(9, 8))], edges: edges).first { $0.node == "B" }?.infectiousFrom == day(9, 3))
        // A chain of promotions: C also turns positive later; its own contact from before its sample counts.
        let chain = derive([f0("A"), f0("B", from: day(9, 8)), f0("C", from: day(9, 12))], edges + [e("C", "E", day(9, 5))])
        #expect(chain["E"] == 1)
    }

    /// Every quarantine counts: an old, completed one keeps its exposures done, and a later one does
    /// not make them count again.
    @Test func everyEpisodeCountsNotOnlyTheLatest() {
        let edges = [e("A", "B", day(6, 1)), e("B", "C", day(6, 2))]
        let old = Levels.Quarantine(startedOn: day(6, 3), releasedOn: day(6, 17))
        let new = Levels.Quarantine(startedOn: day(9, 1), releasedOn: nil)
        let result = ContactLevels.derivation(sources: [f0("A", from: day(5, 30))], edges: edges, episodes: ["B": [old, new]], maxLevel: 3).levels
        #expect(result.mapValues(\.level) == ["A": 0])
        // A new exposure during September is judged against the September quarantine: before it, B transmits.
        let later = ContactLevels.derivation(sources: [f0("A", from: day(5, 30))], edges: edges + [e("A", "B", day(8, 28)), e("B", "D", day(8, 30)), e("B", "G", day(9, 3))],
                                             episodes: ["B": [old, new]], maxLevel: 3).levels
        #expect(later.mapValues(\.level) == ["A": 0, "B": 1, "D": 2])
    }

    /// A contact never placed in quarantine stops being followed after the rule's period from the last exposure.
    @Test func anUnplacedContactLapsesAndIsReported() {
        let edges = [e("A", "B", day(9, 1)), e("A", "B", day(9, 4)), e("B", "C", day(9, 5))]
        let during = ContactLevels.derivation(sources: [f0("A")], edges: edges, maxLevel: 3, lapse: .init(today: day(9, 18)) { _ in 14 })
        #expect(during.levels.mapValues(\.level) == ["A": 0, "B": 1, "C": 2])
        // 14 days after the last exposure (4/9): followed up to 18/9, not from 19/9; C goes with B.
        let after = ContactLevels.derivation(sources: [f0("A")], edges: edges, maxLevel: 3, lapse: .init(today: day(9, 19)) { _ in 14 })
        #expect(after.levels.mapValues(\.level) == ["A": 0])
        #expect(after.lapsed["B"] == day(9, 19))
        // Placed in quarantine: still followed, whatever the day.
        let placed = ContactLevels.derivation(sources: [f0("A")], edges: edges, episodes: ["B": [.init(startedOn: day(9, 6), releasedOn: nil)]], maxLevel: 3,
                                              lapse: .init(today: day(10, 30)) { _ in 14 })
        #expect(placed.levels["B"]?.level == 1)
        // The follow period is the one in force on the exposure's date.
        let byDate = ContactLevels.derivation(sources: [f0("A")], edges: edges, maxLevel: 3, lapse: .init(today: day(9, 25)) { d in d < day(9, 3) ? 14 : 28 })
        #expect(byDate.levels["B"]?.level == 1)
    }

    @Test func aCaseStaysF0EvenWhenAlsoAContact() {
        #expect(derive([f0("A"), f0("B")], [e("A", "B")]) == ["A": 0, "B": 0])
    }

    /// The local recomputation the server does after each change must agree with a full one.
    @Test(arguments: 0..<200)
    func localRecomputationAgreesWithAFullOne(seed: Int) async throws {
        var rng = SplitMix(seed: UInt64(seed))
        let n = 60
        let ids = (0..<n).map { String(format: "p%02d", $0) }
        var edges: [Levels.Edge<String>] = []
        for _ in 0..<110 {
            let a = ids[Int(rng.next() % UInt64(n))], b = ids[Int(rng.next() % UInt64(n))]
            edges.append(e(a, b, day(9, 1 + Int(rng.next() % 20))))
        }
        // Several episodes per person: an earlier one released, a later one running.
        var quarantine: [String: [Levels.Quarantine]] = [:]
        for id in ids where rng.next() % 5 == 0 {
            quarantine[id] = [.init(startedOn: day(9, 5 + Int(rng.next() % 15)), releasedOn: rng.next() % 3 == 0 ? day(9, 25) : nil)]
            if rng.next() % 3 == 0 { quarantine[id]?.append(.init(startedOn: day(8, 1), releasedOn: day(8, 14))) }
        }
        // Contacts never placed stop being followed 12 days after their last exposure; today is 1 October.
        let lapse = Levels.Lapse(today: day(10, 1)) { _ in 12 }
        var sources = ids.filter { _ in rng.next() % 9 == 0 }.map { f0($0, from: day(9, 1 + Int(rng.next() % 10))) }
        func full(_ s: [Levels.Source<String>]) -> [String: Levels.Assignment<String>] {
            ContactLevels.derivation(sources: s, edges: edges, episodes: quarantine, maxLevel: 3, lapse: lapse).levels
        }
        let before = full(sources)
        // Change: a new case or one ruled out, a new exposure, or a quarantine that starts or ends.
        let changed = ids[Int(rng.next() % UInt64(n))], other = ids[Int(rng.next() % UInt64(n))]
        var changedNodes: Set<String> = [changed]
        switch seed % 3 {
        case 0:
            if let i = sources.firstIndex(where: { $0.node == changed }) { sources.remove(at: i) } else { sources.append(f0(changed, from: day(9, 2))) }
        case 1:
            edges.append(e(changed, other, day(9, 1 + Int(rng.next() % 20))))
            changedNodes.insert(other)
        default:
            quarantine[changed, default: []].append(quarantine[changed] == nil ? .init(startedOn: day(9, 6), releasedOn: nil) : .init(startedOn: day(9, 6), releasedOn: day(9, 22)))
        }
        let whole = full(sources)

        // Region: within 3 hops of the change; rim: one hop further, kept as it was.
        var adjacency: [String: Set<String>] = [:]
        for edge in edges { adjacency[edge.a, default: []].insert(edge.b); adjacency[edge.b, default: []].insert(edge.a) }
        var region = changedNodes, frontier = changedNodes
        for _ in 0..<3 {
            frontier = Set(frontier.flatMap { adjacency[$0] ?? [] }).subtracting(region)
            region.formUnion(frontier)
        }
        let rim = Set(region.flatMap { adjacency[$0] ?? [] }).subtracting(region)
        let fixed = before.filter { rim.contains($0.key) && $0.value.level > 0 }
        // As the server does: case windows promoted by the bounded walk, exact on the days of the
        // exposures the local pass reads, then the local pass.
        let localEdges = edges.filter { region.contains($0.a) || region.contains($0.b) }
        var judgedOn: [String: [CivilDate]] = [:]
        for edge in localEdges {
            judgedOn[edge.a, default: []].append(edge.day)
            judgedOn[edge.b, default: []].append(edge.day)
        }
        let known = sources
        let walked = try await ContactLevels.promotionInputs(
            targets: region.union(rim), judgedOn: judgedOn, sourcesOf: { nodes in known.filter { nodes.contains($0.node) } },
            exposuresOf: { limits in touching(edges, limits) })
        let promoted = ContactLevels.promote(walked.sources, edges: walked.edges)
        let local = ContactLevels.derivation(sources: promoted.filter { region.contains($0.node) || rim.contains($0.node) }, edges: localEdges,
                                             episodes: quarantine, maxLevel: 3, fixed: fixed, lapse: lapse).levels
        var merged = before.filter { !region.contains($0.key) }
        for (k, v) in local where region.contains(k) { merged[k] = v }
        #expect(merged.mapValues(\.level) == whole.mapValues(\.level))
        #expect(merged.mapValues(\.since) == whole.mapValues(\.since))
    }
}

/// The exposures of each person asked about, on or before the day asked, as the server's query gives them.
private func touching(_ edges: [Levels.Edge<String>], _ limits: [String: CivilDate]) -> [Levels.Edge<String>] {
    edges.filter { edge in
        if let limit = limits[edge.a], edge.day <= limit { return true }
        if let limit = limits[edge.b], edge.day <= limit { return true }
        return false
    }
}

/// The server walks only the exposures that can move a case's window (back in time from each case)
/// instead of the whole graph of cases; the windows it gives must be exactly those over everything.
@Suite("Promoted windows from a bounded walk")
struct PromotionWalkTests {
    @Test(arguments: 0..<300)
    func theBoundedWalkGivesTheWholeGraphsWindows(seed: Int) async throws {
        var rng = SplitMix(seed: UInt64(seed) &+ 7_000)
        let n = 50
        let ids = (0..<n).map { String(format: "c%02d", $0) }
        // Dense, as in a wave: most people are cases and exposures between them are common, often on the same day.
        var edges: [Levels.Edge<String>] = []
        for _ in 0..<(60 + Int(rng.next() % 90)) {
            let a = ids[Int(rng.next() % UInt64(n))], b = ids[Int(rng.next() % UInt64(n))]
            edges.append(e(a, b, day(8, 1 + Int(rng.next() % 30))))
        }
        let sources = ids.filter { _ in rng.next() % 4 != 0 }.map { id -> Levels.Source<String> in
            let from = day(8, 3 + Int(rng.next() % 28))
            return f0(id, from: from, until: rng.next() % 3 == 0 ? from.adding(days: Int(rng.next() % 12)) : nil)
        }
        let targets = Set(ids.filter { _ in rng.next() % 6 == 0 })
        let whole = ContactLevels.promote(sources, edges: edges).filter { targets.contains($0.node) }
        let walked = try await ContactLevels.promotionInputs(
            targets: targets,
            sourcesOf: { nodes in sources.filter { nodes.contains($0.node) } },
            exposuresOf: { limits in touching(edges, limits) })
        let bounded = ContactLevels.promote(walked.sources, edges: walked.edges).filter { targets.contains($0.node) }
        #expect(bounded == whole)
        #expect(walked.edges.count <= edges.count)
    }

    /// A long chain back in time is followed to its end; a later exposure of the same people is not.
    @Test func aChainBackInTimeIsFollowedAndLaterExposuresAreNot() async throws {
        // D exposed C on 5/8, C exposed B on 10/8, B exposed A on 15/8; each sampled later.
        let sources = [f0("A", from: day(8, 20)), f0("B", from: day(8, 18)), f0("C", from: day(8, 16)), f0("D", from: day(8, 1))]
        let edges = [e("D", "C", day(8, 5)), e("C", "B", day(8, 10)), e("B", "A", day(8, 15)), e("C", "E", day(8, 25)), e("B", "F", day(8, 28))]
        var seen: [[String: CivilDate]] = []
        let walked = try await ContactLevels.promotionInputs(
            targets: ["A"], sourcesOf: { nodes in sources.filter { nodes.contains($0.node) } },
            exposuresOf: { limits in
                seen.append(limits)
                return edges.filter { limits[$0.a] != nil || limits[$0.b] != nil }
            })
        let promoted = ContactLevels.promote(walked.sources, edges: walked.edges)
        #expect(promoted.first { $0.node == "A" }?.infectiousFrom == day(8, 15))
        #expect(seen.map { $0.keys.sorted() } == [["A"], ["B"], ["C"]])
        #expect(!walked.edges.contains { $0.day >= day(8, 25) })
    }
}

/// A small deterministic generator so property tests reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Quarantine periods from the rule in force")
struct QuarantinePolicyTests {
    let rules = QuarantinePolicy.seed

    @Test func theStartDateChoosesTheRuleVersion() throws {
        let may = try #require(QuarantinePolicy.rule(for: .f1, setting: .facility, on: day(7, 13), rules: rules))
        #expect(may.days == 21 && may.monitoringDays == 7)
        let july = try #require(QuarantinePolicy.rule(for: .f1, setting: .facility, on: day(7, 14), rules: rules))
        #expect(july.days == 14 && july.monitoringDays == 14 && july.testDays == [1, 7, 14])
    }

    @Test func endDatesAndTestDaysCountTheStartAsDayOne() throws {
        let rule = try #require(QuarantinePolicy.rule(for: .f1, setting: .facility, on: day(9, 1), rules: rules))
        let plan = QuarantinePolicy.plan(start: day(9, 1), rule: rule)
        #expect(plan.end == day(9, 15))
        #expect(plan.monitoringEnd == day(9, 29))
        #expect(plan.tests.map(\.date) == [day(9, 1), day(9, 7), day(9, 14)])
        // Across the turn of the year, and with an extension.
        let late = QuarantinePolicy.plan(start: day(12, 25), rule: rule, extraDays: 7)
        #expect(late.end == day(1, 15, 2022))
    }

    @Test func homeQuarantineBeforeItWasAllowedTakesTheFacilityRule() throws {
        let rule = try #require(QuarantinePolicy.rule(for: .f1, setting: .home, on: day(6, 1), rules: rules))
        #expect(rule.setting == .facility && rule.days == 21)
        #expect(QuarantinePolicy.rule(for: .f1, setting: .home, on: day(8, 1), rules: rules)?.setting == .home)
    }

    @Test func vaccinatedContactsFollowTheirOwnRuleOnceItExists() throws {
        #expect(QuarantinePolicy.rule(for: .f1Vaccinated, setting: .home, on: day(11, 30), rules: rules)?.subject == .f1)
        let dec = try #require(QuarantinePolicy.rule(for: .f1Vaccinated, setting: .home, on: day(12, 1), rules: rules))
        #expect(dec.days == 7 && dec.monitoringDays == 7)
        let feb = try #require(QuarantinePolicy.rule(for: .f1Vaccinated, setting: .home, on: day(2, 21, 2022), rules: rules))
        #expect(QuarantinePolicy.plan(start: day(2, 21, 2022), rule: feb).end == day(2, 26, 2022))
    }

    @Test func nothingBeforeTheFirstRule() {
        #expect(QuarantinePolicy.rule(for: .f1, setting: .facility, on: day(1, 1), rules: rules) == nil)
    }

    @Test func rulesWithTestDaysOutsideThePeriodAreRejected() {
        let bad = QuarantineRule(id: "x", effectiveFrom: day(9, 1), subject: .f1, setting: .home, days: 7, monitoringDays: 0, testDays: [1, 14], source: "")
        #expect(bad.problems()["test_days"] == "outside_period")
        #expect(QuarantineRule.parseTestDays("14, 1; 7") == [1, 7, 14])
        #expect(QuarantineRule.parseTestDays("1, x") == nil)
        #expect(QuarantinePolicy.seed.allSatisfy { $0.problems().isEmpty })
    }
}

@Suite("F0 home-care eligibility (4038/QĐ-BYT)")
struct HomeCareTests {
    let base = HomeCare.Assessment(positiveTest: true, clinicalStatus: .mild, breathsPerMinute: 18, spo2: 97, doses: 2, lastDose: day(7, 1),
                                   age: 60, hasListedCondition: true, pregnant: false, canSelfCareOrHasCarer: true)

    @Test func aVaccinatedMildCaseIsEligible() {
        #expect(HomeCare.check(base, on: day(9, 1)).isEmpty)
    }

    @Test(arguments: ["symptoms", "breathing", "breathing-unmeasured", "spo2", "care", "no_positive_test", "risk_group"])
    func eachCriterionCanFailAlone(change: String) {
        var a = base
        switch change {
        case "symptoms": a.clinicalStatus = .moderate
        case "breathing": a.breathsPerMinute = 21
        case "breathing-unmeasured": a.breathsPerMinute = nil
        case "spo2": a.spo2 = 95
        case "care": a.canSelfCareOrHasCarer = false
        case "no_positive_test": a.positiveTest = false
        default: a.doses = 1; a.lastDose = day(8, 20)
        }
        let code = change == "breathing-unmeasured" ? "breathing" : change
        #expect(HomeCare.check(a, on: day(9, 1)).map(\.code) == [code])
    }

    @Test func oneDoseCountsAfterFourteenDays() {
        var a = base
        a.doses = 1
        a.lastDose = day(8, 18)
        #expect(HomeCare.check(a, on: day(9, 1)).isEmpty)
        #expect(HomeCare.check(a, on: day(8, 31)).map(\.code) == ["risk_group"])
    }

    @Test func unvaccinatedYoungHealthyPeopleAreEligibleButNotPregnantWomen() {
        var a = base
        a.doses = 0
        a.lastDose = nil
        a.age = 30
        a.hasListedCondition = false
        #expect(HomeCare.check(a, on: day(9, 1)).isEmpty)
        a.pregnant = true
        #expect(HomeCare.check(a, on: day(9, 1)).map(\.code) == ["risk_group"])
        a.pregnant = false
        a.age = 51
        #expect(HomeCare.check(a, on: day(9, 1)).map(\.code) == ["risk_group"])
        a.age = 0
        #expect(HomeCare.check(a, on: day(9, 1)).map(\.code) == ["risk_group"])
    }
}

@Suite("Risk levels (2686/QĐ-BCĐQG and 4800/QĐ-BYT tables)")
struct RiskLevelTests {
    let rules = RiskAssessment.decision4800

    @Test(arguments: [
        (0, true, 1), (0, false, 1), (1, true, 1), (1, false, 2), (19, true, 1), (20, true, 2), (20, false, 3),
        (49, true, 2), (50, true, 3), (50, false, 4), (149, true, 3), (150, true, 4), (400, false, 4),
    ])
    func the4800Matrix(casesPer100k: Int, coverageMet: Bool, level: Int) {
        let input = RiskInput(communityCases: casesPer100k, population: 100_000, adultsFirstDosePercent: coverageMet ? 90 : 60, over50FullPercent: coverageMet ? 85 : 85)
        let result = RiskAssessment.assess(input, rules: rules)
        #expect(result.level == level)
        #expect(result.coverageMet == coverageMet)
    }

    /// Hanoi, November 2021: about 20 community cases per 100,000 per week with coverage met is level 2.
    @Test func hanoiNovember2021() {
        let hanoi = RiskInput(communityCases: 1_650, population: 8_246_600, adultsFirstDosePercent: 97, over50FullPercent: 90, treatmentCapacityMet: true)
        let result = RiskAssessment.assess(hanoi, rules: rules)
        #expect(result.level == 2)
        #expect(result.ratePer100k.map { abs($0 - 20) < 0.1 } == true)
        #expect(result.decidedVI.contains("ca cộng đồng/100.000 dân/tuần"))
    }

    /// The city's 579 communes that week: 535 at level 1, 42 at level 2, 2 at level 3.
    @Test func hanoiNovember2021CommuneDistribution() {
        var levels: [Int] = []
        for i in 0..<579 {
            let cases = i < 400 ? 0 : i < 535 ? 2 : i < 577 ? 4 : 8   // per 14,000 people
            levels.append(RiskAssessment.assess(RiskInput(communityCases: cases, population: 14_000, adultsFirstDosePercent: 95, over50FullPercent: 88), rules: rules).level!)
        }
        #expect(levels.filter { $0 == 1 }.count == 535)
        #expect(levels.filter { $0 == 2 }.count == 42)
        #expect(levels.filter { $0 == 3 }.count == 2)
    }

    @Test func failedTreatmentCapacityRaisesOneLevelWhenTheSettingSaysSo() {
        var input = RiskInput(communityCases: 25, population: 100_000, adultsFirstDosePercent: 90, over50FullPercent: 90, treatmentCapacityMet: false)
        #expect(RiskAssessment.assess(input, rules: rules).level == 3)
        var keep = rules
        keep.capacityFailRaises = false
        #expect(RiskAssessment.assess(input, rules: keep).level == 2)
        input.communityCases = 500
        #expect(RiskAssessment.assess(input, rules: rules).level == 4)  // never above the top level
    }

    @Test func missingCoverageCountsAsNotMetAndMissingPopulationGivesNoLevel() {
        #expect(RiskAssessment.assess(RiskInput(communityCases: 5, population: 100_000), rules: rules).level == 2)
        let none = RiskAssessment.assess(RiskInput(communityCases: 5, population: nil), rules: rules)
        #expect(none.level == nil)
        #expect(none.decidedEN.contains("population"))
    }

    /// 2686: a district is very high when ≥ 30% of its communes are very high, or ≥ 50% high.
    @Test func the2686DistrictRule() {
        let r = RiskAssessment.decision2686
        #expect(RiskAssessment.aggregate(childLevels: [4, 4, 4] + Array(repeating: 1, count: 7), rules: r).level == 4)
        #expect(RiskAssessment.aggregate(childLevels: [4, 4] + Array(repeating: 1, count: 8), rules: r).level != 4)
        #expect(RiskAssessment.aggregate(childLevels: Array(repeating: 3, count: 5) + Array(repeating: 1, count: 5), rules: r).level == 4)
        #expect(RiskAssessment.aggregate(childLevels: Array(repeating: 3, count: 4) + Array(repeating: 1, count: 6), rules: r).level == 3)
        #expect(RiskAssessment.aggregate(childLevels: Array(repeating: 1, count: 10), rules: r).level == 1)
        #expect(RiskAssessment.aggregate(childLevels: [], rules: r).level == nil)
    }

    @Test func seededTablesAreValidAndBrokenOnesAreCaught() {
        #expect(RiskAssessment.decision4800.problems().isEmpty)
        #expect(RiskAssessment.decision2686.problems().isEmpty)
        var bad = rules
        bad.bands = [.init(minRate: 0, levelIfCoverageMet: 1, levelIfCoverageNotMet: 2), .init(minRate: 0, levelIfCoverageMet: 9, levelIfCoverageNotMet: 2)]
        #expect(bad.problems().contains("bands must rise"))
        #expect(bad.problems().contains("a band names an unknown level"))
    }
}

@Suite("Transmission chain drawing")
struct ChainGraphTests {
    @Test func rowsFollowLevelsAndLinksOnlyWhereAllowed() {
        let graph = ChainGraph(
            nodes: [.init(id: "a", level: 0, label: "Nguyễn <A>", sublabel: "BN1", link: "/cases/1"),
                    .init(id: "b", level: 1, label: "Trần B", sublabel: "", link: "/people/b"),
                    .init(id: "c", level: 1, label: "L. V. C.", sublabel: "ngoài địa bàn", link: nil),
                    .init(id: "d", level: 2, label: "Đỗ D", sublabel: "", link: "/people/d")],
            edges: [.init(a: "a", b: "b", label: "5/9"), .init(a: "a", b: "c", label: "5/9"), .init(a: "b", b: "d", label: "6/9"), .init(a: "x", b: "a", label: "?")])
        #expect(graph.edges.count == 3)
        #expect(graph.positions["a"]!.y < graph.positions["b"]!.y)
        #expect(graph.positions["b"]!.y == graph.positions["c"]!.y)
        #expect(graph.positions["d"]!.y > graph.positions["b"]!.y)
        let svg = graph.render(title: "Chuỗi lây nhiễm")
        #expect(svg.contains("Nguyễn &lt;A&gt;"))
        #expect(!svg.contains("<A>"))
        #expect(svg.contains("href=\"/people/b\""))
        #expect(!svg.contains("href=\"/people/c\""))
        #expect(svg.components(separatedBy: "<line ").count - 1 == 3)
    }

    @Test func barycentreOrderingUncrossesTwoPairs() {
        // b1 belongs to a2 and b2 to a1: the lower row is reordered under its parents.
        let graph = ChainGraph(nodes: [.init(id: "a1", level: 0, label: "A", sublabel: "", link: nil), .init(id: "a2", level: 0, label: "B", sublabel: "", link: nil),
                                       .init(id: "b1", level: 1, label: "C", sublabel: "", link: nil), .init(id: "b2", level: 1, label: "D", sublabel: "", link: nil)],
                               edges: [.init(a: "a1", b: "b2", label: ""), .init(a: "a2", b: "b1", label: "")])
        let p = graph.positions
        #expect((p["a1"]!.x < p["a2"]!.x) == (p["b2"]!.x < p["b1"]!.x))
    }
}
