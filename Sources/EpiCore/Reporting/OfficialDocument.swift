/// The fixed parts of a Vietnamese administrative document (văn bản hành chính, Nghị định
/// 30/2020/NĐ-CP) that a printed consolidated report carries: the issuing body, the number line,
/// the place-and-date line and the title.
public enum OfficialDocument {
    /// "Hà Nội, ngày 10 tháng 9 năm 2021". The decree writes a day below 10 and the months January
    /// and February with a leading zero ("ngày 05 tháng 02"), so a date cannot be misread or altered;
    /// other months have none. English: "Hà Nội, 10 September 2021".
    public static func placeAndDate(_ place: String, _ day: CivilDate, vietnamese: Bool) -> String {
        if vietnamese {
            let d = day.day < 10 ? "0\(day.day)" : "\(day.day)"
            let m = day.month <= 2 ? "0\(day.month)" : "\(day.month)"
            return "\(place), ngày \(d) tháng \(m) năm \(day.year)"
        }
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let month = (1...12).contains(day.month) ? months[day.month - 1] : String(day.month)
        return "\(place), \(day.day) \(month) \(day.year)"
    }

    /// The place a document is signed in, from the name of the province-level unit at the top of the
    /// tree: "Thành phố Hà Nội" → "Hà Nội", "Tỉnh Bắc Ninh" → "Bắc Ninh".
    public static func place(provinceName name: String) -> String {
        for prefix in ["Thành phố ", "Tỉnh ", "TP. ", "TP "] where name.hasPrefix(prefix) && name.count > prefix.count {
            return String(name.dropFirst(prefix.count))
        }
        return name
    }

    /// The number line of a report ("Số: …/BC-SCH"): the number is left blank for the office that
    /// registers the outgoing document; "BC" is the abbreviation of the document type (báo cáo) and
    /// the suffix that of the issuing body.
    public static func numberLine(issuer: String, vietnamese: Bool) -> String {
        vietnamese ? "Số: ……/BC-\(issuer)" : "No.: ……/BC-\(issuer)"
    }
}
