import StyxyCore

/// An output the proposal declares, or leaves commented out with the reason.
struct ProposedOutput {
    var template: String
    var path: String
    var comment: String
    /// Set when the output is written as a comment only.
    var leftOutBecause: String? = nil
}

/// Everything the proposed manifest says, in the order it says it.
struct ScaffoldDocument {
    var sources: [String]
    var project: String?
    var skipped: [String]
    var services: [PlannedService]
    var outputs: [ProposedOutput]
}

/// Writes the proposal as commented YAML. Strings from the project (commands, names, images) are
/// written as double-quoted scalars with escapes, so `:`, `#`, quotes and `{{` survive as written.
enum ScaffoldText {
    static let width = 100

    static func render(_ document: ScaffoldDocument) -> String {
        var out: [String] = []
        out.append("# styxy.yaml: this project's services and the ports Styxy leases them.")
        out.append("#")
        if document.services.isEmpty {
            out += comment("Proposed by `styxy init` as a starting point: no package.json script, Compose file or Procfile here names a port. Declare one service per server the project starts, then run `styxy resolve`: it leases each service a stable port that nothing else on this machine uses and writes the outputs listed at the end.")
        } else {
            out += comment("Proposed by `styxy init` from \(list(document.sources)); each service says where it was found. Check the names and types (`styxy types` lists the types), then run `styxy resolve`: it leases each service a stable port that nothing else on this machine uses and writes the outputs listed at the end.")
        }
        out += comment("`styxy validate` checks this file after you edit it.")
        if !document.skipped.isEmpty {
            out.append("#")
            out.append("# Not made into services:")
            for item in document.skipped { out += comment("- \(item)", continuation: "  ") }
        }
        out.append("")
        if let project = document.project {
            out.append("project: \(quoted(project))")
            out.append("")
        }
        out.append("services:")
        if document.services.isEmpty {
            out += starterService()
        }
        for (index, service) in document.services.enumerated() {
            if index > 0 { out.append("") }
            out += self.service(service)
        }
        out.append("")
        out.append("outputs:")
        for output in document.outputs {
            if let reason = output.leftOutBecause {
                out += comment(reason, indent: "  ")
                out.append("  # - template: \(output.template)")
                out.append("  #   path: \(plain(output.path))")
            } else {
                out += comment(output.comment, indent: "  ")
                out.append("  - template: \(output.template)")
                out.append("    path: \(plain(output.path))")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func service(_ service: PlannedService) -> [String] {
        var out = comment("from \(service.origin)", indent: "  ")
        for remark in service.comments { out += comment(remark, indent: "  ") }
        out.append("  \(plain(service.name)):")
        out.append("    type: \(plain(service.type))")
        if service.transport != .tcp { out.append("    protocol: \(service.transport.rawValue)") }
        if service.ports.count == 1, service.ports[0].name == nil {
            out += portFields(service.ports[0], indent: "    ")
        } else {
            out.append("    ports:")
            for port in service.ports {
                out.append("      \(plain(port.name ?? "main")):")
                out += portFields(port, indent: "        ")
            }
        }
        if let command = service.command { out.append("    command: \(quoted(command))") }
        if !service.after.isEmpty { out.append("    after: \(oneOrList(service.after))   # Compose's depends_on") }
        return out
    }

    private static func portFields(_ port: PlannedPort, indent: String) -> [String] {
        var out: [String] = []
        if let preferred = port.preferred { out.append("\(indent)port: \(preferred)") }
        out.append("\(indent)env: \(oneOrList(port.env))")
        if let compose = port.compose {
            let address = compose.hostIP.map { ", host_ip: \(quoted($0))" } ?? ""
            out.append("\(indent)compose: { service: \(quoted(compose.service)), target: \(compose.target)\(address) }")
        }
        return out
    }

    /// `a`, or `[a, b]`: the two forms the manifest takes where one name or several may stand.
    private static func oneOrList(_ items: [String]) -> String {
        let shown = items.map(plain)
        return shown.count == 1 ? shown[0] : "[\(shown.joined(separator: ", "))]"
    }

    private static func starterService() -> [String] {
        comment("A placeholder: rename it, pick its type, and uncomment what applies.", indent: "  ") + [
            "  web:",
            "    type: dev",
            "    env: WEB_PORT",
            "    # port: 3000                       # the port it would like, when that one is free",
            "    # command: \"vite --port {{port}}\"  # how to start it on its port (npm-scripts output)",
        ]
    }

    // MARK: Comments

    /// `text` as comment lines of at most `width` columns, broken at spaces.
    static func comment(_ text: String, indent: String = "", continuation: String = "") -> [String] {
        // A line break inside a remark (from a file name or an error text) would end the comment.
        let text = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0.value < 0x20 || $0.value == 0x7f || $0.value == 0x85 || $0.value == 0x2028 || $0.value == 0x2029 ? " " : $0
        }))
        var lines: [String] = []
        var line = "\(indent)#"
        var lineHasWords = false
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if lineHasWords, line.count + 1 + word.count > width {
                lines.append(line)
                line = "\(indent)# \(continuation)\(word)"
            } else {
                line += " \(word)"
            }
            lineHasWords = true
        }
        lines.append(line)
        return lines
    }

    static func list(_ items: [String]) -> String {
        switch items.count {
        case 0: return "nothing"
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
        }
    }

    // MARK: Scalars

    /// Words YAML 1.1 readers take for null, booleans or numbers; written quoted even where our
    /// loader would read them as text, so other tools read the file the same way.
    private static let specialWords: Set<String> = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", ".nan"]

    /// Plain when the text is a simple word or path, double-quoted otherwise.
    static func plain(_ text: String) -> String {
        let safe = text.utf8.enumerated().allSatisfy { index, byte in
            ASCII.isLetter(byte) || byte == 0x5f || byte == 0x2e || byte == 0x2f || (index > 0 && (ASCII.isDigit(byte) || byte == 0x2d))
        }
        return safe && !text.isEmpty && !specialWords.contains(text.lowercased()) ? text : quoted(text)
    }

    /// A double-quoted YAML scalar, as the outputs write them.
    static func quoted(_ text: String) -> String { Quoting.yaml(text) }
}
