import Foundation

/// The two request Bundle types we accept and their response types.
package enum FHIRBundleKind: String, Sendable, Hashable {
    /// All-or-nothing: one failed entry fails the whole Bundle.
    case transaction
    /// Independent entries: each succeeds or fails on its own.
    case batch

    /// Bundle.type of the matching response.
    package var responseType: String { rawValue + "-response" }
}

/// Limits and defaults for reading FHIR Bundles.
package struct FHIRDecodeOptions: Sendable {
    /// Largest accepted body in bytes.
    package var maxBytes: Int
    /// Deepest accepted JSON nesting.
    package var maxDepth: Int
    /// Most Bundle entries accepted.
    package var maxEntries: Int
    /// Zone assumed for date-only effective times (Vietnam, UTC+7).
    package var defaultOffsetSeconds: Int

    /// Creates a value from its parts.
    package init(maxBytes: Int = 8 << 20, maxDepth: Int = 64, maxEntries: Int = 5_000,
                 defaultOffsetSeconds: Int = LabCalendar.vietnamOffsetSeconds) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxEntries = maxEntries
        self.defaultOffsetSeconds = defaultOffsetSeconds
    }
}

extension FHIRDecodeOptions {
    /// Shared defaults.
    package static let `default` = FHIRDecodeOptions()
}

/// What happened to one Bundle.entry.
package struct FHIREntryResult: Sendable, Equatable {
    /// Position in Bundle.entry.
    package var index: Int
    /// resourceType of the entry, when it had one.
    package var resourceType: String?
    /// Bundle.entry.fullUrl, used to resolve references.
    package var fullUrl: String?
    /// HTTP method from entry.request (POST or PUT).
    package var method: String?
    /// Problems; empty means the entry was understood.
    package var issues: [LabIssue]
    /// For an Observation that mapped to a result: its index in `FHIRBundleDecodeResult.message.entries`.
    package var resultIndex: Int?

    /// True when the entry can be processed.
    package var isSuccess: Bool { !issues.contains { $0.severity == .error } }

    /// HTTP status for a failed entry: 400 for malformed input, 404 for dangling references, 422 for unknown codes.
    package var failureStatus: Int {
        guard let first = issues.first(where: { $0.severity == .error }) else { return 200 }
        switch first.error {
        case .fhirUnresolvedReference: return 404
        case .fhirUnknownCode, .fhirReferencedEntryFailed: return 422
        default: return 400
        }
    }
}

/// A decoded transaction or batch Bundle.
package struct FHIRBundleDecodeResult: Sendable {
    /// Transaction or batch.
    package var kind: FHIRBundleKind
    /// Bundle.id, used as the message id.
    package var bundleID: String?
    /// One result per Bundle.entry, same order.
    package var entries: [FHIREntryResult]
    /// The lab results to store; empty for a failed transaction.
    package var message: LabResultMessage
    /// For a transaction: the first entry that failed.
    package var failedEntryIndex: Int?

    /// True when this is a transaction and something failed, so nothing may be committed.
    package var transactionFailed: Bool { kind == .transaction && failedEntryIndex != nil }

    /// Builds the response outcomes given each successful entry's stored location; failures keep their issues.
    package func outcomes(location: (FHIREntryResult) -> String, created: (FHIREntryResult) -> Bool = { $0.method == "POST" }) -> [FHIREntryOutcome] {
        entries.map { e in
            if !e.isSuccess { return .failed(httpStatus: e.failureStatus, issues: e.issues) }
            return created(e) ? .created(location: location(e)) : .updated(location: location(e))
        }
    }
}

/// Reads FHIR R4 transaction/batch Bundles of Patient, Specimen and Observation into `LabResultEntry` values.
package enum FHIRBundleDecoder {
    /// Decodes JSON bytes; throws only when the Bundle as a whole is unusable.
    package static func decode(_ bytes: [UInt8], options: FHIRDecodeOptions = .default) throws(LabFormatError) -> FHIRBundleDecodeResult {
        let json = try JSONReader(maxBytes: options.maxBytes, maxDepth: options.maxDepth).parse(bytes)
        return try decode(json, options: options)
    }

    /// Decodes JSON text.
    package static func decode(_ text: String, options: FHIRDecodeOptions = .default) throws(LabFormatError) -> FHIRBundleDecodeResult {
        try decode(Array(text.utf8), options: options)
    }

    /// Decodes an already parsed JSON value.
    package static func decode(_ json: JSONValue, options: FHIRDecodeOptions = .default) throws(LabFormatError) -> FHIRBundleDecodeResult {
        guard let bundle = json.objectValue else { throw .fhirWrongResourceType(path: "(root)", expected: "Bundle", found: "non-object") }
        let rt = bundle["resourceType"]?.stringValue ?? ""
        guard rt == "Bundle" else { throw .fhirWrongResourceType(path: "(root)", expected: "Bundle", found: rt) }
        guard let typeText = bundle["type"]?.stringValue else { throw .fhirMissingElement(path: "Bundle.type") }
        guard let kind = FHIRBundleKind(rawValue: typeText) else { throw .fhirUnsupportedBundleType(typeText) }
        let rawEntries: [JSONValue]
        switch bundle["entry"] {
        case nil: rawEntries = []
        case .array(let a)?: rawEntries = a
        default: throw .fhirInvalidElement(path: "Bundle.entry", value: "not an array")
        }
        guard rawEntries.count <= options.maxEntries else { throw .fhirTooManyEntries(limit: options.maxEntries) }
        var ctx = DecodeContext(kind: kind, raw: rawEntries, options: options, bundleID: bundle["id"]?.stringValue)
        ctx.run()
        let sentAt: Date? = bundle["timestamp"]?.stringValue.flatMap {
            if case .success(let ts) = LabTimestamp.parseFHIR($0) { return ts.date(defaultOffsetSeconds: options.defaultOffsetSeconds) }
            return nil
        }
        let messageID = ctx.bundleID ?? identifierText(bundle["identifier"]?.objectValue) ?? ""
        var msg = LabResultMessage(messageID: messageID, source: .fhirR4, sentAt: sentAt, entries: ctx.results)
        let failed = ctx.entries.first { !$0.isSuccess }?.index
        if kind == .transaction, failed != nil {
            msg.entries = []
            for i in ctx.entries.indices { ctx.entries[i].resultIndex = nil }
        }
        return FHIRBundleDecodeResult(kind: kind, bundleID: ctx.bundleID, entries: ctx.entries, message: msg, failedEntryIndex: failed)
    }

    static func identifierText(_ o: JSONObject?) -> String? {
        guard let o, let value = o["value"]?.stringValue, !value.isEmpty else { return nil }
        if let system = o["system"]?.stringValue, !system.isEmpty { return system + "|" + value }
        return value
    }
}

private struct DecodeContext {
    let kind: FHIRBundleKind
    let raw: [JSONValue]
    let options: FHIRDecodeOptions
    let bundleID: String?

    var entries: [FHIREntryResult] = []
    var results: [LabResultEntry] = []
    /// fullUrl and "Type/id" keys → entry index.
    var keys: [String: Int] = [:]
    var patients: [Int: LabPatient] = [:]
    var specimens: [Int: LabSpecimen] = [:]
    var resources: [Int: JSONObject] = [:]
    /// For pooled-tube inference: entry index of the patient behind each result.
    var resultPatients: [Int] = []

    init(kind: FHIRBundleKind, raw: [JSONValue], options: FHIRDecodeOptions, bundleID: String?) {
        self.kind = kind
        self.raw = raw
        self.options = options
        self.bundleID = bundleID
    }

    mutating func fail(_ i: Int, _ e: LabFormatError) {
        entries[i].issues.append(LabIssue(e))
    }

    mutating func run() {
        // Pass 1: envelope checks and reference keys.
        for (i, v) in raw.enumerated() {
            let path = "Bundle.entry[\(i)]"
            entries.append(FHIREntryResult(index: i, resourceType: nil, fullUrl: nil, method: nil, issues: [], resultIndex: nil))
            guard let entry = v.objectValue else {
                fail(i, .fhirInvalidElement(path: path, value: "not an object"))
                continue
            }
            let fullUrl = entry["fullUrl"]?.stringValue
            entries[i].fullUrl = fullUrl
            guard let request = entry["request"]?.objectValue else {
                fail(i, .fhirMissingElement(path: path + ".request"))
                continue
            }
            let method = request["method"]?.stringValue ?? ""
            let url = request["url"]?.stringValue ?? ""
            entries[i].method = method
            guard let resource = entry["resource"]?.objectValue else {
                fail(i, .fhirUnsupportedRequest(path: path + ".request", value: "\(method) \(url)"))
                continue
            }
            let type = resource["resourceType"]?.stringValue ?? ""
            entries[i].resourceType = type
            guard ["Patient", "Specimen", "Observation"].contains(type) else {
                fail(i, .fhirUnsupportedRequest(path: path + ".resource", value: "\(method) \(type)"))
                continue
            }
            guard method == "POST" || method == "PUT" else {
                fail(i, .fhirUnsupportedRequest(path: path + ".request.method", value: method))
                continue
            }
            // request.url must address the same resource type: "Patient", "Patient/123" or "Patient?identifier=...".
            let urlType = url.split(separator: "/", maxSplits: 1).first.map { $0.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "" } ?? ""
            guard urlType == type else {
                fail(i, .fhirUnsupportedRequest(path: path + ".request.url", value: url))
                continue
            }
            if method == "PUT", url.hasPrefix(type + "/"), let rid = resource["id"]?.stringValue, url != "\(type)/\(rid)" {
                fail(i, .fhirInvalidElement(path: path + ".resource.id", value: rid))
                continue
            }
            if let fullUrl {
                if keys[fullUrl] != nil {
                    fail(i, .fhirDuplicateFullUrl(path: path + ".fullUrl", fullUrl: fullUrl))
                    continue
                }
                keys[fullUrl] = i
            }
            if let rid = resource["id"]?.stringValue { keys["\(type)/\(rid)"] = keys["\(type)/\(rid)"] ?? i }
            resources[i] = resource
        }
        // Pass 2: Patients and Specimens, which Observations depend on.
        for (i, r) in resources.sorted(by: { $0.key < $1.key }) {
            let path = "Bundle.entry[\(i)].resource"
            switch entries[i].resourceType {
            case "Patient":
                switch decodePatient(r, path: path) {
                case .success(let p): patients[i] = p
                case .failure(let e): fail(i, e)
                }
            case "Specimen":
                switch decodeSpecimen(r, path: path) {
                case .success(let s): specimens[i] = s
                case .failure(let e): fail(i, e)
                }
            default:
                break
            }
        }
        // Pass 3: Observations.
        for (i, r) in resources.sorted(by: { $0.key < $1.key }) where entries[i].resourceType == "Observation" {
            switch decodeObservation(r, index: i, path: "Bundle.entry[\(i)].resource") {
            case .success(let (entry, patientIndex)):
                entries[i].resultIndex = results.count
                results.append(entry)
                resultPatients.append(patientIndex)
            case .failure(let e):
                fail(i, e)
            }
        }
        inferPools()
    }

    /// Resolves a Reference.reference against fullUrls, "Type/id" and absolute URLs ending in "Type/id".
    func resolve(_ ref: String, type: String) -> Int? {
        if let i = keys[ref] { return i }
        if ref.hasPrefix(type + "/"), let i = keys[ref] { return i }
        let parts = ref.split(separator: "/")
        if parts.count >= 2 {
            // Absolute or versioned references: ".../Patient/123" or "Patient/123/_history/2".
            if let t = parts.lastIndex(where: { $0 == Substring(type) }), t + 1 < parts.count {
                if let i = keys["\(type)/\(parts[t + 1])"] { return i }
            }
        }
        return nil
    }

    // MARK: Patient

    func decodePatient(_ r: JSONObject, path: String) -> Result<LabPatient, LabFormatError> {
        var p = LabPatient()
        let ids = r["identifier"]?.arrayValue ?? []
        for (k, v) in ids.prefix(64).enumerated() {
            guard let o = v.objectValue else { return .failure(.fhirInvalidElement(path: "\(path).identifier[\(k)]", value: "not an object")) }
            switch identifier(o, path: "\(path).identifier[\(k)]") {
            case .success(let id?): if !p.identifiers.contains(id) { p.identifiers.append(id) }
            case .success(nil): continue
            case .failure(let e): return .failure(e)
            }
        }
        guard !p.identifiers.isEmpty else { return .failure(.fhirMissingElement(path: "\(path).identifier")) }

        if let names = r["name"]?.arrayValue {
            let objs = names.prefix(16).compactMap(\.objectValue)
            if let n = objs.first(where: { $0["use"]?.stringValue == "official" }) ?? objs.first {
                p.name = personName(n)
            }
        }
        if let bd = r["birthDate"]?.stringValue {
            switch LabTimestamp.parseFHIR(bd) {
            case .success(let ts) where ts.precision <= .day: p.birthDate = ts.civilDate
            default: return .failure(.fhirInvalidDateTime(path: "\(path).birthDate", value: bd))
            }
        }
        if let g = r["gender"]?.stringValue {
            guard let s = LabSex(rawValue: g) else { return .failure(.fhirUnknownCode(path: "\(path).gender", value: g)) }
            p.sex = s
        }
        if let tel = r["telecom"]?.arrayValue {
            for t in tel.prefix(16).compactMap(\.objectValue) where t["system"]?.stringValue == "phone" || t["system"]?.stringValue == "sms" {
                if let v = t["value"]?.stringValue, !v.isEmpty { p.phone = v; break }
            }
        }
        if let addr = r["address"]?.arrayValue?.first?.objectValue {
            if let text = addr["text"]?.stringValue, !text.isEmpty {
                p.address = text
            } else {
                var parts = (addr["line"]?.arrayValue ?? []).prefix(8).compactMap(\.stringValue)
                parts += ["district", "city", "state"].compactMap { addr[$0]?.stringValue }
                if !parts.isEmpty { p.address = parts.joined(separator: ", ") }
            }
        }
        return .success(p)
    }

    func personName(_ n: JSONObject) -> PersonName? {
        var given = (n["given"]?.arrayValue ?? []).prefix(8).compactMap(\.stringValue).filter { !$0.isEmpty }
        var family = n["family"]?.stringValue
        if family == nil && given.isEmpty, let text = n["text"]?.stringValue {
            // Only text: Vietnamese order is family, middle..., given.
            let words = text.split(separator: " ").map(String.init)
            family = words.first
            given = Array(words.dropFirst())
        }
        let last = given.popLast()
        let name = PersonName(family: family, middle: given.isEmpty ? nil : given.joined(separator: " "), given: last)
        return name.isEmpty ? nil : name
    }

    /// Maps an Identifier; nil for identifiers we do not keep (no value), failure for a malformed national id.
    func identifier(_ o: JSONObject, path: String) -> Result<PatientIdentifier?, LabFormatError> {
        guard let value = o["value"]?.stringValue.map(LabText.trimmed), !value.isEmpty else { return .success(nil) }
        let system = o["system"]?.stringValue ?? ""
        let typeCodes = (o["type"]?.objectValue?["coding"]?.arrayValue ?? []).prefix(8).compactMap { $0.objectValue?["code"]?.stringValue }
        func national(_ expected: PatientIdentifier.Kind?) -> Result<PatientIdentifier?, LabFormatError> {
            guard let id = PatientIdentifier.nationalID(value), expected == nil || id.kind == expected else {
                return .failure(.fhirInvalidElement(path: path + ".value", value: value))
            }
            return .success(id)
        }
        switch system {
        case FHIRSystems.cccd: return national(.cccd)
        case FHIRSystems.cmnd: return national(.cmnd)
        case FHIRSystems.passport:
            return .success(PatientIdentifier(kind: .passport, value: value.uppercased(), issuer: o["assigner"]?.objectValue?["display"]?.stringValue))
        default: break
        }
        if typeCodes.contains("PPN") {
            return .success(PatientIdentifier(kind: .passport, value: value.uppercased(), issuer: o["assigner"]?.objectValue?["display"]?.stringValue))
        }
        if typeCodes.contains("NI") || typeCodes.contains("NNVNM") { return national(nil) }
        var issuer: String? = system.isEmpty ? nil : system
        if system.hasPrefix(FHIRSystems.localPrefix) {
            issuer = String(system.dropFirst(FHIRSystems.localPrefix.count)).removingPercentEncoding
        }
        return .success(PatientIdentifier(kind: .local, value: value, issuer: issuer))
    }

    // MARK: Specimen

    func decodeSpecimen(_ r: JSONObject, path: String) -> Result<LabSpecimen, LabFormatError> {
        let ids = (r["identifier"]?.arrayValue ?? []).prefix(32).compactMap(\.objectValue)
        let label = ids.first(where: { $0["system"]?.stringValue == FHIRSystems.specimenLabel })?["value"]?.stringValue
            ?? r["accessionIdentifier"]?.objectValue?["value"]?.stringValue
            ?? ids.first?["value"]?.stringValue
        guard let label, !LabText.trimmed(label).isEmpty else {
            return .failure(.fhirMissingElement(path: "\(path).identifier"))
        }
        var s = LabSpecimen(label: LabText.trimmed(label))
        if let type = r["type"]?.objectValue {
            let c = type["coding"]?.arrayValue?.first?.objectValue
            s.typeCode = c?["code"]?.stringValue
            s.typeDisplay = c?["display"]?.stringValue ?? type["text"]?.stringValue
        }
        if let t = r["collection"]?.objectValue?["collectedDateTime"]?.stringValue {
            switch LabTimestamp.parseFHIR(t) {
            case .success(let ts): s.collectedAt = ts.date(defaultOffsetSeconds: options.defaultOffsetSeconds)
            case .failure: return .failure(.fhirInvalidDateTime(path: "\(path).collection.collectedDateTime", value: t))
            }
        }
        return .success(s)
    }

    // MARK: Observation

    func decodeObservation(_ r: JSONObject, index: Int, path: String) -> Result<(LabResultEntry, Int), LabFormatError> {
        guard let statusText = r["status"]?.stringValue else { return .failure(.fhirMissingElement(path: "\(path).status")) }
        guard let status = LabResultStatus(fhirCode: statusText) else { return .failure(.fhirUnknownCode(path: "\(path).status", value: statusText)) }

        // code: a LOINC coding for RT-PCR or antigen.
        let codings = (r["code"]?.objectValue?["coding"]?.arrayValue ?? []).prefix(16).compactMap(\.objectValue)
        guard !codings.isEmpty else { return .failure(.fhirMissingElement(path: "\(path).code.coding")) }
        var test: LabTestKind?
        for c in codings where c["system"]?.stringValue == FHIRSystems.loinc {
            if let code = c["code"]?.stringValue, let t = LabTestKind(loinc: code) { test = t; break }
        }
        guard let test else {
            let shown = codings.first?["code"]?.stringValue ?? ""
            return .failure(.fhirUnknownCode(path: "\(path).code", value: shown))
        }

        // subject → Patient in this Bundle (or a logical identifier reference).
        guard let subject = r["subject"]?.objectValue else { return .failure(.fhirMissingElement(path: "\(path).subject")) }
        var patient: LabPatient
        var patientIndex = -1
        if let ref = subject["reference"]?.stringValue {
            guard let pi = resolve(ref, type: "Patient"), entries[pi].resourceType == "Patient" else {
                return .failure(.fhirUnresolvedReference(path: "\(path).subject", reference: ref))
            }
            guard let p = patients[pi] else { return .failure(.fhirReferencedEntryFailed(path: "\(path).subject", entryIndex: pi)) }
            patient = p
            patientIndex = pi
        } else if let ident = subject["identifier"]?.objectValue {
            switch identifier(ident, path: "\(path).subject.identifier") {
            case .success(let id?): patient = LabPatient(identifiers: [id])
            case .success(nil): return .failure(.fhirMissingElement(path: "\(path).subject.identifier.value"))
            case .failure(let e): return .failure(e)
            }
        } else {
            return .failure(.fhirMissingElement(path: "\(path).subject.reference"))
        }

        // specimen → Specimen in this Bundle: the tube label is mandatory for matching pooled samples.
        guard let specRef = r["specimen"]?.objectValue?["reference"]?.stringValue else {
            return .failure(.fhirMissingElement(path: "\(path).specimen"))
        }
        guard let si = resolve(specRef, type: "Specimen"), entries[si].resourceType == "Specimen" else {
            return .failure(.fhirUnresolvedReference(path: "\(path).specimen", reference: specRef))
        }
        guard var specimen = specimens[si] else { return .failure(.fhirReferencedEntryFailed(path: "\(path).specimen", entryIndex: si)) }

        // value[x]: SNOMED coded concept, else text, else interpretation.
        var value: LabResultValue?
        if let vcc = r["valueCodeableConcept"]?.objectValue {
            for c in (vcc["coding"]?.arrayValue ?? []).prefix(16).compactMap(\.objectValue) {
                if let code = c["code"]?.stringValue {
                    value = LabResultValue(snomedCode: code) ?? LabResultValue(text: code)
                }
                if value == nil, let d = c["display"]?.stringValue { value = LabResultValue(text: d) }
                if value != nil { break }
            }
            if value == nil, let t = vcc["text"]?.stringValue { value = LabResultValue(text: t) }
            if value == nil {
                return .failure(.fhirUnknownCode(path: "\(path).valueCodeableConcept", value: vcc["coding"]?.arrayValue?.first?.objectValue?["code"]?.stringValue ?? ""))
            }
        } else if let s = r["valueString"]?.stringValue {
            guard let v = LabResultValue(text: s) else { return .failure(.fhirUnknownCode(path: "\(path).valueString", value: s)) }
            value = v
        } else if let interp = r["interpretation"]?.arrayValue?.first?.objectValue?["coding"]?.arrayValue?.first?.objectValue?["code"]?.stringValue {
            value = LabResultValue(abnormalFlag: interp)
        }
        if value == nil && status != .cancelled {
            return .failure(.fhirMissingElement(path: "\(path).value[x]"))
        }

        // Times.
        var collected: Date? = specimen.collectedAt
        let effective = r["effectiveDateTime"]?.stringValue ?? r["effectiveInstant"]?.stringValue
            ?? r["effectivePeriod"]?.objectValue?["start"]?.stringValue
        if let t = effective {
            guard case .success(let ts) = LabTimestamp.parseFHIR(t) else { return .failure(.fhirInvalidDateTime(path: "\(path).effective[x]", value: t)) }
            collected = ts.date(defaultOffsetSeconds: options.defaultOffsetSeconds)
        }
        var resulted: Date?
        if let t = r["issued"]?.stringValue {
            guard case .success(let ts) = LabTimestamp.parseFHIR(t), ts.precision == .second, ts.offsetSeconds != nil else {
                return .failure(.fhirInvalidDateTime(path: "\(path).issued", value: t))
            }
            resulted = ts.date()
        }
        if specimen.collectedAt == nil { specimen.collectedAt = collected }

        // Ct value from a component with a cycle-threshold code.
        var ct: Double?
        for comp in (r["component"]?.arrayValue ?? []).prefix(16).compactMap(\.objectValue) {
            let codes = (comp["code"]?.objectValue?["coding"]?.arrayValue ?? []).compactMap { $0.objectValue?["code"]?.stringValue }
            guard codes.contains(where: { LabCtCodes.loinc.contains($0.uppercased()) }) else { continue }
            if let n = comp["valueQuantity"]?.objectValue?["value"]?.numberText {
                guard let d = Double(n), d.isFinite, d >= 0, d <= 60 else {
                    return .failure(.fhirInvalidElement(path: "\(path).component.valueQuantity.value", value: n))
                }
                ct = d
            }
        }

        var lab: LabOrganization?
        if let perf = r["performer"]?.arrayValue?.first?.objectValue {
            let id = perf["identifier"]?.objectValue?["value"]?.stringValue
            let name = perf["display"]?.stringValue
            if id != nil || name != nil { lab = LabOrganization(id: id, name: name) }
        }

        let ids = (r["identifier"]?.arrayValue ?? []).prefix(8).compactMap(\.objectValue)
        let entryID = FHIRBundleDecoder.identifierText(ids.first) ?? entries[index].fullUrl ?? "\(bundleID ?? "bundle")#\(index)"
        let entry = LabResultEntry(
            entryID: entryID, patient: patient, specimen: specimen, test: test, result: value,
            ctValue: test == .rtPCR ? ct : nil, status: status, collectedAt: collected, resultedAt: resulted,
            performingLab: lab)
        return .success((entry, patientIndex))
    }

    /// Tubes shared by several Patients in one Bundle are pools; record the pool size.
    mutating func inferPools() {
        var byLabel: [String: Set<Int>] = [:]
        for (k, r) in results.enumerated() where k < resultPatients.count && resultPatients[k] >= 0 {
            byLabel[r.specimen.label, default: []].insert(resultPatients[k])
        }
        for k in results.indices {
            let n = byLabel[results[k].specimen.label]?.count ?? 1
            if n > 1 && results[k].specimen.poolSize == nil { results[k].specimen.poolSize = n }
        }
    }
}
