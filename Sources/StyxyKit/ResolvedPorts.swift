import StyxyCore
import StyxyEngine
import StyxyManifest

/// The variables a resolved project hands to its processes: every port under each of its names,
/// plus the identity that lets Styxy recognise those processes later.
package struct ResolvedPorts: Sendable {
    package static let identityNames = ["STYXY_PROJECT", "STYXY_PROJECT_ROOT", "STYXY_INSTANCE"]

    package let report: ResolveReport

    package init(report: ResolveReport) {
        self.report = report
    }

    /// Sorted by name, so every format prints them in one stable order.
    package var variables: [(name: String, value: String)] {
        var pairs: [(String, String)] = [
            ("STYXY_PROJECT", report.project),
            ("STYXY_PROJECT_ROOT", report.root),
            ("STYXY_INSTANCE", report.instance),
        ]
        for assignment in report.assignments {
            for name in assignment.env { pairs.append((name, String(assignment.port))) }
        }
        return pairs.sorted { $0.0 < $1.0 }.map { (name: $0.0, value: $0.1) }
    }

    /// Assignments whose port someone other than this project holds: what `run` refuses to start beside.
    package var foreignHeld: [Assignment] {
        report.assignments.filter { item in
            guard let occupant = item.occupant, !item.shared else { return false }
            return occupant.holderClass != .thisProject
        }
    }
}
