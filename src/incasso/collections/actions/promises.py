"""Judging promises to pay from the cash that actually reached their items.

``judge_promises(as_of)`` takes every open promise whose deadline (promised date + tolerance days)
has passed, reads the live allocations on its items in one query, and judges each in the pure core:
kept, partially kept or broken. A broken (or partly kept) promise notifies the account's collector
and raises the account's priority through the strategy's "broken promises" rule at the next build.
Idempotent: a judged promise is never judged again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from incasso.audit import events
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.collections.choices import PromiseStatus
from incasso.collections.models import Notification, Promise, PromiseItem
from incasso.core.collections.promises import ItemCash, judge
from incasso.ledger.models import Allocation


@dataclass(frozen=True)
class JudgeResult:
    judged: int
    kept: int
    partially_kept: int
    broken: int


def judge_promises(as_of: date, *, by: Actor) -> JudgeResult:
    """Judge every open promise whose deadline is before ``as_of``."""
    counts = {"kept": 0, "partially_kept": 0, "broken": 0}
    with transaction.atomic():
        due = list(
            Promise.objects.select_for_update().filter(status=PromiseStatus.OPEN)
            .filter(promised_date__lt=as_of)
            .select_related("customer").order_by("pk")
        )
        due = [p for p in due if p.promised_date + timedelta(days=p.tolerance_days) < as_of]
        if not due:
            return JudgeResult(0, 0, 0, 0)
        lines: dict[int, list[int]] = {}
        for promise_id, item_id in PromiseItem.objects.filter(promise__in=due).values_list("promise_id", "item_id"):
            lines.setdefault(promise_id, []).append(item_id)
        item_ids = {i for ids in lines.values() for i in ids}
        cash = [
            ItemCash(item_id, on, amount) for item_id, on, amount in Allocation.objects.filter(
                debit_item_id__in=item_ids).filter(Q(reversed_on__isnull=True) | Q(reversed_on__gt=as_of))
            .values_list("debit_item_id", "date", "amount")
        ]
        audit, notices = [], []
        for promise in due:
            outcome = judge(promised_date=promise.promised_date, promised_amount=promise.amount,
                            taken_on=promise.taken_on, item_ids=lines.get(promise.pk, []), cash=cash, as_of=as_of,
                            tolerance_days=promise.tolerance_days)
            if outcome.status == "not_yet_due":
                continue
            promise.status = outcome.status
            promise.judged_on = as_of
            promise.arrived_amount = outcome.arrived
            counts[outcome.status] += 1
            message = (f"Promise of {promise.amount} {promise.currency} by {promise.promised_date.isoformat()}: "
                       f"{PromiseStatus(outcome.status).label} ({outcome.arrived} arrived)")
            audit.append(events.build(EventKind.PROMISE_JUDGED, actor=by, subject_type="promise",
                                      subject_id=promise.pk, customer_id=promise.customer_id, message=message,
                                      after={"status": outcome.status, "arrived": str(outcome.arrived)}))
            if outcome.status != "kept" and promise.customer.collector_id:
                notices.append(Notification(user_id=promise.customer.collector_id, customer_id=promise.customer_id,
                                            message=f"{promise.customer.account} {promise.customer.name}: {message}"))
        judged = [p for p in due if p.status != PromiseStatus.OPEN]
        Promise.objects.bulk_update(judged, ["status", "judged_on", "arrived_amount"])
        PromiseItem.objects.filter(promise__in=judged).update(is_open=False)
        events.record_many(audit)
        Notification.objects.bulk_create(notices)
    return JudgeResult(sum(counts.values()), counts["kept"], counts["partially_kept"], counts["broken"])
