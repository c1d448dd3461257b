import Foundation

/// An HL7 HD (hierarchic designator): namespace id, universal id and its type.
package struct HL7HierarchicDesignator: Sendable, Hashable, CustomStringConvertible {
    /// HD.1 namespace id.
    package var namespaceID: String?
    /// HD.2 universal id (e.g. an OID).
    package var universalID: String?
    /// HD.3 universal id type (e.g. ISO).
    package var universalIDType: String?

    /// Creates a value from its parts.
    package init(namespaceID: String?, universalID: String? = nil, universalIDType: String? = nil) {
        self.namespaceID = namespaceID
        self.universalID = universalID
        self.universalIDType = universalIDType
    }

    /// Reads an HD from a field (components) or from a component (subcomponents).
    package init?(_ v: HL7Value) {
        let parts: (HL7Value, HL7Value, HL7Value)
        if v.level == .component {
            parts = (v.subcomponent(1), v.subcomponent(2), v.subcomponent(3))
        } else {
            parts = (v.component(1), v.component(2), v.component(3))
        }
        let hd = HL7HierarchicDesignator(namespaceID: parts.0.text, universalID: parts.1.text, universalIDType: parts.2.text)
        if hd.namespaceID == nil && hd.universalID == nil { return nil }
        self = hd
    }

    /// Reads an HD held in a whole field (components 1–3).
    package init?(_ segment: HL7Segment, field: Int) {
        let hd = HL7HierarchicDesignator(namespaceID: segment.text(field, 1), universalID: segment.text(field, 2),
                                         universalIDType: segment.text(field, 3))
        if hd.namespaceID == nil && hd.universalID == nil { return nil }
        self = hd
    }

    /// Namespace id, or the universal id when there is no namespace.
    package var description: String { namespaceID ?? universalID ?? "" }

}

/// The MSH fields an application needs to route and acknowledge a message.
package struct HL7MessageHeader: Sendable, Equatable {
    /// Delimiters declared by the message.
    package var delimiters: HL7Delimiters
    /// Sending application (MSH-3).
    package var sendingApplication: HL7HierarchicDesignator?
    /// Sending facility (MSH-4).
    package var sendingFacility: HL7HierarchicDesignator?
    /// Receiving application (MSH-5).
    package var receivingApplication: HL7HierarchicDesignator?
    /// Receiving facility (MSH-6).
    package var receivingFacility: HL7HierarchicDesignator?
    /// Message time (MSH-7).
    package var timestamp: Date?
    /// Message code (MSH-9.1).
    package var messageCode: String?
    /// Trigger event (MSH-9.2).
    package var triggerEvent: String?
    /// Message structure (MSH-9.3).
    package var messageStructure: String?
    /// Message control id (MSH-10).
    package var controlID: String?
    /// Processing id (MSH-11).
    package var processingID: String?
    /// Version id (MSH-12).
    package var version: String?
    /// Character set (MSH-18).
    package var characterSet: String?

    /// Reads MSH leniently: unreadable fields become nil rather than errors, so even a bad message can be acknowledged.
    package init(msh: HL7Segment, defaultOffsetSeconds: Int = LabCalendar.vietnamOffsetSeconds) {
        delimiters = msh.storage.delimiters
        sendingApplication = HL7HierarchicDesignator(msh, field: 3)
        sendingFacility = HL7HierarchicDesignator(msh, field: 4)
        receivingApplication = HL7HierarchicDesignator(msh, field: 5)
        receivingFacility = HL7HierarchicDesignator(msh, field: 6)
        if case .success(let ts)? = msh.value(7, 1).timestamp {
            timestamp = ts.date(defaultOffsetSeconds: defaultOffsetSeconds)
        }
        messageCode = msh.text(9, 1)
        triggerEvent = msh.text(9, 2)
        messageStructure = msh.text(9, 3)
        controlID = msh.text(10)
        processingID = msh.text(11, 1)
        version = msh.text(12, 1)
        characterSet = msh.text(18, 1)
    }

    /// Best-effort header of raw bytes that may not parse as a whole, used to address an AR/AE acknowledgement.
    package static func peek(_ bytes: [UInt8], limits: HL7Limits = .default) -> HL7MessageHeader? {
        var start = 0
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
        while start < bytes.count, bytes[start] == 0x0D || bytes[start] == 0x0A || bytes[start] == 0x20 { start += 1 }
        var end = start
        let cap = min(bytes.count, start + limits.maxSegmentBytes)
        while end < cap, bytes[end] != 0x0D, bytes[end] != 0x0A { end += 1 }
        guard end > start else { return nil }
        // Re-encode lossily so a bad byte elsewhere in the line does not stop us from finding MSH-10.
        let line = Array(String(decoding: bytes[start..<end], as: UTF8.self).utf8)
        guard let msg = try? HL7Message.index(line, limits: HL7Limits(maxMessageBytes: line.count + 1, maxSegments: 1,
                                                                       maxSegmentBytes: line.count + 1,
                                                                       maxFieldsPerSegment: limits.maxFieldsPerSegment,
                                                                       maxRepetitions: limits.maxRepetitions)),
              let msh = msg.segment(at: 0)
        else { return nil }
        return HL7MessageHeader(msh: msh)
    }
}

/// Options for reading ORU^R01 messages.
package struct HL7ORUOptions: Sendable {
    /// Size limits for the parser.
    package var limits: HL7Limits
    /// MSH-12 versions accepted; later 2.x versions keep the same positions for the fields we read.
    package var acceptedVersions: Set<String>
    /// MSH-11 processing ids accepted (P production, T training, D debugging).
    package var acceptedProcessingIDs: Set<String>
    /// Zone assumed for timestamps without an offset (Vietnam, UTC+7).
    package var defaultOffsetSeconds: Int
    /// Largest pool (SPM-13 grouped specimen count) accepted.
    package var maxPoolSize: Int

    /// Creates a value from its parts.
    package init(limits: HL7Limits = .default,
                 acceptedVersions: Set<String> = ["2.5.1", "2.5", "2.6", "2.7", "2.7.1", "2.8"],
                 acceptedProcessingIDs: Set<String> = ["P", "T", "D"],
                 defaultOffsetSeconds: Int = LabCalendar.vietnamOffsetSeconds,
                 maxPoolSize: Int = 50) {
        self.limits = limits
        self.acceptedVersions = acceptedVersions
        self.acceptedProcessingIDs = acceptedProcessingIDs
        self.defaultOffsetSeconds = defaultOffsetSeconds
        self.maxPoolSize = maxPoolSize
    }
}

extension HL7ORUOptions {
    /// Shared defaults, built once because the version/processing-id sets cost as much to build as a small parse.
    package static let `default` = HL7ORUOptions()
}

/// What an ORU^R01 message yielded: the results that could be read and the problems found in the rest.
package struct HL7ORUResult: Sendable {
    /// MSH fields of the message.
    package var header: HL7MessageHeader
    /// The results that could be read.
    package var message: LabResultMessage
    /// Per-order problems; orders with an error contribute no entries.
    package var issues: [LabIssue]

    /// True when at least one order was refused.
    package var hasErrors: Bool { issues.contains { $0.severity == .error } }

    /// Acknowledgement code this result calls for (AA, or AE when some order was refused).
    package var ackCode: HL7AckCode { hasErrors ? .applicationError : .applicationAccept }
}

/// Writes the ORU^R01 a laboratory system sends for one SARS-CoV-2 tube (ER7, segments ended by CR):
/// MSH-4 the facility, PID-3 and PID-5 the person, OBR/OBX the test (LOINC) and value (SNOMED CT),
/// OBX-11 the status, SPM-2 the tube label; times as HL7 DTM (`20210919080000+0700`). For the tests
/// and `epicommand bench testing`.
package enum HL7ORUWriter {
    package static func tube(controlID: String, facility: String, patientID: String, name: String, loinc: String, snomed: String, status: String,
                             label: String, collected: String, resulted: String) -> String {
        [
            "MSH|^~\\&|LIS|\(facility)|EPICOMMAND|HANOI_CDC|\(resulted)||ORU^R01^ORU_R01|\(controlID)|P|2.5.1|||AL|NE|VNM|UNICODE UTF-8",
            "PID|1||\(patientID)||\(name)",
            "OBR|1|\(controlID)^LIS||\(loinc)^SARS-CoV-2^LN|||\(collected)|||||||||||||||\(resulted)|||F",
            "OBX|1|CWE|\(loinc)^SARS-CoV-2^LN||\(snomed)^^SCT||||||\(status)|||\(collected)|||||\(resulted)",
            "SPM|1|\(label)||258500001^Nasopharyngeal swab^SCT|||||||||||||\(collected)|",
        ].joined(separator: "\r")
    }
}

/// Reads HL7 v2.5.1 ORU^R01 (unsolicited observation) messages into `LabResultMessage`.
package enum HL7ORUParser {
    /// Parses ER7 text.
    package static func parse(_ text: String, options: HL7ORUOptions = .default) throws(LabFormatError) -> HL7ORUResult {
        try parse(Array(text.utf8), options: options)
    }

    /// Parses ER7 bytes; throws for message-level faults, collects per-order faults in `issues`.
    package static func parse(_ bytes: [UInt8], options: HL7ORUOptions = .default) throws(LabFormatError) -> HL7ORUResult {
        let msg = try HL7Message.parse(bytes, limits: options.limits)
        return try interpret(msg, options: options)
    }

    /// Interprets an already parsed message as ORU^R01.
    package static func interpret(_ msg: HL7Message, options: HL7ORUOptions = .default) throws(LabFormatError) -> HL7ORUResult {
        guard let msh = msg.segment(at: 0) else { throw .missingHeader }
        let header = HL7MessageHeader(msh: msh, defaultOffsetSeconds: options.defaultOffsetSeconds)

        let code = header.messageCode ?? ""
        let event = header.triggerEvent ?? ""
        guard code == "ORU" else { throw .unsupportedMessageType("\(code)^\(event)") }
        guard event == "R01" else { throw .unsupportedMessageType("\(code)^\(event)") }
        if let structure = header.messageStructure, structure != "ORU_R01" {
            throw .unsupportedMessageType("\(code)^\(event)^\(structure)")
        }
        guard let controlID = header.controlID else { throw .requiredFieldMissing(msh.location(10)) }
        guard let version = header.version else { throw .requiredFieldMissing(msh.location(12)) }
        guard options.acceptedVersions.contains(version) else { throw .unsupportedVersion(version) }
        guard let processing = header.processingID else { throw .requiredFieldMissing(msh.location(11)) }
        guard options.acceptedProcessingIDs.contains(processing) else { throw .unsupportedProcessingID(processing) }

        var reader = ORUReader(message: msg, header: header, controlID: controlID, options: options)
        reader.run()
        reader.inferPools()
        let result = LabResultMessage(
            messageID: controlID, source: .hl7v2,
            sendingApplication: header.sendingApplication?.description,
            sendingFacility: header.sendingFacility?.description,
            sentAt: header.timestamp, entries: reader.entries)
        return HL7ORUResult(header: header, message: result, issues: reader.issues)
    }
}

/// The state machine walking PATIENT_RESULT / ORDER_OBSERVATION groups.
private struct ORUReader {
    let message: HL7Message
    let header: HL7MessageHeader
    let controlID: String
    let options: HL7ORUOptions

    var entries: [LabResultEntry] = []
    var issues: [LabIssue] = []

    /// Current patient group: nil before the first PID; `.failure` when PID was unusable.
    var patient: LabPatient?
    var patientFailed = false
    var patientGroup = 0
    var sawOrder = false
    var order: OrderGroup?
    /// Patient group index of each entry, to infer pool sizes.
    var entryGroups: [Int] = []

    /// Packed segment ids, so dispatch does not build a String per segment.
    enum Codes {
        static let msh = HL7Segment.pack("MSH")
        static let pid = HL7Segment.pack("PID")
        static let orc = HL7Segment.pack("ORC")
        static let obr = HL7Segment.pack("OBR")
        static let obx = HL7Segment.pack("OBX")
        static let spm = HL7Segment.pack("SPM")
        static let dsc = HL7Segment.pack("DSC")
    }

    struct OrderGroup {
        var orc: HL7Segment?
        var obr: HL7Segment
        var observations: [HL7Segment] = []
        var specimens: [HL7Segment] = []
        /// True once SPM was seen: later OBX describe the specimen, not the test result.
        var inSpecimen = false
    }

    init(message: HL7Message, header: HL7MessageHeader, controlID: String, options: HL7ORUOptions) {
        self.message = message
        self.header = header
        self.controlID = controlID
        self.options = options
    }

    mutating func run() {
        var pendingORC: HL7Segment?
        for index in 1..<max(1, message.segmentCount) {
            guard let seg = message.segment(at: index) else { continue }
            switch seg.code {
            case Codes.pid:
                flushOrder()
                if let orc = pendingORC {
                    issues.append(LabIssue(.unexpectedSegment(orc.location(), expected: "OBR")))
                    pendingORC = nil
                }
                readPatient(seg)
            case Codes.orc:
                flushOrder()
                if let orc = pendingORC { issues.append(LabIssue(.unexpectedSegment(orc.location(), expected: "OBR"))) }
                pendingORC = seg
            case Codes.obr:
                sawOrder = true
                flushOrder()
                if patient == nil && !patientFailed {
                    issues.append(LabIssue(.unexpectedSegment(seg.location(), expected: "PID")))
                    patientFailed = true
                }
                order = OrderGroup(orc: pendingORC, obr: seg)
                pendingORC = nil
            case Codes.obx:
                if order == nil {
                    issues.append(LabIssue(.unexpectedSegment(seg.location(), expected: "OBR")))
                } else if order?.inSpecimen == true {
                    // SPECIMEN-group OBX describe the specimen, but some LIS put SPM before the result OBX;
                    // a SARS-CoV-2 test or Ct code there is still a result.
                    let code = seg.text(3, 1) ?? ""
                    if LabTestKind(loinc: code) != nil || LabCtCodes.isCt(code) { order?.observations.append(seg) }
                } else {
                    order?.observations.append(seg)
                }
            case Codes.spm:
                if order == nil {
                    issues.append(LabIssue(.unexpectedSegment(seg.location(), expected: "OBR")))
                } else {
                    order?.specimens.append(seg)
                    order?.inSpecimen = true
                }
            case Codes.msh:
                issues.append(LabIssue(.unexpectedSegment(seg.location(), expected: "one message per frame")))
            case Codes.dsc:
                break
            default:
                // SFT, PD1, NK1, PV1, PV2, NTE, TQ1, TQ2, CTD, FT1, CTI and Z-segments carry nothing we store.
                continue
            }
        }
        flushOrder()
        if let orc = pendingORC { issues.append(LabIssue(.unexpectedSegment(orc.location(), expected: "OBR"))) }
        if !sawOrder {
            // ORU_R01 requires at least one ORDER_OBSERVATION; an empty message is an error, not a silent AA.
            issues.append(LabIssue(.unexpectedSegment(HL7Location(segment: "MSH"), expected: "PID/OBR")))
        }
    }

    // MARK: PID

    mutating func readPatient(_ pid: HL7Segment) {
        patientGroup += 1
        patient = nil
        patientFailed = false
        var p = LabPatient()
        var failed = false

        // PID-3: identifier list (CX).
        let idField = pid.field(3)
        if idField.repetitionCount > options.limits.maxRepetitions {
            issues.append(LabIssue(.tooManyRepetitions(pid.location(3), limit: options.limits.maxRepetitions)))
            failed = true
        }
        for r in 1...max(1, min(idField.repetitionCount, options.limits.maxRepetitions)) {
            guard let value = pid.text(3, 1, rep: r) else { continue }
            var loc = pid.location(3, component: 1)
            loc.repetition = r
            let type = pid.text(3, 5, rep: r)
            let authority = pid.text(3, 4, 1, rep: r) ?? pid.text(3, 4, 2, rep: r)
            switch classify(value: value, type: type, authority: authority) {
            case .some(.success(let id)):
                if !p.identifiers.contains(id) { p.identifiers.append(id) }
            case .some(.failure):
                issues.append(LabIssue(.invalidIdentifier(loc, value: value)))
                failed = true
            case .none:
                p.identifiers.append(PatientIdentifier(kind: .local, value: value, issuer: authority))
            }
        }
        if p.identifiers.isEmpty && !failed {
            issues.append(LabIssue(.requiredFieldMissing(pid.location(3))))
            failed = true
        }

        // PID-5: XPN; family name is FN.1 (a subcomponent), Vietnamese middle names go in XPN.3.
        let pn = PersonName(family: pid.text(5, 1, 1), middle: pid.text(5, 3), given: pid.text(5, 2))
        if pn.isEmpty {
            issues.append(LabIssue(.requiredFieldMissing(pid.location(5))))
            failed = true
        } else {
            p.name = pn
        }

        // PID-7: birth date, possibly only a year.
        if let dob = pid.text(7, 1) {
            switch LabTimestamp.parseHL7(dob) {
            case .success(let ts):
                p.birthDate = ts.civilDate
            case .failure(.outOfRange):
                issues.append(LabIssue(.dateOutOfRange(pid.location(7), value: dob)))
                failed = true
            case .failure(.syntax):
                issues.append(LabIssue(.invalidDateTime(pid.location(7), value: dob)))
                failed = true
            }
        }

        // PID-8: sex; an unknown code is only a warning because it does not change the result.
        if let sex = pid.text(8) {
            if let s = LabSex(hl7Code: sex) {
                p.sex = s
            } else {
                issues.append(LabIssue(.unknownCode(pid.location(8), value: sex), severity: .warning))
                p.sex = .unknown
            }
        }

        // PID-11: address (XAD) as one line of text.
        let addrParts = [1, 2, 3, 4].compactMap { pid.text(11, $0, 1) }
        if !addrParts.isEmpty { p.address = addrParts.joined(separator: ", ") }

        // PID-13: phone (XTN): formatted number, else unformatted (XTN.12), else local number (XTN.7).
        if let phone = pid.text(13, 1) ?? pid.text(13, 12) ?? pid.text(13, 7) {
            p.phone = phone
        }

        if failed {
            patientFailed = true
        } else {
            patient = p
        }
    }

    /// Classifies one CX: nil means "not a national document", failure means "claims to be one but is malformed".
    func classify(value: String, type: String?, authority: String?) -> Result<PatientIdentifier, LabFormatError>? {
        let auth = authority ?? ""
        switch type ?? "" {
        case "PPN":
            return .success(PatientIdentifier(kind: .passport, value: value.uppercased(), issuer: authority))
        case "NI", "NNVNM", "CCCD", "CMND", "NN":
            if let id = PatientIdentifier.nationalID(value) { return .success(id) }
            return .failure(.invalidIdentifier(HL7Location(segment: "PID", field: 3), value: value))
        default:
            if auth == "CCCD" || auth == "CMND" || auth == "BCA" || (auth == "VNM" && type == nil) {
                if let id = PatientIdentifier.nationalID(value) { return .success(id) }
                return .failure(.invalidIdentifier(HL7Location(segment: "PID", field: 3), value: value))
            }
            return nil
        }
    }

    // MARK: ORDER_OBSERVATION

    mutating func flushOrder() {
        guard let group = order else { return }
        order = nil
        let obr = group.obr
        guard let patient else {
            return  // PID problems were already reported once for the whole patient group.
        }
        var orderIssues: [LabIssue] = []
        var failed = false

        func time(_ v: HL7Value, _ loc: HL7Location) -> Date? {
            switch v.timestamp {
            case nil: return nil
            case .success(let ts)?: return ts.date(defaultOffsetSeconds: options.defaultOffsetSeconds)
            case .failure(.outOfRange)?:
                orderIssues.append(LabIssue(.dateOutOfRange(loc, value: v.text ?? "")))
                failed = true
            case .failure(.syntax)?:
                orderIssues.append(LabIssue(.invalidDateTime(loc, value: v.text ?? "")))
                failed = true
            }
            return nil
        }

        let placer = group.orc?.text(2, 1) ?? obr.text(2, 1)
        let filler = group.orc?.text(3, 1) ?? obr.text(3, 1)
        let obrObserved = time(obr.value(7, 1), obr.location(7))
        let obrReported = time(obr.value(22, 1), obr.location(22))
        let obrStatus = obr.text(25)

        // SPECIMEN: tube label (SPM-2 placer part, else filler part), type, pool size, collection time.
        var specimen: LabSpecimen?
        if let spm = group.specimens.first {
            if let label = spm.text(2, 1, 1) ?? spm.text(2, 2, 1) {
                var s = LabSpecimen(label: label)
                s.typeCode = spm.text(4, 1)
                s.typeDisplay = spm.text(4, 2)
                if let count = spm.text(13) {
                    if let n = Int(count), n >= 1, n <= options.maxPoolSize {
                        s.poolSize = n
                    } else {
                        orderIssues.append(LabIssue(.invalidNumber(spm.location(13), value: count)))
                        failed = true
                    }
                }
                s.collectedAt = time(spm.value(17, 1, 1), spm.location(17))
                specimen = s
            } else {
                orderIssues.append(LabIssue(.requiredFieldMissing(spm.location(2))))
                failed = true
            }
        } else {
            orderIssues.append(LabIssue(.unexpectedSegment(obr.location(), expected: "SPM")))
            failed = true
        }

        // OBSERVATIONS.
        struct Pending {
            var obx: HL7Segment
            var test: LabTestKind
            var value: LabResultValue?
            var status: LabResultStatus
            var observedAt: Date?
            var analysedAt: Date?
            var lab: LabOrganization?
        }
        var results: [Pending] = []
        var ct: Double?
        var unknownTests: [LabIssue] = []

        for obx in group.observations {
            var code = obx.text(3, 1) ?? ""
            var system = obx.text(3, 3)
            if LabTestKind(loinc: code) == nil, !LabCtCodes.isCt(code),
               obx.text(3, 6) == "LN", let alt = obx.text(3, 4) {
                code = alt  // Local primary code with LOINC as the alternate identifier.
                system = "LN"
            }
            let valueType = obx.text(2)

            if LabCtCodes.isCt(code) {
                guard let raw = obx.text(5, 1) else { continue }
                if let v = Double(raw), v.isFinite, v >= 0, v <= 60 {
                    ct = v
                } else {
                    orderIssues.append(LabIssue(.invalidNumber(obx.location(5), value: raw)))
                    failed = true
                }
                continue
            }
            guard let test = LabTestKind(loinc: code), system == nil || system == "LN" || system == "LOINC"
                || system == "http://loinc.org"
            else {
                let shown = code.isEmpty ? (obx.text(3, 2) ?? "") : code
                if shown.isEmpty {
                    orderIssues.append(LabIssue(.requiredFieldMissing(obx.location(3))))
                    failed = true
                } else {
                    unknownTests.append(LabIssue(.unknownTestCode(obx.location(3, component: 1), code: shown), severity: .warning))
                }
                continue
            }

            // OBX-11 status (required); fall back to OBR-25 as many LIS fill only that.
            let statusCode = obx.text(11) ?? obrStatus
            guard let statusCode else {
                orderIssues.append(LabIssue(.requiredFieldMissing(obx.location(11))))
                failed = true
                continue
            }
            guard let status = LabResultStatus(hl7Code: statusCode) else {
                orderIssues.append(LabIssue(.unknownCode(obx.location(11), value: statusCode)))
                failed = true
                continue
            }

            let value5 = obx.value(5)
            var value: LabResultValue?
            var valueText = ""
            if !value5.isEmpty {
                guard let vt = valueType else {
                    orderIssues.append(LabIssue(.requiredFieldMissing(obx.location(2))))
                    failed = true
                    continue
                }
                switch vt {
                case "CWE", "CE", "CNE", "CF":
                    let c = obx.text(5, 1) ?? ""
                    let t = obx.text(5, 2) ?? ""
                    let altC = obx.text(5, 4) ?? ""
                    let altT = obx.text(5, 5) ?? ""
                    valueText = c.isEmpty ? t : c
                    value = LabResultValue(snomedCode: c) ?? LabResultValue(snomedCode: altC)
                        ?? LabResultValue(text: t) ?? LabResultValue(text: c) ?? LabResultValue(text: altT)
                case "ST", "TX", "FT":
                    valueText = value5.text ?? ""
                    value = LabResultValue(text: valueText)
                default:
                    orderIssues.append(LabIssue(.unexpectedValueType(obx.location(2), value: vt)))
                    failed = true
                    continue
                }
                if value == nil {
                    orderIssues.append(LabIssue(.unknownResultValue(obx.location(5), value: valueText)))
                    failed = true
                    continue
                }
            }

            // OBX-8 abnormal flags back up or cross-check OBX-5.
            var flagged: (LabResultValue, String)?
            for f in obx.field(8).repetitions(limit: options.limits.maxRepetitions) {
                if let t = f.component(1).text, let v = LabResultValue(abnormalFlag: t) {
                    flagged = (v, t)
                    break
                }
            }
            if let (fv, ft) = flagged {
                if let v = value, v != fv, v == .detected || v == .notDetected {
                    orderIssues.append(LabIssue(.conflictingResult(obx.location(8), value: valueText, flag: ft)))
                    failed = true
                    continue
                }
                if value == nil { value = fv }
            }
            if value == nil && status != .cancelled {
                orderIssues.append(LabIssue(.requiredFieldMissing(obx.location(5))))
                failed = true
                continue
            }

            let observedAt = time(obx.value(14, 1), obx.location(14))
            let analysedAt = time(obx.value(19, 1), obx.location(19))
            var lab: LabOrganization?
            if let name = obx.text(23, 1) {
                lab = LabOrganization(id: obx.text(23, 10) ?? obx.text(23, 3), name: name)
            } else if let producer = obx.text(15, 1) {
                lab = LabOrganization(id: producer, name: obx.text(15, 2))
            }
            results.append(Pending(obx: obx, test: test, value: value, status: status, observedAt: observedAt, analysedAt: analysedAt, lab: lab))
        }

        if results.isEmpty && !failed {
            if unknownTests.isEmpty {
                orderIssues.append(LabIssue(.noResultInOrder(obr.location())))
            } else {
                // Nothing usable: the unknown codes are the reason, so they become errors.
                unknownTests = unknownTests.map { LabIssue($0.error, severity: .error) }
            }
            failed = true
        }
        orderIssues.append(contentsOf: unknownTests)
        issues.append(contentsOf: orderIssues)
        guard !failed, let specimen else { return }

        let facilityLab = header.sendingFacility.map { LabOrganization(id: $0.universalID ?? $0.namespaceID, name: $0.namespaceID) }
        for r in results {
            var spec = specimen
            let collected = spec.collectedAt ?? obrObserved ?? r.observedAt
            spec.collectedAt = collected
            let entry = LabResultEntry(
                entryID: controlID + "/OBX" + String(r.obx.sequence),
                patient: patient, specimen: spec, test: r.test, result: r.value,
                ctValue: r.test == .rtPCR ? ct : nil, status: r.status,
                collectedAt: collected, resultedAt: r.analysedAt ?? obrReported ?? header.timestamp,
                performingLab: r.lab ?? facilityLab,
                placerOrderNumber: placer, fillerOrderNumber: filler)
            entries.append(entry)
            entryGroups.append(patientGroup)
        }
    }

    /// Sets `poolSize` on tubes shared by several patient groups when SPM-13 did not say.
    mutating func inferPools() {
        guard entries.count > 1 else { return }
        var groupsByLabel: [String: Set<Int>] = [:]
        for (i, e) in entries.enumerated() where i < entryGroups.count {
            groupsByLabel[e.specimen.label, default: []].insert(entryGroups[i])
        }
        for i in entries.indices {
            let n = groupsByLabel[entries[i].specimen.label]?.count ?? 1
            if n > 1 && entries[i].specimen.poolSize == nil { entries[i].specimen.poolSize = n }
        }
    }
}
