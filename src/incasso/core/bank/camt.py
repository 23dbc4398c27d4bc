"""ISO 20022 bank-to-customer cash management: camt.052 (report), camt.053 (statement), camt.054.

Every version the corpus holds (001.01 to 001.10) is read by one code path: namespaces are dropped
and elements are found by local name, since the versions differ in which optional blocks exist
(``Sts`` as text or ``Sts/Cd``, ``Dbtr/Nm`` or ``Dbtr/Pty/Nm``, ``TxDtls/Amt`` from v4) rather than
in meaning. A file with no statement, report or notification block is rejected; an empty
statement (no ``Ntry``) is a statement with no entries.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from lxml import etree

from incasso.core.bank.base import decimal_field, reconciliation_warning
from incasso.core.bank.model import (
    Balance,
    Entry,
    EntryDetail,
    ParseError,
    ParseWarning,
    RemittanceDocument,
    Sign,
    Statement,
)
from incasso.core.bank.references import remittance

# message root element prefix -> (format, element that holds one account's statement)
_MESSAGES = {
    "BkToCstmrStmt": ("camt.053", "Stmt"),
    "BkToCstmrAcctRpt": ("camt.052", "Rpt"),
    "BkToCstmrDbtCdtNtfctn": ("camt.054", "Ntfctn"),
}
_BALANCE_KINDS = {
    "OPBD": "opening", "PRCD": "opening", "CLBD": "closing", "OPAV": "opening_available",
    "CLAV": "closing_available", "FWAV": "forward_available", "ITBD": "interim", "ITAV": "interim_available",
    "INFO": "information", "XPCD": "expected",
}


def _strip_namespaces(root: etree._Element) -> None:
    for element in root.iter():
        tag = element.tag
        if isinstance(tag, str):
            if tag[0] == "{":
                element.tag = tag.rpartition("}")[2]
        else:  # comments and processing instructions carry no data
            continue


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _first_text(element: etree._Element | None, *paths: str) -> str:
    for path in paths:
        value = _text(element, path)
        if value:
            return value
    return ""


def _path(element: etree._Element) -> str:
    parts = []
    node = element
    while node is not None:
        parent = node.getparent()
        if parent is None:
            parts.append(node.tag)
        else:
            siblings = [c for c in parent if c.tag == node.tag]
            parts.append(f"{node.tag}[{siblings.index(node) + 1}]" if len(siblings) > 1 else node.tag)
        node = parent
    return f"line {element.sourceline} (/{'/'.join(reversed(parts))})"


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def amount(self, element: etree._Element, path: str, required: bool = True) -> tuple[Decimal, str] | None:
        found = element.find(path)
        if found is None or not (found.text or "").strip():
            if required:
                raise ParseError(self.file, _path(element), f"missing {path}")
            return None
        try:
            value = Decimal(found.text.strip())  # type: ignore[union-attr]
        except ArithmeticError:
            value = decimal_field(found.text or "", self.file, _path(found), path)  # raises with the place
        return value, found.get("Ccy", "")

    def date(self, element: etree._Element | None, path: str) -> date | None:
        """A ``Dt`` or ``DtTm`` choice (BookgDt, ValDt, Bal/Dt) as a business date."""
        if element is None:
            return None
        holder = element.find(path)
        if holder is None:
            return None
        text = _first_text(holder, "Dt", "DtTm") or (holder.text or "").strip()
        if not text:
            return None
        try:
            if "T" in text:
                # the bank's local date: the wall-clock date written, not converted to UTC
                return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
            return date.fromisoformat(text[:10])
        except ValueError:
            raise ParseError(self.file, _path(holder), f"{text!r} is not a date") from None

    def sign(self, element: etree._Element, required: bool = True) -> Sign | None:
        code = _text(element, "CdtDbtInd")
        if code in ("CRDT", "DBIT"):
            return Sign(code)
        if required:
            raise ParseError(self.file, _path(element), f"CdtDbtInd is {code!r}, expected CRDT or DBIT")
        return None


def _bank_transaction_code(element: etree._Element) -> str:
    domain = _text(element, "BkTxCd/Domn/Cd")
    if domain:
        family = _text(element, "BkTxCd/Domn/Fmly/Cd")
        sub_family = _text(element, "BkTxCd/Domn/Fmly/SubFmlyCd")
        return "/".join(p for p in (domain, family, sub_family) if p)
    return _text(element, "BkTxCd/Prtry/Cd")


def _party(details: etree._Element, role: str) -> tuple[str, str]:
    name = _first_text(details, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm",
                       f"RltdPties/Ultmt{role}/Nm", f"RltdPties/Ultmt{role}/Pty/Nm")
    iban = _text(details, f"RltdPties/{role}Acct/Id/IBAN")
    return name, iban


def _remittance(details: etree._Element) -> tuple[str, str, tuple[RemittanceDocument, ...]]:
    info = details.find("RmtInf")
    if info is None:
        return "", "", ()
    unstructured = " ".join((u.text or "").strip() for u in info.findall("Ustrd"))
    structured = ""
    documents = []
    for strd in info.findall("Strd"):
        ref = _text(strd, "CdtrRefInf/Ref") or _text(strd, "CdtrRefInf/CdtrRef")
        if ref and not structured:
            structured = ref
        for doc in strd.findall("RfrdDocInf"):
            number = _text(doc, "Nb")
            if number:
                paid = _text(strd, "RfrdDocAmt/RmtdAmt")
                due = _text(strd, "RfrdDocAmt/DuePyblAmt")
                documents.append(RemittanceDocument(
                    number=number,
                    amount_paid=Decimal(paid) if paid else None,
                    amount_invoiced=Decimal(due) if due else None,
                    kind=_first_text(doc, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry"),
                ))
        extra = " ".join((a.text or "").strip() for a in strd.findall("AddtlRmtInf"))
        if extra:
            unstructured = f"{unstructured} {extra}".strip()
    return structured, unstructured, tuple(documents)


def _detail(reader: _Reader, tx: etree._Element, entry_sign: Sign, entry_currency: str) -> EntryDetail:
    amount = reader.amount(tx, "Amt", required=False) or reader.amount(tx, "AmtDtls/TxAmt/Amt", required=False)
    sign = reader.sign(tx, required=False) or entry_sign
    # the counterparty is the payer on a credit, the payee on a debit
    name, iban = _party(tx, "Dbtr" if entry_sign is Sign.CREDIT else "Cdtr")
    structured, unstructured, documents = _remittance(tx)
    return EntryDetail(
        amount=amount[0] if amount else None,
        sign=sign,
        currency=(amount[1] if amount else "") or entry_currency,
        end_to_end_id=_text(tx, "Refs/EndToEndId"),
        bank_reference=_first_text(tx, "Refs/AcctSvcrRef", "Refs/TxId"),
        counterparty_name=name,
        counterparty_iban=iban,
        remittance=remittance(structured, unstructured, documents),
    )


def _entry(reader: _Reader, ntry: etree._Element) -> Entry:
    amount, currency = reader.amount(ntry, "Amt")  # type: ignore[misc]
    sign = reader.sign(ntry)
    assert sign is not None
    status = _first_text(ntry, "Sts/Cd", "Sts/Prtry", "Sts") or "BOOK"
    details = tuple(_detail(reader, tx, sign, currency) for tx in ntry.iter("TxDtls"))
    entry_info = _text(ntry, "AddtlNtryInf")
    single = details[0] if len(details) == 1 else None
    if single is not None:
        rem = single.remittance
        if entry_info and not rem.unstructured:
            rem = remittance(rem.structured_reference, entry_info, rem.documents)
    else:
        rem = remittance("", entry_info)
    return Entry(
        amount=abs(amount),
        sign=sign if amount >= 0 else (Sign.DEBIT if sign is Sign.CREDIT else Sign.CREDIT),
        currency=currency,
        booking_date=reader.date(ntry, "BookgDt"),
        value_date=reader.date(ntry, "ValDt"),
        position=_path(ntry),
        bank_reference=_first_text(ntry, "AcctSvcrRef", "NtryRef"),
        end_to_end_id=single.end_to_end_id if single else "",
        bank_transaction_code=_bank_transaction_code(ntry),
        counterparty_name=single.counterparty_name if single else "",
        counterparty_iban=single.counterparty_iban if single else "",
        remittance=rem,
        details=details,
        status=status,
        reversal=_text(ntry, "RvslInd").lower() == "true",
    )


def _statement(reader: _Reader, fmt: str, message_id: str, stmt: etree._Element) -> Statement:
    account = _first_text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id", "Acct/Id/PrtryAcct/Id", "Acct/Id/BBAN")
    if not account:
        raise ParseError(reader.file, _path(stmt), "no account identification (Acct/Id)")
    balances = []
    warnings = []
    for bal in stmt.findall("Bal"):
        code = _first_text(bal, "Tp/CdOrPrtry/Cd", "Tp/CdOrPrtry/Prtry")
        value, ccy = reader.amount(bal, "Amt")  # type: ignore[misc]
        sign = reader.sign(bal, required=False)
        if sign is None:
            # some banks (the Lithuanian exports in the corpus) leave it out; a balance is a credit
            # balance unless the bank says otherwise
            warnings.append(ParseWarning(_path(bal), f"balance {code} has no CdtDbtInd; read as a credit balance"))
            sign = Sign.CREDIT
        balances.append(Balance(
            kind=_BALANCE_KINDS.get(code, code.lower()),
            amount=value if sign is Sign.CREDIT else -value,
            currency=ccy,
            date=reader.date(bal, "Dt"),
        ))
    entries = tuple(_entry(reader, ntry) for ntry in stmt.findall("Ntry"))
    opening = next((b for b in balances if b.kind == "opening"), None)
    closing = next((b for b in balances if b.kind == "closing"), None)
    currency = (
        _text(stmt, "Acct/Ccy") or (opening.currency if opening else "")
        or (closing.currency if closing else "") or (entries[0].currency if entries else "")
    )
    position = _path(stmt)
    check = reconciliation_warning(
        opening.amount if opening else None, closing.amount if closing else None, entries, position
    )
    if check:
        warnings.append(check)
    return Statement(
        file=reader.file,
        format=fmt,
        position=position,
        account=account,
        currency=currency,
        statement_id=_text(stmt, "Id"),
        message_id=message_id,
        opening_balance=opening.amount if opening else None,
        opening_date=opening.date if opening else None,
        closing_balance=closing.amount if closing else None,
        closing_date=closing.date if closing else None,
        entries=entries,
        balances=tuple(balances),
        warnings=tuple(warnings),
    )


def parse(data: bytes, file: str) -> list[Statement]:
    """Read every statement, report or notification in one camt document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if exc.position else "?"
        raise ParseError(file, f"line {line}", f"not well-formed XML: {exc.msg}") from None
    _strip_namespaces(root)
    message = next((child for child in root if isinstance(child.tag, str)), None)
    if message is None:
        raise ParseError(file, _path(root), "the Document holds no camt message")
    kind = next((v for k, v in _MESSAGES.items() if message.tag.startswith(k)), None)
    if kind is None:
        raise ParseError(file, _path(message), f"{message.tag} is not a camt.052/053/054 message")
    fmt, block = kind
    message_id = _text(message, "GrpHdr/MsgId")
    blocks = message.findall(block)
    if not blocks:
        raise ParseError(file, _path(message), f"no {block} element: the message reports no account")
    reader = _Reader(file)
    return [_statement(reader, fmt, message_id, stmt) for stmt in blocks]


__all__ = ["parse", "ParseWarning"]
