"""``fiufit-users``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import gc

import uvicorn

from users.app import create_app
from users.base_settings import load_settings
from users.settings import Settings

# Young objects the collector lets pile up before it walks them (Python's default: 700). Each
# young collection walks every object of the requests in flight (about 75 per request: 2,400 at
# 32 connections), and at 700 it ran every 20 or so requests, about 5% of a cheap read's CPU. At
# 10,000 it runs a few times a minute under the same load; what it frees is the same.
YOUNG_OBJECTS_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Everything alive once the app has started (modules, routes, schemas, models, pools) lives
    as long as the process: frozen out of the garbage collector, whose older-generation passes
    would otherwise walk all of it again and again under load (about 7% of a cheap read's CPU).
    Young collections then wait for YOUNG_OBJECTS_THRESHOLD objects. Garbage made later is
    collected as before."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_THRESHOLD, *gc.get_threshold()[1:])


def main() -> None:
    settings = load_settings(Settings, "fiufit-users")
    app = create_app(settings)
    app.on_startup.append(tune_garbage_collector)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
        # Longer than any proxy in front keeps an idle connection (nginx and ingress-nginx: 60 s):
        # the proxy, not uvicorn, closes it, so no request is sent on a socket being closed.
        timeout_keep_alive=75,
    )


if __name__ == "__main__":
    main()
