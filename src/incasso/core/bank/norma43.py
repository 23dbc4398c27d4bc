"""Norma 43 (AEB/CSB 43): the Spanish banks' account statement, 80-character records.

Own reader rather than ``csb43``: that package rejects a final-balance sign of ``0`` (sent by the
bank behind OCA's samples for a zero balance) and files whose records are not padded to 80.

11 opens an account (bank, branch, account, period, opening balance, currency, name), 22 is a
movement, 23 adds up to two concept texts, 24 a foreign-currency equivalent, 33 closes the account
with counts, totals and the closing balance, 88 ends the file.
"""

from __future__ import annotations

from decimal import Decimal

from incasso.core.bank.base import date_field, reconciliation_warning
from incasso.core.bank.model import Balance, Entry, ParseError, ParseWarning, Sign, Statement
from incasso.core.bank.references import remittance

# ISO 4217 numeric codes Spanish banks send in Norma 43
CURRENCIES = {"978": "EUR", "840": "USD", "826": "GBP", "756": "CHF", "392": "JPY", "752": "SEK",
              "208": "DKK", "578": "NOK", "124": "CAD", "036": "AUD", "985": "PLN", "946": "RON"}


def _amount(digits: str, file: str, where: str) -> Decimal:
    if not digits.strip().isdigit():
        raise ParseError(file, where, f"amount {digits!r} is not 14 digits")
    return Decimal(digits) / 100


def parse(text: str, file: str) -> list[Statement]:
    statements: list[Statement] = []
    account: dict | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        record = raw.rstrip("\r\n")
        if not record.strip():
            continue
        record = record.ljust(80)
        where = f"line {number}"
        code = record[:2]
        if code == "11":
            if account is not None:
                raise ParseError(file, where, "new account (11) before the previous one was closed (33)")
            opening = _amount(record[33:47], file, where)
            currency = CURRENCIES.get(record[47:50])
            if currency is None:
                raise ParseError(file, where, f"currency code {record[47:50]!r} is not a known ISO 4217 number")
            account = {
                "line": number, "account": f"{record[2:6]}{record[6:10]}{record[10:20]}", "currency": currency,
                "start": date_field(record[20:26], file, where, "start date", "YMD"),
                "end": date_field(record[26:32], file, where, "end date", "YMD"),
                "opening": -opening if record[32] == "1" else opening, "name": record[51:77].strip(),
                "entries": [], "lines": [],
            }
        elif account is None:
            if code == "88":
                continue
            raise ParseError(file, where, f"record {code} outside an account (no 11 record before it)")
        elif code == "22":
            account["lines"].append({
                "where": where,
                "booking": date_field(record[10:16], file, where, "operation date", "YMD"),
                "value": date_field(record[16:22], file, where, "value date", "YMD"),
                "concept": record[22:24] + record[24:27],
                "sign": Sign.DEBIT if record[27] == "1" else Sign.CREDIT,
                "amount": _amount(record[28:42], file, where),
                "document": record[42:52].strip(),
                "reference1": record[52:64].strip(),
                "reference2": record[64:80].strip(),
                "texts": [],
            })
        elif code == "23":
            if not account["lines"]:
                raise ParseError(file, where, "concept record 23 before any movement 22")
            account["lines"][-1]["texts"] += [record[4:42].strip(), record[42:80].strip()]
        elif code == "24":
            continue  # foreign-currency equivalent: the account-currency amount is on the 22 record
        elif code == "33":
            closing = _amount(record[59:73], file, where)
            account["closing"] = -closing if record[58] == "1" else closing
            account["closing_line"] = where
            statements.append(_statement(account, file))
            account = None
        elif code == "88":
            raise ParseError(file, where, "end of file (88) inside an open account (no 33 record)")
        else:
            raise ParseError(file, where, f"unknown record code {code!r}")
    if account is not None:
        # sequra's example2 ends without 33/88; the movements are still real, so read them and say so
        account["closing"] = None
        account["warning"] = ParseWarning(
            f"line {account['line']}", "account (11) is never closed by a 33 record: the file may be truncated"
        )
        statements.append(_statement(account, file))
    if not statements:
        raise ParseError(file, "line 1", "no Norma 43 account (11 ... 33 records) found")
    return statements


def _statement(account: dict, file: str) -> Statement:
    currency = account["currency"]
    entries = tuple(
        Entry(
            amount=line["amount"], sign=line["sign"], currency=currency, booking_date=line["booking"],
            value_date=line["value"], position=line["where"], bank_reference=line["reference1"],
            customer_reference=line["reference2"], bank_transaction_code=line["concept"],
            remittance=remittance("", " ".join(t for t in line["texts"] if t)),
        )
        for line in account["lines"]
    )
    position = f"line {account['line']}"
    warnings: list[ParseWarning] = [account["warning"]] if "warning" in account else []
    check = reconciliation_warning(account["opening"], account["closing"], entries, position)
    if check:
        warnings.append(check)
    return Statement(
        file=file, format="norma43", position=position, account=account["account"], currency=currency,
        opening_balance=account["opening"], opening_date=account["start"],
        closing_balance=account["closing"], closing_date=account["end"], entries=entries,
        balances=tuple(
            Balance(kind, amount, currency, day)
            for kind, amount, day in (("opening", account["opening"], account["start"]),
                                      ("closing", account["closing"], account["end"]))
            if amount is not None
        ),
        warnings=tuple(warnings),
    )
