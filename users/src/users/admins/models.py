"""Admins: separate table, ids and tokens (`role: admin`) from users."""

from typing import Annotated

from pydantic import BaseModel, StringConstraints

from users.accounts.models import Email, Password


class AdminCreate(BaseModel):
    username: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{3,40}$")
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
