"""The pure row checks of ERP extracts: dates, amounts, VAT ids, IBANs, headers and mappings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.core.erp_rows import (
    Mapping,
    MappingError,
    RowError,
    parse_date,
    parse_items,
    parse_money,
    resolve_header,
    validate_iban,
    validate_vat,
)


@pytest.mark.parametrize("text", ["2026-03-31", "31.03.2026", "31/03/2026"])
def test_iso_and_european_dates(text):
    assert parse_date(text) == date(2026, 3, 31)


def test_mapping_date_format_and_bad_dates():
    assert parse_date("03/31/2026", "%m/%d/%Y") == date(2026, 3, 31)
    for bad in ("2026-02-30", "31.13.2026", "20260331", ""):
        with pytest.raises(ValueError, match="bad date"):
            parse_date(bad)


@pytest.mark.parametrize(("text", "decimal_comma", "expected"), [
    ("1234.56", None, "1234.56"), ("1.234,56", None, "1234.56"), ("1,234.56", None, "1234.56"),
    ("1234,5", True, "1234.50"), ("-500,00", True, "-500.00"), ("100", None, "100.00"),
])
def test_amounts_are_read_and_quantized_to_the_minor_unit(text, decimal_comma, expected):
    assert parse_money(text, "EUR", decimal_comma) == Decimal(expected)
    assert str(parse_money(text, "EUR", decimal_comma)) == expected


def test_amounts_with_more_decimals_than_the_currency_are_refused():
    with pytest.raises(ValueError, match="more decimals than JPY"):
        parse_money("100.5", "JPY")
    assert parse_money("100.50", "EUR") == Decimal("100.50")


def test_vat_ids_keep_their_country_prefix_and_bad_ones_are_refused():
    assert validate_vat("FR 61 954 506 077") == "FR61954506077"
    assert validate_vat("GB 980 7806 84") == "GB980780684"
    with pytest.raises(ValueError, match="invalid VAT id"):
        validate_vat("DE 136 695 977")
    with pytest.raises(ValueError, match="no known country prefix"):
        validate_vat("123456789")


def test_ibans_are_compacted_and_checked():
    assert validate_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(ValueError, match="invalid IBAN"):
        validate_iban("DE89370400440532013001")


def test_header_with_mapping_renames_ignores_and_defaults():
    mapping = Mapping.from_dict({
        "columns": {"Beleg": "number", "Betrag": "amount"}, "ignore": ["Notiz"],
        "defaults": {"entity": "DE01", "currency": "EUR"},
    })
    layout, errors = resolve_header(
        "items", ["account", "kind", "Beleg", "document_date", "due_date", "Betrag", "Notiz"], mapping)
    assert errors == []
    assert layout.positions["number"] == 2 and layout.defaults == {"entity": "DE01", "currency": "EUR"}
    rows, row_errors = parse_items([(2, ["K1", "invoice", "B-1", "2026-01-01", "2026-01-31", "5.00", "x"])],
                                   layout, mapping)
    assert row_errors == []
    assert (rows[0].entity, rows[0].currency, rows[0].number, rows[0].erp_open) == ("DE01", "EUR", "B-1",
                                                                                    Decimal("5.00"))


def test_missing_columns_are_named_on_line_1():
    _, errors = resolve_header("contacts", ["entity", "purpose"])
    assert errors == [RowError(1, "account", "missing required column")]


@pytest.mark.parametrize(("data", "message"), [
    ([], "a mapping is a JSON object"),
    ({"colums": {}}, "unknown key"),
    ({"kinds": {"RV": "bill"}}, "unknown item kind"),
    ({"sign": "minus"}, "'sign' must be"),
    ({"date_format": "DD.MM.YYYY"}, "strptime format"),
])
def test_bad_mappings_say_which_key(data, message):
    with pytest.raises(MappingError, match=message):
        Mapping.from_dict(data)
