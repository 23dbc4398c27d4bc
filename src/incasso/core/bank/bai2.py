"""BAI2: the North American cash-management balance and transaction report.

Own reader rather than the ``bai2`` package, which rejects 4 of the 5 moov-io samples (an unknown
type code, a ``2/`` in a text field, record counts that include continuation records).

Records are comma-separated and end with ``/``; ``88`` continues the previous record. ``01`` file
header, ``02`` group (as-of date, currency), ``03`` account with its summary and balance type codes
(010 opening ledger, 015 closing ledger, ...), ``16`` a transaction detail (type code 100-399
credit, 400-699 debit), ``49``/``98``/``99`` trailers. Amounts are in minor units, no decimals.
"""

from __future__ import annotations

import re
from decimal import Decimal

from incasso.core.bank.base import date_field, reconciliation_warning
from incasso.core.bank.model import Balance, Entry, ParseError, ParseWarning, Sign, Statement
from incasso.core.bank.references import remittance

_BALANCE_CODES = {"010": "opening", "015": "closing", "040": "opening_available", "045": "closing_available",
                  "050": "one_day_float", "072": "one_day_float", "100": "total_credits", "400": "total_debits"}


_RECORD_START = re.compile(r"^\d{2},")
_SECOND_RECORD = re.compile(r"/\s+(?=\d{2},)")


def _logical_records(text: str, file: str) -> list[tuple[int, list[str]]]:
    """Join 88 continuations to their record and split into fields.

    Real files also wrap a record onto a line without an 88 prefix, write ``88:`` for ``88,`` and
    put two records on one physical line (``.../  49,00,2/``); all three are read as meant.
    """
    records: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("88") and not records:
            raise ParseError(file, f"line {number}", "continuation record 88 before any record")
        if line.startswith("88") or not _RECORD_START.match(line):
            if not records:
                raise ParseError(file, f"line {number}", f"{line[:20]!r} is not a BAI2 record")
            first, body = records[-1]
            joined = body[:-1] if body.endswith("/") else body
            addition = line[3:] if line.startswith("88") else line
            records[-1] = (first, joined + ("," if line.startswith("88") else " ") + addition)
        elif not line.startswith("16,"):
            records.extend((number, part) for part in _SECOND_RECORD.split(line))
        else:
            records.append((number, line))
    result = []
    for number, line in records:
        if line.startswith("16,"):
            # the text of a detail is the last field and may itself contain commas and slashes
            result.append((number, line.split(",")))
        else:
            result.append((number, line.rstrip("/").split(",")))
    return result


def _funds_fields(fields: list[str], start: int) -> int:
    """Index after a funds-type field and the availability fields it announces."""
    funds = fields[start] if start < len(fields) else ""
    if funds == "S":
        return start + 4
    if funds == "V":
        return start + 3
    if funds == "D":
        count = int(fields[start + 1] or 0) if start + 1 < len(fields) else 0
        return start + 2 + 2 * count
    return start + 1


def _cents(text: str, file: str, where: str) -> Decimal:
    raw = text.strip()
    if not raw:
        return Decimal(0)
    if not raw.lstrip("+-").isdigit():
        raise ParseError(file, where, f"amount {text!r} is not a whole number of cents")
    return Decimal(raw) / 100


def parse(text: str, file: str) -> list[Statement]:
    records = _logical_records(text, file)
    if not records or records[0][1][0] != "01":
        raise ParseError(file, "line 1", "a BAI2 file starts with a 01 file header record")
    statements: list[Statement] = []
    group_currency, as_of = "USD", None
    account: dict | None = None
    for number, fields in records:
        where = f"line {number}"
        code = fields[0]
        if code == "02":
            if len(fields) < 5:
                raise ParseError(file, where, "group header 02 has fewer than 5 fields")
            as_of = date_field(fields[4], file, where, "as-of date", "YMD")
            group_currency = (fields[6] if len(fields) > 6 and fields[6] else "USD")
        elif code == "03":
            account = {"line": number, "number": fields[1], "currency": fields[2] or group_currency,
                       "balances": [], "entries": [], "warnings": []}
            i = 3
            while i + 1 < len(fields):
                type_code, amount = fields[i], fields[i + 1]
                if type_code and amount and type_code in _BALANCE_CODES:
                    account["balances"].append(Balance(_BALANCE_CODES[type_code], _cents(amount, file, where),
                                                       account["currency"], as_of))
                i = _funds_fields(fields, i + 3)
        elif code == "16":
            if account is None:
                raise ParseError(file, where, "transaction detail 16 outside an account (no 03 before it)")
            type_code = fields[1]
            if len(fields) < 3 or not type_code.isdigit():
                raise ParseError(file, where, f"transaction detail 16 has no type code ({type_code!r})")
            # after the funds type come bank reference, customer reference and text
            rest = fields[3:]
            end = _funds_fields(["", *rest], 1) - 1
            tail = ",".join(rest[end:]).split(",", 2)
            bank_ref = tail[0] if tail else ""
            customer_ref = tail[1] if len(tail) > 1 else ""
            note = tail[2].rstrip("/") if len(tail) > 2 else ""
            code_value = int(type_code)
            if 100 <= code_value < 400:
                sign = Sign.CREDIT
            elif 400 <= code_value < 700:
                sign = Sign.DEBIT
            else:
                sign = Sign.CREDIT
                account["warnings"].append(ParseWarning(where, f"type code {type_code} is not a standard credit "
                                                               "(100-399) or debit (400-699) code; read as credit"))
            amount = _cents(fields[2], file, where)
            account["entries"].append(Entry(
                amount=abs(amount), sign=sign, currency=account["currency"], booking_date=as_of, value_date=as_of,
                position=where, bank_reference=bank_ref.strip(), customer_reference=customer_ref.strip(),
                bank_transaction_code=type_code, remittance=remittance("", note.strip()),
            ))
        elif code == "49":
            if account is None:
                raise ParseError(file, where, "account trailer 49 without an account")
            statements.append(_statement(account, file))
            account = None
        elif code in ("01", "98", "99"):
            continue
        else:
            raise ParseError(file, where, f"unknown BAI2 record code {code!r}")
    if account is not None:
        raise ParseError(file, f"line {account['line']}", "account 03 is not closed by a 49 trailer")
    if not statements:
        raise ParseError(file, "line 1", "no BAI2 account (03 ... 49 records) found")
    return statements


def _statement(account: dict, file: str) -> Statement:
    balances = account["balances"]
    opening = next((b for b in balances if b.kind == "opening"), None)
    closing = next((b for b in balances if b.kind == "closing"), None)
    warnings = list(account["warnings"])
    position = f"line {account['line']}"
    check = reconciliation_warning(opening.amount if opening else None, closing.amount if closing else None,
                                   account["entries"], position)
    if check:
        warnings.append(check)
    return Statement(
        file=file, format="bai2", position=position, account=account["number"], currency=account["currency"],
        opening_balance=opening.amount if opening else None, opening_date=opening.date if opening else None,
        closing_balance=closing.amount if closing else None, closing_date=closing.date if closing else None,
        entries=tuple(account["entries"]), balances=tuple(balances), warnings=tuple(warnings),
    )
