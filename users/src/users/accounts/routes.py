"""Sign-up, logins and password recovery (no FiuFit token needed)."""

from typing import Annotated, Any

from litestar import Controller, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import ResponseHeader
from litestar.exceptions import ClientException, NotAuthorizedException
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.response import Response

from users.accounts import service
from users.accounts.models import (
    GoogleLogin,
    GoogleSignUp,
    LoginReply,
    TokenRelogin,
)
from users.errors import TooManyRequests
from users.openapi import PUBLIC
from users.profiles.models import User
from users.security import ApiRequest, limit_login, limit_recovery, limit_signup

# Documented as security schemes (contract.py): the Google credential, or the Bearer re-login.
Authorization = Annotated[
    str | None, HeaderParameter(name="Authorization", include_in_schema=False)
]
# Where a new user can be read (GET /users/{id}); clients that ignore it see nothing new.
LOCATION = ResponseHeader(
    name="Location", description="The new user's path", documentation_only=True
)


def created(user: User) -> Response[User]:
    return Response(user, status_code=201, headers={"Location": f"/users/{user.id}"})


def _google_credential(authorization: str | None) -> str:
    if not authorization or not authorization.strip():
        raise ClientException("Missing IDP token")
    return authorization.strip()


class AccountController(Controller):
    path = "/users"
    tags = ("accounts",)

    @post(
        "/usersIDP",
        status_code=201,
        opt=PUBLIC,
        raises=[NotAuthorizedException, TooManyRequests],
        response_headers=[LOCATION],
    )
    async def sign_up_with_google(
        self,
        request: ApiRequest,
        data: JSONBody[GoogleSignUp],
        authorization: Authorization = None,
    ) -> Response[User]:
        """The raw Google credential in Authorization; its verified e-mail must be `email`."""
        await limit_signup(request, request.services, data.email)
        credential = _google_credential(authorization)
        return created(await service.sign_up_with_google(request.services, data, credential))

    @post(
        "/login",
        status_code=200,
        opt=PUBLIC,
        raises=[NotAuthorizedException, TooManyRequests],
    )
    async def login(
        self,
        request: ApiRequest,
        data: JSONBody[TokenRelogin],
        authorization: Authorization = None,
    ) -> LoginReply:
        """E-mail and password; or, with a valid Bearer token, the 2023 token re-login."""
        await limit_login(request, request.services, data.email)
        if data.email is not None and data.password is not None:
            token, user_id = await service.login_with_password(
                request.services, data.email, data.password
            )
        elif authorization:
            token, user_id = await service.login_with_token(request.services, authorization)
        else:
            raise NotAuthorizedException(service.INVALID_CREDENTIALS)
        return LoginReply(token=token, id=user_id)

    @post(
        "/login/usersIDP",
        status_code=200,
        opt=PUBLIC,
        raises=[NotAuthorizedException, TooManyRequests],
    )
    async def login_with_google(
        self,
        request: ApiRequest,
        data: JSONBody[GoogleLogin],
        authorization: Authorization = None,
    ) -> Response[Any]:
        await limit_login(request, request.services, data.email)
        credential = _google_credential(authorization)
        try:
            token, user_id = await service.login_with_google(
                request.services, credential, data.email
            )
        except service.UnknownGoogleUser:
            return Response({"detail": service.NO_IDP_USER}, status_code=404)
        return Response(LoginReply(token=token, id=user_id).model_dump())

    @post("/recovery/{username:str}", status_code=202, opt=PUBLIC, raises=[TooManyRequests])
    async def recover(
        self,
        username: FromPath[str],
        request: ApiRequest,
    ) -> Response[dict[str, str]]:
        """Always 202 (no account enumeration). The mobile app posts to
        /users/recovery/user_test with the typed username as the body: the body wins."""
        typed = service.username_from_body(await request.body()) or username
        # Counted whether or not the account exists: the 429 tells nothing about it.
        await limit_recovery(request, request.services, typed)
        return Response(
            {"detail": "If the account exists, a reset e-mail is on its way"},
            status_code=202,
            background=BackgroundTask(service.send_reset, request.services, typed),
        )
