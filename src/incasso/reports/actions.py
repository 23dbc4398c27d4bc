"""Business verbs of the reports app: taking the daily aging snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core.aging import DEFAULT_BUCKETS, Bucket, bucket_spec
from incasso.core.money import ZERO
from incasso.reports.aging import AgingScope, aged_groups, entities_by_date, entity_as_of_dates
from incasso.reports.models import AgingSnapshot, AgingSnapshotLine


@transaction.atomic
def take_aging_snapshot(
    as_of: date | None = None,
    *,
    by: Actor,
    now: datetime | None = None,
    basis: str = "due_date",
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
) -> AgingSnapshot:
    """Store the aging totals per entity, currency and bucket as of ``as_of`` (default: each entity's
    local today at ``now``), and audit it. Returns the snapshot with its lines saved."""
    now = now or timezone.now()
    buckets = tuple(buckets)
    dated = entity_as_of_dates(as_of, now=now)
    by_date = entities_by_date(dated)
    keyed = aged_groups(as_of, "entity", basis, buckets, AgingScope(), by_date)
    snapshot_date = as_of or (max(by_date) if by_date else now.date())
    snapshot = AgingSnapshot.objects.create(
        as_of=snapshot_date,
        as_of_by_entity={code: day.isoformat() for code, day in sorted(dated.values())},
        taken_at=now, taken_by=by.user, taken_by_label=by.label,
        group_by="entity", basis=basis, bucket_spec=bucket_spec(buckets),
    )
    lines = [
        AgingSnapshotLine(
            snapshot=snapshot, entity_id=entity_id, currency=row.currency, bucket_index=index,
            bucket_label=buckets[index].label, amount=amount,
        )
        for entity_id, row in keyed
        for index, amount in enumerate(row.amounts)
        if amount != 0
    ]
    AgingSnapshotLine.objects.bulk_create(lines)
    totals: dict[str, Decimal] = {}
    for _entity_id, row in keyed:
        totals[row.currency] = totals.get(row.currency, ZERO) + row.total
    record(
        EventKind.AGING_SNAPSHOT_TAKEN, actor=by, subject_type="aging_snapshot", subject_id=snapshot.pk,
        message=f"aging snapshot as of {snapshot_date} ({basis}): {len(lines)} line(s)",
        after={"as_of": snapshot_date.isoformat(), "basis": basis, "buckets": snapshot.bucket_spec,
               "totals": {currency: str(total) for currency, total in sorted(totals.items())}},
        at=now,
    )
    return snapshot
