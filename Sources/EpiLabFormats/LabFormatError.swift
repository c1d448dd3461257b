import Foundation

/// Position of a problem inside an HL7 v2 message, in the shape ERR-2 (ERL) needs.
package struct HL7Location: Sendable, Hashable, CustomStringConvertible {
    /// Segment id such as "PID".
    package var segment: String
    /// 1-based occurrence of that segment id in the message.
    package var sequence: Int
    /// Field separator (MSH-1).
    package var field: Int?
    /// Repetition separator.
    package var repetition: Int?
    /// Component separator.
    package var component: Int?
    /// Subcomponent separator.
    package var subcomponent: Int?

    /// Creates a value from its parts.
    package init(segment: String, sequence: Int = 1, field: Int? = nil, repetition: Int? = nil, component: Int? = nil, subcomponent: Int? = nil) {
        self.segment = segment
        self.sequence = sequence
        self.field = field
        self.repetition = repetition
        self.component = component
        self.subcomponent = subcomponent
    }

    /// Conventional text form, e.g. "PID[1]-3.1".
    package var description: String {
        var s = "\(segment)[\(sequence)]"
        if let field { s += "-\(field)" }
        if let component { s += ".\(component)" }
        if let subcomponent { s += ".\(subcomponent)" }
        return s
    }
}

/// HL7 table 0357 message error condition codes used in ERR-3.
package enum HL7ErrorCode: Int, Sendable, Hashable {
    case accepted = 0
    case segmentSequenceError = 100
    case requiredFieldMissing = 101
    case dataTypeError = 102
    case tableValueNotFound = 103
    case unsupportedMessageType = 200
    case unsupportedEventCode = 201
    case unsupportedProcessingID = 202
    case unsupportedVersionID = 203
    case unknownKeyIdentifier = 204
    case duplicateKeyIdentifier = 205
    case applicationRecordLocked = 206
    case applicationInternalError = 207

    /// Text from table 0357, sent as ERR-3.2.
    package var text: String {
        switch self {
        case .accepted: "Message accepted"
        case .segmentSequenceError: "Segment sequence error"
        case .requiredFieldMissing: "Required field missing"
        case .dataTypeError: "Data type error"
        case .tableValueNotFound: "Table value not found"
        case .unsupportedMessageType: "Unsupported message type"
        case .unsupportedEventCode: "Unsupported event code"
        case .unsupportedProcessingID: "Unsupported processing id"
        case .unsupportedVersionID: "Unsupported version id"
        case .unknownKeyIdentifier: "Unknown key identifier"
        case .duplicateKeyIdentifier: "Duplicate key identifier"
        case .applicationRecordLocked: "Application record locked"
        case .applicationInternalError: "Application internal error"
        }
    }

    /// True for conditions that make the whole message unprocessable (answered with AR, not AE).
    package var isRejection: Bool {
        switch self {
        case .unsupportedMessageType, .unsupportedEventCode, .unsupportedProcessingID, .unsupportedVersionID: true
        default: false
        }
    }
}

/// Every way lab input can be malformed; stable `code` strings let the server log and count them.
package enum LabFormatError: Error, Sendable, Hashable {
    // Generic input problems.
    case inputTooLarge(limit: Int)
    case emptyInput
    case invalidUTF8
    case unsupportedCharacterSet(String)

    // HL7 v2 structure.
    case missingHeader
    case invalidDelimiters
    case invalidSegmentID(String, segmentIndex: Int)
    case tooManySegments(limit: Int)
    case segmentTooLong(HL7Location, limit: Int)
    case tooManyFields(HL7Location, limit: Int)
    case tooManyRepetitions(HL7Location, limit: Int)
    case unsupportedMessageType(String)
    case unsupportedVersion(String)
    case unsupportedProcessingID(String)
    case unexpectedSegment(HL7Location, expected: String)
    case requiredFieldMissing(HL7Location)
    case invalidDateTime(HL7Location, value: String)
    case dateOutOfRange(HL7Location, value: String)
    case invalidNumber(HL7Location, value: String)
    case invalidIdentifier(HL7Location, value: String)
    case unknownCode(HL7Location, value: String)
    case unknownTestCode(HL7Location, code: String)
    case unknownResultValue(HL7Location, value: String)
    case conflictingResult(HL7Location, value: String, flag: String)
    case noResultInOrder(HL7Location)
    case unexpectedValueType(HL7Location, value: String)

    // Application-level outcomes the server reports through the same channels (ACK ERR / OperationOutcome).
    /// The tube label is not registered in the sampling database (HL7 204 unknown key identifier).
    case unknownSpecimenLabel(HL7Location?, label: String)
    /// Processing failed on our side, e.g. the database is unavailable (HL7 207); the sender should retry.
    case applicationFailure(String)

    // MLLP framing.
    case mllpFrameTooLarge(limit: Int)
    case mllpFrameInterrupted
    case mllpInvalidTrailer
    case mllpInvalidPayload

    // JSON / FHIR.
    case invalidJSON
    case jsonTooDeep(limit: Int)
    case fhirWrongResourceType(path: String, expected: String, found: String)
    case fhirUnsupportedBundleType(String)
    case fhirUnsupportedRequest(path: String, value: String)
    case fhirMissingElement(path: String)
    case fhirInvalidElement(path: String, value: String)
    case fhirInvalidDateTime(path: String, value: String)
    case fhirUnknownCode(path: String, value: String)
    case fhirUnresolvedReference(path: String, reference: String)
    case fhirDuplicateFullUrl(path: String, fullUrl: String)
    case fhirTooManyEntries(limit: Int)
    case fhirReferencedEntryFailed(path: String, entryIndex: Int)
    case fhirTransactionFailed(failedEntry: Int)
    case fhirInvalidID(String)

    /// Stable machine-readable code; never changes once shipped.
    package var code: String {
        switch self {
        case .inputTooLarge: "input.too_large"
        case .emptyInput: "input.empty"
        case .invalidUTF8: "input.invalid_utf8"
        case .unsupportedCharacterSet: "input.unsupported_charset"
        case .missingHeader: "hl7.missing_msh"
        case .invalidDelimiters: "hl7.invalid_delimiters"
        case .invalidSegmentID: "hl7.invalid_segment_id"
        case .tooManySegments: "hl7.too_many_segments"
        case .segmentTooLong: "hl7.segment_too_long"
        case .tooManyFields: "hl7.too_many_fields"
        case .tooManyRepetitions: "hl7.too_many_repetitions"
        case .unsupportedMessageType: "hl7.unsupported_message_type"
        case .unsupportedVersion: "hl7.unsupported_version"
        case .unsupportedProcessingID: "hl7.unsupported_processing_id"
        case .unexpectedSegment: "hl7.segment_sequence"
        case .requiredFieldMissing: "hl7.required_field_missing"
        case .invalidDateTime: "hl7.invalid_datetime"
        case .dateOutOfRange: "hl7.date_out_of_range"
        case .invalidNumber: "hl7.invalid_number"
        case .invalidIdentifier: "hl7.invalid_identifier"
        case .unknownCode: "hl7.unknown_code"
        case .unknownTestCode: "hl7.unknown_test_code"
        case .unknownResultValue: "hl7.unknown_result_value"
        case .conflictingResult: "hl7.conflicting_result"
        case .noResultInOrder: "hl7.no_result_in_order"
        case .unexpectedValueType: "hl7.unexpected_value_type"
        case .unknownSpecimenLabel: "app.unknown_specimen_label"
        case .applicationFailure: "app.internal_error"
        case .mllpFrameTooLarge: "mllp.frame_too_large"
        case .mllpFrameInterrupted: "mllp.frame_interrupted"
        case .mllpInvalidTrailer: "mllp.invalid_trailer"
        case .mllpInvalidPayload: "mllp.invalid_payload"
        case .invalidJSON: "json.invalid"
        case .jsonTooDeep: "json.too_deep"
        case .fhirWrongResourceType: "fhir.wrong_resource_type"
        case .fhirUnsupportedBundleType: "fhir.unsupported_bundle_type"
        case .fhirUnsupportedRequest: "fhir.unsupported_request"
        case .fhirMissingElement: "fhir.missing_element"
        case .fhirInvalidElement: "fhir.invalid_element"
        case .fhirInvalidDateTime: "fhir.invalid_datetime"
        case .fhirUnknownCode: "fhir.unknown_code"
        case .fhirUnresolvedReference: "fhir.unresolved_reference"
        case .fhirDuplicateFullUrl: "fhir.duplicate_full_url"
        case .fhirTooManyEntries: "fhir.too_many_entries"
        case .fhirReferencedEntryFailed: "fhir.referenced_entry_failed"
        case .fhirTransactionFailed: "fhir.transaction_failed"
        case .fhirInvalidID: "fhir.invalid_id"
        }
    }

    /// Human message in English for logs and for the sending laboratory.
    package var messageEN: String {
        switch self {
        case .inputTooLarge(let limit): "Input exceeds the size limit of \(limit) bytes."
        case .emptyInput: "Input is empty."
        case .invalidUTF8: "Input is not valid UTF-8."
        case .unsupportedCharacterSet(let cs): "Character set '\(LabText.clip(cs))' is not supported; use UNICODE UTF-8."
        case .missingHeader: "Message does not start with an MSH segment."
        case .invalidDelimiters: "MSH-1/MSH-2 do not define valid, distinct delimiters."
        case .invalidSegmentID(let id, let i): "Segment \(i + 1) has an invalid segment id '\(LabText.clip(id))'."
        case .tooManySegments(let limit): "Message has more than \(limit) segments."
        case .segmentTooLong(let loc, let limit): "Segment \(loc) is longer than \(limit) bytes."
        case .tooManyFields(let loc, let limit): "Segment \(loc) has more than \(limit) fields."
        case .tooManyRepetitions(let loc, let limit): "Field \(loc) has more than \(limit) repetitions."
        case .unsupportedMessageType(let t): "Message type '\(LabText.clip(t))' is not supported; expected ORU^R01."
        case .unsupportedVersion(let v): "HL7 version '\(LabText.clip(v))' is not supported; expected 2.5.1."
        case .unsupportedProcessingID(let p): "Processing id '\(LabText.clip(p))' is not accepted."
        case .unexpectedSegment(let loc, let expected): "Segment \(loc) is out of order; expected \(expected)."
        case .requiredFieldMissing(let loc): "Required field \(loc) is missing."
        case .invalidDateTime(let loc, let v): "Field \(loc) has an invalid date/time '\(LabText.clip(v))'."
        case .dateOutOfRange(let loc, let v): "Field \(loc) has a date outside 1900–2100: '\(LabText.clip(v))'."
        case .invalidNumber(let loc, let v): "Field \(loc) is not a valid number: '\(LabText.clip(v))'."
        case .invalidIdentifier(let loc, let v): "Field \(loc) has an invalid identifier '\(LabText.clip(v))' (CCCD has 12 digits, CMND 9)."
        case .unknownCode(let loc, let v): "Field \(loc) has a code not in its table: '\(LabText.clip(v))'."
        case .unknownTestCode(let loc, let c): "Field \(loc) has test code '\(LabText.clip(c))', which is not a SARS-CoV-2 test we accept (94500-6, 94558-4)."
        case .unknownResultValue(let loc, let v): "Field \(loc) has a result value we cannot interpret: '\(LabText.clip(v))'."
        case .conflictingResult(let loc, let v, let f): "Field \(loc): result '\(LabText.clip(v))' contradicts abnormal flag '\(LabText.clip(f))'."
        case .noResultInOrder(let loc): "Order \(loc) contains no SARS-CoV-2 result."
        case .unexpectedValueType(let loc, let v): "Field \(loc): value type '\(LabText.clip(v))' is not valid for this observation."
        case .unknownSpecimenLabel(_, let label): "Specimen label '\(LabText.clip(label))' is not registered by any sampling team."
        case .applicationFailure(let reason): "Internal processing error (\(LabText.clip(reason, max: 120))); please resend later."
        case .mllpFrameTooLarge(let limit): "MLLP frame exceeds \(limit) bytes; frame dropped."
        case .mllpFrameInterrupted: "MLLP frame was interrupted by a new start block before its end."
        case .mllpInvalidTrailer: "MLLP end block 0x1C was not followed by 0x0D; frame dropped."
        case .mllpInvalidPayload: "Payload contains MLLP framing bytes (0x0B or 0x1C)."
        case .invalidJSON: "Body is not valid JSON."
        case .jsonTooDeep(let limit): "JSON nesting is deeper than \(limit) levels."
        case .fhirWrongResourceType(let p, let e, let f): "\(p): expected resourceType \(e) but found '\(LabText.clip(f))'."
        case .fhirUnsupportedBundleType(let t): "Bundle.type '\(LabText.clip(t))' is not supported; use transaction or batch."
        case .fhirUnsupportedRequest(let p, let v): "\(p): request '\(LabText.clip(v))' is not supported; use POST or PUT of Patient, Specimen or Observation."
        case .fhirMissingElement(let p): "Required element \(p) is missing."
        case .fhirInvalidElement(let p, let v): "Element \(p) has an invalid value '\(LabText.clip(v))'."
        case .fhirInvalidDateTime(let p, let v): "Element \(p) has an invalid or out-of-range date/time '\(LabText.clip(v))'."
        case .fhirUnknownCode(let p, let v): "Element \(p) has a code we do not accept: '\(LabText.clip(v))'."
        case .fhirUnresolvedReference(let p, let r): "Reference \(p) = '\(LabText.clip(r))' does not point to an entry in this Bundle."
        case .fhirDuplicateFullUrl(let p, let u): "\(p): fullUrl '\(LabText.clip(u))' is used by more than one entry."
        case .fhirTooManyEntries(let limit): "Bundle has more than \(limit) entries."
        case .fhirReferencedEntryFailed(let p, let i): "\(p) refers to Bundle.entry[\(i)], which failed."
        case .fhirTransactionFailed(let i): "Transaction rolled back because Bundle.entry[\(i)] failed."
        case .fhirInvalidID(let id): "'\(LabText.clip(id))' is not a valid FHIR id."
        }
    }

    /// Human message in Vietnamese for the command-center operators.
    package var messageVI: String {
        switch self {
        case .inputTooLarge(let limit): "Dữ liệu vượt quá giới hạn \(limit) byte."
        case .emptyInput: "Dữ liệu rỗng."
        case .invalidUTF8: "Dữ liệu không phải UTF-8 hợp lệ."
        case .unsupportedCharacterSet(let cs): "Bộ mã ký tự '\(LabText.clip(cs))' không được hỗ trợ; hãy dùng UNICODE UTF-8."
        case .missingHeader: "Bản tin không bắt đầu bằng phân đoạn MSH."
        case .invalidDelimiters: "MSH-1/MSH-2 không khai báo ký tự phân cách hợp lệ."
        case .invalidSegmentID(let id, let i): "Phân đoạn thứ \(i + 1) có mã không hợp lệ '\(LabText.clip(id))'."
        case .tooManySegments(let limit): "Bản tin có quá \(limit) phân đoạn."
        case .segmentTooLong(let loc, let limit): "Phân đoạn \(loc) dài quá \(limit) byte."
        case .tooManyFields(let loc, let limit): "Phân đoạn \(loc) có quá \(limit) trường."
        case .tooManyRepetitions(let loc, let limit): "Trường \(loc) lặp quá \(limit) lần."
        case .unsupportedMessageType(let t): "Loại bản tin '\(LabText.clip(t))' không được hỗ trợ; cần ORU^R01."
        case .unsupportedVersion(let v): "Phiên bản HL7 '\(LabText.clip(v))' không được hỗ trợ; cần 2.5.1."
        case .unsupportedProcessingID(let p): "Mã xử lý '\(LabText.clip(p))' không được chấp nhận."
        case .unexpectedSegment(let loc, let expected): "Phân đoạn \(loc) sai thứ tự; cần \(expected)."
        case .requiredFieldMissing(let loc): "Thiếu trường bắt buộc \(loc)."
        case .invalidDateTime(let loc, let v): "Trường \(loc) có ngày giờ không hợp lệ '\(LabText.clip(v))'."
        case .dateOutOfRange(let loc, let v): "Trường \(loc) có ngày nằm ngoài khoảng 1900–2100: '\(LabText.clip(v))'."
        case .invalidNumber(let loc, let v): "Trường \(loc) không phải số hợp lệ: '\(LabText.clip(v))'."
        case .invalidIdentifier(let loc, let v): "Trường \(loc) có số giấy tờ không hợp lệ '\(LabText.clip(v))' (CCCD 12 số, CMND 9 số)."
        case .unknownCode(let loc, let v): "Trường \(loc) có mã không có trong bảng mã: '\(LabText.clip(v))'."
        case .unknownTestCode(let loc, let c): "Trường \(loc) có mã xét nghiệm '\(LabText.clip(c))' không phải xét nghiệm SARS-CoV-2 được chấp nhận (94500-6, 94558-4)."
        case .unknownResultValue(let loc, let v): "Trường \(loc) có kết quả không đọc được: '\(LabText.clip(v))'."
        case .conflictingResult(let loc, let v, let f): "Trường \(loc): kết quả '\(LabText.clip(v))' mâu thuẫn với cờ bất thường '\(LabText.clip(f))'."
        case .noResultInOrder(let loc): "Chỉ định \(loc) không có kết quả SARS-CoV-2 nào."
        case .unexpectedValueType(let loc, let v): "Trường \(loc): kiểu dữ liệu '\(LabText.clip(v))' không hợp lệ cho kết quả này."
        case .unknownSpecimenLabel(_, let label): "Mã ống mẫu '\(LabText.clip(label))' chưa được đội lấy mẫu nào đăng ký."
        case .applicationFailure(let reason): "Lỗi xử lý nội bộ (\(LabText.clip(reason, max: 120))); vui lòng gửi lại sau."
        case .mllpFrameTooLarge(let limit): "Khung MLLP vượt quá \(limit) byte; đã bỏ khung."
        case .mllpFrameInterrupted: "Khung MLLP bị ngắt bởi ký tự bắt đầu mới trước khi kết thúc."
        case .mllpInvalidTrailer: "Sau ký tự kết thúc 0x1C không có 0x0D; đã bỏ khung."
        case .mllpInvalidPayload: "Nội dung chứa ký tự khung MLLP (0x0B hoặc 0x1C)."
        case .invalidJSON: "Nội dung không phải JSON hợp lệ."
        case .jsonTooDeep(let limit): "JSON lồng nhau sâu quá \(limit) mức."
        case .fhirWrongResourceType(let p, let e, let f): "\(p): cần resourceType \(e) nhưng nhận '\(LabText.clip(f))'."
        case .fhirUnsupportedBundleType(let t): "Bundle.type '\(LabText.clip(t))' không được hỗ trợ; dùng transaction hoặc batch."
        case .fhirUnsupportedRequest(let p, let v): "\(p): yêu cầu '\(LabText.clip(v))' không được hỗ trợ; dùng POST hoặc PUT cho Patient, Specimen, Observation."
        case .fhirMissingElement(let p): "Thiếu phần tử bắt buộc \(p)."
        case .fhirInvalidElement(let p, let v): "Phần tử \(p) có giá trị không hợp lệ '\(LabText.clip(v))'."
        case .fhirInvalidDateTime(let p, let v): "Phần tử \(p) có ngày giờ không hợp lệ hoặc ngoài khoảng '\(LabText.clip(v))'."
        case .fhirUnknownCode(let p, let v): "Phần tử \(p) có mã không được chấp nhận: '\(LabText.clip(v))'."
        case .fhirUnresolvedReference(let p, let r): "Tham chiếu \(p) = '\(LabText.clip(r))' không trỏ tới mục nào trong Bundle."
        case .fhirDuplicateFullUrl(let p, let u): "\(p): fullUrl '\(LabText.clip(u))' bị dùng cho nhiều mục."
        case .fhirTooManyEntries(let limit): "Bundle có quá \(limit) mục."
        case .fhirReferencedEntryFailed(let p, let i): "\(p) tham chiếu tới Bundle.entry[\(i)] bị lỗi."
        case .fhirTransactionFailed(let i): "Giao dịch bị hủy vì Bundle.entry[\(i)] lỗi."
        case .fhirInvalidID(let id): "'\(LabText.clip(id))' không phải FHIR id hợp lệ."
        }
    }

    /// HL7 table 0357 code reported in ERR-3 for this error.
    package var hl7ErrorCode: HL7ErrorCode {
        switch self {
        case .unsupportedMessageType: .unsupportedMessageType
        case .unsupportedVersion: .unsupportedVersionID
        case .unsupportedProcessingID: .unsupportedProcessingID
        case .unexpectedSegment, .missingHeader, .invalidSegmentID, .noResultInOrder: .segmentSequenceError
        case .requiredFieldMissing: .requiredFieldMissing
        case .invalidDateTime, .dateOutOfRange, .invalidNumber, .invalidIdentifier, .invalidDelimiters, .unexpectedValueType,
             .invalidUTF8, .segmentTooLong, .tooManyFields, .tooManyRepetitions, .tooManySegments,
             .inputTooLarge, .emptyInput, .unsupportedCharacterSet:
            .dataTypeError
        case .unknownCode, .unknownTestCode, .unknownResultValue, .conflictingResult: .tableValueNotFound
        case .unknownSpecimenLabel: .unknownKeyIdentifier
        default: .applicationInternalError
        }
    }

    /// Where in an HL7 message the error sits, when it is tied to one place.
    package var hl7Location: HL7Location? {
        switch self {
        case .segmentTooLong(let l, _), .tooManyFields(let l, _), .tooManyRepetitions(let l, _),
             .unexpectedSegment(let l, _), .requiredFieldMissing(let l), .invalidDateTime(let l, _),
             .dateOutOfRange(let l, _), .invalidNumber(let l, _), .invalidIdentifier(let l, _),
             .unknownCode(let l, _), .unknownTestCode(let l, _), .unknownResultValue(let l, _),
             .conflictingResult(let l, _, _), .noResultInOrder(let l), .unexpectedValueType(let l, _):
            l
        case .unknownSpecimenLabel(let l, _): l
        case .unsupportedMessageType: HL7Location(segment: "MSH", field: 9)
        case .unsupportedVersion: HL7Location(segment: "MSH", field: 12)
        case .unsupportedProcessingID: HL7Location(segment: "MSH", field: 11)
        case .unsupportedCharacterSet: HL7Location(segment: "MSH", field: 18)
        case .invalidDelimiters: HL7Location(segment: "MSH", field: 2)
        default: nil
        }
    }

    /// FHIR OperationOutcome issue type (IssueType value set) for this error.
    package var fhirIssueType: String {
        switch self {
        case .inputTooLarge, .fhirTooManyEntries, .jsonTooDeep: "too-costly"
        case .invalidJSON, .invalidUTF8, .emptyInput, .fhirWrongResourceType: "structure"
        case .fhirMissingElement, .requiredFieldMissing: "required"
        case .fhirUnknownCode, .unknownCode, .unknownTestCode, .unknownResultValue: "code-invalid"
        case .fhirUnresolvedReference: "not-found"
        case .fhirDuplicateFullUrl: "duplicate"
        case .fhirUnsupportedBundleType, .fhirUnsupportedRequest, .unsupportedMessageType, .unsupportedVersion,
             .unsupportedCharacterSet:
            "not-supported"
        case .fhirReferencedEntryFailed, .fhirTransactionFailed: "processing"
        case .unknownSpecimenLabel: "not-found"
        case .applicationFailure: "exception"
        default: "invalid"
        }
    }

    /// FHIRPath-like location for OperationOutcome.issue.expression.
    package var fhirExpression: String? {
        switch self {
        case .fhirWrongResourceType(let p, _, _), .fhirUnsupportedRequest(let p, _), .fhirMissingElement(let p),
             .fhirInvalidElement(let p, _), .fhirInvalidDateTime(let p, _), .fhirUnknownCode(let p, _),
             .fhirUnresolvedReference(let p, _), .fhirDuplicateFullUrl(let p, _), .fhirReferencedEntryFailed(let p, _):
            p
        default: nil
        }
    }
}

extension LabFormatError: CustomStringConvertible {
    /// Code plus English text, for logs.
    package var description: String { "\(code): \(messageEN)" }
}

/// A problem found while reading a message, with how serious it is.
package struct LabIssue: Sendable, Hashable {
    /// Severity, matching HL7 table 0516 (E/W/I) and FHIR IssueSeverity.
    package enum Severity: String, Sendable, Hashable {
        case error, warning, information

        /// HL7 table 0516 code (E, W, I) for ERR-4.
        package var hl7Code: String {
            switch self {
            case .error: "E"
            case .warning: "W"
            case .information: "I"
            }
        }
    }

    /// What went wrong.
    package var error: LabFormatError
    /// How serious it is.
    package var severity: Severity

    /// Creates a value from its parts.
    package init(_ error: LabFormatError, severity: Severity = .error) {
        self.error = error
        self.severity = severity
    }
}
