"""Sign-up and login bodies."""

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from users.profiles.models import ProfileFields

# The shape the clients check (x@y.z); Firebase has the final word.
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=6, max_length=128)]


class EmailSignUp(ProfileFields):
    email: Email
    password: Password


class GoogleSignUp(ProfileFields):
    """The mobile app also sends `password: ""` and `google_token`: both are ignored."""

    email: Email


class PasswordLogin(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)]
    password: Annotated[str, StringConstraints(max_length=128)]


class TokenRelogin(BaseModel):
    """The 2023 re-login: a still-valid Bearer token, with or without credentials."""

    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    password: Annotated[str, StringConstraints(max_length=128)] | None = None


class GoogleLogin(BaseModel):
    email: Email | None = None


class LoginReply(BaseModel):
    token: str
    id: int
