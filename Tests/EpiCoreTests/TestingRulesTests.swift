import Foundation
import Testing
@testable import EpiCore

@Suite("Testing rules: pools, matching, confirmation, turnaround, pace")
struct TestingRulesTests {
    // MARK: pooling

    @Test func oneToTheMaximumMakesATubeAndMoreIsRefused() {
        #expect(Pooling.kind(members: 1, maxPoolSize: 10) == .success(.individual))
        #expect(Pooling.kind(members: 5, maxPoolSize: 10) == .success(.pooled))
        #expect(Pooling.kind(members: 10, maxPoolSize: 10) == .success(.pooled))
        #expect(Pooling.kind(members: 11, maxPoolSize: 10) == .failure(.tooLarge(size: 11, max: 10)))
        #expect(Pooling.kind(members: 6, maxPoolSize: 5) == .failure(.tooLarge(size: 6, max: 5)))
        #expect(Pooling.kind(members: 0, maxPoolSize: 10) == .failure(.empty))
        // The campaign's pool size (5 people per tube) holds within the setting; the setting when it is lower.
        #expect(Pooling.kind(members: 5, maxPoolSize: 10, campaignPoolSize: 5) == .success(.pooled))
        #expect(Pooling.kind(members: 6, maxPoolSize: 10, campaignPoolSize: 5) == .failure(.overCampaign(size: 6, max: 5)))
        #expect(Pooling.kind(members: 2, maxPoolSize: 10, campaignPoolSize: 1) == .failure(.overCampaign(size: 2, max: 1)))
        #expect(Pooling.kind(members: 1, maxPoolSize: 10, campaignPoolSize: 1) == .success(.individual))
        #expect(Pooling.kind(members: 9, maxPoolSize: 8, campaignPoolSize: 10) == .failure(.tooLarge(size: 9, max: 8)))
        #expect(Pooling.Problem.overCampaign(size: 6, max: 5).messageVI == "Đợt xét nghiệm này gộp tối đa 5 người/ống; ống này có 6 người.")
    }

    // MARK: groups at risk read from a list

    @Test func aGroupIsReadFromItsCodeItsLabelsOrAShortNameWithOrWithoutDiacritics() {
        #expect(TargetGroup.parse("market_traders") == .marketTraders)
        #expect(TargetGroup.parse("Tiểu thương chợ") == .marketTraders)
        #expect(TargetGroup.parse("TIEU THUONG") == .marketTraders)
        #expect(TargetGroup.parse("Người giao hàng (shipper)") == .shippers)
        #expect(TargetGroup.parse(" Shipper ") == .shippers)
        #expect(TargetGroup.parse("Lái xe, phụ xe") == .drivers)
        #expect(TargetGroup.parse("tài xế") == .drivers)
        #expect(TargetGroup.parse("Health workers") == .healthWorkers)
        #expect(TargetGroup.parse("công nhân") == .factoryWorkers)
        // The groups a vaccination priority group may name, as a health station's or a school's list writes them.
        #expect(TargetGroup.parse("Người có bệnh nền") == .chronicIllness && TargetGroup.parse("bệnh mạn tính") == .chronicIllness)
        #expect(TargetGroup.parse("tuyến đầu") == .frontline && TargetGroup.parse("Giáo viên") == .teachers)
        #expect(TargetGroup.parse("CÔNG AN") == .police && TargetGroup.parse("bộ đội") == .military && TargetGroup.parse("Armed forces") == .military)
        // No two groups read the same: each label, folded, names one group.
        #expect(Set(TargetGroup.allCases.map { VietnameseText.fold($0.labelVI) }).count == TargetGroup.allCases.count)
        #expect(TargetGroup.allCases.last == .other)
        #expect(TargetGroup.parse("phi hành gia") == nil)
        #expect(TargetGroup.parse("  ") == nil)
        // Parts are separated by ";" or "|", never by the comma a label carries; repeats count once, in the catalogue's order.
        let list = TargetGroup.parseList("Lái xe, phụ xe; tiểu thương | shipper; lai xe")
        #expect(list.groups == [.marketTraders, .shippers, .drivers])
        #expect(list.unknown.isEmpty)
        let mixed = TargetGroup.parseList("shipper; phi hành gia;; ")
        #expect(mixed.groups == [.shippers] && mixed.unknown == ["phi hành gia"])
        #expect(TargetGroup.parseList("").groups.isEmpty)
    }

    @Test func tubeLabelsIgnoreSpacesAndCaseAndRefuseWhatNoBarcodeCarries() {
        #expect(SampleLabel.normalize(" hbt 0001 ") == .success("HBT0001"))
        #expect(SampleLabel.normalize("MK-21/09.5_a") == .success("MK-21/09.5_A"))
        #expect(SampleLabel.normalize("") == .failure(.empty))
        #expect(SampleLabel.normalize("ống1") == .failure(.invalidCharacter("Ố")))
        #expect(SampleLabel.normalize(String(repeating: "A", count: 41)) == .failure(.tooLong))
    }

    // MARK: what a result makes happen

    /// An importer reads the antigen rule only when this says so: wherever it says no, every rule (and any
    /// evidence) must give the same action, or a PCR result could be judged by a rule nobody read.
    @Test func theAntigenRuleIsNeededOnlyForAnIndividualRapidAntigenPositive() {
        var needed = 0
        for kind in SampleKind.allCases {
            for test in LabTest.allCases {
                for value in TestResultValue.allCases {
                    for status in TestResultStatus.allCases {
                        let depends = ResultRules.dependsOnAntigenRule(kind: kind, test: test, value: value, status: status)
                        var actions = Set<String>()
                        for rule in AntigenConfirmationRule.allCases {
                            for symptomatic in [false, true] {
                                for link in [false, true] {
                                    let evidence = ResultRules.Evidence(symptomatic: symptomatic, epidemiologicalLink: link)
                                    actions.insert("\(ResultRules.action(kind: kind, test: test, value: value, status: status, antigenRule: rule, evidence: evidence))")
                                }
                            }
                        }
                        if depends { needed += 1 } else { #expect(actions.count == 1, "\(kind) \(test) \(value) \(status)") }
                        // Where it says yes, the rule does change the action.
                        if depends { #expect(actions.count > 1) }
                    }
                }
            }
        }
        // Individual rapid antigen, detected, final or corrected.
        #expect(needed == 2)
    }

    @Test func anIndividualPCRPositiveOpensACaseAndAPositivePoolMeansIndividualRetests() {
        #expect(ResultRules.action(kind: .individual, test: .rtPCR, value: .detected, status: .final, antigenRule: .pcrRequired) == .openCase)
        #expect(ResultRules.action(kind: .pooled, test: .rtPCR, value: .detected, status: .final, antigenRule: .pcrRequired) == .retest(.poolPositive))
        #expect(ResultRules.action(kind: .pooled, test: .rtPCR, value: .detected, status: .final, antigenRule: .always) == .retest(.poolPositive))
        #expect(ResultRules.action(kind: .individual, test: .rtPCR, value: .notDetected, status: .final, antigenRule: .pcrRequired) == .none)
        #expect(ResultRules.action(kind: .pooled, test: .rtPCR, value: .notDetected, status: .final, antigenRule: .pcrRequired) == .none)
        // A corrected result acts like a final one; a preliminary one waits; a cancelled test means sampling again.
        #expect(ResultRules.action(kind: .individual, test: .rtPCR, value: .detected, status: .corrected, antigenRule: .pcrRequired) == .openCase)
        #expect(ResultRules.action(kind: .individual, test: .rtPCR, value: .detected, status: .preliminary, antigenRule: .pcrRequired) == .none)
        #expect(ResultRules.action(kind: .individual, test: .rtPCR, value: .invalid, status: .cancelled, antigenRule: .pcrRequired) == .retest(.resample))
        #expect(ResultRules.action(kind: .pooled, test: .rtPCR, value: .inconclusive, status: .final, antigenRule: .pcrRequired) == .retest(.resample))
    }

    @Test func aRapidAntigenPositiveFollowsTheRuleVersionInForce() {
        let noEvidence = ResultRules.Evidence()
        let symptoms = ResultRules.Evidence(symptomatic: true)
        let link = ResultRules.Evidence(epidemiologicalLink: true)
        // Mid-2021 [sure]: a rapid positive is a suspected case that RT-PCR must confirm, symptoms or not.
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .detected, status: .final, antigenRule: .pcrRequired, evidence: symptoms) == .retest(.confirmPCR))
        // A later reading [unsure]: it confirms with symptoms or an epidemiological link.
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .detected, status: .final, antigenRule: .withSymptomsOrLink, evidence: noEvidence) == .retest(.confirmPCR))
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .detected, status: .final, antigenRule: .withSymptomsOrLink, evidence: symptoms) == .openCase)
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .detected, status: .final, antigenRule: .withSymptomsOrLink, evidence: link) == .openCase)
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .detected, status: .final, antigenRule: .always) == .openCase)
        #expect(ResultRules.action(kind: .individual, test: .rapidAntigen, value: .notDetected, status: .final, antigenRule: .always) == .none)
        // The setting's seeded value is the mid-2021 rule, and its range is the three versions.
        #expect(AntigenConfirmationRule(rawValue: PolicyKey.antigenConfirmation.defaultValue) == .pcrRequired)
        #expect(PolicyKey.antigenConfirmation.range == 0...2)
        #expect(PolicyKey.samplePoolMax.defaultValue == 10 && PolicyKey.resultOverdueHours.defaultValue == 24)
    }

    // MARK: matching

    static let nam = ResultMatching.Member(id: "m1", citizenID: "001085012345", oldID: nil, nameFolded: "nguyen van nam", birthYear: 1985)
    static let mai = ResultMatching.Member(id: "m2", citizenID: nil, oldID: nil, nameFolded: "le thi mai", birthYear: 1987)
    static let khoi = ResultMatching.Member(id: "m3", citizenID: nil, oldID: "012345678", nameFolded: "nguyen minh khoi", birthYear: 2012)

    @Test func anIndividualTubeMatchesItsPersonByIDByNameOrByNothingAtAll() {
        #expect(ResultMatching.decide(.init(nationalIDs: ["001085012345"]), members: [Self.nam], pooled: false) == .member("m1"))
        #expect(ResultMatching.decide(.init(nameFolded: "van nam nguyen"), members: [Self.nam], pooled: false) == .member("m1"))
        #expect(ResultMatching.decide(.init(), members: [Self.nam], pooled: false) == .member("m1"))
        // The lab's ID for someone sampled by name only fills in what the team did not record.
        #expect(ResultMatching.decide(.init(nationalIDs: ["001187004321"], nameFolded: "le thi mai"), members: [Self.mai], pooled: false) == .member("m2"))
        // The old 9-digit ID counts too.
        #expect(ResultMatching.decide(.init(nationalIDs: ["012345678"]), members: [Self.khoi], pooled: false) == .member("m3"))
    }

    @Test func aResultNamingSomeoneElseIsNeverPutOnTheTube() {
        // Another ID than the one recorded for the person of that name: a wrong label, not a typo.
        #expect(ResultMatching.decide(.init(nationalIDs: ["001099000001"], nameFolded: "nguyen van nam"), members: [Self.nam], pooled: false) == .mismatch)
        #expect(ResultMatching.decide(.init(nationalIDs: ["001099000001"]), members: [Self.nam], pooled: false) == .mismatch)
        #expect(ResultMatching.decide(.init(nameFolded: "tran thi hoa"), members: [Self.nam], pooled: false) == .mismatch)
        // Same name, birth years far apart: not the same person.
        #expect(ResultMatching.decide(.init(nameFolded: "nguyen van nam", birthYear: 1992), members: [Self.nam], pooled: false) == .mismatch)
        #expect(ResultMatching.decide(.init(nameFolded: "nguyen van nam", birthYear: 1986), members: [Self.nam], pooled: false) == .member("m1"))
        #expect(ResultMatching.decide(.init(), members: [], pooled: false) == .mismatch)
    }

    @Test func aPooledTubesResultIsTheWholeTubesWhenItNamesNobodyOrOneOfItsPeople() {
        let pool = [Self.nam, Self.mai, Self.khoi]
        #expect(ResultMatching.decide(.init(), members: pool, pooled: true) == .wholeTube)
        #expect(ResultMatching.decide(.init(nationalIDs: ["001085012345"]), members: pool, pooled: true) == .wholeTube)
        #expect(ResultMatching.decide(.init(nameFolded: "le thi mai"), members: pool, pooled: true) == .wholeTube)
        #expect(ResultMatching.decide(.init(nationalIDs: ["001099000001"], nameFolded: "pham quoc hung"), members: pool, pooled: true) == .mismatch)
        // An individual result cannot tell which of several people it is about without a name or ID.
        #expect(ResultMatching.decide(.init(), members: pool, pooled: false) == .mismatch)
    }

    // MARK: turnaround, positivity, pace

    @Test func turnaroundPercentilesAreNearestRankOverWholeHours() {
        let start = Date(timeIntervalSince1970: 1_631_232_000)
        #expect(Turnaround.hours(sampled: start, resulted: start.addingTimeInterval(3 * 3600 + 3599)) == 3)
        #expect(Turnaround.hours(sampled: start, resulted: start.addingTimeInterval(-60)) == 0)
        #expect(Turnaround.percentile([1: 1, 2: 1, 3: 1, 4: 1], 0.5) == 2)
        #expect(Turnaround.percentile([1: 1, 2: 1, 3: 1, 4: 1], 0.9) == 4)
        #expect(Turnaround.percentile([6: 90, 30: 10], 0.9) == 6)
        #expect(Turnaround.percentile([6: 89, 30: 11], 0.9) == 30)
        #expect(Turnaround.percentile([:], 0.5) == nil)
        #expect(Turnaround.isOverdue(sampled: start, now: start.addingTimeInterval(24 * 3600 + 1), limitHours: 24))
        #expect(!Turnaround.isOverdue(sampled: start, now: start.addingTimeInterval(24 * 3600), limitHours: 24))
        #expect(Turnaround.positivityPercent(positive: 3, total: 200) == 1.5)
        #expect(Turnaround.positivityPercent(positive: 0, total: 0) == nil)
    }

    @Test func aWardMissesItsDeadlineWhenItsPaceCannotCoverWhatIsLeft() {
        let today = CivilDate(dayNumber: CivilDate.september1st2021 + 9)      // 10/09
        let deadline = today.adding(days: 5)                                   // 15/09: six working days with today
        let onTrack = CampaignPace.project(target: 12_000, done: 6_000, recent: [1_000, 1_100, 900], today: today, deadline: deadline)
        #expect(onTrack.perDay == 1_000 && onTrack.daysLeft == 6 && !onTrack.willMiss && onTrack.daysNeeded == 6 && onTrack.projected == 12_000)
        let behind = CampaignPace.project(target: 12_000, done: 6_000, recent: [500, 600, 700], today: today, deadline: deadline)
        #expect(behind.willMiss && behind.daysNeeded == 10 && behind.projected == 9_600)
        let stalled = CampaignPace.project(target: 100, done: 10, recent: [0, 0, 0], today: today, deadline: deadline)
        #expect(stalled.willMiss && stalled.daysNeeded == nil)
        let done = CampaignPace.project(target: 100, done: 120, recent: [], today: today, deadline: deadline)
        #expect(!done.willMiss && done.daysNeeded == 0)
        let past = CampaignPace.project(target: 100, done: 50, recent: [10], today: deadline.adding(days: 1), deadline: deadline)
        #expect(past.willMiss && past.daysLeft == 0)
        #expect(CampaignPace.expectedFraction(start: today, deadline: deadline, today: today) == 1.0 / 6.0)
        #expect(CampaignPace.expectedFraction(start: today, deadline: deadline, today: deadline) == 1)
        #expect(CampaignPace.expectedFraction(start: today, deadline: deadline, today: today.adding(days: -1)) == 0)
        // Capacity: 50 left over three days needs 17 a day; points taking 10 a day cannot, 17 can; nothing left is never short.
        let d = CivilDate(dayNumber: CivilDate.september1st2021 + 19)
        #expect(CampaignPace.beyondCapacity(target: 100, done: 50, capacityPerDay: 10, today: d, deadline: d.adding(days: 2)) == (true, 17))
        #expect(CampaignPace.beyondCapacity(target: 100, done: 50, capacityPerDay: 17, today: d, deadline: d.adding(days: 2)) == (false, 17))
        #expect(CampaignPace.beyondCapacity(target: 100, done: 100, capacityPerDay: 0, today: d, deadline: d) == (false, nil))
    }

    @Test func labTimesAreReadInHanoiTimeUnlessTheyNameAZone() throws {
        func parse(_ s: String) -> Date? { if case .success(let d) = LabTimeText.parse(s) { return d } else { return nil } }
        let expected = Date(timeIntervalSince1970: 1_631_259_000)              // 2021-09-10 07:30 UTC = 14:30 in Hanoi
        #expect(parse("10/09/2021 14:30") == expected)
        #expect(parse("2021-09-10 14:30:00") == expected)
        #expect(parse("2021-09-10T14:30:00+07:00") == expected)
        #expect(parse("2021-09-10T07:30:00Z") == expected)
        #expect(parse("10/09/2021") == Date(timeIntervalSince1970: 1_631_206_800))
        #expect(parse("31/02/2021 10:00") == nil)
        #expect(parse("10/09/2021 25:00") == nil)
        #expect(parse("10/09/2021 10:00+15:00") == nil)
        #expect(parse("hôm qua") == nil)
        #expect(parse(" \t10/09/2021\u{00A0} 14:30\u{3000}") == expected)
        #expect(parse("10/09/2021 14:30\n") == nil)
    }

    /// Lab times are trimmed as Foundation's `.whitespaces` trims (tabs and space separators, not line ends).
    @Test(arguments: ["", " ", "\t 10/09/2021 14:30 \t", "\u{00A0}14:30\u{2009}", "\u{3000}x\u{3000}", "\n14:30\n", "\u{200B}14:30", " Hà Nội ", "a b"])
    func labTimesAreTrimmedAsFoundationTrims(raw: String) {
        #expect(LabTimeText.trimmedSpaces(raw[...]) == raw.trimmingCharacters(in: .whitespaces))
    }
}
