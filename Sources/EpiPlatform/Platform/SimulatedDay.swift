import EpiCore
import Foundation
import SQLKit

/// The day a database's data is "as of": unset in production (today in Vietnam), fixed for a demo set
/// in September 2021 or a benchmark, so that rules that depend on today (how long a contact is
/// followed) judge that data as it was then. Kept in the database, so every process and test that
/// opens it agrees.
package enum SimulatedDay {
    static let key = "simulated_today"

    /// The simulated day, if this database has one.
    package static func get(_ db: any SQLDatabase) async throws -> CivilDate? {
        guard let row = try await db.raw("SELECT value FROM system_settings WHERE key = \(bind: key)").first() else { return nil }
        return CivilDate(iso: try row.decode(column: "value", as: String.self))
    }

    /// Today for this database: the simulated day, else today in Vietnam.
    package static func today(_ db: any SQLDatabase) async throws -> CivilDate {
        try await get(db) ?? VietnamTime.day(of: Date())
    }

    /// Fixes (or with nil, clears) the day this database's data is as of.
    package static func set(_ db: any SQLDatabase, _ day: CivilDate?) async throws {
        try await db.raw("DELETE FROM system_settings WHERE key = \(bind: key)").run()
        if let day { try await db.raw("INSERT INTO system_settings (key, value) VALUES (\(bind: key), \(bind: day.iso))").run() }
    }
}
