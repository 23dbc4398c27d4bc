"""Reading payment plans: what other parts ask (dunning blocks, the worklist, the customer page)
and what the plan screens and the CLI show. Each function is one query (or a fixed few)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet

from incasso.collections.actions.plans import plan_cash
from incasso.collections.choices import PlanStatus
from incasso.collections.models import Instalment, PaymentPlan, PlanItem
from incasso.core.collections.plans import PlanOutcome, ScheduledInstalment, judge_plan


def customers_with_active_plan(as_of: date, customer_ids: Iterable[int] | None = None) -> set[int]:
    """The accounts with a plan running on ``as_of`` (for the worklist: lowered, not hidden)."""
    plans = PaymentPlan.objects.filter(status=PlanStatus.ACTIVE, activated_on__lte=as_of)
    if customer_ids is not None:
        plans = plans.filter(customer_id__in=list(customer_ids))
    return set(plans.values_list("customer_id", flat=True).distinct())


def items_in_active_plan(item_ids: Iterable[int] | None = None, *, entity_ids: Iterable[int] | None = None
                         ) -> dict[int, int]:
    """``{item_id: plan_id}`` for the items of running plans (dunning leaves them alone)."""
    lines = PlanItem.objects.filter(is_live=True, plan__status=PlanStatus.ACTIVE)
    if item_ids is not None:
        lines = lines.filter(item_id__in=list(item_ids))
    if entity_ids is not None:
        lines = lines.filter(item__entity_id__in=list(entity_ids))
    return dict(lines.values_list("item_id", "plan_id"))


@dataclass(frozen=True)
class ItemPlan:
    """The live plan an item is in, for a chip on the customer page."""

    plan_id: int
    status: str
    instalment_count: int
    frequency: str
    first_due_date: date


def live_plans_of_items(item_ids: Iterable[int]) -> dict[int, ItemPlan]:
    """``{item_id: ItemPlan}`` for the items in a proposed, approved or active plan (one query)."""
    rows = (PlanItem.objects.filter(is_live=True, item_id__in=list(item_ids))
            .values_list("item_id", "plan_id", "plan__status", "plan__instalment_count", "plan__frequency",
                         "plan__first_due_date"))
    return {item_id: ItemPlan(plan_id, status, count, frequency, first)
            for item_id, plan_id, status, count, frequency, first in rows}


def plans(status: str | None = None, customer_id: int | None = None) -> QuerySet[PaymentPlan]:
    """Plans for the list screens and the CLI, newest first; the approval queue is ``status="proposed"``."""
    result = PaymentPlan.objects.select_related("customer", "customer__entity", "proposed_by", "decided_by")
    if status:
        result = result.filter(status=status)
    if customer_id is not None:
        result = result.filter(customer_id=customer_id)
    return result.order_by("-proposed_on", "-id")


def plans_of_customer(customer_id: int, limit: int = 10) -> list[PaymentPlan]:
    return list(PaymentPlan.objects.filter(customer_id=customer_id).order_by("-proposed_on", "-id")[:limit])


def plan_with_lines(plan_id: int) -> PaymentPlan | None:
    return (PaymentPlan.objects.select_related("customer", "customer__entity", "customer__collector", "proposed_by",
                                               "decided_by")
            .prefetch_related("lines__item", "instalments").filter(pk=plan_id).first())


def progress(plan: PaymentPlan, as_of: date) -> PlanOutcome | None:
    """A running plan judged live as of ``as_of`` (read only; the daily judgement stores it).
    ``None`` for plans that are not running: their stored instalment statuses say it all."""
    if plan.status != PlanStatus.ACTIVE:
        return None
    instalments: list[Instalment] = list(plan.instalments.all())
    covered = {line.item_id: line.amount for line in plan.lines.all()}
    return judge_plan([ScheduledInstalment(i.number, i.due_date, i.amount) for i in instalments], covered,
                      plan_cash(set(covered), as_of), since=plan.proposed_on, as_of=as_of,
                      tolerance_days=plan.tolerance_days)
