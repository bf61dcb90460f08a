import StyxyCore
import StyxyManifest

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
        func note(_ message: String) -> Finding {
            Finding(severity: .note, service: label.description, port: port, message: message)
        }
        switch self {
        case .create, .keep(nil):
            return nil
        case .keep(.sharedRunning(let occupant)):
            return note("shared service \(label) is running: \(occupant.description)")
        case .keep(.timeWait):
            return note("port \(port) has connections in TIME_WAIT; a server that sets SO_REUSEADDR (most do) can bind it now, others within a minute")
        case .conflict(let occupant):
            var step = "run `styxy resolve --reassign` to move \(label) to a free port"
            if let holder = occupant.holders.first {
                step = "stop PID \(holder.pid) (`kill \(holder.pid)`), or " + step
            }
            return Finding(severity: .conflict, service: label.description, port: port,
                           message: "port \(port), leased to \(label), is held by \(occupant.description) (\(occupant.holderClass.label))",
                           nextStep: step)
        case .move(let reason):
            guard let offered else { preconditionFailure("a move is explained with the port it was offered") }
            switch reason {
            case .undeclared:
                return note("port \(port) is outside what the manifest now declares for \(label); moved to \(offered)")
            case .preference(let preferred):
                return reason.takes(offered) ? note("\(label) now prefers \(offered); moved from \(port)")
                    : note("\(label) now prefers \(preferred), which is not free; keeping \(port)")
            case .heldBy(let occupant):
                return note("port \(port) is held by \(occupant.description) (\(occupant.holderClass.label)); moved \(label) to \(offered)")
            }
        }
    }
}
