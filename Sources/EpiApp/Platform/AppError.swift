import Hummingbird

/// The product's one error family: a stable code, a status, and a message in both UI languages.
public struct AppError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let messageVI: String
    public let messageEN: String
    /// Per-field problems for forms and imports, shown next to the input.
    public var details: [String: String]

    public init(_ status: HTTPResponse.Status, code: String, vi: String, en: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.messageVI = vi
        self.messageEN = en
        self.details = details
    }

    public func message(_ language: Language) -> String {
        language == .vi ? messageVI : messageEN
    }

    public static let notFound = AppError(.notFound, code: "not_found", vi: "Không tìm thấy trang hoặc hồ sơ.", en: "Page or record not found.")
    public static let unauthenticated = AppError(.unauthorized, code: "unauthenticated", vi: "Bạn cần đăng nhập.", en: "You need to sign in.")
    public static let forbidden = AppError(.forbidden, code: "forbidden", vi: "Vai trò của bạn không có quyền thực hiện thao tác này.", en: "Your role is not allowed to do this.")
    public static let csrf = AppError(.forbidden, code: "csrf", vi: "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử lại.", en: "The form has expired or is invalid. Reload the page and try again.")
    public static let tooLarge = AppError(.contentTooLarge, code: "too_large", vi: "Tệp hoặc dữ liệu gửi lên quá lớn.", en: "The upload is too large.")
    public static let conflict = AppError(.conflict, code: "version_conflict", vi: "Hồ sơ đã được người khác sửa. Vui lòng tải lại để xem bản mới nhất.", en: "Someone else changed this record. Reload to see the latest version.")

    public static func invalid(_ vi: String, _ en: String, details: [String: String] = [:]) -> AppError {
        AppError(.unprocessableContent, code: "invalid", vi: vi, en: en, details: details)
    }
}
