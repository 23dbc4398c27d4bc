"""REST endpoints of the collections workbench: the worklist, contacts logged, promises to pay.

The worklist is the collector's own (team leaders may name another collector), as on the worklist
page. Logging a contact or a promise needs ``collections.work_customer`` on the account, like the
customer page's panel; the actions check the rest and answer with their stable error codes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth import get_user_model
from ninja import Field, Query, Router, Schema, Status

from incasso.accounts.api import ERRORS, ApiError, ObjectId, PageOut, PageQuery, page_body, page_of, require
from incasso.audit.events import Actor
from incasso.collections.actions.activities import PromiseTerms, log_activity, record_promise
from incasso.collections.actions.plans import (
    DEFAULT_TOLERANCE_DAYS,
    PlanTerms,
    activate_plan,
    approve_plan,
    cancel_plan,
    propose_plan,
    reject_plan,
)
from incasso.collections.choices import ActivityKind, Outcome, PlanFrequency, PlanStatus
from incasso.collections.models import Activity, PaymentPlan, Promise, WorklistEntry
from incasso.collections.plan_queries import plan_with_lines, plans
from incasso.collections.queries import entries_for, latest_build_date, worklist_today
from incasso.ledger.api import visible_customer
from incasso.ledger.portfolio import customers_visible_to, entity_today

router = Router(tags=["collections"])


class ReasonOut(Schema):
    code: str | None = Field(description="the strategy condition that scored, e.g. days_past_due")
    points: int
    value: Any = Field(None, description="the account's value for the condition")
    threshold: Any = Field(None, description="the strategy's threshold it was compared with")
    text: str | None = Field(None, description="the reason in words, for entries built before reason codes")


class WorklistEntryOut(Schema):
    id: int
    as_of: date
    collector: str
    customer_id: int
    account: str
    customer: str
    entity: str
    priority: int
    currency: str
    overdue_amount: Decimal
    due_soon_amount: Decimal
    max_days_past_due: int
    next_action: str
    next_action_on: date | None
    escalated: bool
    substitute_for: str | None
    lowered_because: list[str]
    reasons: list[ReasonOut] = Field(description="why the account is on the list, with the points of each")
    status: str


class WorklistOut(PageOut):
    as_of: date | None = Field(description="the date of the latest build on or before today (null: never built)")
    collector: str
    results: list[WorklistEntryOut]


class WorklistQuery(Schema):
    collector: str | None = Field(None, description="username; team leaders only (default: yourself)")
    include_done: bool = False


def _reason(stored: Any) -> dict[str, Any]:
    """A stored reason: ``[code, points, value, threshold]`` (reason codes) or ``{"text", "points"}``."""
    if isinstance(stored, dict):
        return {"code": stored.get("code"), "points": stored.get("points", 0), "value": stored.get("value"),
                "threshold": stored.get("threshold"), "text": stored.get("text")}
    code, points, *rest = stored
    return {"code": code, "points": points, "value": rest[0] if rest else None,
            "threshold": rest[1] if len(rest) > 1 else None, "text": None}


def _entry(entry: WorklistEntry) -> dict[str, Any]:
    return {
        "id": entry.pk, "as_of": entry.as_of, "collector": entry.collector.get_username(),
        "customer_id": entry.customer_id, "account": entry.customer.account, "customer": entry.customer.name,
        "entity": entry.customer.entity.code, "priority": entry.priority, "currency": entry.currency,
        "overdue_amount": entry.overdue_amount, "due_soon_amount": entry.due_soon_amount,
        "max_days_past_due": entry.max_days_past_due, "next_action": entry.next_action,
        "next_action_on": entry.next_action_on, "escalated": entry.escalated,
        "substitute_for": entry.substitute_for.get_username() if entry.substitute_for_id else None,
        "lowered_because": list(entry.lowered_because), "reasons": [_reason(r) for r in entry.reasons],
        "status": entry.status,
    }


@router.get("/worklist", response={200: WorklistOut, **ERRORS}, summary="Today's worklist, in priority order")
def worklist(request: Any, query: Query[WorklistQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    require(request, "collections.view_worklist", message="the worklist is for collectors and team leaders")
    collector = request.user
    if query.collector and query.collector != collector.get_username():
        require(request, "collections.lead_team", message="only team leaders open another collector's worklist")
        collector = get_user_model().objects.filter(username=query.collector).first()
        if collector is None:
            raise ApiError("not_found", f"no user {query.collector!r}", field="collector")
    as_of = latest_build_date(worklist_today())
    entries = entries_for(collector.pk, as_of, include_done=query.include_done) if as_of else \
        WorklistEntry.objects.none()
    count, rows = page_of(entries, paging)
    return {**page_body(count, paging, [_entry(e) for e in rows]), "as_of": as_of,
            "collector": collector.get_username()}


class PromiseIn(Schema):
    amount: Decimal = Field(gt=0, max_digits=18, decimal_places=2)
    promised_date: date
    item_ids: list[ObjectId] = Field(default_factory=list, description="the invoices the promise covers")
    tolerance_days: int = Field(3, ge=0, le=60)


class ActivityIn(Schema):
    kind: ActivityKind
    outcome: Outcome
    note: str = Field("", max_length=4000)
    contact_id: ObjectId | None = None
    item_ids: list[ObjectId] = Field(default_factory=list)
    follow_up_on: date | None = None
    promise: PromiseIn | None = Field(None, description="a promise to pay made during this contact")


class PromiseOut(Schema):
    id: int
    customer_id: int
    amount: Decimal
    currency: str
    promised_date: date
    taken_on: date
    status: str
    level: int
    tolerance_days: int
    item_ids: list[int]


class ActivityOut(Schema):
    id: int
    customer_id: int
    kind: str
    outcome: str
    note: str
    occurred_on: date
    follow_up_on: date | None
    contact_id: int | None
    created_by: str | None
    promise: PromiseOut | None = None


def _promise(promise: Promise) -> dict[str, Any]:
    return {
        "id": promise.pk, "customer_id": promise.customer_id, "amount": promise.amount, "currency": promise.currency,
        "promised_date": promise.promised_date, "taken_on": promise.taken_on, "status": promise.status,
        "level": promise.level, "tolerance_days": promise.tolerance_days,
        "item_ids": sorted(line.item_id for line in promise.lines.all()),
    }


def _activity(activity: Activity, promise: Promise | None = None) -> dict[str, Any]:
    return {
        "id": activity.pk, "customer_id": activity.customer_id, "kind": activity.kind, "outcome": activity.outcome,
        "note": activity.note, "occurred_on": activity.occurred_on, "follow_up_on": activity.follow_up_on,
        "contact_id": activity.contact_id,
        "created_by": activity.created_by.get_username() if activity.created_by_id else None,
        "promise": _promise(promise) if promise is not None else None,
    }


def _terms(promise: PromiseIn) -> PromiseTerms:
    return PromiseTerms(promise.amount, promise.promised_date, tuple(promise.item_ids), promise.tolerance_days)


@router.post("/customers/{customer_id}/activities", response={201: ActivityOut, **ERRORS},
             summary="Log a call, e-mail, meeting or note (with a promise to pay when one was made)")
def create_activity(request: Any, customer_id: ObjectId, payload: ActivityIn) -> Status[dict[str, Any]]:
    customer = visible_customer(request, customer_id, permission="collections.work_customer")
    activity = log_activity(
        customer.pk, kind=payload.kind, outcome=payload.outcome, occurred_on=worklist_today(),
        by=Actor.of(request.user), note=payload.note, contact_id=payload.contact_id,
        item_ids=tuple(payload.item_ids), follow_up_on=payload.follow_up_on,
        promise=_terms(payload.promise) if payload.promise is not None else None,
    )
    promise = activity.promises.prefetch_related("lines").first() if payload.promise is not None else None
    return Status(201, _activity(activity, promise))


class ActivityPageOut(PageOut):
    results: list[ActivityOut]


@router.get("/customers/{customer_id}/activities", response={200: ActivityPageOut, **ERRORS},
            summary="The contact history of a customer, newest first")
def activity_list(request: Any, customer_id: ObjectId, paging: Query[PageQuery]) -> dict[str, Any]:
    customer = visible_customer(request, customer_id)
    activities = (Activity.objects.filter(customer=customer).select_related("created_by")
                  .order_by("-occurred_on", "-id"))
    count, rows = page_of(activities, paging)
    return page_body(count, paging, [_activity(a) for a in rows])


@router.post("/customers/{customer_id}/promises", response={201: PromiseOut, **ERRORS},
             summary="Record a promise to pay on its own")
def create_promise(request: Any, customer_id: ObjectId, payload: PromiseIn) -> Status[dict[str, Any]]:
    customer = visible_customer(request, customer_id, permission="collections.work_customer")
    promise = record_promise(customer.pk, _terms(payload), taken_on=worklist_today(), by=Actor.of(request.user))
    return Status(201, _promise(Promise.objects.prefetch_related("lines").get(pk=promise.pk)))


class PromisePageOut(PageOut):
    results: list[PromiseOut]


@router.get("/customers/{customer_id}/promises", response={200: PromisePageOut, **ERRORS},
            summary="Promises to pay of a customer, newest first")
def promise_list(request: Any, customer_id: ObjectId, paging: Query[PageQuery]) -> dict[str, Any]:
    customer = visible_customer(request, customer_id)
    promises = Promise.objects.filter(customer=customer).prefetch_related("lines").order_by("-taken_on", "-id")
    count, rows = page_of(promises, paging)
    return page_body(count, paging, [_promise(p) for p in rows])


# --- payment plans -------------------------------------------------------------------------------
# A collector proposes for an account they work; a risk approver approves or rejects (never their own
# proposal); the plan then starts, and is judged daily. Same rules as the plan screens.

class PlanItemIn(Schema):
    item_id: ObjectId
    amount: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=2,
                                   description="the part of the item the plan covers (default: its open amount)")


class PlanIn(Schema):
    items: list[PlanItemIn] = Field(min_length=1)
    instalment_count: int = Field(ge=1, le=120)
    frequency: PlanFrequency
    first_due_date: date
    down_payment: Decimal = Field(Decimal(0), ge=0, max_digits=18, decimal_places=2)
    down_payment_due: date | None = None
    tolerance_days: int = Field(DEFAULT_TOLERANCE_DAYS, ge=0, le=60)
    note: str = Field("", max_length=2000)


class PlanStepIn(Schema):
    note: str = Field("", max_length=2000, description="approve: optional note; reject and cancel: the reason")


class InstalmentOut(Schema):
    number: int
    due_date: date
    amount: Decimal
    status: str
    paid_amount: Decimal


class PlanLineOut(Schema):
    item_id: int
    item_number: str
    amount: Decimal
    live: bool


class PlanOut(Schema):
    id: int
    customer_id: int
    account: str
    currency: str
    status: str
    total_amount: Decimal
    down_payment: Decimal
    instalment_count: int
    frequency: str
    first_due_date: date
    tolerance_days: int
    proposed_by: str | None
    proposed_on: date
    decided_by: str | None
    note: str


class PlanDetailOut(PlanOut):
    lines: list[PlanLineOut]
    instalments: list[InstalmentOut]


class PlanPageOut(PageOut):
    results: list[PlanOut]


class PlanListQuery(Schema):
    status: PlanStatus | None = None
    customer_id: ObjectId | None = None


def _plan(plan: PaymentPlan) -> dict[str, Any]:
    return {
        "id": plan.pk, "customer_id": plan.customer_id, "account": plan.customer.account, "currency": plan.currency,
        "status": plan.status, "total_amount": plan.total_amount, "down_payment": plan.down_payment,
        "instalment_count": plan.instalment_count, "frequency": plan.frequency,
        "first_due_date": plan.first_due_date, "tolerance_days": plan.tolerance_days,
        "proposed_by": _username(plan.proposed_by), "proposed_on": plan.proposed_on,
        "decided_by": _username(plan.decided_by), "note": plan.note,
    }


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


def _plan_detail(plan_id: int) -> dict[str, Any]:
    plan = plan_with_lines(plan_id)
    assert plan is not None  # the caller has just read or written it
    return _plan(plan) | {
        "lines": [{"item_id": line.item_id, "item_number": line.item.number, "amount": line.amount,
                   "live": line.is_live} for line in plan.lines.all()],
        "instalments": [{"number": i.number, "due_date": i.due_date, "amount": i.amount, "status": i.status,
                         "paid_amount": i.paid_amount} for i in plan.instalments.all()],
    }


def _visible_plan(request: Any, plan_id: int) -> PaymentPlan:
    plan = plan_with_lines(plan_id)
    if plan is None or not request.user.has_perm("collections.view_plan", plan):
        raise ApiError("not_found", f"no payment plan {plan_id}")
    return plan


@router.get("/plans", response={200: PlanPageOut, **ERRORS},
            summary="Payment plans of the accounts you see, newest first (status=proposed: the approval queue)")
def plan_list(request: Any, query: Query[PlanListQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    found = plans(query.status, query.customer_id).filter(customer__in=customers_visible_to(request.user))
    count, rows = page_of(found, paging)
    return page_body(count, paging, [_plan(p) for p in rows])


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **ERRORS},
            summary="One payment plan with its items and instalment schedule")
def plan_detail(request: Any, plan_id: ObjectId) -> dict[str, Any]:
    return _plan_detail(_visible_plan(request, plan_id).pk)


@router.post("/customers/{customer_id}/plans", response={201: PlanDetailOut, **ERRORS},
             summary="Propose a payment plan for items of the account (a risk approver decides)")
def propose(request: Any, customer_id: ObjectId, payload: PlanIn) -> Status[dict[str, Any]]:
    customer = visible_customer(request, customer_id, permission="collections.propose_plan")
    terms = PlanTerms(
        items=tuple((line.item_id, line.amount) for line in payload.items),
        instalment_count=payload.instalment_count, frequency=PlanFrequency(payload.frequency),
        first_due_date=payload.first_due_date, down_payment=payload.down_payment,
        down_payment_due=payload.down_payment_due, tolerance_days=payload.tolerance_days, note=payload.note,
    )
    plan = propose_plan(customer.pk, terms, proposed_on=entity_today(customer.entity), by=Actor.of(request.user))
    return Status(201, _plan_detail(plan.pk))


PlanStep = Literal["approve", "reject", "start", "cancel"]


@router.post("/plans/{plan_id}/{step}", response={200: PlanDetailOut, **ERRORS},
             summary="Approve or reject (risk approver, never the proposer), start or cancel a plan")
def plan_step(request: Any, plan_id: ObjectId, step: PlanStep, payload: PlanStepIn) -> dict[str, Any]:
    plan = _visible_plan(request, plan_id)
    by, today, note = Actor.of(request.user), entity_today(plan.customer.entity), payload.note
    if step == "approve":
        approve_plan(plan.pk, on_date=today, by=by, note=note)
    elif step == "reject":
        reject_plan(plan.pk, reason=note, on_date=today, by=by)
    elif step == "start":
        activate_plan(plan.pk, on_date=today, by=by)
    else:
        cancel_plan(plan.pk, reason=note, on_date=today, by=by)
    return _plan_detail(plan.pk)
