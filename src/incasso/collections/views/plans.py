"""Payment plan screens: propose from the customer page (with a schedule preview), the risk
approver's queue, and the plan page with its schedule and the next step."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.collections.actions.plans import (
    activate_plan,
    approve_plan,
    cancel_plan,
    preview_plan,
    propose_plan,
    reject_plan,
)
from incasso.collections.choices import PlanStatus
from incasso.collections.errors import CollectionsError
from incasso.collections.forms import PlanDecisionForm, PlanForm
from incasso.collections.models import PaymentPlan
from incasso.collections.plan_queries import plan_with_lines, plans, progress
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item
from incasso.ledger.portfolio import entity_today

PLANS_PER_PAGE = 50


def _proposing(request, pk: int) -> tuple[Customer, list[Item]]:  # type: ignore[no-untyped-def]
    customer = get_object_or_404(Customer.objects.select_related("entity"), pk=pk)
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied("This customer account is not in your portfolio.")
    if not request.user.has_perm("collections.propose_plan", customer):
        raise PermissionDenied("Your role does not propose payment plans for this account.")
    items = list(Item.objects.filter(customer=customer, open_amount__gt=0).exclude(kind__in=list(CREDIT_KINDS))
                 .order_by("due_date", "id")[:300])
    return customer, items


def propose(request, pk: int):  # type: ignore[no-untyped-def]
    customer, items = _proposing(request, pk)
    today = entity_today(customer.entity)
    if request.method == "POST":
        form = PlanForm(request.POST, items=items)
        if form.is_valid():
            try:
                plan = propose_plan(customer.pk, form.terms(), proposed_on=today, by=Actor.of(request.user))
            except CollectionsError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Payment plan proposed; it waits for a risk approver."))
                return redirect("plans:detail", pk=plan.pk)
    else:
        form = PlanForm(items=items, initial={"items": [i.pk for i in items if i.due_date < today],
                                              "first_due_date": today})
    return render(request, "collections/plans/propose.html", status=400 if form.errors else 200, context={
        "customer": customer, "items": items, "form": form, "today": today,
        "preview": _preview(customer, form, today) if form.is_bound else None,
    })


def _preview(customer: Customer, form: PlanForm, today: date) -> dict:
    if not form.is_valid():
        return {"error": "; ".join(" ".join(errors) for errors in form.errors.values())}
    try:
        return {"plan": preview_plan(customer.pk, form.terms(), today=today)}
    except CollectionsError as exc:
        return {"error": exc.message}


def preview(request, pk: int):  # type: ignore[no-untyped-def]
    customer, items = _proposing(request, pk)
    form = PlanForm(request.GET, items=items)
    return render(request, "collections/plans/_preview.html",
                  {"preview": _preview(customer, form, entity_today(customer.entity)), "customer": customer})


def plan_list(request):  # type: ignore[no-untyped-def]
    if not request.user.has_perm("collections.view_plans"):
        raise PermissionDenied("Your role does not see every account's payment plans.")
    approver = request.user.has_perm("collections.approve_plan")
    status = request.GET.get("status", PlanStatus.PROPOSED if approver else "")
    if status and status not in PlanStatus.values:
        status = ""
    page = Paginator(plans(status or None), PLANS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "collections/plans/list.html", {
        "page": page, "status": status, "statuses": PlanStatus.choices, "approver": approver,
    })


def _plan(request, pk: int) -> PaymentPlan:  # type: ignore[no-untyped-def]
    plan = plan_with_lines(pk)
    if plan is None:
        raise Http404("No such payment plan.")
    if not request.user.has_perm("collections.view_plan", plan):
        raise PermissionDenied("This payment plan's account is not in your portfolio.")
    return plan


def detail(request, pk: int, decision_form: PlanDecisionForm | None = None):  # type: ignore[no-untyped-def]
    plan = _plan(request, pk)
    today = entity_today(plan.customer.entity)
    outcome = progress(plan, today)
    rows = []
    live = {o.instalment.number: o for o in outcome.instalments} if outcome else {}
    for instalment in plan.instalments.all():
        judged = live.get(instalment.number)
        rows.append({"instalment": instalment, "status": judged.state if judged else instalment.status,
                     "paid": judged.paid if judged else instalment.paid_amount,
                     "cumulative": judged.cumulative_due if judged else None,
                     "deadline": judged.deadline if judged else None})
    user = request.user
    may_decide = plan.status == PlanStatus.PROPOSED and user.has_perm("collections.approve_plan", plan)
    return render(request, "collections/plans/detail.html", status=400 if decision_form is not None else 200, context={
        "plan": plan, "today": today, "rows": rows, "outcome": outcome,
        "lines": sorted(plan.lines.all(), key=lambda line: (line.item.due_date, line.item.number)),
        "may_decide": may_decide,
        "own_proposal": plan.status == PlanStatus.PROPOSED and plan.proposed_by_id == user.pk,
        "may_activate": plan.status == PlanStatus.APPROVED and user.has_perm("collections.manage_plan", plan),
        "may_cancel": plan.is_live and user.has_perm("collections.manage_plan", plan),
        "decision_form": decision_form or PlanDecisionForm(),
    })


def _step(request, pk: int, act, done: str):  # type: ignore[no-untyped-def]
    plan = _plan(request, pk)
    form = PlanDecisionForm(request.POST)
    if not form.is_valid():
        return detail(request, pk, decision_form=form)
    try:
        act(plan, form.cleaned_data["note"], entity_today(plan.customer.entity), Actor.of(request.user))
    except CollectionsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("plans:detail", pk=plan.pk)


@require_POST
def approve(request, pk: int):  # type: ignore[no-untyped-def]
    return _step(request, pk, lambda plan, note, today, by: approve_plan(plan.pk, on_date=today, by=by, note=note),
                 _("Payment plan approved."))


@require_POST
def reject(request, pk: int):  # type: ignore[no-untyped-def]
    return _step(request, pk, lambda plan, note, today, by: reject_plan(plan.pk, reason=note, on_date=today, by=by),
                 _("Payment plan rejected."))


@require_POST
def activate(request, pk: int):  # type: ignore[no-untyped-def]
    return _step(request, pk, lambda plan, note, today, by: activate_plan(plan.pk, on_date=today, by=by),
                 _("Payment plan started: its items are no longer dunned."))


@require_POST
def cancel(request, pk: int):  # type: ignore[no-untyped-def]
    return _step(request, pk, lambda plan, note, today, by: cancel_plan(plan.pk, reason=note, on_date=today, by=by),
                 _("Payment plan cancelled."))
