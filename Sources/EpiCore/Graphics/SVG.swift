/// Minimal helpers for SVG written on the server (no JavaScript charting library).
public enum SVG {
    /// Escapes text and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A number with at most one decimal, as SVG coordinates need no more.
    public static func n(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}

/// Draws a transmission chain: people in rows by contact level (F0 on top), exposures as lines.
public struct ChainGraph: Sendable {
    public struct Node: Sendable, Equatable {
        public let id: String
        public let level: Int?
        public let label: String
        public let sublabel: String
        /// Nil when the viewer may not open this person (outside their jurisdiction).
        public let link: String?

        public init(id: String, level: Int?, label: String, sublabel: String, link: String?) {
            self.id = id
            self.level = level
            self.label = label
            self.sublabel = sublabel
            self.link = link
        }
    }

    public struct Edge: Sendable, Equatable {
        public let a: String
        public let b: String
        public let label: String

        public init(a: String, b: String, label: String) {
            self.a = a
            self.b = b
            self.label = label
        }
    }

    public struct Position: Sendable, Equatable {
        public let x: Double
        public let y: Double
    }

    public let nodes: [Node]
    public let edges: [Edge]
    public let positions: [String: Position]
    public let width: Double
    public let height: Double

    static let columnWidth = 150.0, rowHeight = 110.0, margin = 70.0

    /// Lays out rows by level, then orders each row by the mean position of its neighbours in the
    /// row above and below (a few barycentre sweeps), which removes most line crossings.
    public init(nodes: [Node], edges: [Edge]) {
        let known = Set(nodes.map(\.id))
        let edges = edges.filter { known.contains($0.a) && known.contains($0.b) && $0.a != $0.b }
        let rowOf: (Node) -> Int = { $0.level ?? ((nodes.compactMap(\.level).max() ?? 0) + 1) }
        var rows: [Int: [String]] = [:]
        for node in nodes.sorted(by: { ($0.label, $0.id) < ($1.label, $1.id) }) { rows[rowOf(node), default: []].append(node.id) }
        var neighbours: [String: [String]] = [:]
        for e in edges {
            neighbours[e.a, default: []].append(e.b)
            neighbours[e.b, default: []].append(e.a)
        }
        let rowKeys = rows.keys.sorted()
        var order: [String: Double] = [:]
        func renumber() { for key in rowKeys { for (i, id) in (rows[key] ?? []).enumerated() { order[id] = Double(i) } } }
        renumber()
        for sweep in 0..<4 {
            let keys = sweep % 2 == 0 ? rowKeys : rowKeys.reversed()
            for key in keys {
                rows[key]?.sort { a, b in
                    func centre(_ id: String) -> Double {
                        let ns = (neighbours[id] ?? []).compactMap { order[$0] }
                        return ns.isEmpty ? order[id] ?? 0 : ns.reduce(0, +) / Double(ns.count)
                    }
                    let (ca, cb) = (centre(a), centre(b))
                    return ca != cb ? ca < cb : (order[a] ?? 0) < (order[b] ?? 0)
                }
                for (i, id) in (rows[key] ?? []).enumerated() { order[id] = Double(i) }
            }
        }
        let widest = rows.values.map(\.count).max() ?? 1
        let width = Self.margin * 2 + Double(max(widest - 1, 0)) * Self.columnWidth
        var positions: [String: Position] = [:]
        for (r, key) in rowKeys.enumerated() {
            let ids = rows[key] ?? []
            let offset = (Double(widest) - Double(ids.count)) * Self.columnWidth / 2
            for (i, id) in ids.enumerated() {
                positions[id] = Position(x: Self.margin + offset + Double(i) * Self.columnWidth, y: 50 + Double(r) * Self.rowHeight)
            }
        }
        self.nodes = nodes
        self.edges = edges
        self.positions = positions
        self.width = width
        self.height = 50 + Double(max(rowKeys.count - 1, 0)) * Self.rowHeight + 60
    }

    public static func color(level: Int?) -> String {
        switch level {
        case 0: return "#c62828"
        case 1: return "#ef6c00"
        case 2: return "#f9a825"
        case 3: return "#7cb342"
        case .some: return "#90a4ae"
        case nil: return "#cfd8dc"
        }
    }

    /// The SVG document, with a title for screen readers; nodes a viewer may open are links.
    public func render(title: String) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain-graph\" role=\"img\" viewBox=\"0 0 \(SVG.n(width)) \(SVG.n(height))\" width=\"\(SVG.n(width))\" height=\"\(SVG.n(height))\" aria-label=\"\(SVG.escape(title))\"><title>\(SVG.escape(title))</title>"
        s += "<g class=\"edges\" stroke=\"#78909c\" stroke-width=\"1.5\">"
        for e in edges {
            guard let a = positions[e.a], let b = positions[e.b] else { continue }
            s += "<line x1=\"\(SVG.n(a.x))\" y1=\"\(SVG.n(a.y))\" x2=\"\(SVG.n(b.x))\" y2=\"\(SVG.n(b.y))\"><title>\(SVG.escape(e.label))</title></line>"
        }
        s += "</g><g class=\"nodes\" font-family=\"system-ui, sans-serif\" font-size=\"12\" text-anchor=\"middle\">"
        for node in nodes {
            guard let p = positions[node.id] else { continue }
            var g = "<g class=\"node\" data-id=\"\(SVG.escape(node.id))\" data-level=\"\(node.level.map(String.init) ?? "")\">"
            g += "<circle cx=\"\(SVG.n(p.x))\" cy=\"\(SVG.n(p.y))\" r=\"16\" fill=\"\(Self.color(level: node.level))\" stroke=\"#fff\" stroke-width=\"2\"/>"
            g += "<text x=\"\(SVG.n(p.x))\" y=\"\(SVG.n(p.y + 4))\" fill=\"#fff\" font-weight=\"700\">\(node.level.map(contactLevelName) ?? "–")</text>"
            g += "<text x=\"\(SVG.n(p.x))\" y=\"\(SVG.n(p.y + 32))\" fill=\"#1d2330\">\(SVG.escape(node.label))</text>"
            g += "<text x=\"\(SVG.n(p.x))\" y=\"\(SVG.n(p.y + 46))\" fill=\"#667\" font-size=\"10\">\(SVG.escape(node.sublabel))</text></g>"
            if let link = node.link { g = "<a href=\"\(SVG.escape(link))\">\(g)</a>" }
            s += g
        }
        return s + "</g></svg>"
    }
}
