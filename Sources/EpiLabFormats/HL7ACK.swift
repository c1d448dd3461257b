import Foundation

/// HL7 table 0008 acknowledgement codes (original mode).
package enum HL7AckCode: String, Sendable, Hashable {
    /// AA: message processed and stored.
    case applicationAccept = "AA"
    /// AE: message understood but (part of) it could not be processed; the sender should fix and resend.
    case applicationError = "AE"
    /// AR: message refused for a reason unrelated to its content (type, version, processing id).
    case applicationReject = "AR"
}

/// Builds ACK^R01^ACK messages answering an ORU^R01.
package struct HL7ACKBuilder: Sendable {
    /// Our application (used as MSH-3 when the original left MSH-5 empty).
    package var application: HL7HierarchicDesignator
    /// Our facility (used as MSH-4 when the original left MSH-6 empty).
    package var facility: HL7HierarchicDesignator
    /// Zone for MSH-7.
    package var offsetSeconds: Int
    /// Most ERR segments to emit; further issues are summarised in the last one, keeping ACKs small.
    package var maxErrors: Int

    /// Creates a value from its parts.
    package init(application: HL7HierarchicDesignator = HL7HierarchicDesignator(namespaceID: "EPICOMMAND"),
                 facility: HL7HierarchicDesignator = HL7HierarchicDesignator(namespaceID: "HANOI_CDC"),
                 offsetSeconds: Int = LabCalendar.vietnamOffsetSeconds, maxErrors: Int = 50) {
        self.application = application
        self.facility = facility
        self.offsetSeconds = offsetSeconds
        self.maxErrors = maxErrors
    }

    /// ACK for a parsed ORU: AA, or AE listing the refused orders; warnings go out as ERR with severity W.
    package func acknowledge(_ result: HL7ORUResult, controlID: String, at now: Date) -> String {
        build(acknowledging: result.header, code: result.ackCode, issues: result.issues, controlID: controlID, at: now)
    }

    /// ACK for raw bytes that failed to parse: AR for unsupported type/version/processing id, AE otherwise.
    package func reject(rawMessage: [UInt8], error: LabFormatError, controlID: String, at now: Date) -> String {
        let header = HL7MessageHeader.peek(rawMessage)
        let code: HL7AckCode = error.hl7ErrorCode.isRejection ? .applicationReject : .applicationError
        return build(acknowledging: header, code: code, issues: [LabIssue(error)], controlID: controlID, at: now)
    }

    /// Builds the ACK text (segments ended by CR).
    package func build(acknowledging original: HL7MessageHeader?, code: HL7AckCode, issues: [LabIssue],
                       controlID: String, at now: Date) -> String {
        String(decoding: buildBytes(acknowledging: original, code: code, issues: issues, controlID: controlID, at: now), as: UTF8.self)
    }

    /// Builds the ACK as UTF-8 bytes, ready for `MLLP.frame`; written straight into one buffer because ACKs are on the hot path.
    package func buildBytes(acknowledging original: HL7MessageHeader?, code: HL7AckCode, issues: [LabIssue],
                            controlID: String, at now: Date) -> [UInt8] {
        var w = ER7Writer()
        let sendingApp = original?.receivingApplication ?? application
        let sendingFac = original?.receivingFacility ?? facility

        w.raw("MSH|^~\\&|")
        w.hd(sendingApp)
        w.field()
        w.hd(sendingFac)
        w.field()
        w.hd(original?.sendingApplication)
        w.field()
        w.hd(original?.sendingFacility)
        w.field()
        LabTimestamp.appendHL7(now, offsetSeconds: offsetSeconds, into: &w.out)
        w.raw("||ACK^")
        w.text(original?.triggerEvent ?? "R01")
        w.raw("^ACK|")
        w.text(controlID)
        w.field()
        w.text(original?.processingID ?? "P")
        w.field()
        w.text(original?.version ?? "2.5.1")
        // MSH-13..16 empty, MSH-17 country, MSH-18 character set.
        w.raw("|||||VNM|UNICODE UTF-8\r")

        w.raw("MSA|")
        w.raw(code.rawValue)
        w.field()
        w.text(original?.controlID)
        w.end()

        let shown = issues.prefix(maxErrors)
        for issue in shown { w.err(issue) }
        if issues.count > shown.count {
            let more = String(issues.count - shown.count)
            w.raw("ERR|||207^Application internal error^HL70357|I||||")
            w.text(more + " more issue(s) not listed / còn " + more + " lỗi khác không liệt kê")
            w.end()
        }
        return w.out
    }
}

/// Appends ER7 text with the standard delimiters to a byte buffer.
private struct ER7Writer {
    var out: [UInt8] = []
    let d = HL7Delimiters.standard

    init() { out.reserveCapacity(512) }

    mutating func raw(_ s: String) { out.append(contentsOf: s.utf8) }
    mutating func field() { out.append(d.field) }
    mutating func component() { out.append(d.component) }
    mutating func end() { out.append(0x0D) }
    mutating func text(_ s: String?) { if let s { HL7Escaping.escape(s, into: &out, delimiters: d) } }

    mutating func hd(_ h: HL7HierarchicDesignator?) {
        guard let h else { return }
        text(h.namespaceID)
        if h.universalID != nil || h.universalIDType != nil {
            component()
            text(h.universalID)
            if h.universalIDType != nil {
                component()
                text(h.universalIDType)
            }
        }
    }

    /// ERR: ERR-2 location, ERR-3 table-0357 code, ERR-4 severity, ERR-7 diagnostic (stable code + English), ERR-8 user message (Vietnamese).
    mutating func err(_ issue: LabIssue) {
        raw("ERR||")
        if let loc = issue.error.hl7Location {
            text(loc.segment)
            component()
            raw(String(loc.sequence))
            if let f = loc.field {
                component()
                raw(String(f))
                component()
                raw(String(loc.repetition ?? 1))
                if let c = loc.component {
                    component()
                    raw(String(c))
                    if let sc = loc.subcomponent {
                        component()
                        raw(String(sc))
                    }
                }
            }
        }
        field()
        let code = issue.error.hl7ErrorCode
        raw(String(code.rawValue))
        component()
        raw(code.text)
        raw("^HL70357|")
        raw(issue.severity.hl7Code)
        raw("|||")
        text(issue.error.code + ": " + issue.error.messageEN)
        field()
        text(issue.error.messageVI)
        end()
    }
}
