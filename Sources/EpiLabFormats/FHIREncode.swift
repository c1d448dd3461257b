import Foundation

/// Code systems and identifier namespaces used in EpiCommand's FHIR R4 output and accepted on input.
package enum FHIRSystems {
    /// Vietnamese citizen identity card (CCCD, 12 digits). Documented project URI; no national URI was published in 2021.
    package static let cccd = "https://epicommand.vn/fhir/sid/cccd"
    /// Old identity card (CMND, 9 digits).
    package static let cmnd = "https://epicommand.vn/fhir/sid/cmnd"
    /// Passport numbers; the issuing country goes into Identifier.assigner.display.
    package static let passport = "https://epicommand.vn/fhir/sid/passport"
    /// Prefix for local ids; the issuer (hospital/lab namespace) is appended, percent-encoded.
    package static let localPrefix = "https://epicommand.vn/fhir/sid/local/"
    /// Tube label printed on the specimen.
    package static let specimenLabel = "https://epicommand.vn/fhir/sid/specimen-label"
    /// Laboratory ids.
    package static let laboratory = "https://epicommand.vn/fhir/sid/lab"
    /// Result ids (entry ids) for idempotent re-delivery.
    package static let labResult = "https://epicommand.vn/fhir/sid/lab-result"

    /// LOINC code system URI.
    package static let loinc = "http://loinc.org"
    /// SNOMED CT code system URI.
    package static let snomed = "http://snomed.info/sct"
    /// ICD-10 (WHO) code system URI.
    package static let icd10 = "http://hl7.org/fhir/sid/icd-10"
    /// UCUM units code system URI.
    package static let ucum = "http://unitsofmeasure.org"
    /// HL7 v2 table 0203 identifier type code system.
    package static let identifierType = "http://terminology.hl7.org/CodeSystem/v2-0203"
    /// Observation category code system.
    package static let observationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
    /// v3 ObservationInterpretation code system.
    package static let observationInterpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    /// Condition clinical status code system.
    package static let conditionClinical = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    /// Condition verification status code system.
    package static let conditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
    /// Condition category code system.
    package static let conditionCategory = "http://terminology.hl7.org/CodeSystem/condition-category"
    /// Data-absent-reason code system.
    package static let dataAbsentReason = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

    /// The FHIR Identifier.system for a patient identifier.
    package static func system(for id: PatientIdentifier) -> String {
        switch id.kind {
        case .cccd: return cccd
        case .cmnd: return cmnd
        case .passport: return passport
        case .local:
            guard let issuer = id.issuer, !issuer.isEmpty else { return localPrefix + "unknown" }
            // An issuer that already is a URI (e.g. an OID URN) is used as the system directly.
            if issuer.hasPrefix("urn:") || issuer.hasPrefix("http://") || issuer.hasPrefix("https://") { return issuer }
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            return localPrefix + (issuer.addingPercentEncoding(withAllowedCharacters: allowed) ?? "unknown")
        }
    }
}

/// A confirmed COVID-19 case to export as a FHIR Condition.
package struct LabConfirmedCase: Sendable, Equatable {
    /// Clinical status: active until the patient recovers.
    package enum ClinicalStatus: String, Sendable, Equatable {
        case active, resolved
    }

    /// Reference to the Patient (e.g. "Patient/123").
    package var patientReference: String
    /// Whether the case is still active.
    package var clinicalStatus: ClinicalStatus
    /// When the illness started (usually the positive sample time).
    package var onset: Date?
    /// When the case was recorded.
    package var recorded: Date
    /// Recovery time; only meaningful when resolved.
    package var abatement: Date?
    /// Reference to the Observation that confirmed the case.
    package var evidenceReference: String?
    /// Free-text note.
    package var note: String?

    /// Creates a value from its parts.
    package init(patientReference: String, clinicalStatus: ClinicalStatus, onset: Date?, recorded: Date,
                 abatement: Date? = nil, evidenceReference: String? = nil, note: String? = nil) {
        self.patientReference = patientReference
        self.clinicalStatus = clinicalStatus
        self.onset = onset
        self.recorded = recorded
        self.abatement = abatement
        self.evidenceReference = evidenceReference
        self.note = note
    }
}

/// Outcome of processing one Bundle entry, as reported in a transaction-/batch-response.
package enum FHIREntryOutcome: Sendable, Equatable {
    /// 201 Created with the new resource's location ("Observation/123/_history/1").
    case created(location: String)
    /// 200 OK (update or idempotent re-delivery) with the resource's location.
    case updated(location: String)
    /// A failure with its HTTP status code and the issues that caused it.
    case failed(httpStatus: Int, issues: [LabIssue])

    /// Status line text for Bundle.entry.response.status.
    package var statusText: String {
        switch self {
        case .created: return "201 Created"
        case .updated: return "200 OK"
        case .failed(let code, _): return FHIREncoder.httpStatusText(code)
        }
    }
}

/// Builds FHIR R4 JSON resources from domain values. Output never contains null, "", [] or {}.
package enum FHIREncoder {
    /// Zone used for dateTime values we emit (Vietnam, UTC+7).
    package static let defaultOffsetSeconds = LabCalendar.vietnamOffsetSeconds

    /// Checks the FHIR id rule [A-Za-z0-9\-\.]{1,64}.
    package static func validateID(_ id: String) throws(LabFormatError) {
        let ok = !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy {
            ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x2E
        }
        guard ok else { throw .fhirInvalidID(id) }
    }

    /// Status line for an HTTP code.
    package static func httpStatusText(_ code: Int) -> String {
        switch code {
        case 200: "200 OK"
        case 201: "201 Created"
        case 400: "400 Bad Request"
        case 404: "404 Not Found"
        case 409: "409 Conflict"
        case 412: "412 Precondition Failed"
        case 422: "422 Unprocessable Entity"
        case 500: "500 Internal Server Error"
        default: "\(code)"
        }
    }

    static func coding(_ system: String?, _ code: String?, _ display: String? = nil) -> JSONObject {
        var c = JSONObject()
        c.set("system", system)
        c.set("code", code)
        c.set("display", display)
        return c
    }

    static func concept(_ codings: [JSONObject], text: String? = nil) -> JSONObject {
        var c = JSONObject()
        c.set("coding", codings)
        c.set("text", text)
        return c
    }

    static func reference(_ ref: String?, display: String? = nil) -> JSONObject {
        var r = JSONObject()
        r.set("reference", ref)
        r.set("display", display)
        return r
    }

    /// FHIR Identifier for a patient identifier (with v2-0203 type so receivers need not know our URIs).
    package static func identifier(_ id: PatientIdentifier) -> JSONObject {
        var o = JSONObject()
        o.set("use", "official")
        let type: (String, String, String) = switch id.kind {
        case .cccd: ("NI", "National unique individual identifier", "CCCD")
        case .cmnd: ("NI", "National unique individual identifier", "CMND")
        case .passport: ("PPN", "Passport number", "Hộ chiếu")
        case .local: ("PI", "Patient internal identifier", "Mã nội bộ")
        }
        o.set("type", concept([coding(FHIRSystems.identifierType, type.0, type.1)], text: type.2))
        o.set("system", FHIRSystems.system(for: id))
        o.set("value", id.value)
        if id.kind == .passport, let issuer = id.issuer { o.set("assigner", reference(nil, display: issuer)) }
        return o
    }

    /// Patient resource.
    package static func patient(_ p: LabPatient, id: String) throws(LabFormatError) -> JSONObject {
        try validateID(id)
        var o = JSONObject()
        o.set("resourceType", "Patient")
        o.set("id", id)
        o.set("identifier", p.identifiers.map(identifier))
        if let n = p.name, !n.isEmpty {
            var name = JSONObject()
            name.set("use", "official")
            name.set("text", n.fullName)
            name.set("family", n.family)
            // FHIR given names are in display order, so the Vietnamese middle name comes first.
            let given = [n.middle, n.given].compactMap { $0.map(LabText.trimmed) }.filter { !$0.isEmpty }
            name.set("given", .array(given.map(JSONValue.string)))
            o.set("name", [name])
        }
        if let phone = p.phone {
            var t = JSONObject()
            t.set("system", "phone")
            t.set("value", phone)
            t.set("use", "mobile")
            o.set("telecom", [t])
        }
        o.set("gender", p.sex?.rawValue)
        o.set("birthDate", p.birthDate?.fhirString)
        if let a = p.address {
            var addr = JSONObject()
            addr.set("text", a)
            addr.set("country", "VN")
            o.set("address", [addr])
        }
        return o
    }

    /// Specimen resource (the tube), optionally linked to the patient.
    package static func specimen(_ s: LabSpecimen, id: String, subject: String? = nil,
                                 offsetSeconds: Int = defaultOffsetSeconds) throws(LabFormatError) -> JSONObject {
        try validateID(id)
        var o = JSONObject()
        o.set("resourceType", "Specimen")
        o.set("id", id)
        var label = JSONObject()
        label.set("system", FHIRSystems.specimenLabel)
        label.set("value", s.label)
        o.set("identifier", [label])
        o.set("accessionIdentifier", label)
        if s.typeCode != nil || s.typeDisplay != nil {
            let numeric = s.typeCode.map { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } } ?? false
            let c = coding(numeric ? FHIRSystems.snomed : nil, s.typeCode, s.typeDisplay)
            o.set("type", concept([c], text: s.typeDisplay))
        }
        o.set("subject", reference(subject))
        if let t = s.collectedAt {
            var col = JSONObject()
            col.set("collectedDateTime", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds))
            o.set("collection", col)
        }
        if let n = s.poolSize, n > 1 {
            var note = JSONObject()
            note.set("text", "Mẫu gộp \(n) người / pooled sample of \(n) people")
            o.set("note", [note])
        }
        return o
    }

    /// Observation resource for one SARS-CoV-2 result.
    package static func observation(_ e: LabResultEntry, id: String, subject: String, specimen: String? = nil,
                                    offsetSeconds: Int = defaultOffsetSeconds) throws(LabFormatError) -> JSONObject {
        try validateID(id)
        var o = JSONObject()
        o.set("resourceType", "Observation")
        o.set("id", id)
        var ident = JSONObject()
        ident.set("system", FHIRSystems.labResult)
        ident.set("value", e.entryID)
        o.set("identifier", [ident])
        o.set("status", e.status.fhirCode)
        o.set("category", [concept([coding(FHIRSystems.observationCategory, "laboratory", "Laboratory")])])
        o.set("code", concept([coding(FHIRSystems.loinc, e.test.loinc, e.test.displayEN)], text: e.test.displayVI))
        o.set("subject", reference(subject))
        if let t = e.collectedAt ?? e.specimen.collectedAt {
            o.set("effectiveDateTime", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds))
        }
        if let t = e.resultedAt { o.set("issued", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds)) }
        if let lab = e.performingLab, lab.id != nil || lab.name != nil {
            var r = JSONObject()
            if let labID = lab.id {
                var i = JSONObject()
                i.set("system", FHIRSystems.laboratory)
                i.set("value", labID)
                r.set("identifier", i)
            }
            r.set("display", lab.name)
            o.set("performer", [r])
        }
        if let v = e.result {
            o.set("valueCodeableConcept", concept([coding(FHIRSystems.snomed, v.snomedCode, v.displayEN)], text: v.displayVI))
            let interp: (String, String)? = switch v {
            case .detected: ("POS", "Positive")
            case .notDetected: ("NEG", "Negative")
            case .inconclusive: ("IND", "Indeterminate")
            case .invalid: nil
            }
            if let interp {
                o.set("interpretation", [concept([coding(FHIRSystems.observationInterpretation, interp.0, interp.1)])])
            }
        } else {
            // obs-6: a missing value must say why.
            o.set("dataAbsentReason", concept([coding(FHIRSystems.dataAbsentReason, "not-performed", "Not Performed")]))
        }
        o.set("specimen", reference(specimen))
        if let ct = e.ctValue, ct.isFinite {
            var comp = JSONObject()
            comp.set("code", concept([coding(FHIRSystems.loinc, LabCtCodes.preferred, LabCtCodes.preferredDisplay)], text: "Ct"))
            var q = JSONObject()
            q.set("value", JSONValue.decimal(ct))
            q.set("unit", "Ct")
            q.set("system", FHIRSystems.ucum)
            q.set("code", "{Ct_value}")
            comp.set("valueQuantity", q)
            o.set("component", [comp])
        }
        return o
    }

    /// Condition resource for a confirmed COVID-19 case (SNOMED 840539006, ICD-10 U07.1).
    package static func condition(_ c: LabConfirmedCase, id: String, offsetSeconds: Int = defaultOffsetSeconds) throws(LabFormatError) -> JSONObject {
        try validateID(id)
        var o = JSONObject()
        o.set("resourceType", "Condition")
        o.set("id", id)
        o.set("clinicalStatus", concept([coding(FHIRSystems.conditionClinical, c.clinicalStatus.rawValue,
                                                c.clinicalStatus == .active ? "Active" : "Resolved")]))
        o.set("verificationStatus", concept([coding(FHIRSystems.conditionVerification, "confirmed", "Confirmed")]))
        o.set("category", [concept([coding(FHIRSystems.conditionCategory, "encounter-diagnosis", "Encounter Diagnosis")])])
        o.set("code", concept([
            coding(FHIRSystems.snomed, "840539006", "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)"),
            coding(FHIRSystems.icd10, "U07.1", "COVID-19, virus identified"),
        ], text: "COVID-19"))
        o.set("subject", reference(c.patientReference))
        if let t = c.onset { o.set("onsetDateTime", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds)) }
        // con-4: abatement only for resolved conditions.
        if c.clinicalStatus == .resolved, let t = c.abatement {
            o.set("abatementDateTime", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds))
        }
        o.set("recordedDate", LabTimestamp.fhirString(c.recorded, offsetSeconds: offsetSeconds))
        if let ev = c.evidenceReference {
            var e = JSONObject()
            e.set("detail", [reference(ev)])
            o.set("evidence", [e])
        }
        if let note = c.note {
            var n = JSONObject()
            n.set("text", note)
            o.set("note", [n])
        }
        return o
    }

    /// One OperationOutcome.issue for an error, with both languages in diagnostics.
    package static func issue(_ i: LabIssue) -> JSONObject {
        var o = JSONObject()
        o.set("severity", i.severity.rawValue)
        o.set("code", i.error.fhirIssueType)
        o.set("details", concept([coding("https://epicommand.vn/fhir/CodeSystem/lab-format-error", i.error.code)], text: i.error.messageVI))
        o.set("diagnostics", i.error.messageEN)
        if let expr = i.error.fhirExpression { o.set("expression", .array([.string(expr)])) }
        return o
    }

    /// Standalone OperationOutcome; an empty list becomes a single "informational" issue because issue is 1..*.
    package static func operationOutcome(_ issues: [LabIssue], id: String? = nil) -> JSONObject {
        var o = JSONObject()
        o.set("resourceType", "OperationOutcome")
        if let id, (try? validateID(id)) != nil { o.set("id", id) }
        if issues.isEmpty {
            var ok = JSONObject()
            ok.set("severity", "information")
            ok.set("code", "informational")
            ok.set("diagnostics", "All OK")
            o.set("issue", [ok])
        } else {
            o.set("issue", issues.map(issue))
        }
        return o
    }

    /// transaction-response or batch-response Bundle with one response per request entry, in order.
    package static func bundleResponse(kind: FHIRBundleKind, outcomes: [FHIREntryOutcome], id: String? = nil,
                                       timestamp: Date? = nil, offsetSeconds: Int = defaultOffsetSeconds) -> JSONObject {
        var o = JSONObject()
        o.set("resourceType", "Bundle")
        if let id, (try? validateID(id)) != nil { o.set("id", id) }
        o.set("type", kind.responseType)
        if let t = timestamp { o.set("timestamp", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds)) }
        var entries: [JSONObject] = []
        for outcome in outcomes {
            var r = JSONObject()
            r.set("status", outcome.statusText)
            switch outcome {
            case .created(let loc), .updated(let loc):
                r.set("location", loc)
            case .failed(_, let issues):
                r.set("outcome", operationOutcome(issues))
            }
            var e = JSONObject()
            e.set("response", r)
            entries.append(e)
        }
        o.set("entry", entries)
        return o
    }

    /// One entry of a searchset.
    package struct SearchEntry: Sendable {
        /// Bundle.entry.fullUrl, used to resolve references.
        package var fullUrl: String
        /// The resource JSON.
        package var resource: JSONObject
        /// True for _include matches (search.mode "include").
        package var isInclude: Bool

        /// Creates a value from its parts.
        package init(fullUrl: String, resource: JSONObject, isInclude: Bool = false) {
            self.fullUrl = fullUrl
            self.resource = resource
            self.isInclude = isInclude
        }
    }

    /// searchset Bundle with total and self/next links for paging.
    package static func searchset(_ entries: [SearchEntry], total: Int, selfURL: String, nextURL: String? = nil,
                                  id: String? = nil, timestamp: Date? = nil, offsetSeconds: Int = defaultOffsetSeconds) -> JSONObject {
        var o = JSONObject()
        o.set("resourceType", "Bundle")
        if let id, (try? validateID(id)) != nil { o.set("id", id) }
        o.set("type", "searchset")
        if let t = timestamp { o.set("timestamp", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds)) }
        o.set("total", JSONValue.int(max(0, total)))
        var links: [JSONObject] = []
        var s = JSONObject()
        s.set("relation", "self")
        s.set("url", selfURL)
        links.append(s)
        if let nextURL {
            var n = JSONObject()
            n.set("relation", "next")
            n.set("url", nextURL)
            links.append(n)
        }
        o.set("link", links)
        o.set("entry", entries.map { e in
            var x = JSONObject()
            x.set("fullUrl", e.fullUrl)
            x.set("resource", e.resource)
            var search = JSONObject()
            search.set("mode", e.isInclude ? "include" : "match")
            x.set("search", search)
            return x
        })
        return o
    }

    /// One request entry of a transaction/batch Bundle.
    package struct RequestEntry: Sendable {
        /// Bundle.entry.fullUrl, used to resolve references.
        package var fullUrl: String
        /// The resource JSON.
        package var resource: JSONObject
        /// "POST" (create) or "PUT" (update/conditional update).
        package var method: String
        /// request.url, e.g. "Patient" or "Patient?identifier=system|value".
        package var url: String

        /// Creates a value from its parts.
        package init(fullUrl: String, resource: JSONObject, method: String = "POST", url: String? = nil) {
            self.fullUrl = fullUrl
            self.resource = resource
            self.method = method
            self.url = url ?? resource["resourceType"]?.stringValue ?? ""
        }
    }

    /// A transaction or batch request Bundle (what a laboratory system sends us; used for tests and relays).
    package static func requestBundle(kind: FHIRBundleKind, entries: [RequestEntry], id: String? = nil,
                                      timestamp: Date? = nil, offsetSeconds: Int = defaultOffsetSeconds) -> JSONObject {
        var o = JSONObject()
        o.set("resourceType", "Bundle")
        if let id, (try? validateID(id)) != nil { o.set("id", id) }
        o.set("type", kind.rawValue)
        if let t = timestamp { o.set("timestamp", LabTimestamp.fhirString(t, offsetSeconds: offsetSeconds)) }
        o.set("entry", entries.map { e in
            var x = JSONObject()
            x.set("fullUrl", e.fullUrl)
            x.set("resource", e.resource)
            var r = JSONObject()
            r.set("method", e.method)
            r.set("url", e.url)
            x.set("request", r)
            return x
        })
        return o
    }

    /// Response to a failed transaction: an OperationOutcome naming the entry that failed (per FHIR, nothing was committed).
    package static func transactionFailure(_ result: FHIRBundleDecodeResult) -> JSONObject {
        var issues: [LabIssue] = []
        if let idx = result.failedEntryIndex { issues.append(LabIssue(.fhirTransactionFailed(failedEntry: idx))) }
        for e in result.entries { issues.append(contentsOf: e.issues) }
        return operationOutcome(issues)
    }
}

/// FHIR Bulk Data NDJSON output: one resource per line, one file per resource type.
package enum FHIRNDJSON {
    /// The NDJSON line (JSON plus "\n") for one resource; our writer never emits raw newlines inside JSON.
    package static func line(_ resource: JSONObject) -> String {
        JSONWriter.string(resource) + "\n"
    }

    /// The Bulk Data file name for a resource ("Observation.ndjson"); nil for a missing or unsafe resourceType.
    package static func fileName(for resource: JSONObject) -> String? {
        guard let type = resource["resourceType"]?.stringValue, isSafeTypeName(type) else { return nil }
        return type + ".ndjson"
    }

    /// Resource type names are letters only, which also keeps file names free of path separators.
    static func isSafeTypeName(_ s: String) -> Bool {
        guard let f = s.utf8.first, f >= 0x41, f <= 0x5A, s.utf8.count <= 64 else { return false }
        return s.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
    }
}

/// Streams resources into per-type NDJSON files in a directory (Bulk Data $export layout).
package final class FHIRNDJSONWriter {
    /// Directory receiving the NDJSON files.
    package let directory: URL
    private var handles: [String: FileHandle] = [:]
    /// Resources written per resource type.
    package private(set) var counts: [String: Int] = [:]

    /// Creates the directory if needed.
    package init(directory: URL) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Appends one resource to `<resourceType>.ndjson`.
    package func write(_ resource: JSONObject) throws {
        guard let name = FHIRNDJSON.fileName(for: resource), let type = resource["resourceType"]?.stringValue else {
            throw LabFormatError.fhirMissingElement(path: "resourceType")
        }
        let handle: FileHandle
        if let h = handles[type] {
            handle = h
        } else {
            let url = directory.appendingPathComponent(name)
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
            handle = try FileHandle(forWritingTo: url)
            handles[type] = handle
        }
        try handle.write(contentsOf: Data(FHIRNDJSON.line(resource).utf8))
        counts[type, default: 0] += 1
    }

    /// Closes all files.
    package func close() throws {
        for h in handles.values { try h.close() }
        handles.removeAll()
    }

    /// Bulk Data export manifest listing each file with its resource count.
    package func manifest(transactionTime: Date, requestURL: String, baseURL: String) -> JSONObject {
        var o = JSONObject()
        o.set("transactionTime", LabTimestamp.fhirString(transactionTime, offsetSeconds: 0))
        o.set("request", requestURL)
        o.set("requiresAccessToken", JSONValue.bool(true))
        let base = baseURL.hasSuffix("/") ? baseURL : baseURL + "/"
        let outputs: [JSONValue] = counts.keys.sorted().map { type in
            var f = JSONObject()
            f.set("type", type)
            f.set("url", base + type + ".ndjson")
            f.set("count", JSONValue.int(counts[type] ?? 0))
            return .object(f)
        }
        o.setRaw("output", .array(outputs))
        o.setRaw("error", .array([]))
        return o
    }

    deinit {
        for h in handles.values { try? h.close() }
    }
}
