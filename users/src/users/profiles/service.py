"""Profile reads, searches and edits."""

import json
from functools import cache
from importlib import resources

import asyncpg
import msgspec
from litestar.exceptions import ClientException, NotFoundException

from users.accounts.service import USERNAME_TAKEN
from users.errors import NotAcceptable
from users.pagination import envelope
from users.profiles import repository
from users.profiles.avatar import avatar_name
from users.profiles.models import Neighbourhood, ProfileUpdate, User, UserPage, UserWithImage
from users.services import Services

NOT_FOUND = "User not found"


@cache
def neighbourhoods() -> list[Neighbourhood]:
    raw = resources.files("users.data").joinpath("buenos-aires-neighbourhoods.json").read_text()
    return [Neighbourhood.model_validate(item) for item in json.loads(raw)]


async def get(services: Services, user_id: int) -> User:
    async with services.pool.acquire() as conn:
        user = await repository.get_user(conn, user_id)
    if user is None:
        raise NotFoundException(NOT_FOUND)
    return user


async def by_username(services: Services, username: str) -> UserWithImage:
    async with services.pool.acquire() as conn:
        found = await repository.get_by_username(conn, username)
    if found is None:
        raise NotFoundException(NOT_FOUND)
    user, has_image = found
    image = await services.storage.get(avatar_name(user.id)) if has_image else None
    return UserWithImage(**msgspec.structs.asdict(user), image=image)


def check_search(username: str | None, latitude: float | None, longitude: float | None) -> None:
    """The 2023 messages and status (406) for contradictory search parameters."""
    if latitude is not None and longitude is None:
        raise NotAcceptable("Longitude MUST BE defined when searching by location.")
    if longitude is not None and latitude is None:
        raise NotAcceptable("Latitude MUST BE defined when searching by location.")
    if username is not None and latitude is not None:
        raise NotAcceptable("Can't search by username and location. Use only one.")
    if latitude is not None and not -90 <= latitude <= 90:
        raise ClientException("latitude must be between -90 and 90")
    if longitude is not None and not -180 <= longitude <= 180:
        raise ClientException("longitude must be between -180 and 180")


async def nearby_trainers(
    services: Services,
    longitude: float,
    latitude: float,
    radius: float | None,
    offset: int,
    limit: int,
) -> UserPage:
    """Without a radius, the default one; a larger one than the cap is cut down to it."""
    radius = min(radius or services.settings.default_radius, services.settings.max_radius)
    nearby = await services.positions.trainers_near(longitude, latitude, radius, offset, limit)
    async with services.pool.acquire() as conn:
        items = await repository.users_by_ids(conn, nearby.user_ids)
    return UserPage(items=items, **envelope(len(items), nearby.total, offset, limit))


async def page(services: Services, offset: int, limit: int) -> UserPage:
    async with services.pool.acquire() as conn:
        items, total = await repository.page_of_users(conn, offset, limit)
    return UserPage(items=items, **envelope(len(items), total, offset, limit))


async def update(services: Services, user_id: int, data: ProfileUpdate) -> User:
    """The remote steps (position, avatar) run first with no connection held, then the row
    changes in one short transaction."""
    async with services.pool.acquire() as conn:
        current = await repository.get_user(conn, user_id)
        if current is None:
            raise NotFoundException(NOT_FOUND)
        username = data.columns().get("username")
        renamed = username and username.lower() != current.username.lower()
        if renamed and await repository.taken(conn, None, username) == "username":
            raise ClientException(USERNAME_TAKEN)
    if data.coordinates:
        lon, lat = data.coordinates
        await services.positions.save(user_id, current.is_athlete, lon, lat)
    if data.image:
        await services.storage.put(avatar_name(user_id), data.image)
    async with services.pool.acquire() as conn, conn.transaction():
        try:
            user = await repository.update_user(conn, user_id, data.columns())
        except asyncpg.UniqueViolationError as error:
            raise ClientException(USERNAME_TAKEN) from error
        if user is None:
            raise NotFoundException(NOT_FOUND)
        if data.image:
            await repository.set_has_image(conn, user_id)
    return user
