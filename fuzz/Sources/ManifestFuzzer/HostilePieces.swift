/// Manifests assembled from what a hostile repository would write where a variable name or an
/// output path goes (DESIGN §9), with the fuzzer's bytes deciding which pieces meet and how they
/// are spliced. Byte-level mutation alone rarely writes `NODE_OPTIONS` or a 5,000-byte path inside
/// valid YAML; this way every input also tries them, and the oracle sees what gets through.
enum HostilePieces {
    /// Denylisted names, names without PORT, names that contain PORT and are still read, and a
    /// few good ones so that the splices have something to grow from.
    static let names = [
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "DYLD_INSERT_LIBRARIES", "BASH_ENV", "ENV", "PROMPT_COMMAND", "IFS", "PS1",
        "PS4", "SHELLOPTS", "BASHOPTS", "HOME", "CDPATH", "NODE_OPTIONS", "JAVA_TOOL_OPTIONS", "PERL5OPT", "RUBYOPT",
        "PYTHONSTARTUP", "PYTHONPATH", "GIT_SSH_COMMAND", "GIT_PORT", "XDG_CONFIG_HOME", "NPM_CONFIG_SCRIPT_SHELL",
        "COMPOSE_FILE", "GITHUB_ENV", "STYXY_PROJECT_ROOT", "STYXY_WEB_PORT", "PORTAGE_TMPDIR", "PYTHONPROFILEIMPORTTIME",
        "PORT_PATH", "SUPPORT_FILE", "EDITOR", "TMPDIR", "WEB", "API_URL", "_", "PORT", "WEB_PORT", "PGPORT", "PATH_PORT",
    ]

    /// Service names whose default variable (`<NAME>_PORT`) lands in a refused namespace, or not.
    static let services = ["web", "path", "git", "ld", "python", "styxy", "xdg", "npm-config", "bash", "github"]

    /// Output paths that leave the project, reach into `.git`, look like links, hold a NUL or are
    /// very long, and plain ones.
    static let paths = [
        "..", "../.env", "a/../../.env", "./../x", "/etc/passwd", "//x", "/", "~/.bashrc", "~root/x", ".git/hooks/post-checkout",
        ".git", "./.git/config", "sub/../.git/HEAD", "sub/.git/config", ".GIT/config", "link/../../x", "link/x", "a/./b/.",
        "a//b", ".env/", "x\u{0}y", "\u{0}", ".env\u{0}.bak", String(repeating: "a/", count: 2500) + "x",
        String(repeating: "../", count: 100) + "x", String(repeating: "x", count: 5000), "styxy.yaml", "./styxy.yaml", ".env",
        ".styxy/out.json", "%2e%2e/x", "..\\x", " ../x", "../", "...", ".../x",
    ]

    /// A hash of the input picks a name, a path, a service, the port the name goes to and the
    /// splice (most inputs are YAML and start alike, so their first bytes would pick the same
    /// pieces every time); the input's first 64 bytes are spliced into the name, into the path, or
    /// in front of the path. The name is set once, so the manifest fails only for what the pieces hold.
    static func manifest(from input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in input {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        func pick(_ count: Int, _ shift: UInt64) -> Int { Int((hash >> shift) % UInt64(count)) }
        var name = names[pick(names.count, 0)]
        var path = paths[pick(paths.count, 12)]
        let service = services[pick(services.count, 24)]
        let onNamedPort = pick(2, 36) == 1
        let tail = String(decoding: input.prefix(64), as: UTF8.self)
        switch pick(4, 40) {
        case 1: name += tail
        case 2: path += tail
        case 3: path = tail + "/" + path
        default: break
        }
        let text = """
            services:
              \(service):
                type: dev
              other:
                type: api
                env: \(onNamedPort ? "OTHER_PORT" : quoted(name))
              multi:
                type: functions
                ports:
                  a: { env: [MULTI_A_PORT\(onNamedPort ? ", " + quoted(name) : "")] }
            outputs:
              - template: dotenv
                path: \(quoted(path))

            """
        return Array(text.utf8)
    }

    /// A YAML double-quoted scalar holding exactly `text`, control characters and NUL included.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                result += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
