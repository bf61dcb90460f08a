/// Finds the development servers of config/dev-servers.yaml that a script starts, looking
/// through wrappers (`npx`, `cross-env A=1`, `dotenv --`, `python -m`) and parallel runners
/// (`concurrently "vite" "tsc -w"`).
struct ServerMatcher {
    /// A server of the table that a simple command starts, and where its command words end.
    struct Match {
        var server: DevServer
        /// The last word of the table's command (`dev` of `next dev`).
        var lastCommandWord: Int
    }

    /// One simple command of a script: its words, where its program stands (after wrappers), and
    /// the table's servers it starts: at most one main server (the longest command), then the
    /// side ports it opens as well (`nest start --debug` is nest and its inspector).
    struct Started {
        var words: [ShellWords.Word]
        var program: Int
        var matches: [Match] = []

        /// What identifies the server a script starts, to tell two scripts that start the same one:
        /// the program and its arguments, without options, assignments and port values.
        func identity(excluding spans: [Range<Int>]) -> [String] {
            words[program...].enumerated().compactMap { offset, word in
                if offset > 0, word.text.hasPrefix("-") { return nil }
                if spans.contains(where: { word.range.overlaps($0) }) { return nil }
                return offset == 0 ? TypeGuess.programName(Substring(word.text)) : word.text
            }
        }

        /// Whether the command spells `range` (a port it passes).
        func holds(_ range: Range<Int>) -> Bool {
            words.contains { $0.range.lowerBound <= range.lowerBound && range.upperBound <= $0.range.upperBound }
        }
    }

    /// What a script does, as far as servers go.
    enum Finding {
        /// Its simple commands with a program, servers or not, in order.
        case commands([Started])
        /// It runs another script of the same package.json (`npm run dev`, `pnpm dev`), and nothing else.
        case callsScript(String)
    }

    let table: DevServerTable
    /// The package.json script names, so `pnpm dev` reads as a call and `pnpm vite` as a program.
    let scriptNames: Set<String>

    func find(in command: String) -> Finding {
        let bytes = Array(command.utf8)
        var started: [Started] = []
        var called: String? = nil
        for words in ShellWords.commands(bytes, in: 0..<bytes.count) {
            switch find(words, bytes: bytes, depth: 0) {
            case .commands(let found): started += found
            case .callsScript(let name): called = called ?? name
            }
        }
        if started.allSatisfy(\.matches.isEmpty), let called { return .callsScript(called) }
        return .commands(started)
    }

    private func find(_ words: [ShellWords.Word], bytes: [UInt8], depth: Int) -> Finding {
        var index = skipAssignments(words, from: 0)
        // Wrappers may nest (`npx cross-env A=1 vite`); each step moves forward, so this ends.
        while index < words.count {
            if let runner = longest(table.scriptRunners, at: index, in: words) {
                let next = skipOptions(words, from: index + runner)
                if next < words.count, scriptNames.contains(words[next].text) { return .callsScript(words[next].text) }
                index = next
                continue
            }
            if let wrapper = table.wrappers.filter({ Self.matches($0.words, at: index, in: words) }).max(by: { $0.words.count < $1.words.count }) {
                index += wrapper.words.count
                if wrapper.untilDashes, let dashes = words[index...].firstIndex(where: { $0.text == "--" }) {
                    index = dashes + 1
                } else {
                    index = skipOptions(words, from: index)
                    // `npm exec -- vite`: the end of the wrapper's own options.
                    if index < words.count, words[index].text == "--" { index += 1 }
                }
                index = skipAssignments(words, from: index)
                continue
            }
            break
        }
        guard index < words.count else { return .commands([]) }
        if table.parallelRunners.contains(TypeGuess.programName(Substring(words[index].text))), depth == 0 {
            var found: [Started] = []
            for word in words[(index + 1)...] where !word.text.hasPrefix("-") {
                guard let inner = word.quotedInner else { continue }
                for innerWords in ShellWords.commands(bytes, in: inner) {
                    if case .commands(let more) = find(innerWords, bytes: bytes, depth: depth + 1) { found += more }
                }
            }
            return .commands(found)
        }
        return .commands([Started(words: words, program: index, matches: matches(words, program: index))])
    }

    /// The main server with the longest command starting at `program` (ties go to the earlier
    /// entry), then every side server (`port_name`) whose command is there too.
    private func matches(_ words: [ShellWords.Word], program: Int) -> [Match] {
        let main = best(words, program: program, among: table.servers.filter { $0.portName == nil })
        let sides = table.servers.filter { $0.portName != nil }.compactMap { best(words, program: program, among: [$0]) }
        return (main.map { [$0] } ?? []) + sides
    }

    private func best(_ words: [ShellWords.Word], program: Int, among servers: [DevServer]) -> Match? {
        let name = TypeGuess.programName(Substring(words[program].text))
        let rest = words[(program + 1)...]
        var best: Match? = nil
        var bestLength = 0
        for server in servers {
            if rest.contains(where: { server.except.contains($0.text) }) { continue }
            if server.needsFlag, !rest.contains(where: { word in server.flagWords.contains { word.text == $0 || word.text.hasPrefix($0 + "=") } }) {
                continue
            }
            for command in server.commands where command[0] == name && command.count > bestLength {
                // The subcommand words in order, options allowed between them (`flask --app x run`).
                var last = program
                var complete = true
                for wanted in command.dropFirst() {
                    guard let found = words[(last + 1)...].firstIndex(where: { $0.text == wanted }) else {
                        complete = false
                        break
                    }
                    last = found
                }
                if complete {
                    best = Match(server: server, lastCommandWord: last)
                    bestLength = command.count
                }
            }
        }
        return best
    }

    // MARK: Words

    private static func matches(_ sequence: [String], at index: Int, in words: [ShellWords.Word]) -> Bool {
        guard index + sequence.count <= words.count else { return false }
        for (offset, wanted) in sequence.enumerated() {
            let text = offset == 0 ? TypeGuess.programName(Substring(words[index].text)) : words[index + offset].text
            if text != wanted { return false }
        }
        return true
    }

    private func longest(_ sequences: [[String]], at index: Int, in words: [ShellWords.Word]) -> Int? {
        sequences.filter { Self.matches($0, at: index, in: words) }.map(\.count).max()
    }

    private func skipOptions(_ words: [ShellWords.Word], from start: Int) -> Int {
        var index = start
        while index < words.count, words[index].text.hasPrefix("-"), words[index].text != "--" { index += 1 }
        return index
    }

    private func skipAssignments(_ words: [ShellWords.Word], from start: Int) -> Int {
        var index = start
        while index < words.count, Self.assignment(words[index].text) != nil { index += 1 }
        return index
    }

    /// `NAME=value` → NAME; nil for anything else.
    static func assignment(_ text: String) -> String? {
        guard let equals = text.firstIndex(of: "="), !text.hasPrefix("-") else { return nil }
        let name = String(text[..<equals])
        return Manifest.isValidEnvName(name) ? name : nil
    }
}
