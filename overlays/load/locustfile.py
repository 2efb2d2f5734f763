"""`make load`: the mobile app's and the back office's journeys, replayed through the gateway by
locust with the clients' own paths and bodies (shared/reference/original-clients.md §2-§3; the
bodies come from overlays/e2e's client, `fiufit_e2e.api`).

Three kinds of simulated user, by weight: athletes (6), trainers (2) and back-office admins (1).
Each signs up (an admin logs in) once, keeps its token for the whole run and logs in again only
when the token is a minute from its `exp`. Each then loops over its journeys with a think time.
Statistics are grouped by route template (`/users/{id}`), never by id. Every status a client
does not expect is a failure, with the start of the body, and fails the run.

Rate limits: the users service counts logins and sign-ups per client address and per account.
When the gateway is on this machine, each simulated user connects from its own loopback address
(127.77.x.y), as every phone has its own. Admin logins share one account, so they are paced to
stay within its per-account limit. Against a gateway elsewhere, every user shares one address,
so logins are paced to stay within the per-address limit.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import ipaddress
import itertools
import json
import os
import random
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import gevent
from fiufit_e2e.api import ADMIN_EMAIL, ADMIN_PASSWORD, Gateway, jitter, letters, png, today, unique
from gevent.lock import Semaphore
from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.exception import RescheduleTask
from locust.runners import WorkerRunner
from requests.adapters import HTTPAdapter

import soak

PASSWORD = "secret-load-1"
DOMAIN = "load.example.com"
OK = range(200, 300)  # what both clients accept from a write
METRIC_NAMES = (
    "user_blocked_count",
    "user_password_recovery_count",
    "user_login_count",
    "user_created_count",
    "user_by_region_count",
)
DASHBOARD = ("distance", "fat", "muscle", "steps")
DIFFICULTIES = ("Easy", "Medium", "Hard")
TYPES = ("Cardio", "Leg", "Arm", "Chest", "Back", "Abdomen")
# Think time between two journeys of one user, in seconds: LOAD_THINK="low-high".
THINK = tuple(float(part) for part in os.environ.get("LOAD_THINK", "1-3").split("-", 1))
# users' defaults: 10 logins a minute per account, 30 per client address (fixed windows).
ADMIN_LOGIN_INTERVAL = 6.5
SHARED_ADDRESS_LOGIN_INTERVAL = 2.1
FIRST_SOURCE = ipaddress.IPv4Address("127.77.0.1")
TRAININGS_PER_TRAINER = 10


class Pace:
    """At most one call per `interval` seconds across this process's simulated users."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next = 0.0
        self._lock = Semaphore()

    def wait(self) -> None:
        with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            self._next = time.monotonic() + self.interval


class SourceAddress(HTTPAdapter):
    """Connections from one local address, so that a simulated user is one client."""

    def __init__(self, address: str) -> None:
        self.address = address  # read by init_poolmanager, which the constructor calls
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def is_loopback(url: str) -> bool:
    try:
        address = socket.gethostbyname(urlsplit(url).hostname or "")
        return ipaddress.ip_address(address).is_loopback
    except (OSError, ValueError):
        return False


def expiry(token: str) -> float:
    """The token's `exp` (read, not verified: the services verify it)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError):
        return time.time() + 3600


# gevent's loop caches its clock until it first runs, and locust's --run-time timer starts from
# that cached time: refreshed here, a run lasts its DURATION rather than less by the start-up.
gevent.get_hub().loop.update_now()

_sources = itertools.count()
_admin_logins = Pace(ADMIN_LOGIN_INTERVAL)
_shared_logins = Pace(SHARED_ADDRESS_LOGIN_INTERVAL)
# Trainers signed up in this run, for the athletes' people journeys: (username, [lon, lat]).
trainers: list[tuple[str, list[float]]] = []


class Client(HttpUser):
    """What every simulated user shares: its address, its session and the request helper."""

    abstract = True
    wait_time = between(THINK[0], THINK[-1])

    def on_start(self) -> None:
        self.token = ""
        self.user_id = 0
        self.expires = 0.0
        self.own_address = is_loopback(self.host or "")
        if self.own_address:
            address = str(FIRST_SOURCE + next(_sources))
            self.client.mount("http://", SourceAddress(address))
        # A failure is counted; the next journey tries again (`ready`).
        with contextlib.suppress(RescheduleTask):
            self.begin()

    def begin(self) -> None:
        """Sign up or log in: the session every journey needs."""
        raise NotImplementedError

    def log_in(self) -> None:
        raise NotImplementedError

    def ready(self) -> None:
        if not self.token:
            self.begin()
        elif time.time() > self.expires - 60:
            self.log_in()

    def pace_login(self) -> None:
        if not self.own_address:
            _shared_logins.wait()

    def call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        expect: range | tuple[int, ...] = (200,),
        auth: bool = True,
        **kwargs: Any,
    ) -> Any:
        """One request counted under `name`; returns its JSON body (None when empty). A status
        outside `expect` is a failure and ends the journey (the user waits, then goes on)."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth else {}
        with self.client.request(
            method, path, name=name, headers=headers, catch_response=True, **kwargs
        ) as response:
            if response.status_code not in expect:
                # Status 0: no answer at all (locust keeps the connection error).
                text = response.text or repr(getattr(response, "error", ""))
                response.failure(f"{response.status_code} {' '.join(text.split())[:200]}")
                raise RescheduleTask()
            if not response.content:
                response.success()
                return None
            try:
                body = response.json()
            except ValueError:
                response.failure(f"{response.status_code} not JSON: {response.text[:200]}")
                raise RescheduleTask() from None
            response.success()
            return body

    def session_from(self, body: dict[str, Any]) -> None:
        self.token = body["token"]
        self.user_id = int(body["id"])
        self.expires = expiry(self.token)


class MobileUser(Client):
    """An athlete or a trainer of the mobile app: F1 sign-up and login, then its journeys."""

    abstract = True
    is_athlete = True

    def begin(self) -> None:
        places = self.call("GET", "/users/locations/", "/users/locations/", auth=False)
        self.place = jitter(random.choice(places))
        self.username = unique("la_" if self.is_athlete else "lt_")
        body = Gateway.signup_body(
            email=f"{self.username.lower()}@{DOMAIN}",
            username=self.username,
            is_athlete=self.is_athlete,
            password=PASSWORD,
            location=self.place,
            image=png() if random.random() < 0.25 else None,
        )
        self.email = body["email"]
        self.call("POST", "/users", "/users (sign-up)", expect=OK, auth=False, json=body)
        self.log_in()
        self.call("GET", f"/users/{self.user_id}", "/users/{id}")
        # The main screen's start-up calls.
        self.call("GET", f"/users?username={self.username}", "/users?username")
        self.call("GET", "/trainings/types/", "/trainings/types/", auth=False)
        self.started()

    def started(self) -> None:
        raise NotImplementedError

    def log_in(self) -> None:
        self.pace_login()
        self.session_from(
            self.call(
                "POST",
                "/users/login",
                "/users/login",
                auth=False,
                json={"email": self.email, "password": PASSWORD},
            )
        )

    @task(3)
    def profile(self) -> None:
        self.ready()
        self.call("GET", f"/users/{self.user_id}", "/users/{id}")
        self.call("GET", f"/users?username={self.username}", "/users?username")

    @task(1)
    def wallet(self) -> None:
        self.ready()
        self.call("GET", f"/users/{self.user_id}/wallet", "/users/{id}/wallet")
        self.call("GET", f"/users/{self.user_id}/wallet/balance", "/users/{id}/wallet/balance")


class Athlete(MobileUser):
    weight = 6
    is_athlete = True

    def on_start(self) -> None:
        self.seen: list[dict[str, Any]] = []  # the last search's trainings
        super().on_start()

    def started(self) -> None:
        self.favourites()

    def favourites(self) -> list[dict[str, Any]]:
        page = self.call(
            "GET", f"/users/{self.user_id}/trainings", "/users/{id}/trainings", auth=False
        )
        items: list[dict[str, Any]] = page["items"]
        return items

    @task(4)
    def search_trainings(self) -> None:
        """F4 1-3: the search screen, by title prefix or by type and difficulty."""
        self.ready()
        self.call("GET", "/trainings/types/", "/trainings/types/", auth=False)
        if self.seen and random.random() < 0.3:
            prefix = random.choice(self.seen)["title"][:4]
            page = self.call(
                "GET", "/trainings", "/trainings?title", auth=False, params={"title": prefix}
            )
        else:
            query = {"difficulty": random.choice(DIFFICULTIES)}
            if random.random() < 0.7:
                query["training_type"] = random.choice(TYPES)
            page = self.call(
                "GET", "/trainings", "/trainings?training_type&difficulty", auth=False, params=query
            )
        self.seen = [item for item in page["items"] if not item["blocked"]] or self.seen
        self.favourites()

    @task(2)
    def favourite_and_rate(self) -> None:
        """F4 4-8: favourite a training found, rate it, maybe clear the rate, remove it."""
        self.ready()
        if not self.seen:
            return
        tid = random.choice(self.seen)["id"]
        base = f"/users/{self.user_id}/trainings"
        if tid in {item["id"] for item in self.favourites()}:
            return
        self.call("POST", base, "/users/{id}/trainings", expect=OK, json={"training_id": tid})
        self.favourites()
        rating = f"{base}/{tid}/rating"
        self.call(
            "GET", rating, "/users/{id}/trainings/{tid}/rating", expect=(200, 404), auth=False
        )
        rate = f"{base}/{tid}"
        self.call(
            "PUT",
            rate,
            "/users/{id}/trainings/{tid}",
            expect=OK,
            json={"rate": random.randint(1, 5)},
        )
        self.call("GET", f"/trainings/{tid}", "/trainings/{id}")
        if random.random() < 0.3:
            self.call("PUT", rate, "/users/{id}/trainings/{tid}", expect=OK, json={"rate": 0})
        self.call("DELETE", rate, "/users/{id}/trainings/{tid}", expect=OK)

    @task(2)
    def goals(self) -> None:
        """F6: a goal created, progressed, watched on the dashboard, then deleted."""
        self.ready()
        mine = f"/goals/{self.user_id}"
        catalogue = self.call("GET", "/goals/metrics", "/goals/metrics")
        metric = random.choice(catalogue)
        created = self.call(
            "POST",
            mine,
            "/goals/{user_id}",
            expect=OK,
            json={
                "title": "Run " + letters(5),
                "description": "Load test goal",
                "metric": metric["name"],
                "objective": "10",
                "time_limit": (today() + dt.timedelta(days=3)).isoformat(),
                "image": None,
            },
        )
        goal_id = created["id"] if isinstance(created, dict) else int(created)
        goals = self.call("GET", mine, "/goals/{user_id}")
        card = next(goal for goal in goals if goal["id"] == goal_id)
        self.call(
            "PATCH",
            f"/goals/{goal_id}",
            "/goals/{goal_id}",
            expect=OK,
            json={**card, "progress": "4", "time_limit": ""},
        )
        for name in DASHBOARD:
            self.call(
                "GET",
                f"{mine}/metricsProgress/{name}?days=7",
                f"/goals/{{user_id}}/metricsProgress/{name}",
            )
        self.call("DELETE", f"/goals/{goal_id}", "/goals/{goal_id}", expect=OK)

    @task(1)
    def people(self) -> None:
        """F5: a trainer found by username and nearby, followed, then unfollowed."""
        self.ready()
        if not trainers:
            return
        username, (lon, lat) = random.choice(trainers)
        other = self.call("GET", f"/users?username={username}", "/users?username")
        self.call(
            "GET",
            "/users",
            "/users?latitude&longitude&radius",
            params={"latitude": lat, "longitude": lon, "radius": 1000},
        )
        followed = f"/users/{self.user_id}/followed"
        self.call("GET", followed, "/users/{id}/followed")
        self.call("POST", f"{followed}/{other['id']}", "/users/{id}/followed/{other}", expect=OK)
        self.call("GET", f"/users/{other['id']}/followers", "/users/{id}/followers")
        self.call("DELETE", f"{followed}/{other['id']}", "/users/{id}/followed/{other}", expect=OK)


class Trainer(MobileUser):
    weight = 2
    is_athlete = False

    def on_start(self) -> None:
        self.exercises: list[dict[str, Any]] = []
        self.mine: list[dict[str, Any]] = []  # the trainings this trainer created
        super().on_start()

    def started(self) -> None:
        self.exercises = self.call(
            "GET", "/trainings/exercises/", "/trainings/exercises/", auth=False
        )["items"]
        self.create_training(media=png())
        self.create_training(media=None)
        self.own_list()
        trainers.append((self.username, self.place["coordinates"]))

    def create_training(self, media: str | None) -> None:
        """F2 4: one training of a random type with two of its catalogue exercises."""
        kind = random.choice(TYPES)
        moves = [item for item in self.exercises if item["type"] == kind][:2]
        created = self.call(
            "POST",
            "/trainings",
            "/trainings (create)",
            expect=OK,
            json={
                "title": f"{kind} {letters(8)}",
                "description": "A load test routine",
                "type": kind,
                "difficulty": random.choice(DIFFICULTIES),
                "media": media,
                "exercises": [{**move, "count": 10, "series": "3"} for move in moves],
                "trainer_id": str(self.user_id),
            },
        )
        self.mine.append(created)

    def own_list(self) -> None:
        self.call("GET", "/trainings", "/trainings?trainer_id", params={"trainer_id": self.user_id})

    @task(3)
    def home(self) -> None:
        self.ready()
        self.own_list()

    @task(2)
    def own_search(self) -> None:
        """F2 7: the trainer's own search, by title prefix or by type and difficulty."""
        self.ready()
        if not self.mine:
            return
        query: dict[str, Any] = {"trainer_id": self.user_id}
        if random.random() < 0.5:
            query["title"] = random.choice(self.mine)["title"][:5]
            name = "/trainings?trainer_id&title"
        else:
            query.update(training_type=random.choice(TYPES), difficulty="Easy")
            name = "/trainings?trainer_id&training_type&difficulty"
        self.call("GET", "/trainings", name, auth=False, params=query)

    @task(1)
    def edit(self) -> None:
        """F2 6: an edit of title and description (media null keeps it), read back."""
        self.ready()
        if not self.mine:
            return
        training = random.choice(self.mine)
        path = f"/trainings/{training['id']}"
        body = {"title": training["title"], "description": "Edited " + letters(6), "media": None}
        self.call("PATCH", path, "/trainings/{id}", expect=OK, json=body)
        self.call("GET", path, "/trainings/{id}")

    @task(1)
    def create(self) -> None:
        self.ready()
        if len(self.mine) < TRAININGS_PER_TRAINER:
            self.create_training(media=None)
            self.own_list()

    @task(1)
    def people(self) -> None:
        self.ready()
        self.call("GET", f"/users/{self.user_id}/followers", "/users/{id}/followers")
        self.call("GET", f"/users/{self.user_id}/followed", "/users/{id}/followed")


class BackOffice(Client):
    """An admin in the back office (F9): counters, the users, trainings and transactions tables,
    the admins table, a user's detail and the services page. Nothing that changes other users'
    state (blocking, top-ups) is replayed: the load would then test itself."""

    weight = 1

    def begin(self) -> None:
        self.log_in()
        self.services()

    def log_in(self) -> None:
        _admin_logins.wait()
        self.pace_login()
        self.session_from(
            self.call(
                "POST",
                "/admins/login",
                "/admins/login",
                auth=False,
                json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            )
        )

    @task(3)
    def counters(self) -> None:
        """The metrics page: the five counters, one after another as the back office asks."""
        self.ready()
        for name in METRIC_NAMES:
            self.call("GET", f"/metrics?name={name}", f"/metrics?name={name}")

    @task(2)
    def users(self) -> None:
        """The users table, two pages, then one user's detail, goals and balance."""
        self.ready()
        rows = random.choice((5, 10, 25))
        page = self.call("GET", f"/users?offset=0&limit={rows}", "/users?offset&limit")
        self.call("GET", f"/users?offset={rows}&limit={rows}", "/users?offset&limit")
        if page["items"]:
            uid = random.choice(page["items"])["id"]
            self.call("GET", f"/users/{uid}", "/users/{id}")
            self.call("GET", f"/goals/{uid}", "/goals/{user_id}")
            self.call("GET", f"/users/{uid}/wallet/balance", "/users/{id}/wallet/balance")

    @task(2)
    def trainings(self) -> None:
        """The trainings table, its first page and a type filter (no token, as sent)."""
        self.ready()
        self.call("GET", "/trainings/types/", "/trainings/types/", auth=False)
        self.call("GET", "/trainings?offset=0&limit=10", "/trainings?offset&limit", auth=False)
        query = f"training_type={random.choice(TYPES)}&difficulty={random.choice(DIFFICULTIES)}"
        self.call(
            "GET",
            f"/trainings?{query}&offset=0&limit=10",
            "/trainings?training_type&difficulty&offset&limit",
            auth=False,
        )

    @task(1)
    def transactions(self) -> None:
        self.ready()
        self.call("GET", "/users/transactions?offset=0&limit=10", "/users/transactions")

    @task(1)
    def admins(self) -> None:
        self.ready()
        self.call("GET", "/admins", "/admins")

    @task(1)
    def services(self) -> None:
        """The services page: three health checks."""
        for prefix in ("users", "trainings", "goals"):
            self.call("GET", f"/{prefix}/healthcheck/", f"/{prefix}/healthcheck/", auth=False)


# --- the report, and the soak's memory watch ---

watch: soak.Watch | None = None


def _on_test_start(environment: Environment, **_: Any) -> None:
    global watch
    if os.environ.get("LOAD_SOAK") == "1" and not isinstance(environment.runner, WorkerRunner):
        watch = soak.Watch()
        gevent.spawn(_sample_forever, watch)


def _sample_forever(running: soak.Watch) -> None:
    for tick in itertools.count(1):
        print(soak.Watch.line(running.take()), flush=True)
        gevent.sleep(max(0.0, running.started + tick * soak.INTERVAL - time.monotonic()))


def _on_quitting(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    print(report(environment), flush=True)
    if watch is not None:
        watch.take()
        print("\nService memory (RSS, MiB) during the soak\n" + watch.report(), flush=True)
        if not watch.all_flat() and environment.process_exit_code is None:
            environment.process_exit_code = 1


def report(environment: Environment) -> str:
    """Requests per second and p50/p95/p99 per endpoint, then every error with its count."""
    stats = environment.stats
    rows = [
        "",
        f"{'method':<7}{'endpoint':<52}{'requests':>9}{'fails':>7}{'req/s':>8}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}",
    ]
    entries = sorted(stats.entries.values(), key=lambda entry: (entry.name, entry.method or ""))
    for entry in [*entries, stats.total]:
        rows.append(
            f"{entry.method or '':<7}{entry.name:<52}{entry.num_requests:>9}"
            f"{entry.num_failures:>7}{entry.total_rps:>8.1f}"
            f"{entry.get_response_time_percentile(0.5):>8.0f}"
            f"{entry.get_response_time_percentile(0.95):>8.0f}"
            f"{entry.get_response_time_percentile(0.99):>8.0f}"
        )
    errors = sorted(stats.errors.values(), key=lambda error: -error.occurrences)
    rows.append("")
    rows.append(f"errors: {sum(error.occurrences for error in errors)}")
    for error in errors:
        rows.append(f"  {error.occurrences:>6}  {error.method} {error.name}: {error.error}")
    return "\n".join(rows)


# locust's EventHook.add_listener carries no annotations.
events.test_start.add_listener(_on_test_start)  # type: ignore[no-untyped-call]
events.quitting.add_listener(_on_quitting)  # type: ignore[no-untyped-call]
