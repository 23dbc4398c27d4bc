"""Importing bank files: every statement and line stored once, duplicates named, never dropped silently.

One file is one transaction: it is parsed completely first (a file that cannot be read raises
``ParseError`` naming file, position and reason, and nothing is written), then written.

Deduplication, from coarse to fine:

* the file's SHA-256: the same bytes again add nothing, and the report says when and by whom the
  file was imported before;
* each line's ``dedupe_key``: the bank's own reference (AcctSvcrRef, MT940 bank reference) with the
  account, booking date, amount and sign, else a hash of the line's whole content; plus the
  *occurrence* of that key within the statement. A statement re-sent in another file (or an
  intraday report followed by the day's statement) adds nothing, while two genuine identical
  payments in one statement are occurrences 1 and 2 and are both kept. Every skipped line is
  listed in the report.

CSV and XLSX exports have no standard layout: they are read through a saved column mapping of the
bank account (``BankFileMapping``; ``incasso bank import FILE --mapping NAME``), with the same
all-or-nothing rule and ``FILE:LINE: column NAME: reason`` errors as the ERP imports.

Pending and information-only entries (camt Sts PDNG/INFO) are not bookings yet and are reported as
such. A batch booking whose details carry amounts that add up to the booking is stored as one line
per detail, because cash application matches the underlying payments, not the batch total.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.choices import LineState
from incasso.cashapp.models import BankAccountStatement, BankFile, BankFileMapping, BankLine
from incasso.core.bank import ParseError, parse_bytes
from incasso.core.bank.base import reconciliation_warning
from incasso.core.bank.model import Entry, EntryDetail, RemittanceInfo, Sign, Statement
from incasso.core.bank.tabular import parse_table, read_rows
from incasso.ledger.models import EntityBankAccount

# Placeholders banks put where they have no reference; they identify nothing.
_NO_REFERENCE = frozenset({"", "NONREF", "NOTPROVIDED", "NOT PROVIDED", "NONE", "N/A", "NA", "UNKNOWN"})
_SHOWN = 50  # duplicates listed per statement in the report


@dataclass
class StatementReport:
    """What one statement of a file brought."""

    account: str
    statement_id: str
    format: str
    currency: str
    entity: str = ""  # the entity's code, or "" when the account is not a known bank account
    statement_pk: int | None = None
    lines_added: int = 0
    duplicates: int = 0
    duplicate_lines: list[str] = field(default_factory=list)
    not_booked: int = 0
    balance_ok: bool | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """What importing one file did (or, for a dry run, would do)."""

    file_name: str
    sha256: str
    dry_run: bool = False
    already_imported: str = ""  # "on 2026-03-02 14:05 UTC by anna" when the same bytes came before
    statements: list[StatementReport] = field(default_factory=list)
    file_pk: int | None = None

    @property
    def lines_added(self) -> int:
        return sum(s.lines_added for s in self.statements)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.statements)

    @property
    def warnings(self) -> list[str]:
        return [w for s in self.statements for w in s.warnings]

    def summary(self) -> str:
        if self.already_imported:
            return f"{self.file_name}: already imported {self.already_imported}; nothing added"
        verb = "would add" if self.dry_run else "added"
        return (f"{self.file_name}: {len(self.statements)} statement(s), {verb} {self.lines_added} line(s), "
                f"{self.duplicates} duplicate(s) skipped, {len(self.warnings)} warning(s)")

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "lines_added": self.lines_added, "duplicates": self.duplicates}


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def import_statement_file(path: str | Path, *, by: Actor, dry_run: bool = False,
                          mapping: str | BankFileMapping | None = None) -> ImportReport:
    """Import one bank file from disk; see the module docstring."""
    path = Path(path)
    return import_statement_bytes(path.read_bytes(), path.name, by=by, dry_run=dry_run, mapping=mapping)


def parse_with_mapping(data: bytes, file_name: str, mapping: str | BankFileMapping) -> list[Statement]:
    """A CSV/XLSX export read through a saved column mapping into one statement of its bank account."""
    if not isinstance(mapping, BankFileMapping):
        found = BankFileMapping.objects.select_related("bank_account").filter(name=mapping).first()
        if found is None:
            known = ", ".join(BankFileMapping.objects.values_list("name", flat=True)) or "none saved yet"
            raise ParseError(file_name, "mapping", f"no column mapping named {mapping!r} (known: {known})")
        mapping = found
    kind, rows = read_rows(data, file_name)
    account = mapping.bank_account
    return [parse_table(rows, mapping.to_core(), file=file_name, account=account.iban, currency=account.currency,
                        file_kind=kind)]


def import_statement_bytes(data: bytes, file_name: str, *, by: Actor, dry_run: bool = False,
                           mapping: str | BankFileMapping | None = None) -> ImportReport:
    """Import one bank file's bytes (an upload); ``file_name`` names it in the report and messages.

    ``mapping`` (a saved ``BankFileMapping`` or its name) reads a CSV/XLSX export; without it the
    format is detected from the content."""
    sha256 = hashlib.sha256(data).hexdigest()
    report = ImportReport(file_name=file_name, sha256=sha256, dry_run=dry_run)
    earlier = BankFile.objects.filter(sha256=sha256).select_related("imported_by").first()
    if earlier is not None:
        who = earlier.imported_by.get_username() if earlier.imported_by else "system"
        report.already_imported = f"on {earlier.imported_at:%Y-%m-%d %H:%M} UTC by {who} as {earlier.file_name}"
        report.file_pk = earlier.pk
        return report
    # ParseError propagates before anything is written
    statements = parse_with_mapping(data, file_name, mapping) if mapping else parse_bytes(data, file_name)
    try:
        with transaction.atomic():
            _write(statements, report, data, by=by)
            if dry_run:
                raise _DryRun
    except _DryRun:
        report.file_pk = None
        for statement in report.statements:
            statement.statement_pk = None
    return report


def _write(statements: list[Statement], report: ImportReport, data: bytes, *, by: Actor) -> None:
    bank_file = BankFile.objects.create(file_name=report.file_name[:255], sha256=report.sha256, size=len(data),
                                        imported_by=by.user)
    report.file_pk = bank_file.pk
    accounts = {
        account.iban: account
        for account in EntityBankAccount.objects.filter(
            iban__in={_compact(s.account) for s in statements}).select_related("entity")
    }
    for statement in statements:
        report.statements.append(_write_statement(statement, bank_file, accounts, by=by))
    bank_file.report = report.as_dict()
    bank_file.save(update_fields=["report"])
    record(EventKind.STATEMENT_IMPORTED, actor=by, subject_type="bank_file", subject_id=bank_file.pk,
           message=report.summary(),
           after={"sha256": report.sha256, "lines_added": report.lines_added, "duplicates": report.duplicates,
                  "statements": len(report.statements)})


def _write_statement(statement: Statement, bank_file: BankFile, accounts: dict[str, EntityBankAccount], *,
                     by: Actor) -> StatementReport:
    bank_account = accounts.get(_compact(statement.account))
    entity = bank_account.entity if bank_account else None
    result = StatementReport(account=statement.account, statement_id=statement.statement_id,
                             format=statement.format, currency=statement.currency,
                             entity=entity.code if entity else "")
    booked = [e for e in statement.entries if e.status == "BOOK"]
    result.not_booked = len(statement.entries) - len(booked)
    warnings = [str(w) for w in statement.warnings]
    has_balances = statement.opening_balance is not None and statement.closing_balance is not None
    if has_balances:
        result.balance_ok = reconciliation_warning(statement.opening_balance, statement.closing_balance, booked,
                                                   statement.position) is None
        if not result.balance_ok and not any("do not reconcile" in w for w in warnings):
            warnings.append(f"{statement.position}: opening + booked lines do not add up to the closing balance")
    if result.not_booked:
        warnings.append(f"{statement.position}: {result.not_booked} pending or information-only entr"
                        f"{'y was' if result.not_booked == 1 else 'ies were'} not imported (not booked yet)")
    if entity is None:
        warnings.append(f"{statement.position}: account {statement.account} is not a bank account of any legal "
                        "entity; its lines are stored but cannot be applied until the account is registered")
    result.warnings = warnings

    candidates = [line for entry in booked for line in _lines_of(entry, statement)]
    occurrences: Counter[str] = Counter()
    keyed = []
    for candidate in candidates:
        occurrences[candidate["dedupe_key"]] += 1
        keyed.append((candidate, occurrences[candidate["dedupe_key"]]))
    existing = set(
        BankLine.objects.filter(dedupe_key__in=list(occurrences)).values_list("dedupe_key", "occurrence")
    )
    new = [(c, n) for c, n in keyed if (c["dedupe_key"], n) not in existing]
    for candidate, n in keyed:
        if (candidate["dedupe_key"], n) in existing:
            result.duplicates += 1
            if len(result.duplicate_lines) < _SHOWN:
                result.duplicate_lines.append(
                    f"{candidate['position']}: {candidate['sign']} {candidate['amount']} {candidate['currency']} "
                    f"{candidate['booking_date'] or ''} {candidate['bank_reference'] or candidate['counterparty_name']}"
                    .rstrip())
    if not new and candidates:
        return result  # a statement already imported from another file: nothing to store
    stored = BankAccountStatement.objects.create(
        file=bank_file, format=statement.format, account=statement.account[:64], bank_account=bank_account,
        entity=entity, currency=statement.currency, statement_id=statement.statement_id[:80],
        position=statement.position[:200], opening_balance=statement.opening_balance,
        opening_date=statement.opening_date, closing_balance=statement.closing_balance,
        closing_date=statement.closing_date, balance_ok=result.balance_ok, warning_text="\n".join(warnings),
        line_count=len(new), duplicate_count=result.duplicates, imported_by=by.user,
    )
    result.statement_pk = stored.pk
    result.lines_added = len(new)
    BankLine.objects.bulk_create([
        BankLine(statement=stored, entity=entity, sequence=sequence, occurrence=n,
                 state=LineState.UNMATCHED if candidate["sign"] == Sign.CREDIT else LineState.IGNORED,
                 **candidate)
        for sequence, (candidate, n) in enumerate(new, start=1)
    ], batch_size=1000)
    return result


def _compact(account: str) -> str:
    return account.replace(" ", "").upper()


def _lines_of(entry: Entry, statement: Statement) -> list[dict[str, object]]:
    """The line(s) one booking becomes: one per detail when the details split the amount exactly."""
    currency = entry.currency or statement.currency
    details = [d for d in entry.details if d.amount is not None and (d.sign in (None, entry.sign))]
    if len(entry.details) > 1 and len(details) == len(entry.details) and \
            sum((d.amount for d in details), Decimal(0)) == entry.amount:  # type: ignore[misc]
        return [_line(entry, statement, currency, detail, f"{entry.position}/detail {n}")
                for n, detail in enumerate(details, start=1)]
    detail = entry.details[0] if len(entry.details) == 1 else None
    return [_line(entry, statement, currency, detail, entry.position)]


def _line(entry: Entry, statement: Statement, currency: str, detail: EntryDetail | None,
          position: str) -> dict[str, object]:
    amount = detail.amount if detail is not None and detail.amount is not None and len(entry.details) > 1 \
        else entry.amount
    remittance: RemittanceInfo = entry.remittance
    if detail is not None and not detail.remittance.is_empty:
        remittance = detail.remittance
    bank_reference = entry.bank_reference if entry.bank_reference.upper() not in _NO_REFERENCE else ""
    if detail is not None and detail.bank_reference and detail.bank_reference.upper() not in _NO_REFERENCE:
        bank_reference = detail.bank_reference
    end_to_end = (detail.end_to_end_id if detail is not None and detail.end_to_end_id else entry.end_to_end_id)
    if end_to_end.upper() in _NO_REFERENCE:
        end_to_end = ""
    fields: dict[str, object] = {
        "position": position[:200],
        "booking_date": entry.booking_date,
        "value_date": entry.value_date,
        "amount": amount,
        "sign": str(entry.sign),
        "currency": currency,
        "bank_reference": bank_reference[:80],
        "end_to_end_id": end_to_end[:80],
        "bank_transaction_code": entry.bank_transaction_code[:40],
        "counterparty_name": ((detail.counterparty_name if detail else "") or entry.counterparty_name)[:200],
        "counterparty_iban": ((detail.counterparty_iban if detail else "") or entry.counterparty_iban)[:34],
        "structured_reference": remittance.structured_reference[:60],
        "reference_kind": str(remittance.reference_kind) if remittance.reference_kind else "",
        "remittance_text": remittance.unstructured,
        "remittance_documents": [
            [d.number, _text(d.amount_paid), _text(d.adjustment)] for d in remittance.documents
        ],
    }
    fields["dedupe_key"] = _dedupe_key(statement, entry, fields, detail is not None and len(entry.details) > 1)
    return fields


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dedupe_key(statement: Statement, entry: Entry, fields: dict[str, object], is_detail: bool) -> str:
    """``ref:`` + hash of the bank's reference and the booking's identity, else ``hash:`` + content hash."""
    amount = format(Decimal(fields["amount"]).normalize(), "f")  # type: ignore[arg-type]
    account = _compact(statement.account)
    booking = fields["booking_date"].isoformat() if fields["booking_date"] else ""  # type: ignore[attr-defined]
    if fields["bank_reference"]:
        parts = ["ref", account, str(fields["bank_reference"]), booking, amount, str(fields["sign"])]
        if is_detail:
            parts.append(str(fields["end_to_end_id"]))
        prefix = "ref:"
    else:
        parts = ["hash", account, str(fields["currency"]), booking,
                 fields["value_date"].isoformat() if fields["value_date"] else "",  # type: ignore[attr-defined]
                 amount, str(fields["sign"]), entry.customer_reference, str(fields["end_to_end_id"]),
                 str(fields["bank_transaction_code"]), str(fields["counterparty_name"]),
                 str(fields["counterparty_iban"]), str(fields["structured_reference"]), str(fields["remittance_text"])]
        prefix = "hash:"
    return prefix + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
