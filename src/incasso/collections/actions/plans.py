"""Payment plans: propose, approve or reject (four-eyes), start, cancel, and the daily judgement.

The life of a plan::

    proposed ──approve──▶ approved ──activate──▶ active ──judge──▶ completed | broken
        │                    │                     │
        └─reject─▶ rejected  └──────cancel─────────┴──▶ cancelled   (cancel also from proposed)

Each step is one function that owns its transaction, locks the plan row (and, when proposing, the
covered items in primary-key order so that two collectors cannot put one invoice in two plans; a
partial unique index backs that up), checks who acts, and writes an audit event with the status
before and after. The schedule comes from the pure core (``incasso.core.collections.plans``).

``judge_plans(as_of)`` runs in the daily cycle after cash application: every active plan is judged
from the allocations on its covered items, its instalments' statuses are stored, a plan whose
every instalment is kept is completed, and one missed instalment breaks the plan: its items are
dunned again from the next run and the account's collector is notified, as for a broken promise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q

from incasso.audit import events
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.choices import PlanFrequency, PlanStatus
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Instalment, Notification, PaymentPlan, PlanItem
from incasso.core.collections.plans import PlanCash, PlanError, ScheduledInstalment, judge_plan, plan_schedule
from incasso.core.money import ZERO, quantize
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Allocation, Customer, Item

DEFAULT_TOLERANCE_DAYS = 3
MAX_INSTALMENTS = 60


@dataclass(frozen=True)
class PlanTerms:
    """What the collector agreed with the customer. ``items`` pairs each item with the amount the
    plan covers (``None``: its whole open amount)."""

    items: tuple[tuple[int, Decimal | None], ...]
    instalment_count: int
    frequency: PlanFrequency
    first_due_date: date
    down_payment: Decimal = ZERO
    down_payment_due: date | None = None
    fee_amount: Decimal = ZERO
    interest_amount: Decimal = ZERO
    tolerance_days: int = DEFAULT_TOLERANCE_DAYS
    note: str = ""


@dataclass(frozen=True)
class PlanPreview:
    currency: str
    total: Decimal
    covered: tuple[tuple[Item, Decimal], ...]
    schedule: tuple[ScheduledInstalment, ...]


def _fail(code: CollectionsErrorCode, message: str) -> CollectionsError:
    return CollectionsError(code, message)


def _require(by: Actor, permission: str, obj: object, what: str) -> None:
    """Refuse the step unless the acting user holds ``permission`` (jobs and the CLI act as system)."""
    if by.user is not None and not by.user.has_perm(permission, obj):
        raise _fail(CollectionsErrorCode.NOT_ALLOWED, f"{by.label} may not {what}")


def _customer(customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise _fail(CollectionsErrorCode.NOT_FOUND, f"customer {customer_id} does not exist")
    return customer


def _covered(customer: Customer, terms: PlanTerms, *, lock: bool) -> tuple[str, tuple[tuple[Item, Decimal], ...]]:
    """The covered items with their amounts, checked: debit items of this account, one currency,
    each covered for a positive amount up to its open amount."""
    if not terms.items:
        raise _fail(CollectionsErrorCode.INVALID_PLAN, "a payment plan covers at least one item")
    wanted = dict(terms.items)
    query = Item.objects.filter(pk__in=sorted(wanted)).order_by("pk")
    if lock:
        query = query.select_for_update()
    found = list(query)
    wrong = sorted({i.pk for i in found if i.customer_id != customer.pk} | (set(wanted) - {i.pk for i in found}))
    if wrong:
        raise _fail(CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT, f"item(s) {wrong} are not on account {customer.account}")
    if any(i.kind in CREDIT_KINDS for i in found):
        raise _fail(CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT, "a payment plan covers invoices, not credits")
    currencies = sorted({i.currency for i in found})
    if len(currencies) > 1:
        raise _fail(CollectionsErrorCode.INVALID_PLAN,
                    f"a payment plan is in one currency; these items are in {', '.join(currencies)}")
    covered = []
    for item in found:
        amount = item.open_amount if wanted[item.pk] is None else quantize(wanted[item.pk], item.currency)
        if amount <= 0:
            raise _fail(CollectionsErrorCode.AMOUNT_NOT_POSITIVE, f"{item.number} has nothing open to cover")
        if amount > item.open_amount:
            raise _fail(CollectionsErrorCode.INVALID_PLAN,
                        f"{item.number}: {amount} is more than its open amount {item.open_amount}")
        covered.append((item, amount))
    return currencies[0], tuple(covered)


def _schedule(currency: str, total: Decimal, terms: PlanTerms, today: date) -> tuple[ScheduledInstalment, ...]:
    if not 1 <= terms.instalment_count <= MAX_INSTALMENTS:
        raise _fail(CollectionsErrorCode.INVALID_PLAN,
                    f"a plan has 1 to {MAX_INSTALMENTS} instalments, not {terms.instalment_count}")
    if terms.first_due_date < today or (terms.down_payment_due is not None and terms.down_payment_due < today):
        raise _fail(CollectionsErrorCode.DATE_IN_PAST, f"the schedule starts before today ({today})")
    if terms.fee_amount < 0 or terms.interest_amount < 0 or terms.tolerance_days < 0:
        raise _fail(CollectionsErrorCode.INVALID_PLAN, "fee, interest and tolerance days cannot be negative")
    try:
        return plan_schedule(total, currency, count=terms.instalment_count, frequency=terms.frequency,
                             first_due_date=terms.first_due_date, down_payment=quantize(terms.down_payment, currency),
                             down_payment_due=terms.down_payment_due)
    except PlanError as error:
        raise _fail(CollectionsErrorCode.INVALID_PLAN, str(error)) from None


def preview_plan(customer_id: int, terms: PlanTerms, *, today: date) -> PlanPreview:
    """The schedule the terms would make, without writing anything (the proposal form's preview)."""
    customer = _customer(customer_id)
    currency, covered = _covered(customer, terms, lock=False)
    total = sum((amount for _item, amount in covered), ZERO)
    return PlanPreview(currency, total, covered, _schedule(currency, total, terms, today))


def propose_plan(customer_id: int, terms: PlanTerms, *, proposed_on: date, by: Actor) -> PaymentPlan:
    """A collector proposes a plan; it waits for a risk approver."""
    customer = _customer(customer_id)
    _require(by, "collections.propose_plan", customer, f"propose payment plans for {customer.account}")
    with transaction.atomic():
        currency, covered = _covered(customer, terms, lock=True)
        taken = (PlanItem.objects.filter(item__in=[item for item, _ in covered], is_live=True)
                 .select_related("item").order_by("item_id").first())
        if taken is not None:
            raise _fail(CollectionsErrorCode.ITEM_IN_PLAN,
                        f"{taken.item.number} is already in payment plan {taken.plan_id}")
        total = sum((amount for _item, amount in covered), ZERO)
        schedule = _schedule(currency, total, terms, proposed_on)
        try:
            with transaction.atomic():
                plan = PaymentPlan.objects.create(
                    customer=customer, currency=currency, total_amount=total,
                    down_payment=quantize(terms.down_payment, currency),
                    down_payment_due=terms.down_payment_due if terms.down_payment > 0 else None,
                    instalment_count=terms.instalment_count, frequency=terms.frequency,
                    first_due_date=terms.first_due_date, fee_amount=quantize(terms.fee_amount, currency),
                    interest_amount=quantize(terms.interest_amount, currency), tolerance_days=terms.tolerance_days,
                    note=terms.note.strip(), proposed_by=by.user, proposed_on=proposed_on,
                )
                PlanItem.objects.bulk_create([PlanItem(plan=plan, item=item, amount=amount)
                                              for item, amount in covered])
        except IntegrityError:
            raise _fail(CollectionsErrorCode.ITEM_IN_PLAN,
                        "one of these items was put in a plan a moment ago by someone else") from None
        Instalment.objects.bulk_create([Instalment(plan=plan, number=line.number, due_date=line.due_date,
                                                   amount=line.amount) for line in schedule])
        record(EventKind.PLAN_PROPOSED, actor=by, subject_type="payment_plan", subject_id=plan.pk,
               customer_id=customer.pk,
               message=f"Payment plan {plan.pk} proposed: {total} {currency} in {terms.instalment_count} "
                       f"{terms.frequency} instalments from {terms.first_due_date.isoformat()}"
                       + (f" after a down payment of {plan.down_payment}" if plan.down_payment else "")
                       + f" for {', '.join(item.number for item, _ in covered)}",
               after={"status": PlanStatus.PROPOSED, "total": str(total), "currency": currency,
                      "items": {item.number: str(amount) for item, amount in covered},
                      "schedule": [[line.number, line.due_date.isoformat(), str(line.amount)] for line in schedule],
                      "fee": str(plan.fee_amount), "interest": str(plan.interest_amount)})
    return plan


def _locked_plan(plan_id: int) -> PaymentPlan:
    plan = (PaymentPlan.objects.select_for_update(of=("self",)).select_related("customer")
            .filter(pk=plan_id).first())
    if plan is None:
        raise _fail(CollectionsErrorCode.NOT_FOUND, f"payment plan {plan_id} does not exist")
    return plan


def _expect(plan: PaymentPlan, *statuses: PlanStatus, step: str) -> None:
    if plan.status not in statuses:
        raise _fail(CollectionsErrorCode.PLAN_STATE,
                    f"payment plan {plan.pk} is {plan.get_status_display().lower()}; it cannot be {step}")


def _transition(plan: PaymentPlan, kind: EventKind, status: PlanStatus, *, by: Actor, message: str,
                fields: list[str], extra: dict | None = None) -> PaymentPlan:
    before = plan.status
    plan.status = status
    plan.save(update_fields=["status", *fields])
    if status not in (PlanStatus.PROPOSED, PlanStatus.APPROVED, PlanStatus.ACTIVE):
        plan.lines.update(is_live=False)
    record(kind, actor=by, subject_type="payment_plan", subject_id=plan.pk, customer_id=plan.customer_id,
           message=message, before={"status": before}, after={"status": status, **(extra or {})})
    return plan


def _decider(plan: PaymentPlan, by: Actor, step: str) -> None:
    """Four-eyes: a person with the risk approver's role who did not propose the plan."""
    if by.user is None:
        raise _fail(CollectionsErrorCode.NOT_ALLOWED, f"a payment plan is {step} by a person, not by {by.label}")
    if by.user.pk == plan.proposed_by_id:
        raise _fail(CollectionsErrorCode.SAME_APPROVER,
                    f"four-eyes: payment plan {plan.pk} is {step} by someone other than its proposer")
    _require(by, "collections.approve_plan", plan, f"decide on payment plan {plan.pk}")


@transaction.atomic
def approve_plan(plan_id: int, *, on_date: date, by: Actor, note: str = "") -> PaymentPlan:
    """A risk approver approves a proposed plan (never their own proposal)."""
    plan = _locked_plan(plan_id)
    _expect(plan, PlanStatus.PROPOSED, step="approved")
    _decider(plan, by, "approved")
    plan.decided_by, plan.decided_on, plan.decision_note = by.user, on_date, note.strip()
    return _transition(plan, EventKind.PLAN_APPROVED, PlanStatus.APPROVED, by=by,
                       message=f"Payment plan {plan.pk} approved" + (f": {note.strip()}" if note.strip() else ""),
                       fields=["decided_by", "decided_on", "decision_note"])


@transaction.atomic
def reject_plan(plan_id: int, *, reason: str, on_date: date, by: Actor) -> PaymentPlan:
    """A risk approver rejects a proposed plan, saying why; its items are free again."""
    if not reason.strip():
        raise _fail(CollectionsErrorCode.INVALID_PLAN, "say why the plan is rejected")
    plan = _locked_plan(plan_id)
    _expect(plan, PlanStatus.PROPOSED, step="rejected")
    _decider(plan, by, "rejected")
    plan.decided_by, plan.decided_on, plan.decision_note = by.user, on_date, reason.strip()
    plan.ended_on, plan.end_reason = on_date, reason.strip()[:300]
    return _transition(plan, EventKind.PLAN_REJECTED, PlanStatus.REJECTED, by=by,
                       message=f"Payment plan {plan.pk} rejected: {reason.strip()}",
                       fields=["decided_by", "decided_on", "decision_note", "ended_on", "end_reason"])


@transaction.atomic
def activate_plan(plan_id: int, *, on_date: date, by: Actor) -> PaymentPlan:
    """The customer agreed to the approved plan: it starts, and its items leave dunning."""
    plan = _locked_plan(plan_id)
    _expect(plan, PlanStatus.APPROVED, step="started")
    _require(by, "collections.manage_plan", plan, f"start payment plan {plan.pk}")
    plan.activated_on = on_date
    return _transition(plan, EventKind.PLAN_ACTIVATED, PlanStatus.ACTIVE, by=by,
                       message=f"Payment plan {plan.pk} started: the customer agreed",
                       fields=["activated_on"], extra={"activated_on": on_date.isoformat()})


@transaction.atomic
def cancel_plan(plan_id: int, *, reason: str, on_date: date, by: Actor) -> PaymentPlan:
    """Withdraw a plan before its end (wrong entry, superseded); its items are dunned again."""
    if not reason.strip():
        raise _fail(CollectionsErrorCode.INVALID_PLAN, "say why the plan is cancelled")
    plan = _locked_plan(plan_id)
    _expect(plan, PlanStatus.PROPOSED, PlanStatus.APPROVED, PlanStatus.ACTIVE, step="cancelled")
    _require(by, "collections.manage_plan", plan, f"cancel payment plan {plan.pk}")
    plan.ended_on, plan.end_reason = on_date, reason.strip()[:300]
    return _transition(plan, EventKind.PLAN_CANCELLED, PlanStatus.CANCELLED, by=by,
                       message=f"Payment plan {plan.pk} cancelled: {reason.strip()}",
                       fields=["ended_on", "end_reason"])


@dataclass(frozen=True)
class PlanJudgeResult:
    judged: int
    completed: int
    broken: int


def plan_cash(item_ids: set[int], as_of: date) -> list[PlanCash]:
    """The live allocations (as of ``as_of``) on the given items, in one query."""
    return [PlanCash(item_id, on, amount) for item_id, on, amount in
            Allocation.objects.filter(debit_item_id__in=item_ids)
            .filter(Q(reversed_on__isnull=True) | Q(reversed_on__gt=as_of))
            .values_list("debit_item_id", "date", "amount")]


def judge_plans(as_of: date, *, by: Actor) -> PlanJudgeResult:
    """Judge every active plan as of ``as_of``; store each instalment's status; complete or break plans."""
    with transaction.atomic():
        plans = list(PaymentPlan.objects.select_for_update(of=("self",)).filter(status=PlanStatus.ACTIVE)
                     .select_related("customer").order_by("pk"))
        if not plans:
            return PlanJudgeResult(0, 0, 0)
        covered: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for plan_id, item_id, amount in PlanItem.objects.filter(plan__in=plans).values_list("plan_id", "item_id",
                                                                                            "amount"):
            covered[plan_id][item_id] = amount
        instalments: dict[int, list[Instalment]] = defaultdict(list)
        for instalment in Instalment.objects.filter(plan__in=plans).order_by("plan_id", "number"):
            instalments[instalment.plan_id].append(instalment)
        cash = plan_cash({i for items in covered.values() for i in items}, as_of)
        audit, notices, changed_instalments, ended = [], [], [], []
        completed = broken = 0
        for plan in plans:
            by_number = {i.number: i for i in instalments[plan.pk]}
            schedule = [ScheduledInstalment(i.number, i.due_date, i.amount) for i in instalments[plan.pk]]
            outcome = judge_plan(schedule, covered[plan.pk], cash, since=plan.proposed_on, as_of=as_of,
                                 tolerance_days=plan.tolerance_days)
            for judged in outcome.instalments:
                row = by_number[judged.instalment.number]
                row.status, row.paid_amount, row.judged_on = judged.state, judged.paid, as_of
                changed_instalments.append(row)
            plan.paid_amount, plan.judged_on = outcome.paid, as_of
            if outcome.state == "active":
                continue
            before = plan.status
            plan.ended_on = as_of
            if outcome.state == "completed":
                completed += 1
                plan.status, kind = PlanStatus.COMPLETED, EventKind.PLAN_COMPLETED
                plan.end_reason = "every instalment kept"
                message = f"Payment plan {plan.pk} completed: {outcome.paid} {plan.currency} paid"
            elif (missed := outcome.first_missed) is not None:  # broken: the first missed instalment says why
                broken += 1
                plan.status, kind = PlanStatus.BROKEN, EventKind.PLAN_BROKEN
                what = "down payment" if missed.instalment.is_down_payment else f"instalment {missed.instalment.number}"
                plan.end_reason = (f"{what} due {missed.instalment.due_date.isoformat()} missed: "
                                   f"{missed.paid} of {missed.cumulative_due} {plan.currency} paid by "
                                   f"{missed.deadline.isoformat()}")
                message = f"Payment plan {plan.pk} broken: {plan.end_reason}"
                if plan.customer.collector_id:
                    notice = f"{plan.customer.account} {plan.customer.name}: {message}"
                    notices.append(Notification(user_id=plan.customer.collector_id, customer_id=plan.customer_id,
                                                message=notice[:300]))
            ended.append(plan)
            audit.append(events.build(kind, actor=by, subject_type="payment_plan", subject_id=plan.pk,
                                      customer_id=plan.customer_id, message=message, before={"status": before},
                                      after={"status": plan.status, "paid": str(outcome.paid),
                                             "judged_on": as_of.isoformat()}))
        Instalment.objects.bulk_update(changed_instalments, ["status", "paid_amount", "judged_on"], batch_size=1000)
        PaymentPlan.objects.bulk_update(plans, ["status", "paid_amount", "judged_on", "ended_on", "end_reason"],
                                        batch_size=1000)
        PlanItem.objects.filter(plan__in=ended).update(is_live=False)
        events.record_many(audit)
        Notification.objects.bulk_create(notices)
    return PlanJudgeResult(len(plans), completed, broken)

