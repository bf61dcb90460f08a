import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ManyProcesses {
    /// Resolves killed with SIGKILL at random instants: the ledger is always whole, and nothing a
    /// finished resolve reported is ever lost.
    @Suite("kill -9")
    struct KillTorture {
        @Test func randomKillsNeverTearTheLedgerOrLoseACommittedLease() throws {
            let s = try Sandbox()
            let rounds = 16, perRound = 8, services = 3
            let block = try PortBlocks.reserve(rounds * perRound * services + 32)
            var committed: [String: Int] = [:]  // "root/service" → port, from resolves that exited 0
            var killed = 0, finished = 0, reads = 0, killedAfterCommit = 0
            // Round 0 kills nothing and measures how long a round of resolves takes. Odd rounds kill
            // within 0-30 ms of the start. Even rounds first hold the ledger lock until every resolve
            // waits for it, then let go and kill at a random instant of the following round's length:
            // the writes all happen in that stretch, so kills hit lock holders and writers, not only
            // start-up (which is all that 30 ms reaches on a slow machine).
            var lifetime = 0.1

            for round in 0..<rounds {
                let manifests = try (0..<perRound).map { try s.project("r\(round)p\($0)", ManyProcesses.services(services, in: block)) }
                let gated = round > 0 && round % 2 == 0
                let gate = gated ? open(s.lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) : -1
                if gated { #expect(gate >= 0 && flock(gate, LOCK_EX) == 0) }
                let children = try manifests.map { try s.spawn(["resolve", "-m", $0, "--json"]) }
                if gated {
                    usleep(UInt32(min(2.0, max(0.1, lifetime * 1.5)) * 1e6))
                    close(gate)
                }
                let window = gated ? max(0.030, lifetime) : 0.030
                var victims = round == 0 ? [:] : Dictionary(uniqueKeysWithValues: children.indices.shuffled().prefix(perRound / 2).map { ($0, Double.random(in: 0...window)) })
                let start = Date()
                let deadline = start.addingTimeInterval(60)
                var torn = 0
                while children.contains(where: { !$0.poll() }) && Date() < deadline {
                    let elapsed = Date().timeIntervalSince(start)
                    for (index, delay) in victims where delay <= elapsed {
                        children[index].kill()
                        victims[index] = nil
                    }
                    // Any reader at any instant sees a whole ledger.
                    if let bytes = s.ledgerBytes() {
                        if (try? JSONSerialization.jsonObject(with: bytes)) == nil { torn += 1 }
                        reads += 1
                    }
                    usleep(500)
                }
                #expect(torn == 0, "round \(round): \(torn) reads saw a ledger that does not parse")
                for child in children { #expect(child.wait(timeout: 10), "round \(round): a resolve hung") }
                if round == 0 { lifetime = Date().timeIntervalSince(start) }

                var killedRoots: [String] = []
                for (index, child) in children.enumerated() {
                    let result = child.result()
                    if result.status == 128 + SIGKILL { killed += 1; killedRoots.append(s.projectRoot("r\(round)p\(index)")); continue }
                    #expect(result.status == 0, "round \(round) p\(index): \(result)")
                    guard result.status == 0 else { continue }
                    finished += 1
                    for (name, port) in try result.ports() {
                        let key = "\(s.projectRoot("r\(round)p\(index)"))/\(name)"
                        #expect(committed[key] == nil || committed[key] == port)
                        committed[key] = port
                    }
                }
                let leases = try Self.verify(s, committed: committed, round: round)
                killedAfterCommit += killedRoots.filter { root in leases.contains { $0.root == root } }.count
            }
            print("kill -9 torture: \(killed) killed, \(finished) finished, \(reads) ledger reads, \(killedAfterCommit) killed after their write; a round lasts \(Int(lifetime * 1000)) ms")
            #expect(killed > 0, "no resolve was ever killed mid-run")
            #expect(finished > 0, "no resolve ever finished")
            #expect(reads > 0)

            // One more successful resolve cleans up what killed writers left behind.
            let last = try s.resolve(try s.project("last", ManyProcesses.services(services, in: block)))
            #expect(last.count == services)
            let strays = s.stateFiles().filter { $0.hasPrefix(".ledger.json.tmp-") || $0.hasPrefix("ledger.json.bak.tmp-") }
            #expect(strays.isEmpty, "temporary files left in the state home: \(strays)")
            try Self.verify(s, committed: committed, round: rounds)
        }

        /// The ledger parses, holds every committed lease at its port, and no port twice.
        @discardableResult
        static func verify(_ s: Sandbox, committed: [String: Int], round: Int) throws -> [[String: Any]] {
            let leases = try s.leases()
            var ledger: [String: Int] = [:]
            for lease in leases { ledger["\(lease.root)/\(lease.service).default"] = lease.port }
            for (key, port) in committed {
                #expect(ledger[key] == port, "round \(round): \(key) was reported at \(port), the ledger has \(String(describing: ledger[key]))")
            }
            let ports = leases.compactMap(\.port)
            #expect(Set(ports).count == ports.count, "round \(round): a port is leased twice")
            if let backup = FileManager.default.contents(atPath: s.home + "/ledger.json.bak") {
                #expect((try? JSONSerialization.jsonObject(with: backup)) != nil, "round \(round): the backup does not parse")
            }
            return leases
        }
    }
}
