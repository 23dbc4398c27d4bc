"""The team leader's screens: workload per collector, reassignment, absences, tasks, strategies."""

from __future__ import annotations

from collections import Counter

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.collections.actions.portfolio import (
    apply_assignment_rules,
    assign_task,
    escalate_customer,
    plan_assignment,
    reassign_customer,
    seniors,
    set_absence,
)
from incasso.collections.actions.strategies import RuleSpec, publish_strategy
from incasso.collections.errors import CollectionsError
from incasso.collections.forms import AbsenceForm, EscalateForm, ReassignForm, RuleFormSet, StrategyForm, TaskForm
from incasso.collections.models import Absence, AssignmentRule, Escalation, Strategy, Task, WorklistEntry
from incasso.collections.queries import entries_for, latest_build_date, worklist_today
from incasso.collections.views.worklist import workload
from incasso.ledger.models import Customer


def _leader(request) -> None:  # type: ignore[no-untyped-def]
    if not request.user.has_perm("collections.lead_team"):
        raise PermissionDenied("Only team leaders manage the team.")


def team(request):  # type: ignore[no-untyped-def]
    _leader(request)
    today = worklist_today()
    as_of = latest_build_date(today)
    collector = request.GET.get("collector")
    accounts = entries_for(None, as_of)[:100] if as_of else WorklistEntry.objects.none()
    if collector:
        accounts = entries_for(None, as_of).filter(collector__username=collector)[:100] if as_of else accounts
    return render(request, "collections/team.html", {
        "as_of": as_of, "today": today, "workload": workload(as_of), "accounts": list(accounts),
        "collector": collector, "reassign_form": ReassignForm(), "absence_form": AbsenceForm(),
        "task_form": TaskForm(), "escalate_form": EscalateForm(seniors=seniors()),
        "escalations": list(Escalation.objects.filter(closed_on__isnull=True).select_related("customer", "senior")
                            .order_by("-escalated_on")[:20]),
        "absences": list(Absence.objects.filter(ends_on__gte=today)
                                                  .select_related("collector", "substitute")),
        "tasks": list(Task.objects.filter(done_at__isnull=True).select_related("assigned_to", "customer")[:50]),
    })


def _post(request, form_class, act):  # type: ignore[no-untyped-def]
    _leader(request)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            act(form.cleaned_data, Actor.of(request.user))
        except CollectionsError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()))
    return redirect(request.POST.get("next") or "collections:team")


@require_POST
def reassign(request):  # type: ignore[no-untyped-def]
    def act(data, by):  # type: ignore[no-untyped-def]
        customer = reassign_customer(data["customer"], data["collector"].pk, reason=data["reason"],
                                     as_of=worklist_today(), by=by)
        messages.success(request, _("%(account)s now belongs to %(collector)s.") % {
            "account": customer.account, "collector": data["collector"].get_username()})
    return _post(request, ReassignForm, act)


@require_POST
def absence(request):  # type: ignore[no-untyped-def]
    def act(data, by):  # type: ignore[no-untyped-def]
        set_absence(data["collector"].pk, data["substitute"].pk, data["starts_on"], data["ends_on"], by=by)
        messages.success(request, _("Substitute set. The next worklist build gives the accounts to the substitute."))
    return _post(request, AbsenceForm, act)


@require_POST
def task(request):  # type: ignore[no-untyped-def]
    def act(data, by):  # type: ignore[no-untyped-def]
        assign_task(data["collector"].pk, data["title"], data["due_on"], priority=data["priority"], by=by)
        messages.success(request, _("Task assigned."))
    return _post(request, TaskForm, act)


@require_POST
def escalate(request):  # type: ignore[no-untyped-def]
    """Escalate an account to a senior collector by hand: team leaders for any account, a collector for
    an account of their own portfolio (from the customer page)."""
    if not request.user.has_perm("collections.view_worklist"):
        raise PermissionDenied("Escalating is for collectors and team leaders.")
    form = EscalateForm(request.POST, seniors=seniors())
    back = url_has_allowed_host_and_scheme(request.POST.get("next"), allowed_hosts={request.get_host()}) \
        and request.POST.get("next") or reverse("collections:team")
    if not form.is_valid():
        messages.error(request, "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()))
        return redirect(back)
    customer = Customer.objects.filter(account=form.cleaned_data["account"].strip()).first()
    if customer is None:
        messages.error(request, _("No customer account %(account)s.") % {"account": form.cleaned_data["account"]})
        return redirect(back)
    if not request.user.has_perm("collections.lead_team") and customer.collector_id != request.user.pk:
        raise PermissionDenied("Only the account's collector or a team leader escalates it.")
    try:
        escalate_customer(customer.pk, form.cleaned_data["senior"].pk, reason=form.cleaned_data["reason"],
                          as_of=worklist_today(), by=Actor.of(request.user))
        messages.success(request, _("%(account)s escalated to %(senior)s.") % {
            "account": customer.account, "senior": form.cleaned_data["senior"].get_username()})
    except CollectionsError as exc:
        messages.error(request, exc.message)
    return redirect(back)


def assignment(request):  # type: ignore[no-untyped-def]
    """Assignment rules: what applying them would move (preview), and applying them (POST)."""
    _leader(request)
    if request.method == "POST":
        moved = apply_assignment_rules(as_of=worklist_today(), by=Actor.of(request.user))
        messages.success(request, ngettext("%(n)s account moved to the collector of its rule.",
                                           "%(n)s accounts moved to the collectors of their rules.", moved)
                         % {"n": moved})
        return redirect("collections:assignment")
    moves = plan_assignment()
    shown = moves[:PREVIEW_ROWS]
    per_target = Counter(m.target for m in moves)
    customers = Customer.objects.select_related("entity").in_bulk([m.customer_id for m in shown])
    users = get_user_model().objects.in_bulk(set(per_target) | {m.before for m in shown if m.before})
    return render(request, "collections/assignment.html", {
        "rules": list(AssignmentRule.objects.select_related("collector", "entity")),
        "moves": [(customers[m.customer_id], users.get(m.before), users[m.target]) for m in shown],
        "total": len(moves), "shown": len(shown),
        "per_target": [(users[pk], n) for pk, n in per_target.most_common()],
    })


PREVIEW_ROWS = 200


def strategies(request):  # type: ignore[no-untyped-def]
    _leader(request)
    return render(request, "collections/strategies.html", {
        "strategies": list(Strategy.objects.select_related("entity", "published_by").prefetch_related("rules")),
    })


def strategy_edit(request, code: str | None = None):  # type: ignore[no-untyped-def]
    _leader(request)
    current = get_object_or_404(Strategy, code=code, is_current=True) if code else None
    if request.method == "POST":
        form = StrategyForm(request.POST)
        rules = RuleFormSet(request.POST, prefix="rules")
        new_code = code or (request.POST.get("code") or "").strip()
        if form.is_valid() and rules.is_valid() and new_code:
            specs = [RuleSpec(r["condition"], r["threshold"], r["points"], r.get("window_days"), r.get("label", ""))
                     for r in rules.cleaned_data if r and not r.get("DELETE")]
            try:
                strategy = publish_strategy(new_code, name=form.cleaned_data["name"], rules=specs,
                                            segment=form.cleaned_data["segment"] or "",
                                            lowered_percent=form.cleaned_data["lowered_percent"],
                                            due_soon_days=form.cleaned_data["due_soon_days"], by=Actor.of(request.user))
                messages.success(request, _("Published %(name)s version %(version)s.") % {
                    "name": strategy.name, "version": strategy.version})
                return redirect("collections:strategies")
            except CollectionsError as exc:
                form.add_error(None, exc.message)
        elif not new_code:
            form.add_error(None, _("Give the strategy a code."))
    else:
        initial = {"lowered_percent": 50, "due_soon_days": 7}
        rule_rows = []
        if current:
            initial = {"name": current.name, "segment": current.segment, "lowered_percent": current.lowered_percent,
                       "due_soon_days": current.due_soon_days}
            rule_rows = [{"condition": r.condition, "threshold": r.threshold, "points": r.points,
                          "window_days": r.window_days, "label": r.label} for r in current.rules.all()]
        form = StrategyForm(initial=initial)
        rules = RuleFormSet(initial=rule_rows, prefix="rules")
    return render(request, "collections/strategy_edit.html", {"form": form, "rules": rules, "current": current,
                                                               "code": code})
