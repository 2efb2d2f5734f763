"""The authentication service: Firebase accounts and JWTs (its image storage: storage.py)."""

from dataclasses import dataclass

from users.clients.upstream import Upstream
from users.errors import UpstreamError


@dataclass(frozen=True)
class Account:
    uid: str
    email: str


def _account(body: dict[str, str]) -> Account:
    return Account(uid=str(body["id"]), email=str(body.get("email") or ""))


class AuthClient:
    def __init__(self, upstream: Upstream) -> None:
        self._up = upstream

    async def create_account(self, email: str, password: str) -> Account:
        body = await self._up.json(
            "POST", "/auth/accounts", json={"email": email, "password": password}
        )
        return _account(body)

    async def check_password(self, email: str, password: str) -> Account:
        body = await self._up.json(
            "POST", "/auth/accounts/login", json={"email": email, "password": password}
        )
        return _account(body)

    async def sign_in_with_google(self, credential: str, email: str | None) -> Account:
        body = await self._up.json(
            "POST",
            "/auth/accounts/login/google",
            json={"email": email},
            headers={"Authorization": credential},
        )
        return _account(body)

    async def send_password_reset(self, email: str) -> None:
        await self._up.call("POST", "/auth/accounts/password-reset", json={"email": email})

    async def set_disabled(self, uid: str, disabled: bool) -> None:
        await self._up.call("PATCH", f"/auth/accounts/{uid}", json={"disabled": disabled})

    async def delete_account(self, uid: str) -> None:
        try:
            await self._up.call("DELETE", f"/auth/accounts/{uid}")
        except UpstreamError as error:
            if error.status_code != 404:
                raise

    async def issue_token(self, role: str, id: int, is_athlete: bool | None = None) -> str:
        body: dict[str, object] = {"role": role, "id": id}
        if role == "user":
            body["is_athlete"] = is_athlete
        issued = await self._up.json("POST", "/auth/token", json=body)
        return str(issued["data"])
