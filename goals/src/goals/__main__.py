"""``fiufit-goals``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import uvicorn

from goals.settings import get_settings


def main() -> None:
    settings = get_settings()
    uvicorn.run(
        "goals.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
