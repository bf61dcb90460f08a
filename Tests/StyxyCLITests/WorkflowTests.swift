import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `run`, `env`, instances and `matrix` through the real binary.
@Suite("Workflows: run, env, instances, matrix")
struct WorkflowTests {
    static func stack(_ block: ClosedRange<Int>) -> String {
        """
        services:
          web:
            range: [\(block.lowerBound), \(block.lowerBound + block.count / 2 - 1)]
          api:
            range: [\(block.lowerBound + block.count / 2), \(block.upperBound)]
            env: [API_PORT, PORT]
        outputs:
          - template: dotenv
            path: .env

        """
    }

    @Test func runPassesPortsIdentityAndExitStatus() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let printed = try s.run(["run", "-m", manifest, "--", "sh", "-c", #"echo "$WEB_PORT $API_PORT $PORT $STYXY_PROJECT_ROOT $STYXY_INSTANCE"; exit 7"#])
        #expect(printed.status == 7, "the command's status is styxy's: \(printed)")
        let ports = try s.resolve(manifest)
        let expected = "\(ports["web.default"]!) \(ports["api.default"]!) \(ports["api.default"]!) \(s.projectRoot("app")) default\n"
        #expect(printed.stdout == expected)
        #expect(FileManager.default.fileExists(atPath: s.projectRoot("app") + "/.env"), "run renders outputs like resolve")
    }

    @Test func sigtermToStyxyReachesTheCommand() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let script = #"trap 'echo got-term; exit 143' TERM; echo ready; while :; do sleep 0.05; done"#
        let child = try s.spawn(["run", "-m", manifest, "--", "sh", "-c", script])
        try child.waitForOutput("ready")
        // styxy replaced itself with the command: its PID is the command's.
        kill(child.pid, SIGTERM)
        #expect(child.wait(timeout: 10))
        let result = child.result()
        #expect(result.status == 143 && result.stdout.contains("got-term"), "\(result)")
    }

    /// Exec happens only in a real process: the in-process runner starts the command as a child.
    @Test func missingAndNonExecutableCommands() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let missing = try s.runProcess(["run", "-m", manifest, "--", "styxy-no-such-command-here"])
        #expect(missing.status == 127 && missing.stderr.contains("command not found"), "\(missing)")
        let script = s.projectRoot("app") + "/not-executable.sh"
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: script))
        chmod(script, 0o644)
        let denied = try s.runProcess(["run", "-m", manifest, "--", script])
        #expect(denied.status == 126, "\(denied)")
    }

    @Test func runRefusesToStartBesideAForeignHolder() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let port = try #require(try s.resolve(manifest)["web.default"])
        // A listener from outside the project folder: foreign.
        let holder = try s.python(Sandbox.listenScript(port: port), cwd: s.root)
        defer { holder.kill() }
        let marker = s.projectRoot("app") + "/started"
        let refused = try s.run(["run", "-m", manifest, "--", "touch", marker])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("PID \(holder.pid)") && refused.stderr.contains("not starting touch"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the command must not have run")
    }

    @Test func runStartsBesideItsOwnProjectsServerAndSaysWhoIsThere() throws {
        let s = try Sandbox()
        let manifest = try s.project("app", Self.stack(try PortBlocks.reserve(10)))
        let port = try #require(try s.resolve(manifest)["web.default"])
        // A server running from inside the project folder is this project's own.
        let server = try s.python(Sandbox.listenScript(port: port), cwd: s.projectRoot("app"))
        defer { server.kill() }
        let client = try s.run(["run", "-m", manifest, "--", "sh", "-c", #"echo "client for $WEB_PORT""#])
        #expect(client.status == 0 && client.stdout == "client for \(port)\n", "a command beside its own server runs: \(client)")
        #expect(client.stderr.contains("note: port \(port) of web is already in use by this project's PID \(server.pid)"), "\(client)")
        let quiet = try s.run(["run", "-m", manifest, "--", "true"])
        #expect(quiet.stderr.components(separatedBy: "\n").filter { $0.contains("note:") }.count == 1, "only the port in use is named: \(quiet)")
    }

    @Test func envFormatsAgreeAndTheShellFormatEvaluates() throws {
        let s = try Sandbox()
        let manifest = try s.project("it's here", Self.stack(try PortBlocks.reserve(10)))
        let ports = try s.resolve(manifest)
        let json = try s.run(["env", "-m", manifest, "--format", "json"]).json()
        #expect(json["WEB_PORT"] as? String == String(ports["web.default"]!))
        #expect(json["STYXY_PROJECT_ROOT"] as? String == s.projectRoot("it's here"))
        let shell = try s.run(["env", "-m", manifest, "--format", "shell"])
        let file = s.root + "/env.sh"
        try Data(shell.stdout.utf8).write(to: URL(fileURLWithPath: file))
        for interpreter in ["/bin/sh", "/bin/bash"] where access(interpreter, X_OK) == 0 {
            let child = try ChildProcess(interpreter, ["-c", #". "$0"; printf '%s|%s|%s' "$WEB_PORT" "$PORT" "$STYXY_PROJECT_ROOT""#, file],
                                         environment: ["PATH": "/usr/bin:/bin"], outputPrefix: s.root + "/logs/eval")
            #expect(child.wait(timeout: 10))
            #expect(child.result().stdout == "\(ports["web.default"]!)|\(ports["api.default"]!)|\(s.projectRoot("it's here"))", "\(interpreter)")
        }
        let dotenv = try s.run(["env", "-m", manifest, "--format", "dotenv"]).stdout
        #expect(dotenv.split(separator: "\n").contains("WEB_PORT=\(ports["web.default"]!)"), "\(dotenv)")
        // $GITHUB_ENV keeps quotes, so the github format writes values as they are.
        let github = try s.run(["env", "-m", manifest, "--format", "github"]).stdout.split(separator: "\n")
        #expect(github.contains("STYXY_PROJECT_ROOT=\(s.projectRoot("it's here"))") && github.contains("PORT=\(ports["api.default"]!)"),
                "\(github)")
    }

    @Test func sixParallelInstancesInOneFolderGetDisjointPorts() throws {
        let s = try Sandbox()
        let manifest = try s.project("ci", Self.stack(try PortBlocks.reserve(20)))
        let children = try (1...6).map { try s.spawn(["resolve", "-m", manifest, "--instance", "job-\($0)", "--json"]) }
        var seen: [Int] = []
        for (index, child) in children.enumerated() {
            #expect(child.wait(timeout: 30))
            let result = child.result()
            #expect(result.status == 0, "\(result)")
            seen += try result.ports().values
            let env = try String(contentsOfFile: s.projectRoot("ci") + "/.styxy/instances/job-\(index + 1)/.env", encoding: .utf8)
            #expect(env.contains("STYXY_INSTANCE='job-\(index + 1)'"), "each instance writes its own outputs")
        }
        #expect(seen.count == 12 && Set(seen).count == 12, "\(seen)")
        #expect(!FileManager.default.fileExists(atPath: s.projectRoot("ci") + "/.env"), "no instance writes the default paths")
        #expect(try s.run(["lease", "release", "-m", manifest, "--instance", "job-3"]).status == 0)
        #expect(try s.leases().filter { $0["instance"] as? String == "job-3" }.isEmpty)
        #expect(try s.leases().count == 10)
    }

    @Test func matrixPrintsRowsWithDistinctPortsThatJobsThenGet() throws {
        let s = try Sandbox()
        let manifest = try s.project("ci", Self.stack(try PortBlocks.reserve(20)))
        let result = try s.run(["matrix", "-m", manifest, "--instances", "4", "--ttl", "2h", "--json"])
        #expect(result.status == 0, "\(result)")
        let rows = try #require(try result.json()["include"] as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows.compactMap { $0["instance"] as? String } == ["job-1", "job-2", "job-3", "job-4"])
        let web = rows.compactMap { $0["WEB_PORT"] as? Int }
        let api = rows.compactMap { $0["API_PORT"] as? Int }
        #expect(Set(web).count == 4 && Set(api).count == 4 && Set(web).isDisjoint(with: api))
        #expect(rows.allSatisfy { $0["PORT"] as? Int == $0["API_PORT"] as? Int })
        let job = try s.run(["env", "-m", manifest, "--instance", "job-2", "--format", "json"]).json()
        #expect(job["WEB_PORT"] as? String == String(web[1]), "a job gets its row's ports")
        #expect(try s.leases().allSatisfy { $0["expires_at"] is String })
    }

    /// The instances are leased in one transaction: the ledger's generation counts its writes.
    @Test func matrixWritesTheLedgerOnceForAllItsInstances() throws {
        let s = try Sandbox()
        let manifest = try s.project("ci", Self.stack(try PortBlocks.reserve(40)))
        let result = try s.run(["matrix", "-m", manifest, "--instances", "16", "--json"])
        #expect(result.status == 0, "\(result)")
        let bytes = try #require(s.ledgerBytes())
        let ledger = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        #expect(ledger["generation"] as? Int == 1, "one write for sixteen instances")
        let ports = try s.leases().compactMap { $0["port"] as? Int }
        #expect(ports.count == 32 && Set(ports).count == 32)
    }
}
