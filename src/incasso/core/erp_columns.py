"""The column-wise check of ERP item rows: a whole block of a plain CSV extract at once.

The per-row fast check (:class:`incasso.core.erp_items.ItemChecker`) still runs a Python loop per
row. A large extract written by an ERP is regular: every row has the same width, the dates come
from a few hundred distinct values, amounts are written ``1234.56``. This check takes a block of
lines, splits and transposes it, and decides each column with operations that loop in C (``map``,
``zip``, sets, one regular expression over the joined column), looking at each *distinct* date,
kind and currency once.

It only ever says "every row of this block is one the per-row check accepts, with these values"
or "not sure" (``None``). It never rejects a row: on ``None`` the import goes back to the per-row
check for the whole file, which names every bad row with its reasons. The values it gives are the
texts the per-row fast check yields (``CHECKED_COLUMNS``), column by column. Pure: no Django.
"""

from __future__ import annotations

import re
from operator import le, methodcaller

from incasso.core.erp_items import CHECKED_COLUMNS
from incasso.core.erp_rows import CANONICAL, COLUMNS, ITEM_KINDS, Layout, Mapping, parse_date
from incasso.core.money import MINOR_UNITS

ItemColumns = list  # type: ignore[type-arg]  # one list per CHECKED_COLUMNS entry, all of one length

_TWO_DECIMALS_LINES = re.compile(r"(?:(?:0|[1-9][0-9]*)\.[0-9]{2}\n)*")  # "1234.56\n" repeated
_TWO_DECIMALS = re.compile(r"(?:0|[1-9][0-9]*)\.[0-9]{2}").fullmatch
_PLAIN_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?").fullmatch
_NO_DOT = methodcaller("replace", ".", "")
_ZERO = "0.00"
_LIMITS = {"number": 40, "reference": 80, "external_id": 80, "text": 200}


def _amount(text: str) -> str | None:
    """A plain positive amount as two-decimal text (``12`` -> ``12.00``), or None when not plain."""
    if _TWO_DECIMALS(text) is not None:
        return text
    match = _PLAIN_AMOUNT(text)
    if match is None:
        return None
    return f"{match.group(1)}.{(match.group(2) or '').ljust(2, '0')}"


def _amounts(values: list[str]) -> list[str | None]:
    """The column as two-decimal texts; a value that is not a plain amount becomes None."""
    if _TWO_DECIMALS_LINES.fullmatch("\n".join(values) + "\n") is not None:
        return values
    return list(map(_amount, values))


class ItemColumnChecker:
    """Checks blocks of item lines of one file; remembers the keys seen so that a number repeated
    across blocks is noticed (and sends the file to the per-row check, which reports it)."""

    def __init__(self, layout: Layout, delimiter: str, mapping: Mapping = CANONICAL) -> None:
        required, optional = COLUMNS["items"]
        self._delimiter = delimiter
        self._width = layout.width
        # Each canonical column: its index in the row, or the constant the row path puts there
        # (the mapping's default, not stripped, or None).
        self._sources: list[tuple[int | None, str | None]] = [
            (layout.positions[column], None) if column in layout.positions else (None, layout.defaults.get(column))
            for column in required + optional
        ]
        self._kinds = mapping.kinds
        self._date_format = mapping.date_format
        self._decimal_comma = mapping.decimal_comma is True
        self._currencies = frozenset(code for code, units in MINOR_UNITS.items() if units >= 2)
        self._dates: dict[str, str | None] = {}
        self._keys: set[tuple[str, str, str]] = set()

    def forget(self) -> None:
        """Drop the keys seen so far (once the file's last block was checked)."""
        self._keys = set()

    def _iso(self, texts: set[str]) -> dict[str, str | None]:
        dates = self._dates
        for text in texts - dates.keys():
            try:
                dates[text] = parse_date(text, self._date_format).isoformat()
            except ValueError:
                dates[text] = None
        return dates

    def _date_column(self, values: list[str], optional: bool) -> list[str | None] | None:
        distinct = set(values)
        if optional:
            distinct.discard("")
            if None in distinct:  # an absent optional column
                return values
        dates = self._iso(distinct)
        iso = {text: dates[text] for text in distinct}
        if None in iso.values():
            return None
        if optional and "" in values:
            iso[""] = None  # type: ignore[assignment]
        elif all(text == value for text, value in iso.items()):
            return values
        return list(map(iso.__getitem__, values))

    def _kind(self, text: str) -> str | None:
        kind = self._kinds.get(text, text)
        if kind not in ITEM_KINDS:
            kind = kind.lower()
        return kind if kind in ITEM_KINDS else None

    def check(self, lines: list[str], first_line: int) -> ItemColumns | None:  # noqa: C901, PLR0911, PLR0912
        """The block's checked columns, or None when any row of it needs the per-row check.

        ``lines`` are consecutive physical lines of the file, none empty; the first is ``first_line``."""
        count = len(lines)
        if not count:
            return [[] for _ in CHECKED_COLUMNS]
        delimiter, width = self._delimiter, self._width
        # Every line with exactly width - 1 delimiters: the lines joined by the delimiter split into
        # the fields row after row, and column i is every width-th field from i.
        if set(map(methodcaller("count", delimiter), lines)) != {width - 1}:
            return None
        fields = delimiter.join(lines).split(delimiter)
        columns: list[list] = []  # type: ignore[type-arg]
        for index, constant in self._sources:
            columns.append(list(map(str.strip, fields[index::width])) if index is not None else [constant] * count)
        del fields
        (entity, account, kind_text, number, document_text, due_text, currency, amount, erp_open,
         reference, posting_text, amount_entity, external_id, text, cleared_text) = columns
        if not (all(entity) and all(account) and all(number)):
            return None
        for name, values in (("number", number), ("reference", reference), ("external_id", external_id),
                             ("text", text)):
            if values[0] is not None and max(map(len, values)) > _LIMITS[name]:
                return None
        kinds = {value: self._kind(value) for value in set(kind_text)}
        if None in kinds.values():
            return None
        kind = kind_text if all(k == v for k, v in kinds.items()) else list(map(kinds.__getitem__, kind_text))
        if not self._currencies.issuperset(currency):
            return None
        document_date = self._date_column(document_text, optional=False)
        due_date = self._date_column(due_text, optional=False)
        if document_date is None or due_date is None:
            return None
        posting_date = self._date_column(posting_text, optional=True)
        cleared_date = self._date_column(cleared_text, optional=True)
        if posting_date is None or cleared_date is None:
            return None
        comma = self._decimal_comma
        if comma:
            swap = methodcaller("replace", ",", ".")
            amount = list(map(swap, map(_NO_DOT, amount)))
        amount = _amounts(amount)
        if None in amount or _ZERO in amount:
            return None
        if erp_open[0] is None or "" in erp_open:
            erp_open = [value or whole for value, whole in zip(erp_open, amount, strict=True)]
            if comma:
                erp_open = [value if value is whole else value.replace(".", "").replace(",", ".")
                            for value, whole in zip(erp_open, amount, strict=True)]
        elif comma:
            erp_open = list(map(swap, map(_NO_DOT, erp_open)))
        erp_open = _amounts(erp_open)
        if None in erp_open:
            return None
        # Two-decimal texts: the open amount is at most the amount when its cents are.
        if not all(map(le, map(int, map(_NO_DOT, erp_open)), map(int, map(_NO_DOT, amount)))):
            return None
        if amount_entity[0] is not None:
            filled = [value for value in amount_entity if value]
            if comma:
                filled = list(map(swap, map(_NO_DOT, filled)))
            filled = _amounts(filled)
            if None in filled:
                return None
            values = iter(filled)
            amount_entity = [next(values) if value else None for value in amount_entity]
        keys = set(zip(entity, kind, number, strict=True))
        if len(keys) != count or not self._keys.isdisjoint(keys):
            return None
        self._keys |= keys
        return [list(range(first_line, first_line + count)), entity, account, kind, number, document_date, due_date,
                currency, amount, erp_open, reference, posting_date, amount_entity, external_id, text, cleared_date]
