"""Remittance advices in: import (X12 820, CSV/XLSX), link each to the bank line it describes.

An advice is stored once per file and position (re-importing a file adds nothing and says so);
then every unlinked advice is offered the open bank credits (unmatched or proposed, not yet linked)
and linked when one stands out (``incasso.core.matching.remittance``: same amount and currency,
date window, and the reference, IBAN or payer name), with the facts that matched as its reason.
Linking happens on import, at the start of every matching run (new bank lines may have arrived),
and by hand. The matching run then reads the advice's invoice list for the line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.choices import LineState
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import BankLine, RemittanceAdvice
from incasso.core.bank import parse_bytes
from incasso.core.bank.detect import X12, detect
from incasso.core.bank.model import Sign, Statement
from incasso.core.bank.remittance_table import parse_remittance_rows
from incasso.core.bank.tabular import read_rows
from incasso.core.matching.remittance import DAYS_AFTER, DAYS_BEFORE, AdviceFacts, LineFacts, best_link

OPEN_STATES = (LineState.UNMATCHED, LineState.PROPOSED)


@dataclass
class RemittanceReport:
    file_name: str
    added: int = 0
    already: int = 0
    linked: list[str] = field(default_factory=list)
    unlinked: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.file_name}: {self.added} remittance advice(s) added, {self.already} already imported, "
                f"{len(self.linked)} linked to a bank line, {len(self.unlinked)} waiting for their payment")


def parse_remittance(data: bytes, file_name: str) -> list[Statement]:
    """X12 820 by content, else a CSV/XLSX advice; ParseError names file, line and column."""
    if detect(data) == X12:
        return parse_bytes(data, file_name)
    kind, rows = read_rows(data, file_name)
    return [parse_remittance_rows(rows, file=file_name, file_kind=kind)]


def import_remittance_file(path: str | Path, *, by: Actor) -> RemittanceReport:
    path = Path(path)
    return import_remittance_bytes(path.read_bytes(), path.name, by=by)


def import_remittance_bytes(data: bytes, file_name: str, *, by: Actor) -> RemittanceReport:
    """Store the file's advices (all or nothing) and link each to its bank line when one fits."""
    statements = parse_remittance(data, file_name)
    sha256 = hashlib.sha256(data).hexdigest()
    report = RemittanceReport(file_name=file_name)
    with transaction.atomic():
        known = set(RemittanceAdvice.objects.filter(sha256=sha256).values_list("position", flat=True))
        new = []
        for statement in statements:
            for entry in statement.entries:
                if entry.sign != Sign.CREDIT:
                    continue
                position = f"{statement.position} {entry.position}".strip()[:200] \
                    if statement.position != entry.position else entry.position[:200]
                if position in known:
                    report.already += 1
                    continue
                new.append(RemittanceAdvice(
                    file_name=file_name[:255], sha256=sha256, format=statement.format[:16], position=position,
                    payer_name=entry.counterparty_name[:200], payer_iban=entry.counterparty_iban[:34],
                    payer_account=entry.customer_reference[:40] if statement.format.startswith("remittance") else "",
                    amount=entry.amount, currency=entry.currency or statement.currency,
                    payment_date=entry.booking_date or entry.value_date,
                    reference=(entry.end_to_end_id or entry.bank_reference)[:80],
                    documents=[[d.number, _text(d.amount_paid), _text(d.adjustment), d.adjustment_reason]
                               for d in entry.remittance.documents],
                    imported_by=by.user,
                ))
        RemittanceAdvice.objects.bulk_create(new)
        report.added = len(new)
        if new:  # a file already imported adds nothing and, like a bank statement, leaves no event
            record(EventKind.REMITTANCE_IMPORTED, actor=by, subject_type="remittance_file", subject_id=sha256[:16],
                   message=f"{file_name}: {report.added} remittance advice(s) imported, "
                           f"{report.already} already known",
                   after={"added": report.added, "already": report.already})
    added_ids = list(RemittanceAdvice.objects.filter(sha256=sha256).values_list("pk", flat=True))
    for advice_id, linked, reason in link_remittances(by=by, advice_ids=added_ids):
        (report.linked if linked else report.unlinked).append(f"RA-{advice_id}: {reason}")
    return report


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _facts(line: BankLine) -> LineFacts:
    return LineFacts(line.pk, line.amount, line.currency, line.booking_date or line.value_date,
                     (line.end_to_end_id, line.bank_reference, line.structured_reference), line.remittance_text,
                     line.counterparty_name, line.counterparty_iban)


def link_remittances(*, by: Actor, advice_ids: list[int] | None = None) -> list[tuple[int, bool, str]]:
    """Link unlinked advices to open bank credits; ``(advice id, linked?, reason)`` for each one tried."""
    advices = RemittanceAdvice.objects.filter(line__isnull=True).order_by("pk")
    if advice_ids is not None:
        advices = advices.filter(pk__in=advice_ids)
    results = []
    for advice in advices:
        with transaction.atomic():
            lines = BankLine.objects.filter(sign="CRDT", state__in=OPEN_STATES, currency=advice.currency,
                                            amount=advice.amount, remittance_advice__isnull=True)
            if advice.payment_date:
                lines = lines.filter(booking_date__gte=advice.payment_date - timedelta(days=DAYS_BEFORE),
                                     booking_date__lte=advice.payment_date + timedelta(days=DAYS_AFTER))
            facts = AdviceFacts(advice.amount, advice.currency, advice.payment_date, advice.reference,
                                advice.payer_name, advice.payer_iban)
            best, reason = best_link(facts, [_facts(line) for line in lines.order_by("pk")[:200]])
            if best is None:
                RemittanceAdvice.objects.filter(pk=advice.pk).update(link_reason=f"not linked: {reason}"[:2000])
                results.append((advice.pk, False, reason))
                continue
            line = BankLine.objects.select_for_update(of=("self",)).get(pk=best.line_id)
            if line.state not in OPEN_STATES or RemittanceAdvice.objects.filter(line=line).exists():
                results.append((advice.pk, False, "the line was applied or linked meanwhile"))
                continue
            _link(advice, line, reason, by=by)
            results.append((advice.pk, True, reason))
    return results


def _link(advice: RemittanceAdvice, line: BankLine, reason: str, *, by: Actor) -> None:
    advice.line, advice.link_reason = line, reason
    advice.linked_by, advice.linked_at = by.user, timezone.now()
    advice.save(update_fields=["line", "link_reason", "linked_by", "linked_at"])
    record(EventKind.REMITTANCE_LINKED, actor=by, subject_type="bank_line", subject_id=line.pk,
           message=f"Remittance advice {advice.number} ({advice.payer_name}, {len(advice.documents)} document(s)) "
                   f"linked to bank line {line.line_ref}: {reason}",
           after={"advice": advice.pk, "documents": len(advice.documents)})


@transaction.atomic
def link_remittance_by_hand(advice_id: int, line_id: int, *, by: Actor) -> RemittanceAdvice:
    """A person links an advice the rules could not place (amounts differ, two equal payments...)."""
    advice = RemittanceAdvice.objects.select_for_update().filter(pk=advice_id).first()
    if advice is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"remittance advice {advice_id} does not exist")
    line = BankLine.objects.select_for_update(of=("self",)).filter(pk=line_id).first()
    if line is None:
        raise CashError(CashErrorCode.NOT_FOUND, f"bank line {line_id} does not exist")
    if advice.line_id is not None:
        raise CashError(CashErrorCode.ALREADY_DECIDED, f"{advice.number} is already linked to a bank line")
    if line.state not in OPEN_STATES or not line.is_credit:
        raise CashError(CashErrorCode.LINE_NOT_OPEN, f"bank line {line.line_ref} is not an open credit")
    if RemittanceAdvice.objects.filter(line=line).exists():
        raise CashError(CashErrorCode.ALREADY_DECIDED, f"bank line {line.line_ref} already has a remittance advice")
    _link(advice, line, f"linked by hand by {by.label}", by=by)
    return advice


def advice_documents(advice: RemittanceAdvice) -> tuple[tuple[str, Decimal | None, Decimal | None], ...]:
    """The advice's invoice list in the matching engine's shape."""
    return documents_of(advice.documents)


def documents_of(documents: list[list[object]]) -> tuple[tuple[str, Decimal | None, Decimal | None], ...]:
    def amount(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    return tuple((str(number), amount(paid), amount(deduction)) for number, paid, deduction, *_reason in documents)
