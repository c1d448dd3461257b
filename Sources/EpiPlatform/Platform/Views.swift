import EpiCore
import Foundation
import Hummingbird
import Mustache
import NIOCore

/// Server-rendered pages: Mustache templates shipped as resources, wrapped in one layout.
package struct Views: Sendable {
    let library: MustacheLibrary
    let navigation: [NavigationItem]
    let primary: [Role: [String]]

    /// Loads every template under each capability's `Resources/templates`, named by its path there
    /// (`cases/show`). Two capabilities shipping the same name is a build mistake, refused at start.
    package static func load(_ resources: [CapabilityResources], navigation: [NavigationItem], primary: [Role: [String]] = [:]) throws -> Views {
        var library = MustacheLibrary()
        var owner: [String: String] = [:]
        for bundle in resources {
            let folder = bundle.root.appendingPathComponent("templates")
            guard let files = FileManager.default.enumerator(atPath: folder.path) else { continue }
            for case let file as String in files where file.hasSuffix(".mustache") {
                let name = String(file.dropLast(".mustache".count))
                if let other = owner[name] {
                    throw AppError(.internalServerError, code: "template_clash", vi: "Giao diện \(name) có ở cả \(other) và \(bundle.name).",
                                   en: "Template \(name) ships in both \(other) and \(bundle.name).")
                }
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                try library.register(text, named: name)
                owner[name] = bundle.name
            }
        }
        guard library.getTemplate(named: "layout") != nil else {
            throw AppError(.internalServerError, code: "templates_missing", vi: "Thiếu thư mục giao diện.", en: "Templates folder missing.")
        }
        return Views(library: library, navigation: navigation, primary: primary)
    }

    /// The role's main actions (menu entries), for a home page's buttons.
    package func mainActions(_ context: AuthedContext) -> [[String: Any]] {
        Navigation.primary(navigation, keys: primary[context.user.role] ?? [], for: context.user, language: context.language, active: "")
    }

    /// A piece of a page rendered by another capability's template (a person-page section), with the UI text.
    package func fragment(_ template: String, _ data: [String: Any], language: Language) -> String {
        var data = data
        data["t"] = Strings.table(language)
        data["lang"] = language.rawValue
        return render(template, data)
    }

    func render(_ template: String, _ data: [String: Any]) -> String {
        guard let html = library.render(TemplateData.clean(data), withTemplate: template) else {
            return "<p>template \(template) missing</p>"
        }
        return html
    }

    /// A page for a signed-in user: the template's output inside the layout with the role's navigation.
    package func page(
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
            "nav": Navigation.items(navigation, for: context.user, language: context.language, active: active),
            "primaryNav": Navigation.primary(navigation, keys: primary[context.user.role] ?? [], for: context.user, language: context.language, active: active),
            "simulated": Clock.simulated.map { $0.vietnamese } as Any,
            "hasNav": true,
            "otherLang": context.language == .vi ? "en" : "vi",
            "otherLangLabel": context.language == .vi ? "English" : "Tiếng Việt",
        ]
        return Self.html(render("layout", layout), status: status)
    }

    /// A page without a signed-in user (login, errors before login).
    package func publicPage(_ template: String, title: String, language: Language, data: [String: Any] = [:], status: HTTPResponse.Status = .ok) -> Response {
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

    package static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A redirect to a path the request named (`next`, `back`), or to `fallback` when that path could
    /// lead off this site.
    package static func redirect(local raw: String?, fallback: String) -> Response {
        redirect(LocalPath.checked(raw) ?? fallback)
    }
}

/// Paths on this site only: what a form or query names as where to go next must not become an open
/// redirect ("//evil.example", "/\evil.example", "https://…", control characters).
package enum LocalPath {
    package static func checked(_ raw: String?) -> String? {
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
    static func items(_ all: [NavigationItem], for user: CurrentUser, language: Language, active: String) -> [[String: Any]] {
        let t = Strings.table(language)
        return all.filter { $0.permissions.isEmpty || $0.permissions.contains(where: user.can) }
            .map { ["key": $0.key, "href": $0.href, "label": t[$0.label] ?? $0.label, "active": $0.key == active] }
    }

    /// A role's main actions, in the order given, among the entries it may see.
    static func primary(_ all: [NavigationItem], keys: [String], for user: CurrentUser, language: Language, active: String) -> [[String: Any]] {
        let visible = items(all, for: user, language: language, active: active)
        return keys.compactMap { key in visible.first { ($0["key"] as? String) == key } }
    }
}

/// `/api/openapi.json`, put together from the platform's frame (`info`, security, the error envelope)
/// and each capability's `openapi.json` (`paths`, `components.schemas`).
package enum APIDocument {
    package static func merge(_ resources: [CapabilityResources]) throws -> Data {
        func load(_ bundle: CapabilityResources) throws -> [String: Any]? {
            let url = bundle.root.appendingPathComponent("openapi.json")
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        }
        guard let platform = resources.first, var doc = try load(platform) else {
            throw AppError(.internalServerError, code: "resource_missing", vi: "Thiếu tệp openapi.json của chương trình.", en: "Missing bundled openapi.json.")
        }
        var paths = doc["paths"] as? [String: Any] ?? [:]
        var components = doc["components"] as? [String: Any] ?? [:]
        var schemas = components["schemas"] as? [String: Any] ?? [:]
        for bundle in resources.dropFirst() {
            guard let part = try load(bundle) else { continue }
            let partPaths = part["paths"] as? [String: Any] ?? [:]
            let partSchemas = (part["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
            let clash = Set(partPaths.keys).intersection(paths.keys).union(Set(partSchemas.keys).intersection(schemas.keys))
            guard clash.isEmpty else {
                throw AppError(.internalServerError, code: "openapi_clash", vi: "\(bundle.name) mô tả lại \(clash.sorted()).", en: "\(bundle.name) redefines \(clash.sorted()).")
            }
            paths.merge(partPaths) { a, _ in a }
            schemas.merge(partSchemas) { a, _ in a }
        }
        components["schemas"] = schemas
        doc["paths"] = paths
        doc["components"] = components
        return try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

/// JSON responses for the API with a stable envelope.
package enum JSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    package static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
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
