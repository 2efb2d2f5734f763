"""The settings every service names the same way, and the one check of their secrets.

Each service's ``settings.py`` subclasses `ServiceSettings` (or `OriginRegexSettings`): its
``model_config`` gives its env prefix, it re-declares a field here only to give it its own
default (its ports, a CORS list that differs), and its field validators pass each secret to
`ServiceSettings.real_secret`. The console scripts build the settings with `load_settings`, which
exits 2 on a bad configuration. Messages name the environment variable, never its value.
"""

import re
import sys
from collections.abc import Iterable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that mean "nobody filled this in": envsubst renders an unset variable as "", a template
# copied by hand keeps "$NAME" / "${NAME}" / "<your key>", and examples say "changeme". A service
# started with one of these as a secret would fail open (compare_digest("", "") is true).
_PLACEHOLDER = re.compile(
    r"""^(?:
        \$\{?[A-Za-z_][A-Za-z0-9_]*\}?        # $NAME or ${NAME}
      | <.*>                                # <service-token>
      | dummy-.*                            # dummy-key
      | [x*.\-]+                            # xxx, ***, ---
      | change[-_ ]?(?:me|it) | replace[-_ ]?me | placeholder | secret | password
      | todo | tbd | none | null | undefined | dummy | example | test
    )$""",
    re.IGNORECASE | re.VERBOSE | re.DOTALL,
)
# Joins the problems one validator finds; `load_settings` prints each on its own line.
SEPARATOR = "; "

_Settings = TypeVar("_Settings", bound=BaseSettings)


def placeholder_reason(value: str) -> str | None:
    """Why a secret's value is not a real one (empty, a placeholder), or None when it may be."""
    stripped = value.strip()
    if not stripped:
        return "is empty"
    if _PLACEHOLDER.match(stripped):
        return "is a placeholder, not a real value"
    if "${" in stripped:
        return "holds an unrendered ${…} placeholder"
    return None


def url_problem(variable: str, url: str, schemes: Sequence[str]) -> str | None:
    """Why a URL that may carry credentials must not be used, naming `variable` (never the
    value): empty or a placeholder, another scheme than `schemes`, or a password that is empty
    (`redis://:@host`, what a template renders when the password is unset) or a placeholder.
    None when it may be used."""
    reason = placeholder_reason(url)
    if reason is None:
        reason = _url_reason(url.strip(), schemes)
    return None if reason is None else f"{variable} {reason}"


def _url_reason(url: str, schemes: Sequence[str]) -> str | None:
    prefixes = tuple(f"{scheme}://" for scheme in schemes)
    if not url.lower().startswith(prefixes):
        return f"must be a {' or '.join(prefixes)} URL"
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "is not a URL"
    if "@" in parts.netloc and password is not None:
        if not password:
            return "carries an empty password"
        if placeholder_reason(password) is not None:
            return "carries a placeholder password"
    return None


def refuse(problems: Iterable[str | None]) -> None:
    """Raise the problems a validator found (each naming its variable; None for a check that
    passed) as one error, if there is any."""
    found = [problem for problem in problems if problem]
    if found:
        raise ValueError(SEPARATOR.join(found))


class ServiceSettings(BaseSettings):
    """The fields every service names the same way (ARCHITECTURE.md, "Settings every service
    names the same way"). A subclass sets ``env_prefix`` in its own ``model_config``."""

    # Unknown variables are ignored; errors never repeat the input (a URL may carry a password).
    model_config = SettingsConfigDict(extra="ignore", hide_input_in_errors=True)

    # The address the HTTP server listens on (every interface, in a container).
    host: str = "0.0.0.0"
    # The HTTP port: each service declares its own default.
    port: int
    # The least severe level logged (JSON lines on stdout): DEBUG, INFO, WARNING, ERROR.
    log_level: str = "INFO"
    # The separate Prometheus listener, each service's own default; 0 disables it (tests run
    # several apps in one process).
    prometheus_port: int
    # Browser origins CORS allows (a JSON list): the local front ends.
    cors_allowed_origins: list[str] = ["http://localhost:3000", "http://127.0.0.1:3000"]

    @classmethod
    def env_variable(cls, field: str) -> str:
        """The environment variable that sets `field`: the class's prefix and the field's name."""
        return f"{cls.model_config.get('env_prefix', '')}{field}".upper()

    @classmethod
    def secret_problem(
        cls, field: str, value: str | SecretStr | None, schemes: Sequence[str] = ()
    ) -> str | None:
        """What makes a secret's value unusable, naming its variable (never the value): None
        (unset) or empty, a placeholder, and for a URL (`schemes` given) `url_problem`'s checks.
        None when it may be used."""
        text = value.get_secret_value() if isinstance(value, SecretStr) else value or ""
        if schemes:
            return url_problem(cls.env_variable(field), text, schemes)
        reason = placeholder_reason(text)
        return None if reason is None else f"{cls.env_variable(field)} {reason}"

    @classmethod
    def real_secret(
        cls, field: str, value: SecretStr, schemes: Sequence[str] = (), *, strip: bool = False
    ) -> SecretStr:
        """`value` (its surrounding blanks stripped with `strip`), or a ValueError naming its
        variable when `secret_problem` finds it unusable: for the field validators of secrets."""
        refuse([cls.secret_problem(field, value, schemes)])
        return SecretStr(value.get_secret_value().strip()) if strip else value


class OriginRegexSettings(ServiceSettings):
    """`ServiceSettings` with the origin pattern, for the services a browser reaches from the
    back office's deployments."""

    # Origins CORS allows by pattern besides the list: the back office on Vercel (production
    # and preview deployments).
    cors_allowed_origin_regex: str | None = r"https://.*\.vercel\.app"


def load_settings(settings_class: type[_Settings], program: str) -> _Settings:
    """The settings, or exit 2 with one line per problem on stderr (variable names, never
    values): the console scripts' first step, so a bad configuration never serves."""
    try:
        return settings_class()
    except ValidationError as error:
        print(
            f"{program}: refusing to start, the configuration is invalid:\n  "
            + "\n  ".join(configuration_problems(settings_class, error)),
            file=sys.stderr,
        )
        raise SystemExit(2) from None


def configuration_problems(settings_class: type[BaseSettings], error: ValidationError) -> list[str]:
    """One line per problem of `error`, each naming its environment variable (and the setting),
    never a value."""
    prefix = str(settings_class.model_config.get("env_prefix", ""))
    problems: list[str] = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if not item["loc"]:  # a model validator: its messages name their variables
            problems += message.split(SEPARATOR)
            continue
        name = str(item["loc"][0])
        # An alias is already a variable's name; a field's variable is the prefix and the name.
        variable = f"{prefix}{name}".upper() if name in settings_class.model_fields else name
        where = f"(setting {name})" if name in settings_class.model_fields else ""
        for problem in message.split(SEPARATOR):
            line = problem if problem.startswith(variable) else f"{variable}: {problem}"
            problems.append(f"{line} {where}".rstrip())
    return problems
