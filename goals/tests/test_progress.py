"""The metricsProgress arithmetic (README, "How progress is computed"), on a clock the tests move:
the sum of the progress changes recorded in [now - days, now], over all the user's goals on
that metric."""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from tests.helpers import Client, FakeClock, admin, create_goal, set_progress, user


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


async def progress(
    client: Client, metric: str = "distance", query: str = "", user_id: int = 5
) -> Any:
    response = await client.get(
        f"/goals/{user_id}/metricsProgress/{metric}{query}", headers=user(user_id)
    )
    assert response.status_code == 200, response.text
    return response.json()["progress"]


async def long_goal(client: Client, **overrides: Any) -> dict[str, Any]:
    values = {"objective": "1000", "time_limit": "2030-12-31", **overrides}
    return await create_goal(client, **values)


async def test_the_2023_worked_examples(client: Client, clock: FakeClock) -> None:
    clock.set(at("2023-06-01"))
    goal = await long_goal(client)
    await set_progress(client, goal, "5")

    clock.set(at("2023-06-14"))
    await set_progress(client, goal, "15")
    assert await progress(client, query="?days=14") == 15  # nothing before the window
    assert await progress(client) == 10  # default: 7 days

    clock.set(at("2023-06-16"))
    await set_progress(client, goal, "25")
    assert await progress(client, query="?days=2") == 20  # 14 Jun is exactly 2 days ago: in

    clock.set(at("2023-07-16"))
    await set_progress(client, goal, "50")
    assert await progress(client, query="?days=30") == 35  # from 16 Jun (exactly 30 days) on

    clock.set(at("2024-08-01"))
    await set_progress(client, goal, "70")
    assert await progress(client, query="?days=365") == 20


async def test_nothing_in_the_window_is_0(client: Client, clock: FakeClock) -> None:
    clock.set(at("2023-06-01"))
    await set_progress(client, await long_goal(client), "5")
    clock.set(at("2023-07-30"))
    assert await progress(client, query="?days=30") == 0


async def test_no_goals_at_all_is_0(client: Client) -> None:
    for metric in ("distance", "fat", "muscle", "steps"):
        assert await progress(client, metric, user_id=8) == 0


async def test_window_is_closed_at_both_ends_and_days_are_24_hours(
    client: Client, clock: FakeClock
) -> None:
    goal = await long_goal(client)
    logged = clock.now
    await set_progress(client, goal, "3")
    clock.set(logged + timedelta(days=1))
    assert await progress(client, query="?days=1") == 3  # exactly 1 day ago
    clock.set(logged + timedelta(days=1, seconds=1))
    assert await progress(client, query="?days=1") == 0
    # 2023 counted whole elapsed days (7 days 23 hours was "7 days"); exact windows do not.
    clock.set(logged + timedelta(days=7, hours=23))
    assert await progress(client, query="?days=7") == 0
    assert await progress(client, query="?days=8") == 3


async def test_changes_after_now_do_not_count(client: Client, clock: FakeClock) -> None:
    goal = await long_goal(client)
    clock.advance(hours=2)
    await set_progress(client, goal, "3")
    clock.advance(hours=-3)  # a clock that moved back (another replica, say)
    assert await progress(client) == 0


async def test_sums_over_the_users_goals_on_that_metric_only(
    client: Client, clock: FakeClock
) -> None:
    run = await long_goal(client, title="run")
    walk = await long_goal(client, title="walk")
    steps = await long_goal(client, metric="steps")
    theirs = await long_goal(client, user_id=6)
    await set_progress(client, run, "4")
    clock.advance(minutes=5)
    await set_progress(client, walk, "2.5")
    await set_progress(client, steps, "9000")
    await set_progress(client, theirs, "40")
    assert await progress(client, "distance") == 6.5
    assert await progress(client, "steps") == 9000
    assert await progress(client, "fat") == 0
    assert await progress(client, "distance", user_id=6) == 40


async def test_lowering_progress_counts_as_a_negative_change(
    client: Client, clock: FakeClock
) -> None:
    goal = await long_goal(client)
    await set_progress(client, goal, "8")
    clock.advance(days=10)
    await set_progress(client, goal, "3")  # a correction of something reported 10 days ago
    assert await progress(client) == -5
    assert await progress(client, query="?days=30") == 3
    clock.advance(minutes=1)
    await set_progress(client, goal, "6")
    assert await progress(client) == -2


async def test_the_history_outlives_a_deleted_goal(client: Client) -> None:
    goal = await long_goal(client)
    await set_progress(client, goal, "4")
    assert (await client.delete(f"/goals/{goal['id']}", headers=user())).status_code == 204
    assert await progress(client) == 4


async def test_each_change_is_logged_with_the_clocks_time(
    client: Client, clock: FakeClock, db: asyncpg.Pool
) -> None:
    goal = await long_goal(client)
    await set_progress(client, goal, "4")
    clock.advance(hours=1)
    await set_progress(client, goal, "4")  # unchanged: not logged
    await set_progress(client, goal, "7.25")
    rows = await db.fetch(
        "SELECT goal_id, user_id, metric, progress, delta, recorded_at"
        " FROM progress_log ORDER BY id"
    )
    assert [tuple(row) for row in rows] == [
        (goal["id"], 5, "distance", 4, 4, clock.now - timedelta(hours=1)),
        (goal["id"], 5, "distance", 7.25, 3.25, clock.now),
    ]


async def test_the_log_is_append_only(client: Client, db: asyncpg.Pool) -> None:
    await set_progress(client, await long_goal(client), "4")
    for statement in ("UPDATE progress_log SET delta = 100", "DELETE FROM progress_log"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await db.execute(statement)
    assert await db.fetchval("SELECT sum(delta) FROM progress_log") == 4


async def test_admin_may_read_a_users_progress(client: Client) -> None:
    await set_progress(client, await long_goal(client), "4")
    response = await client.get("/goals/5/metricsProgress/distance", headers=admin())
    assert response.json() == {"progress": 4}


async def test_unknown_metric_is_404(client: Client) -> None:
    response = await client.get("/goals/5/metricsProgress/calories", headers=user())
    assert response.status_code == 404
    assert response.json() == {"detail": "No data found on that specific metric"}


@pytest.mark.parametrize("days", ["1", "30", "365"])
async def test_days_in_range(client: Client, days: str) -> None:
    assert await progress(client, query=f"?days={days}") == 0


@pytest.mark.parametrize("days", ["0", "366", "-1", "abc", "7.5", "", "99999999999999999999"])
async def test_days_out_of_range_or_not_a_number_is_400(client: Client, days: str) -> None:
    response = await client.get(f"/goals/5/metricsProgress/distance?days={days}", headers=user())
    assert response.status_code == 400, response.text
    assert "days" in str(response.json())
