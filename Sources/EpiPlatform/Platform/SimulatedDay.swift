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

    /// Today for this database: on the clock started on its simulated day (which moves on at midnight
    /// like any day), else today in Vietnam.
    package static func today(_ db: any SQLDatabase) async throws -> CivilDate {
        try await get(db).map(Clock.today(from:)) ?? VietnamTime.day(of: Date())
    }

    /// Fixes (or with nil, clears) the day this database's data is as of, and sets the clock to it.
    package static func set(_ db: any SQLDatabase, _ day: CivilDate?) async throws {
        try await db.raw("DELETE FROM system_settings WHERE key = \(bind: key)").run()
        if let day { try await db.raw("INSERT INTO system_settings (key, value) VALUES (\(bind: key), \(bind: day.iso))").run() }
        Clock.simulate(day)
    }
}

/// "Now" for the data people enter and read: the real instant, or, when the database is a demo set on
/// a fixed day (`SimulatedDay`), the real instant moved back by whole days so that the process starts
/// on that day at the real time of day — so a report is due this evening and a quarantine ends in 14
/// days of September 2021, as in the seed documents. The clock then runs on: a demo left serving past
/// midnight moves to the next day instead of jumping back 24 hours, which would date later changes
/// before earlier ones and make a code signed at 23:59 not yet valid at 00:01. A process serves one
/// database, so the clock is process-wide; it is set at start from the database and never cleared by
/// a database that has no simulated day (production never sets one).
///
/// Sign-in, sessions, lockouts, API tokens and identifiers keep the real time (`Date()`): security
/// windows must not stand still on a simulated day.
package enum Clock {
    private static let simulation = NIOLockedValueBox<SimulatedClock?>(nil)

    /// Today on the simulated clock, when the data is a demo set on a day (shown in the page header).
    package static var simulated: CivilDate? {
        simulation.withLockedValue { $0 }.map { $0.today(real: Date()) }
    }

    package static func now() -> Date {
        let real = Date()
        return simulation.withLockedValue { $0 }.map { $0.now(real: real) } ?? real
    }

    /// Today in Vietnam on this clock.
    package static func today() -> CivilDate {
        VietnamTime.day(of: now())
    }

    /// Today for data set on `day`: the clock's today when it was started on that day, else that day.
    package static func today(from day: CivilDate) -> CivilDate {
        simulation.withLockedValue { $0 }.flatMap { $0.day == day ? $0.today(real: Date()) : nil } ?? day
    }

    /// Starts the clock on `day` at the real time of day (or at `secondsOfDay`, local time), or with nil
    /// returns it to real time. Setting the day it was already started on leaves it running: each test,
    /// each reopening of the same demo database, sets the day again, and must not turn the clock back.
    package static func simulate(_ day: CivilDate?, secondsOfDay: Int? = nil) {
        simulation.withLockedValue { current in
            guard let day else { current = nil; return }
            guard current?.day != day else { return }
            current = SimulatedClock(day: day, real: Date(), secondsOfDay: secondsOfDay)
        }
    }
}

/// A clock started on a past day that then runs at the real pace: a fixed distance behind the real instant.
package struct SimulatedClock: Sendable {
    /// The day it was started on.
    package let day: CivilDate
    /// How far it stands behind the real instant.
    package let behind: TimeInterval

    /// Started at `real` on `day`: at the real time of day (Vietnam keeps no summer time, so whole days
    /// keep the hour), or at `secondsOfDay` after that day's midnight.
    package init(day: CivilDate, real: Date, secondsOfDay: Int? = nil) {
        self.day = day
        if let secondsOfDay {
            behind = real.timeIntervalSince(VietnamTime.instant(day).addingTimeInterval(TimeInterval(secondsOfDay)))
        } else {
            behind = TimeInterval(VietnamTime.day(of: real).dayNumber - day.dayNumber) * 86_400
        }
    }

    package func now(real: Date) -> Date { real.addingTimeInterval(-behind) }

    package func today(real: Date) -> CivilDate { VietnamTime.day(of: now(real: real)) }
}
