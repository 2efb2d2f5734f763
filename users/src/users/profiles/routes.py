"""GET /users (admin list, username search, nearby trainers), GET/PATCH /users/{id},
GET /users/locations/."""

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.exceptions import NotFoundException
from litestar.params import JSONBody, QueryParameter
from litestar.response import Response

from users.accounts import service as accounts
from users.accounts.models import EmailSignUp
from users.accounts.routes import LOCATION, created
from users.deletions import service as deletions
from users.deletions.models import Deletion
from users.errors import Conflict, NotAcceptable, TooManyRequests
from users.openapi import PUBLIC
from users.pagination import Limit, Offset, UserId, clamp
from users.profiles import service
from users.profiles.models import Neighbourhood, ProfileUpdate, User, UserPage, UserWithImage
from users.security import ApiRequest, limit_signup

Username = Annotated[
    str | None, QueryParameter(min_length=1, max_length=100, pattern=r"^[^\x00]*$")
]
# The ranges are checked by service.check_search (its 2023 messages), after the 406s for a
# latitude without a longitude and the like; schema_extra publishes them.
Latitude = Annotated[
    float | None,
    QueryParameter(schema_extra={"minimum": -90, "maximum": 90}, description="degrees"),
]
Longitude = Annotated[
    float | None,
    QueryParameter(schema_extra={"minimum": -180, "maximum": 180}, description="degrees"),
]
# schema_extra: Litestar drops a bound of 0 from an optional parameter's schema.
Radius = Annotated[
    float | None,
    QueryParameter(
        gt=0,
        schema_extra={"exclusive_minimum": 0},
        description="metres; larger ones are cut down to the service's maximum",
    ),
]


class ProfileController(Controller):
    path = "/users"
    tags = ("users",)

    @get("/", raises=[NotFoundException, NotAcceptable])
    async def search(
        self,
        request: ApiRequest,
        username: Username = None,
        latitude: Latitude = None,
        longitude: Longitude = None,
        radius: Radius = None,
        offset: Offset = 0,
        limit: Limit = 10,
    ) -> UserWithImage | UserPage:
        """`username` → one user (with `image`); `latitude`+`longitude`(+`radius` metres) →
        trainers nearest first; neither → every user (admins only)."""
        service.check_search(username, latitude, longitude)
        if username is not None:
            return await service.by_username(request.services, username)
        if latitude is not None and longitude is not None:
            return await service.nearby_trainers(
                request.services, longitude, latitude, radius, offset, clamp(limit)
            )
        request.caller.require_admin()
        return await service.page(request.services, offset, clamp(limit))

    @post("/", status_code=201, opt=PUBLIC, raises=[TooManyRequests], response_headers=[LOCATION])
    async def sign_up(
        self,
        request: ApiRequest,
        data: JSONBody[EmailSignUp],
    ) -> Response[User]:
        await limit_signup(request, request.services, data.email)
        return created(
            await accounts.sign_up_with_email(request.services, data, data.email, data.password)
        )

    @get("/locations/", opt=PUBLIC)
    async def locations(self) -> list[Neighbourhood]:
        """The 48 Buenos Aires neighbourhoods offered at sign-up (no token needed)."""
        return service.neighbourhoods()

    @get("/{user_id:int}")
    async def read(self, user_id: UserId, request: ApiRequest) -> User:
        return await service.get(request.services, user_id)

    @patch("/{user_id:int}")
    async def edit(
        self,
        user_id: UserId,
        data: JSONBody[ProfileUpdate],
        request: ApiRequest,
    ) -> User:
        """Self or admin. `id`, `email`, `is_blocked`, `is_athlete`, `registration_date` in the
        body are ignored; `coordinates` move the position."""
        request.caller.require_self_or_admin(user_id)
        return await service.update(request.services, user_id, data)

    # 409: the wallet holds more than dust, or movements are in flight (payment's words).
    @delete("/{user_id:int}", status_code=202, raises=[NotFoundException, Conflict])
    async def delete_account(self, user_id: UserId, request: ApiRequest) -> Deletion:
        """The user or an admin. Deletes the account and everything FiuFit holds about the
        user, in every service (deletions/service.py); answers the deletion with the steps
        still pending, which complete on their own."""
        request.caller.require_self_or_admin(user_id)
        return await deletions.request_deletion(request.services, request.caller, user_id)
