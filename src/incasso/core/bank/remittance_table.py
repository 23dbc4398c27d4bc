"""Remittance advices sent as CSV or XLSX: one row per invoice a payment settles.

Columns (header names, any case; the order does not matter):

| column | required | meaning |
|---|---|---|
| ``payment_reference`` | one of the two | the payer's reference of the payment (also in the bank line) |
| ``payment_date`` | yes | ISO date ``2026-03-02`` or ``02.03.2026`` / ``02/03/2026`` (day first) |
| ``payer`` | yes | the payer's name |
| ``invoice`` | yes | the invoice (or credit note) number the row is about |
| ``paid`` | yes | what is paid on it |
| ``amount`` | no | the payment total (else the sum of ``paid``); equal on every row of a payment |
| ``currency`` | no | ISO code (default EUR) |
| ``deduction``, ``deduction_reason`` | no | what the payer deducted from the invoice, and why |
| ``payer_iban``, ``payer_account`` | no | the payer's IBAN, our customer number for the payer |

Rows with the same ``payment_reference`` (or, without one, the same payer and date) form one
advice, returned as one credit ``Entry`` whose remittance lists the documents, so the X12 820
parser and this one give the same shape. All or nothing: every bad field is reported as
``FILE:LINE: column NAME: reason`` (``TabularError``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from incasso.core.bank.model import Entry, ParseError, RemittanceDocument, Sign, Statement
from incasso.core.bank.references import remittance
from incasso.core.bank.tabular import RowProblem, TabularError

REQUIRED = ("payment_date", "payer", "invoice", "paid")
OPTIONAL = ("payment_reference", "amount", "currency", "deduction", "deduction_reason", "payer_iban", "payer_account")


def _amount(text: str) -> Decimal:
    raw = text.replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in raw and ("." not in raw or raw.rfind(",") > raw.rfind(".")):
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    value = Decimal(raw)
    if not value.is_finite():
        raise InvalidOperation
    return value


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d"):
        try:
            return datetime.strptime(text[:10] if pattern == "%Y-%m-%d" else text, pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(text)


def parse_remittance_rows(rows: Iterable[tuple[int, list[str]]], *, file: str, file_kind: str = "csv") -> Statement:
    """The advices of a remittance CSV/XLSX (first row = header) as one statement of credit entries."""
    rows = list(rows)
    if not rows:
        raise ParseError(file, "line 1", "the file is empty")
    header_line, header = rows[0]
    positions = {name.strip().lower(): n for n, name in reversed(list(enumerate(header)))}
    missing = [c for c in REQUIRED if c not in positions]
    if "payment_reference" not in positions and "payer" not in positions:
        missing.append("payment_reference")
    if missing:
        raise TabularError(file, [RowProblem(header_line, column, f"required, not in the header "
                                                                  f"(columns: {', '.join(h for h in header if h)})")
                                  for column in missing])
    problems: list[RowProblem] = []
    groups: dict[tuple[str, ...], dict[str, object]] = {}
    for line, cells in rows[1:]:
        def get(column: str, cells: list[str] = cells) -> str:
            n = positions.get(column)
            return cells[n].strip() if n is not None and n < len(cells) else ""

        def money(column: str, line: int = line, get=get) -> Decimal | None:  # type: ignore[no-untyped-def]
            text = get(column)
            if not text:
                return None
            try:
                return _amount(text)
            except (InvalidOperation, ValueError):
                problems.append(RowProblem(line, column, f"{text!r} is not an amount"))
                return None

        before = len(problems)
        for column in REQUIRED:
            if not get(column):
                problems.append(RowProblem(line, column, "a value is required"))
        try:
            paid_on = _date(get("payment_date")) if get("payment_date") else None
        except ValueError:
            problems.append(RowProblem(line, "payment_date", f"{get('payment_date')!r} is not a date "
                                                             "(2026-03-02, 02.03.2026 or 02/03/2026)"))
            paid_on = None
        paid, total, deduction = money("paid"), money("amount"), money("deduction")
        currency = (get("currency") or "EUR").upper()
        if len(currency) != 3 or not currency.isalpha():
            problems.append(RowProblem(line, "currency", f"{currency!r} is not an ISO currency code"))
        if len(problems) > before:
            continue
        key = (get("payment_reference"),) if get("payment_reference") else (get("payer"), str(paid_on), currency)
        group = groups.setdefault(key, {
            "line": line, "reference": get("payment_reference"), "payer": get("payer"), "date": paid_on,
            "currency": currency, "total": total, "iban": get("payer_iban").replace(" ", "").upper(),
            "account": get("payer_account"), "documents": [],
        })
        if total is not None and group["total"] is not None and total != group["total"]:
            problems.append(RowProblem(line, "amount", f"{total} differs from the payment total {group['total']} "
                                                       f"given on line {group['line']}"))
            continue
        if group["currency"] != currency:
            problems.append(RowProblem(line, "currency", f"{currency} differs from {group['currency']} on line "
                                                         f"{group['line']} of the same payment"))
            continue
        group["documents"].append(RemittanceDocument(  # type: ignore[attr-defined]
            number=get("invoice"), amount_paid=paid, adjustment=deduction, adjustment_reason=get("deduction_reason"),
            kind="IV"))
    if problems:
        raise TabularError(file, problems)
    if not groups:
        raise ParseError(file, f"line {header_line}", "the file has a header but no rows")
    entries = []
    for group in groups.values():
        documents: list[RemittanceDocument] = group["documents"]  # type: ignore[assignment]
        total = group["total"] if group["total"] is not None else sum(
            (d.amount_paid or Decimal(0) for d in documents), Decimal(0))
        if total <= 0:  # type: ignore[operator]
            raise TabularError(file, [RowProblem(int(group["line"]), "paid",  # type: ignore[call-overload]
                                                 "the payment adds up to zero or less")])
        entries.append(Entry(
            amount=total, sign=Sign.CREDIT, currency=str(group["currency"]), booking_date=group["date"],  # type: ignore[arg-type]
            value_date=group["date"], position=f"line {group['line']}",  # type: ignore[arg-type]
            end_to_end_id=str(group["reference"]), customer_reference=str(group["account"]),
            counterparty_name=str(group["payer"]), counterparty_iban=str(group["iban"]),
            remittance=remittance("", "", tuple(documents)),
        ))
    return Statement(file=file, format=f"remittance-{file_kind}", position=f"line {header_line}", account="",
                     currency=entries[0].currency, entries=tuple(entries))
