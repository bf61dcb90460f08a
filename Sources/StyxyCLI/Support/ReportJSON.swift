import StyxyCore
import StyxyEngine
import StyxyProbe

/// The JSON shapes of reports (docs/json.md). Keys are snake_case; every document carries
/// `format_version`.
enum ReportJSON {
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
        .object([
            ("severity", .string(finding.severity.rawValue)),
            ("service", .string(finding.service)),
            ("port", .int(finding.port)),
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
