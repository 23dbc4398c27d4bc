"""ANSI X12 820: payment order / remittance advice, the payer's list of invoices a payment settles.

Separators come from the ISA envelope (element separator at position 3, segment terminator right
after ISA16); a file without ISA uses ``*`` and ``~`` or new lines. Each ``ST*820`` transaction
set becomes one statement with one credit entry (BPR, or BPS in version 003010) whose remittance
lists the documents: ``RMR`` (004010/005010) or ``RMT`` (003010) with reference qualifier, number,
amount paid and invoice amount; ``ADX`` adjustments attach to the document before them. Line-item
references (``RMT*IX``) are not documents and are skipped.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from incasso.core.bank.base import date_field
from incasso.core.bank.model import Entry, ParseError, RemittanceDocument, Sign, Statement
from incasso.core.bank.references import remittance

_LINE_ITEM_QUALIFIERS = {"IX", "LI"}


def _separators(text: str, file: str) -> tuple[str, str]:
    if text.startswith("ISA"):
        element = text[3]
        # ISA has 16 elements; the terminator is the character after ISA16 (one character)
        index, count = 0, 0
        while count < 16:
            index = text.find(element, index + 1)
            if index < 0:
                raise ParseError(file, "segment 1", "ISA envelope has fewer than 16 elements")
            count += 1
        terminator = text[index + 2:index + 3]
        return element, terminator if terminator not in ("\r", "\n", "") else "\n"
    element = "*" if "ST*" in text[:50] else "|"
    return element, "~" if "~" in text else "\n"


def _number(text: str, file: str, where: str, field: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        raise ParseError(file, where, f"{field}: {text!r} is not an amount") from None


def _date(text: str, file: str, where: str) -> date | None:
    digits = text.strip()
    if len(digits) in (6, 8) and digits.isdigit():
        return date_field(digits, file, where, "payment date", "YMD")
    return None


def parse(text: str, file: str) -> list[Statement]:
    stripped = text.lstrip()
    element, terminator = _separators(stripped, file)
    segments = [s.strip("\r\n ") for s in stripped.split(terminator)]
    statements: list[Statement] = []
    current: dict | None = None
    receiver = ""
    for index, segment in enumerate(segments, start=1):
        if not segment:
            continue
        where = f"segment {index}"
        fields = segment.split(element)
        tag = fields[0]
        get = lambda i, f=fields: f[i].strip() if i < len(f) else ""  # noqa: E731
        if tag == "GS":
            receiver = get(3)  # the application receiver: the payee when no account is named
        elif tag == "ST":
            if get(1) != "820":
                raise ParseError(file, where, f"X12 transaction set {get(1)} is not an 820 remittance advice")
            current = {"where": where, "control": get(2), "documents": [], "amount": None, "sign": Sign.CREDIT,
                       "date": None, "trace": "", "payee": "", "payee_id": "", "payer": "", "account": "",
                       "currency": "USD", "notes": [], "receiver": receiver}
        elif current is None:
            continue  # ISA/GS envelope
        elif tag == "BPR":
            current["amount"] = _number(get(2), file, where, "BPR02 payment amount")
            current["sign"] = Sign.DEBIT if get(3) == "D" else Sign.CREDIT
            current["account"] = get(15)
            current["date"] = _date(get(16), file, where)
        elif tag == "BPS":
            current["amount"] = _number(get(2), file, where, "BPS02 payment amount")
            current["date"] = next((d for d in (_date(f, file, where) for f in reversed(fields[3:])) if d), None)
        elif tag == "TRN":
            current["trace"] = get(2)
        elif tag == "CUR":
            current["currency"] = get(2) or current["currency"]
        elif tag == "N1":
            if get(1) == "PE":
                current["payee"], current["payee_id"] = get(2), get(4)
            elif get(1) in ("PR", "PAYER"):
                current["payer"] = get(2)
        elif tag in ("RMR", "RMT"):
            if get(1) in _LINE_ITEM_QUALIFIERS:
                continue
            paid_index, invoiced_index = (4, 5) if tag == "RMR" else (3, 4)
            current["documents"].append(RemittanceDocument(
                number=get(2),
                amount_paid=_number(get(paid_index), file, where, f"{tag} amount paid"),
                amount_invoiced=_number(get(invoiced_index), file, where, f"{tag} invoice amount"),
                kind=get(1),
            ))
        elif tag == "ADX" and current["documents"]:
            last = current["documents"][-1]
            adjustment = _number(get(1), file, where, "ADX01 adjustment amount")
            current["documents"][-1] = RemittanceDocument(
                number=last.number, amount_paid=last.amount_paid, amount_invoiced=last.amount_invoiced,
                adjustment=(last.adjustment or Decimal(0)) + (adjustment or Decimal(0)),
                adjustment_reason=get(2), kind=last.kind,
            )
        elif tag == "REF" and get(1) == "CU" and get(3):
            current["notes"].append(get(3))
        elif tag == "SE":
            statements.append(_statement(current, file))
            current = None
    if current is not None:
        raise ParseError(file, current["where"], "transaction set ST*820 is not closed by SE")
    if not statements:
        raise ParseError(file, "segment 1", "no ST*820 transaction set found")
    return statements


def _statement(current: dict, file: str) -> Statement:
    if current["amount"] is None:
        raise ParseError(file, current["where"], "820 has no BPR/BPS payment amount")
    amount: Decimal = current["amount"]
    entry = Entry(
        amount=abs(amount), sign=current["sign"], currency=current["currency"], booking_date=current["date"],
        value_date=current["date"], position=current["where"], bank_reference=current["trace"],
        customer_reference=current["control"], counterparty_name=current["payer"],
        remittance=remittance("", " ".join(current["notes"]), tuple(current["documents"])),
    )
    return Statement(
        file=file, format="x12-820", position=current["where"],
        account=current["account"] or current["payee_id"] or current["payee"] or current["receiver"],
        currency=current["currency"],
        statement_id=current["trace"] or current["control"], message_id=current["control"], entries=(entry,),
    )


__all__ = ["parse"]
