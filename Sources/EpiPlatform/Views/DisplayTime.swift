import EpiCore
import Foundation

/// Shows stored UTC instants in Hanoi time, the time every user works in.
package enum DisplayTime {
    package static func format(_ iso: String) -> String {
        guard let date = Timestamp.date(iso) else { return iso }
        let seconds = VietnamTime.localSeconds(date)
        let s = ((seconds % 60) + 60) % 60
        return VietnamTime.display(date) + (s < 10 ? ":0\(s)" : ":\(s)")
    }
}
