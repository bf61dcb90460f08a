import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

/// Proposals for a package.json holding `scripts` (in this order), loaded back.
enum ScriptProject {
    static func propose(_ scripts: KeyValuePairs<String, String>, files: [String: String] = [:]) throws -> (ManifestScaffold.Proposal, Manifest) {
        let project = try TemporaryFolder("init")
        let entries = try scripts.map { name, command in
            "\(try json(name)): \(try json(command))"
        }
        try project.write("package.json", "{\"name\": \"app\", \"scripts\": {\(entries.joined(separator: ", "))}}")
        for (name, text) in files { try project.write(name, text) }
        let proposal = try Scaffolded.propose(project.path)
        return (proposal, try Scaffolded.load(proposal, in: project.path))
    }

    private static func json(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }
}

@Suite("styxy init: the dev-server table")
struct DevServerTableTests {
    @Test func embeddedCopyMatchesConfig() throws {
        let source = try Repository.bytes(Repository.root + "/config/dev-servers.yaml")
        #expect(Array(builtinDevServersSource.utf8) == source,
                "Sources/StyxyManifest/BuiltinDevServers.generated.swift is stale: run `python3 scripts/generate-embedded.py`")
    }

    @Test("the built-in table reads without a problem, and names only catalog types")
    func builtinIsValid() throws {
        let table = try DevServerTable.parse(Array(builtinDevServersSource.utf8), file: "dev-servers.yaml")
        #expect(table.servers.count == DevServerTable.builtin.servers.count)
        #expect(table.servers.count >= 30)
        let catalog = Catalog.builtin()
        for server in table.servers {
            #expect(server.type.map { catalog.types[$0] != nil } ?? (server.portName != nil), "\(server.name): type \(server.type ?? "none")")
            #expect(!server.commands.isEmpty && server.commands.allSatisfy { !$0.isEmpty }, "\(server.name)")
        }
        let names = Set(table.servers.map(\.name))
        for required in ["vite", "vite-preview", "next", "nuxt", "astro", "remix", "react-router", "angular", "storybook",
                         "webpack-dev-server", "react-scripts", "gatsby", "docusaurus", "expo", "nest", "rails", "django",
                         "flask", "uvicorn", "gunicorn", "fastapi", "mkdocs", "jupyter", "hugo", "jekyll", "node-inspect", "nest-debug"] {
            #expect(names.contains(required), "no \(required)")
        }
        #expect(table.servers.first { $0.name == "vite-preview" }?.port == 4173)
        #expect(table.servers.first { $0.name == "node-inspect" }?.flag == .joined("--inspect"))
        #expect(table.servers.first { $0.name == "mkdocs" }?.flag == .address("-a", host: "127.0.0.1"))
    }

    @Test("port flag spellings", arguments: [
        ("--port N", PortFlag.separate("--port")), ("-p N", .separate("-p")), ("--port=N", .joined("--port")),
        ("N", .positional), ("--bind 127.0.0.1:N", .address("--bind", host: "127.0.0.1")), ("PORT=N", .variable("PORT")),
    ])
    func flags(_ spelling: String, _ flag: PortFlag) {
        #expect(PortFlag(spelling: spelling) == flag)
        #expect(flag.spelling.hasPrefix(spelling))
    }

    @Test("a mistake in a table is reported where it is", arguments: [
        ("servers:\n  x:\n    commands: [x]\n    port: 1\n    flag: --port\n", "5:11", "cannot read the port flag '--port'"),
        ("servers:\n  x:\n    commands: [x]\n    port: 1\n    flag: N\n    colour: red\n", "6:5", "unknown key 'colour'"),
        ("servers:\n  x:\n    commands: [x]\n    flag: N\n", "3:5", "a server needs `port`"),
        ("wrapers: [npx]\n", "1:1", "unknown key 'wrapers'"),
        ("wrappers: [npx, \"--\"]\n", "1:17", "an empty wrapper"),
        ("script_runners: [\" \"]\n", "1:18", "an empty script runner"),
    ])
    func invalidTables(_ text: String, _ place: String, _ message: String) {
        #expect(throws: StyxyError.self) { try DevServerTable.parse(Array(text.utf8), file: "t.yaml") }
        do {
            _ = try DevServerTable.parse(Array(text.utf8), file: "t.yaml")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
            #expect(error.description.contains("t.yaml:\(place):"), "\(error.description)")
        }
    }
}

@Suite("styxy init: scripts that start a known server")
struct DevServerScriptTests {
    /// A script, then the service it becomes: its command, preferred port and type.
    static let servers: [(script: String, command: String, port: Int, type: String)] = [
        ("vite", "vite --port {{port}} --strictPort", 5173, "dev"),
        ("vite dev --open", "vite dev --port {{port}} --strictPort --open", 5173, "dev"),
        ("vite preview", "vite preview --port {{port}} --strictPort", 4173, "dev"),
        ("npx vite", "npx vite --port {{port}} --strictPort", 5173, "dev"),
        ("npm exec -- vite", "npm exec -- vite --port {{port}} --strictPort", 5173, "dev"),
        ("yarn vite", "yarn vite --port {{port}} --strictPort", 5173, "dev"),
        ("dotenv -e .env.local -- vite", "dotenv -e .env.local -- vite --port {{port}} --strictPort", 5173, "dev"),
        ("pnpm exec next dev", "pnpm exec next dev -p {{port}}", 3000, "dev"),
        ("cross-env NODE_ENV=development next dev", "cross-env NODE_ENV=development next dev -p {{port}}", 3000, "dev"),
        ("next start", "next start -p {{port}}", 3000, "dev"),
        ("nuxi dev", "nuxi dev --port {{port}}", 3000, "dev"),
        ("astro dev", "astro dev --port {{port}}", 4321, "dev"),
        ("remix vite:dev", "remix vite:dev --port {{port}} --strictPort", 5173, "dev"),
        ("remix dev", "PORT={{port}} remix dev", 3000, "dev"),
        ("react-router dev", "react-router dev --port {{port}} --strictPort", 5173, "dev"),
        ("ng serve", "ng serve --port {{port}}", 4200, "dev"),
        ("storybook dev", "storybook dev -p {{port}} --exact-port", 6006, "storybook"),
        ("start-storybook -s public", "start-storybook -p {{port}} -s public", 6006, "storybook"),
        ("webpack serve --mode development", "webpack serve --port {{port}} --mode development", 8080, "dev"),
        ("webpack-dev-server", "webpack-dev-server --port {{port}}", 8080, "dev"),
        ("react-scripts start", "PORT={{port}} react-scripts start", 3000, "dev"),
        ("gatsby develop", "gatsby develop -p {{port}}", 8000, "dev"),
        ("docusaurus start", "docusaurus start --port {{port}}", 3000, "docs"),
        ("expo start", "expo start --port {{port}}", 8081, "dev"),
        ("nest start --watch", "PORT={{port}} nest start --watch", 3000, "api"),
        ("bin/rails s", "bin/rails s -p {{port}}", 3000, "dev"),
        ("bundle exec rails server", "bundle exec rails server -p {{port}}", 3000, "dev"),
        ("python manage.py runserver", "python manage.py runserver {{port}}", 8000, "dev"),
        ("flask --app hello run --debug", "flask --app hello run --port {{port}} --debug", 5000, "api"),
        ("python -m flask run", "python -m flask run --port {{port}}", 5000, "api"),
        ("uvicorn app.main:app --reload", "uvicorn --port {{port}} app.main:app --reload", 8000, "api"),
        ("poetry run gunicorn app:app", "poetry run gunicorn --bind 127.0.0.1:{{port}} app:app", 8000, "api"),
        ("fastapi dev app/main.py", "fastapi dev --port {{port}} app/main.py", 8000, "api"),
        ("mkdocs serve", "mkdocs serve -a 127.0.0.1:{{port}}", 8000, "docs"),
        ("jupyter lab --no-browser", "jupyter lab --port={{port}} --port-retries=0 --no-browser", 8888, "dev"),
        ("hugo server -D", "hugo server --port {{port}} -D", 1313, "docs"),
        ("bundle exec jekyll serve", "bundle exec jekyll serve --port {{port}}", 4000, "docs"),
        // Ports already passed are kept; the strict flag is added where the tool has one.
        ("vite --port 5174", "vite --port {{port}} --strictPort", 5174, "dev"),
        ("storybook dev -p 6007 --exact-port", "storybook dev -p {{port}} --exact-port", 6007, "storybook"),
        ("mkdocs serve --dev-addr=0.0.0.0:8001", "mkdocs serve --dev-addr=0.0.0.0:{{port}}", 8001, "docs"),
        ("jekyll serve -P 4001", "jekyll serve -P {{port}}", 4001, "docs"),
        ("PORT=3005 react-scripts start", "PORT={{port}} react-scripts start", 3005, "dev"),
    ]

    @Test("a server started without a port gets its default port and a command that passes the leased one", arguments: servers.indices)
    func knownServer(_ index: Int) throws {
        let (script, command, port, type) = Self.servers[index]
        let (proposal, manifest) = try ScriptProject.propose(["web": script])
        let web = try #require(manifest.service(named: "web"), "\(script):\n\(proposal.text)")
        #expect(web.command == command, "\(script)")
        #expect(try manifest.onlyPort("web").preferred == port, "\(script)")
        #expect(web.type == type, "\(script)")
        #expect(proposal.text.contains("(dev-server table)") || !command.contains("--strictPort") || script.contains("--strictPort"))
    }

    @Test("scripts that run no server, or only call another script, are not services", arguments: [
        "vite build", "next lint", "ng build --watch", "storybook build", "npm run dev", "pnpm dev", "yarn start",
        "node server.js", "tsc -w", "NODE_OPTIONS=--inspect=9229 node x.js", "mkdocs build",
    ])
    func notServers(_ script: String) throws {
        let (proposal, manifest) = try ScriptProject.propose(["dev": "vite", "start": "vite preview", "x": script])
        #expect(manifest.service(named: "x") == nil, "\(script):\n\(proposal.text)")
        #expect(manifest.services.count == 2)
    }

    @Test("concurrently: each quoted command is read; a script that only calls others is no second service")
    func concurrently() throws {
        let (proposal, manifest) = try ScriptProject.propose(["both": #"concurrently -k "vite" "tsc -w""#, "all": "run-p web api", "up": "npm run both"])
        #expect(proposal.services == ["both"])
        #expect(manifest.service(named: "both")?.command == #"concurrently -k "vite --port {{port}} --strictPort" "tsc -w""#)
    }

    @Test("two main ports in one script keep apart, a server's and a variable's")
    func twoMainPorts() throws {
        let (_, manifest) = try ScriptProject.propose(["dev": "vite & PORT=4000 node api.js"])
        #expect(manifest.service(named: "dev")?.command == "vite --port {{ports.main_2}} --strictPort & PORT={{ports.main}} node api.js")
        #expect(try manifest.namedPort("dev", "main").preferred == 4000)
        #expect(try manifest.namedPort("dev", "main_2").preferred == 5173)
    }

    /// Scripts stitched from the words the readers care about, quotes and operators included:
    /// whatever they say, the proposal must load (a seeded generator, so a failure repeats).
    @Test("odd scripts never make a proposal that does not load")
    func stitchedScripts() throws {
        let pieces = ["vite", "next", "dev", "preview", "build", "--port", "-p", "3000", "--port=4000", "$PORT", "${PORT:-5173}",
                      "PORT=3001", "--inspect", "--inspect=9230", "--inspect-brk=0.0.0.0:9231", "node", "nodemon", "npx", "cross-env",
                      "dotenv", "--", "concurrently", "\"vite --port 3002\"", "'tsc -w'", "&&", "&", "|", ";", "runserver", "manage.py",
                      "python", "-a", "127.0.0.1:8001", "--bind", ":8002", "uvicorn", "app:app", "\"", "'", "{{x}}", "localhost:3000",
                      "react-scripts", "start", "mkdocs", "serve", "jupyter", "lab", "--port-retries=0", "npm", "run", "x0"]
        var seed: UInt64 = 0x5eed
        func next(_ bound: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(bound))
        }
        for round in 0..<40 {
            var scripts: [(String, String)] = []
            for index in 0..<6 {
                scripts.append(("x\(index)", (0..<(1 + next(9))).map { _ in pieces[next(pieces.count)] }.joined(separator: " ")))
            }
            let project = try TemporaryFolder("init")
            let body = try scripts.map { "\(try json($0.0)): \(try json($0.1))" }.joined(separator: ", ")
            try project.write("package.json", "{\"scripts\": {\(body)}}")
            let proposal = try Scaffolded.propose(project.path)
            _ = try Scaffolded.load(proposal, in: project.path)
            #expect(!proposal.text.isEmpty, "round \(round)")
        }
        func json(_ text: String) throws -> String { String(decoding: try JSONEncoder().encode(text), as: UTF8.self) }
    }

    @Test("nest start --debug: the app's port and the inspector's, one service")
    func nestDebug() throws {
        let (proposal, manifest) = try ScriptProject.propose([
            "start": "nest start", "start:dev": "nest start --watch", "start:debug": "nest start --debug --watch", "start:prod": "node dist/main",
        ])
        #expect(proposal.services == ["start"])
        #expect(manifest.service(named: "start")?.command == "PORT={{ports.main}} nest start")
        #expect(try manifest.namedPort("start", "main").preferred == 3000)
        #expect(try manifest.namedPort("start", "main").env == ["START_MAIN_PORT", "PORT"])
        #expect(try manifest.namedPort("start", "inspect").preferred == 9229)
        #expect(manifest.service(named: "start")?.type == "api")
        #expect(proposal.notes.contains { $0.contains("`PORT={{ports.main}} nest start --debug={{ports.inspect}} --watch`") })
    }

    @Test("node --inspect: the debugger's port is the named port inspect")
    func inspect() throws {
        let (_, manifest) = try ScriptProject.propose([
            "debug": "node --inspect server.js",
            "brk": "node --inspect-brk=127.0.0.1:9231 x.js",
            "api": "PORT=4000 node --inspect=9230 api.js",
        ])
        #expect(manifest.service(named: "debug")?.command == "node --inspect={{ports.inspect}} server.js")
        #expect(try manifest.namedPort("debug", "inspect").preferred == 9229)
        #expect(try manifest.namedPort("debug", "inspect").env == ["DEBUG_INSPECT_PORT"])
        #expect(manifest.service(named: "brk")?.command == "node --inspect-brk=127.0.0.1:{{ports.inspect}} x.js")
        #expect(try manifest.namedPort("brk", "inspect").preferred == 9231)
        #expect(manifest.service(named: "api")?.command == "PORT={{ports.main}} node --inspect={{ports.inspect}} api.js")
        #expect(try manifest.namedPort("api", "main").preferred == 4000)
        #expect(try manifest.namedPort("api", "inspect").preferred == 9230)
        #expect(manifest.service(named: "api")?.type == "api", "the debugger's port (9229, in the test range) decides nothing")
    }
}
