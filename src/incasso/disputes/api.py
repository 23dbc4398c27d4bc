"""REST endpoints of dispute management: open a case, list and read cases, move them, add notes.

Lists use the case list's filter (``CaseFilter``) over the cases of the customers the user sees; one
case is checked with ``disputes.view_case`` like the case page. Every change is one call of a
dispute action, which checks the role's permission and the state machine itself and answers with
the stable codes of ``incasso.disputes.errors``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth import get_user_model
from ninja import Field, Query, Router, Schema, Status

from incasso.accounts.api import (
    ERRORS,
    ApiError,
    ObjectId,
    PageOut,
    PageQuery,
    check_filters,
    not_found,
    page_body,
    page_of,
)
from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.disputes import actions
from incasso.disputes.actions import deadlines
from incasso.disputes.choices import CaseSource, EscalationLevel, Priority, Resolution
from incasso.disputes.filters import SORTS, CaseFilter
from incasso.disputes.models import DisputeCase
from incasso.disputes.queries import disputed_amounts
from incasso.ledger.api import visible_customer
from incasso.ledger.portfolio import customers_visible_to, entity_todays

router = Router(tags=["disputes"])

CaseSort = Literal["deadline", "-deadline", "opened", "-opened", "amount", "-amount", "customer", "-customer",
                   "level", "-level", "status", "-status", "number", "-number"]


class DisputeLineIn(Schema):
    item_id: ObjectId
    amount: Decimal = Field(description="the disputed part of the item's open amount", max_digits=18,
                            decimal_places=2)


class DisputeIn(Schema):
    customer_id: ObjectId
    reason: str = Field(description="reason code, e.g. PRICE, QUANTITY", min_length=1, max_length=40)
    lines: list[DisputeLineIn] = Field(min_length=1)
    description: str = Field("", max_length=4000)
    priority: Priority = Priority.NORMAL
    external_reference: str | None = Field(None, max_length=80, description="the customer's own reference")


class CaseOut(Schema):
    id: int
    number: str
    status: str
    customer_id: int
    account: str
    customer: str
    entity: str
    currency: str
    original_amount: Decimal
    disputed_amount: Decimal
    accepted_amount: Decimal
    reason: str
    priority: str
    source: str
    department: str
    owner: str | None
    resolver: str | None
    opened_on: date
    deadline: date
    escalation_level: int
    resolution: str
    resolved_on: date | None
    closed_on: date | None
    external_reference: str | None


class CaseLineOut(Schema):
    item_id: int
    item_number: str
    original_amount: Decimal
    disputed_amount: Decimal
    accepted_amount: Decimal
    blocked_amount: Decimal
    item_open_amount: Decimal
    undisputed_open_amount: Decimal = Field(description="what of the item's open amount no case blocks")


class TimelineEventOut(Schema):
    occurred_at: Any
    kind: str
    actor: str
    message: str


class CaseDetailOut(CaseOut):
    description: str
    resolution_note: str
    root_cause: str | None
    lines: list[CaseLineOut]
    timeline: list[TimelineEventOut] = Field(description="the case's audit events, newest first (at most 200)")


class CasePageOut(PageOut):
    results: list[CaseOut]


class CaseQuery(Schema):
    q: str | None = Field(None, description="customer name, account, case number, item number, reference")
    status: Literal["all", "new", "assigned", "investigating", "waiting_customer", "waiting_internal",
                    "resolved", "closed"] | None = Field(None, description="default: the open statuses")
    reason: str | None = Field(None, description="reason code")
    department: str | None = Field(None, description="department code")
    entity: str | None = Field(None, description="legal entity code")
    priority: Priority | None = None
    late: bool | None = None
    level: EscalationLevel | None = None
    customer: ObjectId | None = Field(None, description="customer id")
    sort: CaseSort = "deadline"


def _user(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _case(case: DisputeCase) -> dict[str, Any]:
    return {
        "id": case.pk, "number": case.number, "status": case.status, "customer_id": case.customer_id,
        "account": case.customer.account, "customer": case.customer.name, "entity": case.entity.code,
        "currency": case.currency, "original_amount": case.original_amount, "disputed_amount": case.disputed_amount,
        "accepted_amount": case.accepted_amount, "reason": case.reason.code, "priority": case.priority,
        "source": case.source, "department": case.department.code, "owner": _user(case.owner),
        "resolver": _user(case.resolver), "opened_on": case.opened_on, "deadline": case.deadline,
        "escalation_level": case.escalation_level, "resolution": case.resolution, "resolved_on": case.resolved_on,
        "closed_on": case.closed_on, "external_reference": case.external_reference,
    }


def _filter_data(query: CaseQuery) -> dict[str, str]:
    data: dict[str, str] = {}
    for name in ("q", "status", "reason", "department", "entity", "priority", "late", "level"):
        value = getattr(query, name)
        if value is not None:
            data[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return data


CASE_RELATED = ("customer", "entity", "reason", "department", "resolver", "owner")


@router.get("/disputes", response={200: CasePageOut, **ERRORS}, summary="Dispute cases of the customers you see")
def case_list(request: Any, query: Query[CaseQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    todays = entity_todays()
    today = min(todays.values()) if todays else date.today()  # noqa: DTZ011 - only when no entity exists
    cases = DisputeCase.objects.filter(customer__in=customers_visible_to(request.user)).select_related(*CASE_RELATED)
    if query.customer is not None:
        cases = cases.filter(customer_id=query.customer)
    case_filter = CaseFilter(_filter_data(query), queryset=cases, request=request, today=today)
    check_filters(case_filter)
    order = SORTS[query.sort.lstrip("-")]
    count, rows = page_of(case_filter.qs.order_by(f"-{order}" if query.sort.startswith("-") else order, "id"),
                          paging)
    return page_body(count, paging, [_case(case) for case in rows])


def _visible_case(request: Any, case_id: int) -> DisputeCase:
    case = (DisputeCase.objects.select_related(*CASE_RELATED, "root_cause").filter(pk=case_id).first())
    if case is None or not request.user.has_perm("disputes.view_case", case):
        raise not_found(f"dispute case {case_id}")
    return case


def _detail(case: DisputeCase) -> dict[str, Any]:
    lines = list(case.lines.select_related("item").order_by("item__due_date", "item_id"))
    blocked = disputed_amounts(item_ids=[line.item_id for line in lines])
    events = (AuditEvent.objects.filter(subject_type="dispute", subject_id=str(case.pk))
              .order_by("-occurred_at", "-id")[:200])
    return {
        **_case(case), "description": case.description, "resolution_note": case.resolution_note,
        "root_cause": case.root_cause.code if case.root_cause_id else None,
        "lines": [{
            "item_id": line.item_id, "item_number": line.item.number, "original_amount": line.original_amount,
            "disputed_amount": line.disputed_amount, "accepted_amount": line.accepted_amount,
            "blocked_amount": line.blocked_amount, "item_open_amount": line.item.open_amount,
            "undisputed_open_amount": line.item.open_amount - blocked.get(line.item_id, Decimal(0)),
        } for line in lines],
        "timeline": [{"occurred_at": e.occurred_at, "kind": e.kind, "actor": e.actor_label, "message": e.message}
                     for e in events],
    }


@router.get("/disputes/{case_id}", response={200: CaseDetailOut, **ERRORS},
            summary="One dispute case with its lines and timeline")
def case_detail(request: Any, case_id: ObjectId) -> dict[str, Any]:
    return _detail(_visible_case(request, case_id))


@router.post("/disputes", response={201: CaseDetailOut, **ERRORS},
             summary="Open a dispute case over items of one customer (disputed amount per item)")
def open_case(request: Any, payload: DisputeIn) -> Status[dict[str, Any]]:
    visible_customer(request, payload.customer_id)
    case = actions.open_dispute(
        payload.customer_id, [(line.item_id, line.amount) for line in payload.lines], payload.reason,
        by=Actor.of(request.user), description=payload.description, source=CaseSource.API,
        priority=payload.priority, external_reference=payload.external_reference,
    )
    return Status(201, _detail(_visible_case(request, case.pk)))


TransitionAction = Literal["assign", "start_investigation", "wait_for_customer", "wait_for_internal", "resolve",
                           "close", "reopen", "propose_write_off", "approve_write_off", "reject_write_off",
                           "extend_deadline", "deescalate"]


class TransitionIn(Schema):
    action: TransitionAction
    note: str = Field("", max_length=4000)
    department: str | None = Field(None, description="assign: department code (default: the current one)")
    resolver_id: ObjectId | None = Field(None, description="assign: the resolver's user id")
    resolution: Literal["accepted", "partial", "rejected"] | None = Field(None, description="resolve")
    root_cause: str | None = Field(None, description="resolve: root cause code")
    accepted_amount: Decimal | None = Field(None, description="resolve partial: the accepted part",
                                            max_digits=18, decimal_places=2)
    reason: str = Field("", max_length=500, description="reopen, extend_deadline, deescalate: why")
    deadline: date | None = Field(None, description="extend_deadline: the new deadline")
    level: int | None = Field(None, ge=0, le=3, description="deescalate: the level to go down to "
                                                           "(default: one level down)")
    proposal_id: ObjectId | None = Field(None, description="approve_write_off / reject_write_off")


def _needs(value: Any, field: str, action: str) -> Any:
    if value is None or value == "":
        raise ApiError("missing_resolution_data", f"{action} needs {field}", field=field)
    return value


@router.post("/disputes/{case_id}/transitions", response={200: CaseDetailOut, **ERRORS},
             summary="Move a case: assign, investigate, wait, resolve, close, reopen, write off, new deadline, "
                     "de-escalate")
def transition(request: Any, case_id: ObjectId, payload: TransitionIn) -> dict[str, Any]:
    case = _visible_case(request, case_id)
    by = Actor.of(request.user)
    action, note = payload.action, payload.note
    if action == "assign":
        if payload.resolver_id is not None and not get_user_model().objects.filter(pk=payload.resolver_id).exists():
            raise ApiError("not_found", f"no user {payload.resolver_id}", field="resolver_id")
        actions.assign_case(case.pk, by=by, department_code=payload.department, resolver=payload.resolver_id)
    elif action == "start_investigation":
        actions.start_investigation(case.pk, by=by, note=note)
    elif action == "wait_for_customer":
        actions.wait_for_customer(case.pk, by=by, note=note)
    elif action == "wait_for_internal":
        actions.wait_for_internal(case.pk, by=by, note=note)
    elif action == "resolve":
        resolution = _needs(payload.resolution, "resolution", action)
        if resolution == Resolution.PARTIALLY_ACCEPTED:
            _needs(payload.accepted_amount, "accepted_amount", "a partial acceptance")
        actions.resolve_case(case.pk, resolution, by=by, root_cause_code=_needs(payload.root_cause, "root_cause",
                                                                                action),
                             note=note, accepted_amount=payload.accepted_amount)
    elif action == "close":
        actions.close_case(case.pk, by=by, note=note)
    elif action == "reopen":
        actions.reopen_case(case.pk, by=by, reason=payload.reason)
    elif action == "extend_deadline":
        deadlines.extend_deadline(case.pk, _needs(payload.deadline, "deadline", action), by=by,
                                  reason=payload.reason)
    elif action == "deescalate":
        deadlines.deescalate_case(case.pk, by=by, reason=payload.reason, level=payload.level)
    elif action == "propose_write_off":
        actions.propose_write_off(case.pk, by=by, note=note)
    else:
        proposal_id = _needs(payload.proposal_id, "proposal_id", action)
        if not case.write_off_proposals.filter(pk=proposal_id).exists():
            raise ApiError("not_found", f"write-off proposal {proposal_id} is not one of {case.number}",
                           field="proposal_id")
        actions.decide_write_off(proposal_id, approve=action == "approve_write_off", by=by)
    return _detail(_visible_case(request, case.pk))


class NoteIn(Schema):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/disputes/{case_id}/notes", response={201: CaseDetailOut, **ERRORS},
             summary="Add a note to the case timeline")
def add_note(request: Any, case_id: ObjectId, payload: NoteIn) -> Status[dict[str, Any]]:
    case = _visible_case(request, case_id)
    actions.add_note(case.pk, payload.text, by=Actor.of(request.user))
    return Status(201, _detail(_visible_case(request, case.pk)))

