"""Who sees which customer accounts, and their balances in set-based queries.

``customers_visible_to`` is the queryset form of the ``ledger.view_customer`` rule in
``incasso.accounts.rules``: roles that see all accounts get every customer, a collector gets the
customers whose collector they are, a user without a role gets none. Lists use it; single objects
are still checked with ``user.has_perm`` so the two can never disagree on who sees what.

Balances follow the aging's rules: debit items count positive, credit items (payments, credit notes)
negative; an item is overdue from the day after its due date in its entity's timezone, so "today"
is a per-entity date computed from one clock reading.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from incasso.accounts.rules import has_any_role, sees_all_accounts
from incasso.core.calendar import local_date
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item, LegalEntity

MONEY = DecimalField(max_digits=18, decimal_places=2)


def customers_visible_to(user) -> QuerySet[Customer]:  # type: ignore[no-untyped-def]
    """The customer accounts ``user`` may open (the list form of ``ledger.view_customer``)."""
    customers = Customer.objects.all()
    if sees_all_accounts(user):
        return customers
    if has_any_role(user):
        return customers.filter(collector_id=user.pk)
    return customers.none()


def entity_today(entity: LegalEntity) -> date:
    """Today's business date in the legal entity's timezone."""
    return local_date(timezone.now(), entity.timezone)


def entity_todays(now: datetime | None = None) -> dict[int, date]:
    """Today's date in each legal entity's timezone, from one clock reading."""
    now = now or timezone.now()
    return {pk: local_date(now, tz) for pk, tz in LegalEntity.objects.values_list("pk", "timezone")}


def _today_of_entity(todays: dict[int, date], entity_field: str) -> Case | Value:
    """A SQL expression for the local today of the row's entity (one WHEN per entity)."""
    if not todays:
        return Value(timezone.now().date(), output_field=DateField())
    return Case(
        *[When(**{entity_field: pk}, then=Value(day)) for pk, day in todays.items()],
        output_field=DateField(),
    )


def _signed(prefix: str = "") -> Case:
    return Case(
        When(**{f"{prefix}kind__in": list(CREDIT_KINDS)}, then=-F(f"{prefix}open_amount")),
        default=F(f"{prefix}open_amount"),
        output_field=MONEY,
    )


def with_balances(customers: QuerySet[Customer], todays: dict[int, date]) -> QuerySet[Customer]:
    """Annotate each customer with its balance in the account currency, in one aggregate query.

    ``balance`` and ``overdue`` (signed open amounts, overdue = due before the entity's today) and
    ``oldest_due_date`` (of open debit items) cover the items in the customer's account currency,
    which is what sorting and the "has overdue" filter use; the per-currency split of a page of
    customers comes from ``balances_by_currency``.
    """
    today = _today_of_entity(todays, "items__entity_id")
    open_in_account_currency = ~Q(items__open_amount=0) & Q(items__currency=F("currency"))
    return customers.annotate(
        balance=Coalesce(Sum(_signed("items__"), filter=open_in_account_currency), Value(ZERO), output_field=MONEY),
        overdue=Coalesce(
            Sum(_signed("items__"), filter=open_in_account_currency & Q(items__due_date__lt=today)),
            Value(ZERO), output_field=MONEY,
        ),
        oldest_due_date=Min(
            "items__due_date", filter=~Q(items__open_amount=0) & ~Q(items__kind__in=list(CREDIT_KINDS))
        ),
    )


def balances_by_currency(customer_ids: list[int], todays: dict[int, date]) -> dict[int, list[dict]]:
    """Open, overdue, not-yet-due and credit amounts per customer and currency, in one query.

    Returns ``{customer_id: [{"currency", "open", "overdue", "not_due", "credits", "items"}, ...]}``
    with currencies sorted.
    """
    if not customer_ids:
        return {}
    today = _today_of_entity(todays, "entity_id")
    is_credit = Q(kind__in=list(CREDIT_KINDS))
    rows = (
        Item.objects.filter(customer_id__in=customer_ids)
        .exclude(open_amount=0)
        .values("customer_id", "currency")
        .annotate(
            open=Sum(_signed()),
            overdue=Coalesce(Sum(_signed(), filter=Q(due_date__lt=today)), Value(ZERO), output_field=MONEY),
            not_due=Coalesce(Sum(_signed(), filter=Q(due_date__gte=today)), Value(ZERO), output_field=MONEY),
            credits=Coalesce(Sum("open_amount", filter=is_credit), Value(ZERO), output_field=MONEY),
            items=Count("id"),
        )
        .order_by("customer_id", "currency")
    )
    result: dict[int, list[dict]] = {}
    for row in rows:
        result.setdefault(row.pop("customer_id"), []).append(row)
    return result
