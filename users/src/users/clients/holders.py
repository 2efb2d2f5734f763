"""The services that hold part of a user's data beside users (trainings, goals), over their
internal API (`/internal/…`, which the ingress never routes; `X-Service-Token`)."""

from typing import Any

from users.clients.upstream import Upstream


class DataHolder:
    def __init__(self, upstream: Upstream) -> None:
        self._up = upstream

    async def delete_user(self, user_id: int) -> None:
        """Idempotent: a second call finds nothing left and succeeds."""
        await self._up.call("DELETE", f"/internal/users/{user_id}")

    async def export_user(self, user_id: int) -> Any:
        return await self._up.json("GET", f"/internal/users/{user_id}/export")


class TrainingsClient(DataHolder):
    async def trainings(self, ids: list[int]) -> list[dict[str, Any]]:
        """`{id, trainer_id, title, blocked}` of those that exist (at most 100 ids)."""
        if not ids:
            return []
        params = {"ids": ",".join(str(each) for each in ids)}
        found: list[dict[str, Any]] = await self._up.json(
            "GET", "/internal/trainings", params=params
        )
        return found

    async def set_blocked(
        self, training_id: int, blocked: bool, actor_id: int, note: str
    ) -> dict[str, Any]:
        """Trainings records the change in its own audit log, in the change's transaction."""
        body = {"blocked": blocked, "actor_id": actor_id, "note": note}
        changed: dict[str, Any] = await self._up.json(
            "PUT", f"/internal/trainings/{training_id}/blocked", json=body
        )
        return changed

    async def audit(self, params: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = await self._up.json("GET", "/internal/audit", params=params)
        return page
