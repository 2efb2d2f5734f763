"""Sign-up and login bodies."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints

from users.inputs import BLANKS, NO_NUL, PAD, strip
from users.profiles.models import ProfileFields

# The shape the clients check (x@y.z), spaces around it dropped; Firebase has the final word.
PART = rf"[^@{BLANKS}]+"
Email = Annotated[
    str,
    StringConstraints(max_length=254, pattern=rf"^{PAD}{PART}@{PART}\.{PART}{PAD}$"),
    AfterValidator(strip),
]
Password = Annotated[str, StringConstraints(min_length=6, max_length=128, pattern=NO_NUL)]
# What a login compares with the stored e-mail, spaces around it dropped.
LoginEmail = Annotated[
    str, StringConstraints(max_length=254, pattern=NO_NUL), AfterValidator(strip)
]
LoginPassword = Annotated[str, StringConstraints(max_length=128, pattern=NO_NUL)]


class EmailSignUp(ProfileFields):
    email: Email
    password: Password


class GoogleSignUp(ProfileFields):
    """The mobile app also sends `password: ""` and `google_token`: both are ignored, as is
    any other field."""

    email: Email


class PasswordLogin(BaseModel):
    email: LoginEmail
    password: LoginPassword


class TokenRelogin(BaseModel):
    """The 2023 re-login: a still-valid Bearer token, with or without credentials."""

    email: LoginEmail | None = None
    password: LoginPassword | None = None


class GoogleLogin(BaseModel):
    email: Email | None = None


class LoginReply(BaseModel):
    token: str
    id: int
