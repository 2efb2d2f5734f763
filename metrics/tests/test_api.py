"""GET /metrics and /metrics/names/: shapes, windows, buckets, bad parameters, authorization."""

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from metrics.app import create_app
from metrics.consumer.repository import record, settle
from metrics.db import Collection
from tests.helpers import Client, event, free_port, make_settings


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


async def seed(rollups: Collection, *rows: tuple[str, str | None, datetime, float]) -> None:
    """Count these events as the consumer does."""
    await record(
        rollups, [event(metric, label, date, value) for metric, label, date, value in rows]
    )
    await settle(rollups)


@pytest.fixture
async def logins(rollups: Collection) -> Collection:
    # Thursday 2026-10-29, then November: Mon 2, Tue 3, Mon 9, Wed 25 (weeks start on Monday).
    await seed(
        rollups,
        ("user_login_count", "using_email_password", at(29, month=10), 1),
        ("user_login_count", "using_email_password", at(2, 0), 1),
        ("user_login_count", "using_email_password", at(3), 1),
        ("user_login_count", "using_idp", at(3, 23), 1),
        ("user_login_count", "using_email_password", at(9), 1),
        ("user_login_count", "using_idp", at(25), 1),
        ("user_login_count", "using_idp", at(25), 1),
        ("user_login_count", "using_idp", at(25), 1),
        ("user_blocked_count", None, at(3), 1),
        ("user_blocked_count", None, at(9), 1),
        ("distance_km", "run", at(3), 2.5),
        ("distance_km", "run", at(4), 4),
    )
    return rollups


async def get(client: Client, path: str = "/metrics", **params: str) -> Any:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_counts_per_label_largest_first(client: Client, logins: Collection) -> None:
    body = await get(client, name="user_login_count")
    assert body == [  # a tie on 4: the label order decides (see the next test)
        {"label": "using_email_password", "count": 4},
        {"label": "using_idp", "count": 4},
    ]
    await seed(logins, ("user_login_count", "using_idp", at(26), 1))
    body = await get(client, name="user_login_count")
    assert body[0] == {"label": "using_idp", "count": 5}


async def test_a_tie_on_the_count_is_ordered_by_label(client: Client, rollups: Collection) -> None:
    # Inserted, and dated, in neither order: only the count, then the label, can sort them.
    rows = [("delta", 1), ("alpha", 1), ("zulu", 2), ("echo", 1), ("charlie", 1), ("bravo", 1)]
    await seed(rollups, *(("tie_count", x, at(day), n) for day, (x, n) in enumerate(rows, 1)))
    assert await get(client, name="tie_count") == [
        {"label": "zulu", "count": 2},
        {"label": "alpha", "count": 1},
        {"label": "bravo", "count": 1},
        {"label": "charlie", "count": 1},
        {"label": "delta", "count": 1},
        {"label": "echo", "count": 1},
    ]


async def test_no_label_is_total_and_values_are_summed(client: Client, logins: Collection) -> None:
    assert await get(client, name="user_blocked_count") == [{"label": "total", "count": 2}]
    assert await get(client, name="distance_km") == [{"label": "run", "count": 6.5}]


async def test_unknown_name_is_an_empty_list(client: Client, logins: Collection) -> None:
    assert await get(client, name="user_password_recovery_count") == []


async def test_from_and_to_restrict_the_window(client: Client, logins: Collection) -> None:
    name = "user_login_count"
    november = await get(client, name=name, **{"from": "2026-11-01"})
    assert november == [
        {"label": "using_idp", "count": 4},
        {"label": "using_email_password", "count": 3},
    ]
    # A plain `to` date includes that whole day (the idp login at 23:00 on the 3rd).
    early = await get(client, name=name, **{"from": "2026-11-02", "to": "2026-11-03"})
    assert early == [
        {"label": "using_email_password", "count": 2},
        {"label": "using_idp", "count": 1},
    ]
    # Date-times are instants (naive = UTC; offsets honoured), both ends inclusive.
    exact = await get(
        client, name=name, **{"from": "2026-11-03T12:00:00", "to": "2026-11-03T20:00:00-03:00"}
    )
    assert exact == [
        {"label": "using_email_password", "count": 1},
        {"label": "using_idp", "count": 1},
    ]
    assert await get(client, name=name, **{"to": "2026-10-30"}) == [
        {"label": "using_email_password", "count": 1}
    ]


async def test_an_empty_bound_is_no_bound(client: Client, logins: Collection) -> None:
    assert await get(client, name="user_blocked_count", **{"from": "", "to": ""}) == [
        {"label": "total", "count": 2}
    ]


async def test_daily_series(client: Client, logins: Collection) -> None:
    body = await get(
        client,
        name="user_login_count",
        interval="day",
        **{"from": "2026-11-01", "to": "2026-11-09"},
    )
    assert body == [
        {"label": "using_email_password", "date": "2026-11-02", "count": 1},
        {"label": "using_email_password", "date": "2026-11-03", "count": 1},
        {"label": "using_idp", "date": "2026-11-03", "count": 1},
        {"label": "using_email_password", "date": "2026-11-09", "count": 1},
    ]


async def test_weekly_series_starts_on_monday(client: Client, logins: Collection) -> None:
    body = await get(client, name="user_login_count", interval="week")
    assert body == [
        {"label": "using_email_password", "date": "2026-10-26", "count": 1},
        {"label": "using_email_password", "date": "2026-11-02", "count": 2},
        {"label": "using_idp", "date": "2026-11-02", "count": 1},
        {"label": "using_email_password", "date": "2026-11-09", "count": 1},
        {"label": "using_idp", "date": "2026-11-23", "count": 3},
    ]


async def test_monthly_series_with_total_label(client: Client, logins: Collection) -> None:
    assert await get(client, name="user_login_count", interval="month") == [
        {"label": "using_email_password", "date": "2026-10-01", "count": 1},
        {"label": "using_idp", "date": "2026-11-01", "count": 4},
        {"label": "using_email_password", "date": "2026-11-01", "count": 3},
    ]
    assert await get(client, name="user_blocked_count", interval="month") == [
        {"label": "total", "date": "2026-11-01", "count": 2}
    ]
    assert await get(client, name="nothing_here", interval="day") == []


async def test_names_lists_every_metric_with_totals(client: Client, logins: Collection) -> None:
    assert await get(client, "/metrics/names/") == [
        {"name": "distance_km", "count": 6.5, "events": 2},
        {"name": "user_blocked_count", "count": 2, "events": 2},
        {"name": "user_login_count", "count": 8, "events": 8},
    ]
    assert await get(client, "/metrics/names/", **{"from": "2026-11-09", "to": "2026-11-09"}) == [
        {"name": "user_blocked_count", "count": 1, "events": 1},
        {"name": "user_login_count", "count": 1, "events": 1},
    ]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({}, "Missing required query parameter 'name'"),
        ({"name": ""}, "name must be"),
        ({"name": "a b"}, "name must be"),
        ({"name": "$where"}, "name must be"),
        ({"name": "x" * 101}, "name must be"),
        ({"name": "m", "from": "yesterday"}, "from must be an ISO-8601"),
        ({"name": "m", "from": "2026-02-30"}, "from must be an ISO-8601"),
        ({"name": "m", "to": "2026-11-28T25:00"}, "to must be an ISO-8601"),
        ({"name": "m", "to": "9999-12-31"}, "to must be an ISO-8601"),
        ({"name": "m", "to": "9999-12-31T23:59:59.999"}, "to must be an ISO-8601"),  # was a 500
        ({"name": "m", "from": "2026-W48-1"}, "from must be an ISO-8601"),
        ({"name": "m\n"}, "name must be"),
        ({"name": "m\x00"}, "name must be"),
        ({"name": "m", "from": "0001-01-01T00:00:00+01:00"}, "from must be an ISO-8601"),
        ({"name": "m", "from": "2026-11-02", "to": "2026-11-01"}, "from must not be after to"),
        ({"name": "m", "interval": "year"}, "interval must be one of day, week, month"),
        ({"name": "m", "interval": "DAY"}, "interval must be one of"),
        ({"name": "m", "interval": ""}, "interval must be one of"),
    ],
)
async def test_bad_parameters_are_400(
    client: Client, rollups: Collection, params: dict[str, str], detail: str
) -> None:
    response = await client.get("/metrics", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(detail)


@pytest.mark.parametrize(
    "query",
    [
        "name=m%00",  # NUL
        "name=m%ED%B2%80",  # a lone surrogate, as its UTF-8-like bytes
        "name=m%FF",  # not UTF-8 at all
        "name=m&from=2026-11-28%ED%B2%80",
        "name=m&to=%FF",
        "name=m&interval=d%00ay",
        f"name={'m' * 10_000}",
    ],
)
async def test_undecodable_or_oversized_values_are_400(
    client: Client, rollups: Collection, query: str
) -> None:
    response = await client.get(f"/metrics?{query}")
    assert response.status_code == 400, response.text
    assert "detail" in response.json()


async def test_names_rejects_a_bad_window(client: Client) -> None:
    response = await client.get("/metrics/names/", params={"from": "soon"})
    assert response.status_code == 400 and "from must be" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/metrics?name=user_login_count", "/metrics/names/"])
async def test_authorization_matrix(
    anonymous: Client, user_token: str, admin_token: str, path: str
) -> None:
    cases = [
        (None, 401, "No token"),
        ("Bearer not-a-jwt", 401, "Invalid token"),
        (f"Basic {admin_token}", 401, "Invalid token"),
        (f"Bearer {admin_token[:-4]}AAAA", 401, "Invalid token"),
        (f"Bearer {user_token}", 403, "Admin only"),  # never 401: the back office logs out
        (f"Bearer {admin_token}", 200, None),
    ]
    for authorization, status, detail in cases:
        headers = {"Authorization": authorization} if authorization else {}
        response = await anonymous.get(path, headers=headers)
        assert response.status_code == status, (authorization, response.text)
        if detail:
            assert response.json() == {"detail": detail}


async def test_the_token_is_checked_before_the_parameters(
    anonymous: Client, user_token: str
) -> None:
    """The admin guard runs first: no parameter error ever reaches a caller without the right."""
    response = await anonymous.get("/metrics")
    assert response.status_code == 401 and response.json() == {"detail": "No token"}
    response = await anonymous.get("/metrics", headers={"Authorization": f"Bearer {user_token}"})
    assert response.status_code == 403 and response.json() == {"detail": "Admin only"}


async def test_mongo_down_is_503_and_not_ready(admin_token: str) -> None:
    settings = make_settings(mongo_url=f"mongodb://127.0.0.1:{free_port()}", mongo_timeout_ms=300)
    app: Litestar = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        client.headers["Authorization"] = f"Bearer {admin_token}"
        response = await client.get("/metrics", params={"name": "user_login_count"})
        assert response.status_code == 503
        assert response.json() == {"detail": "The metrics store is unavailable"}
        ready = await client.get("/metrics/readiness/")
        assert ready.status_code == 503
        assert ready.json()["checks"]["redis"] == "ok"
        assert ready.json()["checks"]["mongodb"].startswith("unavailable")
