import Foundation
import Testing
@testable import EpiCore

@Suite("Movement control rules")
struct MovementRulesTests {
    // MARK: tax codes

    @Test(arguments: [("0100233488", "0100233488"), ("0314409058-002", "0314409058-002"), ("0314409058002", "0314409058-002"),
                      ("01.00.112.437", "0100112437"), ("0312 68 78 78 - 001", "0312687878-001"), (" 0100109106 ", "0100109106")])
    func acceptsValidTaxCodes(raw: String, stored: String) throws {
        #expect(try TaxCode(parsing: raw).description == stored)
    }

    @Test(arguments: [("", TaxCodeError.empty), ("12345", .invalidLength(5)), ("0100233480", .badCheckDigit), ("0100233487", .badCheckDigit),
                      ("01002334881", .invalidLength(11)), ("0100233488-000", .invalidComponent), ("0100000000", .invalidComponent),
                      ("01002334a8", .invalidFormat), ("010023-3488", .invalidFormat), ("0100233488-0-01", .invalidFormat)])
    func refusesBadTaxCodes(raw: String, error: TaxCodeError) {
        #expect(throws: error) { try TaxCode(parsing: raw) }
    }

    @Test func checkDigitFollowsTheWeightedSum() {
        // 0·31 + 1·29 + 0·23 + 0·19 + 2·17 + 3·13 + 3·7 + 4·5 + 8·3 = 167; 167 mod 11 = 2; 10 − 2 = 8.
        #expect(TaxCode.checkDigit("010023348") == 8)
        // Every single-digit change of a valid code's first nine digits breaks it.
        let valid = Array("0100233488")
        for i in 0..<9 {
            for d in "0123456789" where d != valid[i] {
                var changed = valid
                changed[i] = d
                if let check = TaxCode.checkDigit(Substring(String(changed.prefix(9)))) { #expect(check != 8 || String(changed) == String(valid)) }
            }
        }
    }

    @Test func aBranchKeepsItsParentsTenDigits() throws {
        let branch = try TaxCode(parsing: "0314409058-002")
        #expect(branch.isBranch && branch.base == "0314409058" && branch.branch == "002")
    }

    // MARK: permit validity

    static let sep6 = CivilDate(year: 2021, month: 9, day: 6)!
    static let sep21 = CivilDate(year: 2021, month: 9, day: 21)!

    @Test func permitVerdictsAtACheckpoint() {
        let bode = "01/004/00103", longbien = "01/004"
        let permit = PermitTerms(validFrom: Self.sep6, validTo: Self.sep21, zones: [bode])
        #expect(permit.verdict(on: Self.sep6, checkpointZones: [bode]) == .valid)
        #expect(permit.verdict(on: Self.sep21, checkpointZones: [bode]) == .valid)
        #expect(permit.verdict(on: Self.sep6.adding(days: -1), checkpointZones: [bode]) == .notYetValid)
        #expect(permit.verdict(on: Self.sep21.adding(days: 1), checkpointZones: [bode]) == .expired)
        #expect(permit.verdict(on: Self.sep6, checkpointZones: ["01/004/00106"]) == .wrongZone)
        // A permit for the whole district is good at a checkpoint of any of its wards.
        #expect(PermitTerms(validFrom: Self.sep6, validTo: Self.sep21, zones: [longbien]).verdict(on: Self.sep6, checkpointZones: [bode]) == .valid)
        // No zones: anywhere in the city.
        #expect(PermitTerms(validFrom: Self.sep6, validTo: Self.sep21).verdict(on: Self.sep6, checkpointZones: ["01/007/00295"]) == .valid)
        // Revocation outranks everything, dates outrank place.
        var revoked = permit
        revoked.revoked = true
        #expect(revoked.verdict(on: Self.sep6, checkpointZones: [bode]) == .revoked)
        #expect(permit.verdict(on: Self.sep21.adding(days: 3), checkpointZones: ["01/007/00295"]) == .expired)
    }

    @Test func marketVouchersCountOnlyOnTheirDays() {
        let days = [Self.sep6, Self.sep6.adding(days: 3)]
        let voucher = PermitTerms(validFrom: Self.sep6, validTo: Self.sep21, days: days)
        #expect(voucher.verdict(on: Self.sep6, checkpointZones: []) == .valid)
        #expect(voucher.verdict(on: Self.sep6.adding(days: 1), checkpointZones: []) == .wrongDay)
        #expect(voucher.usable(on: Self.sep6.adding(days: 3)) && !voucher.usable(on: Self.sep6.adding(days: 2)))
    }

    @Test func permitRangesAreChecked() {
        #expect(PermitTerms.checkRange(from: Self.sep6, to: Self.sep21) == nil)
        #expect(PermitTerms.checkRange(from: Self.sep21, to: Self.sep6) == .endsBeforeStart)
        #expect(PermitTerms.checkRange(from: Self.sep6, to: Self.sep6.adding(days: 31)) == .tooLong)
        #expect(PermitTerms.checkRange(from: Self.sep6, to: Self.sep6.adding(days: 30)) == nil)
    }

    @Test func aDeclarationCountsForSeventyTwoHours() {
        let at = Date(timeIntervalSince1970: 1_631_000_000)
        #expect(HealthDeclarationRule.isCurrent(declaredAt: at, now: at.addingTimeInterval(72 * 3600)))
        #expect(!HealthDeclarationRule.isCurrent(declaredAt: at, now: at.addingTimeInterval(72 * 3600 + 1)))
        #expect(!HealthDeclarationRule.isCurrent(declaredAt: at.addingTimeInterval(3600), now: at))
    }

    @Test func permitGroupsCountUnderTheirReason() {
        #expect(PermitGroup.essentialWorker.outReason == .work && PermitGroup.agencyStaff.outReason == .work && PermitGroup.foodMedicine.outReason == .market)
    }

    // MARK: plans

    @Test func planStatusMoves() {
        #expect(PlanStatus.draft.canMove(to: .submitted) && PlanStatus.submitted.canMove(to: .returned) && PlanStatus.returned.canMove(to: .submitted))
        #expect(PlanStatus.submitted.canMove(to: .approved) && PlanStatus.approved.canMove(to: .suspended) && PlanStatus.suspended.canMove(to: .approved))
        #expect(!PlanStatus.draft.canMove(to: .approved) && !PlanStatus.returned.canMove(to: .approved) && !PlanStatus.suspended.canMove(to: .submitted))
        #expect(PlanStatus.allCases.filter(\.allowsOperation) == [.approved])
    }

    @Test func aPlanNeedsEveryItemOfItsModelATeamAndACommitment() {
        let model = PlanModel.threeOnSite
        let all = Set(model.requiredItems)
        #expect(PlanCompleteness.check(model: model, ticked: all, teamMembers: 3, commitmentSignedBy: "Nguyễn Văn An").isComplete)
        let lacking = PlanCompleteness.check(model: model, ticked: all.subtracting([.onSiteMeals]), teamMembers: 0, commitmentSignedBy: "  ")
        #expect(lacking.missing == [.onSiteMeals] && lacking.teamMissing && lacking.commitmentMissing)
        #expect(PlanModel.oneRouteTwoPoints.requiredItems.contains(.fixedRouteAndTransport) && !PlanModel.threeOnSite.requiredItems.contains(.fixedRouteAndTransport))
    }

    // MARK: fines

    @Test func finesMustLieInTheRangeInForce() throws {
        let day = Self.sep6
        #expect(ViolationRules.checkAmount(2_000_000, kind: .noMask, on: day, organisation: false) == nil)
        #expect(ViolationRules.checkAmount(3_000_000, kind: .noMask, on: day, organisation: false) == nil)
        #expect(ViolationRules.checkAmount(3_000_001, kind: .noMask, on: day, organisation: false) == .outOfRange(1_000_000...3_000_000))
        #expect(ViolationRules.checkAmount(999_999, kind: .noMask, on: day, organisation: false) == .outOfRange(1_000_000...3_000_000))
        // An organisation: twice the individual's range.
        #expect(ViolationRules.checkAmount(6_000_000, kind: .noMask, on: day, organisation: true) == nil)
        // Before Decree 117 was in force, no rule applies.
        #expect(ViolationRules.checkAmount(2_000_000, kind: .noMask, on: CivilDate(year: 2020, month: 11, day: 14)!, organisation: false) == .noRuleInForce)
        #expect(ViolationRules.rule(.noMask, on: day)?.effectiveFrom.iso == "2020-11-15")
        // A later version replaces the earlier from its own start.
        let newer = ViolationRule(kind: .noMask, effectiveFrom: CivilDate(year: 2021, month: 9, day: 10)!, legalBasis: "x", minFine: 2_000_000, maxFine: 4_000_000, sure: false)
        let rules = ViolationRules.all + [newer]
        #expect(ViolationRules.checkAmount(3_500_000, kind: .noMask, on: day, organisation: false, rules: rules) != nil)
        #expect(ViolationRules.checkAmount(3_500_000, kind: .noMask, on: CivilDate(year: 2021, month: 9, day: 10)!, organisation: false, rules: rules) == nil)
        #expect(Set(ViolationRules.all.map(\.kind)) == Set(ViolationKind.allCases))
    }

    // MARK: daily counts

    @Test func theLongBienDayAddsUp() {
        // Four wards of Long Biên carry the district's one day of September 2021: 29,161 + 14,356 + 2,858 = 46,375.
        let wards: [(String, Int, Int, Int)] = [("01/004/00103", 9_000, 4_000, 800), ("01/004/00106", 8_161, 4_356, 858),
                                                ("01/004/00112", 7_000, 3_000, 700), ("01/004/00118", 5_000, 3_000, 500)]
        let counts = wards.map { w in
            var c = DailyOutCount(unitPath: w.0)
            c.add(.work, w.1); c.add(.market, w.2); c.add(.other, w.3)
            return c
        }
        let district = DailyOutCount.rollUp(counts, into: "01/004")
        #expect(district[.work] == 29_161 && district[.market] == 14_356 && district[.other] == 2_858)
        #expect(district.total == 46_375)
        let tree = DailyOutCount.rollUp(counts) { path in
            let parts = path.split(separator: "/")
            return parts.count > 1 ? parts.dropLast().joined(separator: "/") : nil
        }
        #expect(tree["01/004"]?.total == 46_375 && tree["01"]?.total == 46_375 && tree["01/004/00106"]?.total == 13_375)
        var bad = DailyOutCount(unitPath: "x")
        bad.add(.work, -5)
        #expect(bad.total == 0)
    }
}

@Suite("Inspection rules")
struct InspectionRulesTests {
    @Test func unTickedItemsAreFindingsAndLateOnesAreOverdue() {
        #expect(InspectionRules.findings(ticked: Set(InspectionItem.allCases)).isEmpty)
        #expect(InspectionRules.findings(ticked: [.masks, .distancing]) == [.healthDeclarations, .disinfection, .permitsChecked, .planFollowed])
        let deadline = CivilDate(year: 2021, month: 9, day: 15)!
        #expect(!InspectionRules.isOverdue(status: .open, deadline: deadline, today: deadline))
        #expect(InspectionRules.isOverdue(status: .open, deadline: deadline, today: deadline.adding(days: 1)))
        #expect(!InspectionRules.isOverdue(status: .fixed, deadline: deadline, today: deadline.adding(days: 1)))
    }
}
