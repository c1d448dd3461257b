import Foundation
import Testing
@testable import EpiLabFormats

@Suite("FHIR Bundle decoding")
struct FHIRDecodeTests {
    func decode(_ name: String) throws -> FHIRBundleDecodeResult {
        try FHIRBundleDecoder.decode(try Fixture.bytes("fhir", name))
    }

    @Test func transactionOK() throws {
        let r = try decode("bundle_transaction_ok.json")
        #expect(r.kind == .transaction)
        #expect(!r.transactionFailed)
        #expect(r.entries.allSatisfy { $0.isSuccess })
        #expect(r.message.messageID == "lab-cdc-20210815-0001")
        #expect(r.message.source == .fhirR4)
        #expect(r.message.sentAt == instant("2021-08-15T10:30:00+07:00"))
        let e = try #require(r.message.entries.first)
        #expect(r.message.entries.count == 1)
        #expect(r.entries[2].resultIndex == 0)
        #expect(e.entryID == "https://cdc.hanoi.example/lab-result|KQ-000123-1")
        #expect(e.patient.identifiers == [
            PatientIdentifier(kind: .cccd, value: "001085012345"),
            PatientIdentifier(kind: .local, value: "BN21-778899", issuer: "BVBM"),
        ])
        #expect(e.patient.name == PersonName(family: "Nguyễn", middle: "Văn", given: "Nam"))
        #expect(e.patient.birthDate == LabCivilDate(year: 1985, month: 3, day: 12))
        #expect(e.patient.sex == .male)
        #expect(e.patient.phone == "0912345678")
        #expect(e.specimen.label == "HN-0815-000123")
        #expect(e.specimen.typeCode == "258500001")
        #expect(e.test == .rtPCR)
        #expect(e.result == .detected)
        #expect(e.ctValue == 24.5)
        #expect(e.status == .final)
        #expect(e.collectedAt == instant("2021-08-15T07:30:00+07:00"))
        #expect(e.resultedAt == instant("2021-08-15T10:00:00+07:00"))
        #expect(e.performingLab == LabOrganization(id: "01D0123456", name: "CDC Hà Nội - Khoa Xét nghiệm"))
    }

    @Test func batchReportsPerEntry() throws {
        let r = try decode("bundle_batch_mixed.json")
        #expect(r.kind == .batch)
        #expect(!r.transactionFailed)
        let ok = r.entries.filter(\.isSuccess).map(\.index)
        #expect(ok == [0, 2, 3, 4, 6])
        #expect(r.entries[1].issues.map(\.error) == [.fhirInvalidElement(path: "Bundle.entry[1].resource.identifier[0].value", value: "00108501234")])
        #expect(r.entries[5].issues.map(\.error) == [.fhirReferencedEntryFailed(path: "Bundle.entry[5].resource.subject", entryIndex: 1)])
        #expect(r.entries[7].issues.map(\.error) == [.fhirUnknownCode(path: "Bundle.entry[7].resource.code", value: "2345-7")])
        #expect(r.entries[8].issues.map(\.error.code) == ["fhir.unresolved_reference"])
        #expect(r.entries[9].issues.map(\.error.code) == ["fhir.unsupported_request"])
        #expect(r.entries.map(\.failureStatus) == [200, 400, 200, 200, 200, 422, 200, 422, 404, 400])
        #expect(r.message.entries.count == 2)
        let neg = r.message.entries[0]
        #expect(neg.result == .notDetected)
        #expect(neg.patient.identifiers == [PatientIdentifier(kind: .cmnd, value: "012345678")])
        #expect(neg.patient.birthDate == LabCivilDate(year: 1992))
        #expect(neg.patient.name?.fullName == "Trần Thị Hoa")
        #expect(neg.entryID == "urn:uuid:aa000000-0000-4000-8000-000000000005")
        let ag = r.message.entries[1]
        #expect(ag.test == .rapidAntigen)
        #expect(ag.patient.identifiers == [PatientIdentifier(kind: .passport, value: "C1234567", issuer: "KOR")])
        // Two people share tube HN-POOL5-0077 in this Bundle.
        #expect(r.message.entries.allSatisfy { $0.specimen.poolSize == 2 })
        #expect(neg.collectedAt == instant("2021-08-16T06:30:00+07:00"))

        let outcomes = r.outcomes(location: { "\($0.resourceType ?? "X")/\($0.index)/_history/1" })
        let bundle = FHIREncoder.bundleResponse(kind: r.kind, outcomes: outcomes)
        #expect(bundle["type"]?.stringValue == "batch-response")
        let entries = try #require(bundle["entry"]?.arrayValue)
        #expect(entries.count == 10)
        let statuses = entries.compactMap { $0.objectValue?["response"]?.objectValue?["status"]?.stringValue }
        #expect(statuses == ["201 Created", "400 Bad Request", "200 OK", "201 Created", "201 Created",
                             "422 Unprocessable Entity", "201 Created", "422 Unprocessable Entity", "404 Not Found", "400 Bad Request"])
        #expect(!allValues(.object(bundle)).contains { $0.isEmptyForFHIR })
    }

    @Test func transactionFailureNamesTheEntry() throws {
        let r = try decode("bundle_transaction_fail.json")
        #expect(r.transactionFailed)
        #expect(r.failedEntryIndex == 2)
        #expect(r.message.entries.isEmpty)
        #expect(r.entries.allSatisfy { $0.resultIndex == nil })
        let oo = FHIREncoder.transactionFailure(r)
        #expect(oo["resourceType"]?.stringValue == "OperationOutcome")
        let issues = try #require(oo["issue"]?.arrayValue)
        #expect(issues.count == 2)
        let text = JSONWriter.string(oo)
        #expect(text.contains("Bundle.entry[2].resource.effective[x]"))
        #expect(text.contains("fhir.transaction_failed"))
    }

    @Test func bundleLevelErrors() throws {
        #expect(throws: LabFormatError.invalidJSON) { try FHIRBundleDecoder.decode("{\"resourceType\":\"Bundle\",}") }
        #expect(throws: LabFormatError.emptyInput) { try FHIRBundleDecoder.decode("") }
        #expect(throws: LabFormatError.fhirWrongResourceType(path: "(root)", expected: "Bundle", found: "Patient")) {
            try FHIRBundleDecoder.decode("{\"resourceType\":\"Patient\"}")
        }
        #expect(throws: LabFormatError.fhirUnsupportedBundleType("collection")) {
            try FHIRBundleDecoder.decode("{\"resourceType\":\"Bundle\",\"type\":\"collection\"}")
        }
        #expect(throws: LabFormatError.fhirMissingElement(path: "Bundle.type")) {
            try FHIRBundleDecoder.decode("{\"resourceType\":\"Bundle\"}")
        }
        #expect(throws: LabFormatError.jsonTooDeep(limit: 64)) {
            try FHIRBundleDecoder.decode(String(repeating: "[", count: 100_000))
        }
        let many = "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[" + Array(repeating: "{}", count: 11).joined(separator: ",") + "]}"
        #expect(throws: LabFormatError.fhirTooManyEntries(limit: 10)) {
            try FHIRBundleDecoder.decode(many, options: FHIRDecodeOptions(maxEntries: 10))
        }
        #expect(throws: LabFormatError.inputTooLarge(limit: 10)) {
            try FHIRBundleDecoder.decode(many, options: FHIRDecodeOptions(maxBytes: 10))
        }
        #expect(throws: LabFormatError.invalidJSON) { try FHIRBundleDecoder.decode("{\"a\":1,\"a\":2}") }
        // An empty batch is fine.
        let empty = try FHIRBundleDecoder.decode("{\"resourceType\":\"Bundle\",\"type\":\"batch\"}")
        #expect(empty.entries.isEmpty)
    }

    @Test func duplicateFullUrlAndWrongRequestURL() throws {
        var text = String(decoding: try Fixture.bytes("fhir", "bundle_transaction_ok.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"url\": \"Specimen\"", with: "\"url\": \"Patient\"")
        var r = try FHIRBundleDecoder.decode(text)
        #expect(r.entries[1].issues.first?.error.code == "fhir.unsupported_request")
        #expect(r.failedEntryIndex == 1)
        text = String(decoding: try Fixture.bytes("fhir", "bundle_transaction_ok.json"), as: UTF8.self)
            .replacingOccurrences(of: "5e02", with: "5e01")
        r = try FHIRBundleDecoder.decode(text)
        #expect(r.entries[1].issues.first?.error.code == "fhir.duplicate_full_url")
    }

    /// A batch Bundle with one Patient, one Specimen and one Observation built from JSON fragments.
    func batch(patient: String, observation: String, specimen: String = #"{"resourceType":"Specimen","id":"s1","accessionIdentifier":{"value":"T-1"}}"#,
               observationRequest: String = #"{"method":"POST","url":"Observation"}"#) -> String {
        """
        {"resourceType":"Bundle","type":"batch","entry":[
          {"fullUrl":"https://lab.example/fhir/Patient/p1","resource":\(patient),"request":{"method":"PUT","url":"Patient/p1"}},
          {"fullUrl":"urn:uuid:s","resource":\(specimen),"request":{"method":"POST","url":"Specimen"}},
          {"fullUrl":"urn:uuid:o","resource":\(observation),"request":\(observationRequest)}]}
        """
    }

    let patientNN = #"{"resourceType":"Patient","id":"p1","identifier":[{"type":{"coding":[{"code":"NNVNM"}]},"value":"001085012345"}],"name":[{"family":"Hồ","given":["Thị","Xuân","Hương"]}]}"#

    func observation(_ extra: String) -> String {
        #"{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"94500-6"}]},"subject":{"reference":"Patient/p1"},"specimen":{"reference":"Specimen/s1"},"valueString":"NEG""# + extra + "}"
    }

    @Test func referencesAndIdentifierKinds() throws {
        let r = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: observation(#","effectivePeriod":{"start":"2021-08-15"}"#)))
        #expect(r.entries.allSatisfy { $0.isSuccess })
        let e = try #require(r.message.entries.first)
        #expect(e.patient.identifiers == [PatientIdentifier(kind: .cccd, value: "001085012345")])
        #expect(e.patient.name == PersonName(family: "Hồ", middle: "Thị Xuân", given: "Hương"))
        #expect(e.result == .notDetected)
        #expect(e.specimen.label == "T-1")
        // A date-only effective time is midnight Vietnam time.
        #expect(e.collectedAt == instant("2021-08-15T00:00:00+07:00"))
        // Versioned absolute reference resolves too.
        let v = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: observation("").replacingOccurrences(
            of: #""reference":"Patient/p1""#, with: #""reference":"https://lab.example/fhir/Patient/p1/_history/3""#)))
        #expect(v.message.entries.count == 1)
        // Logical reference by identifier, no Patient entry needed.
        let logical = observation("").replacingOccurrences(of: #"{"reference":"Patient/p1"}"#,
                                                          with: #"{"identifier":{"system":"https://epicommand.vn/fhir/sid/cmnd","value":"012345678"}}"#)
        let l = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: logical))
        #expect(l.message.entries.first?.patient.identifiers == [PatientIdentifier(kind: .cmnd, value: "012345678")])
    }

    @Test(arguments: [
        (#","issued":"2021-08-15T10:00:00""#, "fhir.invalid_datetime"),
        (#","effectiveDateTime":"2021-13-01""#, "fhir.invalid_datetime"),
        (#","effectiveDateTime":"1899-12-31""#, "fhir.invalid_datetime"),
        (#","component":[{"code":{"coding":[{"code":"94745-7"}]},"valueQuantity":{"value":99}}]"#, "fhir.invalid_element"),
    ])
    func observationElementErrors(_ extra: String, _ code: String) throws {
        let r = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: observation(extra)))
        #expect(r.entries[2].issues.map(\.error.code) == [code])
        #expect(r.message.entries.isEmpty)
    }

    @Test func statusesAndRequestChecks() throws {
        let cancelled = observation("").replacingOccurrences(of: #""status":"final""#, with: #""status":"cancelled""#)
            .replacingOccurrences(of: #","valueString":"NEG""#, with: "")
        var r = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: cancelled))
        #expect(r.message.entries.first?.status == .cancelled)
        #expect(r.message.entries.first?.result == nil)
        let registered = observation("").replacingOccurrences(of: #""status":"final""#, with: #""status":"registered""#)
        r = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: registered))
        #expect(r.entries[2].issues.first?.error.code == "fhir.unknown_code")
        r = try FHIRBundleDecoder.decode(batch(patient: patientNN, observation: observation(#","id":"o9""#),
                                               observationRequest: #"{"method":"PUT","url":"Observation/o1"}"#))
        #expect(r.entries[2].issues.first?.error == .fhirInvalidElement(path: "Bundle.entry[2].resource.id", value: "o9"))
        let badGender = patientNN.replacingOccurrences(of: #""id":"p1","#, with: #""id":"p1","gender":"nam","#)
        r = try FHIRBundleDecoder.decode(batch(patient: badGender, observation: observation("")))
        #expect(r.entries[0].issues.first?.error == .fhirUnknownCode(path: "Bundle.entry[0].resource.gender", value: "nam"))
        #expect(r.entries[2].failureStatus == 422)
    }

    @Test func hostileMutationsNeverTrap() throws {
        var rng = SplitMix64(state: 4242)
        for name in ["bundle_transaction_ok.json", "bundle_batch_mixed.json"] {
            let original = try Fixture.bytes("fhir", name)
            for cut in stride(from: 0, through: original.count, by: 7) {
                _ = try? FHIRBundleDecoder.decode(Array(original[0..<cut]))
            }
            let special: [UInt8] = Array("{}[]\",:\\u0123456789-.eE tfn".utf8) + [0xFF, 0xC3]
            for _ in 0..<500 {
                var m = original
                for _ in 0..<Int.random(in: 1...6, using: &rng) {
                    let i = Int.random(in: 0..<m.count, using: &rng)
                    m[i] = special[Int.random(in: 0..<special.count, using: &rng)]
                }
                if let r = try? FHIRBundleDecoder.decode(m) {
                    _ = FHIREncoder.bundleResponse(kind: r.kind, outcomes: r.outcomes(location: { _ in "Observation/1" }))
                }
            }
        }
    }
}

@Suite("FHIR encoding")
struct FHIREncodeTests {
    let entry: LabResultEntry = {
        let patient = LabPatient(
            identifiers: [PatientIdentifier(kind: .cccd, value: "001085012345"), PatientIdentifier(kind: .local, value: "BN 1", issuer: "Bệnh viện A")],
            name: PersonName(family: "Nguyễn", middle: "Văn", given: "Nam"), birthDate: LabCivilDate(year: 1985, month: 3),
            sex: .male, phone: "0912345678", address: "Hà Nội")
        return LabResultEntry(
            entryID: "CDC-1/OBX1", patient: patient,
            specimen: LabSpecimen(label: "HN-1", typeCode: "258500001", typeDisplay: "Nasopharyngeal swab", poolSize: 5,
                                  collectedAt: instant("2021-08-15T07:30:00+07:00")),
            test: .rtPCR, result: .detected, ctValue: 24.5, status: .final,
            collectedAt: instant("2021-08-15T07:30:00+07:00"), resultedAt: instant("2021-08-15T10:00:00.250+07:00"),
            performingLab: LabOrganization(id: "01D0123456", name: "CDC Hà Nội"))
    }()

    @Test func patientResource() throws {
        let p = try FHIREncoder.patient(entry.patient, id: "p-1")
        let json = JSONWriter.string(p)
        #expect(json.hasPrefix("{\"resourceType\":\"Patient\",\"id\":\"p-1\""))
        #expect(json.contains("\"system\":\"https://epicommand.vn/fhir/sid/cccd\",\"value\":\"001085012345\""))
        #expect(json.contains("\"system\":\"https://epicommand.vn/fhir/sid/local/B%E1%BB%87nh%20vi%E1%BB%87n%20A\""))
        #expect(json.contains("\"text\":\"Nguyễn Văn Nam\",\"family\":\"Nguyễn\",\"given\":[\"Văn\",\"Nam\"]"))
        #expect(json.contains("\"birthDate\":\"1985-03\""))
        #expect(json.contains("\"gender\":\"male\""))
        #expect(!allValues(.object(p)).contains { $0.isEmptyForFHIR })
        #expect(throws: LabFormatError.fhirInvalidID("bad id!")) { try FHIREncoder.patient(entry.patient, id: "bad id!") }
        // Empty values are dropped, not written as null/"".
        let bare = try FHIREncoder.patient(LabPatient(identifiers: [], name: PersonName(family: " ", middle: nil, given: nil)), id: "p2")
        #expect(JSONWriter.string(bare) == "{\"resourceType\":\"Patient\",\"id\":\"p2\"}")
    }

    @Test func observationResource() throws {
        let o = try FHIREncoder.observation(entry, id: "o-1", subject: "Patient/p-1", specimen: "Specimen/s-1")
        #expect(o["status"]?.stringValue == "final")
        #expect(o["effectiveDateTime"]?.stringValue == "2021-08-15T07:30:00+07:00")
        #expect(o["issued"]?.stringValue == "2021-08-15T10:00:00.250+07:00")
        let json = JSONWriter.string(o)
        #expect(json.contains("\"code\":\"laboratory\""))
        #expect(json.contains("\"system\":\"http://loinc.org\",\"code\":\"94500-6\""))
        #expect(json.contains("\"system\":\"http://snomed.info/sct\",\"code\":\"260373001\",\"display\":\"Detected\""))
        #expect(json.contains("\"specimen\":{\"reference\":\"Specimen/s-1\"}"))
        #expect(json.contains("\"value\":24.5"))
        var cancelled = entry
        cancelled.result = nil
        cancelled.status = .cancelled
        let c = try FHIREncoder.observation(cancelled, id: "o-2", subject: "Patient/p-1")
        #expect(c["valueCodeableConcept"] == nil)
        #expect(c["dataAbsentReason"] != nil)
    }

    @Test func conditionResource() throws {
        let active = try FHIREncoder.condition(LabConfirmedCase(
            patientReference: "Patient/p-1", clinicalStatus: .active, onset: instant("2021-08-15T07:30:00+07:00"),
            recorded: instant("2021-08-15T11:00:00+07:00"), abatement: instant("2021-08-30T00:00:00+07:00"),
            evidenceReference: "Observation/o-1"), id: "c-1")
        let json = JSONWriter.string(active)
        #expect(json.contains("\"code\":\"840539006\""))
        #expect(json.contains("\"code\":\"U07.1\""))
        #expect(json.contains("\"code\":\"confirmed\""))
        #expect(active["abatementDateTime"] == nil)  // con-4
        let resolved = try FHIREncoder.condition(LabConfirmedCase(
            patientReference: "Patient/p-1", clinicalStatus: .resolved, onset: nil,
            recorded: instant("2021-08-15T11:00:00+07:00"), abatement: instant("2021-08-30T00:00:00+07:00")), id: "c-2")
        #expect(resolved["abatementDateTime"]?.stringValue == "2021-08-30T00:00:00+07:00")
    }

    @Test func roundTripThroughTransactionBundle() throws {
        var bundle = JSONObject()
        bundle.set("resourceType", "Bundle")
        bundle.set("type", "transaction")
        func bundleEntry(_ url: String, _ r: JSONObject) -> JSONObject {
            var e = JSONObject()
            e.set("fullUrl", url)
            e.set("resource", r)
            var req = JSONObject()
            req.set("method", "POST")
            req.set("url", r["resourceType"]?.stringValue)
            e.set("request", req)
            return e
        }
        bundle.set("entry", [
            bundleEntry("urn:uuid:1", try FHIREncoder.patient(self.entry.patient, id: "p1")),
            bundleEntry("urn:uuid:2", try FHIREncoder.specimen(self.entry.specimen, id: "s1", subject: "urn:uuid:1")),
            bundleEntry("urn:uuid:3", try FHIREncoder.observation(self.entry, id: "o1", subject: "urn:uuid:1", specimen: "urn:uuid:2")),
        ])
        let r = try FHIRBundleDecoder.decode(JSONWriter.string(bundle))
        #expect(r.entries.allSatisfy { $0.isSuccess })
        var back = try #require(r.message.entries.first)
        #expect(back.entryID == "https://epicommand.vn/fhir/sid/lab-result|CDC-1/OBX1")
        back.entryID = entry.entryID
        back.specimen.poolSize = 5  // pool size travels only as a note
        #expect(back == entry)
    }

    @Test func searchsetAndOutcome() throws {
        let p = try FHIREncoder.patient(entry.patient, id: "p-1")
        let s = FHIREncoder.searchset([.init(fullUrl: "https://epicommand.vn/fhir/Patient/p-1", resource: p)], total: 42,
                                      selfURL: "https://epicommand.vn/fhir/Patient?_count=1",
                                      nextURL: "https://epicommand.vn/fhir/Patient?_count=1&_page=2")
        #expect(s["total"]?.numberText == "42")
        #expect(s["link"]?.arrayValue?.count == 2)
        #expect(JSONWriter.string(s).contains("\"relation\":\"next\""))
        let oo = FHIREncoder.operationOutcome([])
        #expect(JSONWriter.string(oo).contains("\"informational\""))
    }

    @Test func ndjsonWriter() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labformats-ndjson-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let w = try FHIRNDJSONWriter(directory: dir)
        var pat = entry.patient
        pat.address = "Dòng 1\nDòng 2"
        try w.write(try FHIREncoder.patient(pat, id: "p1"))
        try w.write(try FHIREncoder.patient(entry.patient, id: "p2"))
        try w.write(try FHIREncoder.observation(entry, id: "o1", subject: "Patient/p1"))
        try w.close()
        let text = try String(contentsOf: dir.appendingPathComponent("Patient.ndjson"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty)
        #expect(try JSONReader().parse(String(lines[0])).objectValue?["id"]?.stringValue == "p1")
        #expect(w.counts == ["Patient": 2, "Observation": 1])
        let manifest = JSONWriter.string(w.manifest(transactionTime: Date(timeIntervalSince1970: 0), requestURL: "x/$export", baseURL: "https://f/out"))
        #expect(manifest.contains("\"url\":\"https://f/out/Observation.ndjson\",\"count\":1"))
        #expect(manifest.contains("\"error\":[]"))
        var evil = JSONObject()
        evil.set("resourceType", "../../etc")
        #expect(throws: LabFormatError.self) { try w.write(evil) }
    }
}

@Suite("JSON reader/writer")
struct JSONTests {
    @Test func stringsAndNumbers() throws {
        let v = try JSONReader().parse(#"{"a":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","n":-1.5e3,"z":0,"t":true,"f":false,"u":null,"arr":[]}"#)
        let o = try #require(v.objectValue)
        #expect(o["a"]?.stringValue == "x\"\\/\u{08}\u{0C}\n\r\té😀")
        #expect(o["n"]?.numberText == "-1.5e3")
        #expect(o["t"] == .bool(true))
        #expect(o["u"] == .null)
        #expect(try JSONReader().parse(JSONWriter.string(v)) == v)
    }

    @Test(arguments: ["[1,]", "{\"a\"}", "01", "1.", "-", "\"\\ud800\"", "\"\u{01}\"", "[1] x", "tru", "\"\\x\"", "{\"a\":1,}", "[\"\\udc00\"]"])
    func rejects(_ text: String) {
        #expect(throws: LabFormatError.self) { try JSONReader().parse(text) }
    }

    @Test func writerEscapesControlCharacters() {
        #expect(JSONWriter.string(.string("a\u{01}\n\"")) == #""a\u0001\n\"""#)
        #expect(JSONWriter.string(.decimal(30)) == "30")
        #expect(JSONWriter.string(.decimal(27.25)) == "27.25")
    }
}
