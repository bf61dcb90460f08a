import ArgumentParser
import StyxyCore
import StyxyKit
import StyxyEngine

extension Styxy {
    struct Matrix: StyxyCommand {
        static let configuration = CommandConfiguration(
            commandName: "matrix",
            abstract: "Lease N disjoint instances of the project at once and print a CI matrix.",
            discussion: """
                Instances are named PREFIX-1 ... PREFIX-N. --json prints {"include": [...]}, one object per \
                instance with its name and every port variable, the shape GitHub Actions' fromJSON takes as a \
                matrix. Each job then runs `styxy run --instance NAME -- ...` (same ports: the leases exist) \
                and, when done, `styxy lease release --instance NAME`. Combine with --ttl so a crashed job's \
                ports come back on their own.
                """
        )

        @OptionGroup var manifestOptions: ManifestOptions
        @Option(help: "How many instances.") var instances: Int
        @Option(help: "Instance name prefix.") var prefix: String = "job"
        @OptionGroup var ttlOptions: TTLOptions
        @OptionGroup var output: OutputOptions

        func validate() throws {
            guard (1...256).contains(instances) else { throw ValidationError("--instances takes 1 to 256, found \(instances)") }
            guard InstanceOptions.isValid("\(prefix)-\(instances)") else { throw ValidationError("invalid --prefix '\(prefix)'") }
        }

        func run(in context: CommandContext) throws {
            let rows = try context.app.matrix(manifest: manifestOptions.manifest, count: instances, prefix: prefix,
                                              ttl: TTLOptions.choice(ttlOptions.ttl) ?? .keep)
            let out = context.out
            if output.json {
                out.write(JSONValue.object([("include", .array(rows.map { row in
                    .object([("instance", .string(row.instance))] + row.variables.map { ($0.name, JSONValue.int(Int($0.value) ?? 0)) })
                }))]).serialized(compact: true) + "\n")
                return
            }
            let names = rows.first?.variables.map(\.name) ?? []
            var table = Table(headers: ["INSTANCE"] + names)
            for row in rows { table.add([row.instance] + row.variables.map(\.value)) }
            out.write(table.rendered(on: out))
        }
    }
}
