from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from incasso.accounts.rules import sees_all_accounts
from incasso.core.aging import DEFAULT_BUCKETS, AgingError, AgingReport
from incasso.core.money import MINOR_UNITS, ZERO
from incasso.ledger.models import Customer, LegalEntity
from incasso.reports.aging import UNASSIGNED, aging_items, aging_report
from incasso.reports.aging_disputes import disputed_split

ROWS_PER_PAGE = 100
ITEMS_LIMIT = 2000
CHART_GROUPS = 6


class AgingForm(forms.Form):
    """The aging page's parameters; all optional, all in the URL."""

    as_of = forms.DateField(label=_("As of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Empty: today in each entity's timezone."))
    by = forms.ChoiceField(label=_("Group by"), required=False, choices=[
        ("customer", _("Customer")), ("entity", _("Entity")), ("collector", _("Collector")),
        ("currency", _("Currency")),
    ])
    basis = forms.ChoiceField(label=_("Age by"), required=False, choices=[
        ("due_date", _("Due date")), ("document_date", _("Document date")),
    ])
    entity = forms.ModelChoiceField(label=_("Entity"), required=False, queryset=LegalEntity.objects.all(),
                                    empty_label=_("All entities"))
    reporting_currency = forms.ChoiceField(
        label=_("Reporting currency"), required=False,
        choices=[("", _("Each currency"))] + [(code, code) for code in sorted(MINOR_UNITS)],
    )


class DrillDownForm(forms.Form):
    as_of = forms.DateField(required=False)
    basis = forms.ChoiceField(required=False, choices=[("due_date", ""), ("document_date", "")])
    bucket = forms.IntegerField(required=False, min_value=0)
    customer = forms.IntegerField(required=False)
    entity = forms.IntegerField(required=False)
    collector = forms.IntegerField(required=False)
    currency = forms.CharField(required=False, max_length=3)


def _require_aging(request) -> int | None:  # type: ignore[no-untyped-def]
    """Check the permission; return the collector to restrict to (None: the user sees everything)."""
    if not request.user.has_perm("reports.view_aging"):
        raise PermissionDenied("Your role does not give access to the aging.")
    return None if sees_all_accounts(request.user) else request.user.pk


def _row_keys(report: AgingReport, by: str, rows: list) -> dict[str, dict[str, int | str]]:  # type: ignore[type-arg]
    """Drill-down parameters per row label: the report's rows are labelled, the drill-down is by id."""
    keys: dict[str, dict[str, int | str]] = {}
    if by == "currency":
        return {row.group: {} for row in rows}
    if by == "entity":
        codes = {row.group.split(" ", 1)[0]: row.group for row in rows}
        for pk, code in LegalEntity.objects.filter(code__in=list(codes)).values_list("pk", "code"):
            keys[codes[code]] = {"entity": pk}
        return keys
    if by == "collector":
        from django.contrib.auth import get_user_model

        names = {row.group for row in rows if row.group != UNASSIGNED}
        user_model = get_user_model()
        for pk, username in user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": names}).values_list(
            "pk", user_model.USERNAME_FIELD
        ):
            keys[username] = {"collector": pk}
        return keys
    # by customer: labels are "ENTITY/ACCOUNT Name"
    wanted: dict[tuple[str, str], str] = {}
    for row in rows:
        head = row.group.split(" ", 1)[0]
        if "/" in head:
            code, account = head.split("/", 1)
            wanted[(code, account)] = row.group
    if wanted:
        condition = Q()
        for code, account in wanted:
            condition |= Q(entity__code=code, account=account)
        for pk, code, account in Customer.objects.filter(condition).values_list("pk", "entity__code", "account"):
            keys[wanted[(code, account)]] = {"customer": pk}
    return keys


def _chart_data(report: AgingReport, currency: str | None) -> dict | None:  # type: ignore[type-arg]
    """Totals by bucket for one currency, stacked by the largest groups (the rest as one series)."""
    rows = [row for row in report.rows if currency is None or row.currency == currency]
    if not rows:
        return None
    currency = rows[0].currency
    rows.sort(key=lambda row: row.total, reverse=True)
    series = [(row.group, row.amounts) for row in rows[:CHART_GROUPS]]
    rest = rows[CHART_GROUPS:]
    if rest:
        amounts = [sum((row.amounts[i] for row in rest), ZERO) for i in range(len(report.buckets))]
        series.append((str(_("Others")), amounts))
    return {
        "currency": currency,
        "labels": [str(_("Not due")) if bucket.label == "current" else bucket.label for bucket in report.buckets],
        # Chart.js draws numbers; the amounts stay Decimal everywhere else on the page.
        "datasets": [{"label": label, "data": [str(a) for a in amounts]} for label, amounts in series],
    }


def aging(request):  # type: ignore[no-untyped-def]
    collector_id = _require_aging(request)
    form = AgingForm(request.GET or None)
    params = form.cleaned_data if form.is_valid() else {}
    as_of: date | None = params.get("as_of")
    by = params.get("by") or "customer"
    basis = params.get("basis") or "due_date"
    entity = params.get("entity")
    reporting_currency = params.get("reporting_currency") or None
    error = None
    report = None
    try:
        report = aging_report(
            as_of, by=by, basis=basis, entity_ids=[entity.pk] if entity else None,
            collector_id=collector_id, reporting_currency=reporting_currency,
        ).quantized()
        split = disputed_split(report, by=by, entity_ids=[entity.pk] if entity else None,
                               collector_id=collector_id, reporting_currency=reporting_currency)
    except AgingError as exc:
        error = str(exc)
    context = {"form": form, "error": error, "report": report, "by": by, "basis": basis,
               "restricted": collector_id is not None, "explicit_as_of": as_of}
    if report is not None:
        page = Paginator(report.rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
        keys = _row_keys(report, by, list(page.object_list))
        totals = report.totals()
        main_currency = reporting_currency or (
            max(totals.values(), key=lambda row: abs(row.total)).currency if totals else None
        )
        base = {"basis": basis}
        if as_of:
            base["as_of"] = as_of.isoformat()
        if entity:
            base["entity"] = entity.pk
        context.update({
            "page": page,
            "rows": [(row, {**base, **keys.get(row.group, {}), "currency": row.currency}, row.group in keys,
                      split.disputed(row), split.undisputed(row))
                     for row in page.object_list],
            "totals": [(row, {**base, "currency": row.currency}, split.total_disputed(row.currency),
                        row.total - split.total_disputed(row.currency)) for row in totals.values()],
            "chart": _chart_data(report, main_currency),
            "converted": reporting_currency is not None,
            "several_currencies": len(totals) > 1,
        })
    return render(request, "reports/aging.html", context)


def aging_drilldown(request):  # type: ignore[no-untyped-def]
    collector_id = _require_aging(request)
    form = DrillDownForm(request.GET)
    if not form.is_valid():
        return render(request, "reports/aging_items.html", {"form_errors": form.errors}, status=400)
    params = form.cleaned_data
    customer = None
    if params.get("customer"):
        customer = get_object_or_404(Customer.objects.select_related("entity"), pk=params["customer"])
        if not request.user.has_perm("ledger.view_customer", customer):
            raise PermissionDenied("This customer account is not in your portfolio.")
    if collector_id is None and params.get("collector"):
        collector_id = params["collector"]
    bucket = params.get("bucket")
    error = None
    items = []
    try:
        items = aging_items(
            params.get("as_of"), customer_id=customer.pk if customer else None, bucket_index=bucket,
            basis=params.get("basis") or "due_date", entity_ids=[params["entity"]] if params.get("entity") else None,
            collector_id=collector_id, currency=params.get("currency") or None, limit=ITEMS_LIMIT + 1,
        )
    except AgingError as exc:
        error = str(exc)
    truncated = len(items) > ITEMS_LIMIT
    items = items[:ITEMS_LIMIT]
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item.currency] = totals.get(item.currency, ZERO) + item.signed_open_amount
    return render(request, "reports/aging_items.html", {
        "items": items, "customer": customer, "error": error, "truncated": truncated, "limit": ITEMS_LIMIT,
        "bucket_label": DEFAULT_BUCKETS[bucket].label if bucket is not None and bucket < len(DEFAULT_BUCKETS) else None,
        "currency": params.get("currency"), "as_of": params.get("as_of"),
        "totals": sorted(totals.items()),
    })


def customer_aging(request, pk: int):  # type: ignore[no-untyped-def]
    """The aging of one customer, one row per currency (a fragment of the customer page)."""
    customer = get_object_or_404(Customer, pk=pk)
    if not request.user.has_perm("ledger.view_customer", customer):
        raise PermissionDenied("This customer account is not in your portfolio.")
    report = aging_report(None, by="customer", customer_ids=[customer.pk]).quantized()
    split = disputed_split(report, by="customer", customer_ids=[customer.pk])
    template = "reports/_customer_aging.html" if request.htmx else "reports/customer_aging.html"
    return render(request, template, {
        "customer": customer, "report": report,
        "rows": [(row, {"customer": customer.pk, "currency": row.currency}, split.disputed(row),
                  split.undisputed(row)) for row in report.rows],
    })
