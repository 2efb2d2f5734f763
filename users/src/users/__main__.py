"""``fiufit-users``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import uvicorn

from users.base_settings import load_settings
from users.settings import Settings


def main() -> None:
    settings = load_settings(Settings, "fiufit-users")
    uvicorn.run(
        "users.app:create_app",
        factory=True,
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
