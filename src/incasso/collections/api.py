"""REST endpoints of the collections workbench: the worklist, contacts logged, promises to pay.

The worklist is the collector's own (team leaders may name another collector), as on the worklist
page. Logging a contact or a promise needs ``collections.work_customer`` on the account, like the
customer page's panel; the actions check the rest and answer with their stable error codes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from ninja import Field, Query, Router, Schema, Status

from incasso.accounts.api import ERRORS, ApiError, ObjectId, PageOut, PageQuery, page_body, page_of, require
from incasso.audit.events import Actor
from incasso.collections.actions.activities import PromiseTerms, log_activity, record_promise
from incasso.collections.choices import ActivityKind, Outcome
from incasso.collections.models import Activity, Promise, WorklistEntry
from incasso.collections.queries import entries_for, latest_build_date, worklist_today
from incasso.ledger.api import visible_customer

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
