import EpiCore
import Foundation
import Hummingbird
import HTTPTypes
import Logging

/// Establishes who is calling (session cookie or bearer token) and, for browser sessions,
/// rejects any state-changing request that does not carry the session's CSRF token.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let auth: AuthService
    let catalog: RouteCatalog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        var context = context
        context.language = Language.from(request)
        // Refuse an oversized body by its declared length before authenticating or reading any of it.
        let routeLimit = catalog.rule(method: request.method, path: request.uri.path)?.body.bytes ?? BodyLimits.standard
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > max(routeLimit, BodyLimits.anonymous) { throw AppError.tooLarge }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            guard let user = try await auth.apiUser(token: String(header.dropFirst(7))) else {
                throw AppError.unauthenticated
            }
            context.user = user
            context.credential = .apiToken
        } else if let cookie = request.cookies[SessionCookie.name], let (user, credential) = try await auth.session(token: cookie.value) {
            context.user = user
            context.credential = credential
        }
        // Uploads are for signed-in users; anyone else may send a small form at most.
        context.bodyLimit = context.user == nil ? BodyLimits.anonymous : max(routeLimit, BodyLimits.anonymous)
        if let declared, declared > context.bodyLimit { throw AppError.tooLarge }
        let unsafeMethod = [.post, .put, .patch, .delete].contains(request.method)
        if unsafeMethod {
            let contentType = request.headers[.contentType] ?? ""
            if contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.hasPrefix("multipart/form-data") {
                let body = try await request.collectBody(upTo: context.bodyLimit)
                context.form = try FormData.parse(contentType: contentType, body: body)
            }
            if case .session(_, let expected) = context.credential {
                let provided = request.headers[HTTPField.Name("X-CSRF-Token")!] ?? context.form?["_csrf"]
                guard let provided, Tokens.constantTimeEquals(provided, expected) else {
                    throw AppError.csrf
                }
            }
        }
        return try await next(request, context)
    }
}

enum SessionCookie {
    static let name = "epi_session"
    static let loginCSRF = "epi_login_csrf"
}

/// Turns every error into a page (for browsers) or a JSON envelope (for `/api`), never a stack trace.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let views: Views

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            SecurityHeaders.apply(&response)
            return response
        } catch {
            let language = Language.from(request)
            let appError: AppError
            switch error {
            case let e as AppError: appError = e
            case let e as HTTPError where e.status == .notFound: appError = .notFound
            case let e as HTTPError where e.status == .contentTooLarge: appError = .tooLarge
            case let e as HTTPError:
                appError = AppError(e.status, code: "http_\(e.status.code)", vi: e.body ?? "Yêu cầu không hợp lệ.", en: e.body ?? "Bad request.")
            case let e as any HTTPResponseError where e.status == .contentTooLarge: appError = .tooLarge
            case let e as any HTTPResponseError where (400..<500).contains(Int(e.status.code)):
                appError = AppError(e.status, code: "http_\(e.status.code)", vi: "Yêu cầu không hợp lệ.", en: "Bad request.")
            case is DecodingError:
                appError = .invalid("Dữ liệu gửi lên không đúng định dạng.", "The request body is not in the expected format.")
            default:
                context.logger.error("unhandled error: \(String(reflecting: error))")
                appError = AppError(.internalServerError, code: "internal", vi: "Lỗi hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại.", en: "Internal error. Nothing was changed; please try again.")
            }
            var response: Response
            if request.uri.path.hasPrefix("/api/") {
                struct Envelope: Encodable {
                    struct Body: Encodable { let code: String; let message: String; let details: [String: String]? }
                    let error: Body
                }
                response = try JSON.response(
                    Envelope(error: .init(code: appError.code, message: appError.message(language), details: appError.details.isEmpty ? nil : appError.details)),
                    status: appError.status
                )
            } else if appError.status == .unauthorized {
                let next = request.uri.path == "/" ? "" : "?next=\(request.uri.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/._-"))) ?? "")"
                response = Views.redirect("/login\(next)")
            } else {
                let data: [String: Any] = ["status": Int(appError.status.code), "message": appError.message(language), "details": appError.details.map { ["field": $0.key, "problem": $0.value] }, "hasDetails": !appError.details.isEmpty]
                response = views.publicPage("error", title: "\(appError.status.code)", language: language, data: data, status: appError.status)
            }
            SecurityHeaders.apply(&response)
            return response
        }
    }
}

enum SecurityHeaders {
    static func apply(_ response: inout Response) {
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }
}
