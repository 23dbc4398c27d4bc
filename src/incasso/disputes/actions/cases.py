"""Opening a dispute case, routing it, and the investigation steps; notes and attachments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.core.disputes import deadline_for
from incasso.core.money import D, quantize
from incasso.disputes.actions.common import (
    blocked_elsewhere,
    locked_case,
    require,
    timeline,
    today_of,
    transition_check,
)
from incasso.disputes.actions.deadlines import resume_clock, stop_clock
from incasso.disputes.choices import CaseSource, CaseStatus, Priority
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import CaseAttachment, DisputeCase, DisputeLine, ReasonCode, ResolverDepartment
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def _reason(code: str) -> ReasonCode:
    reason = ReasonCode.objects.select_related("default_department").filter(code=code, active=True).first()
    if reason is None:
        raise DisputeError(DisputeErrorCode.UNKNOWN_REASON, f"unknown or inactive reason code {code!r}")
    return reason


@transaction.atomic
def open_dispute(
    customer_id: int,
    lines: Sequence[tuple[int, Decimal | str]],
    reason_code: str,
    *,
    by: Actor,
    description: str = "",
    source: str = CaseSource.MANUAL,
    priority: str = Priority.NORMAL,
    opened_on: date | None = None,
    external_reference: str | None = None,
    owner: Any = None,
) -> DisputeCase:
    """Open a case disputing ``amount`` of each ``(item_id, amount)`` of one customer.

    Every item must be an open debit item of the customer in one currency, and the amount may not
    exceed what of the item is not already disputed in another case. The case is routed to the
    reason's default department with the deadline from the reason's target time in business days of
    the entity's country. The owner is the customer's collector unless given.
    """
    customer = Customer.objects.select_related("entity").filter(pk=customer_id).first()
    if customer is None:
        raise DisputeError(DisputeErrorCode.NOT_FOUND, f"customer {customer_id} does not exist")
    require(by, "disputes.open_case", customer, f"open a dispute for {customer}")
    if not lines:
        raise DisputeError(DisputeErrorCode.NO_LINES, "a dispute case needs at least one disputed item")
    if source not in CaseSource.values:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA, f"unknown case source {source!r}")
    reason = _reason(reason_code)
    item_ids = [int(item_id) for item_id, _amount in lines]
    if len(set(item_ids)) != len(item_ids):
        raise DisputeError(DisputeErrorCode.DUPLICATE_LINE, "an item appears twice in the disputed lines")
    # Lock the items in primary-key order: a concurrent dispute or allocation on them waits.
    items = {i.pk: i for i in Item.objects.select_for_update().filter(pk__in=sorted(item_ids)).order_by("pk")}
    already = blocked_elsewhere(item_ids)
    currencies = set()
    prepared = []
    for item_id, raw_amount in lines:
        item = items.get(int(item_id))
        if item is None:
            raise DisputeError(DisputeErrorCode.NOT_FOUND, f"item {item_id} does not exist")
        if item.customer_id != customer.pk:
            raise DisputeError(DisputeErrorCode.WRONG_CUSTOMER, f"{item} belongs to another customer account")
        if item.kind in CREDIT_KINDS:
            raise DisputeError(DisputeErrorCode.CREDIT_ITEM, f"{item} is a credit item; only debit items are disputed")
        amount = quantize(D(raw_amount), item.currency)
        if amount <= 0:
            raise DisputeError(DisputeErrorCode.AMOUNT_NOT_POSITIVE, f"the disputed amount of {item} must be positive")
        undisputed = item.open_amount - already.get(item.pk, Decimal(0))
        if amount > undisputed:
            raise DisputeError(
                DisputeErrorCode.EXCEEDS_UNDISPUTED,
                f"{amount} {item.currency} exceeds the undisputed open amount {undisputed} of {item}",
            )
        currencies.add(item.currency)
        prepared.append((item, amount))
    if len(currencies) != 1:
        raise DisputeError(DisputeErrorCode.CURRENCY_MISMATCH,
                           f"one case holds items of one currency, not {', '.join(sorted(currencies))}")
    opened_on = opened_on or today_of(customer.entity)
    total = sum((amount for _item, amount in prepared), Decimal(0))
    case = DisputeCase.objects.create(
        entity=customer.entity, customer=customer, currency=currencies.pop(), original_amount=total,
        disputed_amount=total, reason=reason, description=description.strip(), priority=priority,
        source=source, external_reference=external_reference or None,
        owner=owner if owner is not None else customer.collector, department=reason.default_department,
        opened_on=opened_on,
        deadline=deadline_for(opened_on, reason.target_business_days, customer.entity.country),
        created_by=by.user,
    )
    DisputeLine.objects.bulk_create([
        DisputeLine(case=case, item=item, original_amount=amount, disputed_amount=amount, blocked_amount=amount)
        for item, amount in prepared
    ])
    timeline(case, EventKind.DISPUTE_OPENED, by=by,
             message=f"{total} {case.currency} disputed ({reason.label('en')}) on "
                     + ", ".join(item.number for item, _amount in prepared),
             after={"amount": str(total), "reason": reason.code, "source": source,
                    "items": {item.number: str(amount) for item, amount in prepared},
                    "deadline": case.deadline.isoformat(), "department": case.department.code})
    return case


@transaction.atomic
def assign_case(case_id: int, *, by: Actor, department_code: str | None = None, resolver: Any = None) -> DisputeCase:
    """Route the case to a department (default: its current one) and optionally a named resolver."""
    case = locked_case(case_id)
    require(by, "disputes.assign_case", case, f"assign {case.number}")
    transition_check(case, "assign", "be assigned")
    before = {"department": case.department.code, "resolver": case.resolver_id, "status": case.status}
    if department_code:
        department = ResolverDepartment.objects.filter(code=department_code, active=True).first()
        if department is None:
            raise DisputeError(DisputeErrorCode.NOT_FOUND, f"unknown resolver department {department_code!r}")
        case.department = department
    if resolver is not None and not isinstance(resolver, get_user_model()):
        resolver = get_user_model().objects.filter(pk=resolver).first()
    case.resolver = resolver
    case.assign()
    case.save()
    who = resolver.get_username() if resolver is not None else "-"
    timeline(case, EventKind.DISPUTE_ASSIGNED, by=by, message=f"assigned to {case.department.code} / {who}",
             before=before, after={"department": case.department.code, "resolver": case.resolver_id,
                                   "status": case.status})
    return case


def _step(case_id: int, method: str, what: str, *, by: Actor, note: str = "",
          on_date: date | None = None) -> DisputeCase:
    """One status step. Waiting for the customer stops the deadline clock (level back to 0); leaving
    that state moves the deadline by the business days waited (``actions.deadlines``)."""
    case = locked_case(case_id)
    require(by, "disputes.investigate_case", case, f"{what} {case.number}")
    transition_check(case, method, what)
    on_date = on_date or today_of(case.entity)
    before = case.status
    getattr(case, method)()
    timeline(case, EventKind.DISPUTE_STATUS_CHANGED, by=by,
             message=f"{CaseStatus(before).label} -> {case.get_status_display()}" + (f": {note}" if note else ""),
             before={"status": before}, after={"status": case.status, "note": note, "on": on_date.isoformat()})
    if case.status == CaseStatus.WAITING_CUSTOMER:
        stop_clock(case, by=by, on_date=on_date)
    elif before == CaseStatus.WAITING_CUSTOMER:
        resume_clock(case, by=by, on_date=on_date)
    case.save()
    return case


@transaction.atomic
def start_investigation(case_id: int, *, by: Actor, note: str = "", on_date: date | None = None) -> DisputeCase:
    """The resolver takes the case up (or back up after waiting); takes it over if nobody had it."""
    case = _step(case_id, "start_investigation", "start investigating", by=by, note=note, on_date=on_date)
    if case.resolver_id is None and by.user is not None:
        case.resolver = by.user
        case.save(update_fields=["resolver", "updated_at"])
    return case


@transaction.atomic
def wait_for_customer(case_id: int, *, by: Actor, note: str = "", on_date: date | None = None) -> DisputeCase:
    """Proof of delivery, a PO number or a return is asked from the customer (the clock stops)."""
    return _step(case_id, "wait_for_customer", "wait for the customer", by=by, note=note, on_date=on_date)


@transaction.atomic
def wait_for_internal(case_id: int, *, by: Actor, note: str = "", on_date: date | None = None) -> DisputeCase:
    """Another department (warehouse, pricing) must answer first."""
    return _step(case_id, "wait_for_internal", "wait for an internal answer", by=by, note=note, on_date=on_date)


@transaction.atomic
def add_note(case_id: int, text: str, *, by: Actor) -> DisputeCase:
    """A note on the case timeline (a call with the customer, a finding of the resolver)."""
    text = text.strip()
    if not text:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA, "a note needs some text")
    case = locked_case(case_id)
    require(by, "disputes.note_case", case, f"add a note to {case.number}")
    timeline(case, EventKind.DISPUTE_NOTE, by=by, message=text, after={"note": text})
    return case


@transaction.atomic
def attach_file(case_id: int, *, file_name: str, content: bytes, content_type: str, by: Actor) -> CaseAttachment:
    """Keep a document (proof of delivery, photo, customer letter) with the case."""
    case = locked_case(case_id)
    require(by, "disputes.note_case", case, f"attach files to {case.number}")
    if not content:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA, f"{file_name} is empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                           f"{file_name} is {len(content)} bytes; attachments are limited to 10 MB")
    attachment = CaseAttachment.objects.create(case=case, file_name=file_name[:255], content=content,
                                               content_type=content_type[:100] or "application/octet-stream",
                                               size=len(content), uploaded_by=by.user)
    timeline(case, EventKind.DISPUTE_NOTE, by=by, message=f"attached {attachment.file_name}",
             after={"attachment": attachment.pk})
    return attachment
