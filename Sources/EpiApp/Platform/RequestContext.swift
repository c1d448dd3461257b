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

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    /// Imports upload whole resident lists, so allow bodies far beyond the 2 MB default.
    public var maxUploadSize: Int { 256 * 1024 * 1024 }
}

/// The context of every route behind login: a handler that needs a user cannot compile without one.
public struct AuthedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let user: CurrentUser
    public let credential: Credential
    public let language: Language
    public let form: FormData?

    public init(context: AppRequestContext) throws {
        guard let user = context.user, let credential = context.credential else {
            throw AppError.unauthenticated
        }
        self.coreContext = context.coreContext
        self.user = user
        self.credential = credential
        self.language = context.language
        self.form = context.form
    }

    public var maxUploadSize: Int { 256 * 1024 * 1024 }

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
