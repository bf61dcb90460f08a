import StyxyCore
import StyxyEngine
import StyxyProbe

/// The JSON shapes of reports (docs/json.md). Keys are snake_case; every document starts with
/// the same envelope.
enum ReportJSON {
    /// A report's document: `format_version` (its shape) and `styxy_version` (the release that
    /// wrote it, so a script or a bug report can tell), then the report's own keys.
    static func document(_ pairs: [(String, JSONValue)]) -> JSONValue {
        .object([("format_version", .int(1)), ("styxy_version", .string(StyxyRelease.version))] + pairs)
    }

    static func holder(_ holder: PortHolder) -> JSONValue {
        .object([
            ("pid", .int(Int(holder.pid))),
            ("command", .string(holder.command)),
            ("cwd", .optional(holder.workingDirectory)),
        ])
    }

    static func occupant(_ occupant: PortOccupant?) -> JSONValue {
        guard let occupant else { return .null }
        return .object([
            ("class", .string(classWord(occupant.holderClass))),
            ("holders", .array(occupant.holders.map(holder))),
        ])
    }

    static func classWord(_ holderClass: HolderClass) -> String {
        switch holderClass {
        case .thisProject: return "this_project"
        case .otherProject: return "other_project"
        case .foreign: return "foreign"
        }
    }

    static func finding(_ finding: Finding) -> JSONValue {
        var holder = JSONValue.null
        if let occupant = finding.occupant {
            let first = occupant.holders.first
            holder = .object([
                ("pid", first.map { .int(Int($0.pid)) } ?? .null),
                ("command", .optional(first?.command)),
                ("cwd", .optional(first?.workingDirectory)),
                ("class", .string(classWord(occupant.holderClass))),
            ])
        }
        let lease = finding.lease.map { lease in
            JSONValue.object([
                ("project", .string(lease.project)),
                ("root", .optional(lease.key.root)),
                ("instance", .string(lease.key.instance)),
            ])
        } ?? .null
        return .object([
            ("kind", .string(finding.kind.rawValue)),
            ("severity", .string(finding.severity.rawValue)),
            ("service", .string(finding.service)),
            ("port_name", .string(finding.portName)),
            ("port", .int(finding.port)),
            ("wanted", finding.wanted.map(JSONValue.int) ?? .null),
            ("got", finding.got.map(JSONValue.int) ?? .null),
            ("reason", .string(finding.reason)),
            ("holder", holder),
            ("lease", lease),
            ("message", .string(finding.message)),
            ("next_step", .optional(finding.nextStep)),
        ])
    }

    static func assignment(_ assignment: Assignment) -> JSONValue {
        .object([
            ("service", .string(assignment.service)),
            ("port_name", .string(assignment.portName)),
            ("port", .int(assignment.port)),
            ("env", .array(assignment.env.map(JSONValue.string))),
            ("status", .string(assignment.status.rawValue)),
            ("previous_port", assignment.previousPort.map(JSONValue.int) ?? .null),
            ("shared", .bool(assignment.shared)),
            ("held_by", occupant(assignment.occupant)),
        ])
    }
}
