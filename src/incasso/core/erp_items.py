"""The fast check of ERP item rows: a million-row extract in a few seconds, with the same answers
as the full check.

Item extracts are large (a million open items is an ordinary ERP), so their rows are checked by a
tight loop that decides the common row (ISO or cached dates, plain amounts such as ``1234.56``,
known kinds and currencies) without building a ``Decimal`` or a ``date``, and hands every other
row to :class:`incasso.core.erp_rows.ItemRowChecker`, the full check. A row the fast loop accepts
is one the full check would accept with the same values; a row it doubts is judged by the full
check, so rejected rows carry exactly the words ``parse_items`` gives.

A checked row is a plain tuple of text (see ``CHECKED_COLUMNS``): dates as ``YYYY-MM-DD``, amounts
as their value with two decimals (``1234.50``) as the ledger stores them, so the import can write
them with COPY or executemany and compare them with stored rows as text. Pure: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from operator import itemgetter

from incasso.core.erp_rows import (
    CANONICAL,
    COLUMNS,
    ITEM_KINDS,
    ItemRow,
    ItemRowChecker,
    Layout,
    Mapping,
    RowError,
    duplicate_item,
    parse_date,
)
from incasso.core.money import MINOR_UNITS

CHECKED_COLUMNS = ("line", "entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount",
                   "erp_open", "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")
"""The fields of a checked row, in order; ``erp_open`` is the ERP's open amount (default: amount).
Optional columns the file does not have, and empty optional dates and amounts, are None."""

(LINE, ENTITY, ACCOUNT, KIND, NUMBER, DOCUMENT_DATE, DUE_DATE, CURRENCY, AMOUNT, ERP_OPEN, REFERENCE, POSTING_DATE,
 AMOUNT_ENTITY, EXTERNAL_ID, TEXT, CLEARED_DATE) = range(len(CHECKED_COLUMNS))

CheckedItem = tuple  # type: ignore[type-arg]  # a tuple laid out as CHECKED_COLUMNS

_CENT = Decimal("0.01")
# A plain positive amount with at most two decimals and no leading zero: exactly the text whose
# value, written with two decimals, is the text itself padded with zeros.
_PLAIN_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?").fullmatch
_ZERO = "0.00"
_TWO_DECIMALS = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]{2}").fullmatch  # the usual "1234.56", kept as it is


def amount_text(value: Decimal | None) -> str | None:
    """An amount as the ledger's two-decimal column holds it (``100`` -> ``"100.00"``); an amount with
    more decimals than the ledger keeps (three-decimal currencies) stays as it is."""
    if value is None:
        return None
    cents = value.quantize(_CENT)
    return str(cents) if cents == value else str(value)


def _date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def checked_from_row(row: ItemRow) -> CheckedItem:
    """The text form of a row the full check accepted."""
    return (row.line, row.entity, row.account, row.kind, row.number, row.document_date.isoformat(),
            row.due_date.isoformat(), row.currency, amount_text(row.amount), amount_text(row.erp_open), row.reference,
            _date_text(row.posting_date), amount_text(row.amount_entity), row.external_id, row.text,
            _date_text(row.cleared_date))


class ItemChecker:
    """Checks item rows of one file; ``check`` yields the accepted rows and collects ``errors``.

    ``rows_seen`` counts the data rows read. Duplicate keys (entity, kind, number) inside the file
    are found across fast and full checks alike.
    """

    def __init__(self, layout: Layout, mapping: Mapping = CANONICAL) -> None:
        self.full = ItemRowChecker(layout, mapping)
        self.errors: list[RowError] = []
        self.rows_seen = 0
        self._width = layout.width
        required, optional = COLUMNS["items"]
        columns = required + optional
        # Columns the file lacks take the mapping's default or None from a tail appended to each row,
        # so one itemgetter picks all fifteen columns in canonical order.
        tail: list[str | None] = []
        indexes = []
        for column in columns:
            if column in layout.positions:
                indexes.append(layout.positions[column])
            else:
                indexes.append(layout.width + len(tail))
                tail.append(layout.defaults.get(column))
        self._tail = tail
        self._pick = itemgetter(*indexes)
        self._kinds = mapping.kinds
        self._date_format = mapping.date_format
        # decimal_comma=True reads "1.234,56": the fast path reads it once the separators are swapped,
        # as parse_amount does; None and False read "1234.56" as it is.
        self._decimal_comma = mapping.decimal_comma is True
        self._units = {code: units for code, units in MINOR_UNITS.items() if units >= 2}
        self._currencies = {code: code for code in self._units}  # one shared string per currency
        self._dates: dict[str, str | None] = {}  # file text -> ISO text, or None when the full check must say why
        self._kind_of: dict[str, str | None] = {}
        self._first_line: dict[tuple[str, str, str], int] = {}
        self._shared: dict[str, str] = {}  # entity codes and accounts repeat: keep one string each

    def _date(self, text: str) -> str | None:
        try:
            iso = parse_date(text, self._date_format).isoformat()
        except ValueError:
            iso = None
        self._dates[text] = iso
        return iso

    def _kind(self, text: str) -> str | None:
        kind = self._kinds.get(text, text)
        if kind not in ITEM_KINDS:
            kind = kind.lower()
        found = kind if kind in ITEM_KINDS else None
        self._kind_of[text] = found
        return found

    def check(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[CheckedItem]:
        """Yield each accepted row as a checked tuple; rejected rows add to ``errors``.

        One loop with everything local: this runs a million times on a large extract."""
        width = self._width
        tail = self._tail
        pick = self._pick
        dates = self._dates
        kind_of = self._kind_of
        units_of = self._units
        currencies = self._currencies
        first_line = self._first_line
        shared = self._shared
        two_decimals = _TWO_DECIMALS
        plain = _PLAIN_AMOUNT
        decimal_comma = self._decimal_comma
        date_of = self._date
        kind_named = self._kind
        full_check = self.full.check
        errors = self.errors
        for line, values in rows:
            self.rows_seen += 1
            if len(values) == width:
                cells = [value.strip() for value in values]
                if tail:
                    cells += tail
                (entity, account, kind_text, number, document_text, due_text, currency, amount, erp_open,
                 reference, posting_text, amount_entity, external_id, text, cleared_text) = pick(cells)
                # Each test below either passes or sends the row to the full check (row stays None).
                kind = kind_of[kind_text] if kind_text in kind_of else kind_named(kind_text)
                document_date = dates.get(document_text) or date_of(document_text)
                due_date = dates.get(due_text) or date_of(due_text)
                if decimal_comma:
                    amount = amount.replace(".", "").replace(",", ".")
                    erp_open = erp_open and erp_open.replace(".", "").replace(",", ".")
                if two_decimals(amount) is None:
                    amount = _plain(amount, plain)
                if erp_open:
                    if two_decimals(erp_open) is None:
                        erp_open = _plain(erp_open, plain)
                else:
                    erp_open = amount
                if (entity and account and number and len(number) <= 40 and kind is not None
                        and currency in units_of and document_date is not None and due_date is not None
                        and amount is not None and erp_open is not None and amount != _ZERO
                        # both are two-decimal texts without leading zeros: the longer is larger
                        and (len(erp_open) < len(amount) or (len(erp_open) == len(amount) and erp_open <= amount))
                        and (reference is None or len(reference) <= 80)
                        and (external_id is None or len(external_id) <= 80)
                        and (text is None or len(text) <= 200)):
                    posting_date = cleared_date = None
                    ok = True
                    if posting_text:
                        posting_date = dates.get(posting_text) or date_of(posting_text)
                        ok = posting_date is not None
                    if cleared_text:
                        cleared_date = dates.get(cleared_text) or date_of(cleared_text)
                        ok = ok and cleared_date is not None
                    if amount_entity:
                        if decimal_comma:
                            amount_entity = amount_entity.replace(".", "").replace(",", ".")
                        if two_decimals(amount_entity) is None:
                            amount_entity = _plain(amount_entity, plain)
                            ok = ok and amount_entity is not None
                    else:
                        amount_entity = None
                    if ok:
                        key = (shared.setdefault(entity, entity), kind, number)
                        first = first_line.get(key)
                        if first is not None:
                            errors.append(duplicate_item(line, key, first))
                            continue
                        first_line[key] = line
                        yield (line, key[0], shared.setdefault(account, account), kind, number, document_date,
                               due_date, currencies[currency], amount, erp_open, reference, posting_date,
                               amount_entity, external_id, text, cleared_date)
                        continue
            full_row, row_errors, key = full_check(line, values)
            if key is not None:
                first = first_line.get(key)
                if first is not None:
                    row_errors.append(duplicate_item(line, key, first))
                else:
                    first_line[key] = line
            if row_errors:
                errors.extend(row_errors)
                continue
            yield checked_from_row(full_row)  # type: ignore[arg-type]


def _plain(text: str, plain) -> str | None:  # type: ignore[no-untyped-def]
    """A plain positive amount (``12``, ``12.5``) written with two decimals, or None."""
    match = plain(text)
    if match is None:
        return None
    decimals = match.group(2)
    return f"{match.group(1)}.{(decimals or '').ljust(2, '0')}"
