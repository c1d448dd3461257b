import Foundation

/// A calendar date that may be only a year or a year and month (Vietnamese records often hold only the birth year).
package struct LabCivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Year (1900–2100).
    package var year: Int
    /// Month 1–12, when known.
    package var month: Int?
    /// Day of month, when known.
    package var day: Int?

    /// Creates a date after checking the parts form a real calendar date in 1900–2100.
    package init?(year: Int, month: Int? = nil, day: Int? = nil) {
        guard LabCalendar.yearRange.contains(year) else { return nil }
        if let month {
            guard (1...12).contains(month) else { return nil }
            if let day {
                guard day >= 1, day <= LabCalendar.daysInMonth(year: year, month: month) else { return nil }
            }
        } else if day != nil {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// HL7 DT form: YYYY[MM[DD]].
    package var hl7String: String {
        var s = LabCalendar.pad(year, 4)
        if let month { s += LabCalendar.pad(month, 2) }
        if month != nil, let day { s += LabCalendar.pad(day, 2) }
        return s
    }

    /// FHIR date form: YYYY[-MM[-DD]].
    package var fhirString: String {
        var s = LabCalendar.pad(year, 4)
        if let month { s += "-" + LabCalendar.pad(month, 2) }
        if month != nil, let day { s += "-" + LabCalendar.pad(day, 2) }
        return s
    }

    /// Same as `fhirString`.
    package var description: String { fhirString }

    /// Orders by year, then month, then day (missing parts sort first).
    package static func < (a: LabCivilDate, b: LabCivilDate) -> Bool {
        (a.year, a.month ?? 0, a.day ?? 0) < (b.year, b.month ?? 0, b.day ?? 0)
    }
}

/// Calendar arithmetic done by hand so parsing never touches the slow, locale-dependent Calendar API.
package enum LabCalendar {
    /// Years the project accepts anywhere (birth dates and test times).
    package static let yearRange = 1900...2100

    /// Offset used when a timestamp carries no zone: laboratories in Hanoi send local time (UTC+7).
    package static let vietnamOffsetSeconds = 7 * 3600

    /// Gregorian leap-year rule.
    package static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// Days in a month (0 for an invalid month).
    package static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeap(year) ? 29 : 28
        default: return 0
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; inputs are range-checked so no overflow).
    package static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Inverse of `daysFromCivil`.
    package static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Zero-pads a small non-negative number.
    package static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        let missing = width - s.utf8.count
        return missing > 0 ? String(repeating: "0", count: missing) + s : s
    }

    /// Splits an instant into local wall-clock parts at a fixed UTC offset.
    package static func wallClock(_ date: Date, offsetSeconds: Int) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let t = date.timeIntervalSince1970
        // Clamp so hostile dates cannot overflow Int conversion.
        let clamped = max(-5_000_000_000, min(10_000_000_000, t.rounded(.down)))
        let secs = Int(clamped) + offsetSeconds
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = secs - days * 86_400
        let (y, m, d) = civilFromDays(days)
        return (y, m, d, rem / 3600, (rem % 3600) / 60, rem % 60)
    }

    /// Formats an offset as "+07:00" (FHIR) or "+0700" (HL7).
    package static func offsetString(_ offsetSeconds: Int, colon: Bool) -> String {
        if offsetSeconds == 0 && colon { return "Z" }
        let sign = offsetSeconds < 0 ? "-" : "+"
        let a = abs(offsetSeconds) / 60
        return sign + pad(a / 60, 2) + (colon ? ":" : "") + pad(a % 60, 2)
    }
}

/// An HL7 DTM / FHIR dateTime value with its precision, before it is turned into a `Date`.
package struct LabTimestamp: Sendable, Hashable {
    /// How many parts the sender actually supplied.
    package enum Precision: Int, Sendable, Hashable, Comparable {
        case year, month, day, hour, minute, second

        /// Orders precisions from year (coarsest) to second (finest).
        package static func < (a: Precision, b: Precision) -> Bool { a.rawValue < b.rawValue }
    }

    /// Year (1900–2100).
    package var year: Int
    /// Month 1–12, when known.
    package var month: Int
    /// Day of month, when known.
    package var day: Int
    /// Hour 0–23.
    package var hour: Int
    /// Minute 0–59.
    package var minute: Int
    /// Second 0–59.
    package var second: Int
    /// Fractional second in nanoseconds.
    package var nanoseconds: Int
    /// Zone offset in seconds; nil when the sender gave none.
    package var offsetSeconds: Int?
    /// Precision the sender supplied.
    package var precision: Precision

    /// The instant, using `defaultOffsetSeconds` when the sender gave no zone.
    package func date(defaultOffsetSeconds: Int = LabCalendar.vietnamOffsetSeconds) -> Date {
        let days = LabCalendar.daysFromCivil(year: year, month: month, day: day)
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - (offsetSeconds ?? defaultOffsetSeconds)
        return Date(timeIntervalSince1970: Double(secs) + Double(nanoseconds) / 1_000_000_000)
    }

    /// The calendar date part (used for birth dates), truncated to the supplied precision.
    package var civilDate: LabCivilDate? {
        LabCivilDate(year: year, month: precision >= .month ? month : nil, day: precision >= .day ? day : nil)
    }

    /// Why a timestamp was refused: bad syntax, or a valid shape with a year outside 1900–2100.
    package enum Failure: Error, Sendable {
        case syntax
        case outOfRange
    }

    /// Parses HL7 v2.5.1 DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].
    package static func parseHL7(_ text: String) -> Result<LabTimestamp, Failure> {
        var copy = text
        return copy.withUTF8 { parseHL7(bytes: $0) }
    }

    /// DTM parser over raw bytes; every read is guarded by `i < n` so malformed input cannot read out of bounds.
    static func parseHL7(bytes: UnsafeBufferPointer<UInt8>) -> Result<LabTimestamp, Failure> {
        var n = bytes.count
        // Trailing blanks are common from fixed-width LIS exports; they carry no meaning.
        while n > 0, bytes[n - 1] == 0x20 { n -= 1 }
        guard n >= 4, n <= 24 else { return .failure(.syntax) }
        var i = 0
        var parts = (0, 0, 0, 0, 0, 0, 0)  // year, month, day, hour, minute, second, digit count
        var count = 0
        var value = 0
        while i < n, let d = digit(bytes[i]) {
            count += 1
            guard count <= 14 else { return .failure(.syntax) }
            value = value * 10 + d
            switch count {
            case 4: parts.0 = value; value = 0
            case 6: parts.1 = value; value = 0
            case 8: parts.2 = value; value = 0
            case 10: parts.3 = value; value = 0
            case 12: parts.4 = value; value = 0
            case 14: parts.5 = value; value = 0
            default: break
            }
            i += 1
        }
        parts.6 = count
        let precision: Precision
        switch count {
        case 4: precision = .year
        case 6: precision = .month
        case 8: precision = .day
        case 10: precision = .hour
        case 12: precision = .minute
        case 14: precision = .second
        default: return .failure(.syntax)
        }
        var ts = LabTimestamp(year: parts.0, month: count >= 6 ? parts.1 : 1, day: count >= 8 ? parts.2 : 1,
                              hour: parts.3, minute: parts.4, second: parts.5, nanoseconds: 0, offsetSeconds: nil,
                              precision: precision)
        if i < n, bytes[i] == UInt8(ascii: ".") {
            guard precision == .second else { return .failure(.syntax) }
            i += 1
            var frac = 0
            var scale = 100_000_000
            var digits = 0
            while i < n, let d = digit(bytes[i]) {
                digits += 1
                guard digits <= 4 else { return .failure(.syntax) }
                frac += d * scale
                scale /= 10
                i += 1
            }
            guard digits >= 1 else { return .failure(.syntax) }
            ts.nanoseconds = frac
        }
        if i < n {
            let sign = bytes[i]
            guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), n - i == 5 else { return .failure(.syntax) }
            var z = 0
            var k = i + 1
            while k < n {
                guard let d = digit(bytes[k]) else { return .failure(.syntax) }
                z = z * 10 + d
                k += 1
            }
            let hh = z / 100
            let mm = z % 100
            guard hh <= 14, mm < 60 else { return .failure(.syntax) }
            ts.offsetSeconds = (sign == UInt8(ascii: "-") ? -1 : 1) * (hh * 3600 + mm * 60)
        }
        return ts.validated()
    }

    /// Parses FHIR R4 date / dateTime / instant: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm).
    package static func parseFHIR(_ text: String) -> Result<LabTimestamp, Failure> {
        let b = Array(text.utf8)
        guard b.count >= 4, b.count <= 40 else { return .failure(.syntax) }
        func n(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for k in from..<(from + len) {
                guard let d = digit(b[k]) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        func at(_ k: Int, _ c: Character) -> Bool { k < b.count && b[k] == c.asciiValue }
        guard let year = n(0, 4) else { return .failure(.syntax) }
        var ts = LabTimestamp(year: year, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanoseconds: 0, offsetSeconds: nil, precision: .year)
        if b.count == 4 { return ts.validated() }
        guard at(4, "-"), let month = n(5, 2) else { return .failure(.syntax) }
        ts.month = month
        ts.precision = .month
        if b.count == 7 { return ts.validated() }
        guard at(7, "-"), let day = n(8, 2) else { return .failure(.syntax) }
        ts.day = day
        ts.precision = .day
        if b.count == 10 { return ts.validated() }
        // FHIR requires seconds and a zone once a time is present.
        guard at(10, "T"), let hh = n(11, 2), at(13, ":"), let mi = n(14, 2), at(16, ":"), let ss = n(17, 2) else {
            return .failure(.syntax)
        }
        ts.hour = hh
        ts.minute = mi
        ts.second = ss
        ts.precision = .second
        var i = 19
        if at(i, ".") {
            i += 1
            var frac = 0
            var scale = 100_000_000
            var count = 0
            while i < b.count, let d = digit(b[i]) {
                count += 1
                guard count <= 9 else { return .failure(.syntax) }
                frac += d * scale
                scale /= 10
                i += 1
            }
            guard count > 0 else { return .failure(.syntax) }
            ts.nanoseconds = frac
        }
        if at(i, "Z"), i + 1 == b.count {
            ts.offsetSeconds = 0
        } else if (at(i, "+") || at(i, "-")), b.count == i + 6, let oh = n(i + 1, 2), at(i + 3, ":"), let om = n(i + 4, 2) {
            guard oh <= 14, om < 60 else { return .failure(.syntax) }
            ts.offsetSeconds = (at(i, "-") ? -1 : 1) * (oh * 3600 + om * 60)
        } else {
            return .failure(.syntax)
        }
        return ts.validated()
    }

    private func validated() -> Result<LabTimestamp, Failure> {
        guard (1...12).contains(month), day >= 1, day <= LabCalendar.daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 60
        else { return .failure(.syntax) }
        guard LabCalendar.yearRange.contains(year) else { return .failure(.outOfRange) }
        return .success(self)
    }

    @inline(__always)
    private static func digit(_ b: UInt8) -> Int? {
        b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
    }

    /// Formats an instant as HL7 DTM with seconds and zone, e.g. "20210815093000+0700".
    package static func hl7String(_ date: Date, offsetSeconds: Int = LabCalendar.vietnamOffsetSeconds) -> String {
        let p = LabCalendar.wallClock(date, offsetSeconds: offsetSeconds)
        return LabCalendar.pad(p.year, 4) + LabCalendar.pad(p.month, 2) + LabCalendar.pad(p.day, 2)
            + LabCalendar.pad(p.hour, 2) + LabCalendar.pad(p.minute, 2) + LabCalendar.pad(p.second, 2)
            + LabCalendar.offsetString(offsetSeconds, colon: false)
    }

    /// Appends HL7 DTM digits ("20210815093000+0700") to a byte buffer without building intermediate strings.
    package static func appendHL7(_ date: Date, offsetSeconds: Int = LabCalendar.vietnamOffsetSeconds, into out: inout [UInt8]) {
        let p = LabCalendar.wallClock(date, offsetSeconds: offsetSeconds)
        func put(_ v: Int, _ width: Int) {
            var div = 1
            for _ in 1..<width { div *= 10 }
            var x = max(0, v)
            while div > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + (x / div) % 10))
                x %= div
                div /= 10
            }
        }
        put(p.year, 4); put(p.month, 2); put(p.day, 2); put(p.hour, 2); put(p.minute, 2); put(p.second, 2)
        out.append(offsetSeconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let minutes = abs(offsetSeconds) / 60
        put(minutes / 60, 2)
        put(minutes % 60, 2)
    }

    /// Formats an instant as a FHIR dateTime/instant, e.g. "2021-08-15T09:30:00+07:00" (milliseconds only when present).
    package static func fhirString(_ date: Date, offsetSeconds: Int = LabCalendar.vietnamOffsetSeconds) -> String {
        let p = LabCalendar.wallClock(date, offsetSeconds: offsetSeconds)
        var s = LabCalendar.pad(p.year, 4) + "-" + LabCalendar.pad(p.month, 2) + "-" + LabCalendar.pad(p.day, 2)
            + "T" + LabCalendar.pad(p.hour, 2) + ":" + LabCalendar.pad(p.minute, 2) + ":" + LabCalendar.pad(p.second, 2)
        let frac = date.timeIntervalSince1970 - date.timeIntervalSince1970.rounded(.down)
        let millis = Int((frac * 1000).rounded(.down))
        if millis > 0 && millis < 1000 { s += "." + LabCalendar.pad(millis, 3) }
        return s + LabCalendar.offsetString(offsetSeconds, colon: true)
    }
}
