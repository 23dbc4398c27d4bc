"""Reading worklists: one query per page, shared by the web page, the CLI and the export."""

from __future__ import annotations

import csv
from datetime import date
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from incasso.collections.choices import EntryStatus
from incasso.collections.models import WorklistEntry
from incasso.core.collections.strategy import Reason

EXPORT_COLUMNS = (
    "as_of", "collector", "entity", "account", "customer", "priority", "currency", "overdue_amount",
    "due_soon_amount", "max_days_past_due", "next_action", "next_action_on", "substitute_for", "escalated",
    "lowered_because", "reasons", "status",
)


def worklist_today() -> date:
    """The worklist date when none is given: today's UTC date (a collector's 8:30 in Europe)."""
    return timezone.now().date()


def latest_build_date(on_or_before: date) -> date | None:
    return (WorklistEntry.objects.filter(as_of__lte=on_or_before).order_by("-as_of")
            .values_list("as_of", flat=True).first())


def entries_for(collector_id: int | None, as_of: date, *, include_done: bool = False) -> QuerySet[WorklistEntry]:
    """A collector's entries for a day in worklist order (all collectors when ``collector_id`` is None)."""
    entries = WorklistEntry.objects.filter(as_of=as_of).select_related(
        "customer", "customer__entity", "collector", "substitute_for"
    )
    if collector_id is not None:
        entries = entries.filter(collector_id=collector_id)
    if not include_done:
        entries = entries.filter(status=EntryStatus.OPEN)
    return entries.order_by("-priority", "-overdue_amount", "customer_id")


def write_csv(entries: QuerySet[WorklistEntry], out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    for e in entries.iterator(chunk_size=2000):
        writer.writerow([
            e.as_of.isoformat(), e.collector.get_username(), e.customer.entity.code, e.customer.account,
            e.customer.name, e.priority, e.currency, e.overdue_amount, e.due_soon_amount, e.max_days_past_due,
            e.next_action, e.next_action_on.isoformat() if e.next_action_on else "",
            e.substitute_for.get_username() if e.substitute_for else "", "yes" if e.escalated else "",
            "|".join(e.lowered_because),
            "; ".join(f"{r.text}: +{r.points}" for r in map(Reason.from_code, e.reasons)), e.status,
        ])
        n += 1
    return n
