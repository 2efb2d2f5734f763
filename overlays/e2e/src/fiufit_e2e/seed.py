"""`make seed`: demo data through the public API only (the gateway), as the clients would create
it. Trainers with positions around Buenos Aires, athletes, trainings of every type with media,
follows, favourites, ratings, goals with progress, top-ups and a few payments.

Idempotent enough: users have fixed e-mails (an existing one is logged in instead), trainings and
goals are created only when missing (by title), favourites tolerate 409, ratings are PUTs, and
money moves carry fixed `Idempotency-Key`s, so a second run replays them instead of paying twice.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Sequence
from typing import Any

from fiufit_e2e.api import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    Account,
    Gateway,
    bearer,
    gateway_url,
    jitter,
    neighbourhoods,
    png,
    today,
)

PASSWORD = "fiufit-demo"
DOMAIN = "demo.fiufit.example.com"
TRAINERS = [
    ("Martina", "Gómez"),
    ("Lucas", "Fernández"),
    ("Sofía", "Rodríguez"),
    ("Mateo", "López"),
    ("Valentina", "Martínez"),
    ("Benjamín", "García"),
    ("Camila", "Pérez"),
    ("Joaquín", "Sánchez"),
    ("Isabella", "Romero"),
    ("Thiago", "Díaz"),
    ("Emma", "Álvarez"),
    ("Santiago", "Torres"),
]
ATHLETES = [
    ("Julieta", "Ruiz"),
    ("Bautista", "Flores"),
    ("Catalina", "Acosta"),
    ("Felipe", "Benítez"),
    ("Delfina", "Medina"),
    ("Tomás", "Herrera"),
    ("Renata", "Suárez"),
    ("Lautaro", "Aguirre"),
]
DIFFICULTIES = ["Easy", "Medium", "Hard"]
TITLES = {
    "Cardio": ["Morning run", "Jump and sweat", "Park intervals"],
    "Leg": ["Leg day", "Squat ladder", "Strong knees"],
    "Arm": ["Arm blast", "Curl power", "Tricep burner"],
    "Chest": ["Chest builder", "Push up party", "Bench basics"],
    "Back": ["Back to basics", "Pull strength", "Posture fix"],
    "Abdomen": ["Core crusher", "Plank week", "Abs in ten"],
}


def log(message: str) -> None:
    print(f"seed: {message}", flush=True)


def ensure_user(
    gw: Gateway,
    index: int,
    name: tuple[str, str],
    *,
    is_athlete: bool,
    place: dict[str, Any],
    rng: random.Random,
) -> Account:
    kind = "athlete" if is_athlete else "trainer"
    username = f"demo_{kind}_{index:02d}"
    email = f"{username}@{DOMAIN}"
    located = jitter(place, 0.01) if not is_athlete else place
    body = Gateway.signup_body(
        email=email,
        username=username,
        is_athlete=is_athlete,
        password=PASSWORD,
        location=located,
        image=png(2, 2, (rng.randrange(256), rng.randrange(256), rng.randrange(256))),
        name=name[0],
        surname=name[1],
    )
    body["height"] = f"{rng.uniform(1.55, 1.95):.2f}"
    body["weight"] = str(rng.randrange(50, 95))
    created = gw.post("/users", json=body)
    if created.status_code not in (200, 201):
        detail = created.text
        if created.status_code not in (400, 409) or "already" not in detail:
            raise RuntimeError(f"POST /users {username}: {created.status_code} {detail}")
    session = gw.login(email, PASSWORD)
    return Account(
        id=int(session["id"]),
        token=session["token"],
        email=email,
        username=username,
        password=PASSWORD,
        is_athlete=is_athlete,
        location=located["location"],
        coordinates=located["coordinates"],
    )


def ensure_trainings(
    gw: Gateway, trainers: list[Account], rng: random.Random
) -> list[dict[str, Any]]:
    catalogue = gw.get("/trainings/exercises/").json()["items"]
    types = gw.get("/trainings/types/").json()["items"]
    trainings: list[dict[str, Any]] = []
    slot = 0
    for kind in types:
        exercises = [e for e in catalogue if e["type"] == kind] or catalogue[:3]
        for number, title in enumerate(TITLES.get(kind, [f"{kind} routine"])):
            trainer = trainers[slot % len(trainers)]
            slot += 1
            existing = gw.get(
                "/trainings", params={"trainer_id": trainer.id, "title": title, "limit": 100}
            ).json()["items"]
            match = [t for t in existing if t["title"] == title]
            if match:
                trainings.append(match[0])
                continue
            picked = rng.sample(exercises, k=min(3, len(exercises)))
            response = gw.post(
                "/trainings",
                headers=trainer.auth,
                json={
                    "title": title,
                    "description": f"{title} with {trainer.username}",
                    "type": kind,
                    "difficulty": DIFFICULTIES[number % 3],
                    "media": png(4, 4, (rng.randrange(256), rng.randrange(256), 90)),
                    "exercises": [
                        {
                            "name": e["name"],
                            "type": e["type"],
                            "unit": e["unit"],
                            "count": str(rng.choice([8, 10, 12, 15, 20])),
                            "series": str(rng.choice([2, 3, 4])),
                        }
                        for e in picked
                    ],
                    "trainer_id": str(trainer.id),
                },
            )
            if response.status_code != 201:
                raise RuntimeError(
                    f"POST /trainings {title}: {response.status_code} {response.text}"
                )
            trainings.append(response.json())
    return trainings


def favourite_and_rate(
    gw: Gateway, athletes: list[Account], trainings: list[dict[str, Any]], rng: random.Random
) -> None:
    for athlete in athletes:
        for training in rng.sample(trainings, k=min(4, len(trainings))):
            path = f"/users/{athlete.id}/trainings"
            added = gw.post(path, headers=athlete.auth, json={"training_id": training["id"]})
            if added.status_code not in (200, 201, 204, 409):
                raise RuntimeError(f"POST {path}: {added.status_code} {added.text}")
            rated = gw.put(
                f"{path}/{training['id']}", headers=athlete.auth, json={"rate": rng.randint(3, 5)}
            )
            if rated.status_code not in (200, 204):
                raise RuntimeError(f"PUT {path}/{training['id']}: {rated.status_code} {rated.text}")


def follow(
    gw: Gateway, athletes: list[Account], trainers: list[Account], rng: random.Random
) -> None:
    for athlete in athletes:
        for trainer in rng.sample(trainers, k=min(3, len(trainers))):
            response = gw.post(f"/users/{athlete.id}/followed/{trainer.id}", headers=athlete.auth)
            if response.status_code >= 300:
                raise RuntimeError(f"follow: {response.status_code} {response.text}")


def ensure_goals(gw: Gateway, athletes: list[Account], rng: random.Random) -> None:
    plans = [
        ("Run", "Run 10k this week", "distance", 10),
        ("Steps", "Walk every day", "steps", 50000),
        ("Burn fat", "Lose some fat", "fat", 2),
    ]
    for athlete in athletes:
        existing = {g["title"] for g in gw.get(f"/goals/{athlete.id}", headers=athlete.auth).json()}
        for title, description, metric, objective in plans:
            if title in existing:
                continue
            created = gw.post(
                f"/goals/{athlete.id}",
                headers=athlete.auth,
                json={
                    "title": title,
                    "description": description,
                    "metric": metric,
                    "objective": str(objective),
                    "time_limit": (today() + dt.timedelta(days=rng.randint(1, 7))).isoformat(),
                    "image": png(2, 2, (40, 160, 80)) if metric == "distance" else None,
                },
            )
            if created.status_code not in (200, 201):
                raise RuntimeError(f"POST /goals: {created.status_code} {created.text}")
            goal = created.json()
            # Progress as the app sends it: the whole card, numbers as strings, time_limit "".
            progress = rng.choice([objective // 3, objective // 2, objective])
            card = dict(goal, progress=str(progress), objective=str(objective), time_limit="")
            patched = gw.patch(f"/goals/{goal['id']}", headers=athlete.auth, json=card)
            if patched.status_code != 200:
                raise RuntimeError(f"PATCH /goals: {patched.status_code} {patched.text}")


def money(gw: Gateway, admin_token: str, athletes: list[Account], trainers: list[Account]) -> None:
    admin = bearer(admin_token)
    for athlete in athletes:
        response = gw.patch(
            f"/users/{athlete.id}/wallet/balance",
            headers={**admin, "Idempotency-Key": f"demo-seed-top-up-{athlete.username}"},
            json={"amount": "0.05"},
        )
        if response.status_code >= 300:
            raise RuntimeError(f"top-up {athlete.username}: {response.status_code} {response.text}")
    for number, athlete in enumerate(athletes[:4]):
        trainer = trainers[number % len(trainers)]
        response = gw.post(
            "/users/deposit",
            headers={
                **athlete.auth,
                "Idempotency-Key": f"demo-seed-payment-{athlete.username}-{trainer.username}",
            },
            json={"receiver_id": trainer.id, "sender_id": athlete.id, "amount": 0.002},
        )
        if response.status_code >= 300:
            raise RuntimeError(
                f"payment {athlete.username}: {response.status_code} {response.text}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fiufit-seed", description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default=gateway_url(), help="default $FIUFIT_GATEWAY_URL")
    parser.add_argument("--trainers", type=int, default=len(TRAINERS))
    parser.add_argument("--athletes", type=int, default=len(ATHLETES))
    parser.add_argument("--admin-email", default=ADMIN_EMAIL)
    parser.add_argument("--admin-password", default=ADMIN_PASSWORD)
    args = parser.parse_args(argv)
    rng = random.Random(2023)
    places = neighbourhoods()
    gw = Gateway(args.gateway)
    try:
        health = gw.get("/users/healthcheck/")
        if health.status_code != 200:
            log(f"{args.gateway} is not ready ({health.status_code}); is `make up` running?")
            return 1

        def cohort(
            names: Sequence[tuple[str, str]], count: int, *, athlete: bool, stride: int, shift: int
        ) -> list[Account]:
            # Spread over the neighbourhoods: trainers every 4th place, athletes every 5th.
            return [
                ensure_user(
                    gw,
                    i + 1,
                    names[i % len(names)],
                    is_athlete=athlete,
                    place=places[(i * stride + shift) % len(places)],
                    rng=rng,
                )
                for i in range(count)
            ]

        trainers = cohort(TRAINERS, args.trainers, athlete=False, stride=4, shift=0)
        log(f"{len(trainers)} trainers around Buenos Aires")
        athletes = cohort(ATHLETES, args.athletes, athlete=True, stride=5, shift=2)
        log(f"{len(athletes)} athletes")
        trainings = ensure_trainings(gw, trainers, rng)
        log(f"{len(trainings)} trainings (every type, with media)")
        favourite_and_rate(gw, athletes, trainings, rng)
        follow(gw, athletes, trainers, rng)
        log("favourites, ratings and follows")
        ensure_goals(gw, athletes, rng)
        log("goals with progress")
        login = gw.post(
            "/admins/login", json={"email": args.admin_email, "password": args.admin_password}
        )
        if login.status_code != 200:
            log(
                f"admin login as {args.admin_email} failed ({login.status_code} {login.text}): "
                "top-ups and payments skipped"
            )
            return 1
        money(gw, login.json()["token"], athletes, trainers)
        log("top-ups and payments")
    except Exception as error:  # report and fail, without a traceback wall
        log(f"failed: {error}")
        return 1
    finally:
        gw.close()
    log(
        f"done. Log in as demo_athlete_01@{DOMAIN} or demo_trainer_01@{DOMAIN}, password {PASSWORD}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
