"""The first import of a plain CSV extract through Arrow, on PostgreSQL.

When every row of a file is new (none of its legal entities has items yet) and the Arrow check
(``incasso.core.erp_arrow``) vouches for every row, the new items are numbered, resolved and
written without a Python step per row or per value: entities and customers are looked up once per
distinct value and spread with ``take``, the ERP clearings computed on integer cents, and the rows
go to ``COPY`` as Arrow's CSV writer writes them (``ledger.importers.sql.insert_arrow``), batch
after batch through psycopg's writer thread. Everything after the new
items (the ERP allocations, the bulk-load rebuild, claims on the id sequence, the audit) is
``ItemImport._complete`` as on the other paths, with the same values.

Anything else (a re-import, a dry run, SQLite, a row the Arrow check is not sure of, an unknown
entity or customer) returns None before anything is written, and the caller goes on with the
block-wise column check in the same transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incasso.core.erp_arrow import ArrowItems, cents, cents_text, check_arrow
from incasso.ledger.actions.import_columns import ColumnItemImport
from incasso.ledger.actions.import_items import _ITEM_INSERT, PLANNED_SHOWN
from incasso.ledger.importers.sql import first_free_id, insert_arrow, is_postgres

if TYPE_CHECKING:
    import pyarrow as pa

    from incasso.core.erp_columns import ItemColumnChecker


def _spread(codes: pa.Array, values: dict[str, object]) -> pa.Array:
    """``values[code]`` for every code (each one a key of ``values``), as an Arrow string array."""
    import pyarrow as pa
    import pyarrow.compute as pc

    keys = list(values)
    return pc.take(pa.array([values[key] for key in keys], pa.string()),
                   pc.index_in(codes, value_set=pa.array(keys, pa.string())))


class ArrowItemImport(ColumnItemImport):
    """``ColumnItemImport`` whose new items come from one Arrow check of the whole file."""

    def run_arrow(self, lines: list[str], checker: ItemColumnChecker) -> int | None:
        """Import the file if every row is a new item the Arrow check vouches for; returns the rows
        read, or None (nothing written, nothing recorded) when the file needs the other paths."""
        if self.dry_run or not is_postgres() or self.entities_with_items:
            return None
        checked = check_arrow(lines, checker)
        if checked is None:
            return None
        columns = self._new_item_columns_arrow(checked)
        if columns is None:
            return None
        self.rows_read = checked.count
        self.kept_blocks = []
        self.kept_order = {}
        if self.progress:
            self.progress("checking", checked.count, self.file_rows)
        if self.bulk_possible and checked.count >= self.bulk_min_items:
            self.bulk.begin()
        insert_arrow("ledger_item", _ITEM_INSERT, columns, plain=checked.plain)
        self._complete()
        return self.rows_read

    def _new_item_columns_arrow(self, checked: ArrowItems) -> list[pa.Array] | None:  # noqa: PLR0914
        """The ledger_item columns of the file's rows (``_ITEM_INSERT`` order) and, as a side effect,
        their ERP allocations, plan lines and numbering; None for an unknown entity or customer."""
        import pyarrow as pa
        import pyarrow.compute as pc

        count = checked.count
        entity_codes = checked["entity"]
        known = {code: self.entities.get(code) for code in pc.unique(entity_codes).to_pylist()}
        if None in known.values():
            return None
        pairs = pc.binary_join_element_wise(entity_codes, checked["account"], "\x00")
        customers = {}
        for pair in pc.unique(pairs).to_pylist():
            code, account = pair.split("\x00", 1)
            found = self.customers.get((known[code][0], account))  # type: ignore[index]
            if found is None:
                return None
            customers[pair] = found[1]
        shown = PLANNED_SHOWN - self.new_count
        if shown > 0:
            for entity, kind, number in zip(entity_codes[:shown].to_pylist(), checked["kind"][:shown].to_pylist(),
                                            checked["number"][:shown].to_pylist(), strict=True):
                self.report.plan("create item", f"{entity} {kind} {number}")
        self.next_id = self.first_id = first_free_id("ledger_item")
        item_ids = pc.cast(pa.array(range(self.next_id, self.next_id + count), pa.int64()), pa.string())
        self.next_id += count
        self.new_count += count
        amount, erp_open, kind, currency = checked["amount"], checked["erp_open"], checked["kind"], checked["currency"]
        # The ERP cleared ``amount - erp_open`` of the rows where they differ, on the row's cleared_date or
        # else on the import's day in the entity's calendar (``ItemImport._new_items``).
        today = _spread(entity_codes, {code: self.today[pk] for code, (pk, _text) in known.items()})  # type: ignore[misc]
        cleared = checked["cleared_date"]
        on_dates = today if cleared is None else pc.coalesce(cleared, today)
        changed = pc.not_equal(amount, erp_open)
        last_activity = pc.if_else(changed, on_dates, pa.scalar(None, pa.string()))
        if pc.any(changed).as_py():
            cleared_cents = pc.subtract(cents(pc.filter(amount, changed)), cents(pc.filter(erp_open, changed)))
            cleared_texts = cents_text(cleared_cents)
            self.erp_allocations.extend(zip(
                *(pc.filter(values, changed).to_pylist() for values in (item_ids, kind)),
                cleared_texts.to_pylist(),
                *(pc.filter(values, changed).to_pylist() for values in (currency, on_dates)), strict=True))
        empty = pa.array([""] * count, pa.string())
        no_value = pa.nulls(count, pa.string())

        def present(name: str, absent: pa.Array) -> pa.Array:
            values = checked[name]
            return absent if values is None else values

        return [item_ids, _spread(entity_codes, {code: text for code, (_pk, text) in known.items()}),  # type: ignore[misc]
                _spread(pairs, customers), kind, checked["number"], checked["document_date"],
                present("posting_date", no_value), checked["due_date"], currency, amount, erp_open, no_value,
                present("reference", empty), present("external_id", empty), present("text", empty),
                last_activity, pa.array([self.created_at] * count, pa.string())]
