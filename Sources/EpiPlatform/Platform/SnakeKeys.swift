import NIOConcurrencyHelpers
import SQLKit

extension SQLRowDecoder.KeyDecodingStrategy {
    /// SQLKit's `convertFromSnakeCase`, with each key's column name worked out once per process.
    ///
    /// SQLKit converts every key of every row it decodes, each time (a walk over the key's characters
    /// and their Unicode properties). With rows of 20 columns that conversion was the largest single
    /// cost of reading results for a lab import (12 % of the whole import) and of a permit check. The
    /// names are SQLKit's own: a key not seen yet is converted by SQLKit's `SQLQueryEncoder` with its
    /// `convertToSnakeCase` strategy, the same conversion `convertFromSnakeCase` applies.
    package static let memoizedSnakeCase: Self = .custom { path in
        SomeCodingKey(stringValue: SnakeKeys.column(for: path.last?.stringValue ?? ""))
    }
}

package enum SnakeKeys {
    private static let known = NIOLockedValueBox<[String: String]>([:])

    /// The column name SQLKit's snake-case strategies use for `key`.
    package static func column(for key: String) -> String {
        if let name = known.withLockedValue({ $0[key] }) { return name }
        let name = (try? SQLQueryEncoder(keyEncodingStrategy: .convertToSnakeCase).encode(OneKey(key: key)).first?.0) ?? key
        // Keys come from our types' CodingKeys, a few hundred in all; the bound only guards against misuse.
        known.withLockedValue { names in
            if names.count >= 10_000 { names.removeAll() }
            names[key] = name
        }
        return name
    }

    /// A value with one field named `key`, for SQLKit's encoder to name.
    private struct OneKey: Encodable {
        let key: String
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: SomeCodingKey.self)
            try container.encode(0, forKey: SomeCodingKey(stringValue: key))
        }
    }
}
