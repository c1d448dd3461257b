import EpiCore
import HTTPTypes
import Hummingbird
import Foundation
import SQLKit
import Crypto
import NIOCore

/// Reads and versions the editable rule settings (`PolicyKey`).
package enum Policies {
    package struct Version: Codable, Sendable {
        package let key: String
        package let effectiveFrom: String
        package let value: Int
        package let note: String
        package let setBy: String
        package let setAt: String
    }

    /// The value in force on `day`: the latest version effective on or before it, else the seeded default.
    package static func value(_ db: any SQLDatabase, _ key: PolicyKey, on day: CivilDate = Clock.today()) async throws -> Int {
        let row = try await db.raw("""
            SELECT value FROM policies WHERE key = \(bind: key.rawValue) AND effective_from <= \(bind: day.iso)
            ORDER BY effective_from DESC LIMIT 1
            """).first()
        return try row?.decode(column: "value", as: Int.self) ?? key.defaultValue
    }

    package static func history(_ db: any SQLDatabase) async throws -> [Version] {
        try await db.raw("SELECT key, effective_from, value, note, set_by, set_at FROM policies ORDER BY key, effective_from DESC")
            .all(decoding: Version.self, keyDecodingStrategy: .memoizedSnakeCase)
    }

    /// Adds (or replaces, for the same day) a version; audited as a change of rules.
    package static func set(_ db: any SQLDatabase, _ key: PolicyKey, value: Int, from day: CivilDate, note: String, user: CurrentUser) async throws {
        guard key.range.contains(value) else {
            throw AppError.invalid("Giá trị \(value) nằm ngoài khoảng cho phép \(key.range.lowerBound)–\(key.range.upperBound).",
                                   "Value \(value) is outside \(key.range.lowerBound)–\(key.range.upperBound).", details: ["value": "out_of_range"])
        }
        let old = try await db.raw("SELECT value FROM policies WHERE key = \(bind: key.rawValue) AND effective_from = \(bind: day.iso)").first()
            .map { try $0.decode(column: "value", as: Int.self) }
        try await db.raw("DELETE FROM policies WHERE key = \(bind: key.rawValue) AND effective_from = \(bind: day.iso)").run()
        try await db.raw("""
            INSERT INTO policies (key, effective_from, value, note, set_by, set_at)
            VALUES (\(bind: key.rawValue), \(bind: day.iso), \(bind: value), \(bind: note), \(bind: user.username), \(bind: Timestamp.now()))
            """).run()
        try await Audit.record(db, actor: user, action: "update", entityType: "policy", entityId: key.rawValue, unitPath: nil,
                               summary: "Quy định \(key.labelVI) từ \(day.vietnamese): \(value)",
                               changes: [FieldChange(key.rawValue + "@" + day.iso, old: old.map(String.init), new: String(value))])
    }
}

/// The key a client sent to make a request safe to repeat, with a digest of what it asked for, so
/// that reusing a key for a different request is caught instead of silently answered with the first.
package struct IdempotencyKey: Sendable, Equatable, ExpressibleByStringLiteral {
    package let value: String
    /// SHA-256 of the request's content (form fields or JSON body); nil when unknown (internal callers).
    package let fingerprint: String?

    package init(_ value: String, fingerprint: String? = nil) {
        self.value = value
        self.fingerprint = fingerprint
    }

    package init(stringLiteral value: String) { self.init(value) }
}

/// Makes a form or API request safe to send twice (double click, retry after a timeout): the first
/// request with a key does the work and stores where it led; a repeat gets the same answer.
package enum Idempotency {
    /// Runs `body` once per (user, key) inside the caller's transaction, returning the stored outcome on repeats.
    ///
    /// The key row is claimed first with `ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent repeat
    /// waits on the unique index until the first transaction ends, then reads its outcome instead of
    /// failing with a unique violation; on SQLite writers are serialized anyway.
    package static func once(_ db: any SQLDatabase, key: IdempotencyKey?, user: CurrentUser, _ body: () async throws -> String) async throws -> (outcome: String, repeated: Bool) {
        guard let key, !key.value.isEmpty else { return (try await body(), false) }
        guard key.value.count <= 100 else { throw AppError.invalid("Khóa chống gửi trùng quá dài.", "Idempotency key too long.") }
        let claimed = try await db.raw("""
            INSERT INTO idempotency_keys (user_id, key, outcome, request_hash, created_at)
            VALUES (\(bind: user.id), \(bind: key.value), '', \(bind: key.fingerprint), \(bind: Timestamp.now()))
            ON CONFLICT (user_id, key) DO NOTHING RETURNING key
            """).all()
        if claimed.isEmpty {
            guard let row = try await db.raw("SELECT outcome, request_hash FROM idempotency_keys WHERE user_id = \(bind: user.id) AND key = \(bind: key.value)").first() else {
                throw AppError.conflict
            }
            let storedHash = try row.decodeNil(column: "request_hash") ? nil : try row.decode(column: "request_hash", as: String.self)
            if let storedHash, let fingerprint = key.fingerprint, storedHash != fingerprint {
                throw AppError(.unprocessableContent, code: "idempotency_key_reused",
                               vi: "Khóa chống gửi trùng này đã dùng cho một yêu cầu khác. Hãy dùng khóa mới cho yêu cầu mới.",
                               en: "This idempotency key was already used for a different request. Use a new key for a new request.",
                               details: ["Idempotency-Key": "reused"])
            }
            return (try row.decode(column: "outcome", as: String.self), true)
        }
        let outcome = try await body()
        try await db.raw("UPDATE idempotency_keys SET outcome = \(bind: outcome) WHERE user_id = \(bind: user.id) AND key = \(bind: key.value)").run()
        return (outcome, false)
    }

    /// Creates a record once per key: the first request runs `create` and gets what it made; a repeat
    /// gets the record the first one made, read back with `load`.
    package static func createOnce<T: Sendable>(_ db: any SQLDatabase, key: IdempotencyKey?, user: CurrentUser, id: (T) -> String,
                                               load: (String) async throws -> T?, _ create: () async throws -> T) async throws -> T {
        var made: T?
        let (outcome, _) = try await once(db, key: key, user: user) {
            let value = try await create()
            made = value
            return id(value)
        }
        if let made { return made }
        guard let existing = try await load(outcome) else { throw AppError.notFound }
        return existing
    }

    /// The key a request carries: the `Idempotency-Key` header (API) or the form's `_key` field (pages),
    /// with the fingerprint of the request's content computed by `AuthMiddleware`.
    package static func key(_ request: Request, _ context: AuthedContext) -> IdempotencyKey? {
        guard let value = HTTPField.Name.idempotencyKey.flatMap({ request.headers[$0] }) ?? context.form?.value("_key") else { return nil }
        return IdempotencyKey(value, fingerprint: context.requestFingerprint)
    }

    /// A fresh key for a form being rendered.
    package static func newKey() -> String { Identifier.make() }

    /// A digest of a form's fields (except the CSRF token and the key itself) and files, in a stable order.
    static func fingerprint(form: FormData) -> String {
        var hasher = SHA256()
        for (name, value) in form.fields.sorted(by: { $0.key < $1.key }) where name != "_csrf" && name != "_key" {
            hasher.update(data: Data("\(name)=\(value)\u{0}".utf8))
        }
        for (name, file) in form.files.sorted(by: { $0.key < $1.key }) {
            hasher.update(data: Data("\(name):\(file.filename)\u{0}".utf8))
            hasher.update(data: file.bytes)
        }
        return Hex.encode(hasher.finalize())
    }

    static func fingerprint(body: ByteBuffer) -> String {
        Hex.encode(SHA256.hash(data: Data(body.readableBytesView)))
    }
}
