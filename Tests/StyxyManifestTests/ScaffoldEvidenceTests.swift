import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyTestSupport
import Testing

@Suite("styxy init: reading commands")
struct ScaffoldCommandTests {
    /// A command, the ports found in it, and the command with `{{port}}` (or `{{p<N>}}` for the
    /// N-th port when there are several) in their place.
    static let cases: [(command: String, ports: [CommandPorts.Value], templated: String)] = [
        ("vite --port 5173", [.literal(5173)], "vite --port {{port}}"),
        ("vite --port=5173 --strictPort", [.literal(5173)], "vite --port={{port}} --strictPort"),
        ("next dev -p 3000", [.literal(3000)], "next dev -p {{port}}"),
        ("PORT=4000 node server.js", [.literal(4000)], "PORT={{port}} node server.js"),
        ("cross-env VITE_PORT=3100 vite", [.literal(3100)], "cross-env VITE_PORT={{port}} vite"),
        ("gunicorn app:app -b 0.0.0.0:8000 --workers 2", [.literal(8000)], "gunicorn app:app -b 0.0.0.0:{{port}} --workers 2"),
        ("python manage.py runserver 8001", [.literal(8001)], "python manage.py runserver {{port}}"),
        ("python manage.py runserver 0.0.0.0:8002", [.literal(8002)], "python manage.py runserver 0.0.0.0:{{port}}"),
        ("rails s -p $PORT", [.variable("PORT", fallback: nil)], "rails s -p {{port}}"),
        ("puma -p ${PORT:-3000}", [.variable("PORT", fallback: 3000)], "puma -p {{port}}"),
        ("gunicorn -b 0.0.0.0:${PORT:-8000}", [.variable("PORT", fallback: 8000)], "gunicorn -b 0.0.0.0:{{port}}"),
        ("serve --port \"8080\";", [.literal(8080)], "serve --port \"{{port}}\";"),
        ("vite --port 5173 & wait-on http://localhost:5173 && open http://127.0.0.1:51730",
         [.literal(5173)], "vite --port {{port}} & wait-on http://localhost:{{port}} && open http://127.0.0.1:51730"),
        ("firebase emulators:start --ui-port 4000 --port 9099", [.literal(4000), .literal(9099)],
         "firebase emulators:start --ui-port {{p0}} --port {{p1}}"),
        // Not ports: numbers after other flags, docker mappings, out of range, lowercase variables.
        ("jest --testTimeout 3000", [], "jest --testTimeout 3000"),
        ("docker run -p 8080:80 nginx", [], "docker run -p 8080:80 nginx"),
        ("vite --port 70000", [], "vite --port 70000"),
        ("vite --port $port", [], "vite --port $port"),
        ("tsc -p tsconfig.json", [], "tsc -p tsconfig.json"),
        ("NODE_OPTIONS=--inspect=9229 node x.js", [], "NODE_OPTIONS=--inspect=9229 node x.js"),
    ]

    @Test("finds and replaces the ports a command passes", arguments: cases.indices)
    func ports(_ index: Int) {
        let (command, expected, templated) = Self.cases[index]
        let scan = CommandPorts(command)
        let found = scan.ports()
        #expect(found.map(\.value) == expected, "\(command)")
        let placeholders = found.enumerated().map { ($0.element, found.count == 1 ? "{{port}}" : "{{p\($0.offset)}}") }
        #expect(scan.templated(placeholders) == templated)
    }

    @Test func flagLabelsNameThePorts() {
        #expect(CommandPorts.label(flag: "--ui-port") == "ui")
        #expect(CommandPorts.label(flag: "--port") == "")
        #expect(CommandPorts.label(flag: "--report") == nil)
        #expect(CommandPorts.label(assignment: "PORT") == nil)
        #expect(CommandPorts.label(assignment: "VITE_PORT") == "vite")
    }

    @Test func serviceNames() {
        #expect(ScaffoldNames.serviceName("dev") == "dev")
        #expect(ScaffoldNames.serviceName("docs:dev") == "docs-dev")
        #expect(ScaffoldNames.serviceName("Web.App") == "web-app")
        #expect(ScaffoldNames.serviceName("start:web--fast") == "start-web-fast")
        #expect(ScaffoldNames.serviceName("3d") == "svc-3d")
        #expect(ScaffoldNames.serviceName("_private") == "private")
        #expect(ScaffoldNames.serviceName("🚀") == "service")
        #expect(ScaffoldNames.serviceName(String(repeating: "a", count: 80)).count == 59)
        #expect(ScaffoldNames.portName("default") == "main")
        #expect(ScaffoldNames.portName("dev-server") == "dev_server")
    }

    @Test func typeGuesses() {
        let guess = TypeGuess(catalog: .builtin())
        #expect(guess.fromCommand("npx vite --port 1") == "dev")
        #expect(guess.fromCommand("./node_modules/.bin/storybook dev") == "storybook")
        #expect(guess.fromCommand("vitepress serve docs") == "docs", "the first listed program wins")
        #expect(guess.fromCommand("node server.js") == nil)
        #expect(guess.fromImage("postgres:16-alpine") == "database")
        #expect(guess.fromImage("docker.io/bitnami/postgresql:16") == "database")
        #expect(guess.fromImage("confluentinc/cp-kafka:7.6.0") == "messaging")
        #expect(guess.fromImage("ghcr.io/ollama/ollama@sha256:abc") == "ai")
        #expect(guess.fromImage("traefik:v3") == "proxy")
        #expect(guess.fromImage("node:20") == nil)
        #expect(guess.fromName("docs:dev") == "docs")
        #expect(guess.fromName("db") == "database")
        #expect(guess.fromName("start") == nil)
        #expect(guess.fromPort(6379) == "infrastructure")
        #expect(guess.fromPort(4000) == "ui")
        #expect(guess.fromPort(1234) == nil)
    }
}

@Suite("styxy init: Compose ports")
struct ScaffoldComposeTests {
    static let cases: [(written: String, host: CommandPorts.Value?, target: Int, ip: String?, transport: String)] = [
        ("5432:5432", .literal(5432), 5432, nil, "tcp"),
        ("127.0.0.1:8080:80", .literal(8080), 80, "127.0.0.1", "tcp"),
        ("8000:8000/tcp", .literal(8000), 8000, nil, "tcp"),
        ("53:53/udp", .literal(53), 53, nil, "udp"),
        ("[::1]:6380:6379", .literal(6380), 6379, "::1", "tcp"),
        ("3000", nil, 3000, nil, "tcp"),
        ("127.0.0.1::3000", nil, 3000, "127.0.0.1", "tcp"),
        ("${API_PORT:-8000}:8000", .variable("API_PORT", fallback: 8000), 8000, nil, "tcp"),
        ("${WEB_PORT}:80", .variable("WEB_PORT", fallback: nil), 80, nil, "tcp"),
    ]

    @Test("short syntax", arguments: cases.indices)
    func short(_ index: Int) throws {
        let expected = Self.cases[index]
        let port = try ComposeEvidence.short(expected.written).get()
        #expect(port.host == expected.host)
        #expect(port.target == expected.target)
        #expect(port.hostIP == expected.ip)
        #expect(port.transport?.rawValue == expected.transport)
    }

    @Test("unreadable short syntax", arguments: ["9000-9005:9000-9005", "8080:${TARGET}", "a:b:c:d", "8080:"])
    func unreadable(_ written: String) {
        #expect(throws: ComposeEvidence.ReadFailure.self) { try ComposeEvidence.short(written).get() }
    }

    @Test("odd Compose files are tolerated, with a note", arguments: [
        ("not: [valid", "could not be read"),
        ("services:\n  - web\n", "has no `services:` mapping"),
        ("services:\n  web:\n    ports: \"8080:80\"\n", "its `ports:` is not a list"),
        ("services:\n  web: 3\n", "service \"web\" could not be read"),
        ("services:\n  web:\n    ports:\n      - [1, 2]\n      - {published: 8080}\n", "publishes no fixed host port"),
        ("a: 1\n---\nb: 2\n", "could not be read"),
    ])
    func tolerated(_ text: String, _ note: String) throws {
        let project = try TemporaryFolder("init")
        try project.write("docker-compose.yml", text)
        try project.write("package.json", #"{"scripts": {"dev": "vite --port 3000"}}"#)
        let proposal = try Scaffolded.propose(project.path)
        _ = try Scaffolded.load(proposal, in: project.path)
        #expect(proposal.notes.contains { $0.contains(note) }, "\(proposal.notes)")
        #expect(proposal.services == ["dev"])
    }

    @Test("Compose's file order: compose.yaml wins, the others are named")
    func fileOrder() throws {
        let project = try TemporaryFolder("init")
        try project.write("docker-compose.yml", "services:\n  old:\n    ports: [\"8001:80\"]\n")
        try project.write("compose.yaml", "services:\n  new:\n    ports: [\"8002:80\"]\n")
        let proposal = try Scaffolded.propose(project.path)
        #expect(proposal.services == ["new"])
        #expect(proposal.notes.contains("docker-compose.yml not read: Compose itself reads only compose.yaml"))
    }

    @Test("an override file that is not Styxy's is never proposed as an output")
    func foreignOverride() throws {
        let project = try TemporaryFolder("init")
        try project.write("compose.yaml", "services:\n  db:\n    image: postgres\n    ports: [\"5432:5432\"]\n")
        try project.write("compose.override.yml", "services:\n  db:\n    environment: { A: b }\n")
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(manifest.outputList == ["dotenv → .env"])
        #expect(proposal.text.contains("  # - template: compose-override"))
        #expect(proposal.notes.contains { $0.contains("compose.override.yml already exists") })
        // Styxy's own override (from an earlier manifest) is reused.
        try project.write("compose.override.yml", "# Generated by Styxy from \"styxy.yaml\"\nservices: {}\n")
        let again = try Scaffolded.load(try Scaffolded.propose(project.path), in: project.path)
        #expect(again.outputList == ["dotenv → .env", "compose-override → compose.override.yml"])
    }
}

@Suite("styxy init: Compose depends_on")
struct ScaffoldDependsOnTests {
    @Test func fixtureGetsAfter() throws {
        let (proposal, manifest) = try Scaffolded.fixture("compose")
        #expect(manifest.service(named: "api")?.after.map(\.name) == ["db", "cache"])
        #expect(manifest.service(named: "db")?.after.isEmpty == true)
        #expect(proposal.text.contains("    after: [db, cache]   # Compose's depends_on\n"))
    }

    /// Long syntax, merge keys, renamed services, a service that publishes no port, a circle and a
    /// self-reference: the proposal keeps what the manifest can say and comments on the rest.
    @Test func everyShapeLoads() throws {
        let project = try TemporaryFolder("init")
        try project.write("package.json", #"{"scripts": {"api": "uvicorn app:app --port 8000"}}"#)
        try project.write("compose.yaml", """
            x-base: &base
              depends_on: [db]
            services:
              db:
                image: postgres
                ports: ["5432:5432"]
                depends_on: [db]
              api:
                <<: *base
                image: example/api
                ports: ["8001:8000"]
              web:
                image: example/web
                ports: ["3000:3000"]
                depends_on:
                  api: { condition: service_healthy }
                  worker: { condition: service_started }
                  db: { condition: service_healthy }
              left:
                image: example/left
                ports: ["9001:9001"]
                depends_on: [right]
              right:
                image: example/right
                ports: ["9002:9002"]
                depends_on: [left]
              worker:
                image: example/worker
            """)
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(manifest.service(named: "api")?.command != nil, "package.json's api keeps its name")
        #expect(manifest.service(named: "api-2")?.after.map(\.name) == ["db"], "merged from x-base")
        #expect(manifest.service(named: "web")?.after.map(\.name) == ["api-2", "db"], "Compose's api is api-2 here")
        #expect(manifest.service(named: "db")?.after.isEmpty == true, "a self-reference is dropped")
        #expect(manifest.service(named: "left")?.after.map(\.name) == ["right"])
        #expect(manifest.service(named: "right")?.after.isEmpty == true, "the edge closing the circle is dropped")
        #expect(proposal.notes.contains("service right: after: leaves out left, which already waits for this service"))
        #expect(proposal.notes.contains("service web: after: leaves out \"worker\" (Compose depends_on), which is not a service here"))
        #expect(proposal.text.contains("  # after: leaves out left, which already waits for this service\n  right:"))
    }

    @Test func noDependsOnNoAfter() throws {
        let proposal = try Scaffolded.propose("\(Scaffolded.folder)/mixed")
        #expect(!proposal.text.contains("after:"))
    }
}

@Suite("styxy init: awkward input")
struct ScaffoldRobustnessTests {
    @Test("commands keep every character through YAML quoting")
    func quoting() throws {
        let commands: [String: String] = [
            "colon": #"node a.js --port 3201 --title "a: b # c" --x '{y}'"#,
            "backslash": "node b.js --port 3202 C:\\dir\\ \\\"q\\\"",
            "controls": "node c.js --port 3203 \t\u{7}\u{1b}[0m\u{85}\u{2028}\u{2029}\u{feff}é日本",
            "yaml-ish": "- [node] --port 3204 &anchor *alias !tag %d @x `y` | > ? ,",
        ]
        let project = try TemporaryFolder("init")
        let scripts = commands.sorted { $0.key < $1.key }.map { (JSONValue.quoted($0.key), JSONValue.quoted($0.value)) }
        try project.write("package.json", "{\"scripts\": {" + scripts.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}}")
        let manifest = try Scaffolded.load(try Scaffolded.propose(project.path), in: project.path)
        for (name, command) in commands {
            let port = try #require(manifest.service(named: name)?.ports.first?.preferred)
            #expect(manifest.service(named: name)?.command == command.replacingOccurrences(of: String(port), with: "{{port}}"))
        }
    }

    @Test("odd script names, reserved words and clashing variables")
    func names() throws {
        let project = try TemporaryFolder("init")
        try project.write("package.json", #"""
            {"name": "x\ny", "scripts": {
              "Dev Server:é": "vite --port 3000",
              "on": "serve -p 3001",
              "a-b": "serve -p 3002", "a_b": "serve -p 3003",
              "styxy": "serve -p 3004",
              "root": "serve -p 80",
              "braces": "echo {{x}} && serve -p 3005",
              "dup": "vite preview --port 3000"
            }}
            """#)
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(manifest.project == FileIO.basename(project.path), "a name with a line break is not taken")
        #expect(proposal.services == ["dev-server", "on", "a-b", "a_b", "styxy", "root", "braces", "dup"])
        #expect(proposal.text.contains("  \"on\":"))
        #expect(try manifest.onlyPort("a-b").env == ["A_B_PORT"])
        #expect(try manifest.onlyPort("a_b").env == ["A_B_2_PORT"])
        #expect(try manifest.onlyPort("styxy").env == ["SERVICE_STYXY_PORT"])
        #expect(try manifest.onlyPort("root").preferred == nil)
        #expect(manifest.service(named: "braces")?.command == nil)
        #expect(try manifest.onlyPort("braces").preferred == 3005)
        #expect(try manifest.onlyPort("dup").preferred == nil)
    }

    @Test("a port the configuration reserves is not preferred")
    func reservedPorts() throws {
        let catalog = try Catalog.load(environment: ["STYXY_CONFIG": Repository.configFixtures + "/reserves.yaml"])
        let project = try TemporaryFolder("init")
        try project.write("package.json", #"{"scripts": {"dev": "next dev -p 3000", "api": "uvicorn m:app --port 8005"}}"#)
        let proposal = try Scaffolded.propose(project.path, catalog: catalog)
        let manifest = try Scaffolded.load(proposal, in: project.path, catalog: catalog)
        #expect(try manifest.onlyPort("dev").preferred == nil)
        #expect(try manifest.onlyPort("api").preferred == nil)
        #expect(proposal.notes.contains("service dev: port 3000 is reserved in the configuration, so no preferred port"))
    }

    @Test("unreadable project files are notes, not failures")
    func unreadableFiles() throws {
        let project = try TemporaryFolder("init")
        try project.write("package.json", "{\"scripts\": ")
        try FileManager.default.createDirectory(atPath: project.path + "/Procfile", withIntermediateDirectories: false)
        try project.write("compose.yml", [0xff, 0xfe, 0x00, 0x73])
        let proposal = try Scaffolded.propose(project.path)
        _ = try Scaffolded.load(proposal, in: project.path)
        #expect(proposal.services.isEmpty)
        #expect(proposal.notes.contains { $0.hasPrefix("package.json is not valid JSON") })
        #expect(proposal.notes.contains { $0.hasPrefix("Procfile not read: ") })
        #expect(proposal.notes.contains { $0.hasPrefix("compose.yml could not be read") })
    }

    @Test func procfileLines() throws {
        let project = try TemporaryFolder("init")
        try project.write("Procfile", "# comment\r\nweb: bin/start\r\n\r\nnot a process\r\nclock: bin/clock --port=7100\r\n")
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(proposal.services == ["web", "clock"])
        #expect(try manifest.onlyPort("web").env == ["WEB_PORT", "PORT"], "Heroku gives web its port in $PORT")
        #expect(manifest.service(named: "web")?.command == nil)
        #expect(manifest.service(named: "clock")?.command == "bin/clock --port={{port}}")
        #expect(proposal.notes.contains("Procfile line 4 is not `name: command`"))
    }
}
