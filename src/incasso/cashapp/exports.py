"""The cash application export: one row per allocation a bank line made (or proposes), and one per
line nothing was applied from, so a controller can tie cash received to what it cleared."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from incasso.cashapp.choices import Application, LineState, ProposalStatus
from incasso.cashapp.models import BankLine, MatchProposal
from incasso.ledger.models import Allocation, Item

COLUMNS = ("statement", "line_ref", "entity", "account", "item_number", "amount", "status", "confidence", "reason")


def export_rows() -> Iterator[tuple[str, ...]]:
    """Rows of ``COLUMNS``; status is auto | proposed | manual | unmatched. Four queries in all."""
    lines = list(BankLine.objects.filter(sign="CRDT").select_related("statement", "entity", "customer")
                 .order_by("statement_id", "sequence"))
    by_payment = {line.payment_item_id: line for line in lines if line.payment_item_id}
    allocations: dict[int, list[tuple[str, str, str]]] = {}
    for credit_id, number, amount, account in (
            Allocation.objects.filter(credit_item_id__in=list(by_payment), reversed_on__isnull=True,
                                      debit_item__isnull=False)
            .exclude(debit_item__number__startswith="TRF-").exclude(debit_item__number__startswith="WO-")
            .order_by("pk")
            .values_list("credit_item_id", "debit_item__number", "amount", "debit_item__customer__account")):
        allocations.setdefault(by_payment[credit_id].pk, []).append((number, str(amount), account))
    proposals: dict[int, MatchProposal] = {}
    for proposal in MatchProposal.objects.filter(line__in=lines).exclude(
            status__in=[ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED]).order_by("created_at", "pk"):
        proposals[proposal.line_id] = proposal  # the latest live proposal per line
    item_ids = {int(a["item_id"]) for p in proposals.values() for a in p.allocations}
    items = dict(Item.objects.filter(pk__in=item_ids).values_list("pk", "number"))
    for line in lines:
        statement = line.statement.statement_id or f"S{line.statement_id}"
        entity = line.entity.code if line.entity else ""
        account = line.customer.account if line.customer else ""
        proposal = proposals.get(line.pk)
        confidence = str(proposal.confidence) if proposal else ""
        reason = proposal.reason if proposal else ""
        made = allocations.get(line.pk, [])
        if made:
            status = "auto" if line.application == Application.AUTO else "manual"
            if line.application == Application.MANUAL:
                confidence, reason = "", "allocated by hand"
            for number, amount, item_account in made:
                yield (statement, line.line_ref, entity, item_account, number, amount, status, confidence, reason)
        elif proposal is not None and proposal.status == ProposalStatus.PROPOSED and proposal.allocations:
            for allocation in proposal.allocations:
                yield (statement, line.line_ref, entity, account, items.get(int(allocation["item_id"]), ""),
                       allocation["amount"], "proposed", confidence, reason)
        elif line.state != LineState.APPLIED:
            yield (statement, line.line_ref, entity, account, "", str(line.amount), "unmatched", confidence, reason)


def write_csv(out: IO[str]) -> int:
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in export_rows():
        writer.writerow(row)
        count += 1
    return count
