"""``{% load payment_plans %}``: the "in plan" chip on the customer page's open items.

``plan_chips`` gives the chips of a page's items at once, for the item rows that the ledger renders in
Python (``{% item_rows items chips ... %}``).

The ledger page lists the items; which of them are in a payment plan is the collections app's
knowledge, so the page asks through this tag (one query for the page's items) rather than the
ledger importing collections.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from incasso.collections.choices import PlanFrequency, PlanStatus
from incasso.collections.plan_queries import ItemPlan, live_plans_of_items

register = template.Library()


@register.simple_tag
def items_in_plan(rows: Iterable) -> dict[int, ItemPlan]:  # type: ignore[type-arg]
    """``{item_id: ItemPlan}`` for the page's items (rows are items or tuples starting with one)."""
    ids = [row[0].pk if isinstance(row, tuple) else row.pk for row in rows]
    return live_plans_of_items(ids) if ids else {}


@register.simple_tag
def plan_chips(rows: Iterable) -> dict[int, str]:  # type: ignore[type-arg]
    """``{item_id: chip HTML}`` for the page's items in a plan (one query), for rows rendered in Python."""
    in_plan = items_in_plan(rows)
    return {item_id: plan_chip(in_plan, item_id) for item_id in in_plan}


@register.simple_tag
def plan_chip(in_plan: dict[int, ItemPlan], item_id: int) -> str:
    """A chip linking to the item's plan: "In plan" when running, "Plan proposed/approved" before."""
    plan = in_plan.get(item_id)
    if plan is None:
        return ""
    label = _("In plan") if plan.status == PlanStatus.ACTIVE else (
        _("Plan proposed") if plan.status == PlanStatus.PROPOSED else _("Plan approved"))
    title = _("Payment plan #%(plan)s: %(count)s × %(frequency)s from %(first)s") % {
        "plan": plan.plan_id, "count": plan.instalment_count,
        "frequency": str(PlanFrequency(plan.frequency).label).lower(),
        "first": date_format(plan.first_due_date, "SHORT_DATE_FORMAT"),
    }
    css = "chip chip-in-plan" if plan.status == PlanStatus.ACTIVE else "chip chip-plan-proposed"
    return format_html('<a class="{}" href="{}" title="{}">{}</a>', css,
                       reverse("plans:detail", args=[plan.plan_id]), title, label)
