import EpiCore
import Foundation
import SQLKit

/// An administrative unit or residential group as stored.
public struct UnitRecord: Codable, Sendable, Equatable {
    public let id: String
    public let path: String
    public let parentPath: String?
    public let code: String
    public let depth: Int
    public let kind: String
    public let name: String
    public let nameFolded: String
    public let population: Int?
    public let validFrom: String
    public let validTo: String?
    public let version: Int

    public var unitKind: UnitKind? { UnitKind(rawValue: kind) }
    /// Residential groups and villages sit below the lowest administrative unit.
    public var isGroup: Bool { unitKind == .residentialGroup || unitKind == .village }
}

/// The whole tree held in memory: ~600 administrative units plus their groups are read on every
/// page (names, breadcrumbs, scope decisions), so one load beats a join per row.
public actor UnitDirectory {
    private var byPath: [String: UnitRecord] = [:]
    private var children: [String: [String]] = [:]
    private let database: Database
    public nonisolated let databaseKind: DatabaseKind

    public init(database: Database) {
        self.database = database
        self.databaseKind = database.kind
    }

    public func reload() async throws {
        let rows = try await database.read { db in
            try await db.raw("SELECT id, path, parent_path, code, depth, kind, name, name_folded, population, valid_from, valid_to, version FROM units")
                .all(decoding: UnitRecord.self, keyDecodingStrategy: .convertFromSnakeCase)
        }
        byPath = Dictionary(uniqueKeysWithValues: rows.map { ($0.path, $0) })
        children = Dictionary(grouping: rows.compactMap { r in r.parentPath.map { ($0, r) } }, by: \.0).mapValues { $0.map(\.1) }.mapValues { $0.sorted { $0.code < $1.code }.map(\.path) }
    }

    public func unit(_ path: String) async throws -> UnitRecord? {
        if byPath[path] == nil { try await reload() }
        return byPath[path]
    }

    public func cached(_ path: String) -> UnitRecord? { byPath[path] }

    public func children(of path: String) -> [UnitRecord] {
        (children[path] ?? []).compactMap { byPath[$0] }
    }

    public func roots() -> [UnitRecord] {
        byPath.values.filter { $0.parentPath == nil }.sorted { $0.code < $1.code }
    }

    /// Names from the root down, for breadcrumbs and addresses.
    public func lineage(_ path: String) -> [UnitRecord] {
        var result: [UnitRecord] = []
        var current = byPath[path]
        while let unit = current {
            result.insert(unit, at: 0)
            current = unit.parentPath.flatMap { byPath[$0] }
        }
        return result
    }

    /// "Phường Minh Khai, Quận Hai Bà Trưng" style label, lowest unit first, without the city.
    public func label(_ path: String) -> String {
        lineage(path).dropFirst().reversed().map(\.name).joined(separator: ", ")
    }

    /// Whether `path` is an administrative unit with no administrative units below it (a ward,
    /// commune or townlet today; whatever the lowest tier is after a reorganisation).
    public func isLowestAdministrative(_ path: String) -> Bool {
        guard let unit = byPath[path], !unit.isGroup else { return false }
        return children(of: path).allSatisfy(\.isGroup)
    }

    public func all() -> [UnitRecord] { Array(byPath.values) }
}
