#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import StyxyCore

/// Seconds since the epoch, shown as RFC 3339 UTC (`2026-11-29T05:46:50Z`).
///
/// Every time Styxy keeps lies in `range`, 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z: what
/// RFC 3339's four-digit year can show. A time past it would print as a wrong year (10240 as
/// "0240"), and sums such as now + TTL could overflow; so times are clamped where they are made
/// (`clamped`, `adding`) and range-checked where they are read.
///
/// Conversions are plain calendar arithmetic (proleptic Gregorian, days counted from 1970-01-01)
/// rather than `gmtime`/`timegm`: `lease ls` formats three times per lease, and libc's versions
/// consult the time zone machinery on every call.
public enum Timestamp {
    /// 1970-01-01T00:00:00Z ... 9999-12-31T23:59:59Z.
    public static let range: ClosedRange<Int64> = 0...253_402_300_799

    public static func now() -> Int64 {
        clamped(Int64(time(nil)))
    }

    /// The nearest time in `range`.
    public static func clamped(_ seconds: Int64) -> Int64 {
        min(max(seconds, range.lowerBound), range.upperBound)
    }

    /// `time + seconds`, clamped to `range`, whatever the operands (no overflow).
    public static func adding(_ seconds: Int64, to time: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(seconds)
        if overflow { return seconds > 0 ? range.upperBound : range.lowerBound }
        return clamped(sum)
    }

    /// Always the 20-character form; a time outside `range` is shown as the nearest bound, the
    /// only honest thing four digits of year allow.
    public static func format(_ seconds: Int64) -> String {
        var bytes: [UInt8] = []
        append(seconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `format`'s 20 bytes, appended without making a `String` (a listing shows three per lease).
    public static func append(_ seconds: Int64, to bytes: inout [UInt8]) {
        let seconds = clamped(seconds)
        let days = seconds / 86400
        let rest = seconds - days * 86400
        let (year, month, day) = civil(fromDays: days)
        let start = bytes.count
        bytes.append(contentsOf: "0000-00-00T00:00:00Z".utf8)
        func put(_ value: Int64, at offset: Int, width: Int) {
            var value = value
            for index in stride(from: start + offset + width - 1, through: start + offset, by: -1) {
                bytes[index] = UInt8(0x30 + value % 10)
                value /= 10
            }
        }
        put(year, at: 0, width: 4)
        put(month, at: 5, width: 2)
        put(day, at: 8, width: 2)
        put(rest / 3600, at: 11, width: 2)
        put(rest / 60 % 60, at: 14, width: 2)
        put(rest % 60, at: 17, width: 2)
    }

    /// Parses exactly the form `format` writes, for a real calendar date in `range`; nil for
    /// anything else (so `format(parse(text)) == text` whenever it parses).
    public static func parse(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { bytes -> Int64? in
            guard bytes.count == 20, bytes[4] == 0x2d, bytes[7] == 0x2d, bytes[10] == 0x54, bytes[13] == 0x3a,
                  bytes[16] == 0x3a, bytes[19] == 0x5a
            else { return nil }
            func number(_ from: Int, _ count: Int) -> Int64? {
                var value: Int64 = 0
                for index in from..<from + count {
                    guard let digit = ASCII.digitValue(bytes[index]) else { return nil }
                    value = value * 10 + Int64(digit)
                }
                return value
            }
            guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
                  let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
                  year >= 1970, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
                  hour < 24, minute < 60, second < 60
            else { return nil }
            return days(fromCivil: year, month, day) * 86400 + hour * 3600 + minute * 60 + second
        }
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a calendar date (eras of 400 years, years starting in March).
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
