"""``fiufit-payment``: serve the app with uvicorn (graceful shutdown on SIGTERM)."""

import sys

import uvicorn
from pydantic import ValidationError

from payment.settings import get_settings


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as error:
        # Only which settings are wrong and why: never their values (they may be secrets).
        for problem in error.errors(include_input=False, include_url=False):
            field = ".".join(str(part) for part in problem["loc"]) or "settings"
            print(f"payment: configuration refused: {field}: {problem['msg']}", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(
        "payment.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
