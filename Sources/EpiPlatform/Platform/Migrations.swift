import Foundation
import EpiCore
import SQLKit
import Synchronization

/// One ordered schema change, recorded in `schema_migrations` once applied.
package struct Migration: Sendable {
    package let name: String
    package let apply: @Sendable (any SQLDatabase, DatabaseKind) async throws -> Void

    package init(_ name: String, apply: @escaping @Sendable (any SQLDatabase, DatabaseKind) async throws -> Void) {
        self.name = name
        self.apply = apply
    }
}

/// Applies the registered migrations that a database has not seen yet, in order.
package enum MigrationRunner {
    /// Applies pending migrations and returns the names applied now.
    @discardableResult
    package static func migrate(_ database: Database, migrations: [Migration]) async throws -> [String] {
        try await database.transactionless { db in
            try await db.create(table: "schema_migrations")
                .ifNotExists()
                .column("name", type: .text, .primaryKey(autoIncrement: false))
                .column("applied_at", type: .text, .notNull)
                .run()
        }
        let done = try await database.read { db in
            try await db.select().column("name").from("schema_migrations").all().map { try $0.decode(column: "name", as: String.self) }
        }
        var applied: [String] = []
        for migration in migrations where !done.contains(migration.name) {
            try await database.transaction { db in
                try await migration.apply(db, database.kind)
                try await db.insert(into: "schema_migrations")
                    .columns("name", "applied_at")
                    .values(SQLBind(migration.name), SQLBind(Timestamp.now()))
                    .run()
            }
            applied.append(migration.name)
        }
        return applied
    }
}

extension DatabaseKind {
    /// Columns compared by byte order (unit paths, folded search keys): PostgreSQL's default
    /// locale collation ignores '/' and would break prefix ranges and index use.
    package var byteOrderCollation: [SQLColumnConstraintAlgorithm] {
        self == .postgres ? [.collate(name: "C")] : []
    }
}

/// UTC instants stored as ISO 8601 text, so they sort the same on both dialects.
package enum Timestamp {
    /// Now as stored: the data's clock (`Clock`, simulated on a demo database).
    package static func now() -> String { string(Clock.now()) }

    /// The real instant, for security windows (sessions, lockouts, tokens).
    package static func real() -> String { string(Date()) }

    private static let style = Date.ISO8601FormatStyle().year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)

    /// "yyyy-MM-ddTHH:mm:ss.SSSZ" in UTC. Written here for 1900–2199, exactly as Foundation's ISO 8601
    /// style writes it (same truncation of the fraction, computed the same way from the reference date;
    /// `SharedPlatformTests` compares the two on random instants): every stored row has such a time,
    /// and the format style was a measurable part of an import. Other years go through Foundation.
    package static func string(_ date: Date) -> String {
        let reference = date.timeIntervalSinceReferenceDate
        let whole = reference.rounded(.down)
        // 1900-01-01 and 2200-01-01 as seconds from 2001-01-01.
        guard reference.isFinite, whole >= -3_187_296_000, whole < 6_279_897_600 else { return date.formatted(style) }
        let milliseconds = (Int(whole) + 978_307_200) * 1000 + Int(((reference - whole) * 1000).rounded(.down))
        let (days, inDay) = milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        let (dayNumber, ms) = inDay < 0 ? (days - 1, inDay + 86_400_000) : (days, inDay)
        let day = CivilDate(dayNumber: dayNumber)
        return String(unsafeUninitializedCapacity: 24) { out in
            func put(_ value: Int, _ width: Int, at start: Int) {
                var rest = value
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    out[i] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
            }
            put(day.year, 4, at: 0)
            out[4] = UInt8(ascii: "-")
            put(day.month, 2, at: 5)
            out[7] = UInt8(ascii: "-")
            put(day.day, 2, at: 8)
            out[10] = UInt8(ascii: "T")
            put(ms / 3_600_000, 2, at: 11)
            out[13] = UInt8(ascii: ":")
            put(ms / 60_000 % 60, 2, at: 14)
            out[16] = UInt8(ascii: ":")
            put(ms / 1000 % 60, 2, at: 17)
            out[19] = UInt8(ascii: ".")
            put(ms % 1000, 3, at: 20)
            out[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// The instant of a stored time. The shape `string` writes is read here, to the same `Date` as
    /// Foundation's (the fraction added to the time of day first, then to the day, from the reference
    /// date): the day as `CivilDate(iso:)` reads stored days (1900–2100), then "Thh:mm:ss.mmmZ".
    /// Anything else (no fraction, an offset, a day past the month's end, a later year) goes through Foundation.
    package static func date(_ string: String) -> Date? {
        var time = (hour: 0, minute: 0, second: 0, ms: 0)
        var canonical = string.utf8.count == 24
        if canonical {
            for (offset, byte) in string.utf8.enumerated() where offset >= 10 {
                let expected: UInt8? = switch offset {
                case 10: UInt8(ascii: "T")
                case 13, 16: UInt8(ascii: ":")
                case 19: UInt8(ascii: ".")
                case 23: UInt8(ascii: "Z")
                default: nil
                }
                if let expected {
                    if byte != expected { canonical = false; break }
                    continue
                }
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { canonical = false; break }
                let digit = Int(byte - UInt8(ascii: "0"))
                switch offset {
                case 11..<13: time.hour = time.hour * 10 + digit
                case 14..<16: time.minute = time.minute * 10 + digit
                case 17..<19: time.second = time.second * 10 + digit
                default: time.ms = time.ms * 10 + digit
                }
            }
        }
        guard canonical, let day = CivilDate(iso: String(string.prefix(10))), time.hour < 24, time.minute < 60, time.second < 60 else {
            return try? Date(string, strategy: style)
        }
        let timeOfDay = Double(time.hour * 3600 + time.minute * 60 + time.second) + Double(time.ms) / 1000
        return Date(timeIntervalSinceReferenceDate: Double(day.dayNumber * 86_400 - 978_307_200) + timeOfDay)
    }
}

/// Primary keys: UUIDs whose first 48 bits are the creation time in milliseconds (the UUIDv7 layout),
/// so new rows append to the end of the primary-key index instead of landing at random pages,
/// which keeps million-row imports fast while ids stay unguessable.
package enum Identifier {
    package static func make(at date: Date = Date()) -> String {
        let (random, random2) = randomBits.withLock { $0.take() }
        let ms = UInt64(date.timeIntervalSince1970 * 1000)
        func byte(_ i: Int) -> UInt8 {
            let b: UInt8
            switch i {
            case 0..<6: b = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i)))
            case 6..<8: b = UInt8(truncatingIfNeeded: random >> (8 * i))
            default: b = UInt8(truncatingIfNeeded: random2 >> (8 * (i - 8)))
            }
            switch i {
            case 6: return (b & 0x0F) | 0x70  // version 7
            case 8: return (b & 0x3F) | 0x80  // RFC 4122 variant
            default: return b
            }
        }
        // Hex digits written straight into the string's own buffer: imports make an id per row, so this is
        // a hot path, and arrays for the bytes and the text were three allocations per id.
        return String(unsafeUninitializedCapacity: 36) { out in
            var o = 0
            for i in 0..<16 {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[o] = UInt8(ascii: "-")
                    o += 1
                }
                let b = byte(i)
                out[o] = hexDigit(b >> 4)
                out[o + 1] = hexDigit(b & 0x0F)
                o += 2
            }
            return o
        }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    /// The system's random bytes, drawn a page at a time: `SystemRandomNumberGenerator` makes one
    /// `getrandom` call per 8 bytes, and two calls per id were ~5 % of a result import's writer (a result
    /// and its audit row each need an id). The bytes are the kernel's all the same, each used once.
    private static let randomBits = Mutex(RandomBits())

    private struct RandomBits: ~Copyable {
        private var buffer = [UInt8](repeating: 0, count: 4096)
        private var used = 4096

        /// 128 fresh random bits.
        mutating func take() -> (UInt64, UInt64) {
            if used + 16 > buffer.count {
                buffer.withUnsafeMutableBytes { bytes in
                    if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
                }
                used = 0
            }
            let at = used
            used += 16
            return buffer.withUnsafeBytes { ($0.loadUnaligned(fromByteOffset: at, as: UInt64.self), $0.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)) }
        }
    }
}
