"""What other areas ask dispute management, in set-based queries.

- ``disputed_amounts``: per item, the amount dunning must leave alone (collections, cash
  application and the aging's disputed/undisputed columns call it);
- ``open_case_counts``: open cases per customer (worklists, customer lists);
- ``disputed_by_customer``: the same blocked amounts summed per customer and currency.

The blocked amount of an item is the sum of its case lines' ``blocked_amount``, capped at the item's
open amount: a payment or credit note on a disputed item lowers what is disputed without anybody
touching the case. ``as_of`` rebuilds the blocked amount at the end of a past date from the case
dates (cases opened by then and not yet resolved block their disputed amount, resolved ones what
their settlement still holds); the cap uses the item's current open amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DecimalField, F, Max, Q, QuerySet, Sum, When

from incasso.core.money import quantize
from incasso.disputes.choices import OPEN_STATUSES
from incasso.disputes.models import DisputeCase, DisputeLine, ReasonCode

MONEY = DecimalField(max_digits=18, decimal_places=2)


def _blocking_lines(item_ids: Iterable[int] | None, customer_ids: Iterable[int] | None,
                    as_of: date | None) -> tuple[QuerySet[DisputeLine], Case | F]:
    lines = DisputeLine.objects.all()
    if item_ids is not None:
        lines = lines.filter(item_id__in=list(item_ids))
    if customer_ids is not None:
        lines = lines.filter(item__customer_id__in=list(customer_ids))
    if as_of is None:
        return lines.filter(blocked_amount__gt=0), F("blocked_amount")
    still_open = Q(case__resolved_on__isnull=True) | Q(case__resolved_on__gt=as_of)
    lines = lines.filter(Q(case__opened_on__lte=as_of) & (still_open | Q(blocked_amount__gt=0)))
    amount = Case(When(still_open, then=F("disputed_amount")), default=F("blocked_amount"), output_field=MONEY)
    return lines, amount


def disputed_amounts(item_ids: Iterable[int] | None = None, customer_ids: Iterable[int] | None = None,
                     as_of: date | None = None) -> dict[int, Decimal]:
    """``{item_id: amount blocked from dunning}`` for the items with a blocking dispute (one query).

    Items without one are absent, so ``result.get(item_id, 0)`` is the disputed amount and
    ``open_amount - that`` the undisputed, collectable rest.
    """
    lines, amount = _blocking_lines(item_ids, customer_ids, as_of)
    rows = (lines.values("item_id", "item__currency").annotate(blocked=Sum(amount), open=Max("item__open_amount"))
            .order_by())
    result = {}
    for row in rows:
        # SQLite's SUM drops the scale of decimals: quantize so both engines answer 300.00, not 300.
        blocked = quantize(min(row["blocked"], row["open"]), row["item__currency"])
        if blocked > 0:
            result[row["item_id"]] = blocked
    return result


def disputed_by_customer(customer_ids: Iterable[int] | None = None,
                         as_of: date | None = None) -> dict[int, dict[str, Decimal]]:
    """``{customer_id: {currency: blocked amount}}`` over the items of the customers (one query)."""
    lines, amount = _blocking_lines(None, customer_ids, as_of)
    rows = (lines.values("item_id", "item__customer_id", "item__currency")
            .annotate(blocked=Sum(amount), open=Max("item__open_amount")).order_by())
    result: dict[int, dict[str, Decimal]] = {}
    for row in rows:
        blocked = quantize(min(row["blocked"], row["open"]), row["item__currency"])
        if blocked > 0:
            per_currency = result.setdefault(row["item__customer_id"], {})
            per_currency[row["item__currency"]] = per_currency.get(row["item__currency"], Decimal(0)) + blocked
    return result


def open_case_counts(customer_ids: Iterable[int]) -> dict[int, int]:
    """``{customer_id: number of open cases}``; customers without open cases are absent."""
    rows = (DisputeCase.objects.filter(customer_id__in=list(customer_ids), status__in=list(OPEN_STATUSES))
            .values("customer_id").annotate(n=Count("id")).order_by())
    return {row["customer_id"]: row["n"] for row in rows}


def is_blocked(item_id: int) -> bool:
    """Whether dunning must skip (part of) the item: the send-time re-check of a dunning run."""
    return item_id in disputed_amounts(item_ids=[item_id])



def active_reasons() -> list[ReasonCode]:
    """The reason codes a user may choose when opening a case, in the catalogue's order."""
    return list(ReasonCode.objects.filter(active=True).order_by("sort_order", "code"))
