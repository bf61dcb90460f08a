import StyxyCore
import Testing

@testable import StyxyRender

@Suite("Command expansion")
struct CommandExpansionTests {
    let emulators = ServiceContext(
        name: "emulators", type: "functions",
        ports: [
            NamedPortContext(name: "ui", port: 4000, env: ["EMULATORS_UI_PORT"]),
            NamedPortContext(name: "firestore", port: 8080, env: ["FIRESTORE_PORT"]),
        ])

    @Test("port, name, variable names and ports.<name> expand; text is left as written")
    func names() throws {
        let web = ServiceContext(name: "web", type: "dev", port: 3000, env: ["WEB_PORT", "PORT"])
        #expect(try expandCommand("vite --port {{port}}", service: web) == "vite --port 3000")
        #expect(try expandCommand("next dev -p {{WEB_PORT}} # {{name}} on {{PORT}}", service: web) == "next dev -p 3000 # web on 3000")
        #expect(try expandCommand("x --p={{ports.default}} && echo '<ok>' \"&\"", service: web) == "x --p=3000 && echo '<ok>' \"&\"")
        #expect(try expandCommand("emu --ui {{ports.ui}} --fs {{ports.firestore}} --first {{port}}", service: emulators)
            == "emu --ui 4000 --fs 8080 --first 8080")
        #expect(try expandCommand("api={{API_PORT}} own={{FIRESTORE_PORT}}", service: emulators,
                                  variables: ["API_PORT": 8000, "FIRESTORE_PORT": 1]) == "api=8000 own=8080")
    }

    @Test("an unknown name is exit 65 naming it, at the manifest's place for the command")
    func unknownName() {
        let at = StyxyCore.SourceLocation(file: "styxy.yaml", line: 7, column: 14)
        let error = failure { () throws(StyxyError) in
            try expandCommand("emu --ui {{ports.iu}} {{FIRESTORE_PRT}}", service: emulators, at: at)
        }
        #expect(error?.exitStatus == .invalidInput)
        #expect(error?.diagnostics.map(\.rendered) == [
            "styxy.yaml:7:14: error: services.emulators.command: 'ports' has no field 'iu' (column 12 of the command) (did you mean 'ui'?)",
            "styxy.yaml:7:14: error: services.emulators.command: unknown name 'FIRESTORE_PRT' (column 25 of the command) (did you mean 'FIRESTORE_PORT'?)",
        ])
    }

    @Test("a syntax error in a command is exit 65 too")
    func syntaxError() {
        let error = failure { () throws(StyxyError) in try expandCommand("run {{#port}}", service: emulators) }
        #expect(error?.exitStatus == .invalidInput)
        #expect(error?.description.contains("services.emulators.command: section 'port' is never closed") == true)
    }

    @Test("expandingCommands expands every service and reports every problem together")
    func wholeContext() throws {
        #expect(Sample.context.services.first { $0.name == "web" }?.command
            == "API_URL=http://localhost:8000 vite --port 3000 --strictPort")
        var broken = Sample.context
        broken.services[0].command = "{{nope}}"
        broken.services[1].command = "{{nada}}"
        let error = failure { () throws(StyxyError) in try broken.expandingCommands() }
        #expect(error?.diagnostics.count == 2)
    }
}
