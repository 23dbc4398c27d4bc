"""Aging totals (per group, currency and bucket) as of several dates in one pass over the items.

The KPIs and a pack's month-end trend need the aging's totals by entity, not a hundred thousand
customer rows, and they need them as of several dates (a month's start and end; thirteen month ends).
``aging_totals`` gets them with two grouped queries for all the dates together, and
``incasso.core.kpi.aging_totals.spread`` puts the pieces into the dates and buckets. The rules are
those of the aging (``incasso.reports.aging``): as of D, every item issued by D counts with its stored
open amount, corrected, if it was touched after D (``last_activity_on > D``), by the allocations that
changed it since: one made after D and still live is added back, one made by D and reversed after D
is taken off again. The sum is linear, so it splits into pieces that each count over a range of the
dates ``D_0 < ... < D_n-1`` (``date_index``: "x <= D_k" is ``k >= p(x)``, "D_k < x" is ``k < p(x)``):

* **open now**: each item open today counts its stored open amount from the first date it exists on
  (``p(document_date)``) to the last; grouped per (group, currency, reference date, document date).
* **changes**: each allocation of an item touched after ``D_0`` counts on the dates where the aging
  corrects for it: a live one (+amount) from ``p(document_date)`` to before ``p(min(date,
  last_activity_on))``; a reversed one (−amount) from ``p(max(document_date, date))`` to before
  ``p(min(reversed_on, last_activity_on))``; grouped per (group, currency, reference date, range).

Amounts are whole hundredths (``CAST(ROUND(x * 100) AS BIGINT)``), exact on both databases. A group
whose amounts cancel out in every bucket on a date is either a row of zeros in the aging (an item open
that day) or no row: the totals cannot tell, so that date (it takes offsetting open items in the same
bucket) is aged by ``incasso.reports.aging`` instead; every other date is exactly the aging's rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import date

from django.db import connection

from incasso.core.aging import AgingRow, Bucket
from incasso.core.kpi.aging_totals import BucketTotals, date_index, distinct_dates, spread
from incasso.ledger.choices import CREDIT_KINDS
from incasso.reports.aging import AgingScope, aged_groups

# The groupings the totals query keys itself (the item's own columns); the others (collector,
# segment) go through the aging.
KEYS = {"entity": "i.entity_id", "customer": "i.customer_id", "currency": "i.currency"}
_CREDIT = sorted(str(kind) for kind in CREDIT_KINDS)
_CENTS = "CAST(ROUND({} * 100) AS BIGINT)"

Totals = dict[date, dict[tuple[Hashable, str], BucketTotals]]


def _index_of(expression: str, dates: Sequence[date]) -> tuple[str, list[object]]:
    """SQL for how many of ``dates`` fall before ``expression`` (a date)."""
    whens = " ".join(f"WHEN {expression} <= %s THEN {index}" for index in range(len(dates)))
    return f"CASE {whens} ELSE {len(dates)} END", list(dates)


def _earlier(a: str, b: str) -> str:
    return f"CASE WHEN {a} < {b} THEN {a} ELSE {b} END"


def _later(a: str, b: str) -> str:
    return f"CASE WHEN {a} > {b} THEN {a} ELSE {b} END"


def _scope(entity_ids: Sequence[int] | None) -> tuple[str, list[object]]:
    if entity_ids is None:
        return "", []
    if not entity_ids:
        return " AND 1 = 0", []
    return f" AND i.entity_id IN ({', '.join(['%s'] * len(entity_ids))})", list(entity_ids)


def _signed(amount: str) -> tuple[str, list[object]]:
    return (f"CASE WHEN i.kind IN ({', '.join(['%s'] * len(_CREDIT))}) THEN -{_CENTS.format(amount)}"
            f" ELSE {_CENTS.format(amount)} END", list(_CREDIT))


def _open_now_sql(key: str, basis: str, dates: Sequence[date], scope: str,
                  scope_values: list[object]) -> tuple[str, list[object]]:
    """Grouped by document date (a few thousand groups for a million open items); the first date
    each group counts on is found in Python, cheaper than a CASE over the dates per item."""
    signed, signed_values = _signed("i.open_amount")
    sql = (
        f"SELECT {key}, i.currency, i.{basis}, i.document_date, CAST(SUM({signed}) AS BIGINT)"
        f" FROM ledger_item i WHERE NOT (i.open_amount = '0') AND i.document_date <= %s{scope}"
        f" GROUP BY {key}, i.currency, i.{basis}, i.document_date"
    )
    return sql, [*signed_values, dates[-1], *scope_values]


def _changes_sql(key: str, basis: str, dates: Sequence[date], scope: str,
                 scope_values: list[object]) -> tuple[str, list[object]]:
    live = "x.reversed_on IS NULL"
    start = f"CASE WHEN {live} THEN i.document_date ELSE {_later('i.document_date', 'x.date')} END"
    stop = (f"CASE WHEN {live} THEN {_earlier('x.date', 'i.last_activity_on')}"
            f" ELSE {_earlier('x.reversed_on', 'i.last_activity_on')} END")
    lo, lo_values = _index_of(start, dates)
    hi, hi_values = _index_of(stop, dates)
    signed, signed_values = _signed("x.amount")
    # Live allocations made after the first date (a range of report_allocation_date_idx), reversed ones
    # reversed after it and made by the last (a range of the partial report_allocation_reversed_idx).
    sides = " UNION ALL ".join(
        f"SELECT a.{side}_item_id AS item_id, a.amount AS amount, a.date AS date, a.reversed_on AS reversed_on"
        f" FROM ledger_allocation a WHERE {condition} AND a.{side}_item_id IS NOT NULL"
        for side in ("debit", "credit")
        for condition in ("a.date > %s AND a.reversed_on IS NULL",
                          "a.reversed_on IS NOT NULL AND a.reversed_on > %s AND a.date <= %s"))
    side_values = [dates[0], dates[0], dates[-1]] * 2
    pieces = (
        f"SELECT {key} AS group_key, i.currency AS currency, i.{basis} AS ref_date, {lo} AS lo, {hi} AS hi,"
        f" CASE WHEN {live} THEN {signed} ELSE -({signed}) END AS cents"
        f" FROM ({sides}) x JOIN ledger_item i ON i.id = x.item_id"
        f" WHERE i.last_activity_on > %s AND i.document_date <= %s{scope}"
    )
    sql = (f"SELECT p.group_key, p.currency, p.ref_date, p.lo, p.hi, CAST(SUM(p.cents) AS BIGINT)"
           f" FROM ({pieces}) p WHERE p.lo < p.hi GROUP BY p.group_key, p.currency, p.ref_date, p.lo, p.hi")
    values = [*lo_values, *hi_values, *signed_values, *signed_values, *side_values, dates[0], dates[-1],
              *scope_values]
    return sql, values


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _pieces(rows: Iterable[tuple]) -> Iterable[tuple[Hashable, date, int, int, int]]:
    """The fetched rows as pieces; a piece of 0 still counts its group on its dates."""
    for group, currency, reference, lo, hi, cents in rows:
        yield (group, currency), _as_date(reference), int(lo), int(hi), int(cents or 0)


def aging_totals(dates: Iterable[date], *, by: str = "entity", basis: str = "due_date",
                 buckets: Sequence[Bucket], entity_ids: Sequence[int] | None = None) -> Totals:
    """The aging as of each of ``dates`` per (group key, currency): its bucket amounts, exactly the
    amounts of ``incasso.reports.aging.aged_groups`` for that date (same rows, same cents), in two
    queries for all the dates. ``by``: entity, customer or currency (see ``KEYS``)."""
    wanted = distinct_dates(dates)
    if not wanted:
        return {}
    key = KEYS[by]
    scope, scope_values = _scope(entity_ids)
    open_sql, open_values = _open_now_sql(key, basis, wanted, scope, scope_values)
    changes_sql, changes_values = _changes_sql(key, basis, wanted, scope, scope_values)
    with connection.cursor() as cursor:
        cursor.execute(open_sql, open_values)
        rows = [(group, currency, reference, date_index(_as_date(issued), wanted), len(wanted), cents)
                for group, currency, reference, issued, cents in cursor.fetchall()]
        cursor.execute(changes_sql, changes_values)
        rows += cursor.fetchall()
    spread_totals = spread(_pieces(rows), wanted, buckets)
    result: Totals = {}
    for index, day in enumerate(wanted):
        if spread_totals.undecided(index):  # offsetting items: let the aging say which groups it has
            scope_of = AgingScope(entity_ids=tuple(entity_ids) if entity_ids is not None else None)
            aged = aged_groups(day, by, basis, buckets, scope_of, {})
            result[day] = {(group, row.currency): of_aging_row(row) for group, row in aged}
        else:
            result[day] = spread_totals.rows(index)  # type: ignore[assignment]
    return result


def of_aging_row(row: AgingRow) -> BucketTotals:
    return BucketTotals(list(row.amounts))
