import EpiCore
import Foundation

/// Charts drawn on the server as inline SVG: no script, no third-party code, readable on a phone,
/// and printable. Only presentation attributes are used, since the CSP forbids inline styles.
package enum SVGChart {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }

    /// A daily series as bars (flows such as new cases) or a line (levels such as people in quarantine).
    /// `values` are aligned with `days`; nil is a day without data (drawn as a gap, never as zero).
    package static func series(days: [CivilDate], values: [Int?], title: String, bars: Bool, color: String = "#9b1c1c", id: String = "") -> String {
        let width = 320.0, height = 130.0, left = 34.0, right = 6.0, top = 8.0, bottom = 20.0
        let plotW = width - left - right, plotH = height - top - bottom
        let maxValue = max(values.compactMap { $0 }.max() ?? 0, 1)
        let n = max(days.count, 1)
        let step = plotW / Double(n)
        func x(_ i: Int) -> Double { left + step * (Double(i) + 0.5) }
        func y(_ v: Int) -> Double { top + plotH - plotH * Double(v) / Double(maxValue) }
        var svg = "<svg class=\"chart\" \(id.isEmpty ? "" : "id=\"\(escape(id))\" ")viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(escape(title))</title>"
        // Axes and the scale: zero and the maximum.
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(width - right))\" y2=\"\(f(top + plotH))\" stroke=\"#889\" stroke-width=\"1\"/>"
        svg += "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(width - right))\" y2=\"\(f(top))\" stroke=\"#dde\" stroke-width=\"1\"/>"
        svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + 4))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">\(NumberFormat.grouped(maxValue))</text>"
        svg += "<text x=\"\(f(left - 4))\" y=\"\(f(top + plotH))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">0</text>"
        if let first = days.first, let last = days.last {
            svg += "<text x=\"\(f(left))\" y=\"\(f(height - 6))\" font-size=\"9\" fill=\"#556\">\(first.vietnamese.prefix(5))</text>"
            svg += "<text x=\"\(f(width - right))\" y=\"\(f(height - 6))\" font-size=\"9\" text-anchor=\"end\" fill=\"#556\">\(last.vietnamese.prefix(5))</text>"
        }
        if bars {
            let barW = max(step * 0.7, 1)
            for (i, value) in values.enumerated() {
                guard let v = value else { continue }
                let top = y(v)
                svg += "<rect class=\"bar\" x=\"\(f(x(i) - barW / 2))\" y=\"\(f(top))\" width=\"\(f(barW))\" height=\"\(f(max(plotH + 8 - top, 0)))\" fill=\"\(color)\">"
                svg += "<title>\(days[i].vietnamese): \(NumberFormat.grouped(v))</title></rect>"
            }
        } else {
            var segments: [[String]] = [[]]
            for (i, value) in values.enumerated() {
                if let v = value { segments[segments.count - 1].append("\(f(x(i))),\(f(y(v)))") } else if !segments[segments.count - 1].isEmpty { segments.append([]) }
            }
            for points in segments where !points.isEmpty {
                svg += "<polyline class=\"line\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
            }
            if let lastIndex = values.lastIndex(where: { $0 != nil }), let v = values[lastIndex] {
                svg += "<circle cx=\"\(f(x(lastIndex)))\" cy=\"\(f(y(v)))\" r=\"3\" fill=\"\(color)\"><title>\(days[lastIndex].vietnamese): \(NumberFormat.grouped(v))</title></circle>"
            }
        }
        svg += "</svg>"
        return svg
    }

    /// A horizontal progress bar with a tick where the target's timeline says progress should be.
    package static func progress(fraction: Double, expected: Double?, title: String) -> String {
        let width = 300.0, height = 18.0
        let done = min(max(fraction, 0), 1) * width
        let color = expected.map { fraction + 0.0001 >= $0 ? "#2e7d32" : "#c62828" } ?? "#2e7d32"
        var svg = "<svg class=\"progress\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(escape(title))</title><rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" rx=\"3\" fill=\"#e4e6ee\"/>"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(f(done))\" height=\"\(Int(height))\" rx=\"3\" fill=\"\(color)\"/>"
        if let expected {
            let ex = min(max(expected, 0), 1) * width
            svg += "<line x1=\"\(f(ex))\" y1=\"0\" x2=\"\(f(ex))\" y2=\"\(Int(height))\" stroke=\"#1d2330\" stroke-width=\"2\"/>"
        }
        svg += "</svg>"
        return svg
    }

    /// A strip of coloured squares, one per period, oldest first (a unit's punctuality at a glance).
    package static func strip(_ statuses: [Timeliness], labels: [String]) -> String {
        let cell = 8.0, gap = 2.0
        let width = Double(statuses.count) * (cell + gap)
        var svg = "<svg class=\"strip\" viewBox=\"0 0 \(f(max(width, 1))) \(f(cell))\" width=\"\(f(max(width, 1)))\" height=\"\(f(cell))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, s) in statuses.enumerated() {
            svg += "<rect x=\"\(f(Double(i) * (cell + gap)))\" y=\"0\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(color(s))\"><title>\(escape(i < labels.count ? labels[i] : "")): \(s.labelVI)</title></rect>"
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
}
