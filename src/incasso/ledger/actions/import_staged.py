"""The staged import of an item extract: the CSV file loaded whole into a temporary table and
checked set-based, then written with ``INSERT ... SELECT``; the same rules, messages and database
state as the per-row import of ``ledger.actions.import_items``, with almost no Python per row.

The steps, all inside the caller's transaction (one file, all or nothing):

1. ``importers.staging.load``: COPY of the decoded text (PostgreSQL) or ``executemany`` of the csv
   module's records (SQLite) into a staging table, one row per line with its line number.
2. ``build_rows`` / ``build_checked``: the canonical columns, stripped; dates, kinds and currencies
   looked up in tables built in Python from their *distinct* texts (``parse_date`` and the kind
   rules decide them, as per row); amounts tested with the fast loop's plain-amount pattern. A row
   those tests decide is ``clean``.
3. Every other row (a bad value, an exotic layout, a non-breaking space, a three-decimal currency
   ...) is fetched back and judged by the per-row full check, ``ItemRowChecker``, which gives the
   error messages or the accepted values; so each rejected row reads exactly as the per-row path
   reports it.
4. Duplicates of (entity, kind, number) inside the file by ``GROUP BY``, unknown entities and
   customers by joins, existing items by a join on the unique key. Existing items whose stored
   values, open amount and live allocations already say what the row says are counted unchanged
   in SQL; the others go through ``ItemImport._reconcile`` (ERP clearings, audit), row by row as
   before: a daily delta has few of them.
5. New items get their ids in the order the per-row path gives them (entities without items first,
   in file order; then each entity that had items, by its first line) and are written by one
   ``INSERT ... SELECT`` per group, their ERP clearings likewise, interleaved with the reconciled
   rows' allocations as the per-row path orders them. Large loads take ``BulkLoad`` as before.
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection

from incasso.audit.events import record_many
from incasso.core.erp_items import checked_from_row
from incasso.core.erp_rows import (
    CREDIT_ITEM_KINDS,
    ITEM_KINDS,
    ItemRowChecker,
    Layout,
    Mapping,
    RowError,
    duplicate_item,
    parse_date,
)
from incasso.core.money import MINOR_UNITS
from incasso.ledger.actions.import_items import (
    _ALLOCATION_INSERT,
    _ITEM_UPDATE,
    PLANNED_SHOWN,
    ItemImport,
    _live_allocations,
    _stored_items,
)
from incasso.ledger.choices import AllocationSource
from incasso.ledger.importers import staging
from incasso.ledger.importers.readers import CsvText
from incasso.ledger.importers.sql import (
    amount_text,
    check_foreign_keys,
    claim_ids,
    date_text,
    first_free_id,
    insert_rows,
    update_rows,
)

if TYPE_CHECKING:
    from incasso.core.erp_items import CheckedItem

_CHECKED = ("line", "entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
            "erp_open", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")
_CREDIT_KINDS = ", ".join(f"'{kind}'" for kind in sorted(CREDIT_ITEM_KINDS))
_OWN_SOURCES = ", ".join(f"'{source}'" for source in (AllocationSource.CASH_APPLICATION, AllocationSource.MANUAL))


def _cast(column: str, sql_type: str) -> str:
    return f"CAST({column} AS {sql_type})" if staging.is_postgres() else column


class StagedItemImport(ItemImport):
    """``run_staged`` imports one staged CSV file, or says why it cannot (before writing anything)."""

    def run_staged(self, source: CsvText, layout: Layout, mapping: Mapping) -> str | None:
        self._entity_plans: dict[int, list[str]] = {}  # the updates each entity's reconciliation planned
        progress = self.progress
        staging.drop()  # an earlier import in the same transaction (tests) left its tables
        stage = staging.load(source, layout.positions, layout.defaults, mapping.decimal_comma, progress)
        if isinstance(stage, str):
            staging.drop()
            return stage
        steps = 8
        if progress:
            progress("checking", 0, steps)
        self._lookups(mapping)
        staging.build_checked(stage.width)
        if progress:
            progress("checking", 2, steps)
        self._judge_doubted(stage, layout, mapping)
        self.report.rows = staging.fetch("SELECT COUNT(*) FROM import_checked")[0][0]
        self._duplicates()
        if progress:
            progress("checking", 4, steps)
        self._ready()
        if progress:
            progress("checking", 6, steps)
        groups, reconciled_allocations = self._existing()
        if progress:
            progress("checking", steps, steps)
        new_count = staging.fetch("SELECT COUNT(*) FROM import_ready WHERE customer_id IS NOT NULL "
                                  "AND item_id IS NULL")[0][0]
        new_cleared = staging.fetch("SELECT COUNT(*) FROM import_ready WHERE customer_id IS NOT NULL "
                                    "AND item_id IS NULL AND cleared_amount IS NOT NULL")[0][0]
        report = self.report
        report.created = new_count
        report.allocations_reversed = len(self.reversals)
        report.allocations_created = len(self.erp_allocations) + new_cleared
        self._plan(groups)  # as the per-row path, also when rows were rejected
        if self.errors or self.dry_run:
            staging.drop()
            return None
        self._write(groups, reconciled_allocations, new_count)
        staging.drop()
        return None

    # -- checking ------------------------------------------------------------------------------------

    def _lookups(self, mapping: Mapping) -> None:
        dates = []
        for text in staging.distinct_texts("document_date", "due_date", "posting_date", "cleared_date"):
            with suppress(ValueError):
                dates.append((text, parse_date(text, mapping.date_format).isoformat()))
        staging.fill("import_dates", "text TEXT PRIMARY KEY, iso TEXT", dates)
        kinds = []
        for text in staging.distinct_texts("kind"):
            kind = mapping.kinds.get(text, text)
            if kind not in ITEM_KINDS:
                kind = kind.lower()
            kinds.append((text, kind, 1 if kind in ITEM_KINDS else 0))
        staging.fill("import_kinds", "text TEXT PRIMARY KEY, kind TEXT, known INTEGER", kinds)
        staging.fill("import_currencies", "code TEXT PRIMARY KEY",
                     [(code,) for code, units in MINOR_UNITS.items() if units >= 2])

    def _judge_doubted(self, stage: staging.Stage, layout: Layout, mapping: Mapping) -> None:
        """The rows the set-based tests did not decide, through the full per-row check."""
        lines = [line for (line,) in staging.fetch("SELECT line FROM import_checked WHERE clean = 0 ORDER BY line")]
        if not lines:
            return
        checker = ItemRowChecker(layout, mapping)
        judged = []
        for line, values in stage.raw_rows(lines):
            if len(values) == 1 and not values[0].strip():
                continue  # a blank line, as the reader skips it
            row, row_errors, key = checker.check(line, values)
            if row_errors:
                self.errors.extend(row_errors)
                entity, kind, number = key if key is not None else (None, None, None)
                judged.append((line, entity, None, kind, number, *([None] * 11), None, 0, 0 if key is None else 1))
            else:
                checked = checked_from_row(row)  # type: ignore[arg-type]
                amount, erp_open = checked[8], checked[9]
                cleared = None if amount == erp_open else str(Decimal(amount) - Decimal(erp_open))
                judged.append((*checked, cleared, 1, 1))
        staging.execute("DELETE FROM import_checked WHERE clean = 0")
        columns = (*_CHECKED, "cleared_amount", "clean", "has_key")
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO import_checked ({', '.join(columns)}) "
                               f"VALUES ({', '.join(['%s'] * len(columns))})", judged)

    def _duplicates(self) -> None:
        duplicates = staging.fetch(
            "SELECT c.line, c.entity, c.kind, c.number, d.first FROM import_checked c JOIN "
            "(SELECT entity, kind, number, MIN(line) AS first FROM import_checked WHERE has_key = 1 "
            "GROUP BY entity, kind, number HAVING COUNT(*) > 1) d "
            "ON d.entity = c.entity AND d.kind = c.kind AND d.number = c.number "
            "WHERE c.has_key = 1 AND c.line > d.first ORDER BY c.line")
        for line, entity, kind, number, first in duplicates:
            self.errors.append(duplicate_item(line, (entity, kind, number), first))
        lines = [line for line, *_rest in duplicates]
        for start in range(0, len(lines), 5000):
            part = lines[start:start + 5000]
            staging.execute(f"UPDATE import_checked SET clean = 0 WHERE line IN ({', '.join(str(n) for n in part)})")

    def _ready(self) -> None:
        """``import_ready``: the accepted rows with entity, customer and existing item resolved."""
        staging.fill("import_entities", "code TEXT PRIMARY KEY, id INTEGER, today TEXT, has_items INTEGER",
                     [(code, pk, self.today[pk], 1 if pk in self.entities_with_items else 0)
                      for code, (pk, _text) in self.entities.items()])
        staging.execute(staging.temp_table("import_ready", """AS SELECT c.line, c.entity, c.account, c.kind, c.number,
            c.document_date, c.due_date, c.currency, c.amount, c.erp_open, c.reference, c.posting_date,
            c.amount_entity, c.external_id, c.text, c.cleared_date, c.cleared_amount,
            e.id AS entity_id, e.today, e.has_items, cu.id AS customer_id, i.id AS item_id
            FROM import_checked c
            LEFT JOIN import_entities e ON e.code = c.entity
            LEFT JOIN ledger_customer cu ON cu.entity_id = e.id AND cu.account = c.account
            LEFT JOIN ledger_item i ON e.has_items = 1 AND i.entity_id = e.id AND i.kind = c.kind
                AND i.number = c.number
            WHERE c.clean = 1"""))
        staging.analyze("import_ready (line, entity_id, customer_id, item_id)")
        for line, entity, account, entity_id in staging.fetch(
                "SELECT line, entity, account, entity_id FROM import_ready WHERE customer_id IS NULL ORDER BY line"):
            if entity_id is None:
                self.errors.append(RowError(line, "entity", f"unknown entity {entity!r}"))
            else:
                self.errors.append(RowError(line, "account", f"unknown customer {account!r} in entity {entity}"))

    def _existing(self) -> tuple[list[int], dict[int, tuple[int, int]]]:
        """Compare the rows of existing items; returns the entities that had items in the order the
        per-row path handles them, and per entity the slice of ``erp_allocations`` it queued."""
        groups = [entity_id for entity_id, _first in staging.fetch(
            "SELECT entity_id, MIN(line) AS first FROM import_ready WHERE has_items = 1 AND customer_id IS NOT NULL "
            "GROUP BY entity_id ORDER BY 2")]
        slices: dict[int, tuple[int, int]] = {}
        if not groups:
            return groups, slices
        same = self._unchanged_sql()
        staging.execute(staging.temp_table("import_changed", f"""AS SELECT r.line, r.item_id, r.entity_id
            FROM import_ready r JOIN ledger_item i ON i.id = r.item_id
            LEFT JOIN (SELECT item_id, COUNT(*) AS n,
                    SUM(CASE WHEN source = 'erp' THEN amount ELSE 0 END) AS erp,
                    SUM(CASE WHEN source IN ({_OWN_SOURCES}) THEN amount ELSE 0 END) AS own
                FROM (SELECT debit_item_id AS item_id, amount, source FROM ledger_allocation
                      WHERE reversed_on IS NULL AND debit_item_id IS NOT NULL
                      UNION ALL SELECT credit_item_id, amount, source FROM ledger_allocation
                      WHERE reversed_on IS NULL AND credit_item_id IS NOT NULL) l
                GROUP BY item_id) a ON a.item_id = r.item_id
            WHERE r.customer_id IS NOT NULL AND NOT ({same})"""))
        existing = staging.fetch("SELECT COUNT(*) FROM import_ready WHERE customer_id IS NOT NULL "
                                 "AND item_id IS NOT NULL")[0][0]
        changed = staging.fetch("SELECT COUNT(*) FROM import_changed")[0][0]
        self.report.unchanged += existing - changed
        selected = ", ".join(f"r.{column}" for column in _CHECKED)
        only_items = "AND id IN (SELECT item_id FROM import_changed)"
        only_allocated = "AND i.id IN (SELECT item_id FROM import_changed)"
        report = self.report
        shared_plan = report.planned
        for entity_id in groups:
            report.planned = self._entity_plans.setdefault(entity_id, [])
            start = len(self.erp_allocations)
            if changed:
                rows = staging.fetch(f"SELECT {selected}, r.customer_id FROM import_ready r "
                                     "JOIN import_changed x ON x.line = r.line WHERE x.entity_id = %(entity)s "
                                     "ORDER BY r.line", {"entity": entity_id})
                if rows:
                    checked: list[tuple[CheckedItem, int]] = [(tuple(row[:-1]), row[-1]) for row in rows]
                    self._compare_existing(entity_id, checked, _stored_items(entity_id, only_items),
                                           _live_allocations(entity_id, only_allocated))
            slices[entity_id] = (start, len(self.erp_allocations))
        report.planned = shared_plan
        return groups, slices

    def _unchanged_sql(self) -> str:
        """SQL true when an existing item already is what its row says (the per-row shortcut)."""
        compared = ["document_date", "due_date", "currency", "amount"]
        compared += [name for name in ("posting_date", "amount_entity", "reference", "external_id", "text")
                     if self._has(name)]
        same = "IS NOT DISTINCT FROM" if staging.is_postgres() else "IS"
        tests = ["i.customer_id = r.customer_id", f"{amount_text('i.open_amount')} = r.erp_open"]
        for name in compared:
            if name in ("document_date", "due_date", "posting_date"):
                stored = date_text(f"i.{name}")
            elif name in ("amount", "amount_entity"):
                stored = amount_text(f"i.{name}")
            else:
                stored = f"i.{name}"
            tests.append(f"{stored.replace('%', '%%')} {same} r.{name}")
        if staging.is_postgres():
            cleared = "(CAST(r.amount AS numeric) - CAST(r.erp_open AS numeric)) = a.erp"
        else:
            cleared = "ROUND((CAST(r.amount AS REAL) - CAST(r.erp_open AS REAL) - a.erp) * 100) = 0"
        tests.append(f"((a.n IS NULL AND r.amount = r.erp_open) OR (a.n IS NOT NULL AND a.own = 0 AND {cleared}))")
        tests[1] = tests[1].replace("%", "%%")
        return " AND ".join(tests)

    def _has(self, column: str) -> bool:
        return column in self._compared_names  # type: ignore[attr-defined]

    # -- writing -------------------------------------------------------------------------------------

    def _plan(self, groups: list[int]) -> None:
        """The dry run's list: created items of entities without items, then per entity with items
        its updated items (already planned by _reconcile) and its created ones, as the per-row path."""
        report = self.report
        for group in [0, *groups]:
            for planned in self._entity_plans.get(group, []):
                if len(report.planned) < PLANNED_SHOWN:
                    report.planned.append(planned)
            if len(report.planned) >= PLANNED_SHOWN:
                return
            condition = "r.has_items = 0" if group == 0 else f"r.entity_id = {int(group)}"
            for entity, kind, number in staging.fetch(
                    f"SELECT r.entity, r.kind, r.number FROM import_ready r WHERE {condition} "
                    f"AND r.customer_id IS NOT NULL AND r.item_id IS NULL ORDER BY r.line LIMIT {PLANNED_SHOWN}"):
                report.plan("create item", f"{entity} {kind} {number}")

    def _write(self, groups: list[int], slices: dict[int, tuple[int, int]], new_count: int) -> None:
        report, progress = self.report, self.progress
        first = first_free_id("ledger_item")
        rank = {entity_id: n + 1 for n, entity_id in enumerate(groups)}
        lowest, highest = staging.fetch("SELECT MIN(line), MAX(line) FROM import_ready WHERE customer_id IS NOT NULL "
                                        "AND item_id IS NULL")[0]
        if not groups and lowest == 2 and highest == new_count + 1:
            # The usual first load: every data row is a new item of an entity without items, so the
            # n-th row is the n-th new item and its id follows from its line, without a sort.
            new_items = (f"(SELECT r.*, 0 AS grp, r.line + {int(first) - 2} AS id FROM import_ready r "
                         "WHERE r.customer_id IS NOT NULL AND r.item_id IS NULL) n")
        else:
            staging.fill("import_groups", "entity_id INTEGER PRIMARY KEY, grp INTEGER", list(rank.items()))
            staging.execute(staging.temp_table("import_new", """AS SELECT r.*, COALESCE(g.grp, 0) AS grp,
                %(first)s - 1 + ROW_NUMBER() OVER (ORDER BY COALESCE(g.grp, 0), r.line) AS id
                FROM import_ready r LEFT JOIN import_groups g ON g.entity_id = r.entity_id
                WHERE r.customer_id IS NOT NULL AND r.item_id IS NULL"""), {"first": first})
            new_items = "import_new n"
        if self.bulk_possible and new_count >= self.bulk_min_items:
            self.bulk.begin()
        if progress:
            progress("writing", 0, new_count)
        created_at = self.created_at
        staging.execute(f"""INSERT INTO ledger_item (id, entity_id, customer_id, kind, number, document_date,
                posting_date, due_date, currency, amount, open_amount, amount_entity, reference, external_id, text,
                last_activity_on, created_at)
            SELECT id, entity_id, customer_id, kind, number, {_cast('document_date', 'date')},
                {_cast('posting_date', 'date')}, {_cast('due_date', 'date')}, currency, {_cast('amount', 'numeric')},
                {_cast('erp_open', 'numeric')}, {_cast('amount_entity', 'numeric')}, COALESCE(reference, ''),
                COALESCE(external_id, ''), COALESCE(text, ''),
                {_cast("CASE WHEN cleared_amount IS NULL THEN NULL ELSE COALESCE(cleared_date, today) END", 'date')},
                {_cast('%(created_at)s', 'timestamptz')}
            FROM {new_items}""", {"created_at": created_at})
        claim_ids("ledger_item", first, new_count)
        if progress:
            progress("writing", new_count, new_count)
        update_rows("ledger_item", _ITEM_UPDATE, self.updates)
        update_rows("ledger_allocation", ("reversed_on", "reversed_by_id", "reversal_reason"), self.reversals)
        user_id = None if self.user_id is None else str(self.user_id)
        note = f"ERP extract {self.file_name}"[:200]
        params = {"note": note, "user": self.user_id, "created_at": created_at, "erp": AllocationSource.ERP.value}
        for group in [0, *groups]:
            if group:
                start, end = slices[group]
                insert_rows("ledger_allocation", _ALLOCATION_INSERT, (
                    (None if kind in CREDIT_ITEM_KINDS else item_id, item_id if kind in CREDIT_ITEM_KINDS else None,
                     amount, currency, on_date, AllocationSource.ERP.value, note, user_id, created_at, "")
                    for item_id, kind, amount, currency, on_date in self.erp_allocations[start:end]))
            staging.execute(f"""INSERT INTO ledger_allocation (debit_item_id, credit_item_id, amount, currency, date,
                    source, note, created_by_id, created_at, reversal_reason)
                SELECT CASE WHEN kind IN ({_CREDIT_KINDS}) THEN NULL ELSE id END,
                    CASE WHEN kind IN ({_CREDIT_KINDS}) THEN id END, {_cast('cleared_amount', 'numeric')}, currency,
                    {_cast('COALESCE(cleared_date, today)', 'date')}, %(erp)s, %(note)s, %(user)s,
                    {_cast('%(created_at)s', 'timestamptz')}, ''
                FROM {new_items} WHERE n.grp = %(grp)s AND n.cleared_amount IS NOT NULL ORDER BY n.id""",
                            {**params, "grp": rank.get(group, 0)})
        if self.bulk.active:
            if progress:
                progress("indexing", 0, 1)
            self.bulk.finish()
            report.bulk_load = True
        check_foreign_keys("ledger_item", "ledger_allocation")
        record_many(self.events)
