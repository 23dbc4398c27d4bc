"""CFONB 120: the French banks' account statement ("relevé de compte"), 120-character records.

01 old balance, 04 operation, 05 operation complement (label, reference, payer), 07 new balance.
Amounts carry their sign in the last character ("overpunch"): ``{`` and ``A``-``I`` are +0..+9,
``}`` and ``J``-``R`` are -0..-9; the number of decimals is in the record. The record order is
enforced as pennylane's cfonb gem does: an operation outside a statement, a complement without an
operation, a 07 without a 01 or a 01 inside an open statement is an error naming the line.
"""

from __future__ import annotations

from decimal import Decimal

from incasso.core.bank.base import date_field, reconciliation_warning
from incasso.core.bank.model import Balance, Entry, ParseError, ParseWarning, Sign, Statement
from incasso.core.bank.references import remittance

_POSITIVE = {"{": 0, **{chr(ord("A") + i): i + 1 for i in range(9)}}
_NEGATIVE = {"}": 0, **{chr(ord("J") + i): i + 1 for i in range(9)}}


def _amount(field: str, decimals: str, file: str, where: str) -> Decimal:
    body, last = field[:-1], field[-1:]
    if not body.isdigit() or not decimals.isdigit() or (last not in _POSITIVE and last not in _NEGATIVE):
        raise ParseError(file, where, f"amount {field!r} is not 13 digits and a sign character")
    digit = _POSITIVE.get(last, _NEGATIVE.get(last))
    value = Decimal(f"{body}{digit}").scaleb(-int(decimals))
    return -value if last in _NEGATIVE else value


def _records(text: str) -> list[tuple[int, str]]:
    lines = text.splitlines()
    if len(lines) == 1 and len(lines[0]) > 120 and len(lines[0]) % 120 == 0:
        return [(i + 1, lines[0][i * 120:(i + 1) * 120]) for i in range(len(lines[0]) // 120)]
    return [(n, line.rstrip("\r\n").ljust(120)) for n, line in enumerate(lines, start=1) if line.strip()]


def parse(text: str, file: str) -> list[Statement]:
    statements: list[Statement] = []
    current: dict | None = None
    for number, record in _records(text):
        where = f"line {number}"
        code = record[:2]
        if code == "01":
            if current is not None:
                raise ParseError(file, where, "new statement (01) before the previous one ended (07)")
            current = {
                "line": number, "account": f"{record[2:7]}{record[11:16]}{record[21:32]}".strip(),
                "bank_account": record[21:32].strip(),
                "currency": record[16:19].strip(),
                "opening": _amount(record[90:104], record[19], file, where),
                "opening_date": date_field(record[34:40], file, where, "old balance date", "DMY"),
                "operations": [],
            }
        elif code == "04":
            if current is None:
                raise ParseError(file, where, "operation (04) outside a statement (no 01 before it)")
            amount = _amount(record[90:104], record[19], file, where)
            current["operations"].append({
                "where": where, "amount": amount, "code": record[32:34] + record[7:11],
                "booking": date_field(record[34:40], file, where, "accounting date", "DMY"),
                "value": date_field(record[42:48], file, where, "value date", "DMY"),
                "label": record[48:79].strip(), "entry_number": record[81:88].strip(),
                "reference": record[104:120].strip(), "complements": [], "currency": record[16:19].strip(),
            })
        elif code == "05":
            if current is None or not current["operations"]:
                raise ParseError(file, where, "operation detail (05) without an operation (04) before it")
            current["operations"][-1]["complements"].append((record[45:48], record[48:118].strip()))
        elif code == "07":
            if current is None:
                raise ParseError(file, where, "end of statement (07) without its beginning (01)")
            current["closing"] = _amount(record[90:104], record[19], file, where)
            current["closing_date"] = date_field(record[34:40], file, where, "new balance date", "DMY")
            statements.append(_statement(current, file))
            current = None
        else:
            raise ParseError(file, where, f"unknown record code {code!r}")
    if current is not None:
        raise ParseError(file, f"line {current['line']}", "statement (01) never ends with a 07 record")
    if not statements:
        raise ParseError(file, "line 1", "no CFONB120 statement (01 ... 07 records) found")
    return statements


def _statement(current: dict, file: str) -> Statement:
    currency = current["currency"]
    entries = []
    for op in current["operations"]:
        texts = [op["label"]]
        name = ""
        for qualifier, info in op["complements"]:
            if qualifier == "NPY":  # name of the payer
                name = info
            elif qualifier in ("LIB", "LCC", "RCN", "REF", "MMO", "NBE"):
                texts.append(info)
        entries.append(Entry(
            amount=abs(op["amount"]), sign=Sign.CREDIT if op["amount"] >= 0 else Sign.DEBIT,
            currency=op["currency"] or currency, booking_date=op["booking"], value_date=op["value"],
            position=op["where"], bank_reference=op["entry_number"], customer_reference=op["reference"],
            bank_transaction_code=op["code"], counterparty_name=name,
            remittance=remittance("", " ".join(t for t in texts if t)),
        ))
    position = f"line {current['line']}"
    warnings: list[ParseWarning] = []
    check = reconciliation_warning(current["opening"], current["closing"], entries, position)
    if check:
        warnings.append(check)
    return Statement(
        file=file, format="cfonb120", position=position, account=current["account"], currency=currency,
        opening_balance=current["opening"], opening_date=current["opening_date"],
        closing_balance=current["closing"], closing_date=current["closing_date"], entries=tuple(entries),
        balances=(Balance("opening", current["opening"], currency, current["opening_date"]),
                  Balance("closing", current["closing"], currency, current["closing_date"])),
        warnings=tuple(warnings),
    )
