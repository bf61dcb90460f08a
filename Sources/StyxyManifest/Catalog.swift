import StyxyCore

/// A kind of service with the ports it is given by default.
public struct ServiceType: Sendable, Hashable {
    public var name: String
    public var description: String
    public var range: ClosedRange<Int>
    public var preferred: [Int]
    /// Where this definition came from: "built-in" or the user configuration file's path.
    public var origin: String

    public init(name: String, description: String, range: ClosedRange<Int>, preferred: [Int], origin: String) {
        self.name = name
        self.description = description
        self.range = range
        self.preferred = preferred
        self.origin = origin
    }
}

/// The service types and reserved ports in force: the built-in catalog, then the user's file.
public struct Catalog: Sendable {
    public private(set) var types: [String: ServiceType]
    /// Ports never handed out, whatever a manifest prefers.
    public private(set) var reserved: [ClosedRange<Int>]
    /// How long a command waits for the ledger lock; nil means the engine's default.
    public private(set) var lockTimeoutSeconds: Double?
    /// The user configuration file that was applied, if any.
    public private(set) var configPath: String?
    /// Folders outside a project that its manifest may name templates in (`template_folders:`),
    /// besides the project and the configuration's own folder.
    public private(set) var templateFolders: [String] = []

    public var sortedTypes: [ServiceType] { types.values.sorted { $0.name < $1.name } }

    public func isReserved(_ port: Int) -> Bool {
        reserved.contains { $0.contains(port) }
    }

    /// The catalog compiled into the binary from config/catalog.yaml (as values; the tests check
    /// they equal what the loader reads from the YAML).
    public static func builtin() -> Catalog {
        Catalog(types: Dictionary(uniqueKeysWithValues: builtinCatalogTypes.map { ($0.name, $0) }), reserved: [])
    }

    /// config/catalog.yaml as this binary's loader reads it; what `builtin()` must equal.
    static func builtinFromSource() throws(StyxyError) -> Catalog {
        try CatalogFile.parse(Array(builtinCatalogSource.utf8), file: "<built-in catalog>",
                              base: Catalog(types: [:], reserved: []), origin: "built-in")
    }

    /// The built-in catalog with the user configuration applied. Fail-closed: a file that exists but
    /// does not parse is an error; only an absent file means defaults.
    public static func load(environment: [String: String]) throws(StyxyError) -> Catalog {
        let builtin = builtin()
        guard let location = UserConfiguration.path(environment: environment) else { return builtin }
        let bytes: [UInt8]?
        do {
            bytes = try FileIO.read(location.path, limit: 1 << 20)
        } catch {
            throw StyxyError(.invalidInput, "cannot read the configuration: \(error)", file: location.path)
        }
        guard let bytes else {
            if location.explicit {
                throw StyxyError(.invalidInput, "the configuration file named by STYXY_CONFIG does not exist",
                                 file: location.path, hint: "create it, or unset STYXY_CONFIG")
            }
            return builtin
        }
        var catalog = try CatalogFile.parse(bytes, file: location.path, base: builtin, origin: location.path, userFile: true)
        catalog.configPath = location.path
        return catalog
    }

    init(types: [String: ServiceType], reserved: [ClosedRange<Int>]) {
        self.types = types
        self.reserved = reserved
    }

    mutating func set(_ type: ServiceType) { types[type.name] = type }
    mutating func reserve(_ range: ClosedRange<Int>) { reserved.append(range) }
    mutating func setLockTimeout(_ seconds: Double) { lockTimeoutSeconds = seconds }
    mutating func allowTemplates(in folder: String) { templateFolders.append(folder) }
}

/// Where the user configuration lives.
public enum UserConfiguration {
    /// `$STYXY_CONFIG` when set (then it must exist), else `$XDG_CONFIG_HOME/styxy/config.yaml`, else
    /// `$HOME/.config/styxy/config.yaml`.
    public static func path(environment: [String: String]) -> (path: String, explicit: Bool)? {
        if let explicit = environment["STYXY_CONFIG"], !explicit.isEmpty { return (explicit, true) }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return (FileIO.join(xdg, "styxy/config.yaml"), false)
        }
        if let home = environment["HOME"], !home.isEmpty {
            return (FileIO.join(home, ".config/styxy/config.yaml"), false)
        }
        return nil
    }
}

/// Reads the catalog format shared by config/catalog.yaml and the user configuration file.
enum CatalogFile {
    static func parse(
        _ bytes: [UInt8], file: String, base: Catalog, origin: String, userFile: Bool = false
    ) throws(StyxyError) -> Catalog {
        guard let root = try YAMLParser(file: file).parse(bytes) else { return base }
        var reader = SchemaReader()
        var catalog = base
        let topKeys = userFile ? ["types", "reserved", "lock_timeout", "template_folders"] : ["types"]
        if let top = reader.mapping(root, path: "", allowed: topKeys) {
            if let types = top["types"], let entries = reader.entries(types, path: "types") {
                for (key, value) in entries {
                    let name = key.scalarText ?? ""
                    let path = "types.\(name)"
                    if !Manifest.isValidName(name) {
                        reader.bag.error("invalid type name '\(name)'", at: key, path: path,
                                         hint: "use lowercase letters, digits, '-' and '_', starting with a letter")
                        continue
                    }
                    if let type = readType(value, name: name, existing: catalog.types[name], path: path, origin: origin, reader: &reader) {
                        catalog.set(type)
                    }
                }
            }
            if let reserved = top["reserved"], let items = reader.list(reserved, path: "reserved") {
                for (index, item) in items.enumerated() {
                    let path = "reserved[\(index)]"
                    if case .sequence = item.kind {
                        if let range = readRange(item, path: path, reader: &reader, allowPrivileged: true) { catalog.reserve(range) }
                    } else if let port = reader.port(item, path: path) {
                        catalog.reserve(port...port)
                    }
                }
            }
            if let timeout = top["lock_timeout"],
               let seconds = reader.duration(timeout, path: "lock_timeout", maximum: DurationText.longestLockWait, what: "the lock wait") {
                catalog.setLockTimeout(seconds)
            }
            if let folders = top["template_folders"],
               let items = reader.strings(folders, path: "template_folders", what: "an absolute folder path") {
                for (folder, node) in items {
                    guard folder.hasPrefix("/") else {
                        reader.bag.error("template folder '\(folder)' is not an absolute path", at: node, path: "template_folders",
                                         hint: "write the folder's full path, such as /home/me/templates")
                        continue
                    }
                    catalog.allowTemplates(in: folder)
                }
            }
        }
        if !reader.bag.isEmpty { throw StyxyError(.invalidInput, reader.bag.sorted) }
        return catalog
    }

    private static func readType(
        _ node: YAMLNode, name: String, existing: ServiceType?, path: String, origin: String, reader: inout SchemaReader
    ) -> ServiceType? {
        guard let fields = reader.mapping(node, path: path, allowed: ["description", "range", "preferred"]) else { return nil }
        let errorsBefore = reader.bag.items.count
        var type = existing ?? ServiceType(name: name, description: "", range: 0...0, preferred: [], origin: origin)
        type.origin = origin
        if let description = fields["description"] {
            type.description = reader.string(description, path: "\(path).description") ?? ""
        }
        if let rangeNode = fields["range"] {
            if let range = readRange(rangeNode, path: "\(path).range", reader: &reader, allowPrivileged: false) {
                type.range = range
                // A changed range keeps only the preferred ports that still fall inside it.
                if fields["preferred"] == nil { type.preferred = type.preferred.filter(range.contains) }
            }
        } else if existing == nil {
            reader.bag.error("a new type needs a range", at: node, path: path, hint: "add range: [A, B]")
        }
        let rangeKnown = reader.bag.items.count == errorsBefore
        if let preferredNode = fields["preferred"], let items = reader.list(preferredNode, path: "\(path).preferred") {
            type.preferred = []
            for (index, item) in items.enumerated() {
                guard let port = reader.port(item, path: "\(path).preferred[\(index)]") else { continue }
                if rangeKnown, !type.range.contains(port) {
                    reader.bag.error("preferred port \(port) is outside the type's range \(type.range.lowerBound)-\(type.range.upperBound)",
                                     at: item, path: "\(path).preferred[\(index)]")
                }
                type.preferred.append(port)
            }
        }
        return reader.bag.items.count == errorsBefore ? type : nil
    }
}

/// `[A, B]` with 1024 <= A <= B <= 65535 (or from 1 where privileged ports are allowed).
func readRange(_ node: YAMLNode, path: String, reader: inout SchemaReader, allowPrivileged: Bool) -> ClosedRange<Int>? {
    guard let items = reader.list(node, path: path) else { return nil }
    guard items.count == 2 else {
        reader.bag.error("expected a range [first, last] of two ports, found a list of \(items.count)", at: node, path: path)
        return nil
    }
    guard let low = reader.port(items[0], path: "\(path)[0]"), let high = reader.port(items[1], path: "\(path)[1]") else { return nil }
    guard low <= high else {
        reader.bag.error("range \(low)-\(high) is reversed", at: node, path: path, hint: "write [\(high), \(low)]")
        return nil
    }
    if !allowPrivileged && low < 1024 {
        reader.bag.error("range \(low)-\(high) reaches below 1024, where ports need root", at: node, path: path,
                         hint: "use ports from 1024 up, or set allow_privileged: true on the service")
        return nil
    }
    return low...high
}

/// Durations as people write them: `90s`, `2h`, `1d`, `500ms`, `1h30m`.
///
/// Every duration Styxy reads has a ceiling: text such as `99999999999999999999999d` is a number,
/// just not one any sum or conversion after it survives. `read` says "too long" apart from
/// "not a duration", so each caller can name its own maximum.
public enum DurationText {
    /// No duration Styxy takes is longer than ten years (3650 days), the longest TTL.
    public static let longest: Double = 3650 * 86400
    /// The longest wait for the ledger lock (STYXY_LOCK_TIMEOUT, `lock_timeout`): a lock held for
    /// an hour is a hang, and the wait must end with a message naming its holder.
    public static let longestLockWait: Double = 3600

    public enum Reading: Equatable, Sendable {
        case seconds(Double)
        case tooLong
        case invalid
    }

    /// The seconds `text` says, `.tooLong` above `maximum` (however many digits), `.invalid` for
    /// anything that is not a duration.
    public static func read(_ text: String, maximum: Double = longest) -> Reading {
        var total = 0.0
        var number = ""
        var unit = ""
        func flush() -> Bool {
            // ASCII digits and one point only; Double() alone would also take "1e9", "inf" or "nan".
            guard number.utf8.allSatisfy({ $0 == 0x2e || ASCII.isDigit($0) }), let value = Double(number) else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            case "d": scale = 86400
            default: return false
            }
            // Each part is finite and non-negative, so the sum only grows; an infinite part
            // (a thousand digits) compares as too long like any other.
            total += value * scale
            number = ""
            unit = ""
            return true
        }
        for character in text {
            if let byte = character.asciiValue, ASCII.isDigit(byte) || byte == 0x2e {
                if !unit.isEmpty { guard flush() else { return .invalid } }
                number.append(character)
            } else if let byte = character.asciiValue, ASCII.isLetter(byte) {
                guard !number.isEmpty else { return .invalid }
                unit.append(character)
            } else {
                return .invalid
            }
        }
        guard !number.isEmpty, flush() else { return .invalid }
        return total <= maximum ? .seconds(total) : .tooLong
    }

    /// The seconds `text` says, at most `longest`; nil otherwise.
    public static func seconds(_ text: String) -> Double? {
        if case .seconds(let value) = read(text) { return value }
        return nil
    }

    /// "3650d" for ten years: a maximum as the user would write it.
    public static func describe(_ seconds: Double) -> String {
        for (unit, size) in [("d", 86400.0), ("h", 3600.0), ("m", 60.0)] where seconds >= size && seconds.truncatingRemainder(dividingBy: size) == 0 {
            return "\(Int(seconds / size))\(unit)"
        }
        return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(Int(seconds * 1000))ms"
    }
}
