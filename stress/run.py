#!/usr/bin/env python3
"""Stress and fault injection for the styxy binary: concurrency, kill -9, full disk, read-only
state home, and a lock holder that never lets go.

    python3 stress/run.py --styxy .build/release/styxy [--quick] [--seed N]

Python 3.11 standard library only. Every scenario runs in its own temporary state home, with
temporary project folders and HOME pointed at a temporary folder; STYXY_* and XDG_* variables of
the caller are dropped. Every manifest uses an explicit `range:` in one band of ports that this
script claims with the same flock protocol the Swift tests use (TMPDIR/styxy-test-port-claims), so
a concurrent `swift test` leaves it alone. The plan of every scenario (projects, operations,
victims, kill delays) comes from one seeded random generator; what the kernel schedules does not.

One line per scenario, then exactly one summary line `stress: N passed, M failed[, K skipped]`.
Exit status 0 when nothing failed, 1 otherwise, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import collections
import errno
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

STYXY = ""  # absolute path of the binary under test, set by main()
BAND_SIZE = 256  # every manifest draws all its ports from these many ports
SERVICES = ("a", "b", "c")  # three services per project, one port each
MODES = ("start-up", "stampede", "holder", "temp file")  # how kill -9 trials pick their instants
TEMP_PREFIXES = (".ledger.json.tmp-", "ledger.json.bak.tmp-")

# Everything this script starts or changes outside its temp folder, undone by cleanup().
_children: list[subprocess.Popen] = []
_mounts: list[str] = []
_sockets: list[socket.socket] = []
_claims: list[int] = []


# ---------------------------------------------------------------------------------------------
# Plumbing: children, sandboxes, the port band


def cleanup() -> None:
    for child in _children:
        if child.poll() is None:
            try:
                child.kill()
            except OSError:
                pass
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    _children.clear()
    for sock in _sockets:
        sock.close()
    _sockets.clear()
    while _mounts:
        unmount(_mounts.pop())
    for fd in _claims:
        os.close(fd)
    _claims.clear()


def unmount(path: str) -> None:
    if subprocess.run(["umount", path], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", path], capture_output=True)


def forget(child: subprocess.Popen) -> None:
    try:
        _children.remove(child)
    except ValueError:
        pass


@dataclass
class Result:
    rc: int
    out: str
    err: str
    seconds: float

    def first_error(self) -> str:
        lines = [line for line in self.err.splitlines() if line.strip()]
        return lines[0] if lines else "(no message)"

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError:
            return None


class Child:
    """A styxy process whose output goes to files (never pipes: 64 at once must not block)."""

    def __init__(self, sandbox: "Sandbox", args: list[str], env: dict[str, str]):
        sandbox.serial += 1
        base = os.path.join(sandbox.logs, str(sandbox.serial))
        self.out_path, self.err_path = base + ".out", base + ".err"
        self.args = args
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.started = time.monotonic()
            self.proc = subprocess.Popen([STYXY, *args], env=env, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, cwd=sandbox.root)
        _children.append(self.proc)
        self.ended: float | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> bool:
        """True once it has exited (and was reaped)."""
        if self.ended is None and self.proc.poll() is not None:
            self.ended = time.monotonic()
        return self.ended is not None

    def kill(self) -> None:
        # Popen.kill reaps first, so a child that already exited is never signalled: a returncode of
        # -9 always means the SIGKILL landed on a live process.
        if not self.poll():
            self.proc.kill()

    def wait(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return False
        finally:
            self.poll()
            forget(self.proc)
        return True

    def result(self) -> Result:
        with open(self.out_path, encoding="utf-8", errors="replace") as f:
            out = f.read()
        with open(self.err_path, encoding="utf-8", errors="replace") as f:
            err = f.read()
        return Result(self.proc.returncode, out, err, (self.ended or time.monotonic()) - self.started)

    def has_lock_open(self, lock_path: str) -> bool:
        """True when the process has opened ledger.lock: it is in the lock's wait loop or holds it."""
        folder = f"/proc/{self.pid}/fd"
        try:
            for name in os.listdir(folder):
                try:
                    if os.readlink(os.path.join(folder, name)) == lock_path:
                        return True
                except OSError:
                    pass
        except OSError:
            pass
        return False


class Sandbox:
    """One scenario's world: a HOME, a state home, project folders, logs; all under one temp dir."""

    def __init__(self, name: str, parent: str, band: tuple[int, int]):
        self.root = tempfile.mkdtemp(prefix=f"{name}-", dir=parent)
        self.home = os.path.join(self.root, "home")
        self.projects = os.path.join(self.root, "projects")
        self.logs = os.path.join(self.root, "logs")
        for folder in (self.home, self.projects, self.logs):
            os.makedirs(folder, mode=0o700)
        self.state = os.path.join(self.root, "state")  # created by styxy itself
        self.band = band
        self.serial = 0
        self._env = {k: v for k, v in os.environ.items() if not k.startswith(("STYXY_", "XDG_"))}
        self._env.update(HOME=self.home, NO_COLOR="1", LC_ALL="C.UTF-8")

    @property
    def ledger(self) -> str:
        return os.path.join(self.state, "ledger.json")

    @property
    def backup(self) -> str:
        return os.path.join(self.state, "ledger.json.bak")

    @property
    def lock(self) -> str:
        return os.path.join(self.state, "ledger.lock")

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(self._env, STYXY_HOME=self.state)
        env.update(extra)
        return env

    def project(self, name: str, services: tuple[str, ...] = SERVICES) -> tuple[str, str]:
        """Creates a project folder whose services all draw from the band; (root, manifest)."""
        root = os.path.join(self.projects, name)
        os.makedirs(root, exist_ok=True)
        lo, hi = self.band
        lines = [f"project: {name}", "services:"]
        for service in services:
            lines += [f"  {service}:", f"    range: [{lo}, {hi}]"]
        path = os.path.join(root, "styxy.yaml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return os.path.realpath(root), path

    def spawn(self, args: list[str], **extra: str) -> Child:
        return Child(self, args, self.env(**extra))

    def styxy(self, args: list[str], timeout: float = 60, **extra: str) -> Result:
        child = self.spawn(args, **extra)
        if not child.wait(timeout):
            r = child.result()
            return Result(-999, r.out, r.err + f"\n(hung: killed after {timeout:.0f} s)", r.seconds)
        return child.result()

    def shorten(self, text: str) -> str:
        """A message with this sandbox's paths written as $STYXY_HOME and $SANDBOX."""
        return text.replace(self.state, "$STYXY_HOME").replace(self.root, "$SANDBOX")

    def ledger_bytes(self) -> bytes | None:
        try:
            with open(self.ledger, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def temp_files(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(self.state) if n.startswith(TEMP_PREFIXES))
        except FileNotFoundError:
            return []

    def render_temp_files(self) -> list[str]:
        try:
            return sorted(n for n in os.listdir(os.path.join(self.state, "renders")) if ".tmp-" in n)
        except FileNotFoundError:
            return []


class Gate:
    """The harness itself holding ledger.lock (flock LOCK_EX, its PID written like styxy does)."""

    def __init__(self, sandbox: Sandbox):
        os.makedirs(sandbox.state, mode=0o700, exist_ok=True)
        self.fd = os.open(sandbox.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def ephemeral_range() -> tuple[int, int] | None:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return None


def listening_ports() -> set[int]:
    ports = set()
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            with open(f"/proc/net/{table}") as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if len(fields) > 3:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def claim_band() -> tuple[int, int]:
    """A block of BAND_SIZE ports, claimed with the Swift tests' protocol: flock on one file per
    hundred ports in TMPDIR/styxy-test-port-claims, held until exit. Starts at 24000 and steps up
    by 300 ports, staying out of the kernel's ephemeral range when it can."""
    folder = os.path.join(tempfile.gettempdir(), "styxy-test-port-claims")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        usable = os.access(folder, os.R_OK | os.W_OK | os.X_OK)
    except OSError:
        usable = False  # another user's folder: no one to coordinate with, so claim nothing
    chunks = (BAND_SIZE + 99) // 100
    ephemeral = ephemeral_range()
    starts = list(range(240, 650 - chunks, chunks)) + list(range(150, 240, chunks))
    busy = listening_ports()
    # Outside the ephemeral range first; a manifest's own range may reach into it, so then anywhere.
    for start, avoid in [(x, True) for x in starts] + [(x, False) for x in starts]:
        lo, hi = start * 100, start * 100 + BAND_SIZE - 1
        if avoid and ephemeral and not (hi < ephemeral[0] or lo > ephemeral[1]):
            continue
        if any(p in busy for p in range(lo, hi + 1)):
            continue
        if not usable:
            return lo, hi
        held = []
        for chunk in range(start, start + chunks):
            fd = os.open(os.path.join(folder, str(chunk)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(fd)
            except OSError:
                os.close(fd)
                break
        if len(held) == chunks:
            _claims.extend(held)
            return lo, hi
        for fd in held:
            os.close(fd)
    raise RuntimeError("no free band of ports to claim")


# ---------------------------------------------------------------------------------------------
# The ledger as styxy reports it

Combo = tuple[str, str]  # (project root, instance)
Ports = dict[str, int]  # service -> port


@dataclass
class LedgerView:
    combos: dict[Combo, Ports]
    held: list[int]  # every held port, retired ports included

    def duplicates(self) -> dict[int, int]:
        return {p: n for p, n in collections.Counter(self.held).items() if n > 1}


def read_leases(sandbox: Sandbox) -> tuple[LedgerView | None, str]:
    """`lease ls --json`; (view, "") or (None, why)."""
    r = sandbox.styxy(["lease", "ls", "--json"])
    if r.rc != 0:
        return None, f"`lease ls --json` exited {r.rc}: {r.first_error()}"
    doc = r.json()
    if not isinstance(doc, dict) or not isinstance(doc.get("leases"), list):
        return None, "`lease ls --json` printed something that is not a lease list"
    combos: dict[Combo, Ports] = {}
    held = []
    for lease in doc["leases"]:
        combos.setdefault((lease["root"], lease["instance"]), {})[lease["service"]] = lease["port"]
        held.append(lease["port"])
        held += lease.get("retired_ports", [])
    return LedgerView(combos, held), ""


def flock_holders() -> set[int]:
    """PIDs holding a flock now (styxy takes one flock only: the ledger lock)."""
    try:
        with open("/proc/locks") as f:
            return {int(fields[4]) for fields in (line.split() for line in f)
                    if len(fields) > 4 and fields[1] == "FLOCK" and fields[4].isdigit()}
    except OSError:
        return set()


def temp_file_pid(name: str) -> int:
    """The writer's PID in `.ledger.json.tmp-PID-N` or `ledger.json.bak.tmp-PID`; 0 if none."""
    try:
        return int(name.split(".tmp-", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return 0


def parse_ledger_file(path: str) -> str | None:
    """None when the file is a whole Styxy ledger (or absent), else what is wrong."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    try:
        doc = json.loads(data)
    except ValueError as e:
        return f"{os.path.basename(path)} does not parse ({len(data)} bytes): {e}"
    if not isinstance(doc, dict) or doc.get("format") != "styxy-ledger" or not isinstance(doc.get("leases"), list):
        return f"{os.path.basename(path)} parses but is not a Styxy ledger"
    return None


def resolved_ports(r: Result) -> Ports | None:
    doc = r.json()
    if not isinstance(doc, dict):
        return None
    return {s["service"]: s["port"] for s in doc.get("services", [])}


# ---------------------------------------------------------------------------------------------
# Scenario bookkeeping


@dataclass
class Outcome:
    name: str
    status: str = "pass"  # pass, fail, skip
    summary: str = ""
    problems: list[str] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)

    def fail(self, problem: str) -> None:
        self.status = "fail"
        self.problems.append(problem)

    def check(self, ok: bool, problem: str) -> bool:
        if not ok:
            self.fail(problem)
        return ok


# ---------------------------------------------------------------------------------------------
# 1. Concurrency


def scenario_concurrency(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    o = Outcome("concurrency")
    rounds, per_round = 20, 64
    s = Sandbox("concurrency", parent, band)
    lo, hi = band

    # Foreign listeners inside the band, IPv4 and IPv6: no lease may land on them.
    foreign: set[int] = set()
    for port in rng.sample(range(lo, hi + 1), 24):
        if len(foreign) == 8:
            break
        family = socket.AF_INET6 if len(foreign) % 2 and socket.has_ipv6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
            sock.listen(8)
        except OSError:
            sock.close()
            continue
        _sockets.append(sock)
        foreign.add(port)

    capacity = (BAND_SIZE - len(foreign) - 24) // len(SERVICES)  # combos that always fit
    target = capacity * 2 // 3  # live combos to settle at: releases keep the range from filling
    model: dict[Combo, Ports] = {}
    manifests: dict[str, str] = {}  # root -> manifest
    counts = collections.Counter()
    slowest = 0.0
    generation = -1
    started = time.monotonic()

    for rnd in range(rounds):
        live = sorted(model)
        dup = 2
        new = min(per_round - dup if not live else 30, capacity - len(live))
        release = max(0, min(len(live), len(live) + new - target, per_round - dup - new))
        reresolve = min(len(live) - release, per_round - dup - new - release)
        to_release = rng.sample(live, release)
        rest = [c for c in live if c not in set(to_release)]
        to_reresolve = rng.sample(rest, reresolve)
        fresh: list[Combo] = []
        for i in range(new):
            if manifests and rng.random() < 0.3:  # another instance of a known project
                root = rng.choice(sorted(manifests))
                combo = (root, f"i{rnd}-{i}")
            else:
                root, manifest = s.project(f"r{rnd:02d}p{i:02d}")
                manifests[root] = manifest
                combo = (root, "default" if rng.random() < 0.75 else f"i{rnd}-{i}")
            fresh.append(combo)
        # A "twin" resolves a new project at the same moment as its "new": both must print the same ports.
        ops = ([("new", c) for c in fresh] + [("twin", c) for c in rng.sample(fresh, min(dup, len(fresh)))]
               + [("resolve", c) for c in to_reresolve] + [("release", c) for c in to_release])
        rng.shuffle(ops)

        gate = Gate(s) if rnd % 2 == 1 else None  # odd rounds: a stampede on the released lock
        children = []
        for kind, (root, instance) in ops:
            args = (["resolve", "-m", manifests[root], "--json"] if kind != "release"
                    else ["lease", "release", "-m", manifests[root], "--json"])
            args += ["--instance", instance]
            children.append(s.spawn(args))
        if gate:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(
                    c.poll() or c.has_lock_open(s.lock) for c, (k, _) in zip(children, ops) if k != "resolve"):
                time.sleep(0.005)
            gate.release()
        for child in children:
            if not child.wait(90):
                o.fail(f"round {rnd}: `styxy {' '.join(child.args)}` hung for 90 s")
        results = [c.result() for c in children]
        slowest = max([slowest] + [r.seconds for r in results])

        # Exit codes, printed ports, and the model of what the ledger must now hold.
        printed: dict[Combo, Ports] = {}
        uncertain: set[Combo] = set()  # touched by a process that failed: whatever the ledger says
        for (kind, combo), r in zip(ops, results):
            counts[kind] += 1
            what = f"round {rnd}: {kind} {os.path.basename(combo[0])}[{combo[1]}]"
            if r.rc != 0:
                uncertain.add(combo)
                reason = "no free port although the range is not exhausted" if r.rc == 69 else r.first_error()
                o.fail(f"{what} exited {r.rc}: {reason}")
                counts[f"exit {r.rc}"] += 1
                continue
            if kind == "release":
                doc = r.json() or {}
                got = {l["service"]: l["port"] for l in doc.get("released", []) if l.get("instance") == combo[1]}
                o.check(got == model.get(combo), f"{what} reported releasing {got}, the ledger had {model.get(combo)}")
                continue
            ports = resolved_ports(r)
            if not o.check(ports is not None and set(ports) == set(SERVICES), f"{what} printed no ports"):
                continue
            if kind == "resolve":
                o.check(ports == model[combo], f"{what} moved a stable lease: {model[combo]} -> {ports}")
            if combo in printed:
                o.check(printed[combo] == ports, f"{what}: two concurrent resolves of one project printed {printed[combo]} and {ports}")
            printed[combo] = ports
            for port in ports.values():
                o.check(lo <= port <= hi, f"{what} printed port {port}, outside the range {lo}-{hi}")
                o.check(port not in foreign, f"{what} was given port {port}, which a foreign listener holds")
        for kind, combo in ops:
            if kind == "release":
                model.pop(combo, None)
        model.update(printed)

        view, why = read_leases(s)
        if not o.check(view is not None, f"round {rnd}: {why}"):
            break
        dups = view.duplicates()
        o.check(not dups, f"round {rnd}: ports held twice in the ledger: {sorted(dups)}")
        counts["duplicates"] += len(dups)
        missing = [c for c in model if view.combos.get(c) != model[c] and c not in uncertain]
        extra = [c for c in view.combos if c not in model and c not in uncertain]
        for combo in missing[:5]:
            o.fail(f"round {rnd}: {os.path.basename(combo[0])}[{combo[1]}] should hold {model[combo]}, the ledger has {view.combos.get(combo)}")
        for combo in extra[:5]:
            o.fail(f"round {rnd}: the ledger holds {os.path.basename(combo[0])}[{combo[1]}] = {view.combos[combo]}, which was released or never committed")
        for combo in uncertain:
            model.pop(combo, None)
            if combo in view.combos:
                model[combo] = view.combos[combo]
        try:
            with open(s.ledger, "rb") as f:
                gen = json.loads(f.read())["generation"]
            o.check(gen > generation, f"round {rnd}: the ledger's generation went from {generation} to {gen}")
            generation = gen
        except (OSError, ValueError, KeyError) as e:
            o.fail(f"round {rnd}: the ledger file does not read: {e}")
        counts["peak leases"] = max(counts["peak leases"], len(view.held))

    elapsed = time.monotonic() - started
    runs = sum(counts[k] for k in ("new", "twin", "resolve", "release"))
    o.numbers = dict(rounds=rounds, processes=per_round, runs=runs, new=counts["new"], twins=counts["twin"], reresolve=counts["resolve"],
                     release=counts["release"], duplicates=counts["duplicates"], exit69=counts["exit 69"],
                     peak_leases=counts["peak leases"], foreign=len(foreign), slowest=slowest, seconds=elapsed)
    o.summary = (f"{rounds} rounds x {per_round} processes ({runs} runs: {counts['new']} new projects or instances, "
                 f"{counts['twin']} concurrent twins of them, {counts['resolve']} re-resolves, "
                 f"{counts['release']} releases) on {BAND_SIZE} ports {lo}-{hi} with {len(foreign)} foreign listeners; "
                 f"peak {counts['peak leases']} leases, {counts['duplicates']} duplicate ports, {counts['exit 69']} exit 69, "
                 f"slowest process {slowest:.2f} s, {elapsed:.1f} s")
    return o


# ---------------------------------------------------------------------------------------------
# 2. kill -9


def scenario_kill(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    o = Outcome("kill -9")
    trials = 60 if quick else 400
    s = Sandbox("kill", parent, band)
    lo, hi = band
    capacity = (BAND_SIZE - 30) // len(SERVICES)
    target = 24
    model: dict[Combo, Ports] = {}
    manifests: dict[str, str] = {}
    # The clean-up resolve after each trial: a project whose manifest gains and loses service "b" in
    # turn, so every resolve of it writes the ledger (and so removes stray temp files).
    sweep_root = os.path.realpath(os.path.join(s.projects, "sweeper"))
    n = collections.Counter()
    hold_times: list[float] = []  # how long writers were seen holding the lock
    started = time.monotonic()

    for trial in range(trials):
        t_trial = time.monotonic()
        live = sorted(model)
        size = rng.randint(4, 10)
        releases = rng.sample(live, min(len(live), rng.randint(0, 3) + max(0, len(live) - target) // 4))
        rest = [c for c in live if c not in set(releases)]
        reresolves = rng.sample(rest, min(len(rest), rng.randint(0, 3)))
        new = max(1, min(size - len(releases) - len(reresolves), capacity - len(live)))
        fresh = []
        for i in range(new):
            if manifests and rng.random() < 0.3:
                combo = (rng.choice(sorted(manifests)), f"k{trial}-{i}")
            else:
                root, manifest = s.project(f"t{trial:03d}p{i}")
                manifests[root] = manifest
                combo = (root, "default")
            fresh.append(combo)
        ops = [("new", c) for c in fresh] + [("resolve", c) for c in reresolves] + [("release", c) for c in releases]
        rng.shuffle(ops)
        victims = set(rng.sample(range(len(ops)), max(1, len(ops) // 2)))
        # Four ways to pick the instant, one trial in four each:
        #   start-up:  0-40 ms after the victim's spawn;
        #   stampede:  the harness holds the lock until every writer waits for it, then lets go; victims
        #              die -10..40 ms from that moment (negative: while the harness still holds it);
        #   holder:    the same gate; a victim dies a random fraction of the recent median lock-hold
        #              time after /proc/locks first shows it holding the ledger lock;
        #   temp file: the same gate; a victim dies as soon as its `.ledger.json.tmp-PID-*` appears
        #              (between creating the temp file and renaming it: the middle of the write).
        mode = MODES[trial % len(MODES)]
        delays = {i: rng.uniform(-0.010 if mode == "stampede" else 0.0, 0.040) for i in victims}
        if mode == "holder":
            recent = sorted(hold_times[-25:])
            window = recent[len(recent) // 2] if recent else 0.005
            delays = {i: rng.random() * window for i in victims}

        gate = Gate(s) if mode != "start-up" else None
        children = []
        for kind, (root, instance) in ops:
            args = (["resolve", "-m", manifests[root], "--json"] if kind != "release"
                    else ["lease", "release", "-m", manifests[root], "--json"])
            children.append(s.spawn(args + ["--instance", instance]))
        due: dict[int, float] = {}
        if gate:
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not all(
                    c.poll() or c.has_lock_open(s.lock) for c, (k, _) in zip(children, ops) if k != "resolve"):
                time.sleep(0.002)
            opened = time.monotonic()
            if mode == "stampede":
                for i in [i for i in victims if delays[i] < 0]:
                    if not children[i].poll():
                        children[i].kill()
                        n["killed waiting on the harness"] += 1
                due = {i: opened + max(0.0, d) for i, d in delays.items() if d >= 0}
            gate.release()
        else:
            due = {i: children[i].started + d for i, d in delays.items()}
        hunted = {children[i].pid: i for i in victims} if mode in ("holder", "temp file") else {}
        index_of = {c.pid: i for i, c in enumerate(children)}
        first_held: dict[int, float] = {}  # pid -> first and last time /proc/locks showed it holding the lock
        last_held: dict[int, float] = {}
        held_lock: dict[int, bool] = {}  # victim -> it held the ledger lock when the SIGKILL went out

        # Kill on schedule; meanwhile any reader at any instant must see a whole ledger.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(c.poll() for c in children):
            now = time.monotonic()
            if gate:
                for pid in flock_holders() & index_of.keys():
                    first_held.setdefault(pid, now)
                    last_held[pid] = now
                    if mode == "holder" and pid in hunted:
                        i = hunted.pop(pid)
                        due[i] = now + delays[i]
            if mode == "temp file":
                for name in s.temp_files():
                    pid = temp_file_pid(name)
                    if pid in hunted:
                        due[hunted.pop(pid)] = now
            for i in [i for i, t in due.items() if t <= now]:
                if not children[i].poll():
                    held_lock[i] = children[i].pid in flock_holders()
                    children[i].kill()
                del due[i]
            problem = parse_ledger_file(s.ledger)
            n["reads"] += 1
            if problem:
                o.fail(f"trial {trial}: a reader saw a torn ledger: {problem}")
                n["torn"] += 1
            time.sleep(0.0005)
        for child in children:
            if not child.wait(30):
                o.fail(f"trial {trial}: `styxy {' '.join(child.args)}` hung")
        results = [c.result() for c in children]
        for pid, first in first_held.items():
            if children[index_of[pid]].proc.returncode == 0:
                hold_times.append(last_held[pid] - first)

        # The ledger parses, and its backup too.
        for path in (s.ledger, s.backup):
            problem = parse_ledger_file(path)
            o.check(problem is None, f"trial {trial}: {problem}")
        view, why = read_leases(s)
        if not o.check(view is not None, f"trial {trial}: {why}"):
            break
        dups = view.duplicates()
        o.check(not dups, f"trial {trial}: ports held twice: {sorted(dups)}")
        view.combos.pop((sweep_root, "default"), None)

        # Reconcile each touched combo with what its process did.
        touched = set()
        for index, ((kind, combo), r) in enumerate(zip(ops, results)):
            touched.add(combo)
            name = f"trial {trial}: {kind} {os.path.basename(combo[0])}[{combo[1]}]"
            now_ports = view.combos.get(combo)
            before = model.get(combo)
            n["processes"] += 1
            if r.rc == -signal.SIGKILL:
                n["killed"] += 1
                n[f"killed {mode}"] += 1
                n["killed holding the lock"] += held_lock.get(index, False)
                if now_ports is not None:
                    o.check(set(now_ports) == set(SERVICES), f"{name} (killed) left a partial project: {now_ports}")
                    o.check(before is None or now_ports == before, f"{name} (killed) changed committed ports {before} -> {now_ports}")
                    if before is None:
                        n["killed after commit"] += 1
                        model[combo] = now_ports
                else:
                    if kind == "resolve":
                        o.fail(f"{name} (killed) lost the committed lease {before}")
                    elif kind == "release" and before is not None:
                        n["killed after commit"] += 1
                    model.pop(combo, None)
                continue
            if r.rc != 0:
                o.fail(f"{name} exited {r.rc}: {r.first_error()}")
                model.pop(combo, None)
                if now_ports:
                    model[combo] = now_ports
                continue
            n["completed"] += 1
            if kind == "release":
                o.check(now_ports is None, f"{name} exited 0 but the ledger still holds {now_ports}")
                model.pop(combo, None)
                continue
            ports = resolved_ports(r)
            if not o.check(ports is not None, f"{name} exited 0 without printing its ports"):
                continue
            o.check(before is None or ports == before, f"{name} moved a committed lease {before} -> {ports}")
            o.check(all(lo <= p <= hi for p in ports.values()), f"{name} printed ports outside {lo}-{hi}: {ports}")
            o.check(now_ports == ports, f"{name} printed {ports}, the ledger holds {now_ports}")
            model[combo] = ports
        for combo, ports in list(model.items()):
            if combo not in touched and view.combos.get(combo) != ports:
                o.fail(f"trial {trial}: untouched {os.path.basename(combo[0])}[{combo[1]}] lost its lease: {ports} -> {view.combos.get(combo)}")
                model[combo] = view.combos.get(combo) or ports
        for combo in view.combos:
            if combo not in model:
                o.fail(f"trial {trial}: the ledger holds {os.path.basename(combo[0])}[{combo[1]}] that no process committed")
                model[combo] = view.combos[combo]

        # Writers killed between creating a temp file and renaming it leave one behind; the next write
        # removes it.
        strays = s.temp_files()
        if strays:
            n["trials with strays"] += 1
            n["strays"] += len(strays)
        _, sweep_manifest = s.project("sweeper", ("a", "b") if trial % 2 else ("a",))
        r = s.styxy(["resolve", "-m", sweep_manifest, "--json"])
        if o.check(r.rc == 0, f"trial {trial}: the clean-up resolve exited {r.rc}: {r.first_error()}"):
            o.check((r.json() or {}).get("ledger_changed") is True, f"trial {trial}: the clean-up resolve wrote nothing")
            left = s.temp_files()
            if not o.check(not left, f"trial {trial}: temp files survived the next successful resolve: {left}"):
                n["strays survived"] += len(left)
        n[f"seconds {mode}"] += time.monotonic() - t_trial
        if len(o.problems) > 40:
            o.problems.append("(stopped after 40 problems)")
            break

    n["render strays"] = len(s.render_temp_files())
    elapsed = time.monotonic() - started
    o.numbers = dict(n, trials=trials, seconds=elapsed,
                     hold_ms=1000 * sorted(hold_times)[len(hold_times) // 2] if hold_times else 0)
    o.summary = (f"{trials} trials, {n['processes']} processes, {n['killed']} killed ({n['killed start-up']} at start-up, "
                 f"{n['killed stampede']} in a lock stampede, {n['killed holder']} while holding the lock, "
                 f"{n['killed temp file']} on seeing their temp file); {n['killed holding the lock']} died holding the lock, "
                 f"{n['trials with strays']} trials with a kill mid-write ({n['strays']} temp files left, "
                 f"{n['strays survived'] or 'none'} still there after the next write), {n['killed after commit']} after their change was committed; {n['reads']} concurrent reads, "
                 f"{n['torn']} torn; {n['render strays']} render-cache temp files left; {elapsed:.1f} s")
    return o


# ---------------------------------------------------------------------------------------------
# 3. Full disk and read-only state home


def can_mount() -> str | None:
    """None when this process may mount, else why not."""
    if os.geteuid() != 0:
        return "not running as root"
    if not shutil.which("mount") or not shutil.which("umount"):
        return "no mount/umount command"
    return None


def fill(folder: str, name: str) -> int:
    """Writes files in `folder` until the file system says ENOSPC; the bytes written."""
    total = 0
    fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for size in (1 << 16, 4096, 512, 1):
            block = b"\0" * size
            while True:
                try:
                    written = os.write(fd, block)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
                total += written
                if written < size:
                    break
    finally:
        os.close(fd)
    # Small files too, in case a page is left over somewhere.
    for i in range(64):
        try:
            with open(os.path.join(folder, f"{name}-{i}"), "wb") as f:
                f.write(b"x" * 4096)
        except OSError:
            break
    return total


def skipped_without_mounts(o: Outcome) -> bool:
    """Marks `o` skipped, with the reason, when this machine cannot mount the file systems a
    fault scenario needs."""
    why = can_mount()
    if why:
        o.status, o.summary = "skip", why
    return bool(why)


def lease_projects(o: Outcome, s: "Sandbox", names: list) -> list | None:
    """Resolves a fresh project per name, so the scenario starts from a ledger with leases; their
    manifests, or None (with the failure recorded in `o`) when a resolve fails."""
    manifests = []
    for name in names:
        manifests.append(s.project(name)[1])
        r = s.styxy(["resolve", "-m", manifests[-1]])
        if not o.check(r.rc == 0, f"setup resolve exited {r.rc}: {r.first_error()}"):
            return None
    return manifests


def scenario_full_disk(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    o = Outcome("full disk")
    if skipped_without_mounts(o):
        return o
    s = Sandbox("fulldisk", parent, band)
    disk = os.path.join(s.root, "disk")
    os.makedirs(disk)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", disk], capture_output=True, text=True)
    if r.returncode != 0:
        o.status, o.summary = "skip", f"cannot mount a tmpfs: {r.stderr.strip() or r.returncode}"
        return o
    _mounts.append(disk)
    try:
        s.state = os.path.join(disk, "state")
        names = [f"before{i}" for i in range(rng.randint(3, 6))]
        if lease_projects(o, s, names) is None:
            return o
        view_before, _ = read_leases(s)
        before = s.ledger_bytes()
        filled = fill(disk, "filler")
        # Each write first turns ledger.json.bak into a second name of the current ledger, which frees
        # the generation before (and those pages on a tmpfs). A newcomer with 16 services needs a
        # ledger at least one page larger than that generation, so its write cannot fit.
        _, new_manifest = s.project("newcomer", tuple(f"s{i:02d}" for i in range(16)))

        r = s.styxy(["resolve", "-m", new_manifest])
        o.check(r.rc == 74, f"resolve of a new project on a full disk exited {r.rc}, not 74: {r.err.strip()}")
        o.check(s.ledger in r.err, f"the message does not name the ledger: {r.err.strip()}")
        o.check("space" in r.err.lower(), f"the message does not say the disk is full: {r.err.strip()}")
        message = s.shorten(r.first_error())
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed although the write failed")
        o.check(parse_ledger_file(s.ledger) is None, "the ledger no longer parses")
        o.check(not s.temp_files(), f"the failed write left temp files: {s.temp_files()}")

        filled += fill(disk, "filler-again")  # what the failed write freed
        r = s.styxy(["lease", "release", "-m", s.project(names[0])[1]])
        o.check(r.rc == 74, f"lease release on a full disk exited {r.rc}, not 74: {r.err.strip()}")
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed after a failed release")
        view, why = read_leases(s)
        o.check(view is not None and view_before is not None and view.combos == view_before.combos,
                f"lease ls on a full disk: {why or 'the leases changed'}")
        r = s.styxy(["resolve", "-m", s.project(names[-1])[1]])
        o.check(r.rc == 0, f"a resolve that changes nothing failed on a full disk: exit {r.rc}: {r.first_error()}")

        for name in os.listdir(disk):
            if name.startswith("filler"):
                os.unlink(os.path.join(disk, name))
        r = s.styxy(["resolve", "-m", new_manifest, "--json"])
        ok = o.check(r.rc == 0, f"resolve after freeing space exited {r.rc}: {r.first_error()}")
        view, why = read_leases(s)
        if ok and o.check(view is not None, why):
            o.check(view.combos.get((os.path.realpath(os.path.dirname(new_manifest)), "default")) == resolved_ports(r),
                    "the lease taken after freeing space is not in the ledger")
        o.summary = f"{len(names)} projects leased, tmpfs of 256 KiB filled ({filled} bytes); exit 74: \"{message}\"; ledger unchanged; works again once space is freed"
    finally:
        _mounts.remove(disk)
        unmount(disk)
    return o


def scenario_read_only(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    o = Outcome("read-only state home")
    if skipped_without_mounts(o):
        return o
    s = Sandbox("readonly", parent, band)
    names = [f"before{i}" for i in range(3)]
    if lease_projects(o, s, names) is None:
        return o
    before = s.ledger_bytes()
    view_before, _ = read_leases(s)
    r = subprocess.run(["mount", "--bind", s.state, s.state], capture_output=True, text=True)
    if r.returncode != 0:
        o.status, o.summary = "skip", f"cannot bind-mount the state home: {r.stderr.strip() or r.returncode}"
        return o
    _mounts.append(s.state)
    try:
        r = subprocess.run(["mount", "-o", "remount,ro,bind", s.state], capture_output=True, text=True)
        if r.returncode != 0:
            o.status, o.summary = "skip", f"cannot remount the state home read-only: {r.stderr.strip() or r.returncode}"
            return o
        try:
            with open(os.path.join(s.state, "probe"), "w"):
                pass
            o.status, o.summary = "skip", "the read-only remount still accepts writes"
            return o
        except OSError:
            pass
        _, new_manifest = s.project("newcomer")
        r = s.styxy(["resolve", "-m", new_manifest])
        o.check(r.rc == 74, f"resolve of a new project on a read-only state home exited {r.rc}, not 74: {r.err.strip()}")
        o.check(s.state in r.err, f"the message names no file of the state home: {r.err.strip()}")
        o.check("read-only" in r.err.lower(), f"the message does not say read-only: {r.err.strip()}")
        message = s.shorten(r.first_error())
        r = s.styxy(["lease", "release", "-m", s.project(names[0])[1]])
        o.check(r.rc == 74, f"lease release on a read-only state home exited {r.rc}, not 74: {r.err.strip()}")
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed")
        view, why = read_leases(s)
        o.check(view is not None and view_before is not None and view.combos == view_before.combos,
                f"lease ls on a read-only state home: {why or 'the leases changed'}")
        r = s.styxy(["resolve", "-m", s.project(names[1])[1]])
        o.check(r.rc == 0, f"a resolve that changes nothing failed on a read-only state home: exit {r.rc}: {r.first_error()}")
    finally:
        _mounts.remove(s.state)
        unmount(s.state)
    r = s.styxy(["resolve", "-m", new_manifest])
    o.check(r.rc == 0, f"resolve after the state home is writable again exited {r.rc}: {r.first_error()}")
    o.check(not s.temp_files(), f"temp files left: {s.temp_files()}")
    o.summary = f"read-only bind mount over the state home: exit 74: \"{message}\"; reads and unchanged resolves still work; ledger unchanged; works again once writable"
    return o


# ---------------------------------------------------------------------------------------------
# 4. A lock holder that never lets go

HOLDER = r"""
import fcntl, os, signal, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
if sys.argv[2] == "write-pid":  # like styxy; flock(1) and other tools write nothing
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
print("locked", flush=True)
while True:
    signal.pause()
"""



def start_lock_holder(s, mode):
    """A child that takes the ledger lock and keeps it ("write-pid": writes its PID like Styxy)."""
    script = os.path.join(s.root, "hold-the-lock.py")
    with open(script, "w") as f:
        f.write(HOLDER)
    holder = subprocess.Popen([sys.executable, script, s.lock, mode], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True)
    _children.append(holder)
    return holder

def scenario_lock_holder(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    o = Outcome("lock holder")
    s = Sandbox("lockholder", parent, band)
    manifests = lease_projects(o, s, ["first"])
    if manifests is None:
        return o
    first = manifests[0]
    before = s.ledger_bytes()
    holder = start_lock_holder(s, "write-pid")
    try:
        if not o.check(holder.stdout.readline().strip() == "locked", "the holder could not take the lock"):
            return o
        _, second = s.project("second")
        r = s.styxy(["resolve", "-m", second], STYXY_LOCK_TIMEOUT="500ms")
        o.check(r.rc == 75, f"resolve against a stuck lock exited {r.rc}, not 75: {r.err.strip()}")
        o.check(0.45 <= r.seconds <= 2.0, f"resolve gave up after {r.seconds:.2f} s, not about 0.5 s")
        o.check(f"PID {holder.pid}" in r.err, f"the message does not name the holder PID {holder.pid}: {r.err.strip()}")
        message, waited = s.shorten(r.first_error()), r.seconds
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed")
        r = s.styxy(["lease", "release", "-m", first], STYXY_LOCK_TIMEOUT="200ms")
        o.check(r.rc == 75, f"lease release against a stuck lock exited {r.rc}, not 75: {r.err.strip()}")
        view, why = read_leases(s)
        o.check(view is not None and len(view.combos) == 1, f"lease ls while the lock is held: {why or view.combos}")
        r = s.styxy(["resolve", "-m", first], STYXY_LOCK_TIMEOUT="200ms")
        o.check(r.rc == 0, f"a resolve that changes nothing needs no lock, but exited {r.rc}: {r.first_error()}")
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed")
    finally:
        holder.kill()
        holder.wait()
        forget(holder)
    r = s.styxy(["resolve", "-m", second, "--json"], STYXY_LOCK_TIMEOUT="2s")
    o.check(r.rc == 0, f"resolve once the holder is gone exited {r.rc}: {r.first_error()}")
    view, why = read_leases(s)
    o.check(view is not None and len(view.combos) == 2, f"after the holder died: {why or view.combos}")
    o.summary = f"exit 75 after {waited:.2f} s with STYXY_LOCK_TIMEOUT=500ms: \"{message}\"; ledger unchanged; reads work; next resolve succeeds once the holder dies"
    return o


def scenario_silent_lock_holder(parent: str, band: tuple[int, int], rng: random.Random, quick: bool) -> Outcome:
    """The lock taken by something that does not write its PID (flock(1), an editor, a backup tool):
    ledger.lock still holds the PID of the last styxy that wrote, long gone. DESIGN.md section 3
    promises an error naming the holder's PID; naming the stale one would send the user after a
    dead (or, once reused, an innocent) process. /proc/locks knows the real holder."""
    o = Outcome("lock holder writing no PID")
    s = Sandbox("silentholder", parent, band)
    manifests = lease_projects(o, s, ["first"])
    if manifests is None:
        return o
    first = manifests[0]
    with open(s.lock) as f:
        stale = f.read().strip()
    before = s.ledger_bytes()
    holder = start_lock_holder(s, "silent")
    try:
        if not o.check(holder.stdout.readline().strip() == "locked", "the holder could not take the lock"):
            return o
        _, second = s.project("second")
        r = s.styxy(["resolve", "-m", second], STYXY_LOCK_TIMEOUT="500ms")
        o.check(r.rc == 75, f"resolve against a stuck lock exited {r.rc}, not 75: {r.err.strip()}")
        o.check(f"PID {holder.pid}" in r.err,
                f"the message does not name the holder (PID {holder.pid}){f', but the stale PID {stale} of an exited styxy' if f'PID {stale}' in r.err else ''}: {s.shorten(r.first_error())}")
        o.check(s.ledger_bytes() == before, "the ledger's bytes changed")
        message = s.shorten(r.first_error())
    finally:
        holder.kill()
        holder.wait()
        forget(holder)
    r = s.styxy(["resolve", "-m", second], STYXY_LOCK_TIMEOUT="2s")
    o.check(r.rc == 0, f"resolve once the holder is gone exited {r.rc}: {r.first_error()}")
    o.summary = f"exit 75: \"{message}\""
    return o


# ---------------------------------------------------------------------------------------------


SCENARIOS = [scenario_concurrency, scenario_kill, scenario_full_disk, scenario_read_only, scenario_lock_holder,
             scenario_silent_lock_holder]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--styxy", required=True, help="the styxy binary to test")
    parser.add_argument("--quick", action="store_true", help="the CI size (about a minute)")
    parser.add_argument("--seed", type=int, help="seed of every random choice (default: from the clock)")
    parser.add_argument("--only", action="append", help=argparse.SUPPRESS)  # a scenario name prefix, for debugging
    args = parser.parse_args()

    global STYXY
    STYXY = os.path.abspath(args.styxy)
    if not os.access(STYXY, os.X_OK):
        print(f"stress: {args.styxy} is not an executable", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else int(time.time() * 1000) % 1_000_000
    print(f"stress: seed {seed} ({'quick' if args.quick else 'full'}; rerun with --seed {seed}), binary {STYXY}", flush=True)

    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, terminate)

    outcomes: list[Outcome] = []
    parent = tempfile.mkdtemp(prefix="styxy-stress-")
    started = time.monotonic()
    try:
        band = claim_band()
        for index, scenario in enumerate(SCENARIOS):
            rng = random.Random(seed * 100 + index)
            name = scenario.__name__.removeprefix("scenario_")
            if args.only and not any(name.startswith(x) for x in args.only):
                continue
            t0 = time.monotonic()
            try:
                outcome = scenario(parent, band, rng, args.quick)
            except Exception as e:  # a harness error is a failure too, never a silent pass
                outcome = Outcome(name)
                outcome.fail(f"harness error: {type(e).__name__}: {e}")
            finally:
                cleanup_children()
            label = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[outcome.status]
            print(f"{outcome.name}: {label} - {outcome.summary or 'see problems'} [{time.monotonic() - t0:.1f} s]", flush=True)
            for problem in outcome.problems[:25]:
                print(f"  {problem}", flush=True)
            if len(outcome.problems) > 25:
                print(f"  ... and {len(outcome.problems) - 25} more", flush=True)
            outcomes.append(outcome)
    except KeyboardInterrupt as e:
        print(f"stress: interrupted ({e})", flush=True)
        outcomes.append(Outcome("interrupted", "fail"))
    finally:
        cleanup()
        shutil.rmtree(parent, ignore_errors=True)
    passed = sum(o.status == "pass" for o in outcomes)
    failed = sum(o.status == "fail" for o in outcomes)
    skipped = sum(o.status == "skip" for o in outcomes)
    print(f"(wall time {time.monotonic() - started:.1f} s)", flush=True)
    print(f"stress: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
    return 1 if failed else 0


def cleanup_children() -> None:
    for child in list(_children):
        if child.poll() is None:
            child.kill()
            child.wait()
        forget(child)
    for sock in _sockets:
        sock.close()
    _sockets.clear()


if __name__ == "__main__":
    sys.exit(main())
