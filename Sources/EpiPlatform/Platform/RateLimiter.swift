import Foundation
import Hummingbird
import NIOConcurrencyHelpers

/// A fixed-window count of requests per client, in memory: enough to stop one machine flooding a public
/// form or endpoint; a deployment behind several servers adds the same limit at its reverse proxy.
/// (Moved here from the health declarations so the certificate verifier shares it.)
package final class RateLimiter: Sendable {
    private let state = NIOLockedValueBox<[String: (start: Date, count: Int)]>([:])
    let limit: Int
    let window: TimeInterval

    package init(limit: Int, window: TimeInterval) {
        self.limit = limit
        self.window = window
    }

    package func allow(_ client: String, now: Date = Date()) -> Bool {
        state.withLockedValue { table in
            if table.count > 100_000 { table = table.filter { now.timeIntervalSince($0.value.start) < window } }
            var entry = table[client] ?? (now, 0)
            if now.timeIntervalSince(entry.start) >= window { entry = (now, 0) }
            entry.count += 1
            table[client] = entry
            return entry.count <= limit
        }
    }

    /// Who is asking: the client a trusted proxy names (the last address it appended to
    /// `X-Forwarded-For`, or `X-Real-IP`), or else the socket's peer. A header from anyone else is ignored,
    /// since a bot could write a new address into it for every request.
    package static func client(_ request: Request, peer: String?, trusted: Set<String>) -> (key: String, forwarded: Bool) {
        guard let peer, trusted.contains(peer) else { return (peer ?? "unknown", false) }
        var forwarded: String?
        for field in request.headers where field.name.canonicalName == "x-forwarded-for" { forwarded = field.value }
        if forwarded == nil { for field in request.headers where field.name.canonicalName == "x-real-ip" { forwarded = field.value } }
        guard let last = forwarded?.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty else { return (peer, false) }
        return (String(last.prefix(64)), true)
    }
}
