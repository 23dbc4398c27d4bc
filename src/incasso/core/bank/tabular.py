"""CSV and XLSX bank statements read through a saved column mapping.

Many banks (and most treasury or ERP exports) offer "download as CSV/Excel" with their own
columns, date format and decimal separator; there is no standard to detect, so the user saves a
``ColumnMapping`` for the bank account once and imports with it. The file becomes one ordinary
``Statement`` (format ``csv`` or ``xlsx``), so deduplication, balance handling and matching work
as for every other format.

All or nothing, like the ERP imports: every row is checked, and a file with any bad field raises
``TabularError`` listing each as ``FILE:LINE: column NAME: reason`` (line = physical line, 1 is the
first line of the file); nothing of such a file is imported.

Amounts and their side (``sign_convention``):

* ``signed``: one amount column, negative = money out (debit), positive = money in (credit);
* ``inverted``: one amount column, negative = money in (some exports take the payer's view);
* ``debit_credit``: two columns, one of them filled per row (``debit`` out, ``credit`` in);
* ``indicator``: an unsigned amount column plus a column whose value says credit (one of
  ``credit_markers``, e.g. ``C,CR,H,Haben,Crédit``) or debit (anything else).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from incasso.core.bank.encoding import decode
from incasso.core.bank.model import Entry, ParseError, ParseWarning, Sign, Statement
from incasso.core.bank.references import remittance
from incasso.core.spreadsheet import cell_text

SIGN_CONVENTIONS = ("signed", "inverted", "debit_credit", "indicator")
DECIMAL_SEPARATORS = (",", ".")
MAX_ERRORS_SHOWN = 50


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which column holds what, and how its values are written (header names, as in the file)."""

    booking_date: str
    amount: str = ""  # signed/inverted/indicator conventions
    debit: str = ""  # debit_credit convention
    credit: str = ""
    indicator: str = ""  # indicator convention
    credit_markers: tuple[str, ...] = ("C", "CR", "CRDT", "H", "+")
    value_date: str = ""
    currency: str = ""  # empty: every row is in the account's currency
    counterparty_name: str = ""
    counterparty_iban: str = ""
    reference: str = ""  # structured creditor reference (RF, Belgian, QR) when the bank gives one column
    remittance: tuple[str, ...] = ()  # free-text columns, joined with a space
    bank_reference: str = ""
    end_to_end_id: str = ""
    date_format: str = "%d.%m.%Y"  # strptime format; "iso" accepts 2026-03-02 (and XLSX date cells)
    decimal_separator: str = ","
    sign_convention: str = "signed"
    header_line: int = 1  # lines above it (a bank's title, the account, the period) are skipped

    def columns(self) -> dict[str, str]:
        """The mapped columns by field, as named in the file (empty ones left out)."""
        named = {
            "booking_date": self.booking_date, "amount": self.amount, "debit": self.debit, "credit": self.credit,
            "indicator": self.indicator, "value_date": self.value_date, "currency": self.currency,
            "counterparty_name": self.counterparty_name, "counterparty_iban": self.counterparty_iban,
            "reference": self.reference, "bank_reference": self.bank_reference, "end_to_end_id": self.end_to_end_id,
        }
        named.update({f"remittance {n}": column for n, column in enumerate(self.remittance, start=1)})
        return {field: column for field, column in named.items() if column}

    def problems(self) -> list[str]:
        """What makes the mapping itself unusable (checked before any file is read)."""
        found = []
        if not self.booking_date:
            found.append("the booking date column is required")
        if self.sign_convention not in SIGN_CONVENTIONS:
            found.append(f"sign convention {self.sign_convention!r} is not one of {', '.join(SIGN_CONVENTIONS)}")
        elif self.sign_convention == "debit_credit":
            if not (self.debit and self.credit):
                found.append("debit and credit columns are required for the debit/credit convention")
        elif not self.amount:
            found.append("the amount column is required")
        if self.sign_convention == "indicator" and not self.indicator:
            found.append("the indicator column is required for the indicator convention")
        if self.decimal_separator not in DECIMAL_SEPARATORS:
            found.append(f"decimal separator {self.decimal_separator!r} is not ',' or '.'")
        if self.date_format != "iso":
            try:
                sample = date(2026, 3, 2).strftime(self.date_format)
                datetime.strptime(sample, self.date_format)  # noqa: DTZ007 - a calendar date, no time
            except ValueError:
                found.append(f"date format {self.date_format!r} cannot be read back (use strptime codes: %d.%m.%Y)")
        if self.header_line < 1:
            found.append("the header line is 1 or more")
        return found


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    column: str
    reason: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}: column {self.column}: {self.reason}"


class TabularError(ParseError):
    """A CSV/XLSX file with bad rows: every problem, one per line of the message."""

    def __init__(self, file: str, problems: Sequence[RowProblem]) -> None:
        first = problems[0]
        super().__init__(file, f"line {first.line}", f"column {first.column}: {first.reason}")
        self.problems = list(problems)
        shown = [p.format(file) for p in problems[:MAX_ERRORS_SHOWN]]
        if len(problems) > MAX_ERRORS_SHOWN:
            shown.append(f"{file}: ... and {len(problems) - MAX_ERRORS_SHOWN} more problem(s); nothing was imported")
        self.args = ("\n".join(shown),)

    def __str__(self) -> str:
        return str(self.args[0])


def read_rows(data: bytes, file: str) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's kind (``csv`` or ``xlsx``) and every non-empty row as ``(line, cells)``."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx", _xlsx_rows(data, file)
    text = decode(data).text
    if not text.strip():
        raise ParseError(file, "line 1", "the file is empty")
    lines = text.splitlines()
    sample = next((line for line in lines[:20] if line.strip()), "")
    delimiter = _delimiter("\n".join(lines[:20]) or sample)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise ParseError(file, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    return "csv", rows


def _delimiter(text: str) -> str:
    """The delimiter splitting the most lines into the same number (>1) of fields."""
    best, best_score = ",", 0
    for candidate in (";", ",", "\t", "|"):
        counts = [len(next(csv.reader([line], delimiter=candidate))) for line in text.splitlines() if line.strip()]
        if not counts or max(counts) < 2:
            continue
        common = max(set(counts), key=counts.count)
        score = counts.count(common) * common
        if score > best_score:
            best, best_score = candidate, score
    return best


def _xlsx_rows(data: bytes, file: str) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile, KeyError and its own errors
        raise ParseError(file, "xlsx", f"not a readable XLSX workbook: {exc}") from None
    rows = []
    for line, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1):
        cells = [cell_text(v) for v in values]
        if any(cells):
            rows.append((line, cells))
    workbook.close()
    return rows


def parse_table(rows: Iterable[tuple[int, list[str]]], mapping: ColumnMapping, *, file: str, account: str,
                currency: str, file_kind: str = "csv") -> Statement:
    """One statement of the mapped rows (the header among them, on ``mapping.header_line``)."""
    problems = mapping.problems()
    if problems:
        raise ParseError(file, "mapping", "; ".join(problems))
    rows = [(line, cells) for line, cells in rows if line >= mapping.header_line]
    if not rows or rows[0][0] != mapping.header_line:
        raise ParseError(file, f"line {mapping.header_line}", "the header line is empty or missing")
    header_line, header = rows[0]
    positions = {name.strip().lower(): n for n, name in reversed(list(enumerate(header)))}
    wanted = mapping.columns()
    missing = [RowProblem(header_line, column, f"not in the header (columns: {', '.join(h for h in header if h)})")
               for column in dict.fromkeys(wanted.values()) if column.strip().lower() not in positions]
    if missing:
        raise TabularError(file, missing)
    index = {field: positions[column.strip().lower()] for field, column in wanted.items()}
    entries: list[Entry] = []
    errors: list[RowProblem] = []
    for line, cells in rows[1:]:
        entry = _entry(line, cells, mapping, index, currency, errors)
        if entry is not None:
            entries.append(entry)
    if errors:
        raise TabularError(file, errors)
    if not entries:
        raise ParseError(file, f"line {header_line}", "the file has a header but no bookings")
    dates = [e.booking_date for e in entries if e.booking_date]
    warnings = (ParseWarning("file", f"{file_kind.upper()} statement read with a column mapping; it states no "
                                     "balances, so opening and closing cannot be checked"),)
    return Statement(file=file, format=file_kind, position=f"lines {header_line + 1}-{rows[-1][0]}", account=account,
                     currency=currency, statement_id=f"{min(dates)}..{max(dates)}" if dates else "",
                     opening_date=min(dates) if dates else None, closing_date=max(dates) if dates else None,
                     entries=tuple(entries), warnings=warnings)


def _entry(line: int, cells: list[str], mapping: ColumnMapping, index: dict[str, int], currency: str,
           errors: list[RowProblem]) -> Entry | None:
    def get(field: str) -> str:
        n = index.get(field)
        return cells[n].strip() if n is not None and n < len(cells) else ""

    def fail(field: str, reason: str) -> None:
        errors.append(RowProblem(line, mapping.columns()[field], reason))

    before = len(errors)
    booking = _date(get("booking_date"), mapping, "booking_date", fail, required=True)
    value = _date(get("value_date"), mapping, "value_date", fail, required=False) if "value_date" in index else None
    amount, sign = _amount_and_sign(get, mapping, fail)
    row_currency = get("currency").upper() if "currency" in index else ""
    if "currency" in index and (len(row_currency) != 3 or not row_currency.isalpha()):
        fail("currency", f"{row_currency!r} is not an ISO currency code")
    elif row_currency and row_currency != currency:
        fail("currency", f"{row_currency} differs from the account's currency {currency}")
    if len(errors) > before or amount is None or sign is None:
        return None
    text = " ".join(get(f"remittance {n}") for n in range(1, len(mapping.remittance) + 1) if get(f"remittance {n}"))
    return Entry(
        amount=amount, sign=sign, currency=currency, booking_date=booking, value_date=value or booking,
        position=f"line {line}", bank_reference=get("bank_reference"), end_to_end_id=get("end_to_end_id"),
        counterparty_name=get("counterparty_name"),
        counterparty_iban=get("counterparty_iban").replace(" ", "").upper(),
        remittance=remittance(get("reference"), text),
    )


def _date(text: str, mapping: ColumnMapping, field: str, fail, *, required: bool) -> date | None:  # type: ignore[no-untyped-def]
    if not text:
        if required:
            fail(field, "a date is required")
        return None
    try:
        if mapping.date_format == "iso" or (len(text) == 10 and text[4] == "-" and text[7] == "-"):
            return date.fromisoformat(text[:10])  # XLSX date cells come as ISO text whatever the format
        return datetime.strptime(text, mapping.date_format).date()  # noqa: DTZ007 - a calendar date, no time
    except ValueError:
        fail(field, f"{text!r} is not a date in the format {mapping.date_format}")
        return None


def _number(text: str, mapping: ColumnMapping) -> Decimal:
    raw = text.replace("\u00a0", "").replace(" ", "").replace("'", "")
    negative = raw.endswith("-") or (raw.startswith("(") and raw.endswith(")"))
    raw = raw.strip("()").rstrip("-")
    comma = mapping.decimal_separator == ","
    raw = raw.replace(".", "").replace(",", ".") if comma else raw.replace(",", "")
    value = Decimal(raw)
    if not value.is_finite():
        raise InvalidOperation
    return -value if negative else value


def _amount_and_sign(get, mapping: ColumnMapping, fail) -> tuple[Decimal | None, Sign | None]:  # type: ignore[no-untyped-def]
    def read(field: str) -> Decimal | None:
        text = get(field)
        if not text:
            return None
        try:
            value = _number(text, mapping)
        except (InvalidOperation, ValueError):
            fail(field, f"{text!r} is not an amount with {mapping.decimal_separator!r} as decimal separator")
            return None
        if value != value.quantize(Decimal("0.001")):
            fail(field, f"{text!r} has more than three decimals")
            return None
        return value

    if mapping.sign_convention == "debit_credit":
        debit, credit = read("debit"), read("credit")
        filled = [(v, s, f) for v, s, f in ((debit, Sign.DEBIT, "debit"), (credit, Sign.CREDIT, "credit"))
                  if v is not None and v != 0]
        if len(filled) != 1:
            if get("debit") or get("credit"):
                if len(filled) == 2:
                    fail("credit", "both the debit and the credit column are filled")
                elif not filled and (debit == 0 or credit == 0):
                    fail("debit", "the amount is zero")
            else:
                fail("debit", "neither the debit nor the credit column is filled")
            return None, None
        value, sign, field = filled[0]
        return abs(value), sign
    value = read("amount")
    if value is None:
        if not get("amount"):
            fail("amount", "an amount is required")
        return None, None
    if value == 0:
        fail("amount", "the amount is zero")
        return None, None
    if mapping.sign_convention == "indicator":
        marker = get("indicator")
        if not marker:
            fail("indicator", "the credit/debit indicator is empty")
            return None, None
        markers = {m.strip().upper() for m in mapping.credit_markers}
        return abs(value), Sign.CREDIT if marker.strip().upper() in markers else Sign.DEBIT
    credit = value > 0 if mapping.sign_convention == "signed" else value < 0
    return abs(value), Sign.CREDIT if credit else Sign.DEBIT
