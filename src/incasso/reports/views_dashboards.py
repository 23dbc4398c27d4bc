"""Report dashboards: the daily, weekly and monthly packs and the KPI table in the browser, with
Chart.js charts and the same numbers as the workbook and PDF (one builder: ``reports.packs``)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from incasso.accounts.rules import sees_all_accounts
from incasso.core.kpi import KpiError
from incasso.ledger.models import LegalEntity
from incasso.reports.kpis import GROUPINGS, KpiParams, kpi_table
from incasso.reports.kpis.render import COLUMNS, record
from incasso.reports.packs import PACKS, PackResult, Section, build_pack

# The KPI page's columns (every column is in the CSV, JSON and workbook; the inputs open per row).
SHOWN = ("ending_ar", "dso_simple", "dso_countback", "bpdso_countback", "add_countback", "cei", "percent_current",
         "percent_over", "days_to_pay", "days_late", "ptp_kept_rate", "dispute_cycle_mean", "cash_target_attainment")
INPUTS = ("credit_sales", "beginning_ar", "ending_ar", "ending_current", "open_credits", "cash_received",
          "cash_applied", "invoices_paid", "disputes_resolved", "disputes_open", "promises_judged",
          "cei_monthly_average", "bpdso_simple", "add_simple", "days_to_pay_weighted", "ptp_kept_rate_amount",
          "cash_target", "cash_target_gap")

PACK_TITLES = {"daily": _("Daily pack"), "weekly": _("Weekly pack"), "monthly": _("Monthly pack")}


def _require_reports(request) -> None:  # type: ignore[no-untyped-def]
    """Packs and KPIs cover the whole book: team leaders, controllers and the like, not one portfolio."""
    if not request.user.has_perm("reports.view_aging") or not sees_all_accounts(request.user):
        raise PermissionDenied("Report packs and KPIs are for roles that see every account.")


class PackForm(forms.Form):
    as_of = forms.DateField(label=_("As of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    entity = forms.ModelChoiceField(label=_("Entity"), required=False, queryset=LegalEntity.objects.all(),
                                    empty_label=_("All entities"))


class KpiForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=pgettext_lazy("end of a date range", "To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Group by"), required=False, choices=[
        ("entity", _("Entity")), ("collector", _("Collector")), ("segment", _("Segment")),
        ("customer", _("Customer")), ("currency", _("Currency"))])
    ar_basis = forms.ChoiceField(label=_("AR basis"), required=False,
                                 choices=[("net", _("Net")), ("gross", _("Gross"))])
    day_convention = forms.ChoiceField(label=_("Days per month"), required=False,
                                       choices=[("calendar", _("Calendar")), ("30", _("30 days"))])


def _cell(section: Section, row: list[Any], index: int) -> dict[str, Any]:
    """What the template needs to format one cell: money (with its currency), a number, or text."""
    value = row[index]
    currency = row[section.columns.index("currency")] if "currency" in section.columns else None
    if value is None:
        return {"kind": "missing"}
    if isinstance(value, Decimal) and currency and index not in section.figures:
        return {"kind": "money", "value": value, "currency": currency}
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return {"kind": "number", "value": value}
    if isinstance(value, date):
        return {"kind": "text", "value": value.isoformat()}
    return {"kind": "text", "value": str(value)}


def _charts(result: PackResult) -> dict[str, Any]:
    charts: dict[str, Any] = {}
    for section in result.sections:
        if not section.chart or not section.rows:
            continue
        spec = section.chart
        currency = section.columns.index("currency") if "currency" in section.columns else None
        labels = [str(row[spec.category]) + (f" {row[currency]}" if currency not in (None, spec.category) else "")
                  for row in section.rows]
        charts[section.key] = {
            "kind": spec.kind, "labels": labels,
            "series": [{"label": section.columns[c],
                        "data": [float(row[c]) if row[c] is not None else None for row in section.rows]}
                       for c in spec.values],
        }
    return charts


def pack_dashboard(request, pack: str):  # type: ignore[no-untyped-def]
    _require_reports(request)
    if pack not in PACKS:
        raise Http404("no such pack")
    form = PackForm(request.GET or None)
    as_of, entity = timezone.localdate(), None
    if form.is_valid():
        as_of = form.cleaned_data["as_of"] or as_of
        entity = form.cleaned_data["entity"]
    result = build_pack(pack, as_of, entity_ids=(entity.pk,) if entity else None)
    download = request.GET.get("format")
    if download in ("xlsx", "pdf"):
        return _download(result, download)
    sections = [{"section": s, "rows": [[_cell(s, row, i) for i in range(len(row))] for row in s.rows]}
                for s in result.sections]
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "reports/dashboards/pack.html", {
        "form": form, "pack": pack, "title": PACK_TITLES[pack], "packs": PACK_TITLES, "result": result,
        "sections": sections, "charts": _charts(result), "query": query.urlencode(),
    })


def _download(result: PackResult, kind: str) -> HttpResponse:
    import tempfile
    from pathlib import Path

    from incasso.reports.pack_files import file_stem, write_pdf, write_xlsx

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{file_stem(result)}.{kind}"
        if kind == "xlsx":
            write_xlsx(result, path)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            write_pdf(result, path, generated_at=timezone.now())
            content_type = "application/pdf"
        response = HttpResponse(path.read_bytes(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{path.name}"'
    return response


def kpi_dashboard(request):  # type: ignore[no-untyped-def]
    _require_reports(request)
    today = timezone.localdate()
    form = KpiForm(request.GET or None)
    end = today.replace(day=1) - timedelta(days=1)  # default: last month
    start, by, basis, convention = end.replace(day=1), "entity", "net", "calendar"
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        by = form.cleaned_data["by"] or by
        basis = form.cleaned_data["ar_basis"] or basis
        convention = form.cleaned_data["day_convention"] or convention
    error, table = None, None
    try:
        table = kpi_table(KpiParams(start=start, end=end, by=by, ar_basis=basis, day_convention=convention))
    except KpiError as exc:
        error = str(exc)
    shown = list(SHOWN)
    rows = []
    if table is not None:
        for row in table.rows:
            values = record(row)
            rows.append({"group": row.group, "currency": row.currency, "values": [values[n] for n in shown],
                         "inputs": [(dict(COLUMNS)[n], values[n]) for n in INPUTS]})
    return render(request, "reports/dashboards/kpis.html", {
        "form": form, "table": table, "rows": rows, "columns": [dict(COLUMNS)[n] for n in shown],
        "start": start, "end": end, "by": by, "error": error, "groupings": GROUPINGS, "packs": PACK_TITLES,
    })
