import EpiCore
import Hummingbird
import Logging
import NIOCore

/// The signed-in user as every handler sees it.
package struct CurrentUser: Sendable, Equatable {
    package let id: String
    package let username: String
    package let displayName: String
    package let role: Role
    /// The root of everything this user may see or change.
    package let unitPath: UnitPath

    package init(id: String, username: String, displayName: String, role: Role, unitPath: UnitPath) {
        self.id = id
        self.username = username
        self.displayName = displayName
        self.role = role
        self.unitPath = unitPath
    }

    package func can(_ permission: Permission) -> Bool { role.has(permission) }

    /// Whether a record at `path` lies inside this user's jurisdiction.
    package func covers(_ path: UnitPath) -> Bool { unitPath.contains(path) }
}

/// How the request proved who it is; browser sessions must also prove intent (CSRF).
package enum Credential: Sendable, Equatable {
    case session(id: String, csrfToken: String)
    case apiToken
}

/// The context every request starts with: whatever `AuthMiddleware` could establish.
package struct AppRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package var user: CurrentUser?
    package var credential: Credential?
    package var language: Language = .vi
    /// Parsed form body, kept so the CSRF check and the handler read the body only once.
    package var form: FormData?

    /// The largest body this request may send, set from its route and caller before anything is read.
    package var bodyLimit = BodyLimits.anonymous
    /// SHA-256 of a repeat-safe request's content (see `IdempotencyKey`).
    package var requestFingerprint: String?
    /// Every route with its access rule, so a page can leave out links its reader may not follow.
    package var routes: RouteCatalog?

    /// The address of the socket's other end (the client, or the proxy in front of the server); nil in
    /// tests that run without a socket.
    package var peerAddress: String?

    package init(source: Source) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    package var maxUploadSize: Int { bodyLimit }
}

/// The context of every route behind login: a handler that needs a user cannot compile without one.
package struct AuthedContext: ChildRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let user: CurrentUser
    package let credential: Credential
    package let language: Language
    package let form: FormData?
    package let bodyLimit: Int
    package let requestFingerprint: String?
    package let routes: RouteCatalog?

    package init(context: AppRequestContext) throws {
        guard let user = context.user, let credential = context.credential else {
            throw AppError.unauthenticated
        }
        self.coreContext = context.coreContext
        self.user = user
        self.credential = credential
        self.language = context.language
        self.form = context.form
        self.bodyLimit = context.bodyLimit
        self.requestFingerprint = context.requestFingerprint
        self.routes = context.routes
    }

    /// Whether this reader may open a page of ours (path with an optional query): its GET route's
    /// access rule allows them. A link that would only answer 403 or 404 is better shown as text.
    package func mayOpen(_ link: String) -> Bool {
        guard let routes else { return true }
        let path = String(link.prefix { $0 != "?" && $0 != "#" })
        return routes.rule(method: .get, path: path)?.access.allows(user) ?? false
    }

    package var maxUploadSize: Int { bodyLimit }

    /// Throws 403 unless the user's role grants `permission`.
    package func require(_ permission: Permission) throws {
        guard user.can(permission) else { throw AppError.forbidden }
    }

    package var csrfToken: String {
        if case .session(_, let token) = credential { return token }
        return ""
    }

    package func t(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }
}
