import Foundation
import Logging
import SQLKit
import Testing
@testable import EpiPlatform

/// The memoized strategy must name the same column as SQLKit's own `convertFromSnakeCase` for every key,
/// or a row would decode with a field missing (an optional field silently nil).
@Suite("Row keys in snake case, worked out once")
struct SnakeKeysTests {
    struct Tricky: Decodable, Equatable {
        let id: String
        let displayName: String
        let citizenID: String?
        let hl7Facility: String?
        let unitPath2: String?
        let isURLValid: Bool?
        let _private: String?
        let already_snake: String?
        let aBC: String?
    }

    @Test func namesEveryKeyAsSQLKitDoes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("epi-snake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = try await Database.open(.sqliteFile(folder.appendingPathComponent("t.sqlite").path), logger: Logger(label: "test"))
        defer { Task { await database.shutdown() } }
        // One column per name SQLKit's conversion gives, and decoys named the other ways a key might be spelled.
        let sql = """
            SELECT 'a' AS id, 'b' AS display_name, 'c' AS citizen_id, 'c2' AS citizen_i_d, 'd' AS hl7_facility, 'e' AS unit_path2, 'f' AS is_url_valid,
            1 AS is_u_r_l_valid, 'g' AS _private, 'h' AS already_snake, 'i' AS a_bc, 'i2' AS a_b_c
            """
        let (theirs, ours) = try await database.read { db in
            (try await db.raw("\(unsafeRaw: sql)").first(decoding: Tricky.self, keyDecodingStrategy: .convertFromSnakeCase),
             try await db.raw("\(unsafeRaw: sql)").first(decoding: Tricky.self, keyDecodingStrategy: .memoizedSnakeCase))
        }
        #expect(theirs != nil)
        #expect(ours == theirs)
        #expect(ours?.displayName == "b")
        // Asked again (from the memo), the same names.
        let again = try await database.read { try await $0.raw("\(unsafeRaw: sql)").first(decoding: Tricky.self, keyDecodingStrategy: .memoizedSnakeCase) }
        #expect(again == theirs)
    }

    @Test func aKeyIsConvertedTheWaySQLKitEncodesIt() {
        #expect(SnakeKeys.column(for: "displayName") == "display_name")
        #expect(SnakeKeys.column(for: "createdAt") == "created_at")
        #expect(SnakeKeys.column(for: "id") == "id")
        #expect(SnakeKeys.column(for: "already_snake") == "already_snake")
    }
}
