import EpiCore
import Hummingbird
import Logging
import NIOCore

/// The signed-in user as every handler sees it.
public struct CurrentUser: Sendable, Equatable {
    public let id: String
    public let username: String
    public let displayName: String
    public let role: Role
    /// The root of everything this user may see or change.
    public let unitPath: UnitPath

    public func can(_ permission: Permission) -> Bool { role.has(permission) }

    /// Whether a record at `path` lies inside this user's jurisdiction.
    public func covers(_ path: UnitPath) -> Bool { unitPath.contains(path) }
}

/// How the request proved who it is; browser sessions must also prove intent (CSRF).
public enum Credential: Sendable, Equatable {
    case session(id: String, csrfToken: String)
    case apiToken
}

/// The context every request starts with: whatever `AuthMiddleware` could establish.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var user: CurrentUser?
    public var credential: Credential?
    public var language: Language = .vi
    /// Parsed form body, kept so the CSRF check and the handler read the body only once.
    public var form: FormData?

    /// The largest body this request may send, set from its route and caller before anything is read.
    public var bodyLimit = BodyLimits.anonymous
    /// SHA-256 of a repeat-safe request's content (see `IdempotencyKey`).
    public var requestFingerprint: String?

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { bodyLimit }
}

/// The context of every route behind login: a handler that needs a user cannot compile without one.
public struct AuthedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let user: CurrentUser
    public let credential: Credential
    public let language: Language
    public let form: FormData?
    public let bodyLimit: Int
    public let requestFingerprint: String?

    public init(context: AppRequestContext) throws {
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
    }

    public var maxUploadSize: Int { bodyLimit }

    /// Throws 403 unless the user's role grants `permission`.
    public func require(_ permission: Permission) throws {
        guard user.can(permission) else { throw AppError.forbidden }
    }

    public var csrfToken: String {
        if case .session(_, let token) = credential { return token }
        return ""
    }

    public func t(_ vi: String, _ en: String) -> String { language == .vi ? vi : en }
}
