"""Alerts on a collector's worklist (broken promises, broken plans): reading them is a recorded act."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.models import Notification


def mark_notifications_read(user_id: int, *, by: Actor, ids: list[int] | None = None) -> int:
    """Mark the user's unread alerts (or only ``ids`` among them) as read; one audit event naming
    them. Returns how many were marked."""
    with transaction.atomic():
        unread = Notification.objects.select_for_update().filter(user_id=user_id, read_at__isnull=True)
        if ids is not None:
            unread = unread.filter(pk__in=ids)
        marked = sorted(unread.values_list("pk", flat=True))
        if not marked:
            return 0
        Notification.objects.filter(pk__in=marked).update(read_at=timezone.now())
        record(EventKind.NOTICES_READ, actor=by, subject_type="user", subject_id=user_id,
               message=f"{len(marked)} alert{'s' if len(marked) != 1 else ''} marked as read",
               after={"notifications": marked})
    return len(marked)
