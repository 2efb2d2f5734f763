"""Admins: separate table, ids and tokens (`role: admin`) from users."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints

from users.accounts.models import Email, Password
from users.inputs import PAD, strip


class AdminCreate(BaseModel):
    username: Annotated[
        str,
        StringConstraints(pattern=rf"^{PAD}[A-Za-z0-9_.-]{{3,40}}{PAD}$"),
        AfterValidator(strip),
    ]
    email: Email
    password: Password


class Admin(BaseModel):
    id: int
    username: str
    email: str


class AdminLogin(BaseModel):
    id: int
    email: str
    firebase_uid: str
