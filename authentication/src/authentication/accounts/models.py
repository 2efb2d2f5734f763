"""Every request and response body of the accounts endpoints."""

from pydantic import BaseModel, Field

# Shape only: Firebase has the last word. Stricter validators refuse special-use domains
# such as the local stack's admin@fiufit.local.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AccountCreate(BaseModel):
    email: str = Field(max_length=320, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=6, max_length=128)


class PasswordLogin(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=128)


class GoogleLogin(BaseModel):
    # The e-mail the client claims; when given it must match the verified one.
    email: str | None = Field(default=None, max_length=320)


class PasswordReset(BaseModel):
    email: str = Field(max_length=320)


class AccountUpdate(BaseModel):
    disabled: bool


class Account(BaseModel):
    id: str
    email: str | None = None


class GoogleAccount(Account):
    """``id`` is the Firebase uid (localId), as for every account; ``uid`` repeats it under its
    own name, and ``is_new_user`` says this sign-in created the Firebase account."""

    uid: str
    is_new_user: bool


class AccountState(BaseModel):
    id: str
    disabled: bool
