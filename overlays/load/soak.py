"""The soak's memory watch: every service process's resident set size (RSS), sampled at the start
and every 30 s, then a table and whether each stayed flat.

A service is found by the port it listens on, not by its process name: the sockets in LISTEN
state on that port (/proc/net/tcp and tcp6) and the processes holding them (/proc/<pid>/fd).
Several processes on one socket (workers, a master) are summed. This reads the local /proc, so
it sees the stack only when the gateway runs on this machine."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

# The ports of `make up` (each service's default): the consumer has no API, so its health port.
PORTS = {
    "users": 8000,
    "trainings": 8003,
    "goals": 8004,
    "metrics": 8005,
    "metrics-consumer": 8006,
    "authentication": 8002,
    "payment": 8020,
}
INTERVAL = 30.0
WARM_UP = 120.0
# Flat: after the warm-up, the RSS grew by less than 10 % of its warm-up value or by less than
# 5 MiB, whichever allows more (allocator arenas and caches settle in steps of a few MiB).
FLAT_RATIO = 0.10
FLAT_MIB = 5.0
LISTEN = "0A"


def listening_inodes(port: int) -> set[int]:
    """The inodes of the TCP sockets listening on `port` (any address, IPv4 or IPv6)."""
    inodes: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == LISTEN and int(local.rsplit(":", 1)[1], 16) == port and inode:
                inodes.add(inode)
    return inodes


def socket_holders() -> dict[int, set[int]]:
    """Every socket inode this user can see, with the pids holding it."""
    holders: dict[int, set[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry.name}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{entry.name}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                holders.setdefault(int(target[8:-1]), set()).add(int(entry.name))
    return holders


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Sample:
    at: float
    rss: dict[str, float | None]
    pids: dict[str, frozenset[int]]


def sample(at: float) -> Sample:
    holders = socket_holders()
    rss: dict[str, float | None] = {}
    pids: dict[str, frozenset[int]] = {}
    for service, port in PORTS.items():
        found = frozenset(
            pid for inode in listening_inodes(port) for pid in holders.get(inode, set())
        )
        sizes = [size for size in map(rss_mib, found) if size is not None]
        rss[service] = sum(sizes) if sizes else None
        pids[service] = found
    return Sample(at, rss, pids)


@dataclass
class Watch:
    """Collects the samples; `line` and `report` print them."""

    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)

    def take(self) -> Sample:
        taken = sample(time.monotonic() - self.started)
        self.samples.append(taken)
        return taken

    @staticmethod
    def line(taken: Sample) -> str:
        cells = " ".join(f"{name}={_mib(size)}" for name, size in taken.rss.items())
        return f"soak t={taken.at:4.0f}s RSS MiB: {cells}"

    def report(self) -> str:
        names = list(PORTS)
        rows = [
            f"{'t (s)':>6} " + " ".join(f"{name:>16}" for name in names),
            *(
                f"{s.at:6.0f} " + " ".join(f"{_mib(s.rss[name]):>16}" for name in names)
                for s in self.samples
            ),
            "",
            f"Flat rule: from the first sample at or after {WARM_UP:.0f} s (warm-up) to the last,"
            f" growth under {FLAT_RATIO:.0%} or under {FLAT_MIB:.0f} MiB.",
            f"{'service':<17}{'start':>8}{'warm-up':>9}{'end':>8}{'max':>8}{'growth':>16}  verdict",
        ]
        for name in names:
            rows.append(f"{name:<17}" + self._verdict(name))
        return "\n".join(rows)

    def _verdict(self, name: str) -> str:
        seen = [s for s in self.samples if s.rss[name] is not None]
        if not seen:
            dashes = f"{'-':>8}{'-':>9}{'-':>8}{'-':>8}{'-':>16}"
            return f"{dashes}  not found (nothing listens on :{PORTS[name]})"
        warm = next((s for s in seen if s.at >= WARM_UP), None)
        start, end = seen[0], seen[-1]
        peak = max(s.rss[name] or 0.0 for s in seen)
        cells = f"{_mib(start.rss[name]):>8}"
        if warm is None or warm is end:
            return (
                cells + f"{'-':>9}{_mib(end.rss[name]):>8}{peak:>8.1f}{'-':>16}  too short to judge"
            )
        base, last = warm.rss[name] or 0.0, end.rss[name] or 0.0
        growth = last - base
        flat = growth < FLAT_MIB or growth < FLAT_RATIO * base
        restarted = len({s.pids[name] for s in seen}) > 1
        verdict = "flat" if flat else "GREW"
        if restarted:
            verdict += " (its pid changed: restarted during the soak)"
        change = f"{growth:+.1f} ({growth / base:+.1%})" if base else f"{growth:+.1f}"
        return cells + f"{base:>9.1f}{last:>8.1f}{peak:>8.1f}{change:>16}  {verdict}"

    def all_flat(self) -> bool:
        return all("GREW" not in self._verdict(name) for name in PORTS)


def _mib(size: float | None) -> str:
    return "-" if size is None else f"{size:.1f}"
