"""``fiufit-authentication``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import sys

import uvicorn
from pydantic import ValidationError

from authentication.settings import Settings, get_settings


def load_settings() -> Settings:
    """The settings, or exit 2 with one line per problem (variable names, never values)."""
    try:
        return get_settings()
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        ]
        print(
            "fiufit-authentication: refusing to start, the configuration is invalid:\n  "
            + "\n  ".join(problems),
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def main() -> None:
    settings = load_settings()
    uvicorn.run(
        "authentication.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
