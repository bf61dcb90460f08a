import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

/// DESIGN §9: no port variable a program would misuse (docs/manifest.md#variable-names). The
/// checks go through the loader, as a manifest does, so they hold whatever the rule's code becomes.
@Suite("Variable names")
struct VariableNameTests {
    /// `web` declaring `env: <name>` on line 4, column 10.
    static func declaring(_ name: String) -> LoadOutcome {
        let text = "services:\n  web:\n    type: dev\n    env: \(name)\n"
        return LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "styxy.yaml", root: "/") }
    }

    /// Names a shell, the loader, an interpreter, a package manager, git or CI reads as a path, an
    /// option string, a startup hook or a command, and the names Styxy sets and reads itself.
    static let misused = [
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "BASH_ENV", "ENV", "PROMPT_COMMAND", "IFS",
        "PS0", "PS1", "PS2", "PS3", "PS4", "SHELLOPTS", "BASHOPTS", "HOME", "CDPATH", "HISTFILE", "ZDOTDIR", "INPUTRC", "TMPDIR",
        "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "MAVEN_OPTS", "PERL5OPT", "PERL5LIB",
        "PERL5DB", "RUBYOPT", "RUBYLIB", "PYTHONSTARTUP", "PYTHONPATH", "PYTHONHOME", "CLASSPATH", "GLIBC_TUNABLES", "GCONV_PATH",
        "GIT_SSH_COMMAND", "GIT_EXEC_PATH", "GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME", "NPM_CONFIG_SCRIPT_SHELL", "NPM_CONFIG_USERCONFIG",
        "YARN_YARN_PATH", "EDITOR", "VISUAL", "GIT_EDITOR", "PAGER", "SSH_ASKPASS", "RUSTC_WRAPPER", "CC", "CXX", "MAKEFLAGS",
        "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSH_AUTH_SOCK", "OPENSSL_CONF", "VIRTUAL_ENV", "GOCACHE",
        "COMPOSE_FILE", "GITHUB_ENV", "GITHUB_PATH", "LESSOPEN", "DOTNET_STARTUP_HOOKS", "LUA_INIT", "PHPRC",
        "STYXY_PROJECT", "STYXY_PROJECT_ROOT", "STYXY_INSTANCE", "STYXY_HOME", "STYXY_CONFIG", "STYXY_LOCK_TIMEOUT",
    ]

    /// Names that contain PORT and are still read: only the denylist stops these.
    static let misusedWithPort = [
        "PORTAGE_TMPDIR", "PORTDIR", "PORT_LOGDIR", "PORTSDIR", "PYTHONPROFILEIMPORTTIME", "REPORTTIME", "PORT_PATH",
        "SUPPORT_FILE", "GIT_PORT", "XDG_PORT", "NPM_CONFIG_PORT", "COMPOSE_PORT", "GITHUB_PORT", "LD_PORT", "STYXY_WEB_PORT",
        "IMPORT_OPTIONS", "EXPORT_COMMAND",
    ]

    @Test("a variable a program would misuse is refused at its line and column", arguments: misused + misusedWithPort)
    func misusedNameIsRefused(_ name: String) throws {
        let lines = Self.declaring(name).diagnostics
        #expect(lines.count == 1, "\(name): \(lines)")
        let line = try #require(lines.first)
        #expect(line.hasPrefix("styxy.yaml:4:10: error: services.web.env: variable '\(name)' is refused: "), "\(line)")
        if case .loaded = Self.declaring(name) { Issue.record("\(name) was accepted") }
    }

    @Test func namesWithPortAreRefusedByTheDenylistNotByTheFirstRule() {
        for name in Self.misusedWithPort {
            guard case .refused = PortVariableName.check(name) else {
                Issue.record("\(name): \(PortVariableName.check(name))")
                continue
            }
        }
    }

    @Test("port variables people use are accepted", arguments: [
        "PORT", "WEB_PORT", "PGPORT", "FLASK_RUN_PORT", "VITE_PORT", "NEXT_PUBLIC_API_PORT", "ASPNETCORE_HTTP_PORTS",
        "DOTNET_HTTP_PORTS", "FIRESTORE_EMULATOR_PORT", "MQ_5672_PORT", "NODE_PORT", "DOCKER_PORT", "REDIS_PORT",
        "PATH_PORT", "HOME_PORT", "SERVICE_GIT_PORT", "APP_GIT_PORT", "PORT_HTTP",
    ])
    func portVariableIsAccepted(_ name: String) throws {
        guard case .loaded(let manifest) = Self.declaring(name) else {
            Issue.record("\(name) was refused: \(Self.declaring(name).diagnostics)")
            return
        }
        #expect(manifest.services.first?.ports.first?.env == [name])
    }

    @Test func aNameWithoutPortIsRefusedWithTheFix() {
        #expect(Self.declaring("WEB").diagnostics == [
            "styxy.yaml:4:10: error: services.web.env: variable 'WEB' is refused: port variables must contain PORT (as WEB_PORT "
                + "and PGPORT do), so that no program reads one as a path or an option (did you mean 'WEB_PORT'?)",
        ])
    }

    @Test func suggestionsAreAllowedNames() {
        #expect(PortVariableName.suggestion(for: "WEB") == "WEB_PORT")
        #expect(PortVariableName.suggestion(for: "STYXY_WEB_PORT") == "WEB_PORT")
        #expect(PortVariableName.suggestion(for: "GIT_PORT") == "APP_GIT_PORT")
        #expect(PortVariableName.suggestion(for: "PYTHON_PATH_PORT") == "PATH_PORT")
        // PATH_PORT would only look like a fix for PATH.
        #expect(PortVariableName.suggestion(for: "PATH") == nil)
        #expect(PortVariableName.suggestion(for: "WEB_PORT") == nil)
        for name in Self.misused + Self.misusedWithPort + ["A", "API_URL", "X_1"] {
            if let suggested = PortVariableName.suggestion(for: name) {
                #expect(Manifest.isValidEnvName(suggested) && PortVariableName.check(suggested).isAllowed, "\(name) → \(suggested)")
            }
        }
    }

    @Test func defaultNamesFollowTheSameRule() throws {
        let text = """
            services:
              path:
                type: dev
              git:
                type: api
              emulators:
                type: functions
                ports:
                  ld: {}
                  xdg: { env: EMULATORS_XDG_PORT }
            """
        let outcome = LoadOutcome { () throws(StyxyError) in try builtinLoader().parse(Array(text.utf8), path: "styxy.yaml", root: "/") }
        #expect(outcome.diagnostics.count == 1, "\(outcome.diagnostics)")
        #expect(outcome.diagnostics.first?.hasPrefix("styxy.yaml:4:3: error: services.git: the default variable 'GIT_PORT' is refused: ") == true)
        // The same names written out: `path` keeps PATH_PORT, and a named port's default is fine
        // unless the service's name starts a refused namespace.
        let fixed = text.replacingOccurrences(of: "  git:\n    type: api", with: "  git:\n    type: api\n    env: GITEA_PORT")
        guard case .loaded(let manifest) = LoadOutcome({ () throws(StyxyError) in
            try builtinLoader().parse(Array(fixed.utf8), path: "styxy.yaml", root: "/")
        }) else {
            Issue.record("\(fixed) did not load")
            return
        }
        #expect(try manifest.onlyPort("path").env == ["PATH_PORT"])
        #expect(try manifest.namedPort("emulators", "ld").env == ["EMULATORS_LD_PORT"])
    }

    /// docs/manifest.md#variable-names lists the denylist as a table, one rule a row; this keeps
    /// the two equal, so the documented list is the enforced one.
    @Test func theDocumentedListIsTheEnforcedOne() throws {
        let text = try String(contentsOfFile: Repository.root + "/docs/manifest.md", encoding: .utf8)
        let section = try #require(text.components(separatedBy: "\n## Variable names\n").dropFirst().first)
        let body = section.components(separatedBy: "\n## ").first ?? section
        let rows = body.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let names = cells[0].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
            return "\(names.joined(separator: " ")) | \(cells[1])"
        }
        let enforced = PortVariableName.denylist.map { rule in
            "\(rule.patterns.map(\.written).joined(separator: " ")) | \(rule.reason)"
        }
        #expect(rows == enforced, "the table in docs/manifest.md#variable-names differs from PortVariableName.denylist")
    }

    /// `check` decides the common case from literal copies of the patterns; they must be exactly
    /// the denylist's, or a name could pass the quick look that a rule refuses.
    @Test func theFlatPatternsAreTheDenylist() {
        func tokens(_ list: StaticString) -> [String] {
            list.description.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).sorted()
        }
        var exact: [String] = [], prefixes: [String] = [], suffixes: [String] = []
        for pattern in PortVariableName.denylist.flatMap(\.patterns) {
            switch pattern {
            case .exact(let text): exact.append(text)
            case .prefix(let text): prefixes.append(text)
            case .suffix(let text): suffixes.append(text)
            }
        }
        #expect(tokens(PortVariableName.exactNames) == exact.sorted())
        #expect(tokens(PortVariableName.prefixNames) == prefixes.sorted())
        #expect(tokens(PortVariableName.suffixNames) == suffixes.sorted())
        for name in exact + prefixes.map { $0 + "X_PORT" } + suffixes.map { "WEB_PORT_" + $0 } {
            #expect(PortVariableName.flatMatch(Array(name.utf8)), "\(name)")
            #expect(!PortVariableName.check(name).isAllowed, "\(name)")
        }
        #expect(!PortVariableName.flatMatch(Array("WEB_PORT".utf8)))
    }

    @Test("styxy init leaves out refused names and renames refused defaults")
    func scaffoldProposesOnlyAllowedNames() throws {
        let project = try TemporaryFolder("init")
        try project.write("package.json", #"""
            {"scripts": {
              "web": "vite --port ${HOME:-3000}",
              "git": "serve -p 3006",
              "api": "uvicorn app:main --port ${PYTHON_PORT:-8001}"
            }}
            """#)
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(try manifest.onlyPort("web").env == ["WEB_PORT"])
        #expect(try manifest.onlyPort("git").env == ["SERVICE_GIT_PORT"])
        #expect(try manifest.onlyPort("api").env == ["API_PORT"])
        #expect(proposal.text.contains("HOME is left out: a shell reads it"), "\(proposal.text)")
        #expect(proposal.text.contains("PYTHON_PORT is left out: Python reads PYTHON*"), "\(proposal.text)")
    }
}
