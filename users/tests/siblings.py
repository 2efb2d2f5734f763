"""The real trainings and goals services, run from their own projects (`uv run --project`) on
databases of their own, for the tests of what users does across services: deletion, export,
reports on trainings and the merged audit log. Nothing here imitates them; a test stops one
and starts it again to prove that users completes its work when it is back."""

import asyncio
import os
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.database import fresh_database
from tests.helpers import AUTH_URL, POSTGRES, REDIS_URL, SERVICE_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Sibling:
    name: str  # trainings or goals: the project folder, the env prefix and the path prefix
    port: int = field(default_factory=free_port)
    database_url: str = ""
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(default_factory=lambda: Path(tempfile.mkstemp(suffix=".log")[1]))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def prepare(self) -> None:
        self.database_url = await fresh_database(
            POSTGRES, f"users_test_{self.name}", ROOT / self.name / "migrations"
        )

    def _env(self) -> dict[str, str]:
        prefix = self.name.upper()
        values = {
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PROMETHEUS_PORT": "0",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": REDIS_URL,  # the blocked set users writes
            "AUTH_URL": AUTH_URL,
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "OUTBOX_RELAY_ENABLED": "false",
        }
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(f"{prefix}_")}
        return {**inherited, **{f"{prefix}_{k}": v for k, v in values.items()}}

    async def start(self) -> None:
        command = ["uv", "run", "--frozen", "--quiet", "--project", str(ROOT / self.name),
                   f"fiufit-{self.name}"]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = await asyncio.to_thread(
                subprocess.Popen, command, env=self._env(), stdout=log, stderr=subprocess.STDOUT
            )
        async with httpx.AsyncClient(timeout=2) as http:
            for _ in range(600):  # a first run may have to build the project's environment
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
                try:
                    answer = await http.get(f"{self.url}/{self.name}/healthcheck/")
                    if answer.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
