import Testing
@testable import EpiCore

@Suite("Vaccination rules")
struct VaccinationRulesTests {
    func day(_ s: String) throws -> CivilDate { try CivilDate(parsing: s) }
    var comirnaty: VaccineProduct { VaccineCatalog.product("EU/1/20/1528")! }

    @Test func catalogCarriesTheEUCodes() throws {
        #expect(VaccineCatalog.product("EU/1/20/1528")?.manufacturerCode == "ORG-100030215")
        #expect(VaccineCatalog.product("EU/1/20/1507")?.manufacturerCode == "ORG-100031184")
        #expect(VaccineCatalog.product("EU/1/21/1529")?.manufacturerCode == "ORG-100001699")
        #expect(VaccineCatalog.product("BBIBP-CorV")?.manufacturerCode == "ORG-100020693")
        #expect(VaccineCatalog.product("EU/1/20/1525")?.seriesDoses == 1)
        #expect(VaccineCatalog.product("EU/1/20/1528")?.vaccineType == "1119349007")
        #expect(Set(VaccineCatalog.products.map(\.code)).count == VaccineCatalog.products.count)
        #expect(VaccineCatalog.product("Pfizer") == nil)
    }

    /// An invitation list skips, in SQL, everyone dosed within `shortestWaitDays`: nobody it skips may be
    /// due. Every history of one to three doses of any products, the last one 0 to shortestWait−1 days ago.
    @Test func nobodyDosedWithinTheShortestWaitIsDue() throws {
        let wait = VaccinationRules.shortestWaitDays
        #expect(wait == 14)
        let today = try day("01/12/2021")
        let codes = VaccineCatalog.products.map(\.code)
        var histories: [[String]] = codes.map { [$0] }
        histories += histories.flatMap { h in codes.map { h + [$0] } }
        histories += histories.filter { $0.count == 2 }.flatMap { h in codes.map { h + [$0] } }
        var checked = 0
        for codesOfHistory in histories {
            for ago in 0..<wait {
                // Earlier doses 200 days apart, so only the last one's interval can hold anyone back.
                let n = codesOfHistory.count
                let history = codesOfHistory.enumerated().map { i, code in
                    GivenDose(productCode: code, date: today.adding(days: -ago - 200 * (n - 1 - i)))
                }
                for product in VaccineCatalog.products {
                    let verdict = VaccinationRules.eligibility(birthDate: try day("01/01/1970"), history: history, product: product, on: today)
                    if case .eligible = verdict { Issue.record("\(codesOfHistory), last dose \(ago) days ago: \(verdict)") }
                    checked += 1
                }
            }
        }
        #expect(checked == (8 + 64 + 512) * 14 * 8)
        // And the bound is tight: someone is due on the day it ends (CoronaVac's second dose).
        let coronaVac = try #require(VaccineCatalog.product("CoronaVac"))
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1970"), history: [GivenDose(productCode: "CoronaVac", date: today.adding(days: -wait))],
                                             product: coronaVac, on: today) == .eligible(number: 2, kind: .complete))
    }

    @Test(arguments: [(11, nil), (12, AgeGroup.age12to17), (17, .age12to17), (18, .age18to49), (49, .age18to49), (50, .age50to64), (64, .age50to64), (65, .age65plus), (101, .age65plus)])
    func ageGroups(age: Int, group: AgeGroup?) {
        #expect(AgeGroup.of(age: age) == group)
    }

    @Test func firstDoseForAnAdultWithNoHistory() throws {
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1980"), history: [], product: comirnaty, on: try day("01/09/2021")) == .eligible(number: 1, kind: .first))
    }

    @Test func childUnderTwelveIsRefused() throws {
        #expect(VaccinationRules.eligibility(birthDate: try day("02/09/2009"), history: [], product: comirnaty, on: try day("01/09/2021")) == .tooYoung(age: 11))
    }

    @Test func secondDoseWaitsForTheFirstProductsInterval() throws {
        let history = [GivenDose(productCode: "EU/1/21/1529", date: try day("01/08/2021"))]
        // AstraZeneca then Pfizer: the wait is AstraZeneca's 28 days.
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1980"), history: history, product: comirnaty, on: try day("28/08/2021"))
                == .tooSoon(number: 2, dueOn: try day("29/08/2021")))
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1980"), history: history, product: comirnaty, on: try day("29/08/2021"))
                == .eligible(number: 2, kind: .complete))
    }

    @Test func boosterAfterTheSeriesWaitsLonger() throws {
        let history = [GivenDose(productCode: "EU/1/20/1528", date: try day("22/07/2021")), GivenDose(productCode: "EU/1/20/1528", date: try day("01/07/2021"))]
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1950"), history: history, product: comirnaty, on: try day("01/10/2021"))
                == .tooSoon(number: 3, dueOn: try day("20/10/2021")))
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1950"), history: history, product: comirnaty, on: try day("20/10/2021"))
                == .eligible(number: 3, kind: .booster))
        #expect(VaccinationRules.dueDate(history: history) == (try day("20/10/2021")))
    }

    @Test func oneDoseProductCountsFirstAndComplete() {
        #expect(VaccinationRules.counts(number: 1, seriesDoses: 1) == [.first, .complete])
        #expect(VaccinationRules.counts(number: 2, seriesDoses: 1) == [.booster])
        #expect(VaccinationRules.counts(number: 2, seriesDoses: 2) == [.complete])
        #expect(VaccinationRules.counts(number: 0, seriesDoses: 2) == [])
    }

    @Test func unknownProductInHistoryIsNotGuessed() throws {
        let history = [GivenDose(productCode: "Abdala", date: try day("01/08/2021"))]
        #expect(VaccinationRules.eligibility(birthDate: try day("01/01/1980"), history: history, product: comirnaty, on: try day("01/10/2021")) == .unknownProduct("Abdala"))
    }

    @Test func twoRecordsDosesBecomeOneHistoryNumberedByDateNeverBelowTheRecordedNumber() throws {
        let pfizer = "EU/1/20/1528", janssen = "EU/1/20/1525"
        func dose(_ id: String, _ product: String, _ date: String, _ n: Int) throws -> RecordedDose { RecordedDose(id: id, productCode: product, date: try day(date), number: n) }
        func summary(_ m: MergedDoses) -> [String] { m.doses.map { "\($0.id) \($0.number) \($0.counts.map(\.rawValue).joined(separator: "+"))\($0.fromDuplicate ? " moved" : "")" } }

        // A site gave "dose 1" to someone whose first was under the duplicate; another system sent that same dose again.
        let site = try VaccinationRules.merge(kept: [dose("k1", pfizer, "20/09/2021", 1)],
                                              duplicate: [dose("d1", pfizer, "11/08/2021", 1), dose("d2", pfizer, "20/09/2021", 2)])
        #expect(summary(site) == ["d1 1 first moved", "k1 2 complete"])
        #expect(site.repeated == ["d2"])

        // A file's dose 2 of a first dose given where there is no record keeps its number; a later one follows it.
        let file = try VaccinationRules.merge(kept: [dose("k2", pfizer, "01/08/2021", 2)], duplicate: [dose("d1", pfizer, "01/09/2021", 1)])
        #expect(summary(file) == ["k2 2 complete", "d1 3 booster moved"])
        #expect(file.repeated.isEmpty)

        // The first product's series decides: after Janssen's single dose, a Pfizer dose is a booster.
        let mixed = try VaccinationRules.merge(kept: [dose("k1", pfizer, "01/09/2021", 1)], duplicate: [dose("d1", janssen, "01/07/2021", 1)])
        #expect(summary(mixed) == ["d1 1 first+complete moved", "k1 2 booster"])

        // A product outside the catalogue names no series: its person counts only a first dose.
        let unknown = try VaccinationRules.merge(kept: [dose("k1", "Abdala", "01/07/2021", 1)], duplicate: [dose("d1", pfizer, "01/09/2021", 1)])
        #expect(summary(unknown) == ["k1 1 first", "d1 2  moved"])

        // Nothing on the duplicate: the kept history as recorded; the same day twice on one record is not set aside.
        let alone = try VaccinationRules.merge(kept: [dose("k1", pfizer, "01/08/2021", 1), dose("k2", pfizer, "01/09/2021", 2)], duplicate: [])
        #expect(summary(alone) == ["k1 1 first", "k2 2 complete"])
        let twice = try VaccinationRules.merge(kept: [], duplicate: [dose("d1", pfizer, "01/08/2021", 1), dose("d2", pfizer, "01/08/2021", 2)])
        #expect(summary(twice) == ["d1 1 first moved", "d2 2 complete moved"])
        #expect(twice.repeated.isEmpty)
    }

    @Test func coverageArithmetic() {
        #expect(Coverage.percent(7_000, of: 10_000) == 70.0)
        #expect(Coverage.percent(1, of: 3) == 33.3)
        #expect(Coverage.percent(5, of: 0) == nil)
        #expect(Coverage.remaining(covered: 6_000, population: 10_000, targetPercent: 70) == 1_000)
        #expect(Coverage.remaining(covered: 8_000, population: 10_000, targetPercent: 70) == 0)
    }

    @Test func paceProjectionFlagsAWardThatWillMiss() throws {
        // 10,000 adults, 5,000 covered, 200 a day for 7 days, 10 days left: 7,000 by the date, 7,000 needed at 70%.
        let on = PaceProjection(covered: 5_000, population: 10_000, targetPercent: 70, lastSevenDays: Array(repeating: 200, count: 7),
                                today: try day("05/09/2021"), dueOn: try day("15/09/2021"))
        #expect(on.projected == 7_000 && !on.willMiss && on.daysNeeded == 10)
        let slow = PaceProjection(covered: 5_000, population: 10_000, targetPercent: 70, lastSevenDays: Array(repeating: 100, count: 7),
                                  today: try day("05/09/2021"), dueOn: try day("15/09/2021"))
        #expect(slow.willMiss && slow.projected == 6_000 && slow.daysNeeded == 20)
        let stalled = PaceProjection(covered: 0, population: 100, targetPercent: 70, lastSevenDays: [], today: try day("05/09/2021"), dueOn: try day("15/09/2021"))
        #expect(stalled.willMiss && stalled.daysNeeded == nil)
    }

    @Test func stockNeverGoesNegative() throws {
        #expect(try StockRules.apply(.received, doses: 100, to: 0) == 100)
        #expect(try StockRules.apply(.used, doses: 100, to: 100) == 0)
        #expect(throws: StockError.insufficient(available: 5, requested: 6)) { try StockRules.apply(.wasted, doses: 6, to: 5) }
        #expect(throws: StockError.notPositive) { try StockRules.apply(.received, doses: 0, to: 5) }
        #expect(throws: StockError.notPositive) { try StockRules.apply(.returned, doses: -3, to: 5) }
    }

    @Test func doseCSVReadsHeadersAndRows() throws {
        let header = try DoseCSVHeader(fields: ["Số CCCD", "Ngày tiêm", "Mũi số", "Vắc xin", "Số lô"])
        let today = try day("20/09/2021")
        let good = DoseCSV.row(CSVRecord(fields: ["001180012345", "01/08/2021", "1", "Vero Cell", "A1"], line: 2), header: header, today: today)
        #expect((try? good.get())?.product.code == "BBIBP-CorV")
        #expect((try? good.get())?.citizenID == "001180012345")
        for fields in [["x", "01/08/2021", "1", "Pfizer", ""], ["001180012345", "31/02/2021", "1", "Pfizer", ""], ["001180012345", "01/08/2021", "0", "Pfizer", ""],
                       ["001180012345", "01/08/2021", "1", "Abdala", ""], ["001180012345", "21/09/2021", "1", "Pfizer", ""]] {
            if case .success = DoseCSV.row(CSVRecord(fields: fields, line: 3), header: header, today: today) { Issue.record("accepted \(fields)") }
        }
        #expect(throws: DoseCSVProblem.self) { try DoseCSVHeader(fields: ["ho_ten", "ngay_tiem"]) }
        #expect(VaccineCatalog.match("EU/1/20/1507")?.name.contains("Spikevax") == true)
        #expect(VaccineCatalog.match("  pfizer-BioNTech ")?.code == "EU/1/20/1528")
    }
}

@Suite("Vaccination priority groups (rules)")
struct PriorityGroupRulesTests {
    static let over65 = PriorityGroup(code: "over_65", position: 9, labelVI: "Trên 65", labelEN: "Over 65", minAge: 65)
    static let over75 = PriorityGroup(code: "over_75", position: 10, labelVI: "Trên 75", labelEN: "Over 75", minAge: 75)
    static let health = PriorityGroup(code: "health_workers", position: 1, labelVI: "Y tế", labelEN: "Health")

    @Test func theSeedIsAnOrderedListOfValidUniqueCodes() {
        let seed = PriorityGroups.seed
        #expect(seed.count == 12)
        #expect(Set(seed.map(\.code)).count == seed.count)
        #expect(seed.allSatisfy { PriorityGroups.isValidCode($0.code) && !$0.labelVI.isEmpty && !$0.labelEN.isEmpty && $0.active })
        #expect(seed.map(\.position) == Array(1...12))
        // Only the over-65 half of the resolution's group 8 is defined by age.
        #expect(seed.filter { $0.minAge != nil }.map(\.code) == ["over_65"])
    }

    @Test func codesAreLowercaseWordsOfTwoToFortyCharacters() {
        for good in ["ab", "over_65", "workers_industrial", String(repeating: "a", count: 40)] { #expect(PriorityGroups.isValidCode(good), "\(good)") }
        for bad in ["", "a", "1abc", "_ab", "Over65", "over 65", "nhóm", "a-b", String(repeating: "a", count: 41)] { #expect(!PriorityGroups.isValidCode(bad), "\(bad)") }
    }

    @Test func aDoseFileMayNameTheGroupByItsCode() throws {
        let today = CivilDate(year: 2021, month: 9, day: 20) ?? CivilDate(year: 2021, month: 1, day: 1)!
        let header = try DoseCSVHeader(fields: ["cccd", "ngay_tiem", "mui_so", "vac_xin", "Nhóm ưu tiên"])
        #expect(header.priorityGroup == 4)
        func row(_ group: String) -> Result<DoseCSVRow, DoseCSVProblem> {
            DoseCSV.row(CSVRecord(fields: ["001180012345", "01/08/2021", "1", "Pfizer", group], line: 2), header: header, today: today)
        }
        #expect((try? row(" Over_65 ").get())?.priorityGroup == "over_65")
        #expect((try? row("").get())?.priorityGroup == "")
        if case .success = row("người trên 65") { Issue.record("a label instead of a code was accepted") }
        // Without the column, no group.
        let bare = try DoseCSVHeader(fields: ["cccd", "ngay_tiem", "mui_so", "vac_xin"])
        #expect(bare.priorityGroup == nil)
    }

    @Test func aStoredListReadsBackInOrderWithoutBlanksOrRepeats() {
        #expect(PriorityGroups.codes("") == [])
        #expect(PriorityGroups.codes("over_65") == ["over_65"])
        #expect(PriorityGroups.codes(" health_workers , over_65,,health_workers ") == ["health_workers", "over_65"])
        // Free text from before groups were a list reads as one "code" that no group has.
        #expect(PriorityGroups.codes("Người từ 18 tuổi") == ["Người từ 18 tuổi"])
    }

    static let chronic = PriorityGroup(code: "chronic_illness", position: 8, labelVI: "Bệnh mạn tính", labelEN: "Chronic illness")
    static let healthRecorded = PriorityGroup(code: "health_workers", position: 1, labelVI: "Y tế", labelEN: "Health", registryGroup: "health_workers")

    @Test func anInvitationListIsNarrowedOnlyWhenTheRegistryCanSelectEveryGroup() {
        func reach(_ sessionMin: Int, _ groups: [PriorityGroup]) -> InvitationReach { PriorityGroups.invitationReach(sessionMinAge: sessionMin, groups: groups) }
        let everyone18 = InvitationReach(everyoneFrom: 18, registryGroups: [], registryGroupsFrom: 18)
        #expect(reach(18, []) == everyone18)
        #expect(reach(18, [Self.over65]) == InvitationReach(everyoneFrom: 65, registryGroups: [], registryGroupsFrom: 18))
        // The youngest of the age groups: a session for over-65s and over-75s invites from 65.
        #expect(reach(18, [Self.over75, Self.over65]).everyoneFrom == 65)
        // A group the registry cannot see: anyone of the session's age may belong to it.
        #expect(reach(18, [Self.over65, Self.health]) == everyone18)
        #expect(reach(18, [Self.health]) == everyone18)
        #expect(reach(18, [Self.healthRecorded, Self.chronic]) == everyone18)
        // Health workers recorded in the registry: only they, from the session's age; with over-65s, both.
        #expect(reach(18, [Self.healthRecorded]) == InvitationReach(everyoneFrom: nil, registryGroups: ["health_workers"], registryGroupsFrom: 18))
        #expect(reach(18, [Self.healthRecorded]).youngest == 18)
        let both = reach(18, [Self.over65, Self.healthRecorded, Self.healthRecorded])
        #expect(both == InvitationReach(everyoneFrom: 65, registryGroups: ["health_workers"], registryGroupsFrom: 18) && both.youngest == 18)
        // Never below the session's own minimum.
        #expect(reach(70, [Self.over65]).everyoneFrom == 70)
        #expect(reach(70, [Self.over65]).youngest == 70)
        #expect(reach(30, [Self.healthRecorded]).registryGroupsFrom == 30)
        // The seed lets the registry pick health workers (recorded as such) and over-65s, not chronic illness.
        #expect(PriorityGroups.seed.first { $0.code == "health_workers" }?.registryGroup == TargetGroup.healthWorkers.rawValue)
        #expect(PriorityGroups.seed.filter(\.registryCanSelect).map(\.code) == ["health_workers", "over_65"])
    }
}
