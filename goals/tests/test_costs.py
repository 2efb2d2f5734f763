"""What keeps a request's cost flat as data grows, checked by its structure, never by timing:
each list query reads an index in its own order and stops at the page's end, an export's
progress is read from the user's range of an index, and no route
makes Litestar open a task group to resolve its dependencies."""

import json
from datetime import timedelta
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.routes import HTTPRoute

from goals.goals import repository as goals
from goals.internal import repository as internal
from goals.progress import repository as progress
from tests.helpers import START


class Explained:
    """A connection whose `fetch` and `fetchrow` answer the executed plan of the query
    (EXPLAIN ANALYZE) instead of its rows: the repository's own SQL, explained."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.plan: dict[str, Any] = {}

    async def fetch(self, sql: str, *args: object) -> list[Any]:
        answer = await self.conn.fetchval(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", *args)
        self.plan = json.loads(answer)[0]["Plan"]
        return []

    async def fetchrow(self, sql: str, *args: object) -> None:
        await self.fetch(sql, *args)

    def nodes(self) -> list[dict[str, Any]]:
        found, todo = [], [self.plan]
        while todo:
            node = todo.pop()
            found.append(node)
            todo.extend(node.get("Plans", []))
        return found


async def explained(db: asyncpg.Pool, query: Any, *args: object) -> Explained:
    """The plan of `query(conn, *args)` on the analysed tables, sequential scans discouraged
    (a table this small would be read whole whatever its indexes)."""
    async with db.acquire() as conn, conn.transaction():
        await conn.execute("ANALYZE goals; ANALYZE progress_log")
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = Explained(conn)
        await query(plan, *args)
    return plan


async def test_a_page_of_goals_is_read_in_index_order_and_stops_at_its_end(
    db: asyncpg.Pool,
) -> None:
    # 1 000 goals of one user, every third completed (the list puts those first), and others'.
    await db.execute(
        """
        INSERT INTO goals (user_id, title, description, metric, objective, progress, time_limit,
                           created_at, updated_at, completed_at)
        SELECT CASE WHEN n <= 1000 THEN 5 ELSE n END, 'g', 'd', 'distance', 10,
               CASE WHEN n % 3 = 0 THEN 10 ELSE 1 END, $1::date, $2::timestamptz, $2,
               CASE WHEN n % 3 = 0 THEN $2 END
        FROM generate_series(1, 2000) AS n
        """,
        START.date(),
        START,
    )
    plan = await explained(db, goals.list_for_user, 5, 0, 10)
    nodes = plan.nodes()
    assert not [n for n in nodes if n["Node Type"] == "Sort"]
    [scan] = [n for n in nodes if n.get("Relation Name") == "goals"]
    assert scan["Index Name"] == "goals_user_list_order_idx"
    assert scan["Actual Rows"] <= 10  # the page, not the user's 1 000 goals


async def test_a_progress_window_reads_only_the_index_range_of_the_users_metric(
    db: asyncpg.Pool,
) -> None:
    await db.execute(
        """
        INSERT INTO progress_log (user_id, metric, goal_id, progress, delta, recorded_at)
        SELECT n % 10, 'distance', n, n, 1, $1::timestamptz - n * interval '1 hour'
        FROM generate_series(1, 5000) AS n
        """,
        START,
    )
    await db.execute("VACUUM progress_log")  # the visibility map an index-only scan relies on
    plan = await explained(
        db, progress.progress_in_window, 5, "distance", START - timedelta(days=7), START
    )
    [scan] = [n for n in plan.nodes() if n.get("Relation Name") == "progress_log"]
    assert scan["Node Type"] == "Index Only Scan"
    assert scan["Index Name"] == "progress_log_window_idx"
    assert scan["Actual Rows"] == 17  # user 5's changes in the last 7 days: hours 5, 15, … 165


async def test_an_exports_progress_reads_only_the_users_entries(db: asyncpg.Pool) -> None:
    # 5 000 entries of 10 users, 500 of them user 5's, spread over 50 goals of each user.
    await db.execute(
        """
        INSERT INTO progress_log (user_id, metric, goal_id, progress, delta, recorded_at)
        SELECT n % 10, 'distance', n % 500, n, 1, $1::timestamptz - n * interval '1 hour'
        FROM generate_series(1, 5000) AS n
        """,
        START,
    )
    plan = await explained(db, internal.progress_of_goals, 5, list(range(5, 500, 10)), 1001)
    nodes = plan.nodes()
    [scan] = [n for n in nodes if n.get("Relation Name") == "progress_log"]
    assert scan["Actual Rows"] == 500  # user 5's entries, nobody else's
    assert "progress_log_window_idx" in {n.get("Index Name") for n in nodes}


def test_no_route_resolves_two_dependencies_at_once(app: Litestar) -> None:
    """Litestar resolves a batch of independent dependencies in an anyio task group, opened on
    every request; `caller` depends on `services` so that each batch holds one."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (_, kwargs) in route.route_handler_map.items():
                batches = [sorted(d.key for d in batch) for batch in kwargs.dependency_batches]
                assert all(len(batch) <= 1 for batch in batches), (route.path, method, batches)
