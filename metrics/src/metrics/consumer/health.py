"""A tiny HTTP listener for the liveness probe: ``GET /health`` → 200 (or 503) with the
status snapshot as JSON. It needs neither Redis nor MongoDB, so an outage does not restart the pod
(the consumer backs off and recovers by itself); a hung loop does."""

import asyncio
import json
import logging

from metrics.consumer.status import ConsumerStatus

log = logging.getLogger(__name__)


def _response(status: int, body: object) -> bytes:
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


async def serve_health(status: ConsumerStatus, host: str, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            parts = request_line.decode("latin-1").split()
            if len(parts) >= 2 and parts[0] in ("GET", "HEAD") and parts[1] == "/health":
                snapshot = status.snapshot()
                writer.write(_response(200 if snapshot["alive"] else 503, snapshot))
            else:
                writer.write(_response(404, {"detail": "Not found"}))
            await writer.drain()
        except (TimeoutError, ConnectionError) as error:
            log.debug("health request dropped: %s", error)
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
