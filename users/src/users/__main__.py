"""``fiufit-users``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import gc

import uvicorn

from users.app import create_app
from users.base_settings import load_settings
from users.settings import Settings


def freeze_startup_objects() -> None:
    """Everything alive once the app has started (modules, routes, schemas, models, pools) lives
    as long as the process: frozen out of the garbage collector, whose older-generation passes
    would otherwise walk all of it again and again under load (about 7% of a cheap read's CPU).
    Garbage made later is collected as before."""
    gc.collect()
    gc.freeze()


def main() -> None:
    settings = load_settings(Settings, "fiufit-users")
    app = create_app(settings)
    app.on_startup.append(freeze_startup_objects)
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
