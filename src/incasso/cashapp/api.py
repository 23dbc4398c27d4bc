"""REST endpoints of cash application: bank files, the queue of bank lines, deciding proposals.

Reading needs ``cashapp.view_cash`` and changing ``cashapp.apply_cash``, exactly as the screens
(the controller reads, the cash application team acts). Importing, applying, rejecting and
unapplying are the cash application actions, with their stable error codes.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.db.models import Count, Prefetch, Q
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from incasso.accounts.api import ERRORS, ApiError, ObjectId, PageOut, PageQuery, page_body, page_of, require
from incasso.audit.events import Actor
from incasso.cashapp.actions import apply_match, import_statement_bytes, reject_match, unapply
from incasso.cashapp.choices import LineState, ProposalStatus
from incasso.cashapp.models import BankFile, BankLine, MatchProposal
from incasso.core.bank import ParseError

router = Router(tags=["cash application"])

TO_WORK = (LineState.UNMATCHED, LineState.PROPOSED, LineState.PARTIALLY_APPLIED)


def _reader(request: Any) -> None:
    require(request, "cashapp.view_cash",
            message="cash application is for the cash application team, administrators and controllers")


def _actor(request: Any) -> None:
    _reader(request)
    require(request, "cashapp.apply_cash", message="your role reads cash application but does not change it")


class BankFileOut(Schema):
    id: int
    file_name: str
    sha256: str
    size: int
    imported_at: datetime
    imported_by: str | None
    statements: int
    lines: int
    lines_to_work: int


class BankFilePageOut(PageOut):
    results: list[BankFileOut]


@router.get("/cash/files", response={200: BankFilePageOut, **ERRORS}, summary="Imported bank files, newest first")
def file_list(request: Any, paging: Query[PageQuery]) -> dict[str, Any]:
    _reader(request)
    files = (BankFile.objects.select_related("imported_by").annotate(
        n_statements=Count("statements", distinct=True), n_lines=Count("statements__lines"),
        n_to_work=Count("statements__lines",
                        filter=Q(statements__lines__state__in=TO_WORK, statements__lines__sign="CRDT")),
    ).order_by("-imported_at", "-pk"))
    count, rows = page_of(files, paging)
    return page_body(count, paging, [{
        "id": f.pk, "file_name": f.file_name, "sha256": f.sha256, "size": f.size, "imported_at": f.imported_at,
        "imported_by": f.imported_by.get_username() if f.imported_by_id else None, "statements": f.n_statements,
        "lines": f.n_lines, "lines_to_work": f.n_to_work,
    } for f in rows])


class ImportOut(Schema):
    file_id: int | None
    file_name: str
    dry_run: bool
    already_imported: str
    lines_added: int
    duplicates: int
    warnings: list[str]
    summary: str


@router.post("/cash/files", response={201: ImportOut, **ERRORS},
             summary="Import a bank statement file (camt.053/054, MT940, BAI2, CODA, Norma 43, CFONB120)")
def import_file(request: Any, file: File[UploadedFile], dry_run: bool = False) -> Status[dict[str, Any]]:
    _actor(request)
    try:
        report = import_statement_bytes(file.read(), file.name or "upload", by=Actor.of(request.user),
                                        dry_run=dry_run)
    except ParseError as error:
        raise ApiError("unreadable_file", str(error), field="file") from None
    return Status(201, {"file_id": report.file_pk, "file_name": report.file_name, "dry_run": report.dry_run,
                        "already_imported": report.already_imported, "lines_added": report.lines_added,
                        "duplicates": report.duplicates, "warnings": report.warnings, "summary": report.summary()})


class AllocationOut(Schema):
    item_id: int
    amount: Decimal
    discount: Decimal


class ProposalOut(Schema):
    id: int
    customer_id: int | None
    confidence: Decimal
    reason: str
    stage: str
    status: str
    residual: Decimal
    residual_kind: str
    allocations: list[AllocationOut]


class BankLineOut(Schema):
    id: int
    statement_id: int
    entity: str | None
    booking_date: date | None
    value_date: date | None
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    structured_reference: str
    remittance_text: str
    bank_reference: str
    state: str
    customer_id: int | None
    proposal: ProposalOut | None = Field(description="the live proposal (proposed or applied), if any")


class BankLinePageOut(PageOut):
    results: list[BankLineOut]


class LineQuery(Schema):
    state: Literal["unmatched", "proposed", "applied", "partial", "ignored", "all"] | None = Field(
        None, description="default: the lines to work (unmatched, proposed, partially applied)")
    entity: ObjectId | None = Field(None, description="legal entity id")
    date_from: date | None = None
    date_to: date | None = None
    q: str | None = Field(None, description="counterparty, remittance text, reference, bank reference, account")


def _proposal(proposal: MatchProposal | None) -> dict[str, Any] | None:
    if proposal is None:
        return None
    return {
        "id": proposal.pk, "customer_id": proposal.customer_id, "confidence": proposal.confidence,
        "reason": proposal.reason, "stage": proposal.stage, "status": proposal.status, "residual": proposal.residual,
        "residual_kind": proposal.residual_kind,
        "allocations": [{"item_id": int(a["item_id"]), "amount": Decimal(a["amount"]),
                         "discount": Decimal(a.get("discount") or 0)} for a in proposal.allocations],
    }


def _line(line: BankLine) -> dict[str, Any]:
    live = line.live_proposals  # type: ignore[attr-defined]
    return {
        "id": line.pk, "statement_id": line.statement_id, "entity": line.entity.code if line.entity_id else None,
        "booking_date": line.booking_date, "value_date": line.value_date, "amount": line.amount,
        "currency": line.currency, "counterparty_name": line.counterparty_name,
        "counterparty_iban": line.counterparty_iban, "structured_reference": line.structured_reference,
        "remittance_text": line.remittance_text, "bank_reference": line.bank_reference, "state": line.state,
        "customer_id": line.customer_id, "proposal": _proposal(live[0] if live else None),
    }


@router.get("/cash/lines", response={200: BankLinePageOut, **ERRORS},
            summary="The queue of bank credit lines, with their live proposals")
def line_list(request: Any, query: Query[LineQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    _reader(request)
    lines = BankLine.objects.filter(sign="CRDT").select_related("entity")
    if query.state is None:
        lines = lines.filter(state__in=TO_WORK)
    elif query.state != "all":
        lines = lines.filter(state=query.state)
    if query.entity is not None:
        lines = lines.filter(entity_id=query.entity)
    if query.date_from:
        lines = lines.filter(booking_date__gte=query.date_from)
    if query.date_to:
        lines = lines.filter(booking_date__lte=query.date_to)
    if query.q and query.q.strip():
        q = query.q.strip()
        lines = lines.filter(Q(counterparty_name__icontains=q) | Q(remittance_text__icontains=q)
                             | Q(structured_reference__icontains=q.replace(" ", "")) | Q(bank_reference=q)
                             | Q(customer__account=q))
    lines = lines.order_by("booking_date", "pk").prefetch_related(Prefetch(
        "proposals", to_attr="live_proposals",
        queryset=MatchProposal.objects.exclude(status__in=[ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED])
        .order_by("-created_at", "-id"),
    ))
    count, rows = page_of(lines, paging)
    return page_body(count, paging, [_line(line) for line in rows])


def _line_by_id(line_id: int) -> dict[str, Any]:
    line = BankLine.objects.select_related("entity").prefetch_related(Prefetch(
        "proposals", to_attr="live_proposals",
        queryset=MatchProposal.objects.exclude(status__in=[ProposalStatus.REJECTED, ProposalStatus.SUPERSEDED])
        .order_by("-created_at", "-id"),
    )).get(pk=line_id)
    return _line(line)


class ApplyIn(Schema):
    idempotency_key: str | None = Field(None, max_length=60,
                                        description="repeat the same key to retry safely; default: a new one")


@router.post("/cash/proposals/{proposal_id}/apply", response={200: BankLineOut, **ERRORS},
             summary="Accept a queued match proposal: the line is applied as proposed, once")
def apply_proposal(request: Any, proposal_id: ObjectId, payload: ApplyIn) -> dict[str, Any]:
    _actor(request)
    proposal = apply_match(proposal_id, by=Actor.of(request.user),
                           idempotency_key=payload.idempotency_key or uuid.uuid4().hex)
    return _line_by_id(proposal.line_id)


class ReasonIn(Schema):
    reason: str = Field(min_length=1, max_length=200)


@router.post("/cash/proposals/{proposal_id}/reject", response={200: BankLineOut, **ERRORS},
             summary="Turn a proposal down, with the reason; the line goes back to unmatched")
def reject_proposal(request: Any, proposal_id: ObjectId, payload: ReasonIn) -> dict[str, Any]:
    _actor(request)
    proposal = reject_match(proposal_id, by=Actor.of(request.user), reason=payload.reason)
    return _line_by_id(proposal.line_id)


@router.post("/cash/lines/{line_id}/unapply", response={200: BankLineOut, **ERRORS},
             summary="Take a line's application back; the payment stays as unapplied cash")
def unapply_line(request: Any, line_id: ObjectId, payload: ReasonIn) -> dict[str, Any]:
    _actor(request)
    if not BankLine.objects.filter(pk=line_id).exists():
        raise ApiError("not_found", f"bank line {line_id} does not exist")
    unapply(line_id, by=Actor.of(request.user), reason=payload.reason)
    return _line_by_id(line_id)
