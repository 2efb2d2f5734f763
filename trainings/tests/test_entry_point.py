"""The console script serves the app it built, and once that app has started, freezes what is
then alive out of the garbage collector and raises its young-generation threshold. The
settings, the app and uvicorn are replaced here: the wiring is what is tested (test_settings
starts the real console script).

Declared glue (ARCHITECTURE.md): identical in every service, which it finds as the one package
under src/ with a console script; overlays/check_glue.py fails when one copy differs."""

import gc
import importlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import Litestar

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = next(SRC.glob("*/__main__.py")).parent.name
entry_point = importlib.import_module(f"{PACKAGE}.__main__")


def test_the_served_app_tunes_the_garbage_collector_once_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = Litestar()
    served: list[Any] = []
    settings = SimpleNamespace(host="127.0.0.1", port=0)
    monkeypatch.setattr(entry_point, "load_settings", lambda *_: settings)
    monkeypatch.setattr(
        entry_point, "create_app", lambda given: built if given is settings else None
    )
    monkeypatch.setattr(entry_point.uvicorn, "run", lambda app, **_: served.append(app))
    entry_point.main()
    assert served == [built]
    assert entry_point.tune_garbage_collector in built.on_startup


def test_tuning_freezes_the_live_objects_and_raises_the_young_threshold() -> None:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        entry_point.tune_garbage_collector()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (entry_point.YOUNG_OBJECTS_THRESHOLD, *thresholds[1:])
        assert thresholds[0] < entry_point.YOUNG_OBJECTS_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
