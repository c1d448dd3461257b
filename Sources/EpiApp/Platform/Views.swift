import EpiCore
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// Server-rendered pages: Mustache templates shipped as resources, wrapped in one layout.
public struct Views: Sendable {
    let library: MustacheLibrary

    /// Loads every template under `Resources/templates`.
    public static func load() async throws -> Views {
        let library = try await MustacheLibrary(directory: ResourceFiles.url("templates").path)
        guard library.getTemplate(named: "layout") != nil else {
            throw AppError(.internalServerError, code: "templates_missing", vi: "Thiếu thư mục giao diện.", en: "Templates folder missing.")
        }
        return Views(library: library)
    }

    func render(_ template: String, _ data: [String: Any]) -> String {
        guard let html = library.render(TemplateData.clean(data), withTemplate: template) else {
            return "<p>template \(template) missing</p>"
        }
        return html
    }

    /// A page for a signed-in user: the template's output inside the layout with the role's navigation.
    func page(
        _ template: String,
        title: String,
        context: AuthedContext,
        data: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        active: String = ""
    ) -> Response {
        var data = data
        let t = Strings.table(context.language)
        data["t"] = t
        data["csrf"] = context.csrfToken
        data["lang"] = context.language.rawValue
        let content = render(template, data)
        let layout: [String: Any] = [
            "t": t,
            "lang": context.language.rawValue,
            "title": title,
            "content": content,
            "csrf": context.csrfToken,
            "user": [
                "displayName": context.user.displayName,
                "username": context.user.username,
                "role": context.language == .vi ? context.user.role.labelVI : context.user.role.labelEN,
                "unit": context.user.unitPath.string,
            ],
            "nav": Navigation.items(for: context.user, language: context.language, active: active),
            "hasNav": true,
            "otherLang": context.language == .vi ? "en" : "vi",
            "otherLangLabel": context.language == .vi ? "English" : "Tiếng Việt",
        ]
        return Self.html(render("layout", layout), status: status)
    }

    /// A page without a signed-in user (login, errors before login).
    func publicPage(_ template: String, title: String, language: Language, data: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
        var data = data
        let t = Strings.table(language)
        data["t"] = t
        data["lang"] = language.rawValue
        let layout: [String: Any] = [
            "t": t,
            "lang": language.rawValue,
            "title": title,
            "content": render(template, data),
            "otherLang": language == .vi ? "en" : "vi",
            "otherLangLabel": language == .vi ? "English" : "Tiếng Việt",
        ]
        return Self.html(render("layout", layout), status: status)
    }

    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A redirect to a path the request named (`next`, `back`), or to `fallback` when that path could
    /// lead off this site.
    static func redirect(local raw: String?, fallback: String) -> Response {
        redirect(LocalPath.checked(raw) ?? fallback)
    }
}

/// Paths on this site only: what a form or query names as where to go next must not become an open
/// redirect ("//evil.example", "/\evil.example", "https://…", control characters).
enum LocalPath {
    static func checked(_ raw: String?) -> String? {
        guard let raw, raw.count <= 2000, raw.hasPrefix("/") else { return nil }
        let scalars = raw.unicodeScalars
        guard !scalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F || $0 == "\\" }) else { return nil }
        guard !raw.hasPrefix("//"), !raw.hasPrefix("/%2f"), !raw.hasPrefix("/%2F"), !raw.hasPrefix("/%5c"), !raw.hasPrefix("/%5C") else { return nil }
        guard let url = URL(string: raw), url.scheme == nil, url.host == nil else { return nil }
        return raw
    }
}

/// The menu a role sees: only what its permissions allow.
enum Navigation {
    static func items(for user: CurrentUser, language: Language, active: String) -> [[String: Any]] {
        let t = Strings.table(language)
        func label(_ key: String) -> String { t[key] ?? key }
        var items: [(String, String, String)] = [("home", "/", label("nav_home")), ("units", "/units", label("nav_units"))]
        if user.can(.viewPeople) { items.append(("people", "/people", label("nav_people"))) }
        if user.can(.importResidents) { items.append(("import", "/residents/import", label("nav_import"))) }
        if user.can(.viewCases) {
            items += [("cases", "/cases", label("nav_cases")), ("contacts", "/contacts", label("nav_contacts")), ("tracing", "/tracing", label("nav_tracing"))]
        }
        if user.can(.manageQuarantine) || user.can(.viewCases) { items.append(("quarantine", "/quarantine", label("nav_quarantine"))) }
        if user.can(.manageFacilities) || user.can(.viewCases) { items.append(("facilities", "/facilities", label("nav_facilities"))) }
        if user.can(.viewCases) { items.append(("zones", "/zones", label("nav_zones"))) }
        if user.can(.viewRisk) { items.append(("risk", "/risk", label("nav_risk"))) }
        if user.can(.manageRules) { items.append(("rules", "/rules", label("nav_rules"))) }
        if user.can(.manageUsers) { items.append(("users", "/users", label("nav_users"))) }
        if user.can(.viewAudit) { items.append(("audit", "/audit", label("nav_audit"))) }
        if user.can(.viewDashboard) { items.append(("dashboard", "/dashboard", label("nav_dashboard"))) }
        if user.can(.viewReports) { items.append(("reports", "/reports", label("nav_reports"))) }
        if user.can(.postMessages) { items.append(("messages", "/messages", label("nav_messages"))) }
        if user.can(.viewDashboard) { items.append(("tasks", "/tasks", label("nav_tasks"))) }
        return items.map { ["key": $0.0, "href": $0.1, "label": $0.2, "active": $0.0 == active] }
    }
}

/// JSON responses for the API with a stable envelope.
enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Files shipped in the target's `Resources` folder (copied whole into the bundle).
enum ResourceFiles {
    static func url(_ relativePath: String) -> URL {
        Bundle.module.bundleURL.appendingPathComponent("Resources").appendingPathComponent(relativePath)
    }

    static func data(_ relativePath: String) throws -> Data {
        do {
            return try Data(contentsOf: url(relativePath))
        } catch {
            throw AppError(.internalServerError, code: "resource_missing", vi: "Thiếu tệp \(relativePath) của chương trình.", en: "Missing bundled file \(relativePath).")
        }
    }
}

/// Prepares view data for Mustache, where any present value opens a `{{#section}}`: nil values and
/// empty strings become `Absent`, so `{{#error}}…{{/error}}` means "there is an error" as a reader
/// expects. A key with no value is kept (as `Absent`) rather than dropped, because Mustache looks a
/// missing key up in the enclosing context: a contact row without a phone would otherwise show the
/// case's own phone. Keys a row never had (`t`, `csrf`) still come from the page, as intended.
enum TemplateData {
    static func clean(_ data: [String: Any]) -> [String: Any] {
        var out: [String: Any] = [:]
        for (key, value) in data { out[key] = clean(value) ?? Absent() }
        return out
    }

    private static func clean(_ value: Any) -> Any? {
        if let optional = value as? any OptionalProbe {
            guard let wrapped = optional.wrappedAny else { return nil }
            return clean(wrapped)
        }
        switch value {
        case let s as String: return s.isEmpty ? nil : s
        case let d as [String: Any]: return clean(d)
        case let a as [[String: Any]]: return a.map { clean($0) }
        case let a as [Any]: return a.compactMap { clean($0) }
        default: return value
        }
    }
}

/// A value that is there but empty: renders as nothing, counts as false in a section, and stops
/// Mustache from looking the key up in an enclosing context.
struct Absent: MustacheCustomRenderable, Sendable {
    var renderText: String { "" }
    var isNull: Bool { true }
}

private protocol OptionalProbe {
    var wrappedAny: Any? { get }
}

extension Optional: OptionalProbe {
    fileprivate var wrappedAny: Any? { self.map { $0 as Any } }
}
