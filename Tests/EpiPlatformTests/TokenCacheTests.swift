import EpiCore
import Foundation
import Testing
@testable import EpiPlatform

/// The bounds on how long a token held in memory may outlive a change (see `TokenCache`).
@Suite("API tokens held in memory")
struct TokenCacheTests {
    let now = Date(timeIntervalSince1970: 1_631_232_000)

    func user(_ id: String) throws -> CurrentUser {
        CurrentUser(id: id, username: id, displayName: id, role: .checkpoint, unitPath: try UnitPath("01/007/00295"))
    }

    @Test func aTokenIsHeldForSecondsAndNeverPastItsExpiry() throws {
        let cache = TokenCache()
        cache.remember(digest: "d1", user: try user("u1"), tokenID: "t1", expiresAt: now.addingTimeInterval(3600), now: now, generation: cache.generation)
        #expect(cache.user(digest: "d1", now: now.addingTimeInterval(1))?.id == "u1")
        #expect(cache.user(digest: "d1", now: now.addingTimeInterval(TokenCache.lifetime + 0.1)) == nil, "read again from the tables after the lifetime")

        cache.remember(digest: "d2", user: try user("u2"), tokenID: "t2", expiresAt: now.addingTimeInterval(2), now: now, generation: cache.generation)
        #expect(cache.user(digest: "d2", now: now.addingTimeInterval(1))?.id == "u2")
        #expect(cache.user(digest: "d2", now: now.addingTimeInterval(2)) == nil, "expired while held")
        #expect(cache.user(digest: "unknown", now: now) == nil)
    }

    @Test func revokingOrDeactivatingForgetsAtOnce() throws {
        let cache = TokenCache()
        let g = cache.generation
        cache.remember(digest: "d1", user: try user("u1"), tokenID: "t1", expiresAt: now.addingTimeInterval(3600), now: now, generation: g)
        cache.remember(digest: "d2", user: try user("u1"), tokenID: "t2", expiresAt: now.addingTimeInterval(3600), now: now, generation: g)
        cache.remember(digest: "d3", user: try user("u3"), tokenID: "t3", expiresAt: now.addingTimeInterval(3600), now: now, generation: g)
        cache.forget(tokenID: "t1")
        #expect(cache.user(digest: "d1", now: now) == nil)
        #expect(cache.user(digest: "d2", now: now)?.id == "u1")
        cache.forget(userID: "u1")
        #expect(cache.user(digest: "d2", now: now) == nil)
        #expect(cache.user(digest: "d3", now: now)?.id == "u3")
    }

    @Test func aLookupStartedBeforeARevocationCannotPutTheOldAnswerBack() throws {
        let cache = TokenCache()
        let started = cache.generation
        // The lookup reads the token as valid; meanwhile the token is revoked and forgotten.
        cache.forget(tokenID: "t1")
        cache.remember(digest: "d1", user: try user("u1"), tokenID: "t1", expiresAt: now.addingTimeInterval(3600), now: now, generation: started)
        #expect(cache.user(digest: "d1", now: now) == nil)
    }
}
