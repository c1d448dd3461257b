import EpiCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
@testable import EpiTestSupport
@testable import EpiPlatform
@testable import EpiRegistry

@Suite("Resident list import and export")
struct ResidentImportTests {
    static let csv = """
        Họ và tên,Giới tính,Ngày sinh,Số CCCD,Số điện thoại,Địa chỉ,Tổ dân phố,Tình trạng cư trú,Cư trú đến
        Nguyễn Văn An,Nam,01/02/1990,001090000001,0912000001,Số 1 ngõ 2,TDP01,Tạm trú,31/12/2021
        Trần Thị Bình,Nữ,31/02/1991,,0912000002,Số 2,,Thường trú,
        Lê Văn Cường,Nam,03/04/1985,12345,,Số 3,,Lưu trú,
        ,Nữ,01/01/2000,,,Số 4,,,
        Phạm Thị Dung,Nữ,05/06/1975,,,Số 5,TDP09,Tạm trú,
        Hoàng Văn Em,Nam,07/08/1980,,0912000006,"Số 6, ngõ ""Hòa Bình"" 4",,Lưu trú,30/11/2021
        Nguyễn Văn An,Nam,01/02/1990,001090000001,0912000001,Số 1 ngõ 2,TDP01,Tạm trú,31/12/2021

        """

    static func multipart(_ csv: String, unit: String, csrf: String) -> (String, ByteBuffer) {
        let boundary = "----epitest\(UUID().uuidString)"
        var body = ""
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n\(csrf)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"unit\"\r\n\r\n\(unit)\r\n"
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cu-tru.csv\"\r\nContent-Type: text/csv\r\n\r\n\(csv)\r\n"
        body += "--\(boundary)--\r\n"
        return ("multipart/form-data; boundary=\(boundary)", ByteBuffer(string: body))
    }

    @Test(arguments: Dialect.enabled)
    func badRowsAreReportedGoodRowsKeptAndReimportAddsNothing(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            var session = try await BrowserSession.login(client, "entry.mk")
            try await session.get(client, "/residents/import")
            for round in 1...2 {
                let (contentType, body) = Self.multipart(Self.csv, unit: "01/007/00295", csrf: session.csrf)
                let response = try await client.execute(uri: "/residents/import", method: .post, headers: [.contentType: contentType, .cookie: session.cookieHeader], body: body)
                #expect(response.status == .ok)
                let html = response.text
                #expect(html.contains("<dd id=\"rows-total\">7</dd>"))
                #expect(html.contains("<dd id=\"rows-failed\">4</dd>"))
                if round == 1 {
                    #expect(html.contains("<dd id=\"rows-inserted\">2</dd>"))
                    #expect(html.contains("<dd id=\"rows-duplicates\">1</dd>"))
                } else {
                    #expect(html.contains("<dd id=\"rows-inserted\">0</dd>"))
                    #expect(html.contains("<dd id=\"rows-duplicates\">3</dd>"))
                    #expect(html.contains("đã được nhập"))
                }
                // Each bad row is reported with its line number.
                for line in [3, 4, 5, 6] { #expect(html.contains("<td>\(line)</td>"), "line \(line) missing in round \(round)") }
            }
            let names = try await app.services.database.read { try await $0.raw("SELECT full_name FROM persons ORDER BY full_name").all().map { try $0.decode(column: "full_name", as: String.self) } }
            #expect(names == ["Hoàng Văn Em", "Nguyễn Văn An"])
            let imported = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'import' AND entity_type = 'person'").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(imported == 2)
        }
    }

    @Test(arguments: Dialect.enabled)
    func smallBatchesGiveTheSameResultAsOne(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, _ in
            // Batches of two: parsing overlaps writing, and duplicates span batches.
            var importer = ResidentImporter(services: app.services)
            importer.batchSize = 2
            let user = try await CLIImport.user(app.services, username: "minhkhai")
            let ward = try await app.services.directory.unit("01/007/00295").unwrapped()
            var csv = "ho_ten,so_dinh_danh,ngay_sinh\n"
            for i in 0..<9 { csv += "Người Số \(i),0011900000\(String(format: "%02d", i % 7)),01/01/1990\n" }
            let first = try await importer.run(bytes: Array(csv.utf8), filename: "a.csv", ward: ward, user: user)
            #expect(first.totalRows == 9)
            #expect(first.inserted == 7)
            #expect(first.duplicates == 2)
            let again = try await importer.run(bytes: Array(csv.utf8), filename: "a.csv", ward: ward, user: user)
            #expect(again.inserted == 0)
            #expect(again.duplicates == 9)
            #expect(again.previousImportAt != nil)
            let n = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(n == 7)
        }
    }

    @Test(arguments: Dialect.enabled)
    func importIntoAnotherWardIsRefused(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            let token = try await app.services.auth.issueToken(username: "bachmai", name: "t")
            let response = try await client.execute(uri: "/api/v1/residents/import?unit=01.007.00295", method: .post,
                                                    headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: Self.csv))
            #expect(response.status == .unprocessableContent)
            let n = try await app.services.database.read { try await $0.raw("SELECT COUNT(*) AS n FROM persons").first().unwrapped().decode(column: "n", as: Int.self) }
            #expect(n == 0)
            // A missing required column rejects the whole file with a clear message.
            let own = try await client.execute(uri: "/api/v1/residents/import?unit=01.007.00286", method: .post,
                                               headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: "dia_chi,ngay_sinh\nSố 1,01/01/1990\n"))
            #expect(own.status == .unprocessableContent)
        }
    }

    @Test(arguments: Dialect.enabled)
    func exportListsOnlyTemporaryAndShortStayResidentsOfTheWard(_ dialect: Dialect) async throws {
        try await TestApp.run(dialect) { app, client in
            try await app.person("Nguyễn Văn Tạm", status: .temporary)
            try await app.person("Lê Thị Lưu", birth: "1999-09-09", status: .shortStay)
            try await app.person("Trần Văn Thường", birth: "1960-06-06", status: .permanent)
            try await app.person("Phạm Văn Khác", ward: "01/007/00286", birth: "1970-07-07", status: .temporary)
            var session = try await BrowserSession.login(client, "minhkhai")
            let response = try await session.get(client, "/residents/export.csv")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
            let text = response.text
            #expect(text.contains("Nguyễn Văn Tạm"))
            #expect(text.contains("Lê Thị Lưu"))
            #expect(!text.contains("Trần Văn Thường"))
            #expect(!text.contains("Phạm Văn Khác"))
            // The export re-imports cleanly: nothing new, nothing failed.
            let token = try await app.services.auth.issueToken(username: "minhkhai", name: "t")
            let again = try await client.execute(uri: "/api/v1/residents/import?unit=01.007.00295", method: .post,
                                                 headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: text))
            let report = try again.json()["data"] as? [String: Any]
            #expect(report?["inserted"] as? Int == 0)
            #expect(report?["failed"] as? Int == 0)
            #expect(report?["duplicates"] as? Int == 2)
        }
    }
}
