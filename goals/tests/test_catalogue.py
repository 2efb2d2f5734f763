import json
import subprocess
import sys
from pathlib import Path

from goals.catalogue.models import NAMES
from tests.helpers import Client, admin, user

ROOT = Path(__file__).resolve().parents[1]
# shared/data/catalogues.json's goal_metrics, which the committed migration was generated from.
# The app's dashboard hard-codes these four names; its new-goal form defaults to the first.
GOAL_METRICS = [
    {"name": "distance", "unit": "km"},
    {"name": "muscle", "unit": "kg"},
    {"name": "fat", "unit": "kg"},
    {"name": "steps", "unit": "step"},
]


async def test_metrics_catalogue_in_order(client: Client) -> None:
    for headers in (user(), admin()):
        response = await client.get("/goals/metrics", headers=headers)
        assert response.status_code == 200
        assert response.json() == GOAL_METRICS
    # The names the OpenAPI document lists for a new goal's metric are the database's.
    assert list(NAMES) == [metric["name"] for metric in GOAL_METRICS]


def check_migration(
    source: Path, catalogue: dict[str, object]
) -> "subprocess.CompletedProcess[str]":
    source.write_text(json.dumps(catalogue))
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "catalogue_migration.py"), "--check", str(source)],
        capture_output=True,
        text=True,
    )


def test_committed_migration_is_what_the_generator_writes(tmp_path: Path) -> None:
    source = tmp_path / "catalogues.json"
    same = check_migration(source, {"training_types": ["Cardio"], "goal_metrics": GOAL_METRICS})
    assert same.returncode == 0, same.stdout
    drifted = check_migration(source, {"goal_metrics": [*GOAL_METRICS, {"name": "x", "unit": "y"}]})
    assert drifted.returncode == 1 and "out of date" in drifted.stdout


async def test_metrics_needs_a_valid_token(client: Client) -> None:
    assert (await client.get("/goals/metrics")).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await client.get("/goals/metrics", headers=bad)).status_code == 401
