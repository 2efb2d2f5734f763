"""What every service's benchmark needs: wrk as the load generator (C, so the client is not the
bottleneck the way a Python loop is), a uvicorn launcher that serves an app exactly as the
service's own entry point does, and side-by-side ratios.

Declared glue (ARCHITECTURE.md): this file is identical in every service's bench/ folder, and
overlays/check_glue.py fails when one copy differs. Change every copy in one commit.

A comparison is only meaningful within one run on one machine: `compare` measures the candidate
and its reference alternately (which goes first changes every round), `rounds` times each, and
reports the median of each side, so a neighbour's load on the machine weighs on both sides
alike. Where both sides were started by `serve`, it also prints the server's CPU time per
request (from /proc, every thread of the process): a neighbour that takes the CPU away lowers
the rate but not what a request costs.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))  # per measurement
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))  # alternations of candidate and reference


@dataclass(frozen=True)
class Figures:
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int  # socket errors, timeouts and non-2xx/3xx answers
    cpu_us: float | None = None  # the server's CPU time per request, when `serve` started it

    def line(self) -> str:
        return (
            f"{self.requests_per_second:9.1f} req/s  p50 {self.p50_ms:7.2f} ms  "
            f"p90 {self.p90_ms:7.2f} ms  p99 {self.p99_ms:7.2f} ms  errors {self.errors}"
        )


def ensure_wrk() -> str:
    """wrk's path; installs Debian's package when it is missing and we may (root)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (Debian package) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
        if not found:  # a fresh machine may not have read the package lists yet
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
            found = shutil.which("wrk")
    if not found:
        sys.exit("the benchmark needs wrk (Debian: apt-get install wrk)")
    return found


# Base URL → pid of the servers `serve` runs, so that `wrk` can read what they spent, and the
# path that tells they are ready.
_SERVERS: dict[str, int] = {}
_READY: dict[str, str] = {}


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far, every thread (fields 14 and 15 of
    /proc/<pid>/stat, after the parenthesised name, which may hold spaces)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_LUA = """
local paths = {%s}
local i = 0
%s
request = function()
  i = i %% #paths + 1
  return wrk.format(%s, paths[i], nil, %s)
end
response = function(status)
  if status >= 400 then bad = bad + 1 end
end
bad = 0
done = function(summary, latency, requests)
  local n = 0
  for _, thread in ipairs(threads) do n = n + thread:get("bad") end
  io.write(string.format("FIUFIT %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    n, latency:percentile(50), latency:percentile(90), latency:percentile(99), summary.duration))
end
setup = function(thread) table.insert(threads, thread) end
threads = {}
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk(
    base_url: str,
    paths: Sequence[str],
    *,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
) -> Figures:
    """One wrk run (one thread: the other core is the server's) cycling through `paths`."""
    program = ensure_wrk()
    header_lines = "".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}\n" for k, v in (headers or {}).items()
    )
    script = _LUA % (
        ",".join(_lua_string(p) for p in paths),
        header_lines,
        _lua_string(method),
        _lua_string(body) if body is not None else "nil",
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    pid = _SERVERS.get(base_url)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    try:
        done = subprocess.run(
            [
                program,
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "10s",
                "-s",
                file.name,
                base_url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(file.name)
    found = re.search(r"^FIUFIT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", done.stdout, re.M)
    if not found:
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    requests, failed, bad, p50, p90, p99, duration_us = (int(g) for g in found.groups())
    cpu_us = (cpu_seconds(pid) - cpu_before) * 1e6 / requests if pid and requests else None
    return Figures(
        requests_per_second=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p90_ms=p90 / 1000,
        p99_ms=p99 / 1000,
        requests=requests,
        errors=failed + bad,
        cpu_us=cpu_us,
    )


def _median(runs: list[Figures]) -> Figures:
    cpu = [r.cpu_us for r in runs if r.cpu_us is not None]
    return Figures(
        requests_per_second=statistics.median(r.requests_per_second for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p90_ms=statistics.median(r.p90_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        cpu_us=statistics.median(cpu) if len(cpu) == len(runs) else None,
    )


def compare(
    name: str,
    candidate: tuple[str, Sequence[str]],
    reference: tuple[str, Sequence[str]],
    *,
    headers: dict[str, str] | None = None,
    reference_headers: dict[str, str] | None = None,
    switch: Callable[[bool], None] | None = None,
    goal: float | None = None,
    rounds: int = ROUNDS,
    seconds: float = SECONDS,
    connections: int = CONNECTIONS,
) -> float:
    """Prints both sides (median of `rounds` alternating runs each) and the ratio
    candidate/reference; and, when `serve` runs both servers, their CPU time per request and its
    ratio (reference/candidate: a rate the candidate would reach beside the reference's with the
    CPU to itself).

    Each ratio is the median of the rounds' own ratios, the two runs of a round being adjacent
    in time, so a machine that speeds up or slows down over the run weighs on both sides of
    every round alike; the spread of the rounds' ratios is printed beside it.

    `switch`, when given, is called with True before each candidate run and False before each
    reference run: both sides are then one server in two states (`access_lines`)."""
    ours: list[Figures] = []
    theirs: list[Figures] = []

    def measure_ours() -> None:
        if switch is not None:
            switch(True)
        ours.append(wrk(*candidate, headers=headers, seconds=seconds, connections=connections))

    def measure_theirs() -> None:
        if switch is not None:
            switch(False)
        theirs.append(
            wrk(
                *reference,
                headers=reference_headers if reference_headers is not None else headers,
                seconds=seconds,
                connections=connections,
            )
        )

    # Which side runs first changes every round: a side that always ran first (or second)
    # carried whatever the machine did between rounds, a few per cent.
    for round_number in range(rounds):
        first, second = (measure_ours, measure_theirs) if round_number % 2 == 0 else (
            measure_theirs, measure_ours)  # fmt: skip
        first()
        second()
    a, b = _median(ours), _median(theirs)
    rates = [
        x.requests_per_second / y.requests_per_second
        for x, y in zip(ours, theirs, strict=True)
        if y.requests_per_second
    ] or [0.0]
    ratio = statistics.median(rates)
    print(f"{name}")
    print(f"  service    {a.line()}")
    print(f"  reference  {b.line()}")
    print(
        f"  ratio {ratio:.2f}  (rounds {min(rates):.2f} to {max(rates):.2f})"
        + (f"  (goal ≥ {goal:.2f})" if goal is not None else "")
    )
    if a.cpu_us and b.cpu_us:
        cpu = [
            y.cpu_us / x.cpu_us for x, y in zip(ours, theirs, strict=True) if x.cpu_us and y.cpu_us
        ]
        print(
            f"  CPU per request: service {a.cpu_us:.0f} µs, reference {b.cpu_us:.0f} µs,"
            f" ratio {statistics.median(cpu):.2f}"
        )
    sys.stdout.flush()
    return ratio


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer 200 within {timeout} s; see {log}")


@contextmanager
def serve(
    factory: str,
    ready_path: str,
    env: dict[str, str] | None = None,
    name: str = "app",
    access_log: bool = True,
) -> Iterator[str]:
    """Serves `module:create_app` (an app factory) with one uvicorn process and the settings of
    the services' entry points (no access log of uvicorn's own, default loop and parser), and
    yields its base URL. Output goes to a temporary log, removed after a clean stop.

    `access_log=False` starts a service with its own access line and request id off (access.py's
    `lines`, which keeps the request metrics); `access_lines` turns them on and off while it
    runs, which is how a bench shows what they cost in one process."""
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"bench-{name}-{port}.log"
    here = str(Path(__file__).resolve().parent)
    code = f"import sys; sys.path.insert(0, {here!r}); import wrk; wrk.child()"
    arguments = [factory, str(port), "on" if access_log else "off"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", code, *arguments],
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _SERVERS[base], _READY[base] = process.pid, ready_path
    try:
        wait_ready(base + ready_path, process, log)
        yield base
    finally:
        del _SERVERS[base], _READY[base]
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.returncode in (0, -15):
            log.unlink(missing_ok=True)


def child() -> None:
    """The server process of `serve` (argv: factory, port, on|off): the app's factory is
    imported from the working directory, as uvicorn would."""
    import gc
    import importlib

    import uvicorn

    factory, port, lines = sys.argv[1:4]
    module, _, attribute = factory.partition(":")
    app = getattr(importlib.import_module(module), attribute)()
    handler = app.asgi_handler
    if hasattr(handler, "lines"):  # a service's access.py (a bare reference has none)
        handler.lines = lines == "on"

        def turn(on: bool) -> Callable[[int, object], None]:
            return lambda _signal, _frame: setattr(handler, "lines", on)

        signal.signal(signal.SIGUSR1, turn(True))
        signal.signal(signal.SIGUSR2, turn(False))

    # As the entry points do (`tune_garbage_collector`), for the service and its reference
    # alike: what is alive once the app has started is frozen out of the garbage collector, and
    # young collections wait for 10,000 objects.
    def tune() -> None:
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, *gc.get_threshold()[1:])

    app.on_startup.append(tune)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(port),
        log_config=None,
        access_log=False,
        timeout_keep_alive=75,
        timeout_graceful_shutdown=5,
    )


def access_lines(base: str, on: bool, timeout: float = 30) -> None:
    """Turns the access line of a service `serve` runs on or off (SIGUSR1, SIGUSR2) and waits
    until its answers show the new state: with the line on, they carry the request id."""
    os.kill(_SERVERS[base], signal.SIGUSR1 if on else signal.SIGUSR2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + _READY[base], timeout=2) as answer:
            if (answer.headers.get("X-Request-ID") is not None) == on:
                return
        time.sleep(0.01)
    raise RuntimeError(f"{base} did not turn its access line {'on' if on else 'off'}")
