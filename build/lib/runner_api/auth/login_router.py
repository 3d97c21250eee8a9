"""POST /auth/login, POST /auth/logout, GET /auth/me: agents' web sessions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, SecretStr, ValidationError

from runner_api.auth.deps import authenticate, client_address
from runner_api.auth.forms import FORM_TYPE, form_fields
from runner_api.auth.origins import check_login_origin
from runner_api.auth.principal import AuthMethod, Principal, agent_id
from runner_api.auth.sessions import COOKIE_NAME, SessionStore
from runner_api.errors import InvalidRequestError
from runner_api.routing.schemas import ErrorResponse
from runner_api.routing.services import service
from runner_api.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
SessionsDep = Annotated[SessionStore, service(SessionStore)]
SettingsDep = Annotated[Settings, service(Settings)]
_NO_STORE = {"Cache-Control": "no-store"}


class LoginCreate(BaseModel):
    """An agent's directory login (sAMAccountName) and password."""

    username: str = Field(min_length=1, max_length=256)
    password: SecretStr = Field(max_length=1024)


class SessionRead(BaseModel):
    """Who is signed in; csrf_token goes back as X-CSRF-Token on every unsafe request."""

    username: str
    # The caller's unique id: what its runs' requester_id and reveals bind to.
    id: str
    display_name: str
    roles: list[str]
    # None: every customer.
    customers: list[str] | None
    csrf_token: str | None


_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": LoginCreate.model_json_schema()}
            for kind in ("application/json", FORM_TYPE)
        },
    }
}


async def _login_body(request: Request) -> LoginCreate:
    data: Any = await form_fields(request)
    if data is None:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise InvalidRequestError("send the login as JSON or as a form")
        try:
            data = await request.json()
        except ValueError as exc:
            raise InvalidRequestError("the body is not valid JSON") from exc
    try:
        return LoginCreate.model_validate(data)
    except ValidationError as exc:
        # errors() may quote the input (the password): the 422 handler shows loc and msg only.
        raise RequestValidationError(exc.errors()) from exc


@router.post(
    "/login",
    summary="Sign in with directory credentials",
    response_model=SessionRead,
    openapi_extra=_LOGIN_BODY,
    responses={
        401: {
            "model": ErrorResponse,
            "description": "Wrong username or password (also a right password of an account "
            "that holds no Fixline role: the answer never confirms a password).",
        },
        403: {"model": ErrorResponse, "description": "A cross-site login form post."},
        429: {"model": ErrorResponse, "description": "Too many failed logins (Retry-After)."},
        503: {"model": ErrorResponse, "description": "The login directory is unavailable."},
    },
)
async def login(request: Request, sessions: SessionsDep, settings: SettingsDep) -> JSONResponse:
    """Check the password against the directory, start a session and set its cookie.
    Refused (403) when a browser posts it from another site's page (Origin, or Referer)."""
    check_login_origin(request, settings.public_origins)
    body = await _login_body(request)
    client = client_address(request)
    started = await run_in_threadpool(
        sessions.login, body.username, body.password.get_secret_value(), client
    )
    record = started.record
    answer = SessionRead(
        username=record.username,
        id=agent_id(record.user_guid),
        display_name=record.display_name,
        roles=record.roles,
        customers=record.customers,
        csrf_token=started.csrf_token,
    )
    response = JSONResponse(answer.model_dump(), headers=_NO_STORE)
    response.set_cookie(
        COOKIE_NAME,
        started.token,
        max_age=settings.session_absolute_timeout_s,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout", summary="End this web session", status_code=204)
def logout(
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
    caller: Annotated[Principal, Depends(authenticate)],
) -> Response:
    """End the session of the cookie (CSRF-checked like every POST) and drop the cookie."""
    token = request.cookies.get(COOKIE_NAME)
    if caller.method is not AuthMethod.SESSION or not token:
        raise InvalidRequestError("only a web session can log out; revoke tokens instead")
    sessions.logout(token)
    response = Response(status_code=204, headers=_NO_STORE)
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        secure=settings.session_cookie_secure,
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("/me", summary="Who is signed in", response_model=SessionRead)
def me(
    request: Request,
    response: Response,
    sessions: SessionsDep,
    caller: Annotated[Principal, Depends(authenticate)],
) -> SessionRead:
    """The caller, and for a web session its CSRF token (e.g. after a page reload)."""
    response.headers.update(_NO_STORE)
    token = request.cookies.get(COOKIE_NAME)
    return _describe(sessions, caller, token if caller.method is AuthMethod.SESSION else None)


def _describe(sessions: SessionStore, caller: Principal, token: str | None) -> SessionRead:
    record = sessions.find(token) if token else None
    return SessionRead(
        username=caller.name,
        id=caller.id,
        display_name=record.display_name if record else caller.name,
        roles=sorted(caller.roles),
        customers=sorted(caller.customers) if caller.customers is not None else None,
        csrf_token=sessions.csrf_token(token) if token else None,
    )
