import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers

/// Who may call a route. Declared where the route is registered and checked before its handler
/// runs, so a route cannot exist without an access rule, and the authorization matrix test can read
/// every rule from the catalog.
package enum Access: Sendable, Equatable {
    /// Anyone, signed in or not (login, health, the public hotline directory).
    case open
    /// Any signed-in user; the handler narrows what they see to their own unit.
    case signedIn
    /// Users whose role grants the permission.
    case can(Permission)
    /// Users whose role grants at least one of the permissions.
    case anyOf([Permission])

    package func allows(_ user: CurrentUser?) -> Bool {
        switch self {
        case .open: return true
        case .signedIn: return user != nil
        case .can(let p): return user?.can(p) ?? false
        case .anyOf(let ps): return user.map { u in ps.contains { u.can($0) } } ?? false
        }
    }
}

/// The largest body a route reads; enforced before a byte of it is read, and before authentication.
package enum BodySize: Sendable, Equatable {
    /// GET routes: no body at all.
    case none
    /// Forms and JSON (an F0 with twenty contacts is a few kilobytes).
    case standard
    /// File uploads and bulk imports, for signed-in users only.
    case upload

    package var bytes: Int {
        switch self {
        case .none: return 0
        case .standard: return BodyLimits.standard
        case .upload: return BodyLimits.upload
        }
    }
}

/// Body ceilings in bytes (docs/configuration.md).
package enum BodyLimits {
    /// What an anonymous caller may send to any route (a login form is a few hundred bytes).
    package static let anonymous = 64 * 1024
    package static let standard = 1 << 20
    package static let upload = 128 << 20
}

/// One registered route: method, full path pattern, who may call it and how large its body may be.
package struct RouteRule: Sendable, Equatable {
    package let method: HTTPRequest.Method
    package let path: String
    package let access: Access
    package let body: BodySize
    /// Path segments, with `:name` for a parameter.
    let segments: [Substring]
    /// Which segments are parameters, worked out once rather than on every request.
    let parameters: [Bool]

    init(method: HTTPRequest.Method, path: String, access: Access, body: BodySize) {
        self.method = method
        self.path = path
        self.access = access
        self.body = body
        self.segments = path.split(separator: "/")
        self.parameters = segments.map { $0.hasPrefix(":") }
    }

    func matches(method: HTTPRequest.Method, segments request: [Substring]) -> Bool {
        guard method == self.method, request.count == segments.count else { return false }
        for i in segments.indices where !parameters[i] && segments[i] != request[i] { return false }
        return true
    }

    /// The bucket of `RouteCatalog`'s index a route or a request falls in.
    static func bucket(_ method: HTTPRequest.Method, _ segmentCount: Int) -> String { "\(method.rawValue) \(segmentCount)" }
}

/// Every route of the application with its rule, filled as routes are registered.
package final class RouteCatalog: Sendable {
    private struct State: Sendable {
        var rules: [RouteRule] = []
        /// Rules by method and number of segments, in registration order; built at the first request.
        /// Every request looks its rule up, and a walk through all 335 rules was 2 % of a small API call.
        var index: [String: [RouteRule]]?
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    package var rules: [RouteRule] { state.withLockedValue { $0.rules } }

    func add(_ rule: RouteRule) {
        state.withLockedValue {
            $0.rules.append(rule)
            $0.index = nil
        }
    }

    /// The rule for a request, if a registered route matches it (the first registered, if several do).
    package func rule(method: HTTPRequest.Method, path: String) -> RouteRule? {
        let segments = path.split(separator: "/")
        return state.withLockedValue { state in
            if state.index == nil { state.index = Dictionary(grouping: state.rules) { RouteRule.bucket($0.method, $0.segments.count) } }
            return state.index?[RouteRule.bucket(method, segments.count)]?.first { $0.matches(method: method, segments: segments) }
        }
    }
}

/// A router group whose every route declares its access rule and body size: the only way the
/// features register routes.
package struct Routes<Context: RequestContext>: Sendable {
    let group: RouterGroup<Context>
    let prefix: String
    let catalog: RouteCatalog
    let user: @Sendable (Context) -> CurrentUser?

    package init(_ group: RouterGroup<Context>, prefix: String, catalog: RouteCatalog, user: @escaping @Sendable (Context) -> CurrentUser?) {
        self.group = group
        self.prefix = prefix
        self.catalog = catalog
        self.user = user
    }

    @discardableResult
    package func get(_ path: String, _ access: Access, use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        on(path, .get, access, body: .none, use: handler)
    }

    @discardableResult
    package func post(_ path: String, _ access: Access, body: BodySize = .standard, use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        on(path, .post, access, body: body, use: handler)
    }

    @discardableResult
    package func put(_ path: String, _ access: Access, body: BodySize = .standard, use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        on(path, .put, access, body: body, use: handler)
    }

    @discardableResult
    func on(_ path: String, _ method: HTTPRequest.Method, _ access: Access, body: BodySize, use handler: @escaping @Sendable (Request, Context) async throws -> Response) -> Self {
        let full = "/" + [prefix, path].filter { !$0.isEmpty }.joined(separator: "/")
        catalog.add(RouteRule(method: method, path: full, access: access, body: body))
        let user = self.user
        group.on(RouterPath(path), method: method) { request, context in
            guard access.allows(user(context)) else { throw AppError.forbidden }
            return try await handler(request, context)
        }
        return self
    }
}
