"""Set-based loading of KPI inputs, keyed by (group key, currency).

Every query groups in the database (one pass per input, never a query per customer) and sums money
as integer hundredths (``CAST(ROUND(x * 100) AS BIGINT)``), as the aging does, so totals are exact
to the cent on SQLite too. Every value is a parameter; only our own column expressions are
interpolated. Everything is as of the period's dates: allocations count when they were made on or
before the date and not reversed by then.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection

from incasso.core.aging import AgingRow
from incasso.core.kpi import (
    DisputeDates,
    DunnedItem,
    ItemPayment,
    MonthlyTarget,
    PaidItem,
    PromisePayment,
    PromiseToPay,
)
from incasso.core.kpi.aging_totals import BucketTotals
from incasso.ledger.choices import ItemKind
from incasso.reports.aging import AgingScope, aged_groups
from incasso.reports.kpis.params import KpiParams
from incasso.reports.kpis.totals import aging_totals

AgedTotals = AgingRow | BucketTotals  # what the KPIs read of an aging row: its amounts and total

Key = tuple[object, str]  # (group key, currency)

# Group key of an item row ``i`` joined to its customer ``c``.
_KEY_SQL = {
    "entity": "i.entity_id",
    "customer": "i.customer_id",
    "collector": "c.collector_id",
    "segment": "c.segment",
    "currency": "i.currency",
}
_CENTS = "CAST(ROUND({} * 100) AS BIGINT)"


def _customer_join(params: KpiParams) -> str:
    """The join to the item's customer, for the groupings whose key is the customer's (collector,
    segment); the others group by the item's own columns and skip it."""
    return " JOIN ledger_customer c ON c.id = i.customer_id" if params.by in ("collector", "segment") else ""


def _cents(value: int | None) -> Decimal:
    return Decimal(value or 0).scaleb(-2)


def _scope(params: KpiParams, alias: str = "i") -> tuple[str, list[object]]:
    if params.entity_ids is None:
        return "", []
    if not params.entity_ids:
        return " AND 1 = 0", []
    return f" AND {alias}.entity_id IN ({', '.join(['%s'] * len(params.entity_ids))})", list(params.entity_ids)


def _fetch(sql: str, values: list[object]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


# The item columns the KPI queries read of an item found by key.
_ITEM_COLUMNS = ("li.id, li.entity_id, li.customer_id, li.kind, li.currency, li.document_date, li.due_date,"
                 " li.amount")


def _touched_since(condition: str, scope: str) -> str:
    """SQL of the scope's items (``id, entity_id, customer_id, currency``) meeting
    ``condition`` (and ``scope``) and touched on or after the date parameter, read from ``item_activity_idx``
    (index only). ``last_activity_on`` is the latest allocation or reversal date of an item
    (``incasso.ledger``), so every item with an allocation dated in the period is among them; joined
    to the period's allocations this replaces looking up each allocation's item row by key (73,500
    probes for one entity's month on the benchmark, two thirds of them other entities' items)."""
    return ("SELECT i.id AS id, i.entity_id AS entity_id, i.customer_id AS customer_id,"
            " i.currency AS currency FROM ledger_item i WHERE i.last_activity_on >= %s"
            f" AND {condition}{scope}")


def month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def credit_sales_by_month(params: KpiParams) -> dict[Key, dict[tuple[int, int], Decimal]]:
    """Invoices and debit notes (less credit notes when ``net_of_credit_notes``) by document date,
    per countback month, plus the key ``"period"`` for the period itself. One query grouped by
    document date (a few hundred groups per entity, where thirteen FILTERed sums per item cost four
    times as much), put into the months and the period here (the same SQL on both databases)."""
    months = params.months()
    key = _KEY_SQL[params.by]
    kinds = [ItemKind.INVOICE.value, ItemKind.DEBIT_NOTE.value]
    if params.net_of_credit_notes:
        kinds.append(ItemKind.CREDIT_NOTE.value)
    signed = f"CASE WHEN i.kind = %s THEN -{_CENTS.format('i.amount')} ELSE {_CENTS.format('i.amount')} END"
    scope, scope_values = _scope(params)
    low = min(month_bounds(*months[0])[0], params.start)
    high = max(month_bounds(*months[-1])[1], params.end)
    sql = (
        f"SELECT {key}, i.currency, i.document_date, CAST(SUM({signed}) AS BIGINT) FROM ledger_item i"
        f"{_customer_join(params)} WHERE i.kind IN ({', '.join(['%s'] * len(kinds))})"
        f" AND i.document_date >= %s AND i.document_date <= %s{scope} GROUP BY {key}, i.currency, i.document_date"
    )
    wanted = set(months)
    cents: dict[Key, dict[object, int]] = {}
    for group, currency, day, amount in _fetch(sql, [ItemKind.CREDIT_NOTE.value, *kinds, low, high, *scope_values]):
        day = _as_date(day)
        per_month = cents.setdefault((group, currency), {month: 0 for month in months} | {"period": 0})
        if (day.year, day.month) in wanted:
            per_month[(day.year, day.month)] += int(amount or 0)
        if params.start <= day <= params.end:
            per_month["period"] += int(amount or 0)
    return {key: {month: _cents(amount) for month, amount in per_month.items()}  # type: ignore[misc]
            for key, per_month in cents.items()}


def _customer_keys(by: str) -> dict[int, object]:
    """customer id → group key, for the groupings the aging query cannot group by itself."""
    column = {"segment": "segment"}[by]
    return dict(_fetch(f"SELECT id, {column} FROM ledger_customer", []))  # noqa: S608 - fixed column


def aging_by_group(params: KpiParams, as_of: date) -> dict[Key, AgingRow]:
    """The aging as of ``as_of`` (``incasso.reports.aging``, so as-of exact) per group and currency."""
    scope = AgingScope(entity_ids=params.entity_ids)
    if params.by in ("segment",):
        keys = _customer_keys(params.by)
        rows = aged_groups(as_of, "customer", "due_date", params.buckets, scope, {})
        merged: dict[Key, AgingRow] = {}
        for customer_id, row in rows:
            key = (keys.get(customer_id) or "", row.currency)  # type: ignore[arg-type]
            target = merged.get(key)
            if target is None:
                merged[key] = AgingRow(str(key[0]), row.currency, list(row.amounts), row.item_count)
            else:
                target.amounts = [a + b for a, b in zip(target.amounts, row.amounts, strict=True)]
                target.item_count += row.item_count
        return merged
    rows = aged_groups(as_of, params.by, "due_date", params.buckets, scope, {})
    return {(key, row.currency): row for key, row in rows}


def agings_by_group(params: KpiParams, dates: list[date]) -> dict[date, dict[Key, AgedTotals]]:
    """The agings as of each of ``dates`` per group and currency. For the groupings the totals query
    keys itself (entity, currency) all the dates in one pass (``incasso.reports.kpis.totals``: the
    same amounts as the aging, proved by the tests), otherwise one aging per date."""
    if params.by in ("entity", "currency"):
        return aging_totals(dates, by=params.by, basis="due_date", buckets=params.buckets,  # type: ignore[return-value]
                            entity_ids=params.entity_ids)
    return {day: aging_by_group(params, day) for day in dates}  # type: ignore[misc]


def _counting(alias: str = "a") -> str:
    """An allocation that counted on the date parameter: made by then, not reversed by then."""
    return f"{alias}.date <= %s AND ({alias}.reversed_on IS NULL OR {alias}.reversed_on > %s)"


# The unapplied payments and credit notes of the partial index ``report_item_open_credit_idx``
# (migration reports 0004); the condition is written as in the index, with literal kinds, because
# SQLite uses a partial index only when the query repeats its condition.
_OPEN_CREDIT = "i.kind IN ('credit_note', 'payment') AND NOT (i.open_amount = '0')"


def _open_credit_items(params: KpiParams, as_of: date) -> tuple[str, list[object]]:
    """SQL of every credit item (payment, credit note) issued by ``as_of`` and open on it, with its
    group key, currency, kind, document date and open amount on ``as_of`` in cents (``open_cents``).

    As in the aging: an item open today and untouched since ``as_of`` is open by its stored amount
    (read from the partial covering index); an item touched after ``as_of`` (``item_activity_idx``)
    is corrected by its allocations since: one made after ``as_of`` and still live is added back, one
    made by then and reversed since is taken off again."""
    key = _KEY_SQL[params.by]
    scope, scope_values = _scope(params)
    cents = _CENTS.format("i.open_amount")
    alloc = _CENTS.format("a.amount")
    delta = (f"(SELECT SUM(CASE WHEN a.date > %s AND a.reversed_on IS NULL THEN {alloc}"
             f" WHEN a.date <= %s THEN -{alloc} ELSE 0 END) FROM ledger_allocation a"
             f" WHERE a.credit_item_id = i.id AND (a.date > %s OR a.reversed_on > %s))")
    columns = f"{key} AS group_key, i.currency AS currency, i.kind AS kind, i.document_date AS document_date"
    sql = (
        f"SELECT {columns}, {cents} AS open_cents FROM ledger_item i{_customer_join(params)}"
        f" WHERE {_OPEN_CREDIT} AND i.document_date <= %s"
        f" AND (i.last_activity_on IS NULL OR i.last_activity_on <= %s){scope}"
        f" UNION ALL SELECT {columns}, {cents} + COALESCE({delta}, 0) AS open_cents"
        f" FROM ledger_item i{_customer_join(params)}"
        f" WHERE i.last_activity_on > %s AND i.document_date <= %s AND i.kind IN (%s, %s){scope}"
    )
    values = [as_of, as_of, *scope_values, as_of, as_of, as_of, as_of, as_of, as_of,
              ItemKind.CREDIT_NOTE.value, ItemKind.PAYMENT.value, *scope_values]
    return sql, values


def open_credits(params: KpiParams, as_of: date) -> dict[Key, Decimal]:
    """Open credit items (unapplied payments and credit notes) as of ``as_of``, unsigned."""
    sql, values = _open_credit_items(params, as_of)
    rows = _fetch(f"SELECT x.group_key, x.currency, CAST(SUM(x.open_cents) AS BIGINT) FROM ({sql}) x"
                  " GROUP BY x.group_key, x.currency", values)
    return {(r[0], r[1]): _cents(r[2]) for r in rows if r[2]}


def open_credits_by_age(params: KpiParams, as_of: date) -> dict[tuple[Key, str], list[Decimal]]:
    """Unapplied payments and open credit notes as of ``as_of`` per (group, currency) and kind, by
    age since their document date in ``params.buckets`` (unsigned amounts, one column per bucket)."""
    from incasso.core.aging import bucket_cutoffs

    candidates, candidate_values = _open_credit_items(params, as_of)
    cutoffs = bucket_cutoffs(as_of, params.buckets)
    sums, values = [], []
    for index in range(len(params.buckets)):
        conditions = []
        if index < len(cutoffs):
            conditions.append("x.document_date >= %s")
            values.append(cutoffs[index])
        if index > 0:
            conditions.append("x.document_date < %s")
            values.append(cutoffs[index - 1])
        sums.append(f"CAST(SUM(x.open_cents) FILTER (WHERE {' AND '.join(conditions)}) AS BIGINT)")
    sql = (f"SELECT x.group_key, x.currency, x.kind, {', '.join(sums)} FROM ({candidates}) x"
           " GROUP BY x.group_key, x.currency, x.kind")
    result = {}
    for row in _fetch(sql, [*values, *candidate_values]):
        amounts = [_cents(v) for v in row[3:]]
        if any(amounts):
            result[((row[0], row[1]), row[2])] = amounts
    return result


def cash(params: KpiParams) -> dict[Key, tuple[Decimal, Decimal]]:
    """(cash received, cash applied) in the period: payment items by document date; allocations of
    payments made in the period and still live at its end."""
    key = _KEY_SQL[params.by]
    scope, scope_values = _scope(params)
    received_sql = (
        f"SELECT {key}, i.currency, CAST(SUM({_CENTS.format('i.amount')}) AS BIGINT) FROM ledger_item i"
        f"{_customer_join(params)} WHERE i.kind = %s"
        f" AND i.document_date >= %s AND i.document_date <= %s{scope} GROUP BY {key}, i.currency"
    )
    applied_sql = (  # the period's allocations (a range of report_allocation_date_idx) and the scope's payments
        # touched since the period's start (item_activity_idx), joined: no lookup of item rows by key
        f"WITH made AS MATERIALIZED (SELECT a.credit_item_id AS item_id, {_CENTS.format('a.amount')} AS cents"
        f" FROM ledger_allocation a WHERE a.date >= %s AND {_counting()} AND a.credit_item_id IS NOT NULL),"
        f" touched AS ({_touched_since('i.kind = %s', scope)})"
        f" SELECT {key}, i.currency, CAST(SUM(x.cents) AS BIGINT) FROM made x JOIN touched i ON i.id = x.item_id"
        f"{_customer_join(params)} GROUP BY {key}, i.currency"
    )
    result: dict[Key, list[Decimal]] = defaultdict(lambda: [Decimal("0.00"), Decimal("0.00")])
    payment = ItemKind.PAYMENT.value
    for r in _fetch(received_sql, [payment, params.start, params.end, *scope_values]):
        result[(r[0], r[1])][0] = _cents(r[2])
    for r in _fetch(applied_sql, [params.start, params.end, params.end, params.start, payment, *scope_values]):
        result[(r[0], r[1])][1] = _cents(r[2])
    return {k: (v[0], v[1]) for k, v in result.items()}


def paid_items(params: KpiParams) -> dict[Key, list[PaidItem]]:
    """Invoices fully cleared in the period: the allocations that counted at the period's end add up
    to the amount, and the latest of them (the pay date) falls in the period.

    Only invoices with an allocation dated in the period can have been paid in it, so those are
    found first (a range of ``report_allocation_date_idx``), then judged by their allocations in one
    grouped join: ``paid_items_by_period`` with the one period (measured 0.85 server CPU-s for a
    month of one entity against 1.05–1.15 s for three lookups per candidate)."""
    return paid_items_by_period(params, [(params.start, params.end)])[(params.start, params.end)]


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def disputes(params: KpiParams) -> dict[Key, list[DisputeDates]]:
    """Opening and resolution dates of the dispute cases that existed at the period's end."""
    key = _KEY_SQL[params.by].replace("i.", "d.")
    scope, scope_values = _scope(params, "d")
    sql = (
        f"SELECT {key}, d.currency, d.opened_on, d.resolved_on FROM disputes_disputecase d"
        f" JOIN ledger_customer c ON c.id = d.customer_id WHERE d.opened_on <= %s{scope}"
    )
    result: dict[Key, list[DisputeDates]] = defaultdict(list)
    for r in _fetch(sql, [params.end, *scope_values]):
        resolved = _as_date(r[3]) if r[3] is not None else None
        if resolved is not None and resolved > params.end:
            resolved = None  # not yet resolved at the period's end
        result[(r[0], r[1])].append(DisputeDates(_as_date(r[2]), resolved))
    return result


def promises(params: KpiParams) -> dict[Key, list[PromiseToPay]]:
    """Promises whose deadline (promised date + tolerance) falls in the period, with the cash that
    reached their items from the day they were taken (allocations counting at the period's end)."""
    key = _KEY_SQL[params.by].replace("i.", "p.").replace("p.entity_id", "c.entity_id")
    scope, scope_values = _scope(params, "c")
    tolerance = params.promise_tolerance_days
    first = params.start - _days(tolerance)
    last = params.end - _days(tolerance)
    sql = (
        f"SELECT p.id, {key}, p.currency, p.promised_date, {_CENTS.format('p.amount')}, p.taken_on"
        f" FROM collections_promise p JOIN ledger_customer c ON c.id = p.customer_id"
        f" WHERE p.promised_date >= %s AND p.promised_date <= %s{scope}"
    )
    rows = _fetch(sql, [first, last, *scope_values])
    if not rows:
        return {}
    payments: dict[int, list[PromisePayment]] = defaultdict(list)
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        pay_sql = (
            f"SELECT pi.promise_id, a.date, {_CENTS.format('a.amount')} FROM collections_promiseitem pi"
            f" JOIN collections_promise p ON p.id = pi.promise_id"
            f" JOIN ledger_allocation a ON a.debit_item_id = pi.item_id"
            f" WHERE pi.promise_id IN ({', '.join(['%s'] * len(chunk))}) AND a.date >= p.taken_on AND {_counting()}"
        )
        for promise_id, on, cents in _fetch(pay_sql, [*chunk, params.end, params.end]):
            payments[promise_id].append(PromisePayment(_as_date(on), _cents(cents)))
    result: dict[Key, list[PromiseToPay]] = defaultdict(list)
    for promise_id, group, currency, promised, cents, _taken in rows:
        result[(group, currency)].append(PromiseToPay(_as_date(promised), _cents(cents), tuple(payments[promise_id])))
    return result


def _days(n: int):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    return timedelta(days=n)


@dataclass
class Activity:
    """Collector activity of one group in the period (no currency: contacts are not money)."""

    contacts: int = 0
    days_with_contacts: int = 0
    promises_taken: int = 0
    amount_promised: dict[str, Decimal] = field(default_factory=dict)


def activity(params: KpiParams) -> dict[object, Activity]:
    """Contacts (calls, e-mails, meetings; notes are not contacts) and promises taken in the period."""
    if params.by == "currency":
        return {}
    key = _KEY_SQL[params.by].replace("i.entity_id", "c.entity_id").replace("i.customer_id", "c.id")
    scope, scope_values = _scope(params, "c")
    contacts_sql = (
        f"SELECT {key}, COUNT(*), COUNT(DISTINCT x.occurred_on) FROM collections_activity x"
        f" JOIN ledger_customer c ON c.id = x.customer_id WHERE x.kind <> %s"
        f" AND x.occurred_on >= %s AND x.occurred_on <= %s{scope} GROUP BY {key}"
    )
    result: dict[object, Activity] = defaultdict(Activity)
    for group, count, days in _fetch(contacts_sql, ["note", params.start, params.end, *scope_values]):
        result[group].contacts, result[group].days_with_contacts = int(count), int(days)
    promised_sql = (
        f"SELECT {key}, p.currency, COUNT(*), CAST(SUM({_CENTS.format('p.amount')}) AS BIGINT)"
        f" FROM collections_promise p JOIN ledger_customer c ON c.id = p.customer_id"
        f" WHERE p.taken_on >= %s AND p.taken_on <= %s{scope} GROUP BY {key}, p.currency"
    )
    for group, currency, count, cents in _fetch(promised_sql, [params.start, params.end, *scope_values]):
        result[group].promises_taken += int(count)
        result[group].amount_promised[currency] = _cents(cents)
    return dict(result)


def auto_match(params: KpiParams) -> dict[object, tuple[int, int]]:
    """(bank credit lines booked in the period, of which applied automatically) per entity. Only the
    entity grouping has it: a bank line belongs to an entity before it belongs to a customer."""
    if params.by != "entity":
        return {}
    scope, scope_values = _scope(params, "b")
    sql = (
        "SELECT b.entity_id, COUNT(*), COUNT(DISTINCT m.line_id) FROM cashapp_bankline b"
        " LEFT JOIN cashapp_matchproposal m ON m.line_id = b.id AND m.status = %s"
        f" WHERE b.sign = %s AND b.booking_date >= %s AND b.booking_date <= %s{scope} GROUP BY b.entity_id"
    )
    values = ["auto", "CRDT", params.start, params.end, *scope_values]
    return {r[0]: (int(r[1]), int(r[2])) for r in _fetch(sql, values)}


def cash_targets(params: KpiParams) -> dict[Key, list[MonthlyTarget]]:
    """The monthly cash targets of the months the period touches: per entity (targets without a
    collector) for ``by=entity``, per collector (their targets, summed over entities per currency
    and month) for ``by=collector``; other groupings have none."""
    if params.by not in ("entity", "collector"):
        return {}
    key = "t.entity_id" if params.by == "entity" else "t.collector_id"
    who = "t.collector_id IS NULL" if params.by == "entity" else "t.collector_id IS NOT NULL"
    scope, scope_values = _scope(params, "t")
    sql = (
        f"SELECT {key}, t.currency, t.month, CAST(SUM({_CENTS.format('t.amount')}) AS BIGINT)"
        f" FROM reports_cashtarget t WHERE {who} AND t.month >= %s AND t.month <= %s{scope}"
        f" GROUP BY {key}, t.currency, t.month"
    )
    result: dict[Key, list[MonthlyTarget]] = defaultdict(list)
    for group, currency, month, cents in _fetch(sql, [params.start.replace(day=1), params.end, *scope_values]):
        month = _as_date(month)
        result[(group, currency)].append(MonthlyTarget(month.year, month.month, _cents(cents)))
    return dict(result)


# Group key of a dunning letter ``l`` of customer ``c``.
_LETTER_KEY_SQL = {**_KEY_SQL, "entity": "c.entity_id", "customer": "l.customer_id", "currency": "l.currency"}


def letters_per_level(params: KpiParams) -> dict[tuple[Key, int], tuple[int, Decimal]]:
    """(letters sent, amount they claimed) per group, currency and level, for the dunning runs dated
    in the period (a letter's date is its run's as-of date, as in the level history)."""
    key = _LETTER_KEY_SQL[params.by]
    scope, scope_values = _scope(params, "c")
    sql = (
        f"SELECT {key}, l.currency, l.level, COUNT(*), CAST(SUM({_CENTS.format('l.total')}) AS BIGINT)"
        f" FROM dunning_letter l JOIN dunning_run r ON r.id = l.run_id"
        f" JOIN ledger_customer c ON c.id = l.customer_id"
        f" WHERE l.status = %s AND r.as_of >= %s AND r.as_of <= %s{scope} GROUP BY {key}, l.currency, l.level"
    )
    rows = _fetch(sql, ["sent", params.start, params.end, *scope_values])
    return {((r[0], r[1]), int(r[2])): (int(r[3]), _cents(r[4])) for r in rows}


def dunned_items(params: KpiParams) -> dict[Key, list[DunnedItem]]:
    """The items whose dunning window (the date they reached a level + ``dunning_window_days``) ends in
    the period, each with its open amount in that letter and the cash applied to it within the
    window (allocations dated from the letter to the window's end, counting at the period's end),
    added up per item in the database."""
    key = _KEY_SQL[params.by]
    scope, scope_values = _scope(params)
    window = params.dunning_window_days
    sql = (
        f"SELECT {key}, i.currency, il.level, il.reached_on, {_CENTS.format('ll.open_amount')},"
        f" (SELECT CAST(SUM({_CENTS.format('a.amount')}) AS BIGINT) FROM ledger_allocation a"
        f"  WHERE a.debit_item_id = il.item_id AND a.date >= il.reached_on AND a.date <= {_window_end()}"
        f"  AND {_counting()})"
        f" FROM dunning_itemlevel il"
        f" JOIN dunning_letterline ll ON ll.letter_id = il.letter_id AND ll.item_id = il.item_id"
        f" JOIN ledger_item i ON i.id = il.item_id JOIN ledger_customer c ON c.id = i.customer_id"
        f" WHERE il.reached_on >= %s AND il.reached_on <= %s AND ll.open_amount > 0{scope}"
    )
    values = [window, params.end, params.end, params.start - _days(window),
              params.end - _days(window), *scope_values]
    result: dict[Key, list[DunnedItem]] = defaultdict(list)
    for group, currency, level, reached, cents, paid in _fetch(sql, values):
        reached = _as_date(reached)
        payments = (ItemPayment(reached, _cents(paid)),) if paid else ()
        result[(group, currency)].append(DunnedItem(int(level), reached, _cents(cents), payments))
    return dict(result)


def _window_end() -> str:
    """The dunning window's last day: the level's date plus the parameter's days (SQLite has no date
    arithmetic, but its ISO date strings compare as dates)."""
    if connection.vendor == "postgresql":
        return "il.reached_on + CAST(%s AS INTEGER)"
    return "date(il.reached_on, '+' || %s || ' days')"


# --- several periods in one pass (a trend's months) --------------------------------------------

Period = tuple[date, date]


def _periods_sql(periods: list[Period]) -> tuple[str, list[object]]:
    """The periods as a derived table ``(idx, m_first, m_last)`` (the same SQL on both databases)."""
    rows = " UNION ALL ".join(["SELECT %s AS idx, %s AS m_first, %s AS m_last"] * len(periods))
    values: list[object] = []
    for index, (first, last) in enumerate(periods):
        values += [index, first, last]
    return rows, values


def paid_items_by_period(params: KpiParams, periods: list[Period]) -> dict[Period, dict[Key, list[PaidItem]]]:
    """``paid_items`` for each of ``periods`` (non-overlapping, e.g. a trend's months) in one query:
    each invoice with an allocation dated in a period is a candidate of that period, judged by the
    allocations that counted at that period's end (summed and dated per candidate in one grouped
    join instead of two lookups), exactly as ``paid_items`` judges one period."""
    if not periods:
        return {}
    key = _KEY_SQL[params.by]
    scope, scope_values = _scope(params)
    months, month_values = _periods_sql(periods)
    low, high = min(p[0] for p in periods), max(p[1] for p in periods)
    cents = _CENTS.format("a.amount")
    invoices, invoice_values = "touched x JOIN ledger_item i ON i.id = x.item_id", []
    if len(periods) == 1 and connection.vendor == "postgresql":
        # One period (a KPI table): the touched items that are the scope's invoices touched since the
        # period's start (item_activity_idx, index only) are looked up by key, in item order (pages
        # in order; an OFFSET 0 lateral subquery keeps the probes: the planner prefers hashing all of
        # an entity's invoices, measured 1.3 s against 0.15 s); the others (two thirds of a month's
        # 73,500 for one entity on the benchmark) are not read.
        invoices = ("(SELECT t.idx AS idx, t.item_id AS item_id FROM touched t JOIN"
                    f" ({_touched_since('i.kind = %s', scope)}) v ON v.id = t.item_id"
                    f" ORDER BY t.item_id) x CROSS JOIN LATERAL (SELECT {_ITEM_COLUMNS} FROM ledger_item li"
                    " WHERE li.id = x.item_id OFFSET 0) i")
        invoice_values = [low, ItemKind.INVOICE.value, *scope_values]
    sql = (
        f"WITH m AS ({months}),"
        f" touched AS MATERIALIZED (SELECT DISTINCT t.debit_item_id AS item_id, m.idx AS idx FROM ledger_allocation t"
        f" JOIN m ON t.date >= m.m_first AND t.date <= m.m_last"
        f" WHERE t.date >= %s AND t.date <= %s AND t.debit_item_id IS NOT NULL ORDER BY t.debit_item_id),"
        f" candidate AS MATERIALIZED (SELECT x.idx AS idx, {key} AS group_key, i.id AS item_id,"
        f" i.currency AS currency, i.document_date AS document_date, i.due_date AS due_date,"
        f" {_CENTS.format('i.amount')} AS amount_cents"
        f" FROM {invoices}{_customer_join(params)}"
        f" WHERE i.kind = %s{scope})"
        f" SELECT y.idx, y.group_key, y.currency, y.document_date, y.due_date, y.amount_cents, MAX(a.date)"
        f" FROM candidate y JOIN m ON m.idx = y.idx JOIN ledger_allocation a ON a.debit_item_id = y.item_id"
        f" AND a.date <= m.m_last AND (a.reversed_on IS NULL OR a.reversed_on > m.m_last)"
        f" GROUP BY y.idx, y.item_id, y.group_key, y.currency, y.document_date, y.due_date, y.amount_cents,"
        f" m.m_first HAVING SUM({cents}) = y.amount_cents AND MAX(a.date) >= m.m_first"
    )
    values = [*month_values, low, high, *invoice_values, ItemKind.INVOICE.value, *scope_values]
    result: dict[Period, dict[Key, list[PaidItem]]] = {p: defaultdict(list) for p in periods}
    for r in _fetch(sql, values):
        result[periods[r[0]]][(r[1], r[2])].append(
            PaidItem(_as_date(r[3]), _as_date(r[4]), _as_date(r[6]), _cents(r[5])))
    return {p: dict(v) for p, v in result.items()}


def cash_by_period(params: KpiParams, periods: list[Period], *,
                   applied: bool = True) -> dict[Period, dict[Key, tuple[Decimal, Decimal]]]:
    """``cash`` for each of ``periods`` (non-overlapping) in two queries grouped by period: payments
    by document date; allocations of payments made in the period and still live at its end
    (``applied=False``: not loaded, zero)."""
    if not periods:
        return {}
    key = _KEY_SQL[params.by]
    scope, scope_values = _scope(params)
    months, month_values = _periods_sql(periods)
    low, high = min(p[0] for p in periods), max(p[1] for p in periods)
    received_sql = (
        f"WITH m AS ({months})"
        f" SELECT m.idx, {key}, i.currency, CAST(SUM({_CENTS.format('i.amount')}) AS BIGINT) FROM ledger_item i"
        f"{_customer_join(params)} JOIN m ON i.document_date >= m.m_first AND i.document_date <= m.m_last"
        f" WHERE i.kind = %s AND i.document_date >= %s AND i.document_date <= %s{scope}"
        f" GROUP BY m.idx, {key}, i.currency"
    )
    applied_sql = (
        f"WITH m AS ({months}),"
        f" made AS MATERIALIZED (SELECT m.idx AS idx, a.credit_item_id AS item_id, {_CENTS.format('a.amount')} AS cents"
        f" FROM ledger_allocation a JOIN m ON a.date >= m.m_first AND a.date <= m.m_last"
        f" AND (a.reversed_on IS NULL OR a.reversed_on > m.m_last)"
        f" WHERE a.date >= %s AND a.date <= %s AND a.credit_item_id IS NOT NULL)"
        f" SELECT x.idx, {key}, i.currency, CAST(SUM(x.cents) AS BIGINT) FROM made x"
        f" JOIN ledger_item i ON i.id = x.item_id{_customer_join(params)}"
        f" WHERE i.kind = %s{scope} GROUP BY x.idx, {key}, i.currency"
    )
    payment = ItemKind.PAYMENT.value
    found: dict[Period, dict[Key, list[Decimal]]] = {p: {} for p in periods}
    for r in _fetch(received_sql, [*month_values, payment, low, high, *scope_values]):
        found[periods[r[0]]].setdefault((r[1], r[2]), [Decimal("0.00"), Decimal("0.00")])[0] = _cents(r[3])
    for r in _fetch(applied_sql, [*month_values, low, high, payment, *scope_values]) if applied else ():
        found[periods[r[0]]].setdefault((r[1], r[2]), [Decimal("0.00"), Decimal("0.00")])[1] = _cents(r[3])
    return {p: {k: (v[0], v[1]) for k, v in by_key.items()} for p, by_key in found.items()}
