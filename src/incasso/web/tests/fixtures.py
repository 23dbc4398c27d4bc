"""Users with roles and a small ledger for the screen tests (builders with good defaults)."""

from __future__ import annotations

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM


def a_user(username: str, *roles: Role, **fields):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM, **fields)
