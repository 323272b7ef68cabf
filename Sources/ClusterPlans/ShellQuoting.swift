/// POSIX shell quoting for the commands a plan writes.
public enum ShellQuoting {
    /// `word` as one shell word: unchanged when it holds only characters no
    /// shell treats specially, else in single quotes (a `'` inside becomes `'\''`).
    public static func quote(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                || "-_./:=,+@%".unicodeScalars.contains(scalar)
        }
        return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
