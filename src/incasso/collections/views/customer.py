"""The collections side panel of the customer page, loaded by htmx so the ledger page stays lean."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.audit.events import Actor
from incasso.collections.actions.activities import DisputeTerms, PromiseTerms, log_activity
from incasso.collections.actions.emails import compose_email, send_email
from incasso.collections.actions.portfolio import seniors
from incasso.collections.errors import CollectionsError
from incasso.collections.forms import ActivityForm, EmailForm, EscalateForm
from incasso.collections.models import Activity, Escalation, Promise
from incasso.collections.plan_queries import plans_of_customer
from incasso.collections.queries import worklist_today
from incasso.collections.rendering import WIDGETS
from incasso.core.kpi import PaidItem, average_days_late
from incasso.disputes.errors import DisputeError
from incasso.disputes.queries import active_reasons
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Contact, Customer, Item

TIMELINE = 15


def _customer(request, pk: int, *, change: bool) -> Customer:  # type: ignore[no-untyped-def]
    customer = get_object_or_404(Customer.objects.select_related("entity"), pk=pk)
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied("This customer account is not in your portfolio.")
    if change and not request.user.has_perm("collections.work_customer", customer):
        raise PermissionDenied("Your role reads customer accounts but does not work them.")
    return customer


def _next(request, customer: Customer) -> str:  # type: ignore[no-untyped-def]
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return customer_url(customer)


def customer_url(customer: Customer) -> str:
    from django.urls import reverse

    return reverse("ledger:customer_detail", args=[customer.pk])


def payment_behaviour(customer: Customer, since_days: int = 365) -> dict:
    """Average days late of invoices cleared in the last year (and the half-year before, for the trend),
    from the last allocation date of each fully cleared invoice."""
    from datetime import timedelta

    from django.db.models import Max

    today = worklist_today()
    cleared = (Item.objects.filter(customer=customer, open_amount=0).exclude(kind__in=list(CREDIT_KINDS))
               .annotate(paid_on=Max("debit_allocations__date")).filter(paid_on__gte=today - timedelta(days=since_days))
               .values_list("document_date", "due_date", "paid_on", "amount"))
    paid = [PaidItem(doc, due, on, amount) for doc, due, on, amount in cleared if on]
    recent = [p for p in paid if p.payment_date >= today - timedelta(days=182)]
    older = [p for p in paid if p.payment_date < today - timedelta(days=182)]
    year = average_days_late(paid, clip_early_at_zero=True)
    late_recent = average_days_late(recent, clip_early_at_zero=True).simple.value
    late_older = average_days_late(older, clip_early_at_zero=True).simple.value
    trend = None
    if late_recent is not None and late_older is not None:
        trend = "worse" if late_recent > late_older + 2 else "better" if late_recent < late_older - 2 else "steady"
    return {"average_days_late": year.simple.value, "weighted": year.weighted.value, "count": year.count,
            "trend": trend, "recent": late_recent, "older": late_older}


def panel(request, pk: int, activity_form: ActivityForm | None = None):  # type: ignore[no-untyped-def]
    customer = _customer(request, pk, change=False)
    contacts = list(Contact.objects.filter(customer=customer).order_by("purpose", "name"))
    items = list(Item.objects.filter(customer=customer).exclude(open_amount=0).exclude(kind__in=list(CREDIT_KINDS))
                 .order_by("due_date")[:200])
    promised = dict(Promise.objects.filter(customer=customer, status="open", lines__item__in=items)
                    .values_list("lines__item_id", "promised_date"))
    activities = list(Activity.objects.filter(customer=customer).select_related("created_by", "contact", "email")
                      .order_by("-occurred_on", "-id")[:TIMELINE])
    promises = list(Promise.objects.filter(customer=customer).select_related("taken_by")[:10])
    plans = plans_of_customer(customer.pk)
    can_work = request.user.has_perm("collections.work_customer", customer)
    escalation = Escalation.objects.filter(customer=customer, closed_on__isnull=True).select_related("senior").first() \
        if can_work else None
    return render(request, "collections/_panel.html", status=400 if activity_form is not None else 200, context={
        "escalation": escalation,
        "escalate_form": EscalateForm(seniors=seniors(), auto_id="escalate_%s", renderer=WIDGETS)
        if can_work and escalation is None else None,
        "customer": customer, "contacts": contacts, "promises": promises, "activities": activities,
        "can_work": can_work,
        "activity_form": activity_form or ActivityForm(contacts=contacts, items=items, reasons=active_reasons(),
                                                       renderer=WIDGETS),
        "email_form": EmailForm(contacts=contacts, renderer=WIDGETS), "items": items, "promised": promised,
        "plans": plans, "can_propose_plan": request.user.has_perm("collections.propose_plan", customer),
        "behaviour": payment_behaviour(customer), "next": request.GET.get("next", customer_url(customer)),
        "today": worklist_today(),
    })


@require_POST
def log(request, pk: int):  # type: ignore[no-untyped-def]
    customer = _customer(request, pk, change=True)
    contacts = list(Contact.objects.filter(customer=customer))
    items = list(Item.objects.filter(customer=customer).exclude(open_amount=0))
    form = ActivityForm(request.POST, contacts=contacts, items=items, reasons=active_reasons(), renderer=WIDGETS)
    if not form.is_valid():
        return panel(request, pk, activity_form=form)
    data = form.cleaned_data
    promise = dispute = None
    if data["promise_amount"] is not None:
        promise = PromiseTerms(data["promise_amount"], data["promise_date"], tuple(data["items"]))
    if data["dispute_reason"]:
        dispute = DisputeTerms(data["dispute_reason"], form.dispute_lines())
    try:
        log_activity(customer.pk, kind=data["kind"], outcome=data["outcome"], occurred_on=worklist_today(),
                     by=Actor.of(request.user), note=data["note"], contact_id=data["contact"],
                     item_ids=tuple(data["items"]), follow_up_on=data["follow_up_on"], promise=promise,
                     dispute=dispute)
    except (CollectionsError, DisputeError) as exc:
        form.add_error(None, exc.message)
        return panel(request, pk, activity_form=form)
    if dispute is not None:
        messages.success(request, _("Logged, and the dispute case is opened."))
    else:
        messages.success(request, _("Logged.") if promise is None else _("Logged, with the promise to pay."))
    return redirect(_next(request, customer))


def email_preview(request, pk: int):  # type: ignore[no-untyped-def]
    customer = _customer(request, pk, change=True)
    form = EmailForm(request.GET, contacts=list(Contact.objects.filter(customer=customer)))
    composed, error = None, None
    if form.is_valid():
        try:
            composed = compose_email(customer.pk, template=form.cleaned_data["template"], as_of=worklist_today(),
                                     contact_id=form.cleaned_data["contact"],
                                     sender_name=request.user.get_full_name() or request.user.get_username())
        except CollectionsError as exc:
            error = exc.message
    return render(request, "collections/_email_preview.html", {"composed": composed, "error": error, "form": form})


@require_POST
def email_send(request, pk: int):  # type: ignore[no-untyped-def]
    customer = _customer(request, pk, change=True)
    form = EmailForm(request.POST, contacts=list(Contact.objects.filter(customer=customer)))
    if form.is_valid():
        try:
            sent = send_email(customer.pk, template=form.cleaned_data["template"], as_of=worklist_today(),
                              by=Actor.of(request.user), contact_id=form.cleaned_data["contact"],
                              follow_up_on=form.cleaned_data["follow_up_on"])
            messages.success(request, _("E-mail sent to %(to)s.") % {"to": sent.to})
        except CollectionsError as exc:
            messages.error(request, exc.message)
        except OSError as exc:
            messages.error(request, _("The mail server refused the message: %(error)s") % {"error": exc})
    return redirect(_next(request, customer))

