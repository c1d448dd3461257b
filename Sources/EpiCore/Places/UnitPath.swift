/// The position of a unit in the administrative tree as its codes from the root: "01/007/00256".
///
/// Rows that belong to a place carry this path, so jurisdiction is a prefix match on an indexed column.
public struct UnitPath: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let components: [String]

    public init(components: [String]) throws(UnitPathError) {
        guard !components.isEmpty else { throw .empty }
        for c in components {
            guard !c.isEmpty, c.count <= 20 else { throw .invalidComponent(c) }
            for u in c.utf8 {
                let ok = (u >= 48 && u <= 57) || (u >= 65 && u <= 90) || (u >= 97 && u <= 122) || u == 95 || u == 45
                guard ok else { throw .invalidComponent(c) }
            }
        }
        self.components = components
    }

    public init(_ string: String) throws(UnitPathError) {
        try self.init(components: string.split(separator: "/", omittingEmptySubsequences: false).map(String.init))
    }

    public init(slug: String) throws(UnitPathError) {
        try self.init(components: slug.split(separator: ".", omittingEmptySubsequences: false).map(String.init))
    }

    public init(from decoder: any Decoder) throws {
        self = try UnitPath(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(string)
    }

    public var string: String { components.joined(separator: "/") }
    public var slug: String { components.joined(separator: ".") }
    public var depth: Int { components.count }
    public var code: String { components.last ?? "" }

    public var parent: UnitPath? {
        components.count > 1 ? try? UnitPath(components: Array(components.dropLast())) : nil
    }

    public func appending(_ component: String) throws(UnitPathError) -> UnitPath {
        try UnitPath(components: components + [component])
    }

    /// True when `other` is this unit or lies below it (component-wise: "01/00" does not contain "01/007").
    public func contains(_ other: UnitPath) -> Bool {
        other.components.count >= components.count && Array(other.components.prefix(components.count)) == components
    }

    /// With `descendantUpperBound`, the byte-order range of every strict descendant's path ("/" is 0x2F, "0" is 0x30).
    public var descendantLowerBound: String { string + "/" }
    public var descendantUpperBound: String { string + "0" }

    public static func < (lhs: UnitPath, rhs: UnitPath) -> Bool { lhs.string < rhs.string }
    public var description: String { string }
}

public enum UnitPathError: Error, Equatable, Sendable {
    case empty
    case invalidComponent(String)
}
