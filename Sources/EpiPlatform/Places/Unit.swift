import EpiCore
import Foundation
import SQLKit

/// An administrative unit or residential group as stored.
package struct UnitRecord: Codable, Sendable, Equatable {
    package let id: String
    package let path: String
    package let parentPath: String?
    package let code: String
    package let depth: Int
    package let kind: String
    package let name: String
    package let nameFolded: String
    package let population: Int?
    package let validFrom: String
    package let validTo: String?
    package let version: Int

    package init(id: String, path: String, parentPath: String?, code: String, depth: Int, kind: String, name: String, nameFolded: String,
                 population: Int?, validFrom: String, validTo: String?, version: Int) {
        self.id = id
        self.path = path
        self.parentPath = parentPath
        self.code = code
        self.depth = depth
        self.kind = kind
        self.name = name
        self.nameFolded = nameFolded
        self.population = population
        self.validFrom = validFrom
        self.validTo = validTo
        self.version = version
    }

    package var unitKind: UnitKind? { UnitKind(rawValue: kind) }
    /// Residential groups and villages sit below the lowest administrative unit.
    package var isGroup: Bool { unitKind == .residentialGroup || unitKind == .village }
}

/// The whole tree held in memory: ~600 administrative units plus their groups are read on every
/// page (names, breadcrumbs, scope decisions), so one load beats a join per row.
package actor UnitDirectory {
    private var byPath: [String: UnitRecord] = [:]
    private var children: [String: [String]] = [:]
    private let database: Database
    package nonisolated let databaseKind: DatabaseKind

    package init(database: Database) {
        self.database = database
        self.databaseKind = database.kind
    }

    package func reload() async throws {
        let rows = try await database.read { db in
            try await db.raw("SELECT id, path, parent_path, code, depth, kind, name, name_folded, population, valid_from, valid_to, version FROM units")
                .all(decoding: UnitRecord.self, keyDecodingStrategy: .memoizedSnakeCase)
        }
        byPath = Dictionary(uniqueKeysWithValues: rows.map { ($0.path, $0) })
        children = Dictionary(grouping: rows.compactMap { r in r.parentPath.map { ($0, r) } }, by: \.0).mapValues { $0.map(\.1) }.mapValues { $0.sorted { $0.code < $1.code }.map(\.path) }
    }

    package func unit(_ path: String) async throws -> UnitRecord? {
        if byPath[path] == nil { try await reload() }
        return byPath[path]
    }

    package func cached(_ path: String) -> UnitRecord? { byPath[path] }

    /// A residential group of a ward by its code (its path is the ward's and the code); nil when the
    /// ward has no such group.
    package func group(_ code: String, of ward: String) async throws -> UnitRecord? {
        guard let unit = try await unit("\(ward)/\(code)"), unit.isGroup else { return nil }
        return unit
    }

    package func children(of path: String) -> [UnitRecord] {
        (children[path] ?? []).compactMap { byPath[$0] }
    }

    package func roots() -> [UnitRecord] {
        byPath.values.filter { $0.parentPath == nil }.sorted { $0.code < $1.code }
    }

    /// Names from the root down, for breadcrumbs and addresses.
    package func lineage(_ path: String) -> [UnitRecord] {
        var result: [UnitRecord] = []
        var current = byPath[path]
        while let unit = current {
            result.insert(unit, at: 0)
            current = unit.parentPath.flatMap { byPath[$0] }
        }
        return result
    }

    /// "Phường Minh Khai, Quận Hai Bà Trưng" style label, lowest unit first, without the city.
    package func label(_ path: String) -> String {
        lineage(path).dropFirst().reversed().map(\.name).joined(separator: ", ")
    }

    /// Whether `path` is an administrative unit with no administrative units below it (a ward,
    /// commune or townlet today; whatever the lowest tier is after a reorganisation).
    package func isLowestAdministrative(_ path: String) -> Bool {
        guard let unit = byPath[path], !unit.isGroup else { return false }
        return children(of: path).allSatisfy(\.isGroup)
    }

    package func all() -> [UnitRecord] { Array(byPath.values) }
}
