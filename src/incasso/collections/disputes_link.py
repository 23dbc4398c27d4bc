"""Open disputes per customer, read from the disputes app (which sits below collections).

The worklist rule "open disputes" and the lowering of accounts whose overdue items are all in
dispute need two numbers per customer: how many cases are open and how much of the open items
they block. Read in one grouped query each; with no dispute case at all both are empty.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Count, Sum
from django.db.models.functions import Least


@cache
def _disputes_tables_exist(alias: str) -> bool:
    """Whether the disputes app's tables exist in this database (checked once per process)."""
    try:
        from incasso.disputes.models import DisputeCase, DisputeLine
    except ImportError:
        return False
    tables = set(connection.introspection.table_names())
    return {DisputeCase._meta.db_table, DisputeLine._meta.db_table} <= tables


def open_dispute_counts(customer_ids: list[int] | None = None) -> dict[int, tuple[int, Decimal]]:
    """``{customer_id: (open cases, disputed amount still blocking items)}`` for customers with an
    open dispute (all customers when ``customer_ids`` is None)."""
    if not _disputes_tables_exist(connection.settings_dict["NAME"]):
        return {}
    from incasso.disputes.choices import OPEN_STATUSES
    from incasso.disputes.models import DisputeCase, DisputeLine

    cases = DisputeCase.objects.filter(status__in=list(OPEN_STATUSES))
    lines = DisputeLine.objects.filter(case__status__in=list(OPEN_STATUSES), item__open_amount__gt=0)
    if customer_ids is not None:
        cases = cases.filter(customer_id__in=customer_ids)
        lines = lines.filter(case__customer_id__in=customer_ids)
    counts = dict(cases.values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    blocking = Sum(Least("blocked_amount", "item__open_amount"))
    amounts = dict(lines.values("case__customer_id").annotate(a=blocking).values_list("case__customer_id", "a"))
    return {cid: (counts.get(cid, 0), amounts.get(cid) or Decimal(0)) for cid in set(counts) | set(amounts)}
