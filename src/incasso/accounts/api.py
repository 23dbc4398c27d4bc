"""What every app's ``api.py`` shares: authentication, the error body, permission checks, paging.

The REST API (``/api/v1/``, assembled in ``incasso.web.api``) is a thin caller like the screens: each
app's router reads through the app's queries and changes through its action functions, and applies
the same object rules as the app's views (``user.has_perm(...)`` on the object, ``customers_visible_to``
for lists). This module lives in ``accounts`` because every app may import it.

Authentication: a personal API token (``Authorization: Bearer inc_...``) or the browser's session
(with Django's CSRF check on unsafe methods).

Errors: every refusal is ``{"code", "message", "field"}``. The apps' stable error codes pass through
as they are; ``status_for`` gives the HTTP status of a code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field, Router, Schema
from ninja.security import HttpBearer, SessionAuth

from incasso.accounts.models import ApiToken
from incasso.accounts.rules import roles_of
from incasso.accounts.tokens import TokenError, revoke_api_token, user_for_token
from incasso.audit.events import Actor

MAX_PAGE_SIZE = 200
MAX_PAGE = 1_000_000
MAX_ID = 2**63 - 1  # a database id (bigint): larger numbers are refused as invalid, not sent to SQL

ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]

# Codes of the apps' error enums (and this module's) that are not the default 422.
_STATUS = {
    "not_found": 404, "run_not_found": 404,
    "not_authenticated": 401,
    "not_allowed": 403, "four_eyes": 403, "same_approver": 403, "csrf_failed": 403,
    "already_decided": 409, "invalid_transition": 409, "wrong_status": 409, "item_already_promised": 409,
    "idempotency_conflict": 409, "already_reversed": 409,
}


def status_for(code: str) -> int:
    """HTTP status of an error code: 404 unknown object, 403 refused, 409 state conflict, else 422."""
    return _STATUS.get(str(code), 422)


class ApiError(Exception):
    """A refusal raised by an endpoint itself (the actions raise their app's error classes)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
        self.status = status or status_for(code)


class ErrorOut(Schema):
    code: str = Field(description="stable error code, e.g. not_found, not_allowed, exceeds_undisputed")
    message: str
    field: str | None = Field(None, description="the request field the error is about, if one")


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class TokenAuth(HttpBearer):
    """``Authorization: Bearer inc_...``: the token's user acts, with that user's roles."""

    def authenticate(self, request: Any, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class BrowserSession(SessionAuth):
    """The signed-in browser (Django session cookie); unsafe methods need the CSRF token."""

    def authenticate(self, request: Any, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


API_AUTH = [TokenAuth(), BrowserSession()]


def require(request: Any, permission: str, obj: Any = None, message: str = "") -> None:
    """Refuse with 403 ``not_allowed`` unless the user holds ``permission`` (on ``obj``)."""
    if not request.user.has_perm(permission, obj):
        raise ApiError("not_allowed", message or f"your role does not allow {permission}")


def check_filters(filterset: Any) -> None:
    """Refuse a list request whose filters the screen's FilterSet rejects: an unknown object named by
    a filter (entity, collector, reason code) is ``404 not_found``, anything else ``422 invalid``;
    both name the field."""
    if filterset.is_valid():
        return
    field, errors = next(iter(filterset.form.errors.as_data().items()))
    if errors[0].code == "invalid_choice":
        value = filterset.form.data.get(field)
        raise ApiError("not_found", f"{field} {value!r} does not exist", field=field)
    raise ApiError("invalid", " ".join(errors[0].messages), field=field)


def not_found(what: str) -> ApiError:
    return ApiError("not_found", f"{what} does not exist or is not visible to you")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="1-based page number")
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class PageOut(Schema):
    count: int = Field(description="objects over all pages")
    page: int
    page_size: int


def page_of(queryset: QuerySet[Any], paging: PageQuery) -> tuple[int, list[Any]]:
    """The total count and one page of ``queryset`` as a list (two queries)."""
    count = queryset.count()
    start = (paging.page - 1) * paging.page_size
    return count, list(queryset[start:start + paging.page_size])


def page_body(count: int, paging: PageQuery, results: list[Any]) -> dict[str, Any]:
    return {"count": count, "page": paging.page, "page_size": paging.page_size, "results": results}


# --- who am I, and my own tokens -----------------------------------------------------------------

router = Router(tags=["me"])


class MeOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]


@router.get("/me", response={200: MeOut, **ERRORS}, summary="The user the request acts as, with their roles")
def me(request: Any) -> dict[str, Any]:
    user = request.user
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name(),
            "roles": sorted(roles_of(user))}


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@router.get("/me/tokens", response={200: list[TokenOut], **ERRORS}, summary="Your personal API tokens")
def my_tokens(request: Any) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user))


@router.delete("/me/tokens/{token_id}", response={200: TokenOut, **ERRORS}, summary="Revoke one of your tokens")
def revoke_my_token(request: Any, token_id: ObjectId) -> ApiToken:
    try:
        return revoke_api_token(token_id, by=Actor.of(request.user), owner=request.user)
    except TokenError as error:
        raise ApiError("not_found", str(error)) from None
