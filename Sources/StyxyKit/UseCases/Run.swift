import StyxyCore
import StyxyEngine
import StyxyManifest

/// `run`: what to start and with which variables, decided after a resolve.
package struct RunPlan: Sendable {
    package var report: ResolveReport
    /// Ports someone other than this project holds: the command must not start.
    package var blocked: [Assignment]
    /// Ports this project's own processes already hold: allowed (a test run beside its dev
    /// server), but worth a note, since a second server there would die on "Address already in use".
    package var busyWithThisProject: [Assignment]
    /// Set on top of the inherited environment; Styxy's values win.
    package var variables: [(name: String, value: String)]
    package var arguments: [String]
}

extension StyxyApp {
    package func prepareRun(_ request: LeaseRequest, command: [String]) throws(StyxyError) -> RunPlan {
        let report = try resolve(request, mode: .write).report
        let ports = ResolvedPorts(report: report)
        let busy = report.assignments.filter { item in
            guard !item.shared, let occupant = item.occupant else { return false }
            return occupant.holderClass == .thisProject
        }
        return RunPlan(report: report, blocked: ports.foreignHeld, busyWithThisProject: busy, variables: ports.variables,
                       arguments: command)
    }
}
