"""The column-wise check of a whole plain CSV item extract in Arrow (pyarrow), for first imports.

:mod:`incasso.core.erp_columns` checks blocks of lines with Python's C-looping builtins; a million
lines still cost about ten CPU-seconds there, the largest part of a first import's client time.
This check parses the file's data lines with Arrow's CSV reader (every field as text) and decides
every column with Arrow compute kernels, the distinct dates, kinds and currencies once each through
the same :class:`~incasso.core.erp_columns.ItemColumnChecker` decisions.

It is narrower than the block check on purpose: it only ever says "every row of this file is one
the per-row check accepts, with these values" or "not sure" (None), and it is not sure about
anything outside the common ERP extract: a mapping default, a decimal comma, an ``amount_entity``
column, an empty or non-``1234.56`` amount or open amount, a value with surrounding whitespace, a
ragged line. The caller then takes the block check (and, from there, the per-row check that names
every bad row). The values it gives are those of ``ItemColumnChecker.check`` for the same lines.
Pure: no Django.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from incasso.core.erp_columns import _LIMITS, ItemColumnChecker

if TYPE_CHECKING:
    import pyarrow as pa

_TWO_DECIMALS = r"^(?:0|[1-9][0-9]*)\.[0-9]{2}$"
_MAX_AMOUNT_TEXT = 18  # "9999999999999999.99": the cents of any such text fit a 64-bit integer
_NAMES = ("entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount", "erp_open",
          "reference", "posting_date", "amount_entity", "external_id", "text", "cleared_date")


class ArrowItems:
    """The checked columns of a file as Arrow string arrays, by canonical name (``_NAMES``); an
    optional column the file lacks is None. ``kind`` holds the canonical kinds, the dates ISO
    text (null for an empty optional date), the amounts two-decimal text. ``plain`` says that no
    value holds a backslash or a tab (the file has none): PostgreSQL's COPY text format can take
    the values as they are."""

    def __init__(self, columns: dict[str, pa.Array | None], count: int, plain: bool) -> None:
        self.columns = columns
        self.count = count
        self.plain = plain

    def __getitem__(self, name: str) -> pa.Array | None:
        return self.columns[name]


def _mapped(values: pa.Array, mapping: dict[str, str | None]) -> pa.Array:
    """Each value replaced by ``mapping[value]`` (every value is a key), or ``values`` itself when
    the mapping changes nothing."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if all(key == value for key, value in mapping.items()):
        return values
    keys = list(mapping)
    return pc.take(pa.array([mapping[key] for key in keys], pa.string()),
                   pc.index_in(values, value_set=pa.array(keys, pa.string())))


def _two_decimal_amounts(values: pa.Array) -> bool:
    import pyarrow.compute as pc

    return (pc.max(pc.utf8_length(values)).as_py() <= _MAX_AMOUNT_TEXT
            and pc.all(pc.match_substring_regex(values, _TWO_DECIMALS)).as_py())


def cents(values: pa.Array) -> pa.Array:
    """Two-decimal amount texts (``1234.56``) as integer cents."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pc.replace_substring(values, ".", ""), pa.int64())


def cents_text(values: pa.Array) -> pa.Array:
    """Non-negative integer cents as the text ``str(Decimal)`` gives a two-decimal amount (``12.30``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    units = pc.divide(values, 100)  # integer division of non-negative integers: the whole units
    rest = pc.subtract(values, pc.multiply(units, 100))
    return pc.binary_join_element_wise(pc.cast(units, pa.string()),
                                       pc.utf8_lpad(pc.cast(rest, pa.string()), width=2, padding="0"), ".")


def check_arrow(lines: list[str], checker: ItemColumnChecker) -> ArrowItems | None:  # noqa: C901, PLR0911, PLR0912
    """The file's checked columns, or None when the Arrow check cannot vouch for every row.

    ``lines`` are the file's physical lines, the header first (``Table.lines``); ``checker`` is the
    block checker of the same layout and mapping, whose per-distinct decisions (kinds, dates,
    currencies) are reused. Its memory of keys is neither read nor changed."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as csv

    if checker._decimal_comma or any(index is None and constant is not None for index, constant in checker._sources):
        return None
    end = len(lines)
    while end > 1 and not lines[end - 1]:
        end -= 1  # the empty line after the last line end
    count = end - 1
    if count < 1:
        return None
    width = checker._width
    names = [f"f{index}" for index in range(width)]
    text = "\n".join(lines[1:end]) + "\n"
    plain = "\\" not in text and "\t" not in text
    data = text.encode()
    del text
    try:
        table = csv.read_csv(
            pa.py_buffer(data),
            read_options=csv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=csv.ParseOptions(delimiter=checker._delimiter, quote_char=False, double_quote=False,
                                           escape_char=False, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                               strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None  # a line of another width (an empty line too), or anything else the reader refuses
    del data
    if table.num_rows != count:
        return None
    columns: dict[str, pa.Array | None] = {}
    for name, (index, _constant) in zip(_NAMES, checker._sources, strict=True):
        if index is None:
            columns[name] = None
            continue
        values = table.column(index).combine_chunks()
        # Arrow's trim removes every character ``str.strip()`` removes (and a few more): a value it
        # leaves alone is one the per-row check's strip leaves alone.
        if not pc.all(pc.equal(pc.utf8_trim_whitespace(values), values)).as_py():
            return None
        columns[name] = values
    del table
    if columns["erp_open"] is None or columns["amount_entity"] is not None:
        return None
    for name in ("entity", "account", "number"):
        if pc.min(pc.utf8_length(columns[name])).as_py() == 0:
            return None
    for name in ("number", "reference", "external_id", "text"):
        values = columns[name]
        if values is not None and pc.max(pc.utf8_length(values)).as_py() > _LIMITS[name]:
            return None
    kinds = {value: checker._kind(value) for value in pc.unique(columns["kind"]).to_pylist()}
    if None in kinds.values():
        return None
    columns["kind"] = _mapped(columns["kind"], kinds)
    if not checker._currencies.issuperset(pc.unique(columns["currency"]).to_pylist()):
        return None
    for name, optional in (("document_date", False), ("due_date", False), ("posting_date", True),
                           ("cleared_date", True)):
        values = columns[name]
        if values is None:
            continue
        distinct = set(pc.unique(values).to_pylist())
        empty = optional and "" in distinct
        if empty:
            distinct.discard("")
        dates = checker._iso(distinct)
        iso: dict[str, str | None] = {text: dates[text] for text in distinct}
        if None in iso.values():
            return None
        if empty:
            iso[""] = None
        columns[name] = _mapped(values, iso)
    amount, erp_open = columns["amount"], columns["erp_open"]
    if not (_two_decimal_amounts(amount) and _two_decimal_amounts(erp_open)):
        return None
    amount_cents = cents(amount)
    if pc.min(amount_cents).as_py() == 0 or not pc.all(pc.less_equal(cents(erp_open), amount_cents)).as_py():
        return None
    # Numbers distinct across the file are distinct keys; else the (entity, kind, number) keys are
    # counted, NUL-separated (a file with a NUL never comes here).
    if pc.count_distinct(columns["number"]).as_py() != count:
        keys = pc.binary_join_element_wise(columns["entity"], columns["kind"], columns["number"], "\x00")
        if pc.count_distinct(keys).as_py() != count:
            return None
    return ArrowItems(columns, count, plain)
