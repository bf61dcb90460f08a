import StyxyCore
import StyxyManifest
import StyxyProbe

/// What a resolve does with one port the manifest declares. Decided without side effects from
/// the port's lease (if any), who listens on that lease's port, and the options; carried out by
/// `Resolver.plan`, and explained by `finding`, where all of its words are.
enum LeaseDecision: Equatable {
    /// No lease yet: choose a port.
    case create
    /// Keep the lease's port, saying why when there is something to say.
    case keep(KeepNote?)
    /// Keep the lease's port although another project or a foreign process holds it, and report
    /// a conflict (`--reassign` moves it instead, `--strict` fails).
    case conflict(PortOccupant)
    /// Offer the lease a new port.
    case move(MoveReason)

    enum KeepNote: Equatable {
        /// A shared service's port is held: the service is running, which is what sharing is for.
        case sharedRunning(PortOccupant)
        /// Nobody listens, but connections linger in TIME_WAIT.
        case timeWait
    }

    enum MoveReason: Equatable {
        /// The port is outside the range and preferred ports the manifest now declares.
        case undeclared
        /// The manifest names a new preferred port, tried once: taken only when that very port is free.
        case preference(Int)
        /// Another project or a foreign process holds the port, and `--reassign` was given.
        case heldBy(PortOccupant)

        /// Whether the lease moves to `offered`, the port the allocator chose for it.
        func takes(_ offered: Int) -> Bool {
            if case .preference(let preferred) = self { return offered == preferred }
            return true
        }
    }

    /// The decision for `port` of `service`, whose lease is `lease`. `occupant` listens on the
    /// lease's port (nil when nobody does); `inTimeWait` says whether that port has connections in
    /// TIME_WAIT.
    init(lease: Lease?, service: Service, port: NamedPort, occupant: PortOccupant?, inTimeWait: Bool, reassign: Bool) {
        guard let lease else {
            self = .create
            return
        }
        // A shared lease is machine-wide: one project's range or preference does not move it.
        if !service.shared {
            let undeclared = lease.port != port.preferred && !service.range.contains(lease.port)
                && !service.typePreferred.contains(lease.port)
            if undeclared {
                self = .move(.undeclared)
                return
            }
            // Compared with the preference the lease last saw, so a preference that was not free
            // is tried once, not on every resolve.
            if let preferred = port.preferred, preferred != lease.port, preferred != lease.preferred {
                self = .move(.preference(preferred))
                return
            }
        }
        switch occupant {
        case let occupant? where service.shared:
            self = .keep(.sharedRunning(occupant))
        case let occupant? where occupant.holderClass != .thisProject:
            self = reassign ? .move(.heldBy(occupant)) : .conflict(occupant)
        case nil where inTimeWait:
            self = .keep(.timeWait)
        default:
            self = .keep(nil)
        }
    }

    /// The lease's preference is brought up to date whenever the manifest's moved the lease.
    var recordsPreference: Bool {
        switch self {
        case .move(.undeclared), .move(.preference): return true
        default: return false
        }
    }

    /// What to tell the user about this decision for `label`, whose lease held `port`; nil when
    /// there is nothing to say. `offered` is the port the allocator chose for a move (a move is
    /// explained only once it has one), nil for the other decisions.
    func finding(label: PortLabel, port: Int, offered: Int?) -> Finding? {
        switch self {
        case .create, .keep(nil):
            return nil
        case .keep(.sharedRunning(let occupant)):
            return Finding(kind: .sharedRunning, label: label, port: port, got: port, reason: "in_use", occupant: occupant,
                           message: "shared service \(label) is running: \(occupant.description)")
        case .keep(.timeWait):
            return Finding(kind: .timeWait, label: label, port: port, got: port, reason: "time_wait",
                           message: "port \(port) has connections in TIME_WAIT; a server that sets SO_REUSEADDR (most do) can bind it now, others within a minute")
        case .conflict(let occupant):
            var step = "run `styxy resolve --reassign` to move \(label) to a free port"
            if let holder = occupant.holders.first {
                step = "stop PID \(holder.pid) (`kill \(holder.pid)`), or " + step
            }
            return Finding(kind: .conflict, severity: .conflict, label: label, port: port, wanted: port, got: port, reason: "held",
                           occupant: occupant,
                           message: "port \(port), leased to \(label), is held by \(occupant.description) (\(occupant.holderClass.label))",
                           nextStep: step)
        case .move(let reason):
            guard let offered else { return nil }
            switch reason {
            case .undeclared:
                return Finding(kind: .moved, label: label, port: port, got: offered, reason: "outside_range",
                               message: "port \(port) is outside what the manifest now declares for \(label); moved to \(offered)")
            case .preference(let preferred):
                return reason.takes(offered)
                    ? Finding(kind: .moved, label: label, port: port, wanted: preferred, got: offered, reason: "new_preference",
                              message: "\(label) now prefers \(offered); moved from \(port)")
                    : Finding(kind: .preferenceUnavailable, label: label, port: port, wanted: preferred, got: port, reason: "not_free",
                              message: "\(label) now prefers \(preferred), which is not free; keeping \(port)")
            case .heldBy(let occupant):
                return Finding(kind: .moved, label: label, port: port, got: offered, reason: "held", occupant: occupant,
                               message: "port \(port) is held by \(occupant.description) (\(occupant.holderClass.label)); moved \(label) to \(offered)")
            }
        }
    }

    /// Why a new lease for `label` did not get `preferred`, the port the manifest asked for.
    static func preferenceFinding(label: PortLabel, preferred: Int, got: Int, skip: PortAllocator.Skip,
                                  occupant: PortOccupant?) -> Finding {
        let (reason, why): (String, String)
        var lease: Lease?
        switch skip {
        case .preferredElsewhere: (reason, why) = ("preferred_elsewhere", "another port of this manifest prefers it")
        case .leased(let holder):
            lease = holder
            let whose = holder.isShared ? "the shared service \(holder.key.label)"
                : "\(holder.project)/\(holder.key.label) (\(holder.key.root ?? ""), instance \(holder.key.instance))"
            (reason, why) = ("leased", "it is leased to \(whose)")
        case .reserved: (reason, why) = ("reserved", "it is reserved in your configuration")
        case .ephemeral: (reason, why) = ("ephemeral", "it is in the kernel's ephemeral port range")
        case .listening:
            (reason, why) = ("in_use", "it is held by \(occupant.map { "\($0.description) (\($0.holderClass.label))" } ?? "another process")")
        case .timeWait: (reason, why) = ("time_wait", "it has connections in TIME_WAIT")
        case .bindFailed(let result):
            let detail: String
            if case .denied(let code) = result { detail = FileIO.errorText(code) } else { detail = "address in use" }
            (reason, why) = ("bind_failed", "a bind test failed (\(detail))")
        }
        return Finding(kind: .preferenceUnavailable, label: label, port: preferred, wanted: preferred, got: got, reason: reason,
                       occupant: occupant, lease: lease, message: "\(label) prefers \(preferred), but \(why); leased \(got) instead")
    }
}
