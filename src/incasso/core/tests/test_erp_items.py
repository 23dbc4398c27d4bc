"""The fast item check gives the same answers as the full check: same rows accepted with the same
values, same rows rejected with the same words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from incasso.core.erp_items import ItemChecker, checked_from_row
from incasso.core.erp_rows import CANONICAL, Mapping, parse_items, resolve_header

HEADER = ["entity", "account", "kind", "number", "document_date", "due_date", "currency", "amount", "open_amount",
          "reference", "posting_date", "amount_entity", "cleared_date"]


def both(rows, header=HEADER, mapping=CANONICAL):  # type: ignore[no-untyped-def]
    layout, header_errors = resolve_header("items", header, mapping)
    assert header_errors == []
    full_rows, full_errors = parse_items(rows, layout, mapping)
    checker = ItemChecker(layout, mapping)
    fast_rows = list(checker.check(rows))
    return [checked_from_row(row) for row in full_rows], full_errors, fast_rows, checker.errors


def test_a_plain_row_is_text_with_two_decimal_amounts():
    rows = [(2, ["FR01", "C1", "invoice", "INV-1", "2026-01-05", "2026-02-04", "EUR", "1000", "250.5", "PO 1", "",
                 "", ""])]
    full, full_errors, fast, fast_errors = both(rows)
    assert fast == full == [(2, "FR01", "C1", "invoice", "INV-1", "2026-01-05", "2026-02-04", "EUR", "1000.00",
                             "250.50", "PO 1", None, None, None, None, None)]
    assert fast_errors == full_errors == []


def test_european_rows_and_rejections_match_the_full_check():
    rows = [
        (2, ["FR01", "C1", "Invoice", "A", "05.01.2026", "04/02/2026", "EUR", "1.234,56", "", "", "", "", ""]),
        (3, ["FR01", "C1", "invoice", "B", "2026-01-05", "2026-02-30", "EUR", "10", "", "", "", "", ""]),
        (4, ["FR01", "C1", "invoice", "A", "2026-01-05", "2026-02-04", "EUR", "10", "", "", "", "", ""]),
        (5, ["FR01", "C1", "invoice", "C", "2026-01-05", "2026-02-04", "JPY", "10.5", "", "", "", "", ""]),
        (6, ["FR01", "C1", "invoice", "D", "2026-01-05", "2026-02-04", "EUR", "10", "10.01", "", "", "", ""]),
        (7, ["FR01", "C1", "invoice", "E", "2026-01-05", "2026-02-04", "EUR", "0", "", "", "", "", ""]),
        (8, ["FR01", "C1", "invoice", "F", "2026-01-05"]),
        (9, ["FR01", "C1", "invoice", "G", "2026-01-05", "2026-02-04", "JPY", "1000", "", "", "", "-5", ""]),
    ]
    full, full_errors, fast, fast_errors = both(rows)
    assert fast == full
    assert [row[0] for row in fast] == [2, 9]
    assert fast_errors == full_errors
    assert [error.line for error in fast_errors] == [3, 4, 5, 6, 7, 8]


def test_a_decimal_comma_mapping_reads_dots_as_thousands():
    mapping = Mapping(decimal_comma=True, sign="negative_is_credit", date_format="%d.%m.%Y")
    rows = [(2, ["DE01", "1", "payment", "P", "02.03.2026", "01.04.2026", "EUR", "-1.190,00", "", "", "", "", ""]),
            (3, ["DE01", "1", "invoice", "I", "02.03.2026", "01.04.2026", "EUR", "1234.56", "", "", "", "", ""]),
            (4, ["DE01", "1", "invoice", "J", "2026-03-02", "01.04.2026", "EUR", "1,5", "", "", "", "", ""])]
    full, full_errors, fast, fast_errors = both(rows, mapping=mapping)
    assert fast == full
    assert [(row[4], row[8]) for row in fast] == [("P", "1190.00"), ("I", "123456.00")]
    assert fast_errors == full_errors and [error.line for error in fast_errors] == [4]


texts = st.sampled_from(["", " ", "0", "00.10", "1", "1.5", "1.50", "1.505", "12,34", "1.234,5", "1,234.56", "-3",
                         "3-", "(4)", "abc", "0.00", "99999999.99", "2026-01-31", "31.01.2026", "31/01/2026",
                         "2026-02-30", "20260131", "invoice", "INVOICE", "payment", "bill", "EUR", "eur", "JPY",
                         "KWD", "FR01", "C1", "N-1", "N-2", "x" * 41, "y" * 81])
rows_strategy = st.lists(st.lists(texts, min_size=12, max_size=14), min_size=1, max_size=8)


@settings(max_examples=300, deadline=None)
@given(raw=rows_strategy, decimal_comma=st.sampled_from([None, True, False]),
       sign=st.sampled_from(["positive", "negative_is_credit"]))
def test_the_fast_check_agrees_with_the_full_check_on_any_row(raw, decimal_comma, sign):
    mapping = Mapping(decimal_comma=decimal_comma, sign=sign, kinds={"RV": "invoice"})
    rows = [(line, values) for line, values in enumerate(raw, start=2)]
    full, full_errors, fast, fast_errors = both(rows, mapping=mapping)
    assert fast == full
    assert fast_errors == full_errors
