"""Personal API tokens: create (the token is returned once), revoke, and authenticate a request.

A token reads ``inc_`` followed by 43 URL-safe characters (256 random bits). The database keeps its
SHA-256 only. Authentication touches ``last_used_at`` at most once a minute per token, so a busy
script does not turn every read into a write.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from incasso.accounts.models import ApiToken
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record

TOKEN_PREFIX = "inc_"  # noqa: S105 - the visible marker of an Incasso token, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_NAME_LENGTH = 80


class TokenError(ValueError):
    """A token request that cannot be done (empty name, unknown or foreign token)."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_api_token(user: Any, name: str, *, by: Actor) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token itself, which is never shown again."""
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name that says what it is for")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"a token name has at most {MAX_NAME_LENGTH} characters")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=_digest(raw), prefix=raw[:10])
    record(EventKind.API_TOKEN_CREATED, actor=by, subject_type="user", subject_id=user.pk,
           message=f"API token {name!r} ({token.prefix}…) created for {user.get_username()}",
           after={"token": token.pk, "name": name})
    return token, raw


@transaction.atomic
def revoke_api_token(token_id: int, *, by: Actor, owner: Any = None) -> ApiToken:
    """Revoke a token (idempotent). With ``owner`` the token must be theirs."""
    tokens = ApiToken.objects.select_for_update().select_related("user")
    if owner is not None:
        tokens = tokens.filter(user=owner)
    token = tokens.filter(pk=token_id).first()
    if token is None:
        raise TokenError(f"no API token {token_id}" + (f" of {owner.get_username()}" if owner is not None else ""))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(EventKind.API_TOKEN_REVOKED, actor=by, subject_type="user", subject_id=token.user_id,
               message=f"API token {token.name!r} ({token.prefix}…) of {token.user.get_username()} revoked",
               after={"token": token.pk})
    return token


def user_for_token(raw: str) -> Any:
    """The active user a live token belongs to, or None (unknown, revoked, or inactive user)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user").filter(key_hash=_digest(raw), revoked_at__isnull=True)
             .only("pk", "last_used_at", "user").first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
