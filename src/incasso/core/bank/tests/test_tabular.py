"""CSV/XLSX bank statements through a column mapping: conventions, formats, and all-or-nothing errors."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from incasso.core.bank.model import ParseError, ReferenceKind, Sign
from incasso.core.bank.tabular import ColumnMapping, TabularError, parse_table, read_rows

GERMAN = ColumnMapping(booking_date="Buchungstag", value_date="Valuta", amount="Betrag", counterparty_name="Name",
                       counterparty_iban="IBAN", remittance=("Verwendungszweck",), date_format="%d.%m.%Y",
                       decimal_separator=",", sign_convention="signed", header_line=3)
GERMAN_CSV = """Umsätze Girokonto;DE89370400440532013000
Zeitraum: 01.03.2026 - 03.03.2026
Buchungstag;Valuta;Name;IBAN;Verwendungszweck;Betrag
02.03.2026;02.03.2026;Müller GmbH;DE02 1203 0000 0000 2020 51;RE 2026-0815 RF18539007547034;1.234,56
03.03.2026;03.03.2026;Kontoführung;;Entgelt März;-12,50
""".encode("cp1252")


def _parse(data: bytes, mapping: ColumnMapping, name: str = "umsatz.csv"):  # type: ignore[no-untyped-def]
    kind, rows = read_rows(data, name)
    return parse_table(rows, mapping, file=name, account="DE89370400440532013000", currency="EUR", file_kind=kind)


def test_a_german_csv_with_preamble_signed_amounts_and_comma_decimals():
    statement = _parse(GERMAN_CSV, GERMAN)
    assert (statement.format, statement.account, statement.currency) == ("csv", "DE89370400440532013000", "EUR")
    credit, fee = statement.entries
    assert (credit.amount, credit.sign, credit.booking_date) == (Decimal("1234.56"), Sign.CREDIT, date(2026, 3, 2))
    assert credit.counterparty_name == "Müller GmbH" and credit.counterparty_iban == "DE02120300000000202051"
    assert credit.remittance.structured_reference == "RF18539007547034"
    assert credit.remittance.reference_kind == ReferenceKind.RF and credit.position == "line 4"
    assert (fee.amount, fee.sign) == (Decimal("12.50"), Sign.DEBIT)
    assert (statement.opening_date, statement.closing_date) == (date(2026, 3, 2), date(2026, 3, 3))


def test_debit_and_credit_columns_with_us_dates_and_dot_decimals():
    data = b"Date,Description,Debit,Credit,Payer\n03/02/2026,INV 1001,,\"1,250.00\",ACME CORP\n03/02/2026,Fee,7.50,,\n"
    mapping = ColumnMapping(booking_date="Date", debit="Debit", credit="Credit", remittance=("Description",),
                            counterparty_name="Payer", date_format="%m/%d/%Y", decimal_separator=".",
                            sign_convention="debit_credit")
    paid, fee = _parse(data, mapping).entries
    assert (paid.amount, paid.sign, paid.booking_date, paid.remittance.unstructured) == (
        Decimal("1250.00"), Sign.CREDIT, date(2026, 3, 2), "INV 1001")
    assert (fee.amount, fee.sign) == (Decimal("7.50"), Sign.DEBIT)


def test_an_indicator_column_and_an_xlsx_file_with_date_cells():
    book = Workbook()
    sheet = book.active
    sheet.append(["Booked", "Amount", "S/H", "Text"])
    sheet.append([date(2026, 3, 2), 980.4, "H", "FA20260002"])
    sheet.append([date(2026, 3, 2), 20, "S", "fee"])
    out = io.BytesIO()
    book.save(out)
    mapping = ColumnMapping(booking_date="booked", amount="amount", indicator="s/h", credit_markers=("H",),
                            remittance=("Text",), decimal_separator=".", sign_convention="indicator")
    statement = _parse(out.getvalue(), mapping, "export.xlsx")
    assert statement.format == "xlsx"
    assert [(e.amount, e.sign, e.booking_date) for e in statement.entries] == [
        (Decimal("980.4"), Sign.CREDIT, date(2026, 3, 2)), (Decimal("20"), Sign.DEBIT, date(2026, 3, 2))]


def test_every_bad_field_is_reported_by_line_and_column_and_nothing_is_returned():
    data = GERMAN_CSV + "31.02.2026;;X;;;12,00\n04.03.2026;;Y;;;zwölf\n05.03.2026;;Z;;;0,00\n".encode("cp1252")
    with pytest.raises(TabularError) as error:
        _parse(data, GERMAN)
    message = str(error.value)
    assert "umsatz.csv:6: column Buchungstag: '31.02.2026' is not a date in the format %d.%m.%Y" in message
    assert "umsatz.csv:7: column Betrag: 'zwölf' is not an amount with ',' as decimal separator" in message
    assert "umsatz.csv:8: column Betrag: the amount is zero" in message
    assert [p.line for p in error.value.problems] == [6, 7, 8]


def test_a_mapped_column_missing_from_the_header_and_an_unusable_mapping():
    with pytest.raises(TabularError, match=r"umsatz.csv:3: column Betrag EUR: not in the header"):
        _parse(GERMAN_CSV, ColumnMapping(booking_date="Buchungstag", amount="Betrag EUR", header_line=3))
    with pytest.raises(ParseError, match="debit and credit columns are required"):
        _parse(GERMAN_CSV, ColumnMapping(booking_date="Buchungstag", sign_convention="debit_credit"))
