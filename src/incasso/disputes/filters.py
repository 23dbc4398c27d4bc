from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.disputes.choices import OPEN_STATUSES, CaseStatus, EscalationLevel, Priority
from incasso.disputes.forms import CatalogueChoiceField, UserChoiceField, resolvers
from incasso.disputes.models import DisputeCase, ReasonCode, ResolverDepartment
from incasso.ledger.models import LegalEntity

SORTS = {
    "deadline": "deadline", "opened": "opened_on", "amount": "disputed_amount", "customer": "customer__name",
    "level": "escalation_level", "status": "status", "number": "id",
}


class CatalogueFilter(django_filters.ModelChoiceFilter):
    field_class = CatalogueChoiceField


class UserFilter(django_filters.ModelChoiceFilter):
    field_class = UserChoiceField


class CaseFilter(django_filters.FilterSet):
    """Filters of the case list; every one lives in the URL so a view can be shared."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), method="by_status", empty_label=_("Open (all)"),
                                         choices=[("all", _("All"))] + list(CaseStatus.choices))
    reason = CatalogueFilter(label=_("Reason"), queryset=ReasonCode.objects.all(), to_field_name="code")
    department = CatalogueFilter(label=_("Department"), queryset=ResolverDepartment.objects.all(),
                                 to_field_name="code")
    resolver = UserFilter(label=_("Resolver"), queryset=resolvers())
    entity = django_filters.ModelChoiceFilter(label=_("Entity"), queryset=LegalEntity.objects.all(),
                                              to_field_name="code")
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    late = django_filters.BooleanFilter(label=_("Late"), method="by_late")
    level = django_filters.ChoiceFilter(label=_("Escalation"), field_name="escalation_level",
                                        choices=EscalationLevel.choices)

    class Meta:
        model = DisputeCase
        fields: list[str] = []

    def __init__(self, *args, today=None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["resolver"].queryset = resolvers()

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        if not value:
            return queryset
        query = Q(customer__name__icontains=value) | Q(customer__account__iexact=value) | Q(
            external_reference__iexact=value) | Q(lines__item__number__iexact=value)
        digits = value.upper().removeprefix("DC-").lstrip("0")
        if digits.isdigit():
            query |= Q(pk=int(digits))
        return queryset.filter(query).distinct()

    def by_status(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if value == "all":
            return queryset
        return queryset.filter(status=value)

    def by_late(self, queryset, name, value):  # type: ignore[no-untyped-def]
        if value is None:
            return queryset
        late = Q(deadline__lt=self.today, status__in=list(OPEN_STATUSES))
        return queryset.filter(late) if value else queryset.exclude(late)

    @property
    def qs(self):  # type: ignore[no-untyped-def]
        queryset = super().qs
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.filter(status__in=list(OPEN_STATUSES))
        return queryset
