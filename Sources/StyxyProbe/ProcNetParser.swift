#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

import StyxyCore

/// Reads the kernel's socket tables (`/proc/net/tcp` and friends) straight from their bytes: this runs
/// on every resolve, and a busy machine has thousands of lines.
enum ProcNetParser {
    /// Appends one entry per well-formed line; the header and lines that do not parse are skipped.
    static func parse(
        _ bytes: [UInt8], proto: Transport, family: AddressFamily, into entries: inout [SocketEntry]
    ) {
        bytes.withUnsafeBufferPointer { buffer in
            var lineStart = 0
            var isHeader = true
            while lineStart < buffer.count {
                var lineEnd = lineStart
                while lineEnd < buffer.count, buffer[lineEnd] != newline { lineEnd += 1 }
                if isHeader {
                    isHeader = false
                } else if let entry = parseLine(buffer, lineStart..<lineEnd, proto: proto, family: family) {
                    entries.append(entry)
                }
                lineStart = lineEnd + 1
            }
        }
    }

    /// `ip_local_port_range`: two decimal numbers separated by whitespace.
    static func parseRange(_ bytes: [UInt8]) -> ClosedRange<UInt16>? {
        bytes.withUnsafeBufferPointer { buffer in
            var fields = FieldReader(buffer: buffer, position: 0, end: buffer.count)
            guard let low = fields.next().flatMap({ decimal(buffer, $0) }),
                let high = fields.next().flatMap({ decimal(buffer, $0) }),
                low <= high, high <= UInt64(UInt16.max)
            else { return nil }
            return UInt16(low)...UInt16(high)
        }
    }

    // Fields: sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    private static func parseLine(
        _ buffer: UnsafeBufferPointer<UInt8>, _ line: Range<Int>, proto: Transport,
        family: AddressFamily
    ) -> SocketEntry? {
        var fields = FieldReader(buffer: buffer, position: line.lowerBound, end: line.upperBound)
        var local: Range<Int>?, state: Range<Int>?, uid: Range<Int>?, inode: Range<Int>?
        var index = 0
        while index <= 9, let field = fields.next() {
            switch index {
            case 1: local = field
            case 3: state = field
            case 7: uid = field
            case 9: inode = field
            default: break
            }
            index += 1
        }
        guard let local, let state, let uid, let inode,
            let colon = buffer[local].firstIndex(of: UInt8(ascii: ":")),
            let port = hex(buffer, colon + 1..<local.upperBound), port <= UInt64(UInt16.max),
            let rawState = hex(buffer, state), rawState <= 0xFF,
            let uidValue = decimal(buffer, uid), uidValue <= UInt64(UInt32.max),
            let inodeValue = decimal(buffer, inode),
            let address = address(buffer, local.lowerBound..<colon, family: family)
        else { return nil }
        return SocketEntry(
            proto: proto, family: family, localAddress: address, port: UInt16(port),
            state: socketState(UInt8(rawState), proto: proto), uid: UInt32(uidValue), inode: inodeValue)
    }

    private static func socketState(_ raw: UInt8, proto: Transport) -> SocketState {
        switch (proto, raw) {
        case (.tcp, 0x0A): .listen
        case (.tcp, 0x06): .timeWait
        case (_, 0x01): .established
        // A bound, unconnected UDP socket shows as TCP_CLOSE (07); it owns its port like a listener.
        case (.udp, 0x07): .listen
        default: .other(raw)
        }
    }

    /// The kernel prints each 32-bit word of the network-order address as a native integer, so on a
    /// little-endian host every 4-byte group comes out reversed.
    private static func address(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, family: AddressFamily
    ) -> String? {
        let byteCount = family == .ipv4 ? 4 : 16
        guard range.count == byteCount * 2 else { return nil }
        let littleEndian = UInt32(1).littleEndian == 1
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { raw -> String? in
            for byte in 0..<byteCount {
                let word = byte / 4, inWord = byte % 4
                let at = range.lowerBound + byte * 2
                guard let high = ASCII.hexValue(buffer[at]), let low = ASCII.hexValue(buffer[at + 1]) else { return nil }
                raw[word * 4 + (littleEndian ? 3 - inWord : inWord)] = high << 4 | low
            }
            guard let base = raw.baseAddress else { return nil }
            return format(UnsafeRawPointer(base), family: family)
        }
    }

    static func format(_ raw: UnsafeRawPointer, family: AddressFamily) -> String? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { text -> String? in
            let af = family == .ipv4 ? AF_INET : AF_INET6
            guard let base = text.baseAddress, inet_ntop(af, raw, base, socklen_t(text.count)) != nil else { return nil }
            return String(cString: base)
        }
    }

    private static func hex(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 16 else { return nil }
        var value: UInt64 = 0
        for i in range {
            guard let digit = ASCII.hexValue(buffer[i]) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    private static func decimal(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        guard !range.isEmpty, range.count <= 19 else { return nil }
        var value: UInt64 = 0
        for i in range {
            guard let digit = ASCII.digitValue(buffer[i]) else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value
    }

    private static let newline = UInt8(ascii: "\n")
}

/// Splits a byte range into runs separated by spaces, tabs and line ends.
struct FieldReader {
    let buffer: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    mutating func next() -> Range<Int>? {
        while position < end, Self.isSpace(buffer[position]) { position += 1 }
        guard position < end else { return nil }
        let start = position
        while position < end, !Self.isSpace(buffer[position]) { position += 1 }
        return start..<position
    }

    private static func isSpace(_ c: UInt8) -> Bool {
        c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r")
    }
}
