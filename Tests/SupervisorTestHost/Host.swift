// Hosts one Supervisor in a process of its own, for StyxyProcessTests: the supervisor reaps every
// child of its process and catches SIGINT and SIGTERM, which the test runner must not have done to it.
//
//   SupervisorTestHost [--colour] [--grace SECONDS] [--tick MS] [--stop-file PATH]
//                      [--cwd DIR] [--env KEY=VALUE]... [--later NAME=COMMAND]... [--second] [--trees]
//                      NAME=COMMAND...
//
// Services named plainly start at once, `--later` ones on the first tick. `--stop-file` ends the
// run with the reason "stop file" once PATH exists. Every service gets PATH and the `--env`
// variables, nothing else. The host says `started NAME pid N`, then the ending, then the stop
// report with the descendants left after it (which must be none), and exits as `styxy up` would:
// 0 after a requested stop, 128+N after signal N, the service's status (or 1 for status 0) after a
// service's exit.
import StyxyProcess

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var colour = false
    var grace = Supervisor.defaultGrace
    var tick = Duration.milliseconds(20)
    var stopFile: String?
    var directory = "."
    var environment = ["PATH": getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"]
    var now: [(String, String)] = []
    var later: [(String, String)] = []
    /// Tries to create a second supervisor while the first is active, and says what happened.
    var second = false
    /// Says `tree NAME [PIDS]` on a tick whenever a service's processes have changed.
    var trees = false
}

func fail(_ message: String) -> Never {
    let text = Array("SupervisorTestHost: \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(70)
}

func number(_ text: String, for option: String) -> Double {
    guard let value = Double(text) else { fail("\(option) needs a number, got \(text)") }
    return value
}

func pair(_ text: String) -> (String, String) {
    guard let equals = text.firstIndex(of: "=") else { fail("expected NAME=VALUE, got \(text)") }
    return (String(text[..<equals]), String(text[text.index(after: equals)...]))
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        func value() -> String {
            guard let value = rest.popFirst() else { fail("\(argument) needs a value") }
            return value
        }
        switch argument {
        case "--colour": options.colour = true
        case "--second": options.second = true
        case "--trees": options.trees = true
        case "--grace": options.grace = .milliseconds(Int(number(value(), for: argument) * 1000))
        case "--tick": options.tick = .milliseconds(Int(number(value(), for: argument)))
        case "--stop-file": options.stopFile = value()
        case "--cwd": options.directory = value()
        case "--env": let (key, text) = pair(value()); options.environment[key] = text
        case "--later": options.later.append(pair(value()))
        default: options.now.append(pair(argument))
        }
    }
    return options
}

func list(_ pids: Set<pid_t>) -> String { pids.sorted().map(String.init).joined(separator: ",") }

@main
enum SupervisorTestHost {
    static func main() {
        let options = parse(Array(CommandLine.arguments.dropFirst()))
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(names: (options.now + options.later).map(\.0), colour: options.colour)
        } catch {
            fail("\(error)")
        }
        if options.second {
            do {
                _ = try Supervisor(names: ["other"], colour: false)
                supervisor.say("second: created")
            } catch {
                supervisor.say("second: \(error)")
            }
        }
        func start(_ services: [(String, String)]) throws {
            for (name, command) in services {
                let spec = ProcessSpec(name: name, command: command, environment: options.environment,
                                       workingDirectory: options.directory)
                supervisor.say("started \(name) pid \(try supervisor.start(spec))")
            }
        }

        var status: Int32 = 0
        do {
            try start(options.now)
            var later = options.later
            var shown: [String: Set<pid_t>] = [:]
            let ending = try supervisor.run(tick: options.tick) { () throws -> TickDecision<String> in
                try start(later)
                later = []
                if options.trees, let tree = try? ProcessTree.snapshot() {
                    for name in supervisor.children.keys.sorted() {
                        let processes = supervisor.processes(of: name, in: tree)
                        guard shown[name] != processes else { continue }
                        shown[name] = processes
                        supervisor.say("tree \(name) [\(list(processes))]")
                    }
                }
                if let file = options.stopFile, access(file, F_OK) == 0 { return .stop("stop file") }
                return .proceed
            }
            switch ending {
            case .exited(let service, let termination):
                supervisor.say("ending: exited \(service) \(termination.code)")
                status = termination.code == 0 ? 1 : termination.code
            case .signalled(let signal):
                supervisor.say("ending: signalled \(signal)")
                status = 128 + signal
            case .stopped(let reason):
                supervisor.say("ending: stopped \(reason)")
            }
        } catch {
            supervisor.say("error: \(error)")
            status = 70
        }
        let report = supervisor.stop(grace: options.grace)
        // What the supervisor left among this process's descendants: nothing, not even a zombie.
        let left = ((try? ProcessTree.snapshot().descendants(of: getpid())) ?? [-1]).subtracting([getpid()])
        let interrupted = report.interruptedBy.map { " interrupted by \($0)" } ?? ""
        supervisor.say("stopped: killed [\(list(report.killed))] survivors [\(list(report.survivors))] left [\(list(left))]\(interrupted)")
        exit(status)
    }
}
