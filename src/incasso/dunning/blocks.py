"""What stops dunning, in one place: every reason a customer or an item is left alone.

- customer level (nothing is sent): a manual dunning block (until its end date), the legal flag,
  the insolvency flag.
- item level (the item is left out of the letter): an open promise to pay covering it, and an
  active payment plan covering it. A plan holds the items it covers, not the account: an invoice
  issued after the plan was agreed is dunned as usual, and a broken plan's items come back at once.
- amount level: the disputed part of an item (``incasso.disputes.queries.disputed_amounts``) is
  excluded; the undisputed rest is still dunned.

Both the proposal and the re-check at send time call these functions, so the rules cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db.models import Q

from incasso.collections.choices import PromiseStatus
from incasso.collections.models import PromiseItem
from incasso.collections.plan_queries import items_in_active_plan
from incasso.disputes.queries import disputed_amounts
from incasso.ledger.models import Customer


def customer_block_reason(customer: Customer | dict, as_of: date) -> str:
    """Why the whole account is not dunned on ``as_of`` ("" when it is)."""
    get = customer.get if isinstance(customer, dict) else lambda name: getattr(customer, name)
    if get("insolvency"):
        return "insolvency proceedings"
    if get("legal"):
        return "handed over to legal"
    if get("dunning_block"):
        until = get("dunning_block_until")
        if until is None or until >= as_of:
            reason = get("dunning_block_reason") or "manual block"
            return f"dunning block: {reason}" + (f" (until {until.isoformat()})" if until else "")
    # Payment plans block the items they cover, not the account: see item_blocks.
    return ""


CUSTOMER_BLOCK_FIELDS = ("insolvency", "legal", "dunning_block", "dunning_block_until", "dunning_block_reason")


def customer_blocks(customer_ids: Iterable[int] | None, as_of: date, *, entity_ids: Iterable[int] | None = None
                    ) -> dict[int, str]:
    """``{customer_id: reason}`` for the blocked accounts among the ones asked for (one query)."""
    flagged = Customer.objects.filter(Q(insolvency=True) | Q(legal=True) | Q(dunning_block=True))
    if customer_ids is not None:
        flagged = flagged.filter(pk__in=list(customer_ids))
    if entity_ids is not None:
        flagged = flagged.filter(entity_id__in=list(entity_ids))
    result = {}
    for row in flagged.values("id", *CUSTOMER_BLOCK_FIELDS):
        reason = customer_block_reason(row, as_of)
        if reason:
            result[row["id"]] = reason
    return result


def item_blocks(item_ids: Iterable[int] | None = None, *, entity_ids: Iterable[int] | None = None) -> dict[int, str]:
    """``{item_id: reason}`` for items under an open promise to pay or in an active payment plan."""
    item_ids = list(item_ids) if item_ids is not None else None
    lines = PromiseItem.objects.filter(is_open=True, promise__status=PromiseStatus.OPEN)
    if item_ids is not None:
        lines = lines.filter(item_id__in=item_ids)
    if entity_ids is not None:
        entity_ids = list(entity_ids)
        lines = lines.filter(item__entity_id__in=entity_ids)
    blocked = {item_id: f"promise to pay by {promised:%Y-%m-%d}"
               for item_id, promised in lines.values_list("item_id", "promise__promised_date")}
    for item_id, plan_id in items_in_active_plan(item_ids, entity_ids=entity_ids).items():
        blocked.setdefault(item_id, f"payment plan {plan_id}")
    return blocked


def disputed(item_ids: Iterable[int] | None = None, customer_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    return disputed_amounts(item_ids=item_ids, customer_ids=customer_ids)
