extension Substring {
    /// The text without leading and trailing whitespace (Unicode's, line breaks
    /// included). Swift's own scan, not Foundation's `trimmingCharacters`, which
    /// bridges through `NSString` and took half of the time to read ACAS Xu's
    /// 13,000 weights and most of the time to read 78,400 pixels; ASCII bytes first.
    package var trimmingWhitespace: Substring {
        // ASCII whitespace byte by byte (Character.isWhitespace looks up Unicode
        // properties for every byte); anything else at either end falls back to it.
        let bytes = utf8
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, bytes[start].isASCIIWhitespace { start = bytes.index(after: start) }
        while start < end, bytes[bytes.index(before: end)].isASCIIWhitespace { end = bytes.index(before: end) }
        let trimmed = self[start..<end]
        guard let first = trimmed.utf8.first, let last = trimmed.utf8.last, first >= 0x80 || last >= 0x80 else { return trimmed }
        guard let from = trimmed.firstIndex(where: { !$0.isWhitespace }) else { return trimmed[trimmed.endIndex...] }
        return trimmed[from...trimmed.lastIndex(where: { !$0.isWhitespace })!]
    }
}

extension UInt8 {
    /// Space, tab, line feed, vertical tab, form feed or carriage return (C's `isspace` in the C locale).
    package var isASCIIWhitespace: Bool { self == 0x20 || (0x09...0x0d).contains(self) }
}
