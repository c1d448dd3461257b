import EpiCore
import EpiPlatform

/// The dashboard's and the reports' inline SVG, written in the reader's language: axis figures
/// grouped the reader's way ("1.832" / "1,832"), tooltips in their words, and days whose reports
/// are not yet due marked as such instead of drawn as a fall to zero. Presentation attributes
/// only, since the CSP forbids inline styles.
enum TrendChart {
    /// A daily series as bars (flows such as new cases) or a line (levels such as people in quarantine).
    /// `values` are aligned with `days`; nil is a day without data, drawn as a gap, never as zero.
    /// Days in `pending` get a dashed marker and the tooltip "not yet due".
    static func series(days: [CivilDate], values: [Int?], pending: Set<String> = [], title: String, bars: Bool, color: String, id: String, language: Language) -> String {
        let width = 320.0, height = 130.0, left = 38.0, right = 6.0, top = 8.0, bottom = 20.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = max(values.compactMap { $0 }.max() ?? 0, 1)
        let step = plotW / Double(max(days.count, 1))
        func x(_ i: Int) -> Double { left + step * (Double(i) + 0.5) }
        func y(_ v: Int) -> Double { top + plotH - plotH * Double(v) / Double(maxValue) }
        func number(_ n: Int) -> String { NumberFormat.localized(n, language: language) }
        let n = SVG.n, e = SVG.escape
        var svg = "<svg class=\"chart\" id=\"\(e(id))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(e(title))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(e(title))</title>"
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(top + plotH))\" x2=\"\(n(width - right))\" y2=\"\(n(top + plotH))\" stroke=\"#889\" stroke-width=\"1\"/>"
        svg += "<line x1=\"\(n(left))\" y1=\"\(n(top))\" x2=\"\(n(width - right))\" y2=\"\(n(top))\" stroke=\"#dde\" stroke-width=\"1\"/>"
        svg += "<text x=\"\(n(left - 4))\" y=\"\(n(top + 4))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">\(number(maxValue))</text>"
        svg += "<text x=\"\(n(left - 4))\" y=\"\(n(top + plotH))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">0</text>"
        if let first = days.first, let last = days.last {
            svg += "<text x=\"\(n(left))\" y=\"\(n(height - 6))\" font-size=\"9\" fill=\"#556\">\(first.vietnamese.prefix(5))</text>"
            svg += "<text x=\"\(n(width - right))\" y=\"\(n(height - 6))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">\(last.vietnamese.prefix(5))</text>"
        }
        let notDue = Strings.label("timeliness", Timeliness.pending.rawValue, language)
        for (i, day) in days.enumerated() where pending.contains(day.iso) {
            svg += "<rect class=\"pending\" x=\"\(n(x(i) - step / 2 + 0.5))\" y=\"\(n(top))\" width=\"\(n(max(step - 1, 1)))\" height=\"\(n(plotH))\" fill=\"#f0f1f5\" stroke=\"#99a\" stroke-dasharray=\"2 2\" stroke-width=\"0.8\">"
            svg += "<title>\(day.vietnamese): \(e(notDue))</title></rect>"
        }
        if bars {
            let barW = max(step * 0.7, 1)
            for (i, value) in values.enumerated() where i < days.count {
                guard let v = value else { continue }
                let top = y(v)
                svg += "<rect class=\"bar\" x=\"\(n(x(i) - barW / 2))\" y=\"\(n(top))\" width=\"\(n(barW))\" height=\"\(n(max(plotH + 8 - top, 0)))\" fill=\"\(e(color))\">"
                svg += "<title>\(days[i].vietnamese): \(number(v))</title></rect>"
            }
        } else {
            var segments: [[String]] = [[]]
            for (i, value) in values.enumerated() where i < days.count {
                if let v = value { segments[segments.count - 1].append("\(n(x(i))),\(n(y(v)))") } else if !(segments.last?.isEmpty ?? true) { segments.append([]) }
            }
            for points in segments where !points.isEmpty {
                svg += "<polyline class=\"line\" fill=\"none\" stroke=\"\(e(color))\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            }
            if let lastIndex = values.lastIndex(where: { $0 != nil }), lastIndex < days.count, let v = values[lastIndex] {
                svg += "<circle cx=\"\(n(x(lastIndex)))\" cy=\"\(n(y(v)))\" r=\"3\" fill=\"\(e(color))\"><title>\(days[lastIndex].vietnamese): \(number(v))</title></circle>"
            }
        }
        return svg + "</svg>"
    }

    static func color(_ t: Timeliness) -> String {
        switch t {
        case .onTime: return "#2e7d32"
        case .late: return "#f9a825"
        case .missing: return "#c62828"
        case .pending: return "#cfd3dc"
        }
    }

    /// A strip of coloured squares, one per period, oldest first (a unit's punctuality at a glance).
    static func strip(_ statuses: [Timeliness], periods: [ReportPeriod], language: Language) -> String {
        let cell = 8.0, gap = 2.0
        let width = max(Double(statuses.count) * (cell + gap), 1)
        var svg = "<svg class=\"strip\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(cell))\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(cell))\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, s) in statuses.enumerated() {
            let label = i < periods.count ? periods[i].shortLabel(vietnamese: language == .vi) : ""
            svg += "<rect x=\"\(SVG.n(Double(i) * (cell + gap)))\" y=\"0\" width=\"\(SVG.n(cell))\" height=\"\(SVG.n(cell))\" fill=\"\(color(s))\">"
            svg += "<title>\(SVG.escape(label)): \(SVG.escape(Strings.label("timeliness", s.rawValue, language)))</title></rect>"
        }
        return svg + "</svg>"
    }

    /// A ward's square on the risk grid: its colour, and its level's number so the colour is not the only cue.
    static func swatch(color: String, level: Int?) -> String {
        var svg = "<svg class=\"dash-swatch\" viewBox=\"0 0 16 16\" width=\"16\" height=\"16\" aria-hidden=\"true\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<rect width=\"16\" height=\"16\" rx=\"2\" fill=\"\(SVG.escape(color))\"/>"
        if let level {
            let ink = isLight(color) ? "#1d2330" : "#fff"
            svg += "<text x=\"8\" y=\"12\" font-size=\"11\" font-weight=\"700\" text-anchor=\"middle\" fill=\"\(ink)\">\(level)</text>"
        }
        return svg + "</svg>"
    }

    /// Whether dark ink reads better than white on a "#rrggbb" colour (yellow, light grey).
    static func isLight(_ color: String) -> Bool {
        let hex = color.hasPrefix("#") ? String(color.dropFirst()) : color
        guard hex.count == 6, let value = Int(hex, radix: 16) else { return false }
        let r = Double((value >> 16) & 0xFF), g = Double((value >> 8) & 0xFF), b = Double(value & 0xFF)
        return 0.299 * r + 0.587 * g + 0.114 * b > 150
    }
}

/// Numbers and statuses on reporting pages, in the reader's language.
enum ReportFormat {
    /// A figure grouped the reader's way; "—" when nobody gave one.
    static func number(_ n: Int?, _ language: Language) -> String { n.map { NumberFormat.localized($0, language: language) } ?? "—" }

    /// A timeliness badge: its code for the colour, its label for the reader.
    static func status(_ t: Timeliness, _ language: Language) -> [String: Any] {
        ["code": t.rawValue, "label": Strings.label("timeliness", t.rawValue, language)]
    }

    /// A stored report value as people read it: numbers grouped, dates dd/mm/yyyy.
    static func value(_ value: String?, field: ReportField, _ language: Language) -> String {
        guard let value, !value.isEmpty else { return "—" }
        switch field.type {
        case .number: return Int(value).map { NumberFormat.localized($0, language: language) } ?? value
        case .date: return CivilDate(iso: value)?.vietnamese ?? value
        case .choice: return Strings.label("report_choice", value, language)
        case .text: return value
        }
    }

    /// A stored instant as people read it, in Vietnam time, to the minute: "09/09/2021 17:05".
    static func time(_ iso: String?) -> String { iso.flatMap(Timestamp.date).map(VietnamTime.display) ?? "" }
}
