import EpiCore
import Foundation
import NIOConcurrencyHelpers
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

    /// Fixes (or with nil, clears) the day this database's data is as of, and sets the clock to it.
    package static func set(_ db: any SQLDatabase, _ day: CivilDate?) async throws {
        try await db.raw("DELETE FROM system_settings WHERE key = \(bind: key)").run()
        if let day { try await db.raw("INSERT INTO system_settings (key, value) VALUES (\(bind: key), \(bind: day.iso))").run() }
        Clock.simulate(day)
    }
}

/// "Now" for the data people enter and read: the real instant, or, when the database is a demo set on
/// a fixed day (`SimulatedDay`), that day at the real time of day — so a report is due this evening
/// and a quarantine ends in 14 days of September 2021, as in the seed documents. A process serves one
/// database, so the clock is process-wide; it is set at start from the database and never cleared by
/// a database that has no simulated day (production never sets one).
///
/// Sign-in, sessions, lockouts, API tokens and identifiers keep the real time (`Date()`): security
/// windows must not stand still on a simulated day.
package enum Clock {
    private static let simulatedDay = NIOLockedValueBox<CivilDate?>(nil)

    /// The simulated day, when the data is a demo set on one (shown in the page header).
    package static var simulated: CivilDate? { simulatedDay.withLockedValue { $0 } }

    package static func now() -> Date {
        let real = Date()
        guard let day = simulated else { return real }
        let local = VietnamTime.localSeconds(real)
        let secondsOfDay = local - Int((Double(local) / 86_400).rounded(.down)) * 86_400
        let fraction = real.timeIntervalSince1970 - real.timeIntervalSince1970.rounded(.down)
        return VietnamTime.instant(day).addingTimeInterval(TimeInterval(secondsOfDay) + fraction)
    }

    /// Today in Vietnam, or the simulated day.
    package static func today() -> CivilDate {
        simulated ?? VietnamTime.day(of: Date())
    }

    package static func simulate(_ day: CivilDate?) {
        simulatedDay.withLockedValue { $0 = day }
    }
}
