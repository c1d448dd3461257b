/// An error caused by what a user typed or a file held, with a message in both UI languages: the
/// server answers it as 422 with that message, never as an internal error.
public protocol InputProblem: Error {
    var messageVI: String { get }
    var messageEN: String { get }
}

extension UnitPathError: InputProblem {
    public var messageVI: String {
        switch self {
        case .empty: return "Chưa chọn đơn vị."
        case .invalidComponent(let c): return "Mã đơn vị không hợp lệ '\(c.prefix(40))'."
        }
    }

    public var messageEN: String {
        switch self {
        case .empty: return "No unit given."
        case .invalidComponent(let c): return "Invalid unit code '\(c.prefix(40))'."
        }
    }
}

extension PhoneNumberError: InputProblem {}
extension CitizenIDError: InputProblem {}
extension CSVError: InputProblem {}
extension CivilDateError: InputProblem {}
extension ResidentRowProblem: InputProblem {}
