import EpiCore
import EpiLabFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Testing
@testable import EpiApp
@testable import EpiPlatform
@testable import EpiRegistry
@testable import EpiTestSupport
@testable import EpiTesting

@Suite("Lab results in: CSV, HL7 v2 over HTTP and MLLP, FHIR R4; the review queue")
struct ResultImportTests {
    static func csv(_ rows: [String]) -> String {
        (["ma_ong_mau,ket_qua,thoi_gian_tra_ket_qua,loai_xet_nghiem,so_dinh_danh,ho_ten,ct"] + rows).joined(separator: "\n") + "\n"
    }

    @Test(arguments: Dialect.enabled)
    func aCSVKeepsGoodRowsReportsBadOnesByLineAndAddsNothingTheSecondTime(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001"), binh = try await app.person("Phan Thị Bình"), chi = try await app.person("Phan Thị Chi")
            try await fx.sample(app, label: "CSV-1", people: [an])
            try await fx.sample(app, label: "CSV-2", people: [binh, chi])
            let y = TestingFixture.yesterday.vietnamese
            let file = Self.csv([
                "CSV-1,Âm tính,\(y) 20:00,RT-PCR,001085000001,Phan Văn An,",        // line 2: matched by ID
                " csv-2 ,NEG,\(y) 20:05,pcr,,,",                                         // line 3: the pool, label typed loosely
                "KHONG-CO,Âm tính,\(y) 20:10,RT-PCR,,Ai Đó,",                          // line 4: no such tube, no such person: review
                "CSV-1,Âm tính,\(y) 20:00,RT-PCR,001099000009,Người Khác,",            // line 5: same key as line 2 (already in the file)
                "ỐNG-9,Âm tính,\(y) 20:00,,,,",                                        // line 6: bad label
                "CSV-9,Có thể,\(y) 20:00,,,,",                                         // line 7: unknown result
                "CSV-9,Âm tính,32/09/2021 20:00,,,,",                                  // line 8: bad time
                "CSV-9,Âm tính,\(y) 20:00,,,,70",                                      // line 9: Ct out of range
                "ZZ-1,Âm tính,\(y) 20:00,,001085000001,,",                              // line 10: no tube, but a registered person's ID
            ])
            var lab = try await BrowserSession.login(client, "lab.mk")
            let page = try await lab.get(client, "/testing/results")
            #expect(page.status == .ok && page.text.contains("results-upload"))
            let token = try await app.token("lab.mk")
            let first = try await client.raw(.post, "/api/v1/testing/results/import?filename=kq.csv", token, contentType: "text/csv", file)
            #expect(first.status == .ok)
            let report = try #require(try first.json()["data"] as? [String: Any])
            #expect(report["total_rows"] as? Int == 9)
            #expect(report["added"] as? Int == 4)
            #expect(report["already_recorded"] as? Int == 1)
            #expect(report["failed"] as? Int == 4)
            #expect(report["matched"] as? Int == 2 && report["person_only"] as? Int == 1 && report["review"] as? Int == 1)
            let lines = (report["errors"] as? [[String: Any]])?.compactMap { $0["line"] as? Int }
            #expect(lines == [6, 7, 8, 9])
            #expect((report["errors"] as? [[String: Any]])?.first?["message"] as? String == "Dòng 6: Mã ống mẫu có ký tự không hợp lệ 'Ố' (chỉ chữ, số và - _ . /).")
            // Matched to tube and person; the pool's tube shows its result; the unknown one waits for review.
            let results = try await app.results()
            #expect(results.first { $0.label == "CSV-1" }?.personId == an.id)
            #expect(results.first { $0.label == "CSV-2" }.map { $0.matchStatus == "matched" && $0.personId == nil } == true)
            #expect(results.first { $0.label == "KHONG-CO" }?.reviewReason == "unknown_sample")
            #expect(results.first { $0.label == "ZZ-1" }.map { $0.matchStatus == "person_only" && $0.personId == an.id } == true)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples WHERE status = 'resulted' AND result_value = 'not_detected'") == 2)
            // The same file again: nothing new, nothing doubled (results, figures, audit).
            let audit = try await app.audit("test_result").count
            let second = try await client.raw(.post, "/api/v1/testing/results/import?filename=kq.csv", token, contentType: "text/csv", file)
            let again = try #require(try second.json()["data"] as? [String: Any])
            #expect(again["added"] as? Int == 0 && again["already_recorded"] as? Int == 5 && again["failed"] as? Int == 4 && again["previous_import_at"] as? String != nil)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results") == 4)
            #expect(try await app.audit("test_result").count == audit)
            let scope = try await app.scope(for: "minhkhai")
            let counted = try await app.services.database.read { try await Counters.byUnit($0, scope: scope, .testResults) }
            #expect(counted["01/007/00295"] == 3)
            // Every stored result has its audit row, and the import one more.
            let importAudits = try await app.audit("lab_results").count
            #expect(audit == 4 && importAudits == 2)
            // A header without the required columns is refused as a whole.
            let bad = try await client.raw(.post, "/api/v1/testing/results/import", token, contentType: "text/csv", "ho_ten,ket_qua\nA,NEG\n")
            #expect(bad.status == .unprocessableContent)
            // A ward may not enter results; a district enters them for a lab in its district by naming it.
            #expect(try await client.raw(.post, "/api/v1/testing/results/import", try await app.token("minhkhai"), contentType: "text/csv", file).status == .forbidden)
            #expect(try await client.raw(.post, "/api/v1/testing/results/import?lab=CDCLB", try await app.token("hbt"), contentType: "text/csv", file).status == .notFound)
            #expect(try await client.raw(.post, "/api/v1/testing/results/import?lab=BVBM", try await app.token("hbt"), contentType: "text/csv", file).status == .ok)
        }
    }

    /// A file's positives open their F0s in the transaction that stores them, so an F0 is there the moment
    /// its result is; one F0 that cannot be opened is undone alone, its result kept and marked for review.
    @Test(arguments: Dialect.enabled)
    func aFilesPositivesOpenTheirF0sWithTheResultsAndOneFailureStaysAlone(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let broken = try await app.person("Đỗ Văn Hỏng", citizenID: "001085000011"), fine = try await app.person("Đỗ Thị Lành", citizenID: "001085000012")
            try await fx.sample(app, label: "F0-1", people: [broken])
            try await fx.sample(app, label: "F0-2", people: [fine])
            // A fault the product cannot foresee (here a trigger refusing this one person's case row).
            try await app.services.database.transactionless { db in
                switch dialect {
                case .sqlite:
                    try await db.raw("""
                        CREATE TRIGGER refuse_case BEFORE INSERT ON cases WHEN NEW.person_id = \(unsafeRaw: "'\(broken.id)'")
                        BEGIN SELECT RAISE(ABORT, 'injected fault'); END
                        """).run()
                case .postgres:
                    try await db.raw("""
                        CREATE FUNCTION refuse_case() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN IF NEW.person_id = \(unsafeRaw: "'\(broken.id)'") THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$
                        """).run()
                    try await db.raw("CREATE TRIGGER refuse_case BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse_case()").run()
                }
            }
            let y = TestingFixture.yesterday.vietnamese
            let file = Self.csv(["F0-1,Dương tính,\(y) 20:00,RT-PCR,001085000011,Đỗ Văn Hỏng,", "F0-2,Dương tính,\(y) 20:05,RT-PCR,001085000012,Đỗ Thị Lành,"])
            let token = try await app.token("lab.mk")
            let answer = try await client.raw(.post, "/api/v1/testing/results/import?filename=f0.csv", token, contentType: "text/csv", file)
            #expect(answer.status == .ok)
            let report = try #require(try answer.json()["data"] as? [String: Any])
            #expect(report["added"] as? Int == 2 && report["positives"] as? Int == 2 && report["cases_opened"] as? Int == 1)
            // Both results are kept; the one whose F0 failed waits in the review queue with why.
            let results = try await app.results()
            let failed = try #require(results.first { $0.label == "F0-1" })
            #expect(failed.actionStatus == "failed" && failed.caseId == nil && !failed.reviewNote.isEmpty)
            let opened = try #require(results.first { $0.label == "F0-2" })
            #expect(opened.actionStatus == "done" && opened.caseId != nil)
            // Nothing of the failed F0 is left half-made (its case row, its audit row); the other one's case is there.
            #expect(try await app.count("SELECT COUNT(*) AS n FROM cases WHERE person_id = '\(broken.id)'") == 0)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM cases WHERE person_id = '\(fine.id)'") == 1)
            let resultAudits = try await app.audit("test_result")
            #expect(!resultAudits.contains { $0.entityId == failed.id && $0.action == "case_opened" })
            #expect(resultAudits.filter { $0.entityId == opened.id && $0.action == "case_opened" }.count == 1)
            // The failed one is shown to the lab's district in the review queue, as before.
            var district = try await BrowserSession.login(client, "hbt")
            #expect(try await district.get(client, "/testing/review").text.contains("F0-1"))
        }
    }

    @Test(arguments: Dialect.enabled)
    func anHL7MessageOverHTTPIsAnsweredWithTheACKALabSystemExpects(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "H-1", people: [an])
            let token = try await app.token("lab.mk")
            let ok = try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "x-application/hl7-v2+er7",
                                          oru(id: "M1", label: "H-1", cccd: "001085000001", family: "PHAN", given: "AN", middle: "VAN"))
            #expect(ok.status == .ok)
            #expect(ackCodes(ok.text).code == "AA" && ok.text.contains("MSA|AA|M1"))
            // Re-delivery of the same message: AA again, nothing doubled.
            let again = try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "x-application/hl7-v2+er7",
                                             oru(id: "M1", label: "H-1", cccd: "001085000001", family: "PHAN", given: "AN", middle: "VAN"))
            #expect(ackCodes(again.text).code == "AA")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results") == 1)
            // An unknown tube is stored for review and acknowledged with a warning (204, unknown key identifier).
            let unknown = try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "x-application/hl7-v2+er7", oru(id: "M2", label: "H-404"))
            #expect(ackCodes(unknown.text).code == "AA" && ackCodes(unknown.text).errors == ["204"], "\(unknown.text)")
            // The person the lab names is not the one in the tube: stored for review, warned (102).
            let wrong = try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "x-application/hl7-v2+er7",
                                             oru(id: "M3", label: "H-1", cccd: "001099000009", family: "TRAN", given: "HOA", resulted: "20210919210000+0700"))
            #expect(ackCodes(wrong.text).errors == ["102"])
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results WHERE match_status = 'review'") == 2)
            // A correction sent with the original result time is a new result, not a re-delivery: kept, and waiting for review.
            let corrected = try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "x-application/hl7-v2+er7",
                                                 oru(id: "M6", label: "H-1", cccd: "001085000001", family: "PHAN", given: "AN", middle: "VAN", snomed: "260373001", status: "C"))
            #expect(ackCodes(corrected.text).code == "AA", "\(corrected.text)")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results WHERE label = 'H-1' AND review_reason = 'changed_result'") == 1)
            // Not an ORU^R01: AR; not HL7 at all: AE.
            let adt = oru(id: "M4", label: "H-1").replacingOccurrences(of: "ORU^R01^ORU_R01", with: "ADT^A01^ADT_A01")
            #expect(ackCodes(try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "text/plain", adt).text).code == "AR")
            #expect(ackCodes(try await client.raw(.post, "/api/v1/testing/results/hl7", token, contentType: "text/plain", "xin chào").text).code == "AE")

            // The unknown tube is filed under the lab's ward (Minh Khai). The lab and the district that reviews
            // results see it; Minh Khai, which only hosts the lab, sees its own people's result and not the stranger's.
            let labQueue = try await client.json(.get, "/api/v1/testing/review", token).text
            #expect(labQueue.contains("H-404"))
            #expect(try await client.json(.get, "/api/v1/testing/review", try await app.token("hbt")).text.contains("H-404"))
            let wardQueue = try await client.json(.get, "/api/v1/testing/review", try await app.token("minhkhai")).text
            #expect(!wardQueue.contains("H-404") && wardQueue.contains("H-1"), "\(wardQueue)")
        }
    }

    @Test(arguments: Dialect.enabled)
    func labSystemsSendOverMLLPAndGetTheirACKsInOrder(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001"), binh = try await app.person("Phan Thị Bình", citizenID: "001185000002")
            try await fx.sample(app, label: "ML-1", people: [an])
            try await fx.sample(app, label: "ML-2", people: [binh])
            var logger = Logger(label: "mllp-test")
            logger.logLevel = .critical
            let server = try await MLLPServer.start(database: app.services.database, host: "127.0.0.1", port: 0, logger: logger)
            defer { Task { await server.stop() } }
            let messages = [oru(id: "L1", label: "ML-1", cccd: "001085000001"), oru(id: "L2", label: "ML-2", cccd: "001185000002"),
                            oru(id: "L3", facility: "UNKNOWN_LIS", label: "ML-1"), oru(id: "L1", label: "ML-1", cccd: "001085000001")]
            // All four pipelined on one connection, plus a frame that is not HL7.
            var stream: [UInt8] = []
            for m in messages { stream += try MLLP.frame(m) }
            stream += try MLLP.frame("not a message")
            // A lab trying its link in training mode (MSH-11 T) is refused: results act on real people.
            stream += try MLLP.frame(oru(id: "L5", label: "ML-2", cccd: "001185000002").replacingOccurrences(of: "|P|2.5.1|", with: "|T|2.5.1|"))
            let acks = try await MLLPTestClient.exchange(port: server.port, bytes: stream, expecting: 6)
            #expect(acks.map { ackCodes($0).code } == ["AA", "AA", "AE", "AA", "AE", "AR"], "\(acks)")
            #expect(ackCodes(acks[5]).errors == ["202"], "\(acks[5])")
            #expect(acks[0].contains("MSA|AA|L1") && acks[1].contains("MSA|AA|L2") && acks[2].contains("MSA|AE|L3"))
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results") == 2)
            // Results that came over MLLP name the link in the audit trail.
            #expect(try await app.audit("test_result").allSatisfy { $0.username == "mllp" })
            await server.stop()
        }
    }

    @Test(arguments: Dialect.enabled)
    func theMLLPClientWaitsForEachACKAndCountsItsCode(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "MC-1", people: [an])
            var logger = Logger(label: "mllp-client-test")
            logger.logLevel = .critical
            let server = try await MLLPServer.start(database: app.services.database, host: "127.0.0.1", port: 0, logger: logger)
            // One stored result (AA), one message from an unregistered facility (AE), one in training mode (AR), one that is not HL7 (AE).
            let messages = [oru(id: "C1", label: "MC-1", cccd: "001085000001"), oru(id: "C2", facility: "UNKNOWN_LIS", label: "MC-1"),
                            oru(id: "C3", label: "MC-1").replacingOccurrences(of: "|P|2.5.1|", with: "|T|2.5.1|"), "not a message"].map { Array($0.utf8) }
            let tally = try await MLLPClient.send(messages, host: "127.0.0.1", port: server.port, connections: 2)
            await server.stop()
            #expect(tally.accepted == 1 && tally.errors == 2 && tally.rejected == 1 && tally.unreadable == 0, "\(tally)")
            #expect(tally.latencies.count == 4 && tally.answered == 4)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results WHERE label = 'MC-1'") == 1)
        }
    }

    static func bundle(kind: FHIRBundleKind, label: String, cccd: String, value: LabResultValue, entryID: String, badSecond: Bool = false) throws -> String {
        let patient = LabPatient(identifiers: [PatientIdentifier(kind: .cccd, value: cccd)], name: PersonName(family: "Phan", middle: "Văn", given: "An"))
        let specimen = LabSpecimen(label: label, collectedAt: Date(timeIntervalSince1970: 1_632_013_200))
        let entry = LabResultEntry(entryID: entryID, patient: patient, specimen: specimen, test: .rtPCR, result: value, status: .final,
                                   collectedAt: Date(timeIntervalSince1970: 1_632_013_200), resultedAt: Date(timeIntervalSince1970: 1_632_060_000))
        var entries = [
            FHIREncoder.RequestEntry(fullUrl: "urn:uuid:p1", resource: try FHIREncoder.patient(patient, id: "p1")),
            FHIREncoder.RequestEntry(fullUrl: "urn:uuid:s1", resource: try FHIREncoder.specimen(specimen, id: "s1", subject: "urn:uuid:p1")),
            FHIREncoder.RequestEntry(fullUrl: "urn:uuid:o1", resource: try FHIREncoder.observation(entry, id: "o1", subject: "urn:uuid:p1", specimen: "urn:uuid:s1")),
        ]
        if badSecond {
            var bad = try FHIREncoder.observation(entry, id: "o2", subject: "urn:uuid:p1", specimen: "urn:uuid:s1")
            bad.set("code", JSONObject())
            entries.append(FHIREncoder.RequestEntry(fullUrl: "urn:uuid:o2", resource: bad))
        }
        return JSONWriter.string(FHIREncoder.requestBundle(kind: kind, entries: entries, id: "b-\(entryID)"))
    }

    @Test(arguments: Dialect.enabled)
    func aFHIRTransactionIsAllOrNothingAndABatchAnswersEachEntry(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "F-1", people: [an])
            let token = try await app.token("lab.mk")
            let failing = try await client.raw(.post, "/api/v1/testing/results/fhir", token, contentType: "application/fhir+json",
                                               try Self.bundle(kind: .transaction, label: "F-1", cccd: "001085000001", value: .notDetected, entryID: "E1", badSecond: true))
            #expect(failing.status.code >= 400 && failing.status.code < 500)
            #expect(try failing.json()["resourceType"] as? String == "OperationOutcome")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results") == 0)
            let good = try await client.raw(.post, "/api/v1/testing/results/fhir", token, contentType: "application/fhir+json",
                                            try Self.bundle(kind: .transaction, label: "F-1", cccd: "001085000001", value: .notDetected, entryID: "E1"))
            #expect(good.status == .ok)
            let answer = try good.json()
            #expect(answer["type"] as? String == "transaction-response")
            let statuses = (answer["entry"] as? [[String: Any]])?.compactMap { ($0["response"] as? [String: Any])?["status"] as? String }
            #expect(statuses == ["200 OK", "200 OK", "201 Created"])
            #expect(try await app.results().first?.personId == an.id)
            // A batch with a bad entry: the good ones are answered (here: already recorded), the bad one with an OperationOutcome.
            let batch = try await client.raw(.post, "/api/v1/testing/results/fhir", token, contentType: "application/fhir+json",
                                             try Self.bundle(kind: .batch, label: "F-1", cccd: "001085000001", value: .notDetected, entryID: "E1", badSecond: true))
            let b = try batch.json()
            #expect(b["type"] as? String == "batch-response")
            let responses = (b["entry"] as? [[String: Any]])?.compactMap { $0["response"] as? [String: Any] } ?? []
            #expect(responses.count == 4 && responses[2]["status"] as? String == "200 OK" && (responses[3]["status"] as? String)?.hasPrefix("4") == true)
            #expect((responses[3]["outcome"] as? [String: Any])?["resourceType"] as? String == "OperationOutcome")
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results") == 1)
            // Not a Bundle at all.
            let junk = try await client.raw(.post, "/api/v1/testing/results/fhir", token, contentType: "application/fhir+json", #"{"resourceType": "Patient"}"#)
            let junkType = try junk.json()["resourceType"] as? String
            #expect(junk.status == .badRequest && junkType == "OperationOutcome")
        }
    }

    @Test(arguments: Dialect.enabled)
    func theReviewQueueSettlesResultsWithoutEverMakingAPersonTwice(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "R-1", people: [an])
            _ = try await client.json(.post, "/api/v1/testing/batches", try await app.token("entry.mk"), #"{"point_id": "\#(fx.pointMK.id)", "lab": "BVBM"}"#)
            let lab = try await app.token("lab.mk")
            let y = TestingFixture.yesterday.vietnamese
            _ = try await client.raw(.post, "/api/v1/testing/results/import", lab, contentType: "text/csv",
                                     Self.csv(["R-l,Âm tính,\(y) 20:00,,,,", "X-9,Dương tính,\(y) 20:00,,001190067890,Trần Thị Hoa,", "X-8,Âm tính,\(y) 20:00,,,,"]))
            let queue = try await client.json(.get, "/api/v1/testing/review", lab)
            let items = try #require(try queue.json()["data"] as? [[String: Any]])
            #expect(items.count == 3)
            let typo = try #require(items.first { $0["label"] as? String == "R-L" }?["id"] as? String)
            // The lab fixes a typo'd label to the tube it received.
            let fixed = try await client.json(.post, "/api/v1/testing/results/\(typo)/resolve", lab, #"{"action": "link_sample", "label": "R-1"}"#)
            #expect(fixed.status == .ok)
            #expect((try fixed.json()["data"] as? [String: Any])?["person_id"] as? String == an.id)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM samples WHERE label = 'R-1' AND status = 'resulted'") == 1)
            // A lab cannot register people; the district can, once: the positive then opens that person's F0.
            let stranger = try #require(items.first { $0["label"] as? String == "X-9" }?["id"] as? String)
            #expect(try await client.json(.post, "/api/v1/testing/results/\(stranger)/resolve", lab, #"{"action": "register", "unit": "01/007/00295"}"#).status == .forbidden)
            let registered = try await client.json(.post, "/api/v1/testing/results/\(stranger)/resolve", try await app.token("hbt"), #"{"action": "register", "unit": "01/007/00295"}"#)
            #expect(registered.status == .ok)
            let hoa = try #require((try registered.json()["data"] as? [String: Any])?["person_id"] as? String)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM persons WHERE citizen_id = '001190067890'") == 1)
            #expect(try await app.activeCase(personID: hoa) != nil)
            // Setting a result aside needs a reason.
            let other = try #require(items.first { $0["label"] as? String == "X-8" }?["id"] as? String)
            #expect(try await client.json(.post, "/api/v1/testing/results/\(other)/resolve", lab, #"{"action": "dismiss"}"#).status == .unprocessableContent)
            #expect(try await client.json(.post, "/api/v1/testing/results/\(other)/resolve", lab, #"{"action": "dismiss", "note": "ống thử máy"}"#).status == .ok)
            #expect(try await client.json(.post, "/api/v1/testing/results/\(other)/resolve", lab, #"{"action": "dismiss", "note": "lần nữa"}"#).status == .conflict)
            #expect(try await app.count("SELECT COUNT(*) AS n FROM test_results WHERE match_status = 'review'") == 0)
            #expect(try await app.audit("test_result").filter { $0.action == "review" }.count == 3)
        }
    }
}

extension ResultImportTests {
    @Test(arguments: Dialect.enabled)
    func aResultSettledFromTheReviewQueueCountsInItsLabsTurnaround(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let fx = try await TestingFixture.make(app)
            let an = try await app.person("Phan Văn An", citizenID: "001085000001")
            try await fx.sample(app, label: "TA-1", people: [an])                     // sampled yesterday 08:00
            _ = try await client.json(.post, "/api/v1/testing/batches", try await app.token("entry.mk"), #"{"point_id": "\#(fx.pointMK.id)", "lab": "BVBM"}"#)
            let lab = try await app.token("lab.mk")
            let y = TestingFixture.yesterday.vietnamese
            // The lab typed the label wrong: the result waits for review and counts nowhere yet.
            _ = try await client.raw(.post, "/api/v1/testing/results/import", lab, contentType: "text/csv", Self.csv(["TA-l,Âm tính,\(y) 20:00,,,,"]))
            func turnaround() async throws -> TestingFigures.LabTurnaround? {
                try await app.services.database.read { try await TestingFigures.turnaround($0, labIDs: [fx.lab.id], today: TestingFixture.today) }.first
            }
            #expect(try await turnaround() == nil)
            let waiting = try #require(try await app.results().first { $0.label == "TA-L" })
            let fixed = try await client.json(.post, "/api/v1/testing/results/\(waiting.id)/resolve", lab, #"{"action": "link_sample", "label": "TA-1"}"#)
            #expect(fixed.status == .ok)
            // Matched to its tube, it counts: sampled 08:00, resulted 20:00, 12 hours.
            let after = try #require(try await turnaround())
            #expect(after.results == 1 && after.p50Hours == 12 && after.p90Hours == 12, "\(after)")
            // A result set aside never counts.
            _ = try await client.raw(.post, "/api/v1/testing/results/import", lab, contentType: "text/csv", Self.csv(["TA-9,Âm tính,\(y) 21:00,,,,"]))
            let junk = try #require(try await app.results().first { $0.label == "TA-9" })
            _ = try await client.json(.post, "/api/v1/testing/results/\(junk.id)/resolve", lab, #"{"action": "dismiss", "note": "ống thử máy"}"#)
            #expect(try await turnaround()?.results == 1)
        }
    }
}

/// A laboratory system on the other end of an MLLP connection: sends bytes, reads framed ACKs.
enum MLLPTestClient {
    static func exchange(port: Int, bytes: [UInt8], expecting n: Int) async throws -> [String] {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            var decoder = MLLPDecoder()
            var acks: [String] = []
            for try await chunk in inbound {
                for event in decoder.feed(chunk.readableBytesView) {
                    if case .message(let m) = event { acks.append(String(decoding: m, as: UTF8.self)) }
                }
                if acks.count >= n { break }
            }
            return acks
        }
    }
}
