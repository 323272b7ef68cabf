/// An optional report field that encodes as an explicit `null` when absent
/// (synthesized `Encodable` would leave the key out), so a JSON report always
/// has every documented key and scripts can rely on them.
@propertyWrapper
public struct ExplicitNull<Value: Encodable>: Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension ExplicitNull: Sendable where Value: Sendable {}

extension ExplicitNull: Decodable where Value: Decodable {
    /// Reads `null` as absent, so that a report reads back what it wrote.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }
}
