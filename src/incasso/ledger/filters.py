"""Filters of the customer list; they live in the URL so a filtered view can be shared."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.ledger.choices import RiskClass
from incasso.ledger.models import Customer, LegalEntity

YES_NO = [("1", _("Yes")), ("0", _("No"))]


class CustomerFilter(django_filters.FilterSet):
    """Search, facets and sorting over a queryset annotated by ``portfolio.with_balances``."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    entity = django_filters.ModelChoiceFilter(queryset=LegalEntity.objects.all(), label=_("Entity"),
                                              empty_label=_("All entities"))
    collector = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(portfolio__isnull=False).distinct().order_by("username"),
        label=_("Collector"), empty_label=_("All collectors"),
    )
    segment = django_filters.CharFilter(label=_("Segment"), lookup_expr="iexact")
    country = django_filters.CharFilter(label=_("Country"), lookup_expr="iexact")
    risk_class = django_filters.ChoiceFilter(choices=RiskClass.choices, label=_("Risk class"),
                                             empty_label=_("Any risk"))
    dunning_block = django_filters.ChoiceFilter(choices=YES_NO, method="flag", label=_("Dunning blocked"),
                                                empty_label=_("Any"))
    legal = django_filters.ChoiceFilter(choices=YES_NO, method="flag", label=_("In legal"), empty_label=_("Any"))
    insolvency = django_filters.ChoiceFilter(choices=YES_NO, method="flag", label=_("Insolvency"),
                                             empty_label=_("Any"))
    has_overdue = django_filters.ChoiceFilter(choices=YES_NO, method="overdue", label=_("Has overdue"),
                                              empty_label=_("Any"))
    sort = django_filters.OrderingFilter(
        fields=(
            ("account", "account"),
            ("name", "name"),
            ("entity__code", "entity"),
            ("balance", "balance"),
            ("overdue", "overdue"),
            ("oldest_due_date", "oldest_due"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def search(self, queryset, name, value):  # type: ignore[no-untyped-def]
        value = value.strip()
        if not value:
            return queryset
        compact = value.replace(" ", "")
        return queryset.filter(
            Q(account__icontains=value) | Q(name__icontains=value) | Q(vat_id__icontains=compact)
        )

    def flag(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(**{name: value == "1"})

    def overdue(self, queryset, name, value):  # type: ignore[no-untyped-def]
        return queryset.filter(overdue__gt=0) if value == "1" else queryset.filter(overdue__lte=0)
