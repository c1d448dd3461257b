import Crypto
import EpiCore
import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit

/// Random tokens and their stored digests.
enum Tokens {
    /// 32 random bytes, base64url without padding (safe in cookies and headers).
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Data(token.utf8)))
    }

    /// Compares without an early exit so timing does not reveal how much matched.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// Password hashing on the thread pool: bcrypt is deliberately slow and must not block the event loop.
package enum Passwords {
    package static func hash(_ password: String, cost: UInt8) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Policy for new passwords: at least 8 characters, not the username, not a commonly used password.
    package static func validate(_ password: String, username: String = "") throws {
        guard password.count >= 8 else {
            throw AppError.invalid("Mật khẩu phải có ít nhất 8 ký tự.", "The password must be at least 8 characters.", details: ["password": "min8"])
        }
        let folded = password.lowercased()
        guard folded != username.lowercased() else {
            throw AppError.invalid("Mật khẩu không được trùng tên đăng nhập.", "The password must not equal the username.", details: ["password": "equals_username"])
        }
        guard !CommonPasswords.contains(folded) else {
            throw AppError.invalid("Mật khẩu này quá phổ biến, dễ bị đoán. Hãy chọn mật khẩu khác.", "This password is too common and easily guessed. Choose another.",
                                   details: ["password": "common"])
        }
    }

    /// A hash of nothing at the configured cost, verified when a username does not exist so that an
    /// unknown user costs the same bcrypt as a wrong password and timing does not reveal accounts.
    private static let dummyHashes = NIOLockedValueBox<[UInt8: String]>([:])

    static func dummyHash(cost: UInt8) async throws -> String {
        if let hash = dummyHashes.withLockedValue({ $0[cost] }) { return hash }
        let hash = try await hash(Tokens.random(), cost: cost)
        dummyHashes.withLockedValue { $0[cost] = hash }
        return hash
    }
}

/// Sign-in, sessions, lockout and API tokens.
package struct AuthService: Sendable {
    let database: Database
    let settings: Settings
    /// How long an API token lives unless the operator says otherwise.
    package static let defaultTokenDays = 90

    package enum LoginResult: Sendable {
        case success(sessionToken: String, user: CurrentUser)
        case invalid
        case locked(until: Date)
    }

    package func login(username: String, password: String) async throws -> LoginResult {
        let name = username.trimmedWhitespace.lowercased()
        let found = try await database.read { db -> (UserRow, Credentials)? in
            guard name.count <= 100, let sqlRow = try await db.raw("SELECT id, username, display_name, role, unit_path, active, password_hash, failed_logins, locked_until FROM users WHERE username = \(bind: name)").first() else {
                return nil
            }
            return (try sqlRow.decode(model: UserRow.self, keyDecodingStrategy: .memoizedSnakeCase), try sqlRow.decode(model: Credentials.self, keyDecodingStrategy: .memoizedSnakeCase))
        }
        guard let (row, credentials) = found, row.active else {
            _ = try await Passwords.verify(password, hash: try await Passwords.dummyHash(cost: settings.bcryptCost))
            let shown = String(name.prefix(60))
            try await database.transaction { db in
                try await Audit.record(db, actor: nil, actorName: shown.isEmpty ? "?" : shown, action: "login_failed", entityType: "user", entityId: nil, unitPath: nil, summary: "Đăng nhập thất bại: tài khoản không tồn tại hoặc bị khóa")
            }
            return .invalid
        }
        let now = Date()
        if let lockedUntil = credentials.lockedUntil.flatMap(Timestamp.date), lockedUntil > now {
            return .locked(until: lockedUntil)
        }
        // Count the attempt before checking the password, in one atomic statement: parallel guesses each
        // take a number, and those past the threshold are refused without a password being evaluated.
        let attempt = try await database.transaction { db -> Int? in
            try await db.raw("""
                UPDATE users SET failed_logins = failed_logins + 1
                WHERE id = \(bind: row.id) AND (locked_until IS NULL OR locked_until <= \(bind: Timestamp.string(now))) RETURNING failed_logins
                """).first()?.decode(column: "failed_logins", as: Int.self)
        }
        guard let attempt else { return .locked(until: now.addingTimeInterval(TimeInterval(settings.lockoutMinutes * 60))) }
        let lockUntil = now.addingTimeInterval(TimeInterval(settings.lockoutMinutes * 60))
        if attempt > settings.lockoutThreshold {
            try await lock(row, until: lockUntil, failures: attempt)
            return .locked(until: lockUntil)
        }
        guard try await Passwords.verify(password, hash: credentials.passwordHash) else {
            if attempt >= settings.lockoutThreshold {
                try await lock(row, until: lockUntil, failures: attempt)
                return .locked(until: lockUntil)
            }
            try await database.transaction { db in
                try await Audit.record(db, actor: nil, actorName: row.username, action: "login_failed", entityType: "user", entityId: row.id, unitPath: try? UnitPath(row.unitPath),
                                       summary: "Sai mật khẩu (lần \(attempt))")
            }
            return .invalid
        }
        let user = try row.currentUser()
        let token = Tokens.random()
        let expires = now.addingTimeInterval(TimeInterval(settings.sessionHours * 3600))
        try await database.transaction { db in
            try await db.raw("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = \(bind: row.id)").run()
            try await db.raw("""
                INSERT INTO sessions (id, user_id, csrf_token, created_at, expires_at)
                VALUES (\(bind: Tokens.digest(token)), \(bind: row.id), \(bind: Tokens.random()), \(bind: Timestamp.string(now)), \(bind: Timestamp.string(expires)))
                """).run()
            try await Audit.record(db, actor: user, action: "login", entityType: "user", entityId: user.id, unitPath: user.unitPath, summary: "Đăng nhập")
        }
        return .success(sessionToken: token, user: user)
    }

    /// Locks an account (once: later parallel attempts find it locked already) and audits it.
    private func lock(_ row: UserRow, until: Date, failures: Int) async throws {
        try await database.transaction { db in
            let changed = try await db.raw("""
                UPDATE users SET failed_logins = 0, locked_until = \(bind: Timestamp.string(until))
                WHERE id = \(bind: row.id) AND (locked_until IS NULL OR locked_until <= \(bind: Timestamp.real())) RETURNING id
                """).all()
            guard !changed.isEmpty else { return }
            try await Audit.record(db, actor: nil, actorName: row.username, action: "locked", entityType: "user", entityId: row.id, unitPath: try? UnitPath(row.unitPath),
                                   summary: "Khóa tài khoản \(settings.lockoutMinutes) phút sau \(failures) lần đăng nhập sai")
        }
    }

    func logout(sessionID: String, user: CurrentUser) async throws {
        try await database.transaction { db in
            try await db.raw("DELETE FROM sessions WHERE id = \(bind: sessionID)").run()
            try await Audit.record(db, actor: user, action: "logout", entityType: "user", entityId: user.id, unitPath: user.unitPath, summary: "Đăng xuất")
        }
    }

    /// Resolves a session cookie to its user and CSRF token; expired sessions are ignored.
    func session(token: String) async throws -> (CurrentUser, Credential)? {
        let id = Tokens.digest(token)
        let found = try await database.read { db -> (UserRow, SessionFields)? in
            guard let sqlRow = try await db.raw("""
                SELECT u.id, u.username, u.display_name, u.role, u.unit_path, u.active, s.csrf_token, s.expires_at
                FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = \(bind: id)
                """).first() else { return nil }
            return (try sqlRow.decode(model: UserRow.self), try sqlRow.decode(model: SessionFields.self))
        }
        guard let (row, session) = found, row.active, let expires = Timestamp.date(session.expiresAt), expires > Date() else { return nil }
        return (try row.currentUser(), .session(id: id, csrfToken: session.csrfToken))
    }

    /// Resolves an API bearer token to its user: from `database.tokens` when it was looked up in the
    /// last few seconds, else from the tables.
    func apiUser(token: String) async throws -> CurrentUser? {
        let digest = Tokens.digest(token)
        let now = Date()
        if let user = database.tokens.user(digest: digest, now: now) { return user }
        let generation = database.tokens.generation
        let found = try await database.read { db -> (UserRow, TokenFields)? in
            guard let sqlRow = try await db.raw("""
                SELECT u.id, u.username, u.display_name, u.role, u.unit_path, u.active, t.id AS token_id, t.expires_at
                FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE t.token_hash = \(bind: digest) AND t.revoked_at IS NULL AND t.expires_at > \(bind: Timestamp.real())
                """).first() else { return nil }
            return (try sqlRow.decode(model: UserRow.self), try sqlRow.decode(model: TokenFields.self))
        }
        guard let (row, token) = found, row.active else { return nil }
        let user = try row.currentUser()
        if let expires = Timestamp.date(token.expiresAt) {
            database.tokens.remember(digest: digest, user: user, tokenID: token.tokenId, expiresAt: expires, now: now, generation: generation)
        }
        return user
    }

    /// Issues a new API token for a user, valid for `days`; only its digest is stored, so it is shown once.
    package func issueToken(username: String, name: String, days: Int = AuthService.defaultTokenDays) async throws -> String {
        guard (1...730).contains(days) else { throw AppError.invalid("Thời hạn token từ 1 đến 730 ngày.", "A token lives 1 to 730 days.") }
        let token = "epi_" + Tokens.random()
        let expires = Timestamp.string(Date().addingTimeInterval(TimeInterval(days * 86_400)))
        try await database.transaction { db in
            guard let user = try await db.raw("SELECT id, username, display_name, role, unit_path, active FROM users WHERE username = \(bind: username.lowercased())")
                .first(decoding: UserRow.self, keyDecodingStrategy: .memoizedSnakeCase) else {
                throw AppError.invalid("Không có người dùng \(username).", "No user \(username).")
            }
            try await db.raw("""
                INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at)
                VALUES (\(bind: Identifier.make()), \(bind: user.id), \(bind: name), \(bind: Tokens.digest(token)), \(bind: Timestamp.real()), \(bind: expires))
                """).run()
            try await Audit.record(db, actor: nil, actorName: "cli", action: "create", entityType: "api_token", entityId: user.id, unitPath: try? UnitPath(user.unitPath),
                                   summary: "Cấp token API \"\(name)\" cho \(user.username), hết hạn \(DisplayTime.format(expires))")
        }
        return token
    }

    package struct TokenInfo: Codable, Sendable {
        package let id: String, username: String, name: String, createdAt: String, expiresAt: String?, revokedAt: String?
    }

    /// A user's tokens (never the secret), newest first.
    package func tokens(username: String) async throws -> [TokenInfo] {
        try await database.read { db in
            try await db.raw("""
                SELECT t.id, u.username, t.name, t.created_at, t.expires_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id
                WHERE u.username = \(bind: username.lowercased()) ORDER BY t.created_at DESC
                """).all(decoding: TokenInfo.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
    }

    /// Revokes one token by id; it stops working at once.
    package func revokeToken(id: String, by actor: CurrentUser?) async throws {
        try await database.transaction { db in
            let rows = try await db.raw("UPDATE api_tokens SET revoked_at = \(bind: Timestamp.real()) WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING user_id").all()
            guard let row = rows.first else { throw AppError.notFound }
            try await Audit.record(db, actor: actor, actorName: "cli", action: "revoke", entityType: "api_token", entityId: id, unitPath: nil,
                                   summary: "Thu hồi token API của người dùng \(try row.decode(column: "user_id", as: String.self))")
        }
        database.tokens.forget(tokenID: id)
    }

    static func role(_ raw: String) throws -> Role {
        guard let role = Role(rawValue: raw) else {
            throw AppError(.internalServerError, code: "bad_role", vi: "Vai trò không hợp lệ trong cơ sở dữ liệu.", en: "Invalid role stored.")
        }
        return role
    }
}

package struct UserRow: Codable, Sendable {
    package let id: String
    package let username: String
    let displayName: String
    package let role: String
    package let unitPath: String
    package let active: Bool

    /// The column names, so the lookups made on every request decode with the default keys (SQLKit's
    /// snake-case conversion of each key cost more than the query); readers that convert still match.
    enum CodingKeys: String, CodingKey {
        case id, username, displayName = "display_name", role, unitPath = "unit_path", active
    }

    package func currentUser() throws -> CurrentUser {
        CurrentUser(id: id, username: username, displayName: displayName, role: try AuthService.role(role), unitPath: try UnitPath(unitPath))
    }
}

/// The token columns read beside `UserRow` when a bearer token is resolved.
private struct TokenFields: Codable, Sendable {
    let tokenId: String
    let expiresAt: String
    enum CodingKeys: String, CodingKey { case tokenId = "token_id", expiresAt = "expires_at" }
}

/// The sign-in columns of a user row, read beside `UserRow`.
private struct Credentials: Codable, Sendable {
    let passwordHash: String
    let failedLogins: Int
    let lockedUntil: String?
}

/// The session columns of a session lookup, read beside `UserRow`.
private struct SessionFields: Codable, Sendable {
    let csrfToken: String
    let expiresAt: String
    enum CodingKeys: String, CodingKey { case csrfToken = "csrf_token", expiresAt = "expires_at" }
}
