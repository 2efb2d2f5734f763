"""Every request and response body of the accounts endpoints."""

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

# Neither spaces nor control characters, spelled out so that every regex engine (the contract's
# ECMA-262, pydantic's Rust regex, Python's re) reads the same class: C0 controls and space,
# DEL, C1 controls and NBSP, and the other Unicode spaces.
_SPACE_OR_CONTROL = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_PART = rf"[^@{_SPACE_OR_CONTROL}]+"
# Shape only: Firebase has the last word. Stricter validators refuse special-use domains
# such as the local stack's admin@fiufit.local.
EMAIL_PATTERN = rf"^{_PART}@{_PART}\.{_PART}$"

# Any text: a sign-in or reset with an address that is not an account's is answered as such.
Email = Annotated[str, StringConstraints(max_length=320)]

# Firebase uids are 1 to 128 characters.
UID_MAX_LENGTH = 128


class AccountCreate(BaseModel):
    email: Annotated[str, StringConstraints(max_length=320, pattern=EMAIL_PATTERN)]
    password: Annotated[str, StringConstraints(min_length=6, max_length=128)]


class PasswordLogin(BaseModel):
    email: Email
    password: Annotated[str, StringConstraints(max_length=128)]


class GoogleLogin(BaseModel):
    # The e-mail the client claims; when given it must match the verified one.
    email: Email | None = None


class PasswordReset(BaseModel):
    email: Email


class AccountUpdate(BaseModel):
    disabled: bool = Field(description="true disables the account and revokes its sessions")


class Account(BaseModel):
    id: str = Field(description="The Firebase uid")
    email: str | None = None


class GoogleAccount(Account):
    """``id`` is the Firebase uid (localId), as for every account; ``uid`` repeats it under its
    own name, and ``is_new_user`` says this sign-in created the Firebase account."""

    uid: str
    is_new_user: bool


class AccountState(BaseModel):
    id: str
    disabled: bool
