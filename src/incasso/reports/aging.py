"""Aging as of any date, set-based: one query per as-of date, never a row-by-row replay.

The open amount of an item as of D (the rules are those of ``incasso.core.aging``) is its stored
open amount, corrected by the allocations that changed it after D. So the aging as of D is the sum
of two parts, each grouped per entity, customer and currency in the database:

* **Open now** (the million-row part): every item open today (``open_amount <> 0``) that exists on D
  (``document_date <= D``), bucketed with its stored open amount. Its filter is simple enough to be
  read from the covering partial index ``item_open_aging_idx`` alone, in group order: no table
  access, no sort, on both databases.
* **Changes since D**: the items touched after D and issued by then (``last_activity_on > D``,
  covering index ``item_activity_idx``), each with the difference between its open amount on D and
  today's: an allocation made after D and still live is added back; one made on/before D and
  reversed after D is taken off again. The item count moves too: +1 for an item open on D but not
  today, -1 for the reverse. For today's aging this part is empty. PostgreSQL reads the allocations
  changed after D in one range of ``allocation_changed_idx`` and hashes them against the touched
  items; SQLite, without hash joins, looks each touched item's allocations up by item.

The two parts are added up per entity, customer and currency in the database (``_merged_part``: a
FULL JOIN on PostgreSQL; on SQLite, which runs a FULL JOIN of two materialized parts as a nested
loop, a LEFT JOIN plus the groups only the changes part has), then rolled up to the report's groups
(customer, entity, collector, currency), and the labels are joined (and put together as one text
column) to the at most one row per customer and currency, never to the items. Python only turns the
rows into ``AgingRow``s. Buckets are FILTERed sums over ranges of reference dates between cutoffs
computed in Python (``bucket_cutoffs``), credit kinds signed negative. Every value is a parameter;
amounts are added up (``_exact``) on SQLite, which stores decimals as binary floats, as integer
hundredths (every amount column has two decimal places), which keeps the totals exact to the cent;
on PostgreSQL as the exact numeric itself, whose sums the driver hands back as Decimals. Fetching
and building a hundred thousand rows runs with the cyclic garbage collector paused
(``_no_gc_pauses``). On PostgreSQL the transaction lets the planner run the scans in parallel
(``_aggregate_memory``).

The drill-down (``aging_items``) lists the items themselves: it splits them into those untouched
since D (stored open amount) and those touched since (rebuilt from their allocations).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter

from django.db import connection, transaction
from django.utils import timezone

from incasso.core.aging import (
    DEFAULT_BUCKETS,
    AgingError,
    AgingReport,
    AgingRow,
    Bucket,
    bucket_cutoffs,
    missing_rates,
    to_reporting_currency,
)
from incasso.core.calendar import local_date
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import LegalEntity

GROUPINGS = ("customer", "entity", "collector", "currency")
BASES = ("due_date", "document_date")
UNASSIGNED = "(unassigned)"

_CREDIT_KINDS = sorted(str(kind) for kind in CREDIT_KINDS)
# PostgreSQL planner costs for the aging's transaction (defaults 1000 and 0.1); see _aggregate_memory.
PARALLEL_SETUP_COST = "100"
PARALLEL_TUPLE_COST = "0.001"
_CENTS = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AgingScope:
    """Which items a query looks at (all optional filters, ANDed)."""

    entity_ids: tuple[int, ...] | None = None
    customer_ids: tuple[int, ...] | None = None
    collector_id: int | None = None
    currency: str | None = None

    def narrowed_to(self, entity_ids: Sequence[int]) -> AgingScope:
        return AgingScope(tuple(entity_ids), self.customer_ids, self.collector_id, self.currency)


def _in_list(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _scope_filters(scope: AgingScope) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    if scope.entity_ids is not None:
        clause, values = _in_list("i.entity_id", scope.entity_ids)
        clauses.append(clause)
        params += values
    if scope.customer_ids is not None:
        clause, values = _in_list("i.customer_id", scope.customer_ids)
        clauses.append(clause)
        params += values
    if scope.collector_id is not None:
        # A semi-join rather than a join: the item scan stays a scan of one table (and of one index).
        clauses.append("i.customer_id IN (SELECT c.id FROM ledger_customer c WHERE c.collector_id = %s)")
        params.append(scope.collector_id)
    if scope.currency is not None:
        clauses.append("i.currency = %s")
        params.append(scope.currency)
    return "".join(f" AND {clause}" for clause in clauses), params


def _candidates(as_of: date, basis: str, scope: AgingScope) -> tuple[str, list[object]]:
    """SQL for every item existing and open on ``as_of``, with its unsigned open amount as of
    ``as_of`` in hundredths (``open_cents``, never 0): the fast and the slow part in one UNION ALL."""
    (fast, fast_params), (slow, slow_params) = _candidate_parts(as_of, basis, scope)
    return f"{fast} UNION ALL {slow}", [*fast_params, *slow_params]


def _candidate_parts(as_of: date, basis: str, scope: AgingScope) -> list[tuple[str, list[object]]]:
    """The fast part (untouched since ``as_of``: stored open amount) and the slow part (touched
    since: corrected by the later allocations and reversals), as two SELECTs with their parameters."""
    if basis not in BASES:
        raise AgingError(f"basis {basis!r}: expected one of {', '.join(BASES)}")
    filters, filter_params = _scope_filters(scope)
    columns = (
        f"i.id AS item_id, i.entity_id AS entity_id, i.customer_id AS customer_id, i.kind AS kind, "
        f"i.currency AS currency, i.{basis} AS ref_date"
    )
    cents = "CAST(ROUND(i.open_amount * 100) AS BIGINT)"
    alloc_cents = "CAST(ROUND(a.amount * 100) AS BIGINT)"
    # +amount: made after D and still live (it lowered today's open amount, not D's);
    # -amount: made on/before D and reversed after D (it counted on D; the reversal restored it since).
    delta = (
        f"CASE WHEN a.date > %s AND a.reversed_on IS NULL THEN {alloc_cents} "
        f"WHEN a.date <= %s THEN -{alloc_cents} ELSE 0 END"
    )
    changed = "(a.date > %s OR a.reversed_on > %s)"
    fast = (
        f"SELECT {columns}, {cents} AS open_cents FROM ledger_item i"
        # COALESCE: an item never touched counts as touched when issued (already required <= D); it
        # also keeps SQLite from reading a million rows through the last-activity index (an OR).
        f" WHERE NOT (i.open_amount = '0') AND COALESCE(i.last_activity_on, i.document_date) <= %s"
        f" AND i.document_date <= %s{filters}"
    )
    # Each touched item looks its allocations up through the (covering) indexes by item, rather
    # than every allocation changed since as_of being summed per item first: a customer's drill-down
    # as of a past date reads its own few items' allocations only.
    lookups = " + ".join(
        f"COALESCE((SELECT SUM({delta}) FROM ledger_allocation a WHERE a.{side}_item_id = i.id AND {changed}), 0)"
        for side in ("debit", "credit")
    )
    slow = (
        "SELECT t.item_id, t.entity_id, t.customer_id, t.kind, t.currency, t.ref_date, t.open_cents FROM ("
        f"SELECT {columns}, {cents} + CAST({lookups} AS BIGINT) AS open_cents FROM ledger_item i"
        f" WHERE i.last_activity_on > %s AND i.document_date <= %s{filters}) t WHERE t.open_cents <> 0"
    )
    fast_params: list[object] = [as_of, as_of, *filter_params]
    slow_params: list[object] = [as_of] * 10 + filter_params
    return [(fast, fast_params), (slow, slow_params)]


def _bucket_case(as_of: date, buckets: Sequence[Bucket]) -> tuple[str, list[object]]:
    cutoffs = bucket_cutoffs(as_of, buckets)
    whens = " ".join(f"WHEN cand.ref_date >= %s THEN {index}" for index in range(len(cutoffs)))
    return f"CASE {whens} ELSE {len(buckets) - 1} END", list(cutoffs)


_ZERO_CENTS = ZERO.quantize(_CENTS)


def _from_cents(value: int | None) -> Decimal:
    if not value:
        return _ZERO_CENTS  # most bucket cells are empty; Decimals are immutable, so one will do
    return Decimal(value).scaleb(-2)


# The value and bucket expressions of the grouped parts. The bucket sums are FILTERed aggregates
# (SQLite 3.30+, PostgreSQL): an aggregate whose filter is false is skipped, where a CASE ... ELSE 0
# would still call it; the cast keeps PostgreSQL's SUM(bigint) an integer instead of a numeric.
def _bucket_sums(value: str, value_params: Sequence[object], reference: str, as_of: date,
                 buckets: Sequence[Bucket]) -> tuple[list[str], list[object]]:
    """One ``SUM(value) FILTER (WHERE reference in bucket i) AS b<i>`` per bucket (see ``_sum``): bucket
    i is the reference dates from its cutoff (inclusive) to the previous cutoff (exclusive). The value
    is only computed for the rows its filter lets through, i.e. once per row."""
    cutoffs = bucket_cutoffs(as_of, buckets)
    sums: list[str] = []
    params: list[object] = []
    for index in range(len(buckets)):
        conditions = []
        params += value_params
        if index < len(cutoffs):
            conditions.append(f"{reference} >= %s")
            params.append(cutoffs[index])
        if index > 0:
            conditions.append(f"{reference} < %s")
            params.append(cutoffs[index - 1])
        bucket_filter = f" FILTER (WHERE {' AND '.join(conditions)})"
        sums.append(f"{_sum(value, bucket_filter)} AS b{index}")
    return sums, params


def _exact(amount: str) -> str:
    """An amount column (two decimal places) as the report adds it up. On SQLite, which stores
    decimals as binary floats, whole hundredths: integer sums stay exact to the cent. On PostgreSQL
    the numeric itself, exact already: its sums come back from the driver as Decimals, which saves
    turning every cell of a hundred thousand rows into one in Python, and the server skips the
    multiplication, rounding and cast of every item."""
    if connection.vendor == "postgresql":
        return amount
    return f"CAST(ROUND({amount} * 100) AS BIGINT)"


def _sum(value: str, aggregate_filter: str = "") -> str:
    """SUM of ``_exact`` values: kept an integer on SQLite (PostgreSQL's SUM(bigint) would be a
    numeric; the cast is a no-op on SQLite), the numeric as it is on PostgreSQL."""
    if connection.vendor == "postgresql":
        return f"SUM({value}){aggregate_filter}"
    return f"CAST(SUM({value}){aggregate_filter} AS BIGINT)"


def _open_now_part(as_of: date, basis: str, buckets: Sequence[Bucket], scope: AgingScope) -> tuple[str, list[object]]:
    """Per entity, customer and currency: the items open today that exist on ``as_of``, bucketed with
    their stored open amount (what they would owe on ``as_of`` if nothing had changed since).

    This is the million-row part. It reads nothing but the covering partial index
    ``item_open_aging_idx`` (entity, customer, currency, due date, document date, kind, open amount;
    open items only), in its order, so SQLite groups while it scans, without a sort, and PostgreSQL
    runs a sorted aggregate over an index-only scan. ``NOT (open_amount = '0')`` is written as in the
    index's condition: SQLite only uses a partial index when the query repeats its condition; it is a
    constant of the index, not a value.
    """
    filters, filter_params = _scope_filters(scope)
    signed, signed_params = _signed_of("i.kind", _exact("i.open_amount"))
    sums, sum_params = _bucket_sums(signed, signed_params, f"i.{basis}", as_of, buckets)
    sql = (
        f"SELECT i.entity_id AS entity_id, i.customer_id AS customer_id, i.currency AS currency, {', '.join(sums)},"
        f" COUNT(*) AS item_count FROM ledger_item i"
        f" WHERE NOT (i.open_amount = '0') AND i.document_date <= %s{filters}"
        f" GROUP BY i.entity_id, i.customer_id, i.currency"
    )
    return sql, [*sum_params, as_of, *filter_params]


def _changes_part(as_of: date, basis: str, buckets: Sequence[Bucket], scope: AgingScope) -> tuple[str, list[object]]:
    """Per entity, customer and currency: what the allocations made or reversed after ``as_of`` changed,
    to be added to the open-now part: each touched item's open amount on ``as_of`` minus its stored
    one, bucketed, and the change in the number of open items.

    The touched items are found through their last activity date (``item_activity_idx``: later than
    ``as_of``, issued by then), so the part is empty and costs one index probe for today's aging, and
    each one's change is read through the allocation indexes by item. An allocation made after
    ``as_of`` and still live lowered today's open amount, not that of ``as_of``: it is added back;
    one made by ``as_of`` and reversed since counted on ``as_of``: it is taken off again. The change
    is added up per item first, because whether the item was open on ``as_of`` depends on its total;
    the per-item rows are MATERIALIZED (SQLite 3.35+, PostgreSQL 12+) so that each item's two
    lookups run once, not once for every place the grouped query uses the change.
    """
    filters, filter_params = _scope_filters(scope)
    allocated = _exact("a.amount")
    delta = (
        f"CASE WHEN a.date > %s AND a.reversed_on IS NULL THEN {allocated}"
        f" WHEN a.date <= %s THEN -{allocated} ELSE 0 END"
    )
    columns = (
        "i.entity_id AS entity_id, i.customer_id AS customer_id, i.currency AS currency, i.kind AS kind,"
        f" i.{basis} AS ref_date, {_exact('i.open_amount')} AS open_now"
    )
    touched = f"i.last_activity_on > %s AND i.document_date <= %s{filters}"
    if connection.vendor == "postgresql" and scope.customer_ids is None and scope.collector_id is None:
        # One pass over the allocations changed after as_of (made or reversed since: the reversal is
        # never before the allocation, so that is COALESCE(reversed_on, date) > as_of, read from the
        # covering ``allocation_changed_idx``), both sides hashed against the touched items and added
        # up per item: an item whose allocations did not change adds nothing and is left out. Not
        # for an aging scoped to some customers or a collector's: it would still read every changed
        # allocation (90 ms for one customer on the bench ledger); their few touched items look
        # their allocations up instead, as on SQLite.
        sides = " UNION ALL ".join(
            f"SELECT a.{side}_item_id AS item_id, {delta} AS delta FROM ledger_allocation a"
            " WHERE COALESCE(a.reversed_on, a.date) > %s"
            for side in ("debit", "credit")
        )
        per_item = (
            f"SELECT {columns}, SUM(s.delta) AS delta FROM ledger_item i JOIN ({sides}) s ON s.item_id = i.id"
            f" WHERE {touched} GROUP BY i.id"
        )
        per_item_params: list[object] = [as_of] * 6 + [as_of, as_of, *filter_params]
    else:
        # SQLite has no hash join: each touched item looks its allocations up, from the covering
        # indexes by item (``allocation_debit_idx``, ``allocation_credit_idx``).
        lookups = []
        lookup_params: list[object] = []
        for side in ("debit", "credit"):
            lookups.append(
                f"COALESCE((SELECT SUM({delta}) FROM ledger_allocation a"
                f" WHERE a.{side}_item_id = i.id AND (a.date > %s OR a.reversed_on > %s)), 0)"
            )
            lookup_params += [as_of] * 4
        per_item = f"SELECT {columns}, {' + '.join(lookups)} AS delta FROM ledger_item i WHERE {touched}"
        per_item_params = [*lookup_params, as_of, as_of, *filter_params]
    signed, signed_params = _signed_of("d.kind", "d.delta")
    sums, sum_params = _bucket_sums(signed, signed_params, "d.ref_date", as_of, buckets)
    # An item whose allocations after as_of cancel out (delta 0) adds 0 everywhere, the count included.
    sql = (
        f"WITH d AS MATERIALIZED ({per_item})"
        f" SELECT d.entity_id AS entity_id, d.customer_id AS customer_id, d.currency AS currency, {', '.join(sums)},"
        " SUM(CASE WHEN d.open_now + d.delta <> 0 THEN 1 ELSE 0 END)"
        " - SUM(CASE WHEN d.open_now <> 0 THEN 1 ELSE 0 END) AS item_count"
        " FROM d GROUP BY d.entity_id, d.customer_id, d.currency"
    )
    return sql, [*per_item_params, *sum_params]


def _signed_of(kind: str, amount: str) -> tuple[str, list[object]]:
    """The amount, negative for the credit kinds."""
    placeholders = ", ".join(["%s"] * len(_CREDIT_KINDS))
    return f"CASE WHEN {kind} IN ({placeholders}) THEN -{amount} ELSE {amount} END", list(_CREDIT_KINDS)


# How a part grouped per entity, customer and currency is rolled up to the report's groups:
# (group key, joins, label, regroup). The label is put together in SQL (one column, one string per
# row); labels are joined to the at most one row per customer and currency, never to the items.
_ROLLUPS = {
    "customer": (
        "g.customer_id",
        " JOIN ledger_customer lc ON lc.id = g.customer_id JOIN ledger_legalentity e ON e.id = lc.entity_id",
        "e.code || '/' || lc.account || ' ' || lc.name",
        False,
    ),
    "entity": ("g.entity_id", " JOIN ledger_legalentity e ON e.id = g.entity_id", "e.code || ' ' || e.name", True),
    "collector": (
        "lc.collector_id",
        " JOIN ledger_customer lc ON lc.id = g.customer_id LEFT JOIN auth_user u ON u.id = lc.collector_id",
        f"COALESCE(u.username, '{UNASSIGNED}')",
        True,
    ),
    "currency": ("g.currency", "", "g.currency", True),
}


def _rolled_up(part: str, by: str, width: int) -> str:
    """The part rolled up to the groups of ``by``: group key, currency, the bucket sums, the item
    count and the label."""
    key, joins, label, regroup = _ROLLUPS[by]
    columns = [f"g.b{index}" for index in range(width)]
    if regroup:
        columns = [_sum(column) for column in columns]
    if connection.vendor == "postgresql":
        # An empty cell as the exact zero of two decimal places, made by the driver in C, so that
        # Python takes the row's amounts as they come (a hundred thousand rows).
        columns = [f"COALESCE({column}, 0.00)" for column in columns]
    if not regroup:
        return f"SELECT {key}, g.currency, {', '.join(columns)}, g.item_count, {label} FROM ({part}) g{joins}"
    sums = ", ".join(columns)
    return (
        f"SELECT {key}, g.currency, {sums}, CAST(SUM(g.item_count) AS BIGINT), {label} FROM ({part}) g{joins}"
        f" GROUP BY {key}, g.currency, {label}"
    )


def _merged_part(as_of: date, basis: str, buckets: Sequence[Bucket], scope: AgingScope) -> tuple[str, list[object]]:
    """Per entity, customer and currency, the aging as of ``as_of``: the open-now part with the
    changes part added in the database, groups with no item open on ``as_of`` left out.

    The open-now part (grouped while the covering index is read) is joined to the changes part (a
    few tens of thousands of groups, MATERIALIZED: SQLite builds an automatic index on it, PostgreSQL
    hashes it) by a LEFT JOIN, never a FULL JOIN: SQLite runs a FULL JOIN of two materialized parts
    as a nested loop. The groups that only the changes part has (nothing of theirs open today existed
    on ``as_of``) come in a UNION ALL, found by one probe each of ``item_open_aging_idx``. An empty
    cell stays NULL: ``COALESCE(o + c, o, c)``.
    """
    width = len(buckets)
    open_part, open_params = _open_now_part(as_of, basis, buckets, scope)
    changes_part, changes_params = _changes_part(as_of, basis, buckets, scope)
    filters, filter_params = _scope_filters(scope)
    cells = ", ".join(f"COALESCE(o.b{n} + c.b{n}, o.b{n}, c.b{n}) AS b{n}" for n in range(width))
    if connection.vendor == "postgresql":
        # PostgreSQL hashes or merges a FULL JOIN: the groups only the changes part has come with it.
        sql = (
            f"WITH c AS MATERIALIZED ({changes_part}), o AS ({open_part})"
            " SELECT COALESCE(o.entity_id, c.entity_id) AS entity_id, COALESCE(o.customer_id, c.customer_id)"
            f" AS customer_id, COALESCE(o.currency, c.currency) AS currency, {cells},"
            " COALESCE(o.item_count, 0) + COALESCE(c.item_count, 0) AS item_count"
            " FROM o FULL JOIN c ON c.customer_id = o.customer_id AND c.entity_id = o.entity_id"
            " AND c.currency = o.currency"
            " WHERE COALESCE(o.item_count, 0) + COALESCE(c.item_count, 0) <> 0"
        )
        return sql, [*changes_params, *open_params]
    changed_only = ", ".join(f"c.b{n} AS b{n}" for n in range(width))
    sql = (
        f"WITH c AS MATERIALIZED ({changes_part}), o AS ({open_part})"
        f" SELECT o.entity_id AS entity_id, o.customer_id AS customer_id, o.currency AS currency, {cells},"
        " o.item_count + COALESCE(c.item_count, 0) AS item_count"
        " FROM o LEFT JOIN c ON c.customer_id = o.customer_id AND c.entity_id = o.entity_id"
        " AND c.currency = o.currency"
        " WHERE o.item_count + COALESCE(c.item_count, 0) <> 0"
        f" UNION ALL SELECT c.entity_id, c.customer_id, c.currency, {changed_only}, c.item_count FROM c"
        " WHERE c.item_count > 0 AND NOT EXISTS (SELECT 1 FROM ledger_item i WHERE i.entity_id = c.entity_id"
        " AND i.customer_id = c.customer_id AND i.currency = c.currency AND NOT (i.open_amount = '0')"
        f" AND i.document_date <= %s{filters})"
    )
    return sql, [*changes_params, *open_params, as_of, *filter_params]


def _grouped_rows(as_of: date, by: str, basis: str, buckets: Sequence[Bucket],
                  scope: AgingScope) -> list[tuple[object, AgingRow]]:
    """(group key, row of label, currency, bucket amounts, item count) as of ``as_of``: one query,
    the open-now and changes parts added up and rolled up to the groups in the database."""
    width = len(buckets)
    part, params = _merged_part(as_of, basis, buckets, scope)
    with _no_gc_pauses():
        with _aggregate_memory(), connection.cursor() as cursor:
            cursor.execute(_rolled_up(part, by, width), params)
            fetched = cursor.fetchall()
        return _rows_of(fetched, width, in_cents=connection.vendor != "postgresql")


def _rows_of(fetched: list[tuple], width: int, *, in_cents: bool) -> list[tuple[object, AgingRow]]:
    """The fetched records (key, currency, bucket sums, item count, label) as rows, the sums turned
    into Decimals once (``in_cents``: they are whole hundredths, see ``_exact``, NULL for an empty
    cell; else Decimals already, 0.00 for an empty cell: see ``_rolled_up``)."""
    # The tight loop of the report (a hundred thousand customers): whole cents to Decimal by one
    # multiplication of the Decimal 0.01 by the int (exact, two decimal places: the same Decimal,
    # exponent included, as Decimal(cents) * 0.01, without building the intermediate Decimal; 0.14
    # against 0.25 s for 444,000 cells), empty buckets share one zero.
    cent, zero = _CENTS, _ZERO_CENTS
    count, label = 2 + width, 3 + width
    if in_cents:
        return [
            (record[0], AgingRow(record[label], record[1],
                                 [cent * cents if cents else zero for cents in record[2:count]],
                                 int(record[count])))
            for record in fetched
        ]
    return [(record[0], AgingRow(record[label], record[1], list(record[2:count]), record[count])) for record in fetched]


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection while a report fetches and builds its rows. A hundred thousand
    customers make over a million small objects (tuples, Decimals, rows), none of them in a cycle,
    and each allocation burst triggers collections that walk every live object again: measured at
    about half of the Python time of a 100k-customer report. Switched back on afterwards if it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _aggregate_memory() -> Iterator[None]:
    """On PostgreSQL, for this transaction only: let an aggregate over a hundred thousand customers
    stay in memory instead of spilling to disk (the default 4 MB work_mem spills at about 20,000
    groups), and no JIT: the planner prices the per-item allocation lookups of the changes part far
    above their cost, which switched on JIT inlining and optimisation, measured at 1.6 s of
    compiling for a query that then ran in under a second. Parallel query made cheaper in the
    planner's eyes (``PARALLEL_*``): by default it prices the Gather Merge of a hundred thousand
    partial groups above what a second process saves on scanning a million index entries, and keeps
    the scan serial; the number of workers stays the server's ``max_parallel_workers_per_gather``,
    and an aging scoped to a few customers stays serial (it reads fewer index pages than
    ``min_parallel_index_scan_size``). Settings, not part of the query. SQLite gets no transaction
    here: its IMMEDIATE mode
    would make a read-only report take the write lock."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # set_config(..., true) is SET LOCAL; all in one statement keeps it one round trip.
        cursor.execute(
            "SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true),"
            " set_config('parallel_setup_cost', %s, true), set_config('parallel_tuple_cost', %s, true)",
            [PARALLEL_SETUP_COST, PARALLEL_TUPLE_COST],
        )
        yield


def _merge(rows: Sequence[AgingRow]) -> list[AgingRow]:
    """Rows of the same group and currency (from queries for different as-of dates) added up, sorted.
    Sorted first, so that twins are neighbours: one pass compares each row with the previous one
    (a dictionary of a hundred thousand long labels cost more in hashing than the sort). A row
    without a twin is kept as it is (the common case: one query)."""
    merged: list[AgingRow] = []
    previous: AgingRow | None = None
    for row in sorted(rows, key=_ROW_ORDER):
        if previous is not None and row.group == previous.group and row.currency == previous.currency:
            previous = merged[-1] = AgingRow(
                row.group, row.currency, [a + b for a, b in zip(previous.amounts, row.amounts, strict=True)],
                previous.item_count + row.item_count,
            )
            continue
        merged.append(row)
        previous = row
    return merged


_ROW_ORDER = attrgetter("group", "currency")


def aged_groups(as_of: date | None, by: str, basis: str, buckets: Sequence[Bucket], scope: AgingScope,
                by_date: dict[date, list[int]]) -> list[tuple[object, AgingRow]]:
    """The grouped rows with their group keys (entity or customer id, collector id, currency), one
    query for ``as_of`` or one per distinct entity date in ``by_date`` when ``as_of`` is None."""
    if as_of is not None:
        return _grouped_rows(as_of, by, basis, buckets, scope)
    keyed: list[tuple[object, AgingRow]] = []
    for day, ids in by_date.items():
        keyed += _grouped_rows(day, by, basis, buckets, scope.narrowed_to(ids))
    return keyed


def entity_as_of_dates(as_of: date | None, *, entity_ids: Sequence[int] | None = None,
                       now: datetime | None = None) -> dict[int, tuple[str, date]]:
    """Each entity in scope with the date it is aged as of: ``as_of`` when given, else the entity's
    own local date at ``now`` (one clock reading for all of them)."""
    entities = LegalEntity.objects.order_by("code")
    if entity_ids is not None:
        entities = entities.filter(pk__in=list(entity_ids))
    if as_of is None:
        moment = now or timezone.now()
        return {e.pk: (e.code, local_date(moment, e.timezone)) for e in entities}
    return {pk: (code, as_of) for pk, code in entities.values_list("pk", "code")}


def _check(by: str, basis: str) -> None:
    if by not in GROUPINGS:
        raise AgingError(f"group by {by!r}: expected one of {', '.join(GROUPINGS)}")
    if basis not in BASES:
        raise AgingError(f"basis {basis!r}: expected one of {', '.join(BASES)}")


def entities_by_date(dated: dict[int, tuple[str, date]]) -> dict[date, list[int]]:
    by_date: dict[date, list[int]] = {}
    for pk, (_code, day) in dated.items():
        by_date.setdefault(day, []).append(pk)
    return dict(sorted(by_date.items()))


def aging_report(
    as_of: date | None,
    *,
    by: str = "customer",
    basis: str = "due_date",
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
    entity_ids: Sequence[int] | None = None,
    customer_ids: Sequence[int] | None = None,
    collector_id: int | None = None,
    now: datetime | None = None,
    reporting_currency: str | None = None,
    rates: dict[str, Decimal] | None = None,
) -> AgingReport:
    """Open amounts as of ``as_of`` grouped ``by`` customer, entity, collector or currency.

    With ``as_of`` None every entity is aged as of its own local date at ``now`` (default: the clock,
    read once): one query per distinct date. With ``reporting_currency`` the rows are converted with
    ``rates`` (units of the reporting currency per unit), or else with the stored exchange rates on
    the report's as-of date, and rounded once.
    """
    _check(by, basis)
    buckets = tuple(buckets)
    dated = entity_as_of_dates(as_of, entity_ids=entity_ids, now=now)
    scope = AgingScope(
        entity_ids=tuple(entity_ids) if entity_ids is not None else None,
        customer_ids=tuple(customer_ids) if customer_ids is not None else None,
        collector_id=collector_id,
    )
    by_date = entities_by_date(dated)
    with _no_gc_pauses():
        keyed = aged_groups(as_of, by, basis, buckets, scope, by_date)
        rows = _merge([row for _key, row in keyed])
    report_date = as_of or (max(by_date) if by_date else local_date(now or timezone.now(), "UTC"))
    report = AgingReport(
        report_date, buckets, basis, rows, {code: day for code, day in sorted(dated.values())}
    )
    if reporting_currency is None:
        return report
    if rates is None:
        from incasso.reports.models import rates_on

        rates = rates_on(report.as_of, reporting_currency)
    missing = missing_rates({row.currency for row in report.rows}, reporting_currency, rates)
    if missing:
        raise AgingError(
            f"no exchange rate to {reporting_currency} for {', '.join(missing)} "
            f"(as of {report.as_of.isoformat()}): add it to the rate table or pass it with --rates"
        )
    return to_reporting_currency(report, reporting_currency, rates)


@dataclass(frozen=True, slots=True)
class AgedItem:
    """One item behind an aging bucket: its open amount as of the aging date and where it falls."""

    item_id: int
    entity_code: str
    customer_id: int
    customer: str  # "ENTITY/ACCOUNT Name"
    kind: str
    number: str
    document_date: date
    due_date: date
    currency: str
    amount: Decimal
    open_amount: Decimal  # unsigned, as of the aging date
    signed_open_amount: Decimal  # debit positive, credit negative (what the bucket adds up)
    as_of: date
    days: int  # days past the reference date (due or document date, per basis)
    bucket_index: int
    bucket_label: str


def aging_items(
    as_of: date | None,
    *,
    customer_id: int | None = None,
    bucket_index: int | None = None,
    basis: str = "due_date",
    buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
    entity_ids: Sequence[int] | None = None,
    collector_id: int | None = None,
    currency: str | None = None,
    now: datetime | None = None,
    limit: int | None = None,
) -> list[AgedItem]:
    """The open items behind an aging report (drill-down: a bucket opens its items), oldest
    reference date first. Same rules and as-of dates as ``aging_report``."""
    _check("customer", basis)
    buckets = tuple(buckets)
    if bucket_index is not None and not 0 <= bucket_index < len(buckets):
        raise AgingError(f"bucket {bucket_index} does not exist (there are {len(buckets)} buckets)")
    dated = entity_as_of_dates(as_of, entity_ids=entity_ids, now=now)
    scope = AgingScope(
        entity_ids=tuple(entity_ids) if entity_ids is not None else None,
        customer_ids=(customer_id,) if customer_id is not None else None,
        collector_id=collector_id,
        currency=currency,
    )
    if as_of is not None:
        plan = [(as_of, scope)]
    else:
        plan = [(day, scope.narrowed_to(ids)) for day, ids in entities_by_date(dated).items()]
    items: list[AgedItem] = []
    for day, day_scope in plan:
        items += _items_on(day, basis, buckets, day_scope, bucket_index, limit)
    items.sort(key=lambda item: (item.due_date if basis == "due_date" else item.document_date, item.item_id))
    return items[:limit] if limit is not None else items


def _items_on(as_of: date, basis: str, buckets: tuple[Bucket, ...], scope: AgingScope,
              bucket_index: int | None, limit: int | None) -> list[AgedItem]:
    candidates, candidate_params = _candidates(as_of, basis, scope)
    cutoffs = bucket_cutoffs(as_of, buckets)
    bucket_case, bucket_params = _bucket_case(as_of, buckets)
    conditions, where_params = [], []
    if bucket_index is not None:
        # The bucket as a range of reference dates: on/after its cutoff, before the previous one.
        if bucket_index < len(cutoffs):
            conditions.append("cand.ref_date >= %s")
            where_params.append(cutoffs[bucket_index])
        if bucket_index > 0:
            conditions.append("cand.ref_date < %s")
            where_params.append(cutoffs[bucket_index - 1])
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # The items are chosen, ordered and cut to the limit first, and only those joined to their
    # documents, customers and entities: an aging page's bucket (a limit over a million open items)
    # does not join and sort every candidate.
    chosen = (
        "SELECT cand.item_id AS item_id, cand.entity_id AS entity_id, cand.customer_id AS customer_id,"
        " cand.kind AS kind, cand.currency AS currency, cand.ref_date AS ref_date, cand.open_cents AS open_cents,"
        f" {bucket_case} AS bucket FROM ({candidates}) cand{where} ORDER BY cand.ref_date, cand.item_id"
    )
    params = [*bucket_params, *candidate_params, *where_params]
    if limit is not None:
        chosen += " LIMIT %s"
        params.append(limit)
    sql = (
        "SELECT c.item_id, e.code, c.customer_id, lc.account, lc.name, c.kind, i.number, i.document_date,"
        " i.due_date, c.currency, CAST(ROUND(i.amount * 100) AS BIGINT), c.open_cents, c.bucket"
        f" FROM ({chosen}) c JOIN ledger_item i ON i.id = c.item_id"
        " JOIN ledger_customer lc ON lc.id = c.customer_id JOIN ledger_legalentity e ON e.id = c.entity_id"
        " ORDER BY c.ref_date, c.item_id"
    )
    result = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for (item_id, code, customer_id, account, name, kind, number, document_date, due_date, currency,
             amount_cents, open_cents, bucket) in cursor.fetchall():
            document_date, due_date = _as_date(document_date), _as_date(due_date)
            open_amount = _from_cents(open_cents)
            reference = due_date if basis == "due_date" else document_date
            result.append(AgedItem(
                item_id=item_id, entity_code=code, customer_id=customer_id, customer=f"{code}/{account} {name}",
                kind=kind, number=number, document_date=document_date, due_date=due_date, currency=currency,
                amount=_from_cents(amount_cents), open_amount=open_amount,
                signed_open_amount=-open_amount if kind in _CREDIT_KINDS else open_amount,
                as_of=as_of, days=(as_of - reference).days, bucket_index=int(bucket),
                bucket_label=buckets[int(bucket)].label,
            ))
    return result


def _as_date(value: object) -> date:
    # SQLite hands raw SQL dates back as ISO text; PostgreSQL as dates.
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
