import EpiCore
import Foundation
import SQLKit

/// Loads Hanoi's 2021 administrative units (GSO codes) shipped with the product.
package enum HanoiSeed {
    /// The 2021 tree was in force from 1 January 2020 until the January 2025 mergers.
    static let validFrom = "2020-01-01"

    package static func csvBytes() throws -> [UInt8] {
        Array(try ResourceFiles.data("seed/hanoi-units-2021.csv"))
    }

    /// Inserts the city, its districts and wards unless they exist; returns how many were added.
    @discardableResult
    package static func seed(_ database: Database) async throws -> Int {
        var reader = CSVReader(bytes: try csvBytes())
        guard let header = try reader.next() else { return 0 }
        let index = Dictionary(uniqueKeysWithValues: header.fields.enumerated().map { ($1, $0) })
        func field(_ record: CSVRecord, _ name: String) -> String { index[name].flatMap { $0 < record.fields.count ? record.fields[$0] : nil } ?? "" }
        var rows: [(path: String, parent: String?, code: String, depth: Int, kind: UnitKind, name: String)] = []
        var seen = Set<String>()
        while let record = try reader.next() {
            let province = field(record, "province_code"), district = field(record, "district_code"), ward = field(record, "ward_code")
            if seen.insert(province).inserted {
                rows.append((province, nil, province, 1, .city, field(record, "province_name")))
            }
            let districtPath = "\(province)/\(district)"
            if seen.insert(districtPath).inserted {
                rows.append((districtPath, province, district, 2, UnitKind.fromVietnamese(field(record, "district_type")) ?? .urbanDistrict, field(record, "district_name")))
            }
            rows.append(("\(districtPath)/\(ward)", districtPath, ward, 3, UnitKind.fromVietnamese(field(record, "ward_type")) ?? .ward, field(record, "ward_name")))
        }
        let newRows = rows
        return try await database.transaction { db in
            let existing = Set(try await db.raw("SELECT path FROM units").all().map { try $0.decode(column: "path", as: String.self) })
            let now = Timestamp.now()
            var added = 0
            for row in newRows where !existing.contains(row.path) {
                try await db.raw("""
                    INSERT INTO units (id, path, parent_path, code, depth, kind, name, name_folded, population, valid_from, valid_to, created_at, updated_at, version)
                    VALUES (\(bind: Identifier.make()), \(bind: row.path), \(bind: row.parent), \(bind: row.code), \(bind: row.depth), \(bind: row.kind.rawValue),
                            \(bind: row.name), \(bind: VietnameseText.fold(row.name)), NULL, \(bind: validFrom), NULL, \(bind: now), \(bind: now), 1)
                    """).run()
                added += 1
            }
            if added > 0 {
                try await Audit.record(db, actor: nil, actorName: "system", action: "seed", entityType: "unit", entityId: nil, unitPath: nil, summary: "Nạp \(added) đơn vị hành chính Hà Nội 2021")
            }
            return added
        }
    }
}
