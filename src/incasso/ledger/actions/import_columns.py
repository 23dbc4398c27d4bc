"""The column-wise item import: a plain CSV extract checked and written block by block.

For a CSV file without quotes (what ERPs and the generator write), ``import_erp_file`` first tries
this path: blocks of lines are checked column by column (``incasso.core.erp_columns``) and the
new items of each block are written column by column (``ledger.importers.sql.insert_columns``:
COPY text put together by ``zip`` and ``str.join`` on PostgreSQL, ``executemany`` over ``zip`` on
SQLite), so no Python code runs per new row. While the client checks the next block, the
PostgreSQL server is still busy with the COPY of the previous one: both cores work.

Rows of entities that already have items are kept as checked rows and compared with the stored
items exactly as the per-row path does (``ItemImport._complete``); the numbering of new items, the
ERP allocations, the plan, the bulk-load switch and the audit are those of the per-row path.

As soon as a block is not certain (a row the per-row check might reject, an unknown entity or
customer), :class:`NotColumnar` is raised: the caller rolls the transaction back and imports the
file through the per-row path, which reports every rejected row.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, compress, repeat
from operator import and_, eq, itemgetter, methodcaller, ne, not_, sub

from django.db import connection

from incasso.core.erp_columns import ItemColumns
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
    NUMBER,
    POSTING_DATE,
    REFERENCE,
    TEXT,
    CheckedItem,
)
from incasso.ledger.actions.import_items import (
    _AMOUNTS,
    _COMPARED,
    _DATES,
    _ITEM_INSERT,
    _NO_ALLOCATIONS,
    _OWN_SOURCES,
    _S_CUSTOMER,
    _S_ID,
    _S_OPEN,
    _STORED_SQL,
    PLANNED_SHOWN,
    ItemImport,
    _live_allocations,
)
from incasso.ledger.choices import AllocationSource
from incasso.ledger.importers.sql import amount_text, date_text, first_free_id, insert_columns

_CUSTOMER_TEXT = itemgetter(1)
_CUSTOMER_ID = itemgetter(0)
_STORED_ID = itemgetter(_S_ID)
_ABSENT = tuple(object() for _ in range(16))  # a stored item no file row equals: the row is new
_NO_DOT = methodcaller("replace", ".", "")
_NOTHING_CLEARED = "0.00"
_OWN_CLEARED = object()  # an item with Incasso's own live allocations: always compared row by row


class NotColumnar(Exception):  # noqa: N818 - a signal, not an error
    """A block the column-wise check could not vouch for; the caller starts over row by row."""


def _cleared_texts(amounts: list[str], erp_opens: list[str]) -> list[str]:
    """``amount - erp_open`` of each pair of two-decimal texts, written as ``str(Decimal)`` writes the
    difference (``12.30``, ``0.00``), with no Python step per pair."""
    cents = map(sub, map(int, map(_NO_DOT, amounts)), map(int, map(_NO_DOT, erp_opens)))
    return list(map("%d.%02d".__mod__, map(divmod, cents, repeat(100))))


def _or_empty(values: list) -> list:  # type: ignore[type-arg]
    """An optional text column as written: a column the file lacks (all None) becomes empty texts."""
    if values and values[0] is None:
        return [""] * len(values)
    return values


def _erp_clearings(entity_id: int) -> dict[int, object]:
    """Per item of the entity with live allocations: the sum of its live ERP allocations as
    two-decimal text when Incasso has no live allocation of its own on it, else ``_OWN_CLEARED``.
    Items without live ERP or own allocations are absent (their ERP clearing is nothing)."""
    erp, own = AllocationSource.ERP.value, sorted(_OWN_SOURCES)
    clearings: dict[int, object] = {}
    with connection.cursor() as cursor:
        for side in ("debit_item_id", "credit_item_id"):
            cursor.execute(
                f"SELECT item_id, {amount_text('erp_sum')}, own_count, erp_count FROM ("
                f"SELECT a.{side} AS item_id, SUM(CASE WHEN a.source = %s THEN a.amount ELSE 0 END) AS erp_sum, "
                "SUM(CASE WHEN a.source IN (%s, %s) THEN 1 ELSE 0 END) AS own_count, "
                "SUM(CASE WHEN a.source = %s THEN 1 ELSE 0 END) AS erp_count "
                f"FROM ledger_allocation a JOIN ledger_item i ON i.id = a.{side} "
                f"WHERE i.entity_id = %s AND a.reversed_on IS NULL GROUP BY a.{side}) clearing",
                [erp, *own, erp, entity_id])
            for item_id, erp_sum, own_count, erp_count in cursor.fetchall():
                if own_count:
                    clearings[item_id] = _OWN_CLEARED
                elif erp_count:
                    clearings[item_id] = erp_sum
    return clearings


def _stored_items_of(entity_ids: list[int]) -> dict[tuple[int, str, str], tuple]:  # type: ignore[type-arg]
    """The items of the entities as ``_stored_items`` reads them (the account slot, unused there,
    holds the entity id), by (entity id, kind, number)."""
    selected = []
    for column in _STORED_SQL:
        if column is None:
            selected.append("entity_id")
        elif column in _DATES:
            selected.append(date_text(column))
        elif column in _AMOUNTS:
            selected.append(amount_text(column))
        else:
            selected.append(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selected)} FROM ledger_item "
                       f"WHERE entity_id IN ({', '.join('%s' for _ in entity_ids)})", entity_ids)
        rows = cursor.fetchall()
    return dict(zip(map(itemgetter(ACCOUNT, KIND, NUMBER), rows), rows, strict=True))


class ColumnItemImport(ItemImport):
    """``ItemImport`` fed with blocks of checked columns instead of checked rows."""

    def run_columns(self, blocks: Iterator[ItemColumns | None]) -> int:
        """Consume the blocks (None: a block the check could not vouch for); returns the rows read."""
        self.rows_read = 0
        self.kept_blocks: list[tuple[list[list], list[int], list[int]]] = []  # type: ignore[type-arg]
        self.kept_order: dict[int, None] = {}  # entities with items, by first appearance
        new_blocks = self._new_blocks(blocks)
        if self.dry_run:
            for _block in new_blocks:
                pass
        else:
            self.next_id = self.first_id = first_free_id("ledger_item")
            # Hold the first blocks back until ``bulk_min_items`` new items are in hand, then take the
            # bulk-load path (as ``ItemImport._insert_new`` does); decided before the COPY starts.
            held: list[list[list]] = []  # type: ignore[type-arg]
            count = 0
            if self.bulk_possible:
                for block in new_blocks:
                    held.append(block)
                    count += len(block[0])
                    if count >= self.bulk_min_items:
                        self.bulk.begin()
                        break
            insert_columns("ledger_item", _ITEM_INSERT, chain(held, new_blocks))
            del held
        self._complete()
        return self.rows_read

    def _new_blocks(self, blocks: Iterator[ItemColumns | None]) -> Iterator[list[list]]:  # type: ignore[type-arg]
        """Resolve entities and customers per block; keep the rows of entities that have items;
        yield the new items of the others as ledger_item columns."""
        entities, customers, with_items = self.entities, self.customers, self.entities_with_items
        report, today_of, created_at = self.report, self.today, self.created_at
        for columns in blocks:
            if columns is None:
                raise NotColumnar("a row needs the per-row check")
            count = len(columns[0])
            self.rows_read += count
            if self.progress:
                self.progress("checking", self.rows_read, self.file_rows)
            if not count:
                continue
            entity_codes = columns[ENTITY]
            known = {code: entities.get(code) for code in set(entity_codes)}
            if None in known.values():
                raise NotColumnar("unknown entity")
            entity_ids = [pk for pk, _text in known.values()]
            entity_id_of = {code: pk for code, (pk, _text) in known.items()}  # type: ignore[misc]
            ids = list(map(entity_id_of.__getitem__, entity_codes))
            found = list(map(customers.get, zip(ids, columns[ACCOUNT], strict=True)))
            if None in found:
                raise NotColumnar("unknown customer")
            if with_items.intersection(entity_ids):
                is_new = [pk not in with_items for pk in ids]
                kept_mask = [not new for new in is_new]
                self._keep(columns, ids, found, kept_mask)
                if not any(is_new):
                    continue
                columns = [list(compress(column, is_new)) for column in columns]
                ids = list(compress(ids, is_new))
                found = list(compress(found, is_new))
                count = len(ids)
            yield self._new_item_columns(columns, ids, found, count, report, today_of, created_at)

    def _keep(self, columns: ItemColumns, ids: list[int], found: list, mask: list[bool]) -> None:  # type: ignore[type-arg]
        """Keep the block's rows of entities that have items (``mask``), column-wise, for ``_complete``."""
        if not all(mask):
            columns = [list(compress(column, mask)) for column in columns]
            ids, found = list(compress(ids, mask)), list(compress(found, mask))
        self.kept_order.update(dict.fromkeys(ids))
        self.kept_blocks.append((columns, ids, list(map(_CUSTOMER_ID, found))))

    # -- rows of entities that already have items ---------------------------------------------------

    def _complete(self) -> None:
        if self.kept_blocks:
            self._compare_columns()
        super()._complete()

    def _compare_columns(self) -> None:
        """``ItemImport._compare_entity`` column-wise: the rows whose compared fields, customer, open
        amount and ERP clearing equal the stored item's are counted unchanged without a Python step
        per row; the others go through ``_reconcile`` (or are new) one by one, entity by entity in
        order of first appearance and in file order within an entity, as on the per-row path."""
        order = list(self.kept_order)
        stored_items = _stored_items_of(order)
        clearings: dict[int, object] = {}
        for entity_id in order:
            clearings.update(_erp_clearings(entity_id))
        slots = [slot for name, slot in _COMPARED if name in self._compared_names]
        pick = itemgetter(_S_CUSTOMER, _S_OPEN, *slots)
        pending: dict[int, list[tuple[CheckedItem, int, tuple]]] = {entity_id: [] for entity_id in order}  # type: ignore[type-arg]
        unchanged_count = 0
        while self.kept_blocks:
            columns, ids, customer_ids = self.kept_blocks.pop(0)
            count = len(ids)
            stored = list(map(stored_items.get, zip(ids, columns[KIND], columns[NUMBER], strict=True),
                              repeat(_ABSENT, count)))
            mine = zip(customer_ids, columns[ERP_OPEN], *(columns[slot] for slot in slots), strict=True)
            same = map(eq, mine, map(pick, stored))
            # The ERP clearing the row states ("0.00": nothing cleared) against the live ERP clearing of
            # the item when Incasso has none of its own on it (see ``_erp_clearings``).
            amount, erp_open = columns[AMOUNT], columns[ERP_OPEN]
            stated = [_NOTHING_CLEARED] * count
            changed = list(compress(range(count), map(ne, amount, erp_open)))
            texts = _cleared_texts(list(map(amount.__getitem__, changed)), list(map(erp_open.__getitem__, changed)))
            for index, text in zip(changed, texts, strict=True):
                stated[index] = text
            booked = map(clearings.get, map(_STORED_ID, stored), repeat(_NOTHING_CLEARED, count))
            unchanged = list(map(and_, same, map(eq, stated, booked)))
            unchanged_count += sum(unchanged)
            for index in compress(range(count), map(not_, unchanged)):
                pending[ids[index]].append((tuple(column[index] for column in columns), customer_ids[index],
                                            stored[index]))
        del stored_items
        self.report.unchanged += unchanged_count
        for entity_id, rows in pending.items():
            live = None
            new_rows: list[tuple[CheckedItem, int]] = []
            today = self.today[entity_id]
            for row, customer_id, stored_item in rows:
                if stored_item is _ABSENT:
                    new_rows.append((row, customer_id))
                    continue
                if live is None:
                    live = _live_allocations(entity_id)
                self._reconcile(row, customer_id, stored_item, live.get(stored_item[_S_ID]) or _NO_ALLOCATIONS, today)
            if new_rows:
                self._insert_kept_new(entity_id, new_rows)

    def _new_item_columns(self, columns: ItemColumns, ids: list[int], found: list, count: int,  # type: ignore[type-arg]
                          report, today_of: dict[int, str], created_at: str) -> list[list]:  # type: ignore[no-untyped-def, type-arg]
        shown = PLANNED_SHOWN - self.new_count
        if shown > 0:
            firsts = (columns[ENTITY][:shown], columns[KIND][:shown], columns[NUMBER][:shown])
            for entity, kind, number in zip(*firsts, strict=True):
                report.plan("create item", f"{entity} {kind} {number}")
        self.new_count += count
        item_ids = list(map(str, range(self.next_id, self.next_id + count)))
        self.next_id += count
        amount, erp_open, kind, currency = columns[AMOUNT], columns[ERP_OPEN], columns[KIND], columns[CURRENCY]
        cleared = columns[CLEARED_DATE]
        last_activity: list[str | None] = [None] * count
        allocations = self.erp_allocations
        changed = list(compress(range(count), map(ne, amount, erp_open)))
        if changed:
            today = map(today_of.__getitem__, map(ids.__getitem__, changed))
            if cleared.count(None) == count:  # no cleared_date: the ERP cleared it by the import's day
                on_dates = list(today)
            elif None in cleared:
                on_dates = [on_date or on_today for on_date, on_today in zip(map(cleared.__getitem__, changed), today,
                                                                            strict=True)]
            else:
                on_dates = list(map(cleared.__getitem__, changed))
            for index, on_date in zip(changed, on_dates, strict=True):
                last_activity[index] = on_date
            allocations.extend(zip(map(item_ids.__getitem__, changed), map(kind.__getitem__, changed),
                                   _cleared_texts(list(map(amount.__getitem__, changed)),
                                                  list(map(erp_open.__getitem__, changed))),
                                   map(currency.__getitem__, changed), on_dates, strict=True))
        entity_text = {pk: str(pk) for pk in set(ids)}
        return [item_ids, list(map(entity_text.__getitem__, ids)), list(map(_CUSTOMER_TEXT, found)), kind,
                columns[NUMBER], columns[DOCUMENT_DATE], columns[POSTING_DATE], columns[DUE_DATE], currency, amount,
                erp_open, columns[AMOUNT_ENTITY], _or_empty(columns[REFERENCE]), _or_empty(columns[EXTERNAL_ID]),
                _or_empty(columns[TEXT]), last_activity, [created_at] * count]
