from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incasso.accounts.rules import sees_all_accounts
from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.core.money import ZERO
from incasso.ledger.actions.customers import block_dunning, unblock_dunning
from incasso.ledger.filters import CustomerFilter
from incasso.ledger.forms import DunningBlockForm
from incasso.ledger.models import Contact, Customer, Item
from incasso.ledger.portfolio import (
    balances_by_currency,
    customers_visible_to,
    entity_today,
    entity_todays,
    with_balances,
)
from incasso.ledger.rendering import FORMS

CUSTOMERS_PER_PAGE = 50
ITEMS_PER_PAGE = 100
EVENTS_PER_PAGE = 20
ITEM_SORTS = {
    "number": "number", "kind": "kind", "document_date": "document_date", "due_date": "due_date",
    "amount": "amount", "open_amount": "open_amount", "reference": "reference",
}


def customer_list(request):  # type: ignore[no-untyped-def]
    todays = entity_todays()
    customers = with_balances(customers_visible_to(request.user), todays).select_related("entity", "collector")
    data = request.GET.copy()
    if not data.get("sort"):
        data["sort"] = "account"
    customer_filter = CustomerFilter(data, queryset=customers, request=request)
    page = Paginator(customer_filter.qs, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    customers_on_page = list(page.object_list)
    balances = balances_by_currency([c.pk for c in customers_on_page], todays)
    rows = [(customer, balances.get(customer.pk, [])) for customer in customers_on_page]
    return render(request, "ledger/customer_list.html", {
        "filter": customer_filter,
        "page": page,
        "rows": rows,
        "sees_all": sees_all_accounts(request.user),
        "filtered": any(v for k, v in request.GET.items() if k not in {"sort", "page"}),
    })


def _visible_customer(request, pk: int) -> Customer:  # type: ignore[no-untyped-def]
    customer = get_object_or_404(
        Customer.objects.select_related("entity", "collector", "group").prefetch_related(
            "ibans", Prefetch("contacts", queryset=Contact.objects.order_by("purpose", "name"))
        ),
        pk=pk,
    )
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied("This customer account is not in your portfolio.")
    return customer


def customer_detail(request, pk: int, block_form: DunningBlockForm | None = None):  # type: ignore[no-untyped-def]
    customer = _visible_customer(request, pk)
    today = entity_today(customer.entity)
    balances = balances_by_currency([customer.pk], {customer.entity_id: today}).get(customer.pk, [])
    account_balance = next((b["open"] for b in balances if b["currency"] == customer.currency), ZERO)
    credit_use = None
    if customer.credit_limit > 0:
        credit_use = round(account_balance / customer.credit_limit * 100)

    sort = request.GET.get("sort", "due_date")
    order = ITEM_SORTS.get(sort.lstrip("-"), "due_date")
    order = f"-{order}" if sort.startswith("-") else order
    open_items = Item.objects.filter(customer=customer).exclude(open_amount=0).order_by(order, "id")
    items_page = Paginator(open_items, ITEMS_PER_PAGE).get_page(request.GET.get("items_page"))
    items = [
        (item, (today - item.due_date).days, -item.amount if item.is_credit else item.amount)
        for item in items_page.object_list
    ]

    events = AuditEvent.objects.filter(customer_id=customer.pk).select_related("actor")
    events_page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("events_page"))

    return render(request, "ledger/customer_detail.html", status=400 if block_form is not None else 200, context={
        "customer": customer,
        "today": today,
        "balances": balances,
        "account_balance": account_balance,
        "credit_use": credit_use,
        "items": items,
        "items_page": items_page,
        "events_page": events_page,
        "contacts": list(customer.contacts.all()),
        "ibans": list(customer.ibans.all()),
        "can_change": request.user.has_perm("ledger.change_customer", customer),
        "block_form": block_form or DunningBlockForm(today=today, renderer=FORMS),
    })


@require_POST
def dunning_block(request, pk: int):  # type: ignore[no-untyped-def]
    customer = _visible_customer(request, pk)
    if not request.user.has_perm("ledger.change_customer", customer):
        raise PermissionDenied("Your role reads customer accounts but does not change them.")
    actor = Actor.of(request.user)
    if request.POST.get("action") == "unblock":
        unblock_dunning(customer.pk, by=actor)
        messages.success(request, _("Dunning resumed."))
        return redirect("ledger:customer_detail", pk=customer.pk)
    today = entity_today(customer.entity)
    form = DunningBlockForm(request.POST, today=today)
    if not form.is_valid():
        return customer_detail(request, pk, block_form=form)
    block_dunning(customer.pk, reason=form.cleaned_data["reason"], until=form.cleaned_data["until"],
                  today=today, by=actor)
    messages.success(request, _("Dunning blocked."))
    return redirect("ledger:customer_detail", pk=customer.pk)
