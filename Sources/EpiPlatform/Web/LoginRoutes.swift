import EpiCore
import Foundation
import Hummingbird

/// Sign-in and sign-out pages, the language switch, and the login form's CSRF cookie.
package struct LoginRoutes: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package func register(_ router: Routes<AppRequestContext>) {
        router.get("login", .open, use: loginForm)
        router.post("login", .open, use: login)
        router.post("logout", .open, use: logout)
        router.get("lang/:lang", .open, use: switchLanguage)
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int?) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: services.settings.secureCookies, httpOnly: true, sameSite: .lax)
    }

    @Sendable func loginForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        if context.user != nil { return Views.redirect("/") }
        return render(request: request, context: context, error: nil, username: "")
    }

    private func render(request: Request, context: AppRequestContext, error: String?, username: String, status: HTTPResponse.Status = .ok) -> Response {
        // Double-submit token: the login form predates any session, so its CSRF token lives in its own cookie.
        let token = request.cookies[SessionCookie.loginCSRF]?.value ?? Tokens.random()
        let next = LocalPath.checked(request.uri.queryParameters.get("next")) ?? ""
        var response = services.views.publicPage("login", title: context.language == .vi ? "Đăng nhập" : "Sign in", language: context.language, data: [
            "csrf": token, "error": error as Any, "username": username, "next": next,
        ], status: status)
        response.setCookie(cookie(SessionCookie.loginCSRF, token, maxAge: 3600))
        return response
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = context.form ?? FormData()
        let vi = context.language == .vi
        guard let expected = request.cookies[SessionCookie.loginCSRF]?.value, let provided = form["_csrf"], Tokens.constantTimeEquals(expected, provided) else {
            throw AppError.csrf
        }
        let username = form.value("username") ?? ""
        switch try await services.auth.login(username: username, password: form["password"] ?? "") {
        case .success(let token, _):
            var response = Views.redirect(local: form.value("next"), fallback: "/")
            response.setCookie(cookie(SessionCookie.name, token, maxAge: services.settings.sessionHours * 3600))
            return response
        case .invalid:
            return render(request: request, context: context, error: vi ? "Tên đăng nhập hoặc mật khẩu không đúng." : "Wrong username or password.", username: username, status: .unauthorized)
        case .locked(let until):
            let time = DisplayTime.format(Timestamp.string(until))
            return render(request: request, context: context,
                          error: vi ? "Tài khoản tạm khóa do đăng nhập sai nhiều lần, đến \(time)." : "Account locked after repeated failed sign-ins, until \(time).",
                          username: username, status: .tooManyRequests)
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let user = context.user, case .session(let id, _) = context.credential {
            try await services.auth.logout(sessionID: id, user: user)
        }
        var response = Views.redirect("/login")
        response.setCookie(cookie(SessionCookie.name, "", maxAge: 0))
        return response
    }

    @Sendable func switchLanguage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let lang = Language(rawValue: context.parameters.get("lang") ?? "") ?? .vi
        // Only same-site paths, so the switch cannot be used as an open redirect.
        let back = request.headers[.referer].flatMap { URL(string: $0)?.path }
        var response = Views.redirect(local: back, fallback: "/")
        response.setCookie(Cookie(name: "lang", value: lang.rawValue, maxAge: 365 * 86400, path: "/", secure: services.settings.secureCookies, httpOnly: false, sameSite: .lax))
        return response
    }

}

/// CSS and the OpenAPI document, served from resources.
package struct StaticRoutes: Sendable {
    let apiDocument: Data

    package init(apiDocument: Data) {
        self.apiDocument = apiDocument
    }

    package func register(_ router: Routes<AppRequestContext>) {
        router.get("static/app.css", .open) { _, _ in try Self.file("static/app.css", type: "text/css; charset=utf-8") }
        router.get("static/app.js", .open) { _, _ in try Self.file("static/app.js", type: "text/javascript; charset=utf-8") }
        let document = apiDocument
        router.get("api/openapi.json", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"], body: .init(byteBuffer: .init(bytes: document)))
        }
    }

    static func file(_ path: String, type: String) throws -> Response {
        let data = try ResourceFiles.data(path)
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"], body: .init(byteBuffer: .init(bytes: data)))
    }
}
