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

/// Static files every capability ships in `Resources/static/` (CSS, scripts, a service worker) and the
/// OpenAPI document, all read once at start and served from memory.
package struct StaticRoutes: Sendable {
    let apiDocument: Data
    let files: StaticFiles

    package init(apiDocument: Data, files: StaticFiles) {
        self.apiDocument = apiDocument
        self.files = files
    }

    package func register(_ router: Routes<AppRequestContext>) {
        let files = files
        router.get("static/:file", .open) { _, context in
            guard let name = context.parameters.get("file"), let file = files[name] else { throw AppError.notFound }
            return Response(status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=300"], body: .init(byteBuffer: .init(bytes: file.data)))
        }
        let document = apiDocument
        router.get("api/openapi.json", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "public, max-age=300"], body: .init(byteBuffer: .init(bytes: document)))
        }
    }
}

/// The files of every capability's `Resources/static/`, by name. Two capabilities shipping the same
/// name is refused at start, like templates.
package struct StaticFiles: Sendable {
    package struct File: Sendable {
        package let data: [UInt8]
        package let type: String
    }

    private let byName: [String: File]

    package subscript(name: String) -> File? { byName[name] }

    /// Names of the files whose name starts with `prefix` (e.g. the verifier's plug-ins `verify-…js`), sorted.
    package func names(startingWith prefix: String) -> [String] { byName.keys.filter { $0.hasPrefix(prefix) }.sorted() }

    package static func load(_ resources: [CapabilityResources]) throws -> StaticFiles {
        let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "json": "application/json",
                     "svg": "image/svg+xml", "png": "image/png", "webmanifest": "application/manifest+json"]
        var byName: [String: File] = [:]
        var owner: [String: String] = [:]
        for bundle in resources {
            let folder = bundle.root.appendingPathComponent("static")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
            for name in names.sorted() {
                guard let ext = name.split(separator: ".").last.map(String.init), let type = types[ext] else { continue }
                if let other = owner[name] {
                    throw AppError(.internalServerError, code: "static_clash", vi: "Tệp tĩnh \(name) có ở cả \(other) và \(bundle.name).",
                                   en: "Static file \(name) ships in both \(other) and \(bundle.name).")
                }
                byName[name] = File(data: Array(try Data(contentsOf: folder.appendingPathComponent(name))), type: type)
                owner[name] = bundle.name
            }
        }
        return StaticFiles(byName: byName)
    }
}
