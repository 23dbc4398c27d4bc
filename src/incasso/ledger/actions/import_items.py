"""Importing an open-items extract: the upsert of checked rows, ERP clearings, and the audit of changes.

Called by ``import_erp_file`` inside its transaction, with the rows still being read and checked
(``incasso.core.erp_items.ItemChecker``): rows of a legal entity that has no items yet can only be
new, so they are written while the file is still being read (COPY on PostgreSQL keeps the server
busy on the second core meanwhile). Rows of entities that have items are kept and, once the file
is read, compared per entity with the stored items as text tuples. The first rejected row stops
all writing; the rest of the file is still checked so that every bad row is reported, and the
caller rolls the transaction back.

The ERP clearing rule and the audit it writes are those described in ``ledger.actions.imports``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain, islice
from operator import itemgetter
from typing import TYPE_CHECKING

from django.db import connection

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record_many
from incasso.core.calendar import local_date
from incasso.core.erp_items import (
    ACCOUNT,
    AMOUNT,
    AMOUNT_ENTITY,
    CLEARED_DATE,
    CURRENCY,
    DOCUMENT_DATE,
    DUE_DATE,
    ENTITY,
    ERP_OPEN,
    EXTERNAL_ID,
    KIND,
    LINE,
    NUMBER,
    POSTING_DATE,
    REFERENCE,
    TEXT,
    CheckedItem,
)
from incasso.core.erp_rows import CREDIT_ITEM_KINDS, Layout, RowError
from incasso.ledger.choices import AllocationSource
from incasso.ledger.importers.sql import (
    BulkLoad,
    amount_text,
    check_foreign_keys,
    claim_ids,
    date_text,
    datetime_value,
    first_free_id,
    insert_columns,
    insert_rows,
    update_rows,
)
from incasso.ledger.models import LegalEntity

if TYPE_CHECKING:
    from incasso.ledger.actions.imports import ImportReport, Progress

PLANNED_SHOWN = 20  # how many created/updated keys a dry run lists
BULK_MIN_ITEMS = 50_000
"""New items from which an import takes the bulk-load path (see ``bulk_load_possible``)."""
_ITEM_FIELDS = ("customer_id", "document_date", "posting_date", "due_date", "currency", "amount",
                "amount_entity", "reference", "external_id", "text")
_ITEM_INSERT = ("id", "entity_id", "customer_id", "kind", "number", "document_date", "posting_date", "due_date",
                "currency", "amount", "open_amount", "amount_entity", "reference", "external_id", "text",
                "last_activity_on", "created_at")
_ITEM_UPDATE = (*_ITEM_FIELDS, "open_amount", "last_activity_on")
_ALLOCATION_INSERT = ("debit_item_id", "credit_item_id", "amount", "currency", "date", "source", "note",
                      "created_by_id", "created_at", "reversal_reason")
_OWN_SOURCES = frozenset({AllocationSource.CASH_APPLICATION.value, AllocationSource.MANUAL.value})
_ZERO = Decimal("0")

# A stored item read back as text, laid out like a checked row so that one itemgetter picks the
# compared fields of both: the checked row's line, entity and account slots hold the item's id,
# customer and open amount; its erp_open slot the stored open amount; cleared_date last activity.
_S_ID, _S_CUSTOMER, _S_OPEN = LINE, ENTITY, ERP_OPEN
_S_LAST_ACTIVITY = CLEARED_DATE
_STORED_SQL = ("id", "customer_id", None, "kind", "number", "document_date", "due_date", "currency", "amount",
               "open_amount", "reference", "posting_date", "amount_entity", "external_id", "text", "last_activity_on")
_DATES = frozenset({"document_date", "due_date", "posting_date", "last_activity_on"})
_AMOUNTS = frozenset({"amount", "open_amount", "amount_entity"})
# Checked-row slot of each compared field, with the column of the file that must be there to compare it.
_COMPARED = (("document_date", DOCUMENT_DATE), ("posting_date", POSTING_DATE), ("due_date", DUE_DATE),
             ("currency", CURRENCY), ("amount", AMOUNT), ("amount_entity", AMOUNT_ENTITY),
             ("reference", REFERENCE), ("external_id", EXTERNAL_ID), ("text", TEXT))


@dataclass
class _LiveAllocations:
    """The live allocations on one existing item, split by who made them."""

    erp: Decimal = _ZERO
    own: Decimal = _ZERO
    erp_rows: list[tuple[int, str]] = field(default_factory=list)
    own_rows: list[tuple[str, Decimal]] = field(default_factory=list)  # (allocation date, amount)

    def own_booked_before(self, extract_date: str) -> Decimal:
        """Incasso's allocations the ERP can have booked by an extract of ``extract_date``: those made
        before that day (ISO text compares as dates)."""
        return sum((amount for on_date, amount in self.own_rows if on_date < extract_date), _ZERO)


_NO_ALLOCATIONS = _LiveAllocations()


def bulk_load_possible(file_rows: int, stored_items: int, min_items: int = BULK_MIN_ITEMS) -> bool:
    """Whether an item file may take the bulk-load path (``BulkLoad``: indexes and foreign keys
    dropped for the load and rebuilt before commit). It does when it writes at least ``min_items``
    new items (counted exactly: the first ``min_items`` are held back until the count is reached)
    and the file has at least half as many rows as the table already holds. Rebuilding costs in
    proportion to the whole table, while the per-row index upkeep it saves is in proportion to the
    new rows, so a daily delta into a large table keeps the per-row path."""
    return file_rows >= min_items and 2 * file_rows >= stored_items


def _stored_items(entity_id: int, only: str = "") -> dict[tuple[str, str], tuple]:  # type: ignore[type-arg]
    """The items of one entity as text tuples (see ``_STORED_SQL``), by (kind, number); ``only`` is
    an SQL condition on ``id`` that narrows them (the staged import's changed items)."""
    selected = []
    for column in _STORED_SQL:
        if column is None:
            selected.append("NULL")
        elif column in _DATES:
            selected.append(date_text(column))
        elif column in _AMOUNTS:
            selected.append(amount_text(column))
        else:
            selected.append(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selected)} FROM ledger_item WHERE entity_id = %s {only}", [entity_id])
        return {(row[KIND], row[NUMBER]): row for row in cursor.fetchall()}


def _live_allocations(entity_id: int, only: str = "") -> dict[int, _LiveAllocations]:
    """The live allocations on the items of one entity (narrowed by ``only``, a condition on ``i.id``)."""
    live: dict[int, _LiveAllocations] = {}
    with connection.cursor() as cursor:
        for side in ("debit_item_id", "credit_item_id"):
            cursor.execute(
                f"SELECT a.{side}, a.id, {amount_text('a.amount')}, a.source, {date_text('a.date')} "
                f"FROM ledger_allocation a JOIN ledger_item i ON i.id = a.{side} "
                f"WHERE i.entity_id = %s AND a.reversed_on IS NULL {only}",
                [entity_id],
            )
            for item_id, allocation_id, amount, source, on_date in cursor.fetchall():
                entry = live.get(item_id)
                if entry is None:
                    entry = live[item_id] = _LiveAllocations()
                if source == AllocationSource.ERP:
                    entry.erp += Decimal(amount)
                    entry.erp_rows.append((allocation_id, on_date))
                elif source in _OWN_SOURCES:
                    entry.own += Decimal(amount)
                    entry.own_rows.append((on_date, Decimal(amount)))
    return live


class ItemImport:
    """One item file's upsert; ``run`` consumes the checked rows and writes (unless a dry run)."""

    def __init__(self, report: ImportReport, errors: list[RowError], layout: Layout, *, by: Actor, dry_run: bool,
                 clock, as_of: date | None, progress: Progress | None, file_name: str, file_rows: int = 0,
                 bulk_min_items: int = BULK_MIN_ITEMS) -> None:  # type: ignore[no-untyped-def]
        self.report = report
        self.errors = errors
        self.by = by
        self.dry_run = dry_run
        self.clock = clock
        self.progress = progress
        self.file_name = file_name
        self.file_rows = file_rows
        self.user_id = by.user.pk if by.user else None
        self.created_at = datetime_value(clock)
        self.entities: dict[str, tuple[int, str]] = {}  # code -> (id, id as text)
        self.today: dict[int, str] = {}
        for pk, code, tz in LegalEntity.objects.values_list("pk", "code", "timezone"):
            self.entities[code] = (pk, str(pk))
            self.today[pk] = (as_of or local_date(clock, tz)).isoformat()
        with connection.cursor() as cursor:
            cursor.execute("SELECT entity_id, account, id FROM ledger_customer")
            # (entity id, account) -> (customer id, the id as text for COPY)
            self.customers: dict[tuple[int, str], tuple[int, str]] = {
                (e, a): (pk, str(pk)) for e, a, pk in cursor.fetchall()}
            self.entities_with_items: set[int] = set()
            for pk, _text in self.entities.values():
                cursor.execute("SELECT 1 FROM ledger_item WHERE entity_id = %s LIMIT 1", [pk])
                if cursor.fetchone():
                    self.entities_with_items.add(pk)
        # Fields compared with stored items: those whose column the file has (an absent column is
        # left as stored), always the dates, currency and amount.
        present = [(name, slot) for name, slot in _COMPARED
                   if name not in ("posting_date", "amount_entity", "reference", "external_id", "text")
                   or layout.has(name)]
        self._compared = itemgetter(*(slot for _name, slot in present))
        self._compared_names = frozenset(name for name, _slot in present)
        self.kept: dict[int, list[tuple[CheckedItem, int]]] = {}  # entity id -> rows of entities with items
        self.next_id = 0
        self.new_count = 0
        self.erp_allocations: list[tuple[str, str, str, str, str]] = []  # item id, kind, amount, currency, date
        self.updates: list[tuple] = []  # type: ignore[type-arg]
        self.reversals: list[tuple[int, str, int | None, str]] = []
        self.events: list = []  # type: ignore[type-arg]
        self.bulk = BulkLoad(["ledger_item", "ledger_allocation"], unique_dropped=["ledger_item"])
        self.bulk_min_items = bulk_min_items
        self.bulk_possible = False
        if not dry_run and file_rows >= bulk_min_items:
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM ledger_item")
                self.bulk_possible = bulk_load_possible(file_rows, cursor.fetchone()[0], bulk_min_items)

    # -- the pass over the file -------------------------------------------------------------------

    def run(self, checked: Iterator[CheckedItem]) -> None:
        writing = not self.dry_run
        if writing:
            self.next_id = self.first_id = first_free_id("ledger_item")
            self._insert_new(self._new_items(checked))
        else:
            for _row in self._new_items(checked):
                pass
        self._complete()

    def _complete(self) -> None:
        """After the pass over the file: compare the kept rows with the stored items, then write."""
        for entity_id in list(self.kept):
            self._compare_entity(entity_id, self.kept.pop(entity_id))
        report = self.report
        report.created = self.new_count
        report.allocations_reversed = len(self.reversals)
        report.allocations_created = len(self.erp_allocations)
        if self.errors or self.dry_run:
            return
        claim_ids("ledger_item", self.first_id, self.next_id - self.first_id)
        if self.progress:
            self.progress("writing", 0, len(self.updates) + len(self.erp_allocations))
        update_rows("ledger_item", _ITEM_UPDATE, self.updates)
        update_rows("ledger_allocation", ("reversed_on", "reversed_by_id", "reversal_reason"), self.reversals)
        user_id = None if self.user_id is None else str(self.user_id)
        note = f"ERP extract {self.file_name}"[:200]
        erp, created_at = AllocationSource.ERP.value, self.created_at
        if self.erp_allocations:
            # Column by column (``insert_columns``): a third of a large extract's rows make one.
            item_ids, kinds, amounts, currencies, dates = map(list, zip(*self.erp_allocations, strict=True))
            credit = [kind in CREDIT_ITEM_KINDS for kind in kinds]
            count = len(item_ids)
            insert_columns("ledger_allocation", _ALLOCATION_INSERT, [[
                [None if on_credit else item_id for item_id, on_credit in zip(item_ids, credit, strict=True)],
                [item_id if on_credit else None for item_id, on_credit in zip(item_ids, credit, strict=True)],
                amounts, currencies, dates, [erp] * count, [note] * count, [user_id] * count,
                [created_at] * count, [""] * count]])
        if self.bulk.active:
            if self.progress:
                self.progress("indexing", 0, 1)
            self.bulk.finish()
            report.bulk_load = True
        check_foreign_keys("ledger_item", "ledger_allocation")
        if self.progress:
            total = len(self.updates) + len(self.erp_allocations)
            self.progress("writing", total, total)
        record_many(self.events)

    def _insert_new(self, rows: Iterator[tuple]) -> None:  # type: ignore[type-arg]
        """Write new items; switch to the bulk load once ``bulk_min_items`` of them are in hand."""
        if self.bulk_possible and not self.bulk.active:
            held = list(islice(rows, self.bulk_min_items))
            if len(held) >= self.bulk_min_items and not self.errors:
                self.bulk.begin()
            rows = chain(held, rows)
        insert_rows("ledger_item", _ITEM_INSERT, rows)

    def _new_items(self, checked: Iterator[CheckedItem]) -> Iterator[tuple]:  # type: ignore[type-arg]
        """Resolve each checked row's entity and customer; yield the rows that can only be new items,
        as ledger_item rows, while no row has been rejected. Tight loop: locals only."""
        entities, customers, with_items, kept = self.entities, self.customers, self.entities_with_items, self.kept
        errors, report, today_of = self.errors, self.report, self.today
        erp_allocations, created_at = self.erp_allocations, self.created_at
        writing = not self.dry_run
        next_id = self.next_id
        new_count = 0
        try:
            for row in checked:
                entity = entities.get(row[ENTITY])
                if entity is None:
                    errors.append(RowError(row[LINE], "entity", f"unknown entity {row[ENTITY]!r}"))
                    continue
                entity_id, entity_text = entity
                customer = customers.get((entity_id, row[ACCOUNT]))
                if customer is None:
                    errors.append(RowError(row[LINE], "account",
                                           f"unknown customer {row[ACCOUNT]!r} in entity {row[ENTITY]}"))
                    continue
                if entity_id in with_items:
                    group = kept.get(entity_id)
                    if group is None:
                        group = kept[entity_id] = []
                    group.append((row, customer[0]))
                    continue
                new_count += 1
                if new_count <= PLANNED_SHOWN:
                    report.plan("create item", f"{row[ENTITY]} {row[KIND]} {row[NUMBER]}")
                amount, erp_open = row[AMOUNT], row[ERP_OPEN]
                item_id = str(next_id)
                next_id += 1
                if amount == erp_open:
                    cleared_on = None
                else:
                    cleared_on = row[CLEARED_DATE] or today_of[entity_id]
                    erp_allocations.append((item_id, row[KIND], str(Decimal(amount) - Decimal(erp_open)),
                                            row[CURRENCY], cleared_on))
                if writing and not errors:
                    yield (item_id, entity_text, customer[1], row[KIND], row[NUMBER], row[DOCUMENT_DATE],
                           row[POSTING_DATE], row[DUE_DATE], row[CURRENCY], amount, erp_open, row[AMOUNT_ENTITY],
                           row[REFERENCE] or "", row[EXTERNAL_ID] or "", row[TEXT] or "", cleared_on, created_at)
        finally:
            self.next_id = next_id
            self.new_count += new_count

    # -- rows of entities that already have items ---------------------------------------------------

    def _compare_entity(self, entity_id: int, rows: list[tuple[CheckedItem, int]]) -> None:
        new_rows = self._compare_existing(entity_id, rows, _stored_items(entity_id), _live_allocations(entity_id))
        if new_rows:
            self._insert_kept_new(entity_id, new_rows)

    def _insert_kept_new(self, entity_id: int, new_rows: list[tuple[CheckedItem, int]]) -> None:
        """New items among an entity's existing ones: numbered and written like the others."""
        self.entities_with_items.discard(entity_id)
        rows_iter = iter([row for row, _customer in new_rows])
        if self.dry_run:
            for _row in self._new_items(rows_iter):
                pass
        else:
            self._insert_new(self._new_items(rows_iter))

    def _compare_existing(self, entity_id: int, rows: list[tuple[CheckedItem, int]],
                          stored_items: dict[tuple[str, str], tuple],  # type: ignore[type-arg]
                          live: dict[int, _LiveAllocations]) -> list[tuple[CheckedItem, int]]:
        """Compare rows with the stored items; queue what changes, return the rows that are new."""
        compared = self._compared
        new_rows = []
        for row, customer_id in rows:
            stored = stored_items.get((row[KIND], row[NUMBER]))
            if stored is None:
                new_rows.append((row, customer_id))
                continue
            allocated = live.get(stored[_S_ID])
            if stored[_S_CUSTOMER] == customer_id and row[ERP_OPEN] == stored[_S_OPEN] \
                    and compared(row) == compared(stored):
                # The common case of a re-import. Without Incasso's own allocations the rule reduces
                # to: the live ERP allocations sum to amount - erp_open, and the open amount is erp_open.
                if allocated is None:
                    if row[AMOUNT] == row[ERP_OPEN]:
                        self.report.unchanged += 1
                        continue
                elif not allocated.own and Decimal(row[AMOUNT]) - Decimal(row[ERP_OPEN]) == allocated.erp:
                    self.report.unchanged += 1
                    continue
            self._reconcile(row, customer_id, stored, allocated or _NO_ALLOCATIONS, self.today[entity_id])
        return new_rows

    def _reconcile(self, row: CheckedItem, customer_id: int, stored: tuple, allocated: _LiveAllocations,  # type: ignore[type-arg]
                   today: str) -> None:
        """Compare one existing item with its row; queue the update, ERP allocation changes and event."""
        report = self.report
        amount = Decimal(row[AMOUNT])
        if amount < allocated.own:
            self.errors.append(RowError(row[LINE], "amount", f"amount {row[AMOUNT]} is below the {allocated.own} "
                                                             f"Incasso already allocated to {row[KIND]} {row[NUMBER]}"))
            return
        current = {"customer_id": stored[_S_CUSTOMER]}
        wanted: dict[str, object] = {"customer_id": customer_id}
        for name, slot in _COMPARED:
            current[name] = stored[slot]
            if row[slot] is not None:
                wanted[name] = row[slot]
        before: dict[str, object] = {}
        after: dict[str, object] = {}
        for name in _ITEM_FIELDS:
            if name in wanted and current[name] != wanted[name]:
                before[name], after[name] = current[name], wanted[name]
        stored_open = Decimal(stored[_S_OPEN])
        # The ERP rule (docs/formats.md): the ERP's clearing C holds its own clearings plus whatever part
        # of Incasso's earlier allocations I_b it has booked, so its own part lies between C - I_b and C,
        # and ERP plus Incasso never exceed the amount. The current ERP clearing is kept when it fits.
        erp_cleared = amount - Decimal(row[ERP_OPEN])
        lowest = max(_ZERO, erp_cleared - allocated.own_booked_before(today))
        highest = max(_ZERO, min(erp_cleared, amount - allocated.own))
        erp_target = min(highest, max(lowest, allocated.erp))
        open_amount = amount - erp_target - allocated.own
        last_activity = stored[_S_LAST_ACTIVITY]
        item_id = stored[_S_ID]
        if erp_target != allocated.erp:
            for allocation_id, allocated_on in allocated.erp_rows:
                self.reversals.append((allocation_id, max(today, allocated_on), self.user_id,
                                       f"superseded by ERP extract {self.file_name}"[:200]))
                last_activity = max(filter(None, (last_activity, today, allocated_on)))
            if erp_target:
                on_date = row[CLEARED_DATE] or today
                self.erp_allocations.append((str(item_id), row[KIND], str(erp_target), row[CURRENCY], on_date))
                last_activity = max(filter(None, (last_activity, on_date)))
            before["erp_cleared"], after["erp_cleared"] = str(allocated.erp), str(erp_target)
        if open_amount != stored_open:
            before["open_amount"], after["open_amount"] = stored[_S_OPEN], str(open_amount)
        if not after:
            report.unchanged += 1
            return
        report.updated += 1
        report.plan("update item", f"{row[ENTITY]} {row[KIND]} {row[NUMBER]}: {', '.join(after)}")
        merged = {name: wanted.get(name, current[name]) for name in _ITEM_FIELDS}
        for name in ("reference", "external_id", "text"):
            merged[name] = merged[name] or ""
        self.updates.append((item_id, *(merged[name] for name in _ITEM_FIELDS), str(open_amount), last_activity))
        self.events.append(build(EventKind.ITEM_UPDATED, actor=self.by, subject_type="item", subject_id=item_id,
                                 customer_id=customer_id, at=self.clock,
                                 message=f"{row[KIND]} {row[NUMBER]} updated from ERP extract {self.file_name}",
                                 before=before, after=after))
