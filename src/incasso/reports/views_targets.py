"""The cash targets page: every role that sees the KPIs reads the targets; team leaders set them
(``reports.change_cashtarget``) through ``incasso.reports.targets.set_cash_target``, audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incasso.audit.events import Actor
from incasso.ledger.models import LegalEntity
from incasso.reports.models import CashTarget
from incasso.reports.targets import TargetError, set_cash_target
from incasso.reports.views_dashboards import PACK_TITLES, _require_reports


class TargetForm(forms.Form):
    entity = forms.ModelChoiceField(label=gettext_lazy("Entity"), queryset=LegalEntity.objects.all())
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, min_length=3)
    month = forms.DateField(label=gettext_lazy("Month"), widget=forms.DateInput(attrs={"type": "month"}),
                            input_formats=["%Y-%m", "%Y-%m-%d"])
    collector = forms.ModelChoiceField(label=gettext_lazy("Collector"), required=False,
                                       queryset=get_user_model().objects.filter(groups__name="collector").distinct(),
                                       empty_label=gettext_lazy("The whole entity"))
    amount = forms.DecimalField(label=gettext_lazy("Cash to collect"), max_digits=18, decimal_places=2, min_value=0)


def targets(request):  # type: ignore[no-untyped-def]
    _require_reports(request)
    may_change = request.user.has_perm("reports.change_cashtarget")
    form = TargetForm(request.POST or None)
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Cash targets are set by team leaders.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                set_cash_target(data["entity"].pk, data["currency"], data["month"], data["amount"],
                                by=Actor.of(request.user),
                                collector_id=data["collector"].pk if data["collector"] else None)
            except TargetError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Target saved."))
                return redirect("reports:targets")
    rows = CashTarget.objects.select_related("entity", "collector", "updated_by").order_by(
        "-month", "entity__code", "currency", "collector__username")[:200]
    return render(request, "reports/dashboards/targets.html", {
        "form": form, "targets": rows, "may_change": may_change, "packs": PACK_TITLES, "pack": "targets"})
