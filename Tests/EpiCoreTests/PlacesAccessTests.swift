import Foundation
import Testing
@testable import EpiCore

@Suite("Unit paths")
struct UnitPathTests {
    @Test(arguments: ["01", "01/007", "01/007/00295", "01/007/00295/TDP01", "01/007/00295/tdp-1_a"])
    func validPathsRoundTrip(raw: String) throws {
        let path = try UnitPath(raw)
        #expect(path.string == raw)
        #expect(try UnitPath(slug: path.slug) == path)
        #expect(path.depth == raw.split(separator: "/").count)
    }

    @Test(arguments: ["", "/", "01/", "/01", "01//007", "01/0 7", "01/00.7", "01/ư", String(repeating: "1", count: 21)])
    func invalidPathsAreRejected(raw: String) {
        #expect(throws: UnitPathError.self) { try UnitPath(raw) }
    }

    @Test func parentsCodesAndAppending() throws {
        let ward = try UnitPath("01/007/00295")
        #expect(ward.parent == (try UnitPath("01/007")))
        #expect(ward.parent?.parent == (try UnitPath("01")))
        #expect(try UnitPath("01").parent == nil)
        #expect(ward.code == "00295")
        #expect(try ward.appending("TDP01").string == "01/007/00295/TDP01")
        #expect(throws: UnitPathError.self) { try ward.appending("a/b") }
    }

    @Test func containsIsComponentWise() throws {
        let district = try UnitPath("01/007")
        #expect(district.contains(try UnitPath("01/007")))
        #expect(district.contains(try UnitPath("01/007/00295")))
        #expect(district.contains(try UnitPath("01/007/00295/TDP01")))
        #expect(!district.contains(try UnitPath("01/0071")))
        #expect(!district.contains(try UnitPath("01")))
        #expect(!(try UnitPath("01/00")).contains(try UnitPath("01/007")))
        #expect(!district.contains(try UnitPath("01/004/00139")))
    }

    /// The SQL range `path >= lower AND path < upper` must select exactly the strict descendants.
    @Test func byteOrderBoundsSelectExactlyTheDescendants() throws {
        let all = ["01", "01/007", "01/0070", "01/007/00295", "01/007/00295/A", "01/007/00286", "01/0071/1", "01/006/1", "01/008", "01/007-1", "01/007_1", "01/007.1"]
            .map { try? UnitPath($0) }.compactMap { $0 }
        let root = try UnitPath("01/007")
        for path in all {
            let s = path.string
            let inRange = s >= root.descendantLowerBound && s < root.descendantUpperBound
            #expect(inRange == (root.contains(path) && path != root), "\(s)")
        }
    }

    @Test func codableAsString() throws {
        let path = try UnitPath("01/007")
        #expect(String(decoding: try JSONEncoder().encode([path]), as: UTF8.self) == #"["01\/007"]"#)
        #expect(try JSONDecoder().decode([UnitPath].self, from: Data(#"["01/007"]"#.utf8)) == [path])
    }
}

@Suite("Unit kinds")
struct UnitKindTests {
    @Test(arguments: [("quận", UnitKind.urbanDistrict), ("Huyện", .ruralDistrict), ("thị xã", .town), ("thi xa", .town), ("phường", .ward),
                      ("xã", .commune), ("Thị trấn", .townlet), ("tổ dân phố", .residentialGroup), ("thôn", .village), ("thành phố", .city)])
    func readsOfficialLabels(raw: String, kind: UnitKind) {
        #expect(UnitKind.fromVietnamese(raw) == kind)
    }

    @Test func unknownLabel() {
        #expect(UnitKind.fromVietnamese("bang") == nil)
    }
}

@Suite("Roles and permissions")
struct RoleTests {
    @Test func matrix() {
        let expected: [Role: Set<Permission>] = [
            .cityCommand: Set(Permission.allCases),
            .districtCommand: Set(Permission.allCases).subtracting([.setPopulation, .manageRules, .manageReportTemplates]),
            .wardCommand: [.viewPeople, .editPeople, .mergePeople, .importResidents, .exportResidents, .manageUnits, .manageUsers,
                           .viewCases, .editCases, .manageQuarantine, .manageZones, .logSupplies, .viewRisk,
                           .viewDashboard, .viewReports, .submitReports, .postMessages, .manageTasks, .manageRosters,
                           .viewTesting, .collectSamples, .transportSamples, .viewVaccination, .runVaccinationSessions, .issueCertificates,
                           .viewMovement, .issuePermits, .recordViolations, .manageInspections],
            .wardDataEntry: [.viewPeople, .editPeople, .importResidents, .exportResidents, .viewCases, .editCases, .manageQuarantine, .logSupplies, .viewRisk,
                             .viewDashboard, .viewReports, .submitReports, .postMessages,
                             .viewTesting, .collectSamples, .transportSamples, .viewVaccination, .runVaccinationSessions, .importDoses, .viewMovement],
            .communityTeam: [.viewPeople, .viewCases, .manageQuarantine, .logSupplies, .viewDashboard, .postMessages, .viewTesting, .collectSamples],
            .supervisor: [.viewPeople, .viewCases, .viewRisk, .viewDashboard, .viewReports, .viewTesting, .viewVaccination, .viewMovement],
            .checkpoint: [.checkPermits, .recordViolations], .lab: [.viewTesting, .transportSamples, .enterResults, .reviewResults],
            .vaccinationSite: [.viewVaccination, .runVaccinationSessions, .issueCertificates], .quarantineFacility: [.manageFacilities],
            .business: [.submitBusinessPlans, .requestPermits],
        ]
        #expect(expected.count == Role.allCases.count)
        for role in Role.allCases {
            #expect(role.permissions == expected[role], "\(role)")
            for p in Permission.allCases { #expect(role.has(p) == expected[role]!.contains(p)) }
        }
    }

    /// The Fatherland Front supervises: it reads, and never writes anything.
    @Test func supervisorIsReadOnly() {
        let writes: Set<Permission> = [.editPeople, .mergePeople, .importResidents, .manageUnits, .setPopulation, .manageUsers, .editCases,
                                       .manageQuarantine, .manageFacilities, .manageZones, .logSupplies, .assessRisk, .manageRules, .submitReports,
                                       .manageReportTemplates, .remindUnits, .postMessages, .manageTasks, .manageRosters,
                                       .manageCampaigns, .collectSamples, .transportSamples, .enterResults, .reviewResults, .manageVaccineStock,
                                       .runVaccinationSessions, .importDoses, .issueCertificates, .revokeCertificates, .reviewBusinessPlans,
                                       .submitBusinessPlans, .requestPermits, .issuePermits, .checkPermits, .recordViolations, .manageInspections]
        #expect(Role.supervisor.permissions.isDisjoint(with: writes))
        #expect(Role.cityCommand.permissions.isSuperset(of: writes))
    }

    @Test func whoMayCreateWhom() {
        #expect(Role.cityCommand.canAssign == Set(Role.allCases))
        #expect(!Role.districtCommand.canAssign.contains(.cityCommand))
        #expect(Role.districtCommand.canAssign.contains(.wardCommand))
        #expect(Role.wardCommand.canAssign == [.wardDataEntry, .communityTeam])
        for role in [Role.wardDataEntry, .communityTeam, .checkpoint, .lab, .vaccinationSite, .quarantineFacility, .business, .supervisor] {
            #expect(role.canAssign.isEmpty)
        }
    }

    @Test func everyRoleAndPermissionHasLabels() {
        for role in Role.allCases { #expect(!role.labelVI.isEmpty && !role.labelEN.isEmpty && role.labelVI != role.labelEN) }
        for p in Permission.allCases { #expect(!p.labelVI.isEmpty && !p.labelEN.isEmpty) }
        #expect(Role(rawValue: "ward_data_entry") == .wardDataEntry)
    }
}

@Suite("Residence status")
struct ResidenceStatusTests {
    @Test(arguments: [("Thường trú", ResidenceStatus.permanent), ("tam tru", .temporary), ("Lưu trú", .shortStay), ("short_stay", .shortStay),
                      ("temporary", .temporary), ("PERMANENT", .permanent)])
    func parses(raw: String, status: ResidenceStatus) {
        #expect(ResidenceStatus.parse(raw) == status)
    }

    @Test func rejectsUnknown() {
        #expect(ResidenceStatus.parse("khách") == nil)
    }
}
