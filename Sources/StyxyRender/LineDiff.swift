/// A unified diff of two texts, line by line, with three lines of context: what `--dry-run`
/// shows and what golden tests print on a mismatch. Outputs are small, so a plain
/// longest-common-subsequence table is enough once the shared head and tail are set aside.
public enum LineDiff {
    public static func unified(old: String, new: String, oldName: String, newName: String) -> String {
        let a = lines(old), b = lines(new)
        let edits = script(a, b)
        guard edits.contains(where: { $0.kind != .same }) else { return "" }
        var out = "--- \(oldName)\n+++ \(newName)\n"
        for hunk in hunks(edits) { out += render(hunk, edits) }
        return out
    }

    private struct Line: Equatable {
        var text: Substring
        /// False only for a last line without a final newline.
        var terminated: Bool
    }

    private struct Edit {
        enum Kind { case same, removed, added }
        var kind: Kind
        var line: Line
        var oldNumber: Int
        var newNumber: Int
    }

    private static func lines(_ text: String) -> [Line] {
        var result = text.split(separator: "\n", omittingEmptySubsequences: false).map { Line(text: $0, terminated: true) }
        if result.last?.text.isEmpty == true { result.removeLast() } else if !result.isEmpty { result[result.count - 1].terminated = false }
        return result
    }

    private static func script(_ a: [Line], _ b: [Line]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] { suffix += 1 }
        let midA = Array(a[prefix..<(a.count - suffix)]), midB = Array(b[prefix..<(b.count - suffix)])

        var kinds: [Edit.Kind] = Array(repeating: .same, count: prefix)
        if midA.count * midB.count > 4_000_000 {
            // Too large to align cheaply: show it as replaced wholesale, which is still correct.
            kinds += Array(repeating: .removed, count: midA.count) + Array(repeating: .added, count: midB.count)
        } else {
            kinds += align(midA, midB)
        }
        kinds += Array(repeating: .same, count: suffix)

        var edits: [Edit] = []
        var i = 0, j = 0
        for kind in kinds {
            switch kind {
            case .same: edits.append(Edit(kind: .same, line: a[i], oldNumber: i, newNumber: j)); i += 1; j += 1
            case .removed: edits.append(Edit(kind: .removed, line: a[i], oldNumber: i, newNumber: j)); i += 1
            case .added: edits.append(Edit(kind: .added, line: b[j], oldNumber: i, newNumber: j)); j += 1
            }
        }
        return edits
    }

    private static func align(_ a: [Line], _ b: [Line]) -> [Edit.Kind] {
        let n = a.count, m = b.count
        // lcs[i][j]: the longest common subsequence of a[i...] and b[j...].
        var lcs = Array(repeating: Array(repeating: 0, count: m + 1), count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
            }
        }
        var kinds: [Edit.Kind] = []
        var i = 0, j = 0
        while i < n || j < m {
            if i < n, j < m, a[i] == b[j] {
                kinds.append(.same); i += 1; j += 1
            } else if j == m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1]) {
                kinds.append(.removed); i += 1
            } else {
                kinds.append(.added); j += 1
            }
        }
        return kinds
    }

    /// Index ranges into the edit script: each change with up to three lines around it, changes
    /// closer than that merged into one hunk.
    private static func hunks(_ edits: [Edit]) -> [Range<Int>] {
        let context = 3
        var ranges: [Range<Int>] = []
        for (index, edit) in edits.enumerated() where edit.kind != .same {
            let range = max(0, index - context)..<min(edits.count, index + context + 1)
            if let last = ranges.last, range.lowerBound <= last.upperBound {
                ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                ranges.append(range)
            }
        }
        return ranges
    }

    private static func render(_ range: Range<Int>, _ edits: [Edit]) -> String {
        let slice = edits[range]
        let oldCount = slice.filter { $0.kind != .added }.count
        let newCount = slice.filter { $0.kind != .removed }.count
        guard let first = slice.first else { preconditionFailure("a hunk holds at least one line") }
        // Unified diff numbers lines from 1 and names the line before an empty range.
        let oldStart = oldCount == 0 ? first.oldNumber : first.oldNumber + 1
        let newStart = newCount == 0 ? first.newNumber : first.newNumber + 1
        var out = "@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@\n"
        for edit in slice {
            let mark = edit.kind == .same ? " " : edit.kind == .removed ? "-" : "+"
            out += mark + edit.line.text + "\n"
            if !edit.line.terminated { out += "\\ No newline at end of file\n" }
        }
        return out
    }
}
