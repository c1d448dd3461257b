import EpiCore
import Foundation
import NIOConcurrencyHelpers

/// API tokens resolved in the last few seconds, so a checkpoint phone or a laboratory system sending
/// many requests is not looked up in the database for each one (the lookup was half the cost of a
/// small authenticated request).
///
/// What this costs in security, and why it is bounded:
/// - A token revoked, or a user deactivated, **through this server** (the web page or the API) is
///   forgotten at once: `forget(tokenID:)` and `forget(userID:)` run after the change commits, and a
///   lookup that was already under way when the change happened cannot put the old answer back
///   (each forget starts a new generation; an answer read in an older one is not kept).
/// - The same change made **elsewhere** (the `epicommand user` commands, another server on the same
///   PostgreSQL) reaches this server when the entry ages out: at most `lifetime` seconds.
/// - Only tokens that resolved to an active user are kept; a wrong token is looked up every time.
/// - A token's own expiry is checked on every use.
package final class TokenCache: Sendable {
    package static let lifetime: TimeInterval = 5
    static let capacity = 10_000

    private struct Entry: Sendable {
        let user: CurrentUser
        let tokenID: String
        let expiresAt: Date
        let storedAt: Date
    }

    private struct State: Sendable {
        var entries: [String: Entry] = [:]
        var generation = 0
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// The generation a lookup starts in; pass it to `remember`.
    var generation: Int { state.withLockedValue { $0.generation } }

    func user(digest: String, now: Date) -> CurrentUser? {
        state.withLockedValue { state in
            guard let entry = state.entries[digest] else { return nil }
            guard now.timeIntervalSince(entry.storedAt) < Self.lifetime, now < entry.expiresAt else {
                state.entries[digest] = nil
                return nil
            }
            return entry.user
        }
    }

    func remember(digest: String, user: CurrentUser, tokenID: String, expiresAt: Date, now: Date, generation: Int) {
        state.withLockedValue { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[digest] = Entry(user: user, tokenID: tokenID, expiresAt: expiresAt, storedAt: now)
        }
    }

    package func forget(tokenID: String) {
        state.withLockedValue { state in
            state.generation += 1
            state.entries = state.entries.filter { $0.value.tokenID != tokenID }
        }
    }

    package func forget(userID: String) {
        state.withLockedValue { state in
            state.generation += 1
            state.entries = state.entries.filter { $0.value.user.id != userID }
        }
    }
}
