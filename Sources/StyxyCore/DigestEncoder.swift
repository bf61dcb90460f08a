extension Digest {
    /// Adds `value` as its `Encodable` conformance spells it out: every key, every value, and where
    /// each container opens and closes. A synthesized conformance covers every stored property, so
    /// a digest taken this way follows a type's fields as they are added, with no list to keep.
    ///
    /// Two values digest alike only when they encode alike: strings carry their length, numbers
    /// their width-independent bits, and each value its kind, so no two encodings share a byte
    /// stream. An optional left out (`encodeIfPresent`) is a missing key, which is a difference too.
    /// A value whose own `encode(to:)` throws adds the error's text instead of its remaining fields.
    public mutating func add(encoding value: some Encodable) {
        let sink = DigestSink(self)
        sink.value(value)
        self = sink.digest
    }
}

/// What every container writes into: the digest, and a tag before each item saying what it is.
private final class DigestSink {
    var digest: Digest

    private var scopes: UInt64 = 0

    init(_ digest: Digest) { self.digest = digest }

    enum Tag: UInt8 {
        case keyed = 0x4B, unkeyed = 0x55, key = 0x6B, open = 0x7B, close = 0x7D, failure = 0x21, scope = 0x23, value = 0x76
        case string = 0x73, signed = 0x69, unsigned = 0x75, double = 0x64, float = 0x66, bool = 0x62, null = 0x6E
    }

    func tag(_ tag: Tag) { digest.add(byte: tag.rawValue) }

    func word(_ value: UInt64) {
        var value = value
        for _ in 0..<8 {
            digest.add(byte: UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    /// A string with its length in front.
    func text(_ text: String) {
        word(UInt64(text.utf8.count))
        var text = text
        text.withUTF8 { digest.add($0) }
    }

    func key(_ key: some CodingKey) {
        tag(.key)
        text(key.stringValue)
    }

    /// A number for a container that has no brackets around it (`nestedContainer`,
    /// `superEncoder`, which hand-written conformances use): each of its items carries it, so
    /// where its items stop and its parent's resume stays part of the digest.
    func newScope() -> UInt64 {
        scopes += 1
        return scopes
    }

    /// A nested value, between brackets so that where it ends is part of the digest.
    func value(_ value: some Encodable) {
        tag(.open)
        do {
            try value.encode(to: DigestEncoder(sink: self, scope: nil))
        } catch {
            tag(.failure)
            text(String(describing: error))
        }
        tag(.close)
    }
}

private struct DigestEncoder: Encoder {
    let sink: DigestSink
    var scope: UInt64?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        sink.tag(.keyed)
        return KeyedEncodingContainer(DigestKeyedContainer<Key>(values: DigestValues(sink: sink, scope: scope)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        sink.tag(.unkeyed)
        return DigestValues(sink: sink, scope: scope)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { DigestValues(sink: sink, scope: scope) }
}

// Two container types: values (unkeyed and single-value, one and the same), and keyed, which
// writes each key and hands the value to the first. The value container is not generic on
// purpose: a concrete generic type with a `CodingKey` requirement costs the runtime a scan of
// every protocol conformance in the binary when it is first made, about 250,000 instructions on
// the warm path. (`KeyedEncodingContainer<CodingKeys>` in the synthesized conformances pays it
// once per type; nothing here adds to that.)

/// Writes values as they arrive, in order.
private struct DigestValues: UnkeyedEncodingContainer, SingleValueEncodingContainer {
    let sink: DigestSink
    /// Set for a container without brackets around it (see `DigestSink.newScope`).
    let scope: UInt64?
    var codingPath: [any CodingKey] { [] }
    private(set) var count = 0

    init(sink: DigestSink, scope: UInt64?) {
        self.sink = sink
        self.scope = scope
    }

    /// Before each item: counted, and marked with the scope when there is one.
    private mutating func item(_ tag: DigestSink.Tag) {
        count += 1
        if let scope {
            sink.tag(.scope)
            sink.word(scope)
        }
        sink.tag(tag)
    }

    mutating func encodeNil() { item(.null) }
    mutating func encode(_ value: Bool) { item(.bool); sink.digest.add(byte: value ? 1 : 0) }
    mutating func encode(_ value: String) { item(.string); sink.text(value) }
    mutating func encode(_ value: Double) { item(.double); sink.word(value.bitPattern) }
    mutating func encode(_ value: Float) { item(.float); sink.word(UInt64(value.bitPattern)) }
    mutating func encode(_ value: Int) { encode(signed: Int64(value)) }
    mutating func encode(_ value: Int8) { encode(signed: Int64(value)) }
    mutating func encode(_ value: Int16) { encode(signed: Int64(value)) }
    mutating func encode(_ value: Int32) { encode(signed: Int64(value)) }
    mutating func encode(_ value: Int64) { encode(signed: value) }
    mutating func encode(_ value: UInt) { encode(unsigned: UInt64(value)) }
    mutating func encode(_ value: UInt8) { encode(unsigned: UInt64(value)) }
    mutating func encode(_ value: UInt16) { encode(unsigned: UInt64(value)) }
    mutating func encode(_ value: UInt32) { encode(unsigned: UInt64(value)) }
    mutating func encode(_ value: UInt64) { encode(unsigned: value) }
    mutating func encode(_ value: some Encodable) { item(.value); sink.value(value) }

    private mutating func encode(signed value: Int64) { item(.signed); sink.word(UInt64(bitPattern: value)) }
    private mutating func encode(unsigned value: UInt64) { item(.unsigned); sink.word(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        item(.keyed)
        return KeyedEncodingContainer(DigestKeyedContainer<NestedKey>(values: DigestValues(sink: sink, scope: sink.newScope())))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        item(.unkeyed)
        return DigestValues(sink: sink, scope: sink.newScope())
    }

    mutating func superEncoder() -> any Encoder {
        item(.value)
        return DigestEncoder(sink: sink, scope: sink.newScope())
    }
}

/// Writes the key, then the value as `DigestValues` does. `encodeIfPresent` is spelled out for
/// the optionals the render context holds: the protocol's default for them goes through the
/// runtime's slow associated-type lookup (about 290,000 instructions on first use).
private struct DigestKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    var values: DigestValues
    var codingPath: [any CodingKey] { [] }

    private func key(_ key: Key) { values.sink.key(key) }

    mutating func encodeNil(forKey key: Key) { self.key(key); values.encodeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: String, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Double, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Float, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Int, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Int8, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Int16, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Int32, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: Int64, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: UInt, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) { self.key(key); values.encode(value) }
    mutating func encode(_ value: some Encodable, forKey key: Key) { self.key(key); values.encode(value) }

    mutating func encodeIfPresent(_ value: String?, forKey key: Key) {
        if let value { encode(value, forKey: key) }
    }

    mutating func encodeIfPresent(_ value: (some Encodable)?, forKey key: Key) {
        if let value { encode(value, forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        self.key(key)
        return values.nestedContainer(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        self.key(key)
        return values.nestedUnkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { values.superEncoder() }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        self.key(key)
        return values.superEncoder()
    }
}
