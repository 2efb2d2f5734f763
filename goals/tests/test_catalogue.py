import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import Client, admin, user

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = ROOT.parents[1] / "shared" / "data" / "catalogues.json"


async def test_metrics_catalogue_is_the_shared_one_in_order(client: Client) -> None:
    expected = json.loads(CATALOGUES.read_text())["goal_metrics"]
    for headers in (user(), admin()):
        response = await client.get("/goals/metrics", headers=headers)
        assert response.status_code == 200
        assert response.json() == expected
    names = [metric["name"] for metric in expected]
    assert names[0] == "distance"  # the app's default
    assert {"distance", "fat", "muscle", "steps"} <= set(names)  # the dashboard's four


def test_committed_catalogue_migration_matches_the_shared_catalogue() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "catalogue_migration.py"),
            "--check",
            str(CATALOGUES),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


async def test_metrics_needs_a_valid_token(client: Client) -> None:
    assert (await client.get("/goals/metrics")).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await client.get("/goals/metrics", headers=bad)).status_code == 401
