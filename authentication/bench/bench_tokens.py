"""`make bench`: authentication's hot paths against a bare Litestar app doing the same work.

Serves the service (local mode: a throw-away ES256 key; the emulator addresses keep the Firebase
clients off Google, and neither path calls them) and the bare reference (bench/reference.py:
the same python-jose signing with an ES256 key parsed once, and a JWKS) with bench/wrk.py's
`serve`, and prints each comparison as wrk measured it, the two sides alternately,
BENCH_ROUNDS rounds of BENCH_SECONDS, their medians and the ratio:

- `GET /auth/.well-known/jwks.json` (every service's verifier fetches it): goal 0.8; and against the
  same server with its access line off (bench/wrk.py `access_lines`, between rounds): what the
  line and the request id cost, goal under 5% (a ratio of 0.95);
- `POST /auth/token` with the service credential (users signs one per login): the ratio;
  signing is most of that request's cost on both sides.

There is no refresh token to bench: a client logs in again. Figures depend on the machine; this
prints them and asserts nothing.

    make bench                        # about two minutes
    BENCH_SECONDS=2 BENCH_ROUNDS=1 make bench      # a quick look
"""

import json
import os
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# Shorter runs, more of them: on a shared machine a median of five alternations is steadier
# than one of three longer ones, for the same time.
os.environ.setdefault("BENCH_ROUNDS", "5")
os.environ.setdefault("BENCH_SECONDS", "3")
import wrk  # noqa: E402

SERVICE_TOKEN = "bench-service-token"
BODY = json.dumps({"role": "user", "id": 5, "is_athlete": True})


def service_env() -> dict[str, str]:
    return {
        "AUTH_LOCAL_MODE": "true",
        "AUTH_SERVICE_TOKEN": SERVICE_TOKEN,
        "AUTH_PROMETHEUS_PORT": "0",
        "FIREBASE_AUTH_EMULATOR_HOST": os.environ.get(
            "FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099"
        ),
        "STORAGE_EMULATOR_HOST": os.environ.get("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443"),
    }


def compare_posts(
    name: str, candidate: tuple[str, str], reference: tuple[str, str], headers: dict[str, str]
) -> float:
    """`wrk.compare` for a POST with BODY (compare itself sends GETs): the two sides
    alternately, the medians of each and their ratio."""
    runs: dict[str, list[wrk.Figures]] = {"service": [], "reference": []}
    for _ in range(wrk.ROUNDS):
        for side, (base, path), sent in (
            ("service", candidate, headers),
            ("reference", reference, {"Content-Type": "application/json"}),
        ):
            runs[side].append(wrk.wrk(base, [path], headers=sent, method="POST", body=BODY))
    rates = {side: statistics.median(r.requests_per_second for r in runs[side]) for side in runs}
    ratio = rates["service"] / rates["reference"] if rates["reference"] else 0.0
    print(name)
    for side, figures in runs.items():
        p50 = statistics.median(r.p50_ms for r in figures)
        p99 = statistics.median(r.p99_ms for r in figures)
        errors = sum(r.errors for r in figures)
        print(
            f"  {side:<10} {rates[side]:9.1f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  errors {errors}"
        )
    print(f"  ratio {ratio:.2f}", flush=True)
    return ratio


def main() -> None:
    wrk.ensure_wrk()
    with ExitStack() as stack:
        service = stack.enter_context(
            wrk.serve("authentication.app:create_app", "/auth/healthcheck/", service_env(), "auth")
        )
        bare = stack.enter_context(
            wrk.serve("bench.reference:create_app", "/bare/healthcheck", {}, "bare")
        )
        # Warm both sides before the first measured round.
        wrk.wrk(service, ["/auth/.well-known/jwks.json"], seconds=1)
        wrk.wrk(bare, ["/bare/jwks"], seconds=1)
        print(
            f"authentication bench: wrk -t1 -c{wrk.CONNECTIONS}, {wrk.ROUNDS} rounds of"
            f" {wrk.SECONDS:g} s per side, one uvicorn process each, {os.cpu_count()} CPUs,"
            f" load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        wrk.compare(
            "GET /auth/.well-known/jwks.json against bare Litestar serving a JWKS",
            (service, ["/auth/.well-known/jwks.json"]),
            (bare, ["/bare/jwks"]),
            goal=0.8,
        )
        wrk.compare(
            "the access line's cost: the same read, the same server with its line off",
            (service, ["/auth/.well-known/jwks.json"]),
            (service, ["/auth/.well-known/jwks.json"]),
            switch=lambda on: wrk.access_lines(service, on),
            goal=0.95,
        )
        compare_posts(
            "POST /auth/token (ES256, python-jose) against bare Litestar signing the same claims",
            (service, "/auth/token"),
            (bare, "/bare/token"),
            {"X-Service-Token": SERVICE_TOKEN, "Content-Type": "application/json"},
        )


if __name__ == "__main__":
    main()
