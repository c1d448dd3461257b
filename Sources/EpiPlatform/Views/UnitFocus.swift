import EpiCore
import Foundation
import Hummingbird

/// The unit a page looks at: the user's own, or one below it chosen with `?unit=01.007` (drill-down).
/// A unit outside the user's jurisdiction answers 404, like a record outside it.
package struct UnitFocus: Sendable {
    package let unit: UnitRecord
    package let scope: Scope
    package let path: UnitPath

    package init(unit: UnitRecord, scope: Scope, path: UnitPath) {
        self.unit = unit
        self.scope = scope
        self.path = path
    }

    package static func resolve(_ slug: String?, context: AuthedContext, directory: UnitDirectory) async throws -> UnitFocus {
        if let slug, !slug.isEmpty {
            guard let path = try? UnitPath(slug: slug.replacingOccurrences(of: "/", with: ".")), context.user.covers(path),
                  let unit = try await directory.unit(path.string) else { throw AppError.notFound }
            if path != context.user.unitPath {
                return UnitFocus(unit: unit, scope: try await Scope.focus(path, for: context.user, directory: directory), path: path)
            }
        }
        guard let unit = try await directory.unit(context.user.unitPath.string) else { throw AppError.notFound }
        return UnitFocus(unit: unit, scope: try await Scope.of(context.user, directory: directory), path: context.user.unitPath)
    }

    /// Links from the user's own unit down to this one, for climbing back up.
    package func crumbs(user: CurrentUser, directory: UnitDirectory, base: String, query: String = "") async -> [[String: Any]] {
        await Self.crumbs(to: unit, user: user, directory: directory, base: base, query: query)
    }

    package static func crumbs(to unit: UnitRecord, user: CurrentUser, directory: UnitDirectory, base: String, query: String = "") async -> [[String: Any]] {
        let lineage = await directory.lineage(unit.path).filter { (try? UnitPath($0.path)).map(user.unitPath.contains) ?? false }
        return lineage.map { u in
            let slug = (try? UnitPath(u.path))?.slug ?? u.path
            return ["name": u.name, "href": "\(base)?unit=\(slug)\(query.isEmpty ? "" : "&" + query)", "current": u.path == unit.path]
        }
    }
}

/// Reads request bodies for the API the same way everywhere: within the route's size, every string
/// obeying the text rules, and decoding errors that name the field.
package enum APIBody {
    package static func decode<T: Decodable>(_ type: T.Type, _ request: Request, context: AuthedContext) async throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var request = request
        let body = try await request.collectBody(upTo: min(context.bodyLimit, BodyLimits.standard))
        let data = Data(body.readableBytesView)
        // Every string in the document obeys the text rules (length, no NUL) before any field is used.
        if let json = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) { try TextLimits.check(json: json) }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw AppError.invalid("Nội dung JSON không hợp lệ: \(Self.describe(error, vi: true))", "Invalid JSON body: \(Self.describe(error, vi: false))")
        } catch {
            throw AppError.invalid("Nội dung JSON không hợp lệ.", "Invalid JSON body.")
        }
    }

    /// A decoding error as a reader can act on it: which field, and what was wrong.
    static func describe(_ error: DecodingError, vi: Bool) -> String {
        func path(_ keys: [any CodingKey]) -> String { keys.map { $0.intValue.map { String($0 + 1) } ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .keyNotFound(let key, let context): return vi ? "thiếu trường '\(path(context.codingPath + [key]))'" : "missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return vi ? "sai kiểu dữ liệu ở '\(path(context.codingPath))'" : "wrong type at '\(path(context.codingPath))'"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return vi ? "không phải JSON" : "not JSON" }
            return vi ? "giá trị sai ở '\(path(context.codingPath))'" : "bad value at '\(path(context.codingPath))'"
        @unknown default: return vi ? "không đọc được" : "unreadable"
        }
    }

}

/// Small formatting helpers shared by the reporting pages.
package enum ReportView {
    package static func time(_ iso: String?) -> String { iso.map(DisplayTime.format) ?? "" }

    package static func status(_ t: Timeliness, _ language: Language) -> [String: Any] {
        ["code": t.rawValue, "label": language == .vi ? t.labelVI : t.labelEN]
    }

    package static func slug(_ path: String) -> String { (try? UnitPath(path))?.slug ?? path }

    package static func number(_ n: Int?) -> String { n.map(NumberFormat.grouped) ?? "—" }
}
