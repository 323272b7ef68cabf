/// The 64-bit FNV-1a hash, for telling whether two shards answer the same
/// question or cut a box the same way (not for security: nobody forges a
/// results file here to get past a check).
public struct FNV1a: Sendable {
    private var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Mixes in bytes.
    public mutating func mix<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
    }

    /// Mixes in a 64-bit value, least significant byte first.
    public mutating func mix(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { mix(CollectionOfOne(UInt8(truncatingIfNeeded: value >> UInt64(shift)))) }
    }

    /// The hash in hexadecimal.
    public var hex: String { String(hash, radix: 16) }
}
