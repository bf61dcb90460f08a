/// Cuts one output stream into lines. Bytes arrive in whatever pieces the pipe gives; a line is
/// handed on only once complete, so two services writing at once can never mix within a line. A
/// line longer than `limit` bytes is handed on in pieces of at most `limit` (a piece never ends
/// inside a UTF-8 character), so a service that prints without newlines cannot make the
/// supervisor hold an unbounded buffer. Where a long line is cut does not depend on how its bytes
/// arrived.
struct LineBuffer {
    typealias Emit = (UnsafeRawBufferPointer) -> Void

    let limit: Int
    private var pending: [UInt8] = []

    init(limit: Int) {
        precondition(limit >= 4, "a line piece must hold any UTF-8 character")
        self.limit = limit
    }

    var isEmpty: Bool { pending.isEmpty }

    /// Adds bytes and hands on every complete line, without its `\n` (and a `\r` before it).
    mutating func append(_ bytes: UnsafeRawBufferPointer, emit: Emit) {
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
            let end = newline ?? bytes.count
            if pending.isEmpty {
                // The common case: the whole line is in this read, so it is handed on without a copy.
                let rest = emitPieces(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), complete: newline != nil, emit)
                if let rest { pending.append(contentsOf: rest) }
            } else {
                pending.append(contentsOf: bytes[start..<end])
                let kept = pending.withUnsafeBytes { emitPieces($0, complete: newline != nil, emit)?.count ?? 0 }
                pending.removeFirst(pending.count - kept)
            }
            start = end + 1
        }
    }

    /// The stream has ended: a last line without a newline is still a line.
    mutating func finish(emit: Emit) {
        guard !pending.isEmpty else { return }
        pending.withUnsafeBytes { _ = emitPieces($0, complete: true, emit) }
        pending.removeAll()
    }

    /// Hands on `limit`-byte pieces while more than `limit` bytes remain, then the rest when the
    /// line is complete. Returns what is left of an incomplete line (nil when nothing is).
    private func emitPieces(_ line: UnsafeRawBufferPointer, complete: Bool, _ emit: Emit) -> UnsafeRawBufferPointer? {
        var start = 0
        while line.count - start > limit {
            let end = Self.characterBoundary(in: line, before: start + limit, notBefore: start + 1)
            emit(UnsafeRawBufferPointer(rebasing: line[start..<end]))
            start = end
        }
        let rest = UnsafeRawBufferPointer(rebasing: line[start...])
        guard complete else { return rest.isEmpty ? nil : rest }
        emit(rest.last == UInt8(ascii: "\r") ? UnsafeRawBufferPointer(rebasing: rest.dropLast()) : rest)
        return nil
    }

    /// `cut`, moved back by up to three bytes while the byte there continues a multi-byte
    /// character (10xxxxxx); bytes that are not UTF-8 at all are cut where the bound says.
    private static func characterBoundary(in line: UnsafeRawBufferPointer, before cut: Int, notBefore floor: Int) -> Int {
        var end = cut
        while end > max(floor, cut - 3), line[end] & 0xC0 == 0x80 { end -= 1 }
        return line[end] & 0xC0 == 0x80 ? cut : end
    }
}
