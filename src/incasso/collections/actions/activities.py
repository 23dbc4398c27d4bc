"""Logging contacts with customers and recording promises to pay.

A call with a promise is one verb (``log_activity`` with ``promise=``): the activity, the promise
and its items are written in one transaction, the items locked in primary-key order so that two
collectors cannot promise the same invoice twice (the partial unique index backs that up). After
the write the account's worklist entry is re-scored: a promise lowers it, a contact removes the
"no contact" points, a follow-up date takes it off today's list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.actions.worklist import refresh_customer_entry
from incasso.collections.choices import ActivityKind, EntryStatus, Outcome, PromiseStatus
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Activity, Promise, PromiseItem, WorklistEntry
from incasso.core.collections.promises import promise_level
from incasso.core.money import quantize
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Contact, Customer, Item

DEFAULT_TOLERANCE_DAYS = 3


@dataclass(frozen=True)
class DisputeTerms:
    """What the customer disputed on the call: the reason code and, per item, the disputed amount.

    Logging the activity with these opens a dispute case (source "activity") in the same transaction:
    the disputed part leaves dunning and the undisputed rest stays collectable."""

    reason_code: str
    lines: tuple[tuple[int, Decimal], ...]
    description: str = ""


@dataclass(frozen=True)
class PromiseTerms:
    amount: Decimal
    promised_date: date
    item_ids: tuple[int, ...] = ()
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise CollectionsError(CollectionsErrorCode.NOT_FOUND, f"customer {customer_id} does not exist")
    return customer


def _items_of(customer: Customer, item_ids: tuple[int, ...] | list[int], *, lock: bool) -> list[Item]:
    items = Item.objects.filter(pk__in=sorted(set(item_ids))).order_by("pk")
    if lock:
        items = items.select_for_update()
    found = list(items)
    wrong = sorted({i.pk for i in found if i.customer_id != customer.pk} | (set(item_ids) - {i.pk for i in found}))
    if wrong:
        raise CollectionsError(CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT,
                               f"item(s) {wrong} are not on account {customer.account}")
    return found


def _after_contact(customer_id: int, as_of: date, follow_up_on: date | None, *, by: Actor) -> None:
    """Re-score today's entry; a follow-up date after today completes it."""
    refresh_customer_entry(customer_id, as_of)
    if follow_up_on is not None and follow_up_on > as_of:
        WorklistEntry.objects.filter(as_of=as_of, customer_id=customer_id, status=EntryStatus.OPEN).update(
            status=EntryStatus.DONE, done_at=timezone.now())


def log_activity(customer_id: int, *, kind: ActivityKind, outcome: Outcome, occurred_on: date, by: Actor,
                 note: str = "", contact_id: int | None = None, item_ids: tuple[int, ...] = (),
                 follow_up_on: date | None = None, promise: PromiseTerms | None = None,
                 dispute: DisputeTerms | None = None) -> Activity:
    """Log a call, e-mail, meeting or note on a customer account (with a promise when one was made,
    with a dispute case when the customer disputed items: ``dispute=``, outcome "disputed")."""
    customer = _customer(customer_id)
    if promise is not None and dispute is not None:
        raise CollectionsError(CollectionsErrorCode.NOT_ALLOWED, "log a promise and a dispute as two contacts")
    if dispute is not None:
        outcome = Outcome.DISPUTED
    if follow_up_on is not None and follow_up_on < occurred_on:
        raise CollectionsError(CollectionsErrorCode.DATE_IN_PAST,
                               f"follow-up date {follow_up_on} is before the contact ({occurred_on})")
    if promise is not None:
        outcome = Outcome.PROMISED
    with transaction.atomic():
        if contact_id is not None and not Contact.objects.filter(pk=contact_id, customer_id=customer.pk).exists():
            raise CollectionsError(CollectionsErrorCode.NOT_FOUND,
                                   f"contact {contact_id} is not a contact of {customer.account}")
        items = _items_of(customer, item_ids, lock=False) if item_ids else []
        activity = Activity.objects.create(
            customer=customer, kind=kind, outcome=outcome, contact_id=contact_id, note=note,
            occurred_on=occurred_on, follow_up_on=follow_up_on, created_by=by.user,
        )
        if items:
            activity.items.set(items)
        record(EventKind.ACTIVITY_LOGGED, actor=by, subject_type="activity", subject_id=activity.pk,
               customer_id=customer.pk,
               message=f"{activity.get_kind_display()}: {activity.get_outcome_display()}"
               + (f" — {note}" if note else "")
               + (f" (follow-up {follow_up_on.isoformat()})" if follow_up_on else ""),
               after={"kind": kind, "outcome": outcome, "items": [i.number for i in items]})
        if promise is not None:
            _record_promise(customer, promise, taken_on=occurred_on, activity=activity, by=by)
        if dispute is not None:
            from incasso.disputes.actions import open_dispute
            from incasso.disputes.choices import CaseSource

            case = open_dispute(customer.pk, list(dispute.lines), dispute.reason_code, by=by,
                                description=dispute.description or note, source=CaseSource.ACTIVITY,
                                opened_on=occurred_on)
            record(EventKind.ACTIVITY_LOGGED, actor=by, subject_type="activity", subject_id=activity.pk,
                   customer_id=customer.pk, message=f"dispute {case.number} opened from the contact",
                   after={"dispute": case.pk})
        _after_contact(customer.pk, occurred_on, follow_up_on, by=by)
    return activity


def record_promise(customer_id: int, terms: PromiseTerms, *, taken_on: date, by: Actor) -> Promise:
    """Record a promise to pay on its own (a promise received by letter, or entered afterwards)."""
    customer = _customer(customer_id)
    with transaction.atomic():
        promise = _record_promise(customer, terms, taken_on=taken_on, activity=None, by=by)
        _after_contact(customer.pk, taken_on, None, by=by)
    return promise


def _record_promise(customer: Customer, terms: PromiseTerms, *, taken_on: date, activity: Activity | None,
                    by: Actor) -> Promise:
    amount = quantize(terms.amount, customer.currency)
    if amount <= 0:
        raise CollectionsError(CollectionsErrorCode.AMOUNT_NOT_POSITIVE,
                               f"a promise is for a positive amount, not {amount}")
    if terms.promised_date < taken_on:
        raise CollectionsError(CollectionsErrorCode.DATE_IN_PAST,
                               f"promised date {terms.promised_date} is before today ({taken_on})")
    items = _items_of(customer, terms.item_ids, lock=True)
    if any(i.kind in CREDIT_KINDS for i in items):
        raise CollectionsError(CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT, "a promise covers invoices, not credits")
    taken = PromiseItem.objects.filter(item__in=items, is_open=True).select_related("item").first()
    if taken is not None:
        raise CollectionsError(CollectionsErrorCode.ITEM_ALREADY_PROMISED,
                               f"{taken.item.number} already has an open promise (promise {taken.promise_id})")
    earlier = {}
    for promise_id, item_id, status in PromiseItem.objects.filter(item__in=items).values_list(
            "promise_id", "item_id", "promise__status"):
        covered, _ = earlier.get(promise_id, (set(), status))
        covered.add(item_id)
        earlier[promise_id] = (covered, status)
    level = promise_level([i.pk for i in items], [(frozenset(c), s) for c, s in earlier.values()])
    try:
        with transaction.atomic():
            promise = Promise.objects.create(
                customer=customer, activity=activity, amount=amount, currency=customer.currency,
                promised_date=terms.promised_date, taken_on=taken_on, taken_by=by.user, level=level,
                tolerance_days=terms.tolerance_days,
            )
            PromiseItem.objects.bulk_create([PromiseItem(promise=promise, item=i) for i in items])
    except IntegrityError:
        raise CollectionsError(CollectionsErrorCode.ITEM_ALREADY_PROMISED,
                               "one of these items was promised a moment ago by someone else") from None
    record(EventKind.PROMISE_RECORDED, actor=by, subject_type="promise", subject_id=promise.pk,
           customer_id=customer.pk,
           message=f"Promise to pay {amount} {customer.currency} by {terms.promised_date.isoformat()}"
           + (f" for {', '.join(i.number for i in items)}" if items else "")
           + (f" (level {level})" if level > 1 else ""),
           after={"amount": str(amount), "promised_date": terms.promised_date.isoformat(),
                  "items": [i.number for i in items], "level": level})
    return promise


def cancel_promise(promise_id: int, *, reason: str, by: Actor) -> Promise:
    with transaction.atomic():
        promise = Promise.objects.select_for_update().get(pk=promise_id)
        if promise.status != PromiseStatus.OPEN:
            raise CollectionsError(CollectionsErrorCode.NOT_ALLOWED, f"promise {promise_id} is {promise.status}")
        promise.status = PromiseStatus.CANCELLED
        promise.save(update_fields=["status"])
        promise.lines.update(is_open=False)
        record(EventKind.PROMISE_JUDGED, actor=by, subject_type="promise", subject_id=promise.pk,
               customer_id=promise.customer_id, message=f"Promise cancelled: {reason}",
               after={"status": PromiseStatus.CANCELLED})
    return promise
