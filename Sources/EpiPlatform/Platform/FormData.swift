import EpiCore
import Foundation
import Hummingbird
import NIOCore

/// An uploaded file from a multipart form.
package struct UploadedFile: Sendable {
    package let filename: String
    package let bytes: [UInt8]
}

/// A form body, URL-encoded or multipart, as plain fields and files.
package struct FormData: Sendable {
    package var fields: [String: String] = [:]
    package var files: [String: UploadedFile] = [:]

    package init(fields: [String: String] = [:], files: [String: UploadedFile] = [:]) {
        self.fields = fields
        self.files = files
    }

    package subscript(_ name: String) -> String? { fields[name] }

    /// A trimmed field, `nil` when absent or blank.
    package func value(_ name: String) -> String? {
        guard let raw = fields[name]?.trimmedWhitespace, !raw.isEmpty else { return nil }
        return raw
    }

    static func parse(contentType: String, body: ByteBuffer) throws -> FormData {
        let bytes = Array(body.readableBytesView)
        var form = FormData()
        if contentType.hasPrefix("application/x-www-form-urlencoded") {
            form = FormData(fields: parseURLEncoded(String(decoding: bytes, as: UTF8.self)))
        } else if contentType.hasPrefix("multipart/form-data"), let boundary = boundary(of: contentType) {
            form = try parseMultipart(bytes, boundary: boundary)
        }
        for (name, value) in form.fields { try TextLimits.check(value, field: name) }
        return form
    }

    static func parseURLEncoded(_ string: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in string.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decodeComponent(parts[0])
            let value = parts.count > 1 ? decodeComponent(parts[1]) : ""
            fields[key] = value
        }
        return fields
    }

    private static func decodeComponent(_ s: Substring) -> String {
        let plusFixed = s.replacingOccurrences(of: "+", with: " ")
        return plusFixed.removingPercentEncoding ?? plusFixed
    }

    private static func boundary(of contentType: String) -> String? {
        for part in contentType.split(separator: ";") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.lowercased().hasPrefix("boundary=") {
                return String(trimmed.dropFirst("boundary=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    /// RFC 7578 multipart/form-data: parts separated by `--boundary`, headers, a blank line, content.
    static func parseMultipart(_ bytes: [UInt8], boundary: String) throws -> FormData {
        let delimiter = Array("--\(boundary)".utf8)
        var form = FormData()
        var positions: [Int] = []
        var i = 0
        while let found = find(delimiter, in: bytes, from: i) {
            positions.append(found)
            i = found + delimiter.count
        }
        guard positions.count >= 2 else {
            throw AppError.invalid("Biểu mẫu tải lên không hợp lệ.", "Malformed multipart form.")
        }
        for (start, end) in zip(positions, positions.dropFirst()) {
            var partStart = start + delimiter.count
            // Skip the CRLF after the delimiter.
            if partStart + 1 < bytes.count, bytes[partStart] == 13, bytes[partStart + 1] == 10 { partStart += 2 }
            var partEnd = end
            if partEnd >= 2, bytes[partEnd - 2] == 13, bytes[partEnd - 1] == 10 { partEnd -= 2 }
            guard partStart <= partEnd, let headerEnd = find([13, 10, 13, 10], in: bytes, from: partStart), headerEnd <= partEnd else { continue }
            let headers = String(decoding: bytes[partStart..<headerEnd], as: UTF8.self)
            let content = Array(bytes[(headerEnd + 4)..<partEnd])
            var name: String?
            var filename: String?
            for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition") {
                for attribute in line.split(separator: ";") {
                    let kv = attribute.trimmingCharacters(in: .whitespaces)
                    if kv.hasPrefix("name=") { name = String(kv.dropFirst(5)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                    if kv.hasPrefix("filename=") { filename = String(kv.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                }
            }
            guard let name else { continue }
            if let filename {
                form.files[name] = UploadedFile(filename: filename, bytes: content)
            } else {
                form.fields[name] = String(decoding: content, as: UTF8.self)
            }
        }
        return form
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        let first = needle[0]
        var i = from
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}

extension Request {
    /// Query parameters decoded the way browsers encode GET forms ('+' is a space, %2B a plus).
    package var formQuery: FormData {
        FormData(fields: FormData.parseURLEncoded(uri.query ?? ""))
    }
}
