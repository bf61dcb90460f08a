import ArgumentParser
@testable import StyxyCLI
import Testing

/// Every command names itself: without a `commandName`, ArgumentParser derives it from the type's
/// name with `String(describing:)`, which scans every protocol conformance in the binary, and it
/// does so for every command on every parse (15M of a 24M-instruction `lease ls`).
@Suite("Command names")
struct CommandNameTests {
    static func tree(_ command: ParsableCommand.Type = Styxy.self) -> [ParsableCommand.Type] {
        [command] + command.configuration.subcommands.flatMap { tree($0) }
    }

    @Test func everyCommandNamesItselfAsItsTypeWouldBeNamed() {
        let renamed = ["List": "ls"]
        for command in Self.tree() {
            let type = String(describing: command)
            let derived = renamed[type] ?? type.lowercased()
            #expect(command.configuration.commandName == derived, "\(type)")
        }
        #expect(Self.tree().count > 20, "the walk reached every command")
    }
}
