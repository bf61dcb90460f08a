/// A script split into simple commands (at `&&`, `||`, `;`, `|`, `&` and line breaks) and their
/// words, with quotes removed but every word's place in the script kept, so a port flag can be
/// inserted or replaced exactly where it stands. This is not a shell: no expansion, no
/// subshells; enough for the one-liners of package.json scripts and Procfiles.
struct ShellWords {
    struct Word {
        /// Where it is written, quotes included.
        var range: Range<Int>
        /// Its text without quotes.
        var text: String
        /// Inside the quotes, when the whole word is one quoted string (`"vite --port 3000"`) with
        /// no escapes, so a parallel runner's argument can be read as a command of its own.
        var quotedInner: Range<Int>?
    }

    /// The simple commands of `range` in `bytes`, each a non-empty list of words.
    static func commands(_ bytes: [UInt8], in range: Range<Int>) -> [[Word]] {
        var commands: [[Word]] = []
        var current: [Word] = []
        var index = range.lowerBound
        func endCommand() {
            if !current.isEmpty { commands.append(current) }
            current = []
        }
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == 0x0d {
                index += 1
            } else if byte == 0x0a || byte == 0x3b || byte == 0x26 || byte == 0x7c {  // \n ; & |
                endCommand()
                index += 1
            } else {
                let (word, end) = self.word(bytes, from: index, limit: range.upperBound)
                current.append(word)
                index = end
            }
        }
        endCommand()
        return commands
    }

    private static func word(_ bytes: [UInt8], from start: Int, limit: Int) -> (Word, Int) {
        var text: [UInt8] = []
        var index = start
        var quote: UInt8? = nil
        var quotedParts = 0
        var escaped = false
        while index < limit {
            let byte = bytes[index]
            if let open = quote {
                if byte == open {
                    quote = nil
                } else if byte == 0x5c, open == 0x22, index + 1 < limit {  // \ inside "..."
                    escaped = true
                    index += 1
                    text.append(bytes[index])
                } else {
                    text.append(byte)
                }
            } else if byte == 0x22 || byte == 0x27 {
                quote = byte
                quotedParts += 1
            } else if byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d || byte == 0x3b || byte == 0x26 || byte == 0x7c {
                break
            } else if byte == 0x5c, index + 1 < limit {
                escaped = true
                index += 1
                text.append(bytes[index])
            } else {
                text.append(byte)
            }
            index += 1
        }
        var inner: Range<Int>? = nil
        let wholeQuoted = quotedParts == 1 && index - start >= 2 && (bytes[start] == 0x22 || bytes[start] == 0x27) && bytes[index - 1] == bytes[start]
        if wholeQuoted, !escaped { inner = (start + 1)..<(index - 1) }
        return (Word(range: start..<index, text: String(decoding: text, as: UTF8.self), quotedInner: inner), index)
    }
}
