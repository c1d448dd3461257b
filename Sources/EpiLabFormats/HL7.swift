import Foundation

// A generic, allocation-light HL7 v2 ER7 ("pipe and hat") reader.
// Parsing indexes the segment and field boundaries of the raw bytes once; repetitions,
// components and subcomponents are located on demand because an ORU reader touches
// only a few dozen of the hundreds of fields a message can carry.

/// The five HL7 delimiters declared by MSH-1 and MSH-2.
package struct HL7Delimiters: Sendable, Hashable {
    /// Field separator (MSH-1).
    package var field: UInt8
    /// Component separator.
    package var component: UInt8
    /// Repetition separator.
    package var repetition: UInt8
    /// Escape character.
    package var escape: UInt8
    /// Subcomponent separator.
    package var subcomponent: UInt8

    /// The recommended set `|^~\&`.
    package static let standard = HL7Delimiters(
        field: UInt8(ascii: "|"), component: UInt8(ascii: "^"), repetition: UInt8(ascii: "~"),
        escape: UInt8(ascii: "\\"), subcomponent: UInt8(ascii: "&"))

    /// Creates a value from its parts.
    package init(field: UInt8, component: UInt8, repetition: UInt8, escape: UInt8, subcomponent: UInt8) {
        self.field = field
        self.component = component
        self.repetition = repetition
        self.escape = escape
        self.subcomponent = subcomponent
    }

    /// MSH-2 text, e.g. "^~\&".
    package var encodingCharacters: String {
        String(decoding: [component, repetition, escape, subcomponent], as: UTF8.self)
    }

    /// True when the byte is any of the five delimiters.
    @inline(__always)
    package func isDelimiter(_ b: UInt8) -> Bool {
        b == field || b == component || b == repetition || b == escape || b == subcomponent
    }
}

/// Size limits applied while parsing, so a hostile sender cannot make us allocate without bound.
package struct HL7Limits: Sendable, Hashable {
    /// Largest message accepted, in bytes.
    package var maxMessageBytes: Int
    /// Most segments per message.
    package var maxSegments: Int
    /// Longest segment, in bytes.
    package var maxSegmentBytes: Int
    /// Most fields per segment.
    package var maxFieldsPerSegment: Int
    /// Most repetitions read from one field.
    package var maxRepetitions: Int

    /// Creates a value from its parts.
    package init(maxMessageBytes: Int = 1 << 20, maxSegments: Int = 5_000, maxSegmentBytes: Int = 65_536,
                 maxFieldsPerSegment: Int = 256, maxRepetitions: Int = 64) {
        self.maxMessageBytes = maxMessageBytes
        self.maxSegments = maxSegments
        self.maxSegmentBytes = maxSegmentBytes
        self.maxFieldsPerSegment = maxFieldsPerSegment
        self.maxRepetitions = maxRepetitions
    }

    /// Defaults sized for lab result messages (a 10-person pooled ORU is about 6 KB).
    package static let `default` = HL7Limits()
}

/// Immutable backing store shared by all views of one parsed message.

final class HL7Storage: Sendable {
    let bytes: [UInt8]
    /// For every field of every segment: start and end byte offsets, flattened.
    let bounds: [Int]
    let segments: [SegmentRecord]
    let delimiters: HL7Delimiters

    struct SegmentRecord: Sendable {
        /// Segment id packed big-endian into 24 bits for cheap comparisons.
        var id: UInt32
        /// Index in `bounds` (in pairs) of split item 0, the segment id.
        var firstField: Int
        /// Number of split items including the segment id.
        var itemCount: Int
        /// 1-based occurrence of this segment id in the message.
        var sequence: Int
        var isMSH: Bool
    }

    /// Trimmed, unescaped text of bytes [lo, hi); nil when blank or the explicit null `""`.
    /// Trimming, the escape check and decoding share one buffer access because this runs for every field read.
    func text(_ lo: Int, _ hi: Int, literal: Bool) -> String? {
        let esc = delimiters.escape
        let fast: (String?, Int, Int, Bool) = bytes.withUnsafeBufferPointer { buf in
            var s = max(0, lo)
            var e = min(hi, buf.count)
            while s < e, buf[s] == 0x20 || buf[s] == 0x09 { s += 1 }
            while e > s, buf[e - 1] == 0x20 || buf[e - 1] == 0x09 { e -= 1 }
            if s >= e { return (nil, s, e, false) }
            if e - s == 2, buf[s] == 0x22, buf[s + 1] == 0x22 { return (nil, s, e, false) }  // HL7 explicit null ""
            if !literal {
                var p = s
                while p < e {
                    if buf[p] == esc { return (nil, s, e, true) }
                    p += 1
                }
            }
            return (String(decoding: UnsafeBufferPointer(rebasing: buf[s..<e]), as: UTF8.self), s, e, false)
        }
        guard fast.3 else { return fast.0 }
        // Escapes present: decode them, then trim blanks an escape may have produced (e.g. \X20\).
        let out = LabText.trimmed(HL7Escaping.unescape(bytes[fast.1..<fast.2], delimiters: delimiters))
        return out.isEmpty ? nil : out
    }

    init(bytes: [UInt8], bounds: [Int], segments: [SegmentRecord], delimiters: HL7Delimiters) {
        self.bytes = bytes
        self.bounds = bounds
        self.segments = segments
        self.delimiters = delimiters
    }
}

/// A parsed HL7 v2 message: segments, fields, repetitions, components and subcomponents.
package struct HL7Message: Sendable {
    let storage: HL7Storage

    /// Delimiters declared by this message's MSH.
    package var delimiters: HL7Delimiters { storage.delimiters }

    /// Number of segments.
    package var segmentCount: Int { storage.segments.count }

    /// The segment at a 0-based position, or nil when out of range.
    package func segment(at index: Int) -> HL7Segment? {
        guard index >= 0, index < storage.segments.count else { return nil }
        return HL7Segment(storage: storage, index: index)
    }

    /// All segments in order.
    package var segments: [HL7Segment] {
        (0..<storage.segments.count).map { HL7Segment(storage: storage, index: $0) }
    }

    /// All segments with the given 3-character id.
    package func segments(_ id: String) -> [HL7Segment] {
        let code = HL7Segment.pack(id)
        return storage.segments.indices.filter { storage.segments[$0].id == code }.map { HL7Segment(storage: storage, index: $0) }
    }

    /// The first segment with the given id.
    package func first(_ id: String) -> HL7Segment? {
        let code = HL7Segment.pack(id)
        guard let i = storage.segments.firstIndex(where: { $0.id == code }) else { return nil }
        return HL7Segment(storage: storage, index: i)
    }

    /// Parses ER7 text given as a Swift string.
    package static func parse(_ text: String, limits: HL7Limits = .default) throws(LabFormatError) -> HL7Message {
        try parse(Array(text.utf8), limits: limits)
    }

    /// Parses ER7 bytes: CR, LF or CRLF end segments; MSH-18 selects UTF-8 (default) or ISO 8859-1.
    package static func parse(_ input: [UInt8], limits: HL7Limits = .default) throws(LabFormatError) -> HL7Message {
        let message = try index(input, limits: limits)
        let charset = message.first("MSH")?.field(18).component(1).text?.uppercased() ?? ""
        switch charset {
        case "", "ASCII", "UNICODE UTF-8", "UTF-8", "UTF8":
            guard UTF8Check.isValid(message.storage.bytes) else { throw .invalidUTF8 }
            return message
        case "8859/1":
            // Latin-1 maps byte-for-byte onto U+0000–U+00FF; transcode once so all accessors can assume UTF-8.
            let utf8 = UTF8Check.latin1ToUTF8(message.storage.bytes)
            guard utf8.count <= limits.maxMessageBytes * 2 else { throw .inputTooLarge(limit: limits.maxMessageBytes) }
            var relaxed = limits
            relaxed.maxMessageBytes = limits.maxMessageBytes * 2
            relaxed.maxSegmentBytes = limits.maxSegmentBytes * 2
            return try index(utf8, limits: relaxed)
        default:
            throw .unsupportedCharacterSet(charset)
        }
    }

    /// Reads delimiters and indexes segment/field boundaries without decoding any text.
    static func index(_ input: [UInt8], limits: HL7Limits) throws(LabFormatError) -> HL7Message {
        guard input.count <= limits.maxMessageBytes else { throw .inputTooLarge(limit: limits.maxMessageBytes) }
        let n = input.count
        var start = 0
        if n >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { start = 3 }
        while start < n, input[start] == 0x0D || input[start] == 0x0A || input[start] == 0x20 || input[start] == 0x09 {
            start += 1
        }
        guard start < n else { throw .emptyInput }
        guard n - start >= 8, input[start] == UInt8(ascii: "M"), input[start + 1] == UInt8(ascii: "S"),
              input[start + 2] == UInt8(ascii: "H")
        else { throw .missingHeader }

        let fs = input[start + 3]
        var enc: [UInt8] = []
        var k = start + 4
        while k < n, input[k] != fs, input[k] != 0x0D, input[k] != 0x0A, enc.count < 6 {
            enc.append(input[k])
            k += 1
        }
        // 2.5.1 has four encoding characters; v2.7+ adds a truncation character, which we tolerate and ignore.
        guard enc.count == 4 || enc.count == 5 else { throw .invalidDelimiters }
        let delims = HL7Delimiters(field: fs, component: enc[0], repetition: enc[1], escape: enc[2], subcomponent: enc[3])
        let all = [fs] + enc
        for (a, x) in all.enumerated() {
            guard x >= 0x21, x <= 0x7E, !isAlnum(x) else { throw .invalidDelimiters }
            for y in all[(a + 1)...] where y == x { throw .invalidDelimiters }
        }

        // The scan runs over raw memory inside one closure so the growing arrays are locals (no exclusivity
        // checks on captured variables); every read is guarded by an index below `n`.
        let scanned: Result<([Int], [HL7Storage.SegmentRecord]), LabFormatError> = input.withUnsafeBufferPointer { buf in
            let n = buf.count
            var bounds: [Int] = []
            bounds.reserveCapacity(min(n / 4, 4096))
            var segments: [HL7Storage.SegmentRecord] = []
            segments.reserveCapacity(min(n / 40 + 4, 512))
            // Few distinct segment ids per message, so a linear list beats hashing.
            var occurrences: [(id: UInt32, count: Int)] = []
            let maxFields = limits.maxFieldsPerSegment
            let raw = UnsafeRawBufferPointer(buf)
            let fsPattern = UInt64(fs) &* 0x0101_0101_0101_0101
            let crPattern: UInt64 = 0x0D0D_0D0D_0D0D_0D0D
            let lfPattern: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
            var i = start
            while i < n {
                let first = bounds.count / 2
                var fieldStart = i
                var items = 0
                var e = i
                // One pass per line: find its end and every field separator.
                while e < n {
                    // Skip 8 bytes at a time while none of them is CR, LF or the field separator.
                    if e + 8 <= n {
                        let word = raw.loadUnaligned(fromByteOffset: e, as: UInt64.self)
                        if !containsByte(word, fsPattern) && !containsByte(word, crPattern) && !containsByte(word, lfPattern) {
                            e += 8
                            continue
                        }
                    }
                    let b = buf[e]
                    if b == 0x0D || b == 0x0A { break }
                    if b == fs {
                        items += 1
                        // Past the limit we only count, so a line of separators cannot grow `bounds` unboundedly.
                        if items <= maxFields {
                            bounds.append(fieldStart)
                            bounds.append(e)
                        }
                        fieldStart = e + 1
                    }
                    e += 1
                }
                bounds.append(fieldStart)
                bounds.append(e)
                items += 1
                let recorded = min(items - 1, maxFields) + 1
                defer { i = e + 1 }
                var blank = true
                var k = i
                while k < e {
                    if buf[k] != 0x20 && buf[k] != 0x09 { blank = false; break }
                    k += 1
                }
                if blank {
                    // Empty or whitespace-only lines (editors, trailing padding) are not segments.
                    bounds.removeLast(2 * recorded)
                    continue
                }
                let segIndex = segments.count
                guard segIndex < limits.maxSegments else { return .failure(.tooManySegments(limit: limits.maxSegments)) }
                guard e - i >= 3, isUpperAlnum(buf[i]), isUpperAlnum(buf[i + 1]), isUpperAlnum(buf[i + 2]),
                      e - i == 3 || buf[i + 3] == fs
                else {
                    let shown = String(decoding: UnsafeBufferPointer(rebasing: buf[i..<min(e, i + 8)]), as: UTF8.self)
                    return .failure(.invalidSegmentID(shown, segmentIndex: segIndex))
                }
                let id = UInt32(buf[i]) << 16 | UInt32(buf[i + 1]) << 8 | UInt32(buf[i + 2])
                var seq = 1
                if let x = occurrences.firstIndex(where: { $0.id == id }) {
                    occurrences[x].count += 1
                    seq = occurrences[x].count
                } else {
                    occurrences.append((id, 1))
                }
                let idText = String(decoding: UnsafeBufferPointer(rebasing: buf[i..<(i + 3)]), as: UTF8.self)
                guard e - i <= limits.maxSegmentBytes else {
                    return .failure(.segmentTooLong(HL7Location(segment: idText, sequence: seq), limit: limits.maxSegmentBytes))
                }
                guard items - 1 <= maxFields else {
                    return .failure(.tooManyFields(HL7Location(segment: idText, sequence: seq), limit: maxFields))
                }
                segments.append(.init(id: id, firstField: first, itemCount: items, sequence: seq, isMSH: id == HL7Segment.mshCode))
            }
            return .success((bounds, segments))
        }
        let (bounds, segments) = try scanned.get()
        guard let firstSeg = segments.first, firstSeg.isMSH else { throw .missingHeader }
        return HL7Message(storage: HL7Storage(bytes: input, bounds: bounds, segments: segments, delimiters: delims))
    }

    /// True when any byte of `word` equals the byte repeated in `pattern` (classic SWAR zero-byte test;
    /// the wrapping arithmetic is intended and cannot trap or read memory).
    @inline(__always)
    private static func containsByte(_ word: UInt64, _ pattern: UInt64) -> Bool {
        let x = word ^ pattern
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    @inline(__always)
    private static func isUpperAlnum(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
    }

    @inline(__always)
    private static func isAlnum(_ b: UInt8) -> Bool {
        isUpperAlnum(b) || (b >= 0x61 && b <= 0x7A)
    }
}

/// One segment of a parsed message.
package struct HL7Segment: Sendable {
    let storage: HL7Storage
    let index: Int

    static let mshCode: UInt32 = pack("MSH")

    /// Packs a 3-letter id the same way the parser does.
    static func pack(_ id: String) -> UInt32 {
        let u = id.utf8
        guard u.count == 3 else { return UInt32.max }
        var code: UInt32 = 0
        for b in u { code = code << 8 | UInt32(b) }
        return code
    }

    private var record: HL7Storage.SegmentRecord { storage.segments[index] }

    /// Segment id such as "OBX".
    package var id: String {
        let c = record.id
        let bytes = (UInt8(truncatingIfNeeded: c >> 16), UInt8(truncatingIfNeeded: c >> 8), UInt8(truncatingIfNeeded: c))
        return withUnsafeBytes(of: bytes) { String(decoding: $0.bindMemory(to: UInt8.self), as: UTF8.self) }
    }

    /// Packed segment id, for allocation-free dispatch inside the module.
    var code: UInt32 { record.id }

    /// True when this segment has the given id (no string allocation).
    package func `is`(_ id: String) -> Bool { record.id == HL7Segment.pack(id) }

    /// 1-based occurrence of this segment id in the message (ERR-2.2).
    package var sequence: Int { record.sequence }

    /// 0-based position in the message.
    package var position: Int { index }

    /// Highest field number present (MSH counts MSH-1 as a field).
    package var fieldCount: Int {
        let r = record
        return r.isMSH ? r.itemCount : r.itemCount - 1
    }

    /// A location pointing at a field of this segment, for error reports.
    package func location(_ field: Int? = nil, component: Int? = nil, subcomponent: Int? = nil) -> HL7Location {
        HL7Location(segment: id, sequence: sequence, field: field, component: component, subcomponent: subcomponent)
    }

    /// Field `n` (1-based, as in "PID-3"); empty when absent.
    package func field(_ n: Int) -> HL7Value {
        let r = record
        if r.isMSH {
            guard n >= 1 else { return .empty(storage) }
            if n == 1 {
                // MSH-1 is the field separator itself: the byte right after "MSH".
                let s = storage.bounds[2 * r.firstField]
                return HL7Value(storage: storage, start: s + 3, end: s + 4, level: .field, literal: true)
            }
            let item = n - 1
            guard item < r.itemCount else { return .empty(storage) }
            let b = 2 * (r.firstField + item)
            return HL7Value(storage: storage, start: storage.bounds[b], end: storage.bounds[b + 1], level: .field, literal: n == 2)
        }
        guard n >= 1, n < r.itemCount else { return .empty(storage) }
        let b = 2 * (r.firstField + n)
        return HL7Value(storage: storage, start: storage.bounds[b], end: storage.bounds[b + 1], level: .field, literal: false)
    }

    /// Finds the byte range of field/repetition/component/subcomponent in one scan; nil when absent.
    private func locate(_ f: Int, _ c: Int, _ s: Int, _ rep: Int) -> (lo: Int, hi: Int, literal: Bool)? {
        guard f >= 1, rep >= 1, c >= 0, s >= 0 else { return nil }
        let r = record
        let bounds = storage.bounds
        var item = f
        var literal = false
        if r.isMSH {
            let base = bounds[2 * r.firstField]
            if f == 1 { return (c <= 1 && s <= 1 && rep == 1) ? (base + 3, base + 4, true) : nil }
            item = f - 1
            literal = f == 2
        }
        guard item < r.itemCount else { return nil }
        let b = 2 * (r.firstField + item)
        let fieldLo = bounds[b]
        let fieldHi = bounds[b + 1]
        if literal { return (c <= 1 && s <= 1 && rep == 1) ? (fieldLo, fieldHi, true) : nil }
        let d = storage.delimiters
        return storage.bytes.withUnsafeBufferPointer { buf -> (lo: Int, hi: Int, literal: Bool)? in
            var lo = fieldLo
            var hi = min(fieldHi, buf.count)
            // Narrows [lo, hi) to piece `n` between `sep` bytes.
            func narrow(_ sep: UInt8, _ n: Int) -> Bool {
                var index = 1
                var p = lo
                var pieceStart = lo
                while p < hi {
                    if buf[p] == sep {
                        if index == n {
                            hi = p
                            lo = pieceStart
                            return true
                        }
                        index += 1
                        pieceStart = p + 1
                    }
                    p += 1
                }
                if index == n {
                    lo = pieceStart
                    return true
                }
                return false
            }
            guard narrow(d.repetition, rep) else { return nil }
            if c > 0 { guard narrow(d.component, c) else { return nil } }
            if s > 0 { guard narrow(d.subcomponent, s) else { return nil } }
            return (lo, hi, false)
        }
    }

    /// Field `f`, repetition `rep`, component `c`, subcomponent `s` located in a single scan (0 = whole level).
    /// Equivalent to chaining `field(f).repetition(rep).component(c).subcomponent(s)` but creates one view instead of four,
    /// which matters because every view retains the shared storage.
    package func value(_ f: Int, _ c: Int = 0, _ s: Int = 0, rep: Int = 1) -> HL7Value {
        guard let (lo, hi, literal) = locate(f, c, s, rep) else { return .empty(storage) }
        let level: HL7Value.Level = literal ? .field : s > 0 ? .subcomponent : c > 0 ? .component : .repetition
        return HL7Value(storage: storage, start: lo, end: hi, level: level, literal: literal)
    }

    /// Trimmed, unescaped text at field/component/subcomponent (see `value`); nil when blank.
    package func text(_ f: Int, _ c: Int = 0, _ s: Int = 0, rep: Int = 1) -> String? {
        guard let (lo, hi, literal) = locate(f, c, s, rep) else { return nil }
        return storage.text(lo, hi, literal: literal)
    }

    /// The segment's raw text (without terminator).
    package var rawText: String {
        let r = record
        let s = storage.bounds[2 * r.firstField]
        let e = storage.bounds[2 * (r.firstField + r.itemCount - 1) + 1]
        return String(decoding: storage.bytes[s..<e], as: UTF8.self)
    }
}

/// A view of a field, repetition, component or subcomponent.
package struct HL7Value: Sendable {
    /// How deep in the field hierarchy the view sits; decides which delimiter splits it next.
    package enum Level: Int, Sendable {
        case field, repetition, component, subcomponent
    }

    let storage: HL7Storage
    let start: Int
    let end: Int
    /// Which part of the hierarchy this view covers.
    package let level: Level
    /// MSH-1 and MSH-2 hold delimiters themselves and must never be split or unescaped.
    let literal: Bool

    static func empty(_ storage: HL7Storage) -> HL7Value {
        HL7Value(storage: storage, start: 0, end: 0, level: .subcomponent, literal: true)
    }

    /// True when the sender left this value blank.
    package var isEmpty: Bool { start >= end }

    /// True for the HL7 explicit null `""`, meaning "delete the stored value".
    package var isExplicitNull: Bool {
        end - start == 2 && storage.bytes[start] == 0x22 && storage.bytes[start + 1] == 0x22
    }

    /// Raw bytes with escapes left in place.
    package var rawText: String {
        guard start < end, end <= storage.bytes.count else { return "" }
        return storage.bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }

    /// Number of repetitions (a blank field has one, empty, repetition).
    package var repetitionCount: Int {
        guard level == .field, !literal else { return 1 }
        return count(of: storage.delimiters.repetition) + 1
    }

    /// Repetitions of a field, at most `limit`; other levels return themselves.
    package func repetitions(limit: Int = .max) -> [HL7Value] {
        guard level == .field, !literal else { return [self] }
        return split(storage.delimiters.repetition, level: .repetition, limit: limit)
    }

    /// Repetition `n` (1-based); empty when absent.
    package func repetition(_ n: Int) -> HL7Value {
        guard level == .field, !literal else { return n == 1 ? self : .empty(storage) }
        return nth(storage.delimiters.repetition, n, level: .repetition)
    }

    /// Component `n` (1-based) of the first repetition; a value without components is its own component 1.
    package func component(_ n: Int) -> HL7Value {
        if literal { return n == 1 ? self : .empty(storage) }
        switch level {
        case .field: return nth(storage.delimiters.component, n, level: .component, stop: storage.delimiters.repetition)
        case .repetition: return nth(storage.delimiters.component, n, level: .component)
        case .component, .subcomponent: return n == 1 ? self : .empty(storage)
        }
    }

    /// Subcomponent `n` (1-based) of a component (or of component 1 for fields and repetitions).
    package func subcomponent(_ n: Int) -> HL7Value {
        if literal { return n == 1 ? self : .empty(storage) }
        switch level {
        case .field, .repetition: return component(1).subcomponent(n)
        case .component: return nth(storage.delimiters.subcomponent, n, level: .subcomponent)
        case .subcomponent: return n == 1 ? self : .empty(storage)
        }
    }

    /// Components of a repetition (or of the first repetition of a field), at most `limit`.
    package func components(limit: Int = .max) -> [HL7Value] {
        if literal { return [self] }
        switch level {
        case .field: return repetition(1).components(limit: limit)
        case .repetition: return split(storage.delimiters.component, level: .component, limit: limit)
        case .component, .subcomponent: return [self]
        }
    }

    /// Subcomponents of a component (or of component 1 for fields and repetitions), at most `limit`.
    package func subcomponents(limit: Int = .max) -> [HL7Value] {
        if literal { return [self] }
        switch level {
        case .field, .repetition: return component(1).subcomponents(limit: limit)
        case .component: return split(storage.delimiters.subcomponent, level: .subcomponent, limit: limit)
        case .subcomponent: return [self]
        }
    }

    /// Shorthand for `component(c).subcomponent(s)`.
    package subscript(_ c: Int, _ s: Int = 1) -> HL7Value {
        component(c).subcomponent(s)
    }

    /// Unescaped text of the whole view (delimiters inside it are kept literally).
    package var string: String { decode(from: start, to: end) }

    /// Unescaped text with surrounding spaces/tabs removed; nil when blank or the explicit null `""`.
    package var text: String? { storage.text(start, end, literal: literal) }

    /// Parses the value as an HL7 DTM straight from the message bytes (no String is built on success); nil when blank.
    package var timestamp: Result<LabTimestamp, LabTimestamp.Failure>? {
        if isEmpty || isExplicitNull { return nil }
        let esc = storage.delimiters.escape
        let parsed: Result<LabTimestamp, LabTimestamp.Failure>?? = storage.bytes.withUnsafeBufferPointer { buf in
            var s = start
            var e = min(end, buf.count)
            while s < e, buf[s] == 0x20 || buf[s] == 0x09 { s += 1 }
            while e > s, buf[e - 1] == 0x20 || buf[e - 1] == 0x09 { e -= 1 }
            if s >= e { return .some(nil) }
            var p = s
            while p < e {
                if buf[p] == esc { return nil }  // escaped dates are unusual; take the slow path below
                p += 1
            }
            return .some(LabTimestamp.parseHL7(bytes: UnsafeBufferPointer(rebasing: buf[s..<e])))
        }
        if let parsed { return parsed }
        return text.map(LabTimestamp.parseHL7)
    }

    /// Decodes bytes [s, e) to a String, resolving escapes; uses the contiguous fast path when there are none.
    private func decode(from s: Int, to e: Int) -> String {
        if s >= e { return "" }
        let bytes = storage.bytes
        guard s >= 0, e <= bytes.count else { return "" }
        if !literal {
            let esc = storage.delimiters.escape
            var p = s
            while p < e {
                if bytes[p] == esc { return HL7Escaping.unescape(bytes[s..<e], delimiters: storage.delimiters) }
                p += 1
            }
        }
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[s..<e]), as: UTF8.self) }
    }

    // MARK: splitting

    private func count(of sep: UInt8) -> Int {
        var c = 0
        var p = start
        let bytes = storage.bytes
        while p < end {
            if bytes[p] == sep { c += 1 }
            p += 1
        }
        return c
    }

    /// The n-th piece between `sep` bytes; the scan also ends at `stop` (the repetition separator when a field is read as its first repetition).
    private func nth(_ sep: UInt8, _ n: Int, level: Level, stop: UInt8? = nil) -> HL7Value {
        guard n >= 1 else { return .empty(storage) }
        let stopByte = stop ?? sep
        let (s, e, found) = storage.bytes.withUnsafeBufferPointer { buf -> (Int, Int, Bool) in
            let limit = min(end, buf.count)
            var index = 1
            var s = start
            var p = start
            while p < limit {
                let b = buf[p]
                if b == sep {
                    if index == n { return (s, p, true) }
                    index += 1
                    s = p + 1
                } else if b == stopByte {
                    return (s, p, index == n)
                }
                p += 1
            }
            return (s, limit, index == n)
        }
        return found ? HL7Value(storage: storage, start: s, end: e, level: level, literal: false) : .empty(storage)
    }

    private func split(_ sep: UInt8, level: Level, limit: Int) -> [HL7Value] {
        var out: [HL7Value] = []
        let bytes = storage.bytes
        var s = start
        var p = start
        while p < end, out.count < limit {
            if bytes[p] == sep {
                out.append(HL7Value(storage: storage, start: s, end: p, level: level, literal: false))
                s = p + 1
            }
            p += 1
        }
        if out.count < limit { out.append(HL7Value(storage: storage, start: s, end: end, level: level, literal: false)) }
        return out
    }
}

/// HL7 escape sequence handling (v2.5.1 chapter 2.7).
package enum HL7Escaping {
    /// Resolves \F\ \S\ \T\ \R\ \E\, \Xhh..\ hex bytes and \.br\; drops \H\ \N\ \C..\ \M..\ \Z..\; keeps malformed sequences literally.
    package static func unescape(_ raw: ArraySlice<UInt8>, delimiters d: HL7Delimiters) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        let end = raw.endIndex
        while i < end {
            let b = raw[i]
            if b != d.escape {
                out.append(b)
                i += 1
                continue
            }
            var j = i + 1
            while j < end, raw[j] != d.escape { j += 1 }
            guard j < end, j > i + 1 else {
                // Unterminated or empty sequence: tolerate stray backslashes (file paths, typos) by keeping them.
                if j >= end {
                    out.append(contentsOf: raw[i..<end])
                    break
                }
                out.append(contentsOf: raw[i...j])
                i = j + 1
                continue
            }
            let body = raw[(i + 1)..<j]
            let first = body[body.startIndex]
            if body.count == 1 {
                switch first {
                case UInt8(ascii: "F"): out.append(d.field)
                case UInt8(ascii: "S"): out.append(d.component)
                case UInt8(ascii: "T"): out.append(d.subcomponent)
                case UInt8(ascii: "R"): out.append(d.repetition)
                case UInt8(ascii: "E"): out.append(d.escape)
                case UInt8(ascii: "H"), UInt8(ascii: "N"): break
                default: out.append(contentsOf: raw[i...j])
                }
            } else if first == UInt8(ascii: "X"), let decoded = hexBytes(body.dropFirst()) {
                out.append(contentsOf: decoded)
            } else if first == UInt8(ascii: ".") {
                let cmd = Array(body.dropFirst().prefix(2))
                if cmd == Array("br".utf8) || cmd == Array("sp".utf8) || cmd == Array("ce".utf8) { out.append(0x0A) }
                // Other formatting commands (.fi, .nf, .in, .ti, .sk) only affect display; drop them.
            } else if first == UInt8(ascii: "C") || first == UInt8(ascii: "M") || first == UInt8(ascii: "Z") {
                // Character-set switches and local escapes are not supported; drop them rather than leak markup.
            } else {
                out.append(contentsOf: raw[i...j])
            }
            i = j + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexBytes(_ s: ArraySlice<UInt8>) -> [UInt8]? {
        guard !s.isEmpty, s.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(s.count / 2)
        var i = s.startIndex
        while i < s.endIndex {
            guard let hi = hex(s[i]), let lo = hex(s[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    @inline(__always)
    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    /// Escapes text for one ER7 value: delimiters become \F\ \S\ \T\ \R\ \E\ and control characters \Xhh\.
    package static func escape(_ text: String, delimiters d: HL7Delimiters = .standard) -> String {
        var out: [UInt8] = []
        escape(text, into: &out, delimiters: d)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the escaped form of `text` to a byte buffer (used by the ACK writer).
    package static func escape(_ text: String, into out: inout [UInt8], delimiters d: HL7Delimiters = .standard) {
        var needs = false
        for b in text.utf8 where d.isDelimiter(b) || b < 0x20 || b == 0x7F {
            needs = true
            break
        }
        if !needs {
            out.append(contentsOf: text.utf8)
            return
        }
        let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)
        for b in text.utf8 {
            let letter: UInt8?
            switch b {
            case d.escape: letter = UInt8(ascii: "E")
            case d.field: letter = UInt8(ascii: "F")
            case d.component: letter = UInt8(ascii: "S")
            case d.subcomponent: letter = UInt8(ascii: "T")
            case d.repetition: letter = UInt8(ascii: "R")
            default: letter = nil
            }
            if let letter {
                out.append(d.escape)
                out.append(letter)
                out.append(d.escape)
            } else if b < 0x20 || b == 0x7F {
                // CR would end the segment and 0x0B/0x1C would break MLLP framing, so all controls go as hex.
                out.append(d.escape)
                out.append(UInt8(ascii: "X"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0x0F)])
                out.append(d.escape)
            } else {
                out.append(b)
            }
        }
    }
}

/// UTF-8 validation and Latin-1 transcoding on raw bytes.
package enum UTF8Check {
    /// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
    package static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0) }
    }

    /// Strict UTF-8 validation over a buffer; every index read is bounds-checked against `count`.
    package static func isValid(_ buf: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = buf.count
        var i = 0
        let raw = UnsafeRawBufferPointer(buf)
        while i < n {
            // ASCII fast path: eight bytes at a time.
            if i + 8 <= n, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b0 = buf[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            let need: Int
            var lo: UInt8 = 0x80
            var hi: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return false
            }
            guard i + need < n else { return false }
            let b1 = buf[i + 1]
            guard b1 >= lo, b1 <= hi else { return false }
            var k = 2
            while k <= need {
                let bk = buf[i + k]
                guard bk >= 0x80, bk <= 0xBF else { return false }
                k += 1
            }
            i += need + 1
        }
        return true
    }

    /// Converts ISO 8859-1 bytes to UTF-8.
    package static func latin1ToUTF8(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8)
        for b in bytes {
            if b < 0x80 {
                out.append(b)
            } else {
                out.append(0xC0 | (b >> 6))
                out.append(0x80 | (b & 0x3F))
            }
        }
        return out
    }
}
