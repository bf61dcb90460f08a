import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyManifest

extension Styxy {
    struct Types: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "types",
            abstract: "List the service types in force: the built-in catalog plus your configuration."
        )

        @OptionGroup var output: OutputOptions

        func run(in context: CommandContext) throws {
            let catalog = try context.environment.catalog()
            let terminal = context.out
            if output.json {
                terminal.write(Self.json(catalog).serialized())
                return
            }
            var table = Table("TYPE", "RANGE", "PREFERRED", "ORIGIN", "DESCRIPTION")
            for type in catalog.sortedTypes {
                table.add(type.name, "\(type.range.lowerBound)-\(type.range.upperBound)",
                          type.preferred.map(String.init).joined(separator: ","), type.origin, type.description)
            }
            terminal.write(table.rendered(on: terminal))
            if !catalog.reserved.isEmpty {
                terminal.line("\nreserved: " + catalog.reserved.map(Self.rangeText).joined(separator: ", "))
            }
        }

        static func rangeText(_ range: ClosedRange<Int>) -> String {
            range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
        }

        static func json(_ catalog: Catalog) -> JSONValue {
            ReportJSON.document([
                ("config", .optional(catalog.configPath)),
                ("types", .array(catalog.sortedTypes.map { type in
                    .object([
                        ("name", .string(type.name)),
                        ("description", .string(type.description)),
                        ("range", .array([.int(type.range.lowerBound), .int(type.range.upperBound)])),
                        ("preferred", .array(type.preferred.map(JSONValue.int))),
                        ("origin", .string(type.origin)),
                    ])
                })),
                ("reserved", .array(catalog.reserved.map { .array([.int($0.lowerBound), .int($0.upperBound)]) })),
            ])
        }
    }
}
