import Foundation
import SQLKit

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

    package static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }

    package static func date(_ string: String) -> Date? {
        try? Date(string, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

/// Primary keys: UUIDs whose first 48 bits are the creation time in milliseconds (the UUIDv7 layout),
/// so new rows append to the end of the primary-key index instead of landing at random pages,
/// which keeps million-row imports fast while ids stay unguessable.
package enum Identifier {
    package static func make(at date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        let random2 = generator.next() as UInt64
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
}
