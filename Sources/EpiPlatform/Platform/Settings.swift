import Foundation

/// Everything an operator can configure, read once at start-up.
package struct Settings: Sendable {
    package var database: DatabaseLocation
    package var host: String
    package var port: Int
    /// Set behind HTTPS so cookies carry the Secure attribute.
    package var secureCookies: Bool
    package var bcryptCost: UInt8
    package var sessionHours: Int
    /// Failed logins in a row that lock an account, and for how long.
    package var lockoutThreshold: Int
    package var lockoutMinutes: Int
    /// Where signing keys live (certificates, permits, declarations): outside the database, so a copy
    /// of the data is not a copy of the keys. Nil: `epicommand-keys` beside the SQLite file, or in the
    /// working directory with PostgreSQL.
    package var keysDirectory: String?
    /// Addresses of the reverse proxies in front of the server. Only a request arriving from one of them
    /// may name its client in `X-Forwarded-For`/`X-Real-IP`; anyone else could write any address there
    /// and escape per-client limits.
    package var trustedProxies: Set<String> = []
    /// Certificate checks (`POST /api/v1/certificates/verify`) a client behind the proxy may make per
    /// minute; a direct peer (a shared address, or a server without its proxy configured) gets 50 times this.
    package var verifyRequestsPerMinute = 120

    package init(
        database: DatabaseLocation = .sqliteFile("epicommand.sqlite"),
        host: String = "127.0.0.1",
        port: Int = 8080,
        secureCookies: Bool = false,
        bcryptCost: UInt8 = 12,
        sessionHours: Int = 12,
        lockoutThreshold: Int = 5,
        lockoutMinutes: Int = 15,
        keysDirectory: String? = nil
    ) {
        self.database = database
        self.host = host
        self.port = port
        self.secureCookies = secureCookies
        self.bcryptCost = bcryptCost
        self.sessionHours = sessionHours
        self.lockoutThreshold = lockoutThreshold
        self.lockoutMinutes = lockoutMinutes
        self.keysDirectory = keysDirectory
    }

    /// The folder signing keys are kept in (see `keysDirectory`).
    package var resolvedKeysDirectory: String {
        if let keysDirectory, !keysDirectory.isEmpty { return keysDirectory }
        if case .sqliteFile(let path) = database {
            return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("epicommand-keys").path
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("epicommand-keys").path
    }

    /// Reads `DATABASE_URL`, `EPI_SQLITE_PATH`, `EPI_HOST`, `EPI_PORT`, `EPI_SECURE_COOKIES`,
    /// `EPI_BCRYPT_COST`, `EPI_SESSION_HOURS`, `EPI_KEYS_DIR`, `EPI_VERIFY_RATE_LIMIT` and `EPI_TRUSTED_PROXIES` (comma-separated addresses).
    package static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Settings {
        var settings = Settings()
        if let url = env["DATABASE_URL"], !url.isEmpty {
            settings.database = .postgres(url: url)
        } else if let path = env["EPI_SQLITE_PATH"], !path.isEmpty {
            settings.database = .sqliteFile(path)
        }
        if let host = env["EPI_HOST"], !host.isEmpty { settings.host = host }
        if let port = env["EPI_PORT"].flatMap(Int.init) { settings.port = port }
        settings.secureCookies = env["EPI_SECURE_COOKIES"] == "1"
        if let cost = env["EPI_BCRYPT_COST"].flatMap(UInt8.init), (4...31).contains(cost) { settings.bcryptCost = cost }
        if let hours = env["EPI_SESSION_HOURS"].flatMap(Int.init), hours > 0 { settings.sessionHours = hours }
        if let keys = env["EPI_KEYS_DIR"], !keys.isEmpty { settings.keysDirectory = keys }
        if let n = env["EPI_VERIFY_RATE_LIMIT"].flatMap(Int.init), n > 0 { settings.verifyRequestsPerMinute = n }
        if let proxies = env["EPI_TRUSTED_PROXIES"] {
            settings.trustedProxies = Set(proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        return settings
    }
}
