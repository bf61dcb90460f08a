import Foundation
import StyxyCore
@testable import StyxyManifest
import StyxyRender
import StyxyTestSupport
import Testing

@Suite("styxy init: one service per server")
struct ScaffoldSameServerTests {
    @Test("api and api:debug start one server: one service, the debugger a named port")
    func debugTwin() throws {
        let (proposal, manifest) = try ScriptProject.propose([
            "api": "nodemon src/server.js", "api:debug": "nodemon --inspect src/server.js", "start": "node src/server.js",
        ])
        #expect(proposal.services == ["api"])
        let api = try #require(manifest.service(named: "api"))
        #expect(api.command == "nodemon src/server.js", "the plain script gives the command")
        #expect(try manifest.namedPort("api", "inspect").preferred == 9229)
        #expect(proposal.notes.contains { $0.contains(#"package.json script "api:debug" starts the same server: `nodemon --inspect={{ports.inspect}} src/server.js`"#) })
    }

    @Test("the debug script listed first still gives way to the plain one")
    func debugFirst() throws {
        let (proposal, manifest) = try ScriptProject.propose(["dev:debug": "PORT=4000 tsx watch --inspect src/api.ts", "dev": "PORT=4000 tsx watch src/api.ts"])
        #expect(proposal.services == ["dev"])
        #expect(manifest.service(named: "dev")?.command == "PORT={{ports.main}} tsx watch src/api.ts")
        #expect(try manifest.namedPort("dev", "main").preferred == 4000)
        #expect(try manifest.namedPort("dev", "inspect").preferred == 9229)
    }

    @Test("the same server with options, or through a wrapper, is one service")
    func sameServer() throws {
        let (proposal, _) = try ScriptProject.propose(["dev": "vite", "dev:host": "vite --host", "dev:npx": "npx vite --open", "preview": "vite preview"])
        #expect(proposal.services == ["dev", "preview"])
        #expect(proposal.notes.contains { $0.contains(#"package.json script "dev:host" starts the same server"#) })
    }

    @Test("the same program on two different ports is two servers")
    func differentPorts() throws {
        let (proposal, manifest) = try ScriptProject.propose(["a": "vite --port 3000", "b": "vite --port 3001", "c": "vite --mode staging"])
        #expect(proposal.services == ["a", "b", "c"])
        #expect(try manifest.onlyPort("b").preferred == 3001)
        #expect(try manifest.onlyPort("c").preferred == 5173, "a different argument (the mode) is another server")
    }

    @Test("a Procfile process that starts a package.json script's server joins it")
    func procfileJoinsScript() throws {
        let (proposal, manifest) = try ScriptProject.propose(["serve": "python manage.py runserver"],
                                                             files: ["Procfile": "web: python manage.py runserver\nworker: celery -A x worker\n"])
        #expect(proposal.services == ["serve"])
        #expect(try manifest.onlyPort("serve").preferred == 8000)
        #expect(proposal.notes.contains { $0.contains(#"Procfile process "web" starts the same server"#) })
    }

    @Test("a Compose port written ${API_PORT:-4000} joins the service owning API_PORT")
    func composeVariableJoins() throws {
        let compose = """
            services:
              backend:
                build: .
                ports: ["${API_PORT:-4000}:4000"]
                depends_on: [db]
              db:
                image: postgres:16
                ports: ["${DB_PORT:-5432}:5432"]
              cache:
                image: redis:7
                ports: ["${WEB_PORT:-6379}:6379/udp"]
            """
        let (proposal, manifest) = try ScriptProject.propose(["api": "PORT=4000 node server.js", "web": "vite"], files: ["compose.yaml": compose])
        #expect(proposal.services == ["api", "web", "db", "cache"], "no api-2 or backend")
        let api = try manifest.onlyPort("api")
        #expect(api.compose == ComposeTarget(service: "backend", target: 4000))
        #expect(api.env == ["API_PORT"])
        #expect(api.preferred == 4000)
        #expect(manifest.service(named: "api")?.after.map(\.name) == ["db"], "the Compose service's depends_on comes along")
        #expect(try manifest.onlyPort("web").compose == nil, "a UDP port never joins a TCP service")
        #expect(proposal.notes.contains { $0.contains("joined here, so the compose-override output publishes this port") })
        #expect(manifest.outputList.contains("compose-override → docker-compose.override.yml"))
    }

    @Test("a Procfile process owns its variable too, though the Procfile is read after Compose")
    func composeJoinsProcfile() throws {
        let project = try TemporaryFolder("init")
        try project.write("Procfile", "api: uvicorn app:app\n")
        try project.write("compose.yaml", "services:\n  app:\n    build: .\n    ports: [\"${API_PORT:-8000}:8000\"]\n")
        let proposal = try Scaffolded.propose(project.path)
        let manifest = try Scaffolded.load(proposal, in: project.path)
        #expect(proposal.services == ["api"])
        #expect(try manifest.onlyPort("api").compose == ComposeTarget(service: "app", target: 8000))
        #expect(manifest.service(named: "api")?.command == "uvicorn --port {{port}} app:app")
    }

    @Test("a variable the script itself reads also joins")
    func composeJoinsNamedVariable() throws {
        let compose = "services:\n  server:\n    build: .\n    ports:\n      - \"${BACKEND_PORT:-8080}:8080\"\n"
        let (proposal, manifest) = try ScriptProject.propose(["serve": "uvicorn app:app --port ${BACKEND_PORT:-8080}"], files: ["compose.yaml": compose])
        #expect(proposal.services == ["serve"])
        #expect(try manifest.onlyPort("serve").env == ["SERVE_PORT", "BACKEND_PORT"])
        #expect(try manifest.onlyPort("serve").compose == ComposeTarget(service: "server", target: 8080))
    }
}

/// The realistic fixtures under Tests/Fixtures/init, each with a golden `styxy.yaml`.
@Suite("styxy init: dev-server fixtures")
struct DevServerFixtureTests {
    static let cases = ["vite-app", "next-app", "nuxt-app", "astro-site", "sveltekit-app", "angular-app", "cra-app",
                        "storybook-vite", "django-procfile", "rails-app", "fastapi-uvicorn", "mkdocs-site", "jupyter-lab",
                        "node-api-debug", "compose-api-var"]

    @Test("the proposal matches its golden (STYXY_UPDATE_GOLDENS=1 rewrites them)", arguments: cases)
    func golden(_ name: String) throws {
        let (proposal, manifest) = try Scaffolded.fixture(name)
        #expect(!manifest.services.isEmpty)
        try Scaffolded.compare(proposal.text, golden: "\(Scaffolded.folder)/golden/\(name).styxy.yaml")
    }

    /// What each fixture must give, said here rather than only in the goldens, so a golden
    /// regenerated carelessly cannot hide a regression.
    static let expected: [(name: String, service: String, port: Int?, command: String?)] = [
        ("vite-app", "dev", 5173, "vite --port {{port}} --strictPort"),
        ("vite-app", "preview", 4173, "vite preview --port {{port}} --strictPort"),
        ("next-app", "dev", 3000, "next dev -p {{port}} --turbopack"),
        ("next-app", "start", nil, "next start -p {{port}}"),
        ("nuxt-app", "dev", 3000, "nuxt dev --port {{port}}"),
        ("astro-site", "dev", 4321, "astro dev --port {{port}}"),
        ("sveltekit-app", "dev", 5173, "vite dev --port {{port}} --strictPort"),
        ("angular-app", "start", 4200, "ng serve --port {{port}}"),
        ("cra-app", "start", 3000, "PORT={{port}} react-scripts start"),
        ("storybook-vite", "storybook", 6006, "storybook dev -p {{port}} --exact-port"),
        ("django-procfile", "serve", 8000, "python manage.py runserver {{port}}"),
        ("rails-app", "web", 3000, "bin/rails s -p {{port}}"),
        ("fastapi-uvicorn", "api", 8000, "uvicorn --port {{port}} app.main:app --reload"),
        ("fastapi-uvicorn", "docs", nil, "mkdocs serve -a 127.0.0.1:{{port}}"),
        ("mkdocs-site", "docs", 8000, "uv run mkdocs serve -a 127.0.0.1:{{port}}"),
        ("jupyter-lab", "lab", 8888, "jupyter lab --port={{port}} --port-retries=0 --no-browser --ServerApp.token=''"),
        ("jupyter-lab", "api", 5000, "flask --app research.api run --port {{port}} --debug"),
        ("node-api-debug", "api", nil, "nodemon src/server.js"),
        ("compose-api-var", "api", nil, "PORT={{ports.main}} tsx watch src/api.ts"),
    ]

    @Test("each fixture's servers, ports and commands", arguments: expected.indices)
    func servers(_ index: Int) throws {
        let (name, service, port, command) = Self.expected[index]
        let (_, manifest) = try Scaffolded.fixture(name)
        let found = try #require(manifest.service(named: service), "\(name): no \(service) in \(manifest.services.map(\.name))")
        #expect(found.command == command, "\(name) \(service)")
        if let port { #expect(found.ports.first?.preferred == port, "\(name) \(service)") }
    }

    @Test func fixtureShapes() throws {
        #expect(try Scaffolded.fixture("vite-app").proposal.services == ["dev", "preview"], "dev:host is dev; start only calls dev")
        #expect(try Scaffolded.fixture("astro-site").proposal.services == ["dev"])
        #expect(try Scaffolded.fixture("django-procfile").proposal.services == ["serve"])
        #expect(try Scaffolded.fixture("rails-app").manifest.onlyPort("web").env == ["WEB_PORT", "PORT"], "foreman hands web $PORT")
        #expect(try Scaffolded.fixture("node-api-debug").proposal.services == ["api", "test-debug"])
        let (compose, manifest) = try Scaffolded.fixture("compose-api-var")
        #expect(compose.services == ["web", "api", "postgres"])
        #expect(try manifest.namedPort("api", "main").compose == ComposeTarget(service: "api", target: 4000))
        #expect(try manifest.namedPort("api", "main").env == ["API_MAIN_PORT", "API_PORT"])
        #expect(try manifest.namedPort("api", "inspect").preferred == 9230)
        let (_, debug) = try Scaffolded.fixture("node-api-debug")
        #expect(try debug.namedPort("api", "inspect").preferred == 9229)
        #expect(debug.service(named: "test-debug")?.command == "node --inspect-brk={{ports.inspect}} node_modules/.bin/jest --runInBand")
    }
}
