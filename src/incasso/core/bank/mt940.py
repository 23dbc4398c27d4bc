"""SWIFT MT940 (customer statement) and MT942 (interim transaction report).

Own reader rather than the ``mt-940`` package: that package merges every message of a file into one
``Transactions`` object (its ``data`` holds the last message's tags) and reports no line numbers,
while cash application needs one statement per ``:20:`` message and errors that say where.

Leniency policy (the peers disagree; see docs/bank-formats.md):

* accepted with a warning: an amount with no decimal comma (``C500NTRF``, read as 500), a
  missing customer reference in ``:61:``, ``:86:`` longer than 6 x 65 characters, unknown tags,
  a legacy code page (see ``encoding``), balances that do not reconcile;
* accepted with a warning too: 30 February (German savings banks' period-closing date, read as
  the last day of February, as WoLpH does) and a balance without currency (the statement's);
* rejected: no ``:20:`` at all (tag snippets and non-SWIFT text), a message without ``:25:``
  account, a second ``:25:`` after statement lines (the lines' account would be a guess), any
  other impossible date, a ``:61:`` line whose amount or mark cannot be read.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from incasso.core.bank.base import date_field, decimal_field, reconciliation_warning
from incasso.core.bank.model import Balance, Entry, ParseError, ParseWarning, Sign, Statement
from incasso.core.bank.references import remittance
from incasso.core.money import is_currency

_TAG = re.compile(r"^:(\d{2}[A-Z]?):(.*)$")
_KNOWN = {"20", "21", "25", "25P", "28", "28C", "60F", "60M", "61", "86", "62F", "62M", "64", "65",
          "13", "13D", "34F", "90D", "90C", "NS"}
_LINE_61 = re.compile(
    r"^(?P<value>\d{6})(?P<entry>\d{4})?(?P<mark>R?[CD]|E[CD])(?P<funds>[A-Z])?(?P<amount>\d[\d,]*)"
    r"(?P<type>[NFS][A-Z0-9]{3})?(?P<customer>[^\n]*?)(?://(?P<bank>[^\n]*))?(?:\n(?P<supplementary>.*))?$",
    re.DOTALL,
)
_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})?(?P<amount>\d[\d,]*)$")
_GERMAN_86 = re.compile(r"^\d{3}\?")
_SLASH_CODES = re.compile(r"/(EREF|REMI|NAME|IBAN|BIC|CNTP|ORDP|BENM|MARF|CSID|PURP|ADDR|TRCD|BUSP|ISDT|RTRN)/")


class _Message:
    def __init__(self, line: int) -> None:
        self.line = line
        self.tags: list[tuple[str, str, int]] = []


_HEADER_LINE = re.compile(r"^(?:[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?|\d{3})$")  # ABN AMRO: BIC and "940"


def _split_tags(text: str, file: str) -> list[_Message]:
    messages: list[_Message] = []
    current: _Message | None = None
    last: list | None = None
    after_dash = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip("\r\x02\x03\x1a")
        if line.startswith("{4:"):
            line = line[3:]
        if not line.strip() or line.startswith("{"):
            continue  # SWIFT envelope blocks {1:..}{2:..} and blank lines
        if line == "-" or line.startswith("-}"):
            # block-4 terminator; ING wraps :86: so that a lone "-" can also be text, decided below
            after_dash = True
            continue
        match = _TAG.match(line)
        if match:
            tag, value = match.groups()
            if tag == "20" or current is None:
                current = _Message(number)
                messages.append(current)
            last = [tag, value, number]
            current.tags.append(last)  # type: ignore[arg-type]
        elif last is not None and not (after_dash and _HEADER_LINE.match(line)):
            last[1] += ("\n-" if after_dash else "") + "\n" + line
        else:
            last = None  # bank header lines before a message (ABNANL2A / 940)
        after_dash = False
    return [m for m in messages if any(t[0] == "20" for t in m.tags)]


def _account(text: str) -> str:
    """Drop a currency code some banks glue to the IBAN (ING: ``NL77INGB0574908765EUR``)."""
    if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{6,30}\d[A-Z]{3}", text) and is_currency(text[-3:]):
        return text[:-3]
    return text


def _amount(text: str, file: str, where: str, field: str, warnings: list[ParseWarning]) -> Decimal:
    if "," not in text:
        warnings.append(ParseWarning(where, f"{field} {text!r} has no decimal comma; read as whole units"))
    return decimal_field(text, file, where, field, comma=True)


def _balance(kind: str, value: str, file: str, where: str, currency: str, warnings: list[ParseWarning]) -> Balance:
    match = _BALANCE.match(value.strip())
    if not match:
        raise ParseError(file, where, f"balance {value.strip()!r} is not mark + YYMMDD + currency + amount")
    amount = _amount(match["amount"], file, where, "balance amount", warnings)
    if not match["currency"]:
        if not currency:
            raise ParseError(file, where, f"balance {value.strip()!r} has no currency")
        warnings.append(ParseWarning(where, f"balance has no currency; read as {currency} like the others"))
    return Balance(
        kind=kind,
        amount=amount if match["mark"] == "C" else -amount,
        currency=match["currency"] or currency,
        date=_swift_date(match["date"], file, where, "balance date", warnings),
    )


def _swift_date(text: str, file: str, where: str, field: str, warnings: list[ParseWarning]) -> date:
    """YYMMDD; German savings banks date period-closing bookings 30 February: read as February's last day."""
    if text[2:4] == "02" and text[4:6] in ("29", "30", "31"):
        year = 2000 + int(text[:2]) if int(text[:2]) < 80 else 1900 + int(text[:2])
        last_day = 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
        if int(text[4:6]) > last_day:
            warnings.append(ParseWarning(where, f"{field} {text} is past the end of February; read as {last_day}/02"))
            return date(year, 2, last_day)
    return date_field(text, file, where, field)


def _entry_date(value_date: date, mmdd: str, file: str, where: str) -> date:
    month, day = int(mmdd[:2]), int(mmdd[2:])
    candidates = []
    for year in (value_date.year - 1, value_date.year, value_date.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        raise ParseError(file, where, f"entry date {mmdd!r} is not a valid date")
    return min(candidates, key=lambda d: abs((d - value_date).days))


def _details(text: str) -> dict[str, str]:
    """Counterparty and remittance out of ``:86:``: German ?NN subfields or /CODE/ structured text."""
    flat = text.replace("\n", "")
    if _GERMAN_86.match(flat):
        fields: dict[str, str] = {}
        for key, value in re.findall(r"\?(\d{2})([^?]*)", flat):
            fields[key] = fields.get(key, "") + value
        purpose = "".join(fields.get(f"{n}", "") for n in [*map(str, range(20, 30)), "60", "61", "62", "63"])
        result = {"name": (fields.get("32", "") + fields.get("33", "")).strip(), "iban": fields.get("31", "").strip()}
        eref = re.search(r"EREF\+(.*?)(?=(?:KREF|MREF|CRED|SVWZ|ABWA|ABWE|IBAN|BIC)\+|$)", purpose)
        svwz = re.search(r"SVWZ\+(.*?)(?=(?:ABWA|ABWE|IBAN|BIC)\+|$)", purpose)
        result["end_to_end_id"] = eref.group(1).strip() if eref else ""
        result["text"] = (svwz.group(1) if svwz else purpose).strip()
        return result
    if _SLASH_CODES.search(flat):
        parts = _SLASH_CODES.split(flat)
        values: dict[str, str] = {}
        for code, value in zip(parts[1::2], parts[2::2], strict=False):
            values.setdefault(code, value.strip("/ "))
        cntp = values.get("CNTP", "").split("/")
        remi = values.get("REMI", "")
        structured = ""
        if remi.startswith("STRD"):
            structured = remi.split("/")[-1]
        elif remi.startswith("USTD"):
            remi = remi[4:].strip("/")
        return {
            "name": values.get("NAME", "") or (cntp[2] if len(cntp) > 2 else ""),
            "iban": values.get("IBAN", "") or (cntp[0] if cntp and cntp[0] else ""),
            "end_to_end_id": values.get("EREF", "") if values.get("EREF", "") != "NOTPROVIDED" else "",
            "text": remi if not structured else "",
            "structured": structured,
        }
    return {"text": " ".join(text.split())}


def _statement_line(value: str, info: str, file: str, where: str, currency: str,
                    warnings: list[ParseWarning]) -> Entry:
    match = _LINE_61.match(value.strip("\n"))
    if not match:
        raise ParseError(file, where, f":61: statement line {value.splitlines()[0]!r} cannot be read")
    value_date = _swift_date(match["value"], file, where, "value date", warnings)
    booking = _entry_date(value_date, match["entry"], file, where) if match["entry"] else value_date
    mark = match["mark"]
    amount = _amount(match["amount"], file, where, "amount", warnings)
    customer = (match["customer"] or "").strip()
    if not match["type"]:
        warnings.append(ParseWarning(where, ":61: has no transaction type; read without one"))
    if not customer and not match["bank"]:
        warnings.append(ParseWarning(where, ":61: has no reference for the account owner"))
    details = _details(info) if info else {}
    if info and sum(len(x) for x in info.splitlines()) > 6 * 65:
        warnings.append(ParseWarning(where, ":86: is longer than 6 lines of 65 characters; kept whole"))
    # RC/RD reverse a credit/debit: a reversal of a credit takes money out
    sign = Sign.CREDIT if mark in ("C", "RD", "EC") else Sign.DEBIT
    return Entry(
        amount=amount,
        sign=sign,
        currency=currency,
        booking_date=booking,
        value_date=value_date,
        position=where,
        bank_reference=(match["bank"] or "").strip(),
        customer_reference="" if customer == "NONREF" else customer,
        end_to_end_id=details.get("end_to_end_id", ""),
        bank_transaction_code=match["type"] or "",
        counterparty_name=details.get("name", ""),
        counterparty_iban=details.get("iban", ""),
        remittance=remittance(details.get("structured", ""), details.get("text", "")),
        reversal=mark.startswith("R"),
    )


def _message(message: _Message, file: str, index: int) -> Statement:
    warnings: list[ParseWarning] = []
    tags = message.tags
    where = f"line {message.line}"
    account = ""
    statement_id = reference = ""
    balances: list[Balance] = []
    entries: list[Entry] = []
    floor = ""
    kinds = {"60F": "opening", "60M": "interim_opening", "62F": "closing", "62M": "interim",
             "64": "closing_available", "65": "forward_available", "34F": "floor_limit"}
    currency = ""
    lines_61: list[tuple[str, int, str]] = []
    for i, (tag, value, number) in enumerate(tags):
        here = f"line {number}"
        if tag == "20":
            reference = value.strip()
        elif tag in ("25", "25P"):
            if account and lines_61:
                raise ParseError(file, here, "a second :25: account after statement lines: their account is ambiguous")
            account = _account(value.strip().splitlines()[0])
        elif tag in ("28", "28C"):
            statement_id = value.strip()
        elif tag in kinds and tag != "34F":
            balance = _balance(kinds[tag], value, file, here, currency, warnings)
            balances.append(balance)
            currency = currency or balance.currency
        elif tag == "34F":
            floor = value.strip()
            currency = currency or floor[:3]
        elif tag == "61":
            info = tags[i + 1][1] if i + 1 < len(tags) and tags[i + 1][0] == "86" else ""
            lines_61.append((value, number, info))
        elif tag in ("86", "21", "13", "13D", "90D", "90C", "NS"):
            continue
        else:
            warnings.append(ParseWarning(here, f"unknown tag :{tag}: ignored"))
    if not account:
        raise ParseError(file, where, f"message {index} ({reference!r}) has no :25: account identification")
    if not currency:
        found = re.search(r"([A-Z]{3})$", account)
        currency = found.group(1) if found else ""
    for value, number, info in lines_61:
        entries.append(_statement_line(value, info, file, f"line {number}", currency, warnings))
    fmt = "mt940" if any(b.kind in ("opening", "interim_opening") for b in balances) else "mt942"
    if fmt == "mt942" and not floor and not any(t[0] in ("13", "13D") for t in tags):
        warnings.append(ParseWarning(where, "no :60F: opening balance and no MT942 tags; read as an interim report"))
    opening = next((b for b in balances if b.kind in ("opening", "interim_opening")), None)
    closing = next((b for b in balances if b.kind in ("closing", "interim")), None)
    check = reconciliation_warning(
        opening.amount if opening else None, closing.amount if closing else None, entries, where
    )
    if check:
        warnings.append(check)
    return Statement(
        file=file,
        format=fmt,
        position=where,
        account=account,
        currency=currency,
        statement_id=statement_id,
        message_id=reference,
        opening_balance=opening.amount if opening else None,
        opening_date=opening.date if opening else None,
        closing_balance=closing.amount if closing else None,
        closing_date=closing.date if closing else None,
        entries=tuple(entries),
        balances=tuple(balances),
        warnings=tuple(warnings),
    )


def parse(text: str, file: str) -> list[Statement]:
    """Read every MT940/MT942 message (one per ``:20:``) of a decoded file."""
    messages = _split_tags(text, file)
    if not messages:
        raise ParseError(file, "line 1", "no :20: transaction reference: not an MT940/MT942 message")
    return [_message(m, file, i) for i, m in enumerate(messages, start=1)]
