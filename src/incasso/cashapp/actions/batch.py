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
   built as row tuples and written by ``COPY`` on PostgreSQL, their ids taken from the tables'
   sequences beforehand (``bulk_create`` elsewhere; every other column gets its model default either
   way); the items' open amounts and the lines' states by one ``UPDATE ... FROM unnest(arrays)`` each
   on PostgreSQL (``bulk_update`` elsewhere).

On PostgreSQL the run may write its batches on two connections at once (``matching._Writer``): each
batch then has a ``Turn`` in the run's order, takes its locks only after the batch before it has taken
all of its own (and drawn its ids, so the ids stay in line order), and commits only after that batch
has committed; if it failed, this one rolls back. The outcome is still a prefix of the batches in
order, and the row locks keep it the outcome of applying line after line: an invoice two batches pay
is locked by the first, so the second waits for its commit and then reads the open amount it left.

Only the plain cases are batched: the proposal names a customer and allocates positive amounts, takes
no cash discount, and leaves nothing to write off or to record as a deduction (residual ``none`` or
``overpayment``), on a line not parked on an account yet. Discounts, tolerance write-offs, short
payments and lines moving off suspense go through ``apply_proposal`` line by line.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.cashapp.choices import Application, LineState, ProposalStatus, ResidualKind
from incasso.cashapp.models import BankLine, MatchProposal
from incasso.core.money import ZERO, quantize
from incasso.ledger.choices import CREDIT_KINDS, AllocationSource, ItemKind
from incasso.ledger.importers.sql import draw_ids
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


class WritesAbandoned(Exception):
    """An earlier write of the run failed: this one must not commit (the run's writes stay a prefix)."""


class Turn:
    """A task's place in the order of the run's writes when two connections write them at once.

    The task takes its first row lock only after the task before it holds all of its own
    (``wait_locked``), and commits only after that task has committed (``wait_committed``, which raises
    ``WritesAbandoned`` if it failed). The earlier task never waits for a later one, in Python or in
    PostgreSQL (it took every ``FOR UPDATE`` lock before the later one took any, and its foreign-key
    checks only share-lock rows it locked or inserted itself, or customers and entities that no batch
    locks ``FOR UPDATE``), so the waits cannot form a cycle. ``Turn()`` alone is the turn of writes that
    run one after the other: nothing to wait for."""

    def __init__(self, previous: Turn | None = None) -> None:
        self.previous = previous
        self.locked = threading.Event()  # this task will take no further row lock
        self.done = threading.Event()  # this task has committed, or failed
        self.failed = False

    def wait_locked(self) -> None:
        if self.previous is not None:
            self.previous.locked.wait()

    def holds_its_locks(self) -> None:
        self.locked.set()

    def wait_committed(self) -> None:
        previous = self.previous
        if previous is not None:
            previous.done.wait()
            if previous.failed:
                raise WritesAbandoned

    def finish(self, *, failed: bool) -> None:
        """The task is over (after its last commit or rollback): a failure before it is one of its own."""
        previous, self.previous = self.previous, None  # the chain of a long run is not kept
        if previous is not None:
            previous.done.wait()
            failed = failed or previous.failed
        self.failed = failed
        self.locked.set()
        self.done.set()


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
def apply_auto_batch(batch: list[AutoLine], *, as_of: date, by: Actor, turn: Turn | None = None) -> BatchOutcome:
    """Apply the lines of ``batch`` in one transaction, up to the first one whose check fails.

    With a ``turn`` (two connections writing), the batch says when it holds all of its locks (only if
    no line stopped it: a stopped batch's task goes on line by line, and says so when it is done) and
    commits after the writes before it."""
    turn = turn or Turn()
    outcome = BatchOutcome()
    if not batch:
        return outcome
    line_state = {pk: (state, payment_item_id) for pk, state, payment_item_id in _select(
        BankLine, ("pk", "state", "payment_item_id"), lock=True, pk=sorted(a.line.pk for a in batch))}
    item_ids = sorted({int(a["item_id"]) for auto in batch for a in auto.allocations})
    items = {row[0]: _Locked(*row) for row in _select(
        Item, ("pk", "customer_id", "kind", "number", "currency", "open_amount", "last_activity_on"), lock=True,
        pk=item_ids)}
    customer_ids = {auto.customer_id for auto in batch} | {item.customer_id for item in items.values()}
    customers = {pk: (entity_id, group_id, account) for pk, entity_id, group_id, account in _select(
        Customer, ("pk", "entity_id", "group_id", "account"), pk=sorted(customer_ids))}
    taken = _payment_numbers_taken(sorted({(auto.line.entity_id, f"CASH-{auto.line.pk}") for auto in batch}))

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
    ids = _draw_ids(plan)
    if outcome.stopped_at is None:
        turn.holds_its_locks()
    if plan:
        _write(plan, items, ids, as_of=as_of, by=by)
    turn.wait_committed()
    outcome.applied = len(plan)
    outcome.line_ids = [auto.line.pk for auto, _parts, _total in plan]
    return outcome


def _select(model: Any, columns: tuple[str, ...], *, lock: bool = False, **among: list[Any]) -> list[tuple[Any, ...]]:
    """``model.objects.filter(<name>__in=values, ...).order_by("pk").values_list(*columns)``, ``FOR UPDATE``
    with ``lock``: on PostgreSQL with one array parameter per list (``= ANY(%s)``) rather than a
    placeholder per value, which the ORM and the driver would otherwise build and parse for every one
    of the batch's thousand ids, three times per batch."""
    if connection.vendor != "postgresql":
        queryset = model.objects.select_for_update() if lock else model.objects.all()
        return list(queryset.filter(**{f"{name}__in": values for name, values in among.items()})
                    .order_by("pk").values_list(*columns))
    quote = connection.ops.quote_name

    def field(name: str) -> Any:
        return model._meta.pk if name == "pk" else model._meta.get_field(name)

    where = " AND ".join(f"{quote(field(name).column)} = ANY(%s::{field(name).db_type(connection)}[])"
                         for name in among)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(quote(field(name).column) for name in columns)} "  # noqa: S608
                       f"FROM {quote(model._meta.db_table)} WHERE {where} "
                       f"ORDER BY {quote(model._meta.pk.column)}{' FOR UPDATE' if lock else ''}",
                       [_array(values) for values in among.values()])
        return cursor.fetchall()


def _payment_numbers_taken(numbers: list[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which of the ``(entity, payment number)`` pairs a payment item already has. On PostgreSQL one
    look-up per pair in the unique ``(entity, kind, number)`` index (joining the pairs as arrays):
    ``number = ANY(...)`` next to ``entity_id = ANY(...)`` would only filter, so the check would read
    every payment of the entity, more of them with each batch."""
    if connection.vendor != "postgresql":
        entity_ids = sorted({entity_id for entity_id, _number in numbers})
        found = Item.objects.filter(kind=ItemKind.PAYMENT.value, entity_id__in=entity_ids,
                                    number__in=[number for _entity_id, number in numbers])
        return set(found.values_list("entity_id", "number")) & set(numbers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT i.entity_id, i.number FROM unnest(%s::bigint[], %s::text[]) AS v(entity_id, number) "
                       "JOIN ledger_item i ON i.entity_id = v.entity_id AND i.kind = %s AND i.number = v.number",
                       [_array([entity_id for entity_id, _number in numbers]),
                        _array([number for _entity_id, number in numbers]), ItemKind.PAYMENT.value])
        return set(cursor.fetchall())


def _array(values: list[Any]) -> str:
    """A PostgreSQL array literal (``{1,"EUR",NULL}``) of ``values`` (None is NULL, an int as it is,
    anything else its ``str`` quoted), passed as one string: quoting one string is far cheaper for the
    driver than adapting a list of a thousand values one by one."""
    return "{" + ",".join("NULL" if value is None else str(value) if type(value) is int else
                          '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
                          for value in values) + "}"


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


_Plan = list[tuple[AutoLine, list[tuple[_Locked, Decimal, str, str]], Decimal]]


def _draw_ids(plan: _Plan) -> tuple[list[int], list[int], list[int]] | None:
    """On PostgreSQL, the ids of the batch's proposals, payment items and allocations, taken from the
    sequences before anything is written (and before a second writer may take its own: the ids follow
    the lines' order). Elsewhere ``bulk_create`` hands them out."""
    if not plan or connection.vendor != "postgresql":
        return None
    return (draw_ids(MatchProposal._meta.db_table, len(plan)), draw_ids(Item._meta.db_table, len(plan)),
            draw_ids(Allocation._meta.db_table, sum(len(parts) for _auto, parts, _total in plan)))


def _write(plan: _Plan, items: dict[int, _Locked], ids: tuple[list[int], list[int], list[int]] | None, *,
           as_of: date, by: Actor) -> None:
    """The batch's rows: built as tuples, inserted by ``COPY`` on PostgreSQL (with the ``ids`` drawn
    beforehand) and by ``bulk_create`` elsewhere; the same rows and events either way."""
    proposal_ids, payment_ids, allocation_ids = ids or (None, None, None)
    now = timezone.now()
    zone = UTC if settings.USE_TZ else None  # what timezone.now() reads each time
    user_id = by.user.pk if by.user is not None else None
    payment_label = str(ItemKind.PAYMENT.label)
    auto_label = str(ProposalStatus.AUTO.label)
    payment_kind, cash_application = ItemKind.PAYMENT.value, AllocationSource.CASH_APPLICATION.value
    kind_labels: dict[str, str] = {}

    def label(item: _Locked) -> str:
        if item.kind not in kind_labels:
            kind_labels[item.kind] = str(ItemKind(item.kind).label)
        return f"{kind_labels[item.kind]} {item.number}"

    proposal_ids = _insert(MatchProposal, proposal_ids, (
        "line_id", "customer_id", "allocations", "confidence", "reason", "stage", "residual", "residual_kind", "as_of",
        "status", "idempotency_key", "decided_by_id", "decided_at", "created_at"), [
        (auto.line.pk, auto.customer_id, auto.allocations, auto.proposal.confidence, auto.proposal.reason,
         auto.proposal.stage[:40], auto.proposal.residual, str(auto.proposal.residual_kind or ResidualKind.NONE),
         as_of, ProposalStatus.AUTO.value, None, user_id, now, now)
        for auto, _parts, _total in plan])
    payment_ids = _insert(Item, payment_ids, (
        "entity_id", "customer_id", "kind", "number", "document_date", "posting_date", "due_date", "currency",
        "amount", "open_amount", "reference", "text", "last_activity_on", "created_at"), [
        (auto.line.entity_id, auto.customer_id, ItemKind.PAYMENT.value, f"CASH-{auto.line.pk}"[:40], auto.on_date,
         auto.on_date, auto.on_date, auto.line.currency, auto.line.amount, auto.line.amount - total,
         (auto.line.structured_reference or auto.line.end_to_end_id)[:80],
         f"{auto.line.counterparty_name} {auto.line.remittance_text}".strip()[:200], auto.on_date, now)
        for auto, _parts, total in plan])
    allocation_id = iter(_insert(Allocation, allocation_ids, (
        "debit_item_id", "credit_item_id", "amount", "currency", "date", "source", "note", "idempotency_key",
        "created_by_id", "created_at"), [
        (item.pk, payment_id, amount, item.currency, auto.on_date, AllocationSource.CASH_APPLICATION.value,
         f"bank line {auto.line.line_ref}", f"proposal-{proposal_id}:{n}", user_id, now)
        for (auto, parts, _total), proposal_id, payment_id in zip(plan, proposal_ids, payment_ids, strict=True)
        for n, (item, amount, _before, _after) in enumerate(parts)]))
    events: list[tuple[Any, ...]] = []
    lines = []

    def event(kind: EventKind, subject_type: str, subject_id: object, customer_id: int, message: str,
              before: _Json | None, after: _Json) -> None:
        events.append((datetime.now(zone), user_id, by.label, kind.value, subject_type, str(subject_id), customer_id,
                       message, before, after))

    for (auto, parts, _total), proposal_id, payment_id in zip(plan, proposal_ids, payment_ids, strict=True):
        line, amount = auto.line, auto.line.amount
        text = f"{line.counterparty_name} {line.remittance_text}".strip()
        payment_name = f"{payment_label} {f'CASH-{line.pk}'[:40]}"
        event(EventKind.ITEM_CREATED, "item", payment_id, auto.customer_id,
              f"{payment_name} of {amount} {line.currency} created: {text}".strip(": "), None,
              _Json(f'{{"kind": "{payment_kind}", "amount": "{amount}", "currency": {_string(line.currency)}, '
                    f'"open_amount": "{amount}"}}'))
        credit_open = amount
        for item, part, debit_before, debit_after in parts:
            event(EventKind.ALLOCATION_CREATED, "allocation", next(allocation_id), item.customer_id,
                  f"{part} {item.currency} of {payment_name} applied to {label(item)} on {auto.on_date}",
                  _Json(f'{{"debit_open": "{debit_before}", "credit_open": "{credit_open}"}}'),
                  _Json(f'{{"debit_open": "{debit_after}", "credit_open": "{credit_open - part}", '
                        f'"source": "{cash_application}"}}'))
            credit_open -= part
        line.payment_item_id, line.customer_id = payment_id, auto.customer_id
        line.state = LineState.APPLIED if credit_open == 0 else (
            LineState.PARTIALLY_APPLIED if credit_open < amount else LineState.UNMATCHED)
        line.application = Application.AUTO if line.state != LineState.UNMATCHED else ""
        lines.append(line)
        event(EventKind.MATCH_APPLIED, "bank_line", line.pk, auto.customer_id,
              f"{amount} {line.currency} of bank line {line.line_ref} applied to "
              f"{', '.join(p[0].number for p in parts) or 'the account'} ({auto_label}, "
              f"confidence {auto.proposal.confidence}): {auto.proposal.reason}",
              None, _Json(f'{{"proposal": {proposal_id}, "state": "{line.state}", '
                          f'"residual_kind": "{auto.proposal.residual_kind or ResidualKind.NONE}"}}'))
    touched = sorted({item.pk for _auto, parts, _total in plan for item, *_rest in parts})
    _update_rows(Item, [("open_amount", "numeric"), ("last_activity_on", "date")],
                 [(pk, items[pk].open_amount, items[pk].last_activity_on) for pk in touched])
    _update_rows(BankLine, [("state", "text"), ("application", "text"), ("customer_id", "bigint"),
                            ("payment_item_id", "bigint")],
                 [(line.pk, line.state, line.application, line.customer_id, line.payment_item_id) for line in lines])
    _insert(AuditEvent, None, ("occurred_at", "actor_id", "actor_label", "kind", "subject_type", "subject_id",
                         "customer_id", "message", "before", "after"), events)


def _insert(model: Any, ids: list[int] | None, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert ``rows`` (values of ``columns``, by attribute name; every other field gets its model
    default) and return their ids in order. On PostgreSQL by one ``COPY``, with the ``ids`` drawn from
    the table's sequence beforehand (None: the table's default numbers them, and nothing is returned);
    elsewhere by ``bulk_create`` (the ids it returns)."""
    if not rows:
        return []
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    by_name = {f.attname: f for f in fields}
    defaults = [(f, f.get_default()) for f in fields if f.attname not in columns]
    if connection.vendor != "postgresql":
        rest = {f.attname: value for f, value in defaults}
        rows = [tuple(json.loads(value) if isinstance(value, _Json) else value for value in row) for row in rows]
        created = model.objects.bulk_create([model(**dict(zip(columns, row, strict=True)), **rest) for row in rows],
                                            batch_size=2000)
        return [obj.pk for obj in created]
    json_at = [n for n, name in enumerate(columns) if by_name[name].get_internal_type() == "JSONField"]
    tail = tuple(json.dumps(value) if value is not None and f.get_internal_type() == "JSONField" else value
                 for f, value in defaults)
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = [by_name[name].column for name in columns] + [f.column for f, _value in defaults]
    if ids is not None:
        names.insert(0, "id")
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {quote(table)} ({', '.join(quote(n) for n in names)}) FROM STDIN") as copy:
        write = copy.write_row
        for n, row in enumerate(rows):
            if json_at:
                row = _json_row(row, json_at)  # noqa: PLW2901
            write((ids[n], *row, *tail) if ids is not None else (*row, *tail))
    return ids or []


def _json_row(row: tuple[Any, ...], json_at: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in json_at:
        if values[i] is not None and not isinstance(values[i], _Json):
            values[i] = json.dumps(values[i])
    return tuple(values)


class _Json(str):
    """A JSON document written out already, stored as it is. The batch's audit payloads (four hundred
    thousand small objects in a large run) are written as text by the f-strings of ``_write``, a
    tenth of the cost of ``json.dumps`` on a dict each; what they hold is numbers, the codes of
    choices and strings quoted by ``_string``."""


def _string(value: str) -> str:
    """``value`` as a JSON string, as ``json.dumps`` writes it."""
    return encode_basestring_ascii(value)


def _update_rows(model: Any, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
    """Set ``columns`` of the rows ``(pk, value, ...)`` in one ``UPDATE ... FROM unnest(...)`` with one
    array parameter per column on PostgreSQL (Django's ``bulk_update`` builds a CASE per column, slower
    than the rest of the batch), by ``bulk_update`` elsewhere."""
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
    arrays = ", ".join(["%s::bigint[]"] + [f"%s::{kind}[]" for _name, kind in columns])
    with connection.cursor() as cursor:
        # one array per column: a handful of parameters, whatever the number of rows
        cursor.execute(
            f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) "  # noqa: S608
            f"AS v(id, {names}) WHERE t.id = v.id",
            [_array(column) for column in zip(*rows, strict=True)])
