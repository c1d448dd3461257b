/// A line of a site's (or a unit's) vaccine stock ledger.
public enum StockMovement: String, CaseIterable, Sendable, Codable {
    /// Doses arriving (a lot received by the city, or an allocation from the level above).
    case received
    /// Doses given to people.
    case used
    /// Doses lost: an opened vial not finished, a broken vial, expiry.
    case wasted
    /// Doses sent back up (or on, by a further allocation).
    case returned

    /// +1 for what adds to the balance, −1 for what takes from it.
    public var sign: Int { self == .received ? 1 : -1 }

    public var labelVI: String {
        switch self {
        case .received: return "Nhận"
        case .used: return "Đã tiêm"
        case .wasted: return "Hủy, hao hụt"
        case .returned: return "Trả lại, phân bổ tiếp"
        }
    }

    public var labelEN: String {
        switch self {
        case .received: return "Received"
        case .used: return "Used"
        case .wasted: return "Wasted"
        case .returned: return "Returned or passed on"
        }
    }
}

public enum StockError: Error, Equatable, Sendable {
    case notPositive
    /// Taking `requested` doses would leave the balance below zero: only `available` are there.
    case insufficient(available: Int, requested: Int)
}

public enum StockRules {
    /// The balance after a movement, or why it is refused. A stock never goes negative: the check
    /// runs inside the transaction that writes the movement, on the balance read in it.
    public static func apply(_ movement: StockMovement, doses: Int, to balance: Int) throws(StockError) -> Int {
        guard doses > 0 else { throw StockError.notPositive }
        if movement.sign < 0 && doses > balance { throw StockError.insufficient(available: max(0, balance), requested: doses) }
        let (sum, overflow) = balance.addingReportingOverflow(movement.sign * doses)
        guard !overflow else { throw StockError.notPositive }
        return sum
    }

    /// Days before a lot's expiry at which it is flagged on the dashboard [unsure: a setting later].
    public static let expiryWarningDays = 14
}
