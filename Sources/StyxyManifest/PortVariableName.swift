/// Which names a port variable may have (DESIGN §9; docs/manifest.md#variable-names).
///
/// A leased port is also a valid relative path, and projects run `eval "$(styxy env --format shell)"`,
/// source the `.env` Styxy writes, or append `styxy env --format github` to `$GITHUB_ENV`. A variable
/// that a shell, the dynamic loader, an interpreter, a package manager or git reads as a path, an
/// option string, a startup hook or a command would then run or load whatever file a hostile
/// repository committed under that number (`PATH=3000`, `NODE_OPTIONS=3000`, `BASH_ENV=3000`).
///
/// So a port variable must contain `PORT`, which no such variable does for its own sake, and names
/// that a program reads anyway are refused even when they contain it: the denylist is the second
/// line, for names like `PORTAGE_TMPDIR`, `PYTHONPROFILEIMPORTTIME` or `GIT_PORT` (git reads every
/// `GIT_*` name it likes, today's and tomorrow's), and it explains the refusal of the obvious ones.
public enum PortVariableName {
    public enum Pattern: Sendable, Hashable {
        case exact(String)
        case prefix(String)
        case suffix(String)

        /// Compared as bytes: names are ASCII, and String's Unicode-aware `hasPrefix` cost a warm
        /// resolve about 0.7M instructions over the denylist.
        func matches(_ name: String) -> Bool {
            switch self {
            case .exact(let text): name.utf8.elementsEqual(text.utf8)
            case .prefix(let text): name.utf8.starts(with: text.utf8)
            case .suffix(let text):
                name.utf8.count >= text.utf8.count && name.utf8.suffix(text.utf8.count).elementsEqual(text.utf8)
            }
        }

        /// As the documentation lists it: `PATH`, `LD_*`, `*PATH`.
        public var written: String {
            switch self {
            case .exact(let text): text
            case .prefix(let text): text + "*"
            case .suffix(let text): "*" + text
            }
        }
    }

    /// Names refused for one reason, which completes "variable 'X' is refused: …".
    public struct Rule: Sendable {
        public let patterns: [Pattern]
        public let reason: String

        init(_ reason: String, _ patterns: [Pattern]) {
            self.reason = reason
            self.patterns = patterns
        }

        init(_ reason: String, exact names: [String]) {
            self.init(reason, names.map(Pattern.exact))
        }
    }

    public enum Verdict: Sendable {
        case allowed
        /// A name some program reads: never a port variable, whatever it contains.
        case refused(Rule, Pattern)
        /// Not a name a program would misuse that we know of, but not a port's name either.
        case lacksPort
    }

    public static func check(_ name: String) -> Verdict {
        // The common case, a name that passes, is decided on bytes; the rules are walked only to
        // say why a name is refused.
        let bytes = Array(name.utf8)
        if containsPort(bytes) && !flatMatch(bytes) { return .allowed }
        for rule in denylist {
            if let pattern = rule.patterns.first(where: { $0.matches(name) }) { return .refused(rule, pattern) }
        }
        return containsPort(name) ? .allowed : .lacksPort
    }

    static func containsPort(_ name: String) -> Bool { containsPort(Array(name.utf8)) }

    static func containsPort(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        // "PORT" as bytes
        return (0...bytes.count - 4).contains { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4f && bytes[$0 + 2] == 0x52 && bytes[$0 + 3] == 0x54 }
    }

    /// The denylist's patterns as space-separated literals, by kind: what `check` tries first, so
    /// the common case builds nothing (constructing `denylist` costs a warm resolve about 0.8M
    /// instructions). `VariableNameTests/theFlatPatternsAreTheDenylist` holds them equal.
    static let exactNames: StaticString = """
        PATH CDPATH HOME ENV BASH_ENV PROMPT_COMMAND IFS PS0 PS1 PS2 PS3 PS4 PROMPT RPROMPT RPS1
        RPS2 SHELLOPTS BASHOPTS POSIXLY_CORRECT PWD OLDPWD HISTFILE INPUTRC ZDOTDIR FPATH MAIL
        MAILPATH FCEDIT GLOBIGNORE EXECIGNORE TMOUT OPTIND REPORTTIME REPORTMEMORY GLIBC_TUNABLES
        LOCPATH NLSPATH HOSTALIASES RES_OPTIONS LOCALDOMAIN TZ TZDIR TMPDIR TMP TEMP TERMINFO
        TERMCAP MAGIC CC CXX CPP LD AR AS NM RANLIB STRIP OBJCOPY OBJDUMP MAKE PKG_CONFIG VISUAL
        LESSOPEN LESSCLOSE GOTOOLCHAIN NODE_ICU_DATA NODE_REDIRECT_WARNINGS NODE_V8_COVERAGE
        DOTNET_ADDITIONAL_DEPS GHC_ENVIRONMENT JULIA_PROJECT GOBIN DOCKER_HOST DOCKER_CONTEXT
        KRB5CCNAME LESS LESSKEY
        """
    static let prefixNames: StaticString = """
        STYXY_ BASH_ LD_ DYLD_ GIT_ XDG_ NPM_CONFIG_ YARN_ PYTHON PERL RUBY GEM_ BUNDLE_ PIP_ UV_
        CARGO_ RUSTUP_ RUSTC LUA_ CORECLR_ OPENSSL_ KRB5 COMPOSE_ GITHUB_ RUNNER_ ACTIONS_ PORTAGE_
        PORTDIR
        """
    static let suffixNames: StaticString = """
        PATH OPTIONS OPT OPTS FLAGS STARTUP HOME DIR DIRS ROOT PREFIX RC FILE CONFIG ENV LIB LIBS
        CACHE MODULE MODULES PLUGINS HOOK HOOKS INIT PRELOAD CERT CERTS BUNDLE CAINFO SOCK SOCKET
        SHELL EDITOR PAGER BROWSER ASKPASS WRAPPER COMMAND CMD
        """

    enum Kind { case exact, prefix, suffix }

    /// Whether `name` matches any space-separated pattern of `list`, compared on bytes.
    static func listed(_ name: [UInt8], in list: StaticString, as kind: Kind) -> Bool {
        let text = UnsafeBufferPointer(start: list.utf8Start, count: list.utf8CodeUnitCount)
        var start = 0
        while start < text.count {
            var end = start
            while end < text.count && text[end] != 0x20 && text[end] != 0x0a { end += 1 }
            let length = end - start
            if length > 0 && length <= name.count {
                let offset = kind == .suffix ? name.count - length : 0
                var same = kind != .exact || length == name.count
                var index = 0
                while same && index < length {
                    same = name[offset + index] == text[start + index]
                    index += 1
                }
                if same { return true }
            }
            start = end + 1
        }
        return false
    }

    static func flatMatch(_ name: [UInt8]) -> Bool {
        listed(name, in: exactNames, as: .exact) || listed(name, in: prefixNames, as: .prefix)
            || listed(name, in: suffixNames, as: .suffix)
    }

    /// The allowed name that `name` most likely meant, for a "did you mean": `WEB` → `WEB_PORT`,
    /// `STYXY_WEB_PORT` → `WEB_PORT`, `GIT_PORT` → `APP_GIT_PORT`. Nil where nothing fits
    /// (`PATH` was never a port's name, and `PATH_PORT` would only look like a fix).
    public static func suggestion(for name: String) -> String? {
        let candidates: [String]
        switch check(name) {
        case .allowed: return nil
        case .lacksPort: candidates = [name + "_PORT"]
        case .refused(_, let pattern):
            guard name.hasSuffix("PORT") else { return nil }
            var stripped = ""
            if case .prefix(let prefix) = pattern {
                stripped = String(name.dropFirst(prefix.count).drop { $0 == "_" })
            }
            candidates = (stripped == "PORT" ? [] : [stripped]) + ["APP_" + name]
        }
        return candidates.first { Manifest.isValidEnvName($0) && check($0).isAllowed }
    }

    /// Grouped by who reads the names; docs/manifest.md lists exactly these (a test compares them).
    public static let denylist: [Rule] = [
        Rule("Styxy sets STYXY_PROJECT, STYXY_PROJECT_ROOT and STYXY_INSTANCE itself and reads STYXY_HOME, STYXY_CONFIG and STYXY_LOCK_TIMEOUT",
             [.prefix("STYXY_")]),
        Rule("a shell reads it as a search path, a startup file, a prompt, a setting or its own state", exact: [
            "PATH", "CDPATH", "HOME", "ENV", "BASH_ENV", "PROMPT_COMMAND", "IFS", "PS0", "PS1", "PS2", "PS3", "PS4",
            "PROMPT", "RPROMPT", "RPS1", "RPS2", "SHELLOPTS", "BASHOPTS", "POSIXLY_CORRECT", "PWD", "OLDPWD",
            "HISTFILE", "INPUTRC", "ZDOTDIR", "FPATH", "MAIL", "MAILPATH", "FCEDIT", "GLOBIGNORE", "EXECIGNORE",
            "TMOUT", "OPTIND", "REPORTTIME", "REPORTMEMORY",
        ]),
        Rule("bash reads BASH_* variables as startup files, paths and settings", [.prefix("BASH_")]),
        Rule("the dynamic loader reads LD_* variables as libraries to load and paths to search", [.prefix("LD_")]),
        Rule("the macOS dynamic loader reads DYLD_* variables as libraries to load and paths to search", [.prefix("DYLD_")]),
        Rule("the C library reads it as a path, a file or options", exact: [
            "GLIBC_TUNABLES", "LOCPATH", "NLSPATH", "HOSTALIASES", "RES_OPTIONS", "LOCALDOMAIN", "TZ", "TZDIR",
            "TMPDIR", "TMP", "TEMP", "TERMINFO", "TERMCAP", "MAGIC",
        ]),
        Rule("programs read such names as a search path, options, a startup file, a folder or a file to load", [
            .suffix("PATH"), .suffix("OPTIONS"), .suffix("OPT"), .suffix("OPTS"), .suffix("FLAGS"), .suffix("STARTUP"),
            .suffix("HOME"), .suffix("DIR"), .suffix("DIRS"), .suffix("ROOT"), .suffix("PREFIX"), .suffix("RC"),
            .suffix("FILE"), .suffix("CONFIG"), .suffix("ENV"), .suffix("LIB"), .suffix("LIBS"), .suffix("CACHE"),
            .suffix("MODULE"), .suffix("MODULES"), .suffix("PLUGINS"), .suffix("HOOK"), .suffix("HOOKS"), .suffix("INIT"),
            .suffix("PRELOAD"), .suffix("CERT"), .suffix("CERTS"), .suffix("BUNDLE"), .suffix("CAINFO"),
            .suffix("SOCK"), .suffix("SOCKET"),
        ]),
        Rule("programs run such names as a command", [
            .suffix("SHELL"), .suffix("EDITOR"), .suffix("PAGER"), .suffix("BROWSER"), .suffix("ASKPASS"),
            .suffix("WRAPPER"), .suffix("COMMAND"), .suffix("CMD"),
        ]),
        Rule("build tools, npm's node-gyp among them, run it as a command", exact: [
            "CC", "CXX", "CPP", "LD", "AR", "AS", "NM", "RANLIB", "STRIP", "OBJCOPY", "OBJDUMP", "MAKE", "PKG_CONFIG",
            "VISUAL", "LESSOPEN", "LESSCLOSE", "GOTOOLCHAIN",
        ]),
        Rule("an interpreter or a tool reads it as a path, options or code", exact: [
            "NODE_ICU_DATA", "NODE_REDIRECT_WARNINGS", "NODE_V8_COVERAGE", "DOTNET_ADDITIONAL_DEPS", "GHC_ENVIRONMENT",
            "JULIA_PROJECT", "GOBIN", "DOCKER_HOST", "DOCKER_CONTEXT", "KRB5CCNAME", "LESS", "LESSKEY",
        ]),
        Rule("git reads GIT_* variables as paths, commands and options", [.prefix("GIT_")]),
        Rule("programs read XDG_* variables as the folders of their configuration and data", [.prefix("XDG_")]),
        Rule("npm, pnpm and yarn read NPM_CONFIG_* variables as configuration, including the shell that runs scripts",
             [.prefix("NPM_CONFIG_")]),
        Rule("yarn reads YARN_* variables as configuration, including the yarn it runs", [.prefix("YARN_")]),
        Rule("Python reads PYTHON* variables as paths, startup files and options", [.prefix("PYTHON")]),
        Rule("Perl reads PERL* variables as library paths, options and debugger code", [.prefix("PERL")]),
        Rule("Ruby reads RUBY* variables as library paths and options", [.prefix("RUBY")]),
        Rule("RubyGems and Bundler read them as paths and configuration", [.prefix("GEM_"), .prefix("BUNDLE_")]),
        Rule("pip and uv read them as configuration, files and the interpreter to run", [.prefix("PIP_"), .prefix("UV_")]),
        Rule("Cargo and rustup read them as configuration and commands to run", [.prefix("CARGO_"), .prefix("RUSTUP_"), .prefix("RUSTC")]),
        Rule("Lua reads LUA_* variables as paths and code to run at start", [.prefix("LUA_")]),
        Rule(".NET reads CORECLR_* variables as a profiler library to load", [.prefix("CORECLR_")]),
        Rule("OpenSSL reads OPENSSL_* variables as a configuration file and modules to load", [.prefix("OPENSSL_")]),
        Rule("Kerberos reads KRB5* variables as configuration and credential files", [.prefix("KRB5")]),
        Rule("Docker Compose reads COMPOSE_* variables, also from the .env Styxy writes, as the files to load",
             [.prefix("COMPOSE_")]),
        Rule("GitHub Actions reads them as the files a step's variables, outputs and paths go to", [
            .prefix("GITHUB_"), .prefix("RUNNER_"), .prefix("ACTIONS_"),
        ]),
        Rule("Gentoo's and the BSDs' package managers read it as a path", [.prefix("PORTAGE_"), .prefix("PORTDIR")]),
    ]
}

extension PortVariableName.Verdict {
    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }

    /// Why the name is refused, to follow "variable 'X' is refused: "; nil when it is allowed.
    public var reason: String? {
        switch self {
        case .allowed: nil
        case .refused(let rule, .suffix(let suffix)): "it ends in \(suffix), and \(rule.reason)"
        case .refused(let rule, _): rule.reason
        case .lacksPort: "port variables must contain PORT (as WEB_PORT and PGPORT do), so that no program reads one as a path or an option"
        }
    }
}
