import Foundation

// A small JSON model with ordered keys. FHIR JSON is conventionally written with
// resourceType first and must never contain null or empty values, which is easier to
// guarantee with our own writer than with JSONSerialization; our own reader also
// keeps numbers and booleans apart and enforces depth and size limits before any
// recursion can exhaust the stack.

/// A JSON value; objects keep their member order.
package indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    /// A number, kept as its literal text so FHIR decimals round-trip exactly.
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object(JSONObject)

    /// Integer number value.
    package static func int(_ v: Int) -> JSONValue { .number(String(v)) }

    /// Decimal number value (non-finite values have no JSON form and are written as 0).
    package static func decimal(_ v: Double) -> JSONValue { .number(v.isFinite ? JSONWriter.decimalText(v) : "0") }

    /// The string, when this is a string.
    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The object, when this is an object.
    package var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The array, when this is an array.
    package var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The literal number text, when this is a number.
    package var numberText: String? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// True for values FHIR forbids: null, "", [] and {}.
    package var isEmptyForFHIR: Bool {
        switch self {
        case .null: true
        case .string(let s): s.isEmpty
        case .array(let a): a.isEmpty
        case .object(let o): o.isEmpty
        default: false
        }
    }
}

/// An ordered JSON object.
package struct JSONObject: Sendable, Equatable {
    /// Member names in order.
    package private(set) var keys: [String] = []
    /// Member values in order.
    package private(set) var values: [JSONValue] = []

    /// Creates an empty value.
    package init() {}

    /// True when there are no members.
    package var isEmpty: Bool { keys.isEmpty }
    /// Number of members.
    package var count: Int { keys.count }

    /// Member value by key.
    package subscript(_ key: String) -> JSONValue? {
        guard let i = keys.firstIndex(of: key) else { return nil }
        return values[i]
    }

    /// Sets a member, dropping nil and FHIR-empty values so the output never holds null, "", [] or {}.
    package mutating func set(_ key: String, _ value: JSONValue?) {
        if let i = keys.firstIndex(of: key) {
            keys.remove(at: i)
            values.remove(at: i)
        }
        guard let value, !value.isEmptyForFHIR else { return }
        keys.append(key)
        values.append(value)
    }

    /// Sets a string member after trimming; blank strings are dropped.
    package mutating func set(_ key: String, _ string: String?) {
        let trimmed = string.map(LabText.trimmed)
        set(key, trimmed.map(JSONValue.string))
    }

    /// Sets an object member; empty objects are dropped.
    package mutating func set(_ key: String, _ object: JSONObject?) {
        set(key, object.map(JSONValue.object))
    }

    /// Sets an array-of-objects member; empty elements and empty arrays are dropped.
    package mutating func set(_ key: String, _ objects: [JSONObject]) {
        set(key, .array(objects.filter { !$0.isEmpty }.map(JSONValue.object)))
    }

    /// Members in order.
    package var members: [(key: String, value: JSONValue)] {
        Array(zip(keys, values)).map { (key: $0.0, value: $0.1) }
    }

    /// Sets a member verbatim, keeping null and empty values; only for non-FHIR JSON such as Bulk Data manifests.
    package mutating func setRaw(_ key: String, _ value: JSONValue) {
        if let i = keys.firstIndex(of: key) {
            values[i] = value
        } else {
            keys.append(key)
            values.append(value)
        }
    }

    /// Appends without checking for duplicates (parser use only; the parser rejects duplicate keys itself).
    mutating func appendUnchecked(_ key: String, _ value: JSONValue) {
        keys.append(key)
        values.append(value)
    }
}

/// Writes compact JSON (one line, UTF-8, no insignificant whitespace).
package enum JSONWriter {
    /// Serialises a value.
    package static func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(value, into: &out)
        return out
    }

    /// Serialises an object.
    package static func string(_ object: JSONObject) -> String { string(.object(object)) }

    /// Serialises as UTF-8 bytes.
    package static func data(_ object: JSONObject) -> Data { Data(string(object).utf8) }

    static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                write(v, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for i in o.keys.indices {
                if i > 0 { out += "," }
                writeString(o.keys[i], into: &out)
                out += ":"
                write(o.values[i], into: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        var plain = true
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C {
            plain = false
            break
        }
        if plain {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
        }
        out += "\""
    }

    /// Shortest decimal text for a finite double ("27.5", "30"), never exponent notation for typical Ct values.
    package static func decimalText(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
        let s = "\(v)"
        return s.contains("e") ? String(format: "%.6f", v) : s
    }
}

/// A strict RFC 8259 JSON reader with size and depth limits.
package struct JSONReader {
    /// Largest accepted body in bytes.
    package var maxBytes: Int
    /// Deepest accepted JSON nesting.
    package var maxDepth: Int

    /// Creates a value from its parts.
    package init(maxBytes: Int = 8 << 20, maxDepth: Int = 64) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }

    /// Parses a complete JSON document.
    package func parse(_ data: [UInt8]) throws(LabFormatError) -> JSONValue {
        guard data.count <= maxBytes else { throw .inputTooLarge(limit: maxBytes) }
        guard !data.isEmpty else { throw .emptyInput }
        guard UTF8Check.isValid(data) else { throw .invalidUTF8 }
        var p = Parser(bytes: data, maxDepth: maxDepth)
        p.skipWS()
        if p.i + 2 < data.count, data[p.i] == 0xEF, data[p.i + 1] == 0xBB, data[p.i + 2] == 0xBF { p.i += 3 }
        let v = try p.value(depth: 0)
        p.skipWS()
        guard p.i == data.count else { throw .invalidJSON }
        return v
    }

    /// Parses JSON text.
    package func parse(_ text: String) throws(LabFormatError) -> JSONValue { try parse(Array(text.utf8)) }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var i = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        mutating func skipWS() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func value(depth: Int) throws(LabFormatError) -> JSONValue {
            guard depth <= maxDepth else { throw .jsonTooDeep(limit: maxDepth) }
            skipWS()
            guard i < bytes.count else { throw .invalidJSON }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var obj = JSONObject()
                // Small objects (the FHIR norm) check duplicates linearly; hashing only pays off for big ones.
                var seen = Set<String>()
                skipWS()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
                while true {
                    skipWS()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw .invalidJSON }
                    let key = try string()
                    // Duplicate keys are ambiguous (which value wins differs between parsers), so refuse them.
                    if obj.count < 16 {
                        guard !obj.keys.contains(key) else { throw .invalidJSON }
                    } else {
                        if seen.isEmpty { seen = Set(obj.keys) }
                        guard seen.insert(key).inserted else { throw .invalidJSON }
                    }
                    skipWS()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw .invalidJSON }
                    i += 1
                    obj.appendUnchecked(key, try value(depth: depth + 1))
                    skipWS()
                    guard i < bytes.count else { throw .invalidJSON }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(obj) }
                    throw .invalidJSON
                }
            case UInt8(ascii: "["):
                i += 1
                var arr: [JSONValue] = []
                skipWS()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
                while true {
                    arr.append(try value(depth: depth + 1))
                    skipWS()
                    guard i < bytes.count else { throw .invalidJSON }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(arr) }
                    throw .invalidJSON
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ word: StaticString) throws(LabFormatError) {
            let w = word.withUTF8Buffer { Array($0) }
            guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw .invalidJSON }
            i += w.count
        }

        mutating func number() throws(LabFormatError) -> String {
            let s = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw .invalidJSON }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
            } else {
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard i < bytes.count, isDigit(bytes[i]) else { throw .invalidJSON }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard i < bytes.count, isDigit(bytes[i]) else { throw .invalidJSON }
                while i < bytes.count, isDigit(bytes[i]) { i += 1 }
            }
            guard i - s <= 64 else { throw .invalidJSON }
            return String(decoding: bytes[s..<i], as: UTF8.self)
        }

        mutating func string() throws(LabFormatError) -> String {
            i += 1  // opening quote
            let s = i
            // Fast path: no escapes.
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
            guard i < bytes.count else { throw .invalidJSON }
            if bytes[i] == UInt8(ascii: "\"") {
                let end = i
                let str = bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[s..<end]), as: UTF8.self) }
                i += 1
                return str
            }
            var out = Array(bytes[s..<i])
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    i += 1
                    return String(decoding: out, as: UTF8.self)
                }
                guard b >= 0x20 else { throw .invalidJSON }
                if b != UInt8(ascii: "\\") {
                    out.append(b)
                    i += 1
                    continue
                }
                i += 1
                guard i < bytes.count else { throw .invalidJSON }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        // A high surrogate must be followed by an escaped low surrogate.
                        guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { throw .invalidJSON }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw .invalidJSON }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw .invalidJSON
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw .invalidJSON }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw .invalidJSON
                }
            }
            throw .invalidJSON
        }

        mutating func hex4() throws(LabFormatError) -> UInt32 {
            guard i + 4 <= bytes.count else { throw .invalidJSON }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw .invalidJSON
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        @inline(__always)
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    }
}
