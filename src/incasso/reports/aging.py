"""Aging as of any date, set-based: one grouped query per as-of date, never a row-by-row replay.

How the query finds an item's open amount as of D (the rules are those of ``incasso.core.aging``):

* Only items with ``document_date <= D`` exist on D.
* Fast path: an item whose ``last_activity_on`` is empty or on/before D has had no allocation made or
  reversed since D, so its stored ``open_amount`` *is* its open amount as of D. Those candidates are
  the open items (``open_amount <> 0``), read through the partial index ``item_open_due_idx``.
* Slow path: an item touched after D (``last_activity_on > D``, its own index) gets its stored open
  amount corrected by the allocations that changed it after D: one made after D and still live is
  added back; one made on/before D and reversed after D is taken off again. Those allocations are
  pre-aggregated per item in one pass over ``ledger_allocation`` and joined.
* Each part is grouped by group key and currency on its own, with one column per bucket: a
  conditional SUM over a range of reference dates between cutoffs computed in Python
  (``bucket_cutoffs``), credit kinds signed negative. The two small results are added up in an outer
  GROUP BY (the drill-down uses the parts as one ``UNION ALL``). Every value is a parameter; the SQL
  text is the same on SQLite and PostgreSQL.

Amounts are summed as integer hundredths (every amount column has two decimal places): SQLite
stores decimals as binary floats, and integer sums keep the totals exact to the cent on both
databases.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

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
        clauses.append("c.collector_id = %s")
        params.append(scope.collector_id)
    if scope.currency is not None:
        clauses.append("i.currency = %s")
        params.append(scope.currency)
    return "".join(f" AND {clause}" for clause in clauses), params


def _candidates(as_of: date, basis: str, scope: AgingScope, with_collector: bool) -> tuple[str, list[object]]:
    """SQL for every item existing and open on ``as_of``, with its unsigned open amount as of
    ``as_of`` in hundredths (``open_cents``, never 0): the fast and the slow part in one UNION ALL."""
    (fast, fast_params), (slow, slow_params) = _candidate_parts(as_of, basis, scope, with_collector)
    return f"{fast} UNION ALL {slow}", [*fast_params, *slow_params]


def _candidate_parts(as_of: date, basis: str, scope: AgingScope,
                     with_collector: bool) -> list[tuple[str, list[object]]]:
    """The fast part (untouched since ``as_of``: stored open amount) and the slow part (touched
    since: corrected by the later allocations and reversals), as two SELECTs with their parameters."""
    if basis not in BASES:
        raise AgingError(f"basis {basis!r}: expected one of {', '.join(BASES)}")
    join_customer = with_collector or scope.collector_id is not None
    join = " JOIN ledger_customer c ON c.id = i.customer_id" if join_customer else ""
    collector = ", c.collector_id AS collector_id" if join_customer else ""
    filters, filter_params = _scope_filters(scope)
    columns = (
        f"i.id AS item_id, i.entity_id AS entity_id, i.customer_id AS customer_id, i.kind AS kind, "
        f"i.currency AS currency, i.{basis} AS ref_date{collector}"
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
        f"SELECT {columns}, {cents} AS open_cents FROM ledger_item i{join}"
        # COALESCE: an item never touched counts as touched when issued (already required <= D); it
        # also keeps SQLite from reading a million rows through the last-activity index (an OR).
        f" WHERE i.open_amount <> 0 AND COALESCE(i.last_activity_on, i.document_date) <= %s"
        f" AND i.document_date <= %s{filters}"
    )
    slow = (
        f"SELECT {columns}, {cents} + CAST(COALESCE(r.delta_cents, 0) AS BIGINT) AS open_cents"
        f" FROM ledger_item i{join}"
        f" LEFT JOIN (SELECT m.item_id AS item_id, SUM(m.delta_cents) AS delta_cents FROM ("
        f"SELECT a.debit_item_id AS item_id, {delta} AS delta_cents FROM ledger_allocation a"
        f" WHERE a.debit_item_id IS NOT NULL AND {changed}"
        f" UNION ALL "
        f"SELECT a.credit_item_id AS item_id, {delta} AS delta_cents FROM ledger_allocation a"
        f" WHERE a.credit_item_id IS NOT NULL AND {changed}"
        f") m GROUP BY m.item_id) r ON r.item_id = i.id"
        f" WHERE i.last_activity_on > %s AND i.document_date <= %s{filters}"
        f" AND {cents} + CAST(COALESCE(r.delta_cents, 0) AS BIGINT) <> 0"
    )
    fast_params: list[object] = [as_of, as_of, *filter_params]
    slow_params: list[object] = [as_of] * 10 + filter_params
    return [(fast, fast_params), (slow, slow_params)]


def _bucket_case(as_of: date, buckets: Sequence[Bucket]) -> tuple[str, list[object]]:
    cutoffs = bucket_cutoffs(as_of, buckets)
    whens = " ".join(f"WHEN cand.ref_date >= %s THEN {index}" for index in range(len(cutoffs)))
    return f"CASE {whens} ELSE {len(buckets) - 1} END", list(cutoffs)


def _signed(column: str) -> tuple[str, list[object]]:
    placeholders = ", ".join(["%s"] * len(_CREDIT_KINDS))
    return f"CASE WHEN cand.kind IN ({placeholders}) THEN -{column} ELSE {column} END", list(_CREDIT_KINDS)


_GROUP_KEYS = {
    "customer": "x.customer_id",
    "entity": "x.entity_id",
    "collector": "x.collector_id",
    "currency": "x.currency",
}

# The label columns joined onto each group key (for "ENTITY/ACCOUNT Name", "CODE Name", username).
_LABEL_JOINS = {
    "customer": (
        ", e.code, lc.account, lc.name",
        " JOIN ledger_customer lc ON lc.id = g.group_key JOIN ledger_legalentity e ON e.id = lc.entity_id",
    ),
    "entity": (", e.code, e.name, NULL", " JOIN ledger_legalentity e ON e.id = g.group_key"),
    "collector": (", u.username, NULL, NULL", " LEFT JOIN auth_user u ON u.id = g.group_key"),
    "currency": (", NULL, NULL, NULL", ""),
}


def _label(by: str, key: object, first: str | None, second: str | None, third: str | None) -> str:
    if by == "customer":
        return f"{first}/{second} {third}"
    if by == "entity":
        return f"{first} {second}"
    if by == "collector":
        return first if key is not None and first is not None else UNASSIGNED
    return str(key)


_ZERO_CENTS = ZERO.quantize(_CENTS)


def _from_cents(value: int | None) -> Decimal:
    if not value:
        return _ZERO_CENTS  # most bucket cells are empty; Decimals are immutable, so one will do
    return Decimal(value).scaleb(-2)


def _grouped_rows(as_of: date, by: str, basis: str, buckets: Sequence[Bucket],
                  scope: AgingScope) -> list[tuple[object, AgingRow]]:
    """One database round trip: (group key, row of label, currency, bucket amounts, item count)."""
    signed, signed_params = _signed("cand.open_cents")
    cutoffs = bucket_cutoffs(as_of, buckets)
    key = _GROUP_KEYS[by]
    # Each part is aggregated on its own, straight to one column per bucket (a conditional SUM
    # each), and the two small results are added up. Aggregating a part directly over its scan
    # lets SQLite stream the groups in index order instead of sorting a million rows, and lets
    # PostgreSQL hash-aggregate without first appending the parts.
    # Bucket i is the reference dates from its cutoff (inclusive) to the previous cutoff (exclusive);
    # the conditions are written out per bucket because both databases inline the subquery's
    # columns into each SUM: a shared "bucket" column would be re-evaluated for every bucket.
    sums, sum_params = [], []
    for index in range(len(buckets)):
        conditions = []
        if index < len(cutoffs):
            conditions.append("x.ref_date >= %s")
            sum_params.append(cutoffs[index])
        if index > 0:
            conditions.append("x.ref_date < %s")
            sum_params.append(cutoffs[index - 1])
        sums.append(f"SUM(CASE WHEN {' AND '.join(conditions)} THEN x.signed_cents ELSE 0 END) AS b{index}")
    parts, params = [], []
    for part, part_params in _candidate_parts(as_of, basis, scope, with_collector=by == "collector"):
        parts.append(
            f"SELECT {key} AS group_key, x.currency AS currency, {', '.join(sums)}, COUNT(*) AS item_count"
            f" FROM (SELECT cand.*, {signed} AS signed_cents FROM ({part}) cand) x GROUP BY {key}, x.currency"
        )
        params += [*sum_params, *signed_params, *part_params]
    totals = ", ".join(f"CAST(SUM(p.b{index}) AS BIGINT) AS b{index}" for index in range(len(buckets)))
    grouped = (
        f"SELECT p.group_key AS group_key, p.currency AS currency, {totals}, SUM(p.item_count) AS item_count"
        f" FROM ({' UNION ALL '.join(parts)}) p GROUP BY p.group_key, p.currency"
    )
    label_columns, label_joins = _LABEL_JOINS[by]
    sql = f"SELECT g.*{label_columns} FROM ({grouped}) g{label_joins}"
    width = len(buckets)
    rows: list[tuple[object, AgingRow]] = []
    with _aggregate_memory(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            group_key, currency = record[0], record[1]
            amounts = [Decimal(value).scaleb(-2) if value else _ZERO_CENTS for value in record[2:2 + width]]
            item_count = int(record[2 + width])
            label = _label(by, group_key, *record[3 + width:6 + width])
            rows.append((group_key, AgingRow(label, currency, amounts, item_count)))
    return rows


@contextmanager
def _aggregate_memory() -> Iterator[None]:
    """On PostgreSQL, let the hash aggregate hold a hundred thousand customers in memory instead of
    spilling to disk (the default 4 MB work_mem spills at about 20,000 groups), for this transaction
    only. A setting, not part of the query: the aging SQL is the same on both databases. SQLite gets
    no transaction here: its IMMEDIATE mode would make a read-only report take the write lock."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def _merge(rows: Sequence[AgingRow]) -> list[AgingRow]:
    """Rows of the same group and currency (from queries for different as-of dates) added up."""
    merged: dict[tuple[str, str], AgingRow] = {}
    for row in rows:
        target = merged.get((row.group, row.currency))
        if target is None:
            merged[(row.group, row.currency)] = AgingRow(row.group, row.currency, list(row.amounts), row.item_count)
            continue
        target.amounts = [a + b for a, b in zip(target.amounts, row.amounts, strict=True)]
        target.item_count += row.item_count
    return [merged[key] for key in sorted(merged)]


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
    candidates, candidate_params = _candidates(as_of, basis, scope, with_collector=False)
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
    sql = (
        f"SELECT cand.item_id, e.code, cand.customer_id, lc.account, lc.name, cand.kind, i.number,"
        f" i.document_date, i.due_date, cand.currency, CAST(ROUND(i.amount * 100) AS BIGINT), cand.open_cents,"
        f" {bucket_case} AS bucket"
        f" FROM ({candidates}) cand JOIN ledger_item i ON i.id = cand.item_id"
        f" JOIN ledger_customer lc ON lc.id = cand.customer_id JOIN ledger_legalentity e ON e.id = cand.entity_id"
        f"{where} ORDER BY cand.ref_date, cand.item_id"
    )
    params = [*bucket_params, *candidate_params, *where_params]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
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
