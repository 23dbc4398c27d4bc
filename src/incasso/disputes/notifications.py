"""E-mails about dispute cases: escalations, deadline reminders, "collect now" after a rejection.

Mail goes out with ``transaction.on_commit``: a case that was not escalated after all (rolled back)
sends nothing, and a slow SMTP server never holds the case's row locks. Each mail is also written to
the case timeline (``dispute.email``) inside the transaction, so the history says who was told.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build
from incasso.disputes.models import DisputeCase


def recipients_of(users: Iterable[Any]) -> list[str]:
    return sorted({u.email for u in users if u is not None and getattr(u, "email", "")})


def email_event(case: DisputeCase, *, to: list[str], subject: str, by: Actor) -> Any:
    """The unsaved timeline event for a mail about ``case`` (saved by the caller, alone or in bulk)."""
    return build(EventKind.DISPUTE_EMAIL, actor=by, subject_type="dispute", subject_id=case.pk,
                  customer_id=case.customer_id, message=f"{subject} -> {', '.join(to)}", after={"to": to})


def send_after_commit(to: list[str], subject: str, body: str) -> None:
    if not to:
        return
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to, fail_silently=False)
    )
