"""CODA: the Belgian banks' coded statement (Febelfin), 128-character records, version 2.

Own reader rather than ``febelfin-coda``: that package checks its totals with ``assert`` (so a
statement whose trailer totals do not add up, as in 6 of the 11 anonymised samples of the corpus,
fails with a bare AssertionError and no position) and keeps a globalised booking's details only as
children. Here the trailer check is a warning like every other balance check.

Record 1 opens an account's statement, 21/22/23 are a movement (type 0-3 a booking, 5-8 a detail
of the preceding globalised booking), 31/32/33 information, 4 free text, 8 the new balance.
"""

from __future__ import annotations

from decimal import Decimal

from incasso.core.bank.base import date_field, reconciliation_warning
from incasso.core.bank.model import (
    Balance,
    Entry,
    EntryDetail,
    ParseError,
    ParseWarning,
    ReferenceKind,
    RemittanceInfo,
    Sign,
    Statement,
)
from incasso.core.bank.references import is_valid_belgian, remittance


def _amount(sign: str, digits: str, file: str, where: str) -> Decimal:
    if not digits.isdigit():
        raise ParseError(file, where, f"amount {digits!r} is not 15 digits")
    value = Decimal(digits) / 1000
    return -value if sign == "1" else value


def _communication(text: str) -> RemittanceInfo:
    """Record 21 position 62 says structured (1) or free (0); 101/102 is the +++ OGM +++ reference."""
    if text[:1] == "1":
        kind = text[1:4]
        if kind in ("101", "102"):
            ref = text[4:16]
            return RemittanceInfo(ref, ReferenceKind.BE, is_valid_belgian(ref), "")
        return remittance("", text[4:])
    return remittance("", text[1:])


class _Move:
    def __init__(self, record: str, file: str, where: str) -> None:
        self.where = where
        self.sequence = record[2:6]
        self.amount = _amount(record[31], record[32:47], file, where)
        self.value_date = date_field(record[47:53], file, where, "value date", "DMY")
        self.code = record[53:61]
        self.communication = record[61:115]
        self.entry_date = date_field(record[115:121], file, where, "entry date", "DMY")
        self.bank_reference = record[10:31].strip()
        self.customer_reference = ""
        self.counterparty_iban = ""
        self.counterparty_name = ""

    def part2(self, record: str) -> None:
        self.communication += record[10:63]
        self.customer_reference = record[63:98].strip()

    def part3(self, record: str) -> None:
        self.counterparty_iban = record[10:47].strip().split(" ")[0]
        self.counterparty_name = record[47:82].strip()
        self.communication += record[82:125]

    def remittance(self) -> RemittanceInfo:
        return _communication(self.communication)


def _account(record: str) -> tuple[str, str]:
    structure, field = record[1], record[5:42]
    account, currency = {
        "0": (field[0:12], field[13:16]), "1": (field[0:34], field[34:37]),
        "2": (field[0:31], field[34:37]), "3": (field[0:34], field[34:37]),
    }.get(structure, (field[0:34], field[34:37]))
    return account.strip(), currency.strip()


def parse(text: str, file: str) -> list[Statement]:
    statements: list[Statement] = []
    state: dict | None = None
    moves: list[tuple[_Move, list[_Move]]] = []
    last: _Move | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        record = raw.rstrip("\r\n")
        if not record.strip():
            continue
        record = record.ljust(128)
        where = f"line {number}"
        kind = record[0]
        if kind == "0":
            if record[127] != "2":
                raise ParseError(file, where, f"CODA version {record[127]!r} is not supported (version 2 only)")
            state = {"line": number, "created": date_field(record[5:11], file, where, "creation date", "DMY")}
            moves, last = [], None
        elif state is None:
            raise ParseError(file, where, f"record {kind} before the 0 header record")
        elif kind == "1":
            account, currency = _account(record)
            state.update(
                account=account, currency=currency, sequence=record[2:5],
                opening=_amount(record[42], record[43:58], file, where),
                opening_date=date_field(record[58:64], file, where, "old balance date", "DMY"),
            )
        elif kind == "2":
            article = record[1]
            if article == "1":
                last = _Move(record, file, where)
                move_type = last.code[0]
                # a detail repeats its globalised booking's sequence number with a detail number > 0
                is_detail = bool(moves) and moves[-1][0].sequence == last.sequence and record[6:10] != "0000"
                if move_type == "9" and moves:
                    pass  # detail information of a detail: its amount is already in the parent
                elif is_detail or (move_type in "5678" and moves):
                    moves[-1][1].append(last)
                else:
                    moves.append((last, []))
            elif last is None:
                raise ParseError(file, where, f"movement record 2{article} without its 21 record")
            elif article == "2":
                last.part2(record)
            elif article == "3":
                last.part3(record)
        elif kind == "8":
            state.update(
                closing=_amount(record[41], record[42:57], file, where),
                closing_date=date_field(record[57:63], file, where, "new balance date", "DMY"),
            )
        elif kind == "9":
            statements.append(_statement(state, moves, file, record, where))
            state, moves, last = None, [], None
    if state is not None:
        raise ParseError(file, f"line {state['line']}", "statement has no 9 trailer record")
    if not statements:
        raise ParseError(file, "line 1", "no CODA statement (0 ... 9 records) found")
    return statements


def _statement(state: dict, moves: list, file: str, trailer: str, where: str) -> Statement:
    if "account" not in state:
        raise ParseError(file, where, "statement has no 1 (old balance) record")
    currency = state["currency"]
    entries = []
    for move, children in moves:
        details = tuple(
            EntryDetail(
                amount=abs(child.amount), sign=Sign.CREDIT if child.amount >= 0 else Sign.DEBIT,
                currency=currency, bank_reference=child.bank_reference,
                counterparty_name=child.counterparty_name, counterparty_iban=child.counterparty_iban,
                remittance=child.remittance(),
            )
            for child in children
        )
        entries.append(Entry(
            amount=abs(move.amount), sign=Sign.CREDIT if move.amount >= 0 else Sign.DEBIT,
            currency=currency, booking_date=move.entry_date, value_date=move.value_date,
            position=move.where, bank_reference=move.bank_reference,
            customer_reference=move.customer_reference, bank_transaction_code=move.code,
            counterparty_name=move.counterparty_name, counterparty_iban=move.counterparty_iban,
            remittance=move.remittance(), details=details,
        ))
    position = f"line {state['line']}"
    warnings: list[ParseWarning] = []
    check = reconciliation_warning(state["opening"], state.get("closing"), entries, position)
    if check:
        warnings.append(check)
    debits, credits = Decimal(trailer[22:37] or 0) / 1000, Decimal(trailer[37:52] or 0) / 1000
    booked_credits = sum((e.amount for e in entries if e.sign is Sign.CREDIT), Decimal(0))
    booked_debits = sum((e.amount for e in entries if e.sign is Sign.DEBIT), Decimal(0))
    if (debits, credits) != (booked_debits, booked_credits):
        warnings.append(ParseWarning(where, f"trailer totals debit {debits} / credit {credits} differ from the "
                                            f"movements' {booked_debits} / {booked_credits}"))
    balances = [Balance("opening", state["opening"], currency, state["opening_date"])]
    if "closing" in state:
        balances.append(Balance("closing", state["closing"], currency, state["closing_date"]))
    statement = Statement(
        file=file, format="coda", position=position, account=state["account"], currency=currency,
        statement_id=state["sequence"], opening_balance=state["opening"], opening_date=state["opening_date"],
        closing_balance=state.get("closing"), closing_date=state.get("closing_date"),
        entries=tuple(entries), balances=tuple(balances), warnings=tuple(warnings),
    )
    return statement
