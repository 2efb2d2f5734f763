"""Positions in MongoDB (`<db>.user_location`): one GeoJSON point per user, 2dsphere-indexed.

`$near` is not nearest-first on SecantusDB, so searches use the `$geoNear` stage (also correct
on MongoDB). Only trainers are returned by the nearby search; `is_athlete` rides along in the
document so the filter runs inside the geo stage.
"""

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING, GEOSPHERE, AsyncMongoClient
from pymongo.errors import PyMongoError

from users.errors import ServiceUnavailable

COLLECTION = "user_location"


@dataclass(frozen=True)
class Nearby:
    user_ids: list[int]
    total: int


class Positions:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], database: str) -> None:
        self._client = client
        self._collection = client[database][COLLECTION]

    async def ensure_indexes(self) -> None:
        """Creates the missing ones only (SecantusDB refuses to re-create an existing index)."""
        wanted: list[tuple[str, Any, bool]] = [
            ("location", GEOSPHERE, False),
            ("user_id", ASCENDING, True),
        ]
        try:
            existing = {
                tuple(index["key"].items())
                for index in await (await self._collection.list_indexes()).to_list()
            }
            for field, kind, unique in wanted:
                if ((field, kind),) not in existing:
                    await self._collection.create_index([(field, kind)], unique=unique)
        except PyMongoError as error:
            raise ServiceUnavailable(f"Location store is unavailable: {error}") from error

    async def save(self, user_id: int, is_athlete: bool, lon: float, lat: float) -> None:
        document = {
            "user_id": user_id,
            "is_athlete": is_athlete,
            "location": {"type": "Point", "coordinates": [lon, lat]},
        }
        try:
            await self._collection.replace_one({"user_id": user_id}, document, upsert=True)
        except PyMongoError as error:
            raise ServiceUnavailable("Location store is unavailable") from error

    async def get(self, user_id: int) -> list[float] | None:
        """The user's [longitude, latitude], if they gave one."""
        try:
            found = await self._collection.find_one({"user_id": user_id}, {"location": 1})
        except PyMongoError as error:
            raise ServiceUnavailable("Location store is unavailable") from error
        return None if found is None else list(found["location"]["coordinates"])

    async def remove(self, user_id: int) -> None:
        try:
            await self._collection.delete_one({"user_id": user_id})
        except PyMongoError as error:
            raise ServiceUnavailable("Location store is unavailable") from error

    async def trainers_near(
        self, lon: float, lat: float, radius: float, offset: int, limit: int
    ) -> Nearby:
        pipeline: list[dict[str, Any]] = [
            {
                "$geoNear": {
                    "near": {"type": "Point", "coordinates": [lon, lat]},
                    "distanceField": "distance",
                    "maxDistance": radius,
                    "query": {"is_athlete": False},
                    "spherical": True,
                    "key": "location",
                }
            },
            {
                "$facet": {
                    "items": [
                        {"$skip": offset},
                        {"$limit": limit},
                        {"$project": {"_id": 0, "user_id": 1}},
                    ],
                    "total": [{"$count": "n"}],
                }
            },
        ]
        try:
            cursor = await self._collection.aggregate(pipeline)
            [result] = await cursor.to_list()
        except PyMongoError as error:
            raise ServiceUnavailable("Location store is unavailable") from error
        total = result["total"][0]["n"] if result["total"] else 0
        return Nearby(user_ids=[int(d["user_id"]) for d in result["items"]], total=total)

    async def ping(self) -> None:
        try:
            await self._client.admin.command("ping")
        except PyMongoError as error:
            raise ServiceUnavailable("Location store is unavailable") from error
