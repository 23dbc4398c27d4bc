"""Factories for audit events: the only way actions write to the trail.

``record`` is called inside the action's transaction, so an event exists exactly when the change it
describes was committed. ``record_many`` is the bulk form used by imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: a user, or a named job (``import``, ``daily-cycle``) when nobody clicked."""

    user: Any = None
    label: str = "system"

    @classmethod
    def of(cls, user: Any) -> Actor:
        if isinstance(user, Actor):
            return user
        if user is None or not getattr(user, "is_authenticated", False):
            return cls(None, "system")
        return cls(user, user.get_username())


SYSTEM = Actor(None, "system")


def record(
    kind: EventKind,
    *,
    actor: Actor,
    subject_type: str,
    subject_id: object,
    customer_id: int | None = None,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        occurred_at=at or timezone.now(),
        actor=actor.user,
        actor_label=actor.label,
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        customer_id=customer_id,
        message=message,
        before=before,
        after=after,
    )


def record_many(events: Iterable[AuditEvent], batch_size: int = 5000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def build(
    kind: EventKind,
    *,
    actor: Actor,
    subject_type: str,
    subject_id: object,
    customer_id: int | None = None,
    message: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """An unsaved event, for ``record_many``."""
    return AuditEvent(
        occurred_at=at or timezone.now(),
        actor=actor.user,
        actor_label=actor.label,
        kind=kind,
        subject_type=subject_type,
        subject_id=str(subject_id),
        customer_id=customer_id,
        message=message,
        before=before,
        after=after,
    )
