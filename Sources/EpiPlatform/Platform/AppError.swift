import Hummingbird

/// The product's one error family: a stable code, a status, and a message in both UI languages.
package struct AppError: Error, Sendable {
    package let status: HTTPResponse.Status
    package let code: String
    package let messageVI: String
    package let messageEN: String
    /// Per-field problems for forms and imports, shown next to the input.
    package var details: [String: String]

    package init(_ status: HTTPResponse.Status, code: String, vi: String, en: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.messageVI = vi
        self.messageEN = en
        self.details = details
    }

    package func message(_ language: Language) -> String {
        language == .vi ? messageVI : messageEN
    }

    package static let notFound = AppError(.notFound, code: "not_found", vi: "Không tìm thấy trang hoặc hồ sơ.", en: "Page or record not found.")
    package static let unauthenticated = AppError(.unauthorized, code: "unauthenticated", vi: "Bạn cần đăng nhập.", en: "You need to sign in.")
    package static let forbidden = AppError(.forbidden, code: "forbidden", vi: "Vai trò của bạn không có quyền thực hiện thao tác này.", en: "Your role is not allowed to do this.")
    package static let csrf = AppError(.forbidden, code: "csrf", vi: "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.", en: "The form has expired or is invalid. Reload the page and try again.")
    package static let tooLarge = AppError(.contentTooLarge, code: "too_large", vi: "Tệp hoặc dữ liệu gửi lên quá lớn.", en: "The upload is too large.")
    package static let conflict = AppError(.conflict, code: "version_conflict", vi: "Hồ sơ đã được người khác sửa. Vui lòng tải lại để xem bản mới nhất.", en: "Someone else changed this record. Reload to see the latest version.")

    package static func invalid(_ vi: String, _ en: String, details: [String: String] = [:]) -> AppError {
        AppError(.unprocessableContent, code: "invalid", vi: vi, en: en, details: details)
    }
}
