"""The Arrow check of a whole item file (``core.erp_arrow``) gives the block check's values column
for column, or says it is not sure; it never vouches for a file the block check refuses."""

from __future__ import annotations

import pytest

from incasso.core.erp_arrow import _NAMES, cents, cents_text, check_arrow
from incasso.core.erp_columns import ItemColumnChecker
from incasso.core.erp_rows import CANONICAL, Mapping, resolve_header

HEADER = "entity,account,kind,number,document_date,due_date,currency,amount,open_amount"
FULL_HEADER = HEADER + ",reference,posting_date,external_id,text,cleared_date"


def checkers(header: str, delimiter: str = ",", mapping: Mapping = CANONICAL) -> tuple:  # type: ignore[type-arg]
    layout, errors = resolve_header("items", header.split(delimiter), mapping)
    assert not errors
    return ItemColumnChecker(layout, delimiter, mapping), ItemColumnChecker(layout, delimiter, mapping)


def both(header: str, rows: list[str], delimiter: str = ",", mapping: Mapping = CANONICAL) -> tuple:  # type: ignore[type-arg]
    for_arrow, for_blocks = checkers(header, delimiter, mapping)
    lines = [header, *rows, ""]
    return check_arrow(lines, for_arrow), for_blocks.check(rows, 2)


@pytest.mark.parametrize(("header", "rows", "delimiter"), [
    (HEADER, ["FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1000.00,1000.00",
              "FR01,C002,Invoice,INV-2,05.01.2026,04/02/2026,USD,0.50,0.01",
              "DE01,C001,credit_note,INV-1,2026-01-05,2026-01-05,EUR,12.30,0.00"], ","),
    (FULL_HEADER, ["FR01,C001,invoice,F-1,2026-01-05,2026-02-04,EUR,1234.50,1000.00,Réf é,2026-01-06,X1,Texte,",
                   "FR01,C002,payment,P-1,2026-01-06,2026-01-06,EUR,500.00,0.00,,,,,2026-01-20",
                   "DE01,C001,fee,D-1,07.01.2026,06.02.2026,EUR,12.50,12.50,a\\b\tc,,,Müller,"], ","),
    (HEADER.replace(",", ";"), ["FR01;C001;invoice;1;2026-01-05;2026-02-04;EUR;99999999.99;99999999.99"], ";"),
])
def test_the_arrow_check_gives_the_block_checks_values(header, rows, delimiter):
    arrow, blocks = both(header, rows, delimiter)
    assert arrow is not None and blocks is not None and arrow.count == len(rows)
    assert arrow.plain == ("\\" not in "".join(rows) and "\t" not in "".join(rows))
    for index, name in enumerate(_NAMES, start=1):
        values = arrow[name]  # None: a column the file lacks, all None in the blocks
        assert (values.to_pylist() if values is not None else [None] * len(rows)) == blocks[index]


@pytest.mark.parametrize("row", [
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,500,200.50",        # plain amounts: the blocks pad them
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,500.00,",           # open amount defaults to amount
    "FR01,C001,invoice, INV-9,2026-01-05,2026-02-04,EUR,500.00,500.00",    # a space to strip
    "FR01,C001,invoice,INV-9\x1f,2026-01-05,2026-02-04,EUR,5.00,5.00",     # str.strip() removes U+001F too
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.01",       # open above amount
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,0.00,0.00",         # zero
    "FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1.00,1.00",         # a duplicate key
    "FR01,C001,invoice,INV-9,2026-02-30,2026-02-04,EUR,10.00,10.00",       # no such date
    "FR01,C001,invoice,INV-9,2026-01-05,,EUR,10.00,10.00",                 # a required date empty
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00",             # a field short
    "FR01,C001,bill,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",          # unknown kind
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,JPY,10.00,10.00",       # no minor unit
    "FR01,,invoice,INV-9,2026-01-05,2026-02-04,EUR,10.00,10.00",           # no account
    "FR01,C001,invoice,INV-9,2026-01-05,2026-02-04,EUR,12345678901234567.00,1.00",  # beyond 64-bit cents
    "",                                                                    # an empty line
])
def test_the_arrow_check_is_not_sure(row):
    rows = ["FR01,C001,invoice,INV-1,2026-01-05,2026-02-04,EUR,1.00,1.00", row,
            "FR01,C001,invoice,INV-2,2026-01-05,2026-02-04,EUR,1.00,1.00"]
    for_arrow, _for_blocks = checkers(HEADER)
    assert check_arrow([HEADER, *rows, ""], for_arrow) is None


def test_decimal_commas_and_mapping_defaults_are_left_to_the_blocks():
    rows = ["FR01;C001;invoice;1;2026-01-05;2026-02-04;EUR;1.00;1.00"]
    semicolons = HEADER.replace(",", ";")
    assert both(semicolons, rows, ";", Mapping(decimal_comma=True))[0] is None
    defaults = Mapping.from_dict({"defaults": {"reference": "ERP"}})
    assert both(semicolons, rows, ";", defaults)[0] is None


def test_cents_and_back():
    import pyarrow as pa

    texts = pa.array(["0.01", "0.10", "12.30", "1000.00", "99999999999999.99"])
    assert cents(texts).to_pylist() == [1, 10, 1230, 100000, 9999999999999999]
    assert cents_text(cents(texts)).to_pylist() == texts.to_pylist()
