"""The matching run's automatic applications, set-based: a batch of lines in one transaction.

A person's click goes through ``apply_proposal`` (one line, its own transaction, the ledger's
``allocate`` per item). For the lines the engine is sure about, the run writes the same rows and the
same audit events per batch instead:

1. the batch's bank lines are locked in primary-key order (``SELECT ... FOR UPDATE``); a line a
   person applied in the meantime is left alone (counted as unchanged, like the per-line path);
2. every item the batch allocates to is locked by one ``SELECT ... FOR UPDATE`` in primary-key order
   (lines before items, items in pk order: the order the per-line verbs take, so no deadlock) and
   each proposal is re-checked against the locked open amounts, in line order, with what the earlier
   lines of the batch take already deducted: same checks as ``ledger.allocate`` (debit side, currency,
   customer or group, amount positive and within the open amount, the line's total within its
   amount) and ``apply_proposal`` (a fresh payment number);
3. the first line that fails a check ends the batch there: the lines before it are written, and the
   caller hands that line to the per-line path, which queues it with the ledger's own reason (the
   run then goes on with the next batch, so the outcome is the one of applying line after line);
4. the proposals (status ``auto``), the payment items, the allocations and the audit events are
   written by ``bulk_create``; the items' open amounts by one ``UPDATE ... FROM (VALUES ...)`` on
   PostgreSQL (``bulk_update`` elsewhere); the lines' states by ``bulk_update``.

Only the plain cases are batched: the proposal names a customer and allocates positive amounts, takes
no cash discount, and leaves nothing to write off or to record as a deduction (residual ``none`` or
``overpayment``), on a line not parked on an account yet. Discounts, tolerance write-offs, short
payments and lines moving off suspense go through ``apply_proposal`` line by line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record_many
from incasso.cashapp.choices import Application, LineState, ProposalStatus, ResidualKind
from incasso.cashapp.models import BankLine, MatchProposal
from incasso.core.money import ZERO, quantize
from incasso.ledger.choices import CREDIT_KINDS, AllocationSource, ItemKind
from incasso.ledger.models import Allocation, Customer, Item

BATCH_SIZE = 1000
BATCHABLE_RESIDUALS = (ResidualKind.NONE, ResidualKind.OVERPAYMENT)


@dataclass
class AutoLine:
    """A line the engine is sure about, with its proposal as the run would store it."""

    line: BankLine
    proposal: Any  # incasso.core.matching's proposal
    customer_id: int
    allocations: list[dict[str, str]]
    on_date: date


@dataclass
class BatchOutcome:
    applied: int = 0
    unchanged: int = 0
    stopped_at: int | None = None  # index of the first line that must go through the per-line path
    line_ids: list[int] = field(default_factory=list)


def batchable(customer_id: int | None, allocations: list[dict[str, str]], confidence: Decimal,
              threshold: Decimal, residual_kind: str | None, line: BankLine) -> bool:
    """Whether the run may apply this line in a batch (the plain cases; see the module docstring)."""
    return (customer_id is not None and bool(allocations) and confidence >= threshold
            and (residual_kind or ResidualKind.NONE) in BATCHABLE_RESIDUALS and line.payment_item_id is None
            and all(Decimal(a.get("discount") or "0") == 0 and Decimal(a["amount"]) > 0 for a in allocations))


@dataclass
class _Locked:
    pk: int
    customer_id: int
    kind: str
    number: str
    currency: str
    open_amount: Decimal
    last_activity_on: date | None

    def label(self) -> str:
        return f"{ItemKind(self.kind).label} {self.number}"


@transaction.atomic
def apply_auto_batch(batch: list[AutoLine], *, as_of: date, by: Actor) -> BatchOutcome:
    """Apply the lines of ``batch`` in one transaction, up to the first one whose check fails."""
    outcome = BatchOutcome()
    if not batch:
        return outcome
    line_state = {pk: (state, payment_item_id) for pk, state, payment_item_id in
                  BankLine.objects.select_for_update().filter(pk__in=[a.line.pk for a in batch]).order_by("pk")
                  .values_list("pk", "state", "payment_item_id")}
    item_ids = sorted({int(a["item_id"]) for auto in batch for a in auto.allocations})
    items = {row[0]: _Locked(*row) for row in
             Item.objects.select_for_update().filter(pk__in=item_ids).order_by("pk")
             .values_list("pk", "customer_id", "kind", "number", "currency", "open_amount", "last_activity_on")}
    customer_ids = {auto.customer_id for auto in batch} | {item.customer_id for item in items.values()}
    customers = {pk: (entity_id, group_id, account) for pk, entity_id, group_id, account in
                 Customer.objects.filter(pk__in=customer_ids).values_list("pk", "entity_id", "group_id", "account")}
    numbers = {f"CASH-{auto.line.pk}" for auto in batch}
    taken = set(Item.objects.filter(entity_id__in={a.line.entity_id for a in batch}, number__in=numbers)
                .values_list("entity_id", "number"))

    plan: list[tuple[AutoLine, list[tuple[_Locked, Decimal, str, str]], Decimal]] = []
    for index, auto in enumerate(batch):
        line = auto.line
        state, payment_item_id = line_state.get(line.pk, (None, None))
        if state != LineState.UNMATCHED:
            outcome.unchanged += 1  # a person applied it while the run was going
            continue
        parts = _checked(auto, payment_item_id, items, customers, taken)
        if parts is None:
            outcome.stopped_at = index
            break
        for item, amount, _before, _after in parts:
            item.open_amount -= amount
            if item.last_activity_on is None or auto.on_date > item.last_activity_on:
                item.last_activity_on = auto.on_date
        plan.append((auto, parts, sum((p[1] for p in parts), ZERO)))
    if plan:
        _write(plan, items, as_of=as_of, by=by)
    outcome.applied = len(plan)
    outcome.line_ids = [auto.line.pk for auto, _parts, _total in plan]
    return outcome


def _checked(auto: AutoLine, payment_item_id: int | None, items: dict[int, _Locked],
             customers: dict[int, tuple[int, int | None, str]], taken: set[tuple[int, str]]
             ) -> list[tuple[_Locked, Decimal, str, str]] | None:
    """The line's allocations as ``(item, amount, debit open before, after)``, or None when the per-line
    path must decide (it then raises or queues with the ledger's own reason)."""
    line = auto.line
    customer = customers.get(auto.customer_id)
    if payment_item_id is not None or customer is None or (line.entity_id, f"CASH-{line.pk}") in taken:
        return None
    parts: list[tuple[_Locked, Decimal, str, str]] = []
    running: dict[int, Decimal] = {}
    total = ZERO
    for allocation in auto.allocations:
        item = items.get(int(allocation["item_id"]))
        if item is None or item.kind in CREDIT_KINDS or item.currency != line.currency:
            return None
        amount = quantize(Decimal(allocation["amount"]), item.currency)
        if amount <= 0 or amount != Decimal(allocation["amount"]):
            return None
        if item.customer_id != auto.customer_id:
            groups = {customers.get(item.customer_id, (None, None, ""))[1], customer[1]}
            if None in groups or len(groups) != 1:
                return None
        open_now = running.get(item.pk, item.open_amount)
        if amount > open_now:
            return None
        running[item.pk] = open_now - amount
        parts.append((item, amount, str(open_now), str(open_now - amount)))
        total += amount
    if total > line.amount:
        return None
    return parts


def _write(plan: list[tuple[AutoLine, list[tuple[_Locked, Decimal, str, str]], Decimal]],
           items: dict[int, _Locked], *, as_of: date, by: Actor) -> None:
    now = timezone.now()
    proposals = MatchProposal.objects.bulk_create([
        MatchProposal(line_id=auto.line.pk, customer_id=auto.customer_id, allocations=auto.allocations,
                      confidence=auto.proposal.confidence, reason=auto.proposal.reason,
                      stage=auto.proposal.stage[:40], residual=auto.proposal.residual,
                      residual_kind=auto.proposal.residual_kind or ResidualKind.NONE, as_of=as_of,
                      status=ProposalStatus.AUTO, idempotency_key=None, decided_by=by.user, decided_at=now)
        for auto, _parts, _total in plan
    ])
    payments = Item.objects.bulk_create([
        Item(entity_id=auto.line.entity_id, customer_id=auto.customer_id, kind=ItemKind.PAYMENT,
             number=f"CASH-{auto.line.pk}"[:40], document_date=auto.on_date, posting_date=auto.on_date,
             due_date=auto.on_date, currency=auto.line.currency, amount=auto.line.amount,
             open_amount=auto.line.amount - total,
             reference=(auto.line.structured_reference or auto.line.end_to_end_id)[:80],
             text=f"{auto.line.counterparty_name} {auto.line.remittance_text}".strip()[:200],
             last_activity_on=auto.on_date)
        for auto, _parts, total in plan
    ])
    allocations = Allocation.objects.bulk_create([
        Allocation(debit_item_id=item.pk, credit_item_id=payment.pk, amount=amount, currency=item.currency,
                   date=auto.on_date, source=AllocationSource.CASH_APPLICATION,
                   note=f"bank line {auto.line.line_ref}", idempotency_key=f"proposal-{proposal.pk}:{n}",
                   created_by=by.user)
        for (auto, parts, _total), proposal, payment in zip(plan, proposals, payments, strict=True)
        for n, (item, amount, _before, _after) in enumerate(parts)
    ])
    events = []
    allocation_iter = iter(allocations)
    lines = []
    for (auto, parts, _total), proposal, payment in zip(plan, proposals, payments, strict=True):
        line, amount = auto.line, auto.line.amount
        text = f"{line.counterparty_name} {line.remittance_text}".strip()
        events.append(build(
            EventKind.ITEM_CREATED, actor=by, subject_type="item", subject_id=payment.pk,
            customer_id=auto.customer_id,
            message=f"{payment.get_kind_display()} {payment.number} of {amount} {line.currency} created: "
                    f"{text}".strip(": "),
            after={"kind": str(ItemKind.PAYMENT), "amount": str(amount), "currency": line.currency,
                   "open_amount": str(amount)}))
        credit_open = amount
        for item, part, debit_before, debit_after in parts:
            allocation = next(allocation_iter)
            events.append(build(
                EventKind.ALLOCATION_CREATED, actor=by, subject_type="allocation", subject_id=allocation.pk,
                customer_id=item.customer_id,
                message=f"{part} {item.currency} of {payment} applied to {item.label()} on {auto.on_date}",
                before={"debit_open": debit_before, "credit_open": str(credit_open)},
                after={"debit_open": debit_after, "credit_open": str(credit_open - part),
                       "source": str(AllocationSource.CASH_APPLICATION)}))
            credit_open -= part
        line.payment_item_id, line.customer_id = payment.pk, auto.customer_id
        line.state = LineState.APPLIED if credit_open == 0 else (
            LineState.PARTIALLY_APPLIED if credit_open < amount else LineState.UNMATCHED)
        line.application = Application.AUTO if line.state != LineState.UNMATCHED else ""
        lines.append(line)
        events.append(build(
            EventKind.MATCH_APPLIED, actor=by, subject_type="bank_line", subject_id=line.pk,
            customer_id=auto.customer_id,
            message=f"{amount} {line.currency} of bank line {line.line_ref} applied to "
                    f"{', '.join(p[0].number for p in parts) or 'the account'} ({proposal.get_status_display()}, "
                    f"confidence {proposal.confidence}): {proposal.reason}",
            after={"proposal": proposal.pk, "state": line.state, "residual_kind": proposal.residual_kind}))
    touched = sorted({item.pk for _auto, parts, _total in plan for item, *_rest in parts})
    _update_rows(Item, [("open_amount", "numeric"), ("last_activity_on", "date")],
                 [(pk, items[pk].open_amount, items[pk].last_activity_on) for pk in touched])
    _update_rows(BankLine, [("state", "text"), ("application", "text"), ("customer_id", "bigint"),
                            ("payment_item_id", "bigint")],
                 [(line.pk, line.state, line.application, line.customer_id, line.payment_item_id) for line in lines])
    record_many(events)


def _update_rows(model: Any, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
    """Set ``columns`` of the rows ``(pk, value, ...)`` in one ``UPDATE ... FROM (VALUES ...)`` per chunk
    on PostgreSQL (Django's ``bulk_update`` builds a CASE per column, slower than the rest of the batch),
    by ``bulk_update`` elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        fields = [model._meta.get_field(name).name for name, _type in columns]
        model.objects.bulk_update([model(pk=row[0], **dict(zip([c for c, _t in columns], row[1:], strict=True)))
                                   for row in rows], fields, batch_size=500)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(name) for name, _type in columns)
    sets = ", ".join(f"{quote(name)} = v.{quote(name)}" for name, _type in columns)
    row_sql = "(" + ", ".join(["%s::bigint"] + [f"%s::{kind}" for _name, kind in columns]) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            chunk = rows[start:start + 5000]
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608
                f"AS v(id, {names}) WHERE t.id = v.id",
                [str(value) if isinstance(value, LineState | Application) else value
                 for row in chunk for value in row])
