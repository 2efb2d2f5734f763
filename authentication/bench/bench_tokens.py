"""Tokens issued per second over HTTP, and tokens verified per second against the JWKS.

    make bench            (from authentication/; needs no emulator: only the token endpoints)

Runs the real app under uvicorn on a free loopback port, issues tokens with concurrent clients,
then verifies every issued token locally against the JWKS fetched once, as other services do.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time

import httpx
from jose import jwk, jwt

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "20"))
SERVICE_TOKEN = "bench-service-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(port: int) -> subprocess.Popen[bytes]:
    """The service as it runs in production: its own process, local mode for a throw-away key."""
    env = {
        **os.environ,
        "AUTH_LOCAL_MODE": "true",
        "AUTH_SERVICE_TOKEN": SERVICE_TOKEN,
        "AUTH_PORT": str(port),
        "AUTH_HOST": "127.0.0.1",
        "AUTH_PROMETHEUS_PORT": "0",
        "AUTH_LOG_LEVEL": "WARNING",
        # The lifespan builds Firebase clients; emulator addresses keep them off Google.
        "FIREBASE_AUTH_EMULATOR_HOST": os.environ.get(
            "FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099"
        ),
        "STORAGE_EMULATOR_HOST": os.environ.get("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443"),
    }
    process = subprocess.Popen([sys.executable, "-m", "authentication"], env=env)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/auth/healthcheck/").raise_for_status()
            return process
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the service did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def issue_tokens(base: str) -> tuple[list[str], list[float], float]:
    tokens: list[str] = []
    latencies: list[float] = []
    queue = iter(range(REQUESTS))
    headers = {"X-Service-Token": SERVICE_TOKEN}

    async def worker(client: httpx.AsyncClient) -> None:
        for index in queue:
            body = {"role": "user", "id": index + 1, "is_athlete": index % 2 == 0}
            started = time.perf_counter()
            response = await client.post(f"{base}/auth/token", json=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            response.raise_for_status()
            tokens.append(response.json()["data"])

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return tokens, latencies, elapsed


def verify_tokens(base: str, tokens: list[str]) -> float:
    jwks = httpx.get(f"{base}/auth/.well-known/jwks.json").json()
    keys = {k["kid"]: (k["alg"], jwk.construct(k)) for k in jwks["keys"]}
    started = time.perf_counter()
    for token in tokens:
        algorithm, key = keys[jwt.get_unverified_header(token)["kid"]]
        jwt.decode(token, key, algorithms=[algorithm], issuer="fiufit-authentication")
    return time.perf_counter() - started


def main() -> None:
    port = free_port()
    server = serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens, latencies, elapsed = asyncio.run(issue_tokens(base))
        verify_elapsed = verify_tokens(base, tokens)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"issued   {len(tokens)} tokens over HTTP with {CONCURRENCY} clients")
    print(f"  {len(tokens) / elapsed:,.0f} tokens/s issued")
    print(
        f"  latency p50 {percentile(latencies, 0.5) * 1000:.2f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.2f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.2f} ms"
    )
    print(f"verified {len(tokens)} tokens locally against the JWKS (ES256)")
    print(f"  {len(tokens) / verify_elapsed:,.0f} tokens/s verified")


if __name__ == "__main__":
    main()
