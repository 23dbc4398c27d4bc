from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.core.disputes import deadline_status
from incasso.core.money import ZERO, MoneyError, parse_amount, quantize
from incasso.disputes import actions
from incasso.disputes.actions import deadlines
from incasso.disputes.analytics import as_dict, dispute_analytics
from incasso.disputes.choices import OPEN_STATUSES, CaseStatus, Resolution, SettlementStatus, WriteOffStatus
from incasso.disputes.errors import DisputeError
from incasso.disputes.exports import xlsx_bytes
from incasso.disputes.filters import SORTS, CaseFilter
from incasso.disputes.forms import (
    AssignForm,
    AttachmentForm,
    DeescalateForm,
    ExtendDeadlineForm,
    NoteForm,
    OpenCaseForm,
    ResolveForm,
)
from incasso.disputes.models import CaseAttachment, DisputeCase, DisputeLine
from incasso.disputes.queries import disputed_amounts
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item
from incasso.ledger.portfolio import customers_visible_to, entity_todays

CASES_PER_PAGE = 50
EVENTS_PER_PAGE = 50


def _today() -> date:
    todays = entity_todays()
    return min(todays.values()) if todays else timezone.localdate()


def _visible_cases(user: Any) -> Any:
    return DisputeCase.objects.filter(customer__in=customers_visible_to(user))


def _list(request: Any, cases: Any, *, inbox: bool) -> HttpResponse:
    todays = entity_todays()
    today = min(todays.values()) if todays else timezone.localdate()
    cases = cases.select_related("customer", "entity", "reason", "department", "resolver", "owner")
    case_filter = CaseFilter(request.GET, queryset=cases, request=request, today=today)
    sort = request.GET.get("sort", "deadline")
    order = SORTS.get(sort.lstrip("-"), "deadline")
    queryset = case_filter.qs.order_by(f"-{order}" if sort.startswith("-") else order, "id")
    page = Paginator(queryset, CASES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(case, deadline_status(case.deadline, todays.get(case.entity_id, today), case.entity.country)
             if case.is_open else None) for case in page.object_list]
    return render(request, "disputes/case_list.html", {
        "filter": case_filter, "page": page, "rows": rows, "inbox": inbox, "today": today,
        "filtered": any(v for k, v in request.GET.items() if k not in {"sort", "page"}),
        "can_bulk_assign": request.user.has_perm("disputes.bulk_assign"),
        "can_bulk_resolve": request.user.has_perm("disputes.bulk_resolve"),
        "assign_form": AssignForm(prefix="bulk"), "resolve_form": ResolveForm(prefix="bulk"),
    })


def case_list(request: Any) -> HttpResponse:
    return _list(request, _visible_cases(request.user), inbox=False)


def inbox(request: Any) -> HttpResponse:
    """The resolver's inbox: their cases, and their departments' cases nobody has picked up yet."""
    user = request.user
    cases = DisputeCase.objects.filter(
        Q(resolver=user) | Q(resolver__isnull=True, department__members=user), status__in=list(OPEN_STATUSES))
    return _list(request, cases.distinct(), inbox=True)


def _visible_case(request: Any, pk: int) -> DisputeCase:
    case = get_object_or_404(
        DisputeCase.objects.select_related("customer__entity", "customer__collector", "entity", "reason",
                                           "department", "resolver", "owner", "root_cause", "resolved_by"), pk=pk)
    if not request.user.has_perm("disputes.view_case", case):
        raise PermissionDenied("This dispute case belongs to a customer outside your portfolio.")
    return case


def case_detail(request: Any, pk: int, forms: dict[str, Any] | None = None) -> HttpResponse:
    case = _visible_case(request, pk)
    user = request.user
    lines = list(case.lines.select_related("item").order_by("item__due_date", "item_id"))
    blocked = disputed_amounts(item_ids=[line.item_id for line in lines])
    line_rows = [(line, blocked.get(line.item_id, 0), line.item.open_amount - blocked.get(line.item_id, 0))
                 for line in lines]
    events = AuditEvent.objects.filter(subject_type="dispute", subject_id=str(case.pk)).select_related("actor")
    events_page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("events_page"))
    settlements = list(case.settlements.select_related("credit_item"))
    waiting = [s for s in settlements if s.status == SettlementStatus.REQUESTED]
    credits = []
    if waiting:
        credits = list(Item.objects.filter(customer_id=case.customer_id, kind__in=list(CREDIT_KINDS),
                                           currency=case.currency).exclude(open_amount=0).order_by("-document_date")[:20])
    proposals = list(case.write_off_proposals.select_related("proposed_by").filter(status=WriteOffStatus.PROPOSED))
    today = _today()
    forms = forms or {}
    perms = {name: user.has_perm(f"disputes.{name}", case) for name in (
        "assign_case", "investigate_case", "resolve_case", "confirm_case", "reopen_case", "note_case",
        "approve_write_off", "extend_deadline", "deescalate_case")}
    return render(request, "disputes/case_detail.html", status=400 if forms else 200, context={
        "case": case, "line_rows": line_rows, "events_page": events_page, "settlements": settlements,
        "waiting_settlements": waiting, "credits": credits, "proposals": proposals,
        "attachments": list(case.attachments.defer("content")),
        "deadline_status": deadline_status(case.deadline, today, case.entity.country) if case.is_open else None,
        "perms": perms, "statuses": CaseStatus,
        "can_start": case.status in (CaseStatus.ASSIGNED, CaseStatus.WAITING_CUSTOMER, CaseStatus.WAITING_INTERNAL),
        "can_wait": case.status in (CaseStatus.IN_INVESTIGATION, CaseStatus.WAITING_CUSTOMER,
                                    CaseStatus.WAITING_INTERNAL),
        "can_resolve": case.status in (CaseStatus.ASSIGNED, CaseStatus.IN_INVESTIGATION,
                                       CaseStatus.WAITING_CUSTOMER, CaseStatus.WAITING_INTERNAL),
        "assign_form": forms.get("assign") or AssignForm(initial={"department": case.department,
                                                                  "resolver": case.resolver}),
        "resolve_form": forms.get("resolve") or ResolveForm(),
        "note_form": forms.get("note") or NoteForm(),
        "extend_form": forms.get("extend_deadline") or ExtendDeadlineForm(initial={"deadline": case.deadline}),
        "deescalate_form": forms.get("deescalate") or DeescalateForm(
            initial={"level": max(case.escalation_level - 1, 0)}),
        "attachment_form": AttachmentForm(),
    })


def _run(request: Any, case: DisputeCase, step: Callable[[], Any], done: str) -> HttpResponse:
    try:
        step()
    except DisputeError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("disputes:case_detail", pk=case.pk)


@require_POST
def case_action(request: Any, pk: int) -> HttpResponse:
    """One endpoint for the case page's buttons; each calls one action, which checks the permission."""
    case = _visible_case(request, pk)
    by = Actor.of(request.user)
    action = request.POST.get("action", "")
    note = request.POST.get("note", "")
    if action == "assign":
        form = AssignForm(request.POST)
        if not form.is_valid():
            return case_detail(request, pk, {"assign": form})
        return _run(request, case, lambda: actions.assign_case(
            case.pk, by=by, department_code=form.cleaned_data["department"].code,
            resolver=form.cleaned_data["resolver"]), _("Case assigned."))
    if action == "resolve":
        form = ResolveForm(request.POST)
        if not form.is_valid():
            return case_detail(request, pk, {"resolve": form})
        data = form.cleaned_data
        return _run(request, case, lambda: actions.resolve_case(
            case.pk, data["resolution"], by=by, root_cause_code=data["root_cause"].code, note=data["note"],
            accepted_amount=data["accepted_amount"]), _("Case resolved."))
    if action == "extend_deadline":
        form = ExtendDeadlineForm(request.POST)
        if not form.is_valid():
            return case_detail(request, pk, {"extend_deadline": form})
        return _run(request, case, lambda: deadlines.extend_deadline(
            case.pk, form.cleaned_data["deadline"], by=by, reason=form.cleaned_data["reason"]),
            _("Deadline changed."))
    if action == "deescalate":
        form = DeescalateForm(request.POST)
        if not form.is_valid():
            return case_detail(request, pk, {"deescalate": form})
        return _run(request, case, lambda: deadlines.deescalate_case(
            case.pk, by=by, reason=form.cleaned_data["reason"], level=form.cleaned_data["level"]),
            _("Case de-escalated."))
    if action == "note":
        form = NoteForm(request.POST)
        if not form.is_valid():
            return case_detail(request, pk, {"note": form})
        return _run(request, case, lambda: actions.add_note(case.pk, form.cleaned_data["text"], by=by),
                    _("Note added."))
    if action == "attach":
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a file to attach."))
            return redirect("disputes:case_detail", pk=case.pk)
        upload = form.cleaned_data["file"]
        return _run(request, case, lambda: actions.attach_file(
            case.pk, file_name=upload.name, content=upload.read(), content_type=upload.content_type or "", by=by),
            _("File attached."))
    simple = {
        "start": (lambda: actions.start_investigation(case.pk, by=by, note=note), _("Investigation started.")),
        "wait_customer": (lambda: actions.wait_for_customer(case.pk, by=by, note=note),
                          _("Waiting for the customer.")),
        "wait_internal": (lambda: actions.wait_for_internal(case.pk, by=by, note=note),
                          _("Waiting for an internal answer.")),
        "close": (lambda: actions.close_case(case.pk, by=by, note=note),
                  _("Case closed: confirmed with the customer.")),
        "reopen": (lambda: actions.reopen_case(case.pk, by=by, reason=request.POST.get("reason", "")),
                   _("Case reopened.")),
        "propose_write_off": (lambda: actions.propose_write_off(case.pk, by=by, note=note),
                              _("Write-off proposed; an approver must confirm it.")),
        "approve_write_off": (lambda: actions.decide_write_off(int(request.POST.get("proposal", 0)), approve=True,
                                                               by=by), _("Write-off approved.")),
        "reject_write_off": (lambda: actions.decide_write_off(int(request.POST.get("proposal", 0)), approve=False,
                                                              by=by), _("Write-off rejected.")),
        "clear": (lambda: actions.clear_settlement(int(request.POST.get("settlement", 0)),
                                                   int(request.POST.get("credit_item", 0)), by=by),
                  _("Credit note cleared against the disputed items.")),
    }
    if action not in simple:
        raise Http404(f"unknown action {action!r}")
    step, done = simple[action]
    return _run(request, case, step, done)


def attachment(request: Any, pk: int, attachment_pk: int) -> HttpResponse:
    case = _visible_case(request, pk)
    document = get_object_or_404(CaseAttachment, pk=attachment_pk, case=case)
    response = HttpResponse(bytes(document.content), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    return response


def open_case(request: Any, customer_pk: int) -> HttpResponse:
    """Open a dispute from the customer page: pick items, the disputed part of each, the reason."""
    customer = get_object_or_404(Customer.objects.select_related("entity"), pk=customer_pk)
    if not request.user.has_perm("disputes.open_case", customer):
        raise PermissionDenied("Your role may not open disputes for this customer.")
    items = list(Item.objects.filter(customer=customer).exclude(open_amount=0).exclude(kind__in=list(CREDIT_KINDS))
                 .order_by("due_date", "id")[:200])
    blocked = disputed_amounts(item_ids=[i.pk for i in items])
    preselected = request.GET.get("item", "")
    errors: list[str] = []
    form = OpenCaseForm(request.POST or None)
    entered: dict[int, str] = {}
    if request.method == "POST":
        lines = []
        for item in items:
            raw = request.POST.get(f"amount_{item.pk}", "").strip()
            entered[item.pk] = raw
            if not raw:
                continue
            try:
                lines.append((item.pk, parse_amount(raw)))
            except MoneyError:
                errors.append(_("%(item)s: %(value)s is not an amount.") % {"item": item.number, "value": raw})
        if not lines and not errors:
            errors.append(_("Enter the disputed amount of at least one item."))
        if form.is_valid() and not errors:
            try:
                case = actions.open_dispute(
                    customer.pk, lines, form.cleaned_data["reason"].code, by=Actor.of(request.user),
                    description=form.cleaned_data["description"], priority=form.cleaned_data["priority"])
            except DisputeError as error:
                errors.append(error.message)
            else:
                messages.success(request, _("Dispute %(number)s opened.") % {"number": case.number})
                return redirect("disputes:case_detail", pk=case.pk)
    rows = [(item, blocked.get(item.pk, 0), item.open_amount - blocked.get(item.pk, 0),
             entered.get(item.pk, str(item.open_amount - blocked.get(item.pk, 0)) if str(item.pk) == preselected
                         else "")) for item in items]
    return render(request, "disputes/open_case.html", {
        "customer": customer, "rows": rows, "form": form, "errors": errors,
    }, status=400 if request.method == "POST" else 200)


@require_POST
def bulk(request: Any) -> HttpResponse:
    """Assign several cases, or resolve several with the same resolution; each goes through its action."""
    by = Actor.of(request.user)
    ids = [int(pk) for pk in request.POST.getlist("case") if pk.isdigit()]
    cases = list(_visible_cases(request.user).filter(pk__in=ids).values_list("pk", flat=True))
    action = request.POST.get("action")
    done, failed = 0, []
    if action == "assign":
        if not request.user.has_perm("disputes.bulk_assign"):
            raise PermissionDenied
        form = AssignForm(request.POST, prefix="bulk")
        if not form.is_valid():
            messages.error(request, _("Choose a department to assign the cases to."))
            return redirect(request.POST.get("next") or "disputes:case_list")
        for pk in cases:
            try:
                actions.assign_case(pk, by=by, department_code=form.cleaned_data["department"].code,
                                    resolver=form.cleaned_data["resolver"])
                done += 1
            except DisputeError as error:
                failed.append(f"DC-{pk:06d}: {error.message}")
    elif action == "resolve":
        if not request.user.has_perm("disputes.bulk_resolve"):
            raise PermissionDenied
        form = ResolveForm(request.POST, prefix="bulk")
        if not form.is_valid() or form.cleaned_data["resolution"] == Resolution.PARTIALLY_ACCEPTED:
            messages.error(request, _("Choose a resolution (not a partial one) and a root cause."))
            return redirect(request.POST.get("next") or "disputes:case_list")
        data = form.cleaned_data
        for pk in cases:
            try:
                actions.resolve_case(pk, data["resolution"], by=by, root_cause_code=data["root_cause"].code,
                                     note=data["note"])
                done += 1
            except DisputeError as error:
                failed.append(f"DC-{pk:06d}: {error.message}")
    else:
        raise Http404("unknown bulk action")
    if done:
        messages.success(request, _("%(count)d case(s) updated.") % {"count": done})
    for problem in failed:
        messages.error(request, problem)
    next_url = request.POST.get("next", "")
    return redirect(next_url if next_url.startswith("/disputes/") else "disputes:case_list")


def customer_panel(request: Any, customer_pk: int) -> HttpResponse:
    """The customer page's dispute panel (loaded by htmx): open cases, disputed vs undisputed."""
    customer = get_object_or_404(Customer, pk=customer_pk)
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied
    cases = list(DisputeCase.objects.filter(customer=customer).filter(
        Q(status__in=list(OPEN_STATUSES)) | Q(lines__blocked_amount__gt=0)).distinct()
        .select_related("reason", "department").prefetch_related(
            Prefetch("lines", queryset=DisputeLine.objects.select_related("item"))).order_by("deadline"))
    blocked = disputed_amounts(customer_ids=[customer.pk])
    open_items = Item.objects.filter(customer=customer).exclude(open_amount=0).exclude(kind__in=list(CREDIT_KINDS))
    totals: dict[str, dict[str, Any]] = {}
    for item_id, currency, open_amount in open_items.values_list("pk", "currency", "open_amount"):
        row = totals.setdefault(currency, {"currency": currency, "open": quantize(ZERO, currency),
                                           "disputed": quantize(ZERO, currency)})
        row["open"] += open_amount
        row["disputed"] += blocked.get(item_id, 0)
    for row in totals.values():
        row["undisputed"] = row["open"] - row["disputed"]
    return render(request, "disputes/_customer_panel.html", {
        "customer": customer, "cases": cases, "totals": sorted(totals.values(), key=lambda r: r["currency"]),
        "can_open": request.user.has_perm("disputes.open_case", customer),
    })


def analytics(request: Any) -> HttpResponse:
    if not request.user.has_perm("disputes.view_analytics"):
        raise PermissionDenied
    today = _today()
    errors = []
    try:
        end = date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today
        start = date.fromisoformat(request.GET["from"]) if request.GET.get("from") else end - timedelta(days=89)
    except ValueError:
        errors.append(_("Dates are written YYYY-MM-DD."))
        end, start = today, today - timedelta(days=89)
    if end < start:
        errors.append(_("The period ends before it starts."))
        start = end
    report = dispute_analytics(start, end, as_of=min(end, today))
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(xlsx_bytes(report),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="disputes-{start}-{end}.xlsx"'
        return response
    data = as_dict(report)
    charts = {
        "age": {"labels": [b["bucket"] for b in data["open"]["by_age"]],
                "open": [b["count"] for b in data["open"]["by_age"]],
                "late": [b["late"] for b in data["open"]["by_age"]],
                "l_open": _("Open cases"), "l_late": _("Late")},
        "pareto": {"labels": [r["root_cause"] for r in data["root_cause_pareto"]["by_count"]],
                   "count": [r["count"] for r in data["root_cause_pareto"]["by_count"]],
                   "cumulative": [float(r["cumulative_share"]) for r in data["root_cause_pareto"]["by_count"]],
                   "l_count": _("Cases"), "l_cumulative": _("Cumulative %")},
        "reason": {"labels": [r["key"] for r in data["cycle_time_by"]["reason"]],
                   "mean": [float(r["mean"]) for r in data["cycle_time_by"]["reason"]],
                   "median": [float(r["median"]) for r in data["cycle_time_by"]["reason"]],
                   "l_mean": _("Mean days"), "l_median": _("Median days")},
    }
    return render(request, "disputes/analytics.html", {
        "report": report, "data": data, "charts": charts, "start": start, "end": end, "errors": errors,
        "export_query": f"from={start.isoformat()}&to={end.isoformat()}&format=xlsx",
    })
