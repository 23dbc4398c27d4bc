"""Dispute analytics: open-case aging, cycle time, root-cause Pareto, escalations, dispute rate,
valid vs invalid disputes.

Everything closed is aggregated in the database (``GROUP BY key, cycle_days``: a million closed
cases become a few thousand histogram rows) and summarised by the pure core
(``incasso.core.disputes.summarise_days``, property-tested equal to ``incasso.core.kpi
.dispute_cycle_time``). Open cases are grouped in the database
too (by opening date, deadline, country, currency and level); their age histogram goes through the
same ``summarise_days`` and their deadline status comes from the business-day calendar of each
entity's country. On PostgreSQL the whole report is one transaction without JIT.

Cycle time is calendar days from opening to resolution over cases *resolved* in the period (the KPI
definition); "valid" disputes are those accepted in full or in part.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Sum

from incasso.core.disputes import (
    AGE_BUCKETS,
    DaysSummary,
    ParetoRow,
    age_bucket,
    deadline_status,
    pareto,
    share,
    summarise_days,
)
from incasso.core.money import quantize
from incasso.disputes.choices import OPEN_STATUSES, Resolution
from incasso.disputes.models import DisputeCase, DisputeLine, ReasonCode, ResolverDepartment, RootCauseCode
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Item, LegalEntity

BREAKDOWNS = ("reason", "resolver", "entity", "root_cause", "department")
_FIELD = {"reason": "reason_id", "resolver": "resolved_by_id", "entity": "entity_id", "root_cause": "root_cause_id",
          "department": "department_id"}


@dataclass
class CycleRow:
    key: str
    summary: DaysSummary


@dataclass
class DisputeAnalytics:
    """The dispute report for a period, as of a date (both inclusive)."""

    period_start: date
    period_end: date
    as_of: date
    open_count: int = 0
    open_age: DaysSummary | None = None  # age in calendar days of the cases open on as_of
    open_by_age: list[dict[str, Any]] = field(default_factory=list)  # bucket, count, late, amounts
    open_by_deadline: dict[str, int] = field(default_factory=dict)
    open_by_level: dict[int, int] = field(default_factory=dict)
    opened_in_period: int = 0
    resolved_in_period: int = 0
    cycle_time: DaysSummary | None = None
    cycle_by: dict[str, list[CycleRow]] = field(default_factory=dict)
    pareto_count: list[ParetoRow] = field(default_factory=list)
    pareto_amount: dict[str, list[ParetoRow]] = field(default_factory=dict)  # per currency
    resolutions: dict[str, int] = field(default_factory=dict)
    valid_share: Decimal | None = None
    escalated_resolved: dict[int, int] = field(default_factory=dict)
    invoices_issued: int = 0
    invoices_disputed: int = 0
    disputed_share: Decimal | None = None
    disputed_amount_opened: dict[str, Decimal] = field(default_factory=dict)


def _labels(model: Any) -> dict[int, str]:
    return {obj.pk: obj.label() for obj in model.objects.all()}


def _user_labels(ids: set[int]) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    return {u.pk: u.get_full_name() or u.get_username() for u in get_user_model().objects.filter(pk__in=ids)}


def dispute_analytics(period_start: date, period_end: date, *, as_of: date,
                      entity_ids: list[int] | None = None) -> DisputeAnalytics:
    """Compute every figure of the dispute report (a fixed number of queries, independent of volume)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Short aggregate queries: compiling them (JIT) costs more than it saves; enough memory
            # for the hash aggregates of all grouping sets at once (otherwise PostgreSQL sorts per set).
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('jit', 'off', true), set_config('work_mem', '128MB', true)")
        return _analytics(period_start, period_end, as_of, entity_ids)


def _analytics(period_start: date, period_end: date, as_of: date, entity_ids: list[int] | None) -> DisputeAnalytics:
    report = DisputeAnalytics(period_start, period_end, as_of)
    cases = DisputeCase.objects.all()
    if entity_ids:
        cases = cases.filter(entity_id__in=entity_ids)
    _open_cases(report, cases)
    resolved = cases.filter(resolved_on__gte=period_start, resolved_on__lte=period_end)
    groups = _resolved_groups(resolved, period_start, period_end, entity_ids)
    _cycle_times(report, groups)
    _root_causes(report, groups)
    report.resolutions = {r.value: groups.resolutions.get(r.value, 0) for r in Resolution}
    report.resolved_in_period = sum(report.resolutions.values())
    valid = sum(report.resolutions[r] for r in (Resolution.ACCEPTED, Resolution.PARTIALLY_ACCEPTED))
    decided = valid + report.resolutions[Resolution.REJECTED]
    report.valid_share = share(valid, decided)
    report.escalated_resolved = {level: n for level, n in groups.levels.items() if level}
    opened = cases.filter(opened_on__gte=period_start, opened_on__lte=period_end)
    report.opened_in_period = 0
    for currency, n, total in (opened.values_list("currency").annotate(n=Count("id"), total=Sum("original_amount"))
                               .order_by("currency")):
        report.opened_in_period += n
        report.disputed_amount_opened[currency] = total
    invoices = Item.objects.filter(kind=ItemKind.INVOICE, document_date__gte=period_start,
                                   document_date__lte=period_end)
    if entity_ids:
        invoices = invoices.filter(entity_id__in=entity_ids)
    report.invoices_issued = invoices.count()
    # A semi-join (EXISTS), not DISTINCT over the lines: a hash semi-join on PostgreSQL.
    report.invoices_disputed = invoices.filter(Exists(DisputeLine.objects.filter(item_id=OuterRef("pk")))).count()
    report.disputed_share = share(report.invoices_disputed, report.invoices_issued)
    return report


def _open_cases(report: DisputeAnalytics, cases: Any) -> None:
    # Two index-friendly queries rather than one OR: open now (partial index on open cases), and
    # resolved after the as-of date (index on resolved_on). Both grouped in the database by what the
    # figures depend on (opening date, deadline, country, currency, level): a hundred thousand open
    # cases arrive as a few thousand weighted rows.
    columns = ("opened_on", "deadline", "entity__country", "currency", "escalation_level")
    rows = list(cases.filter(status__in=list(OPEN_STATUSES), opened_on__lte=report.as_of).values_list(*columns)
                .annotate(n=Count("id"), total=Sum("disputed_amount")).order_by())
    rows += list(cases.filter(resolved_on__gt=report.as_of, opened_on__lte=report.as_of)
                 .exclude(status__in=list(OPEN_STATUSES)).values_list(*columns)
                 .annotate(n=Count("id"), total=Sum("disputed_amount")).order_by())
    buckets = {label: {"bucket": label, "count": 0, "late": 0, "amounts": defaultdict(Decimal)}
               for label, _low, _high in AGE_BUCKETS}
    statuses: dict[str, int] = defaultdict(int)
    levels: dict[int, int] = defaultdict(int)
    ages: dict[int, int] = defaultdict(int)
    for opened_on, deadline, country, currency, level, n, amount in rows:
        status = deadline_status(deadline, report.as_of, country)
        age = (report.as_of - opened_on).days
        bucket = buckets[age_bucket(age)]
        bucket["count"] += n
        bucket["late"] += n if status == "late" else 0
        bucket["amounts"][currency] += amount
        statuses[status] += n
        levels[level] += n
        ages[age] += n
    report.open_count = sum(ages.values())
    report.open_age = summarise_days(ages)
    report.open_by_age = [dict(b, amounts=dict(sorted(b["amounts"].items()))) for b in buckets.values()]
    report.open_by_deadline = {s: statuses.get(s, 0) for s in ("on_time", "due_soon", "late")}
    report.open_by_level = dict(sorted(levels.items()))


@dataclass
class ResolvedGroups:
    """The cases resolved in the period, grouped once: cycle-day histograms overall and per breakdown,
    counts and amounts per root cause and currency, counts per resolution and escalation level."""

    overall: dict[int, int] = field(default_factory=dict)
    by: dict[str, dict[Any, dict[int, int]]] = field(default_factory=lambda: {b: defaultdict(dict) for b in BREAKDOWNS})
    root_causes: list[tuple[Any, str, int, Decimal]] = field(default_factory=list)
    resolutions: dict[str, int] = field(default_factory=dict)
    levels: dict[int, int] = field(default_factory=dict)


_SET_COLUMNS = ("reason_id", "resolved_by_id", "entity_id", "root_cause_id", "department_id", "currency", "resolution",
                "highest_escalation_level", "cycle_days")
_SETS = {
    "overall": ("cycle_days",),
    **{b: (_FIELD[b], "cycle_days") for b in BREAKDOWNS},
    "root_causes": ("root_cause_id", "currency"),
    "resolutions": ("resolution",),
    "levels": ("highest_escalation_level",),
}


def _grouping_mask(columns: tuple[str, ...]) -> int:
    """PostgreSQL's GROUPING(a, b, ...) value for a set: bit set for each column *not* grouped."""
    width = len(_SET_COLUMNS)
    return sum(1 << (width - 1 - i) for i, column in enumerate(_SET_COLUMNS) if column not in columns)


def _resolved_groups(resolved: Any, start: date, end: date, entity_ids: list[int] | None) -> ResolvedGroups:
    groups = ResolvedGroups()
    if connection.vendor == "postgresql":
        _grouping_sets(groups, start, end, entity_ids)
        return groups
    # Elsewhere (SQLite has no GROUPING SETS) one GROUP BY per set: the same rows, more scans.
    for days, n in resolved.values_list("cycle_days").annotate(n=Count("id")).order_by():
        groups.overall[days] = n
    for breakdown in BREAKDOWNS:
        for key, days, n in resolved.values_list(_FIELD[breakdown], "cycle_days").annotate(n=Count("id")).order_by():
            groups.by[breakdown][key][days] = n
    groups.root_causes = list(resolved.values_list("root_cause_id", "currency")
                              .annotate(n=Count("id"), total=Sum("original_amount")).order_by())
    groups.resolutions = dict(resolved.values_list("resolution").annotate(n=Count("id")).order_by())
    groups.levels = dict(resolved.values_list("highest_escalation_level").annotate(n=Count("id")).order_by())
    return groups


def _grouping_sets(groups: ResolvedGroups, start: date, end: date, entity_ids: list[int] | None) -> None:
    """On PostgreSQL every grouping in one scan of the resolved cases (GROUP BY GROUPING SETS)."""
    columns = ", ".join(f"c.{column}" for column in _SET_COLUMNS)
    sets = ", ".join("(" + ", ".join(f"c.{column}" for column in cols) + ")" for cols in _SETS.values())
    where, params = "c.resolved_on >= %s AND c.resolved_on <= %s", [start, end]
    if entity_ids:
        where += " AND c.entity_id = ANY(%s)"
        params.append(list(entity_ids))
    table = DisputeCase._meta.db_table
    sql = (f"SELECT GROUPING({columns}), {columns}, COUNT(*), SUM(c.original_amount) FROM {table} c "  # noqa: S608
           f"WHERE {where} GROUP BY GROUPING SETS ({sets})")
    masks = {_grouping_mask(cols): name for name, cols in _SETS.items()}
    index = {column: i + 1 for i, column in enumerate(_SET_COLUMNS)}
    with connection.cursor() as cursor:  # work_mem and jit: set for the transaction by dispute_analytics
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        name, n = masks[row[0]], row[-2]
        if name == "overall":
            groups.overall[row[index["cycle_days"]]] = n
        elif name in BREAKDOWNS:
            groups.by[name][row[index[_FIELD[name]]]][row[index["cycle_days"]]] = n
        elif name == "root_causes":
            groups.root_causes.append((row[index["root_cause_id"]], row[index["currency"]], n, row[-1]))
        elif name == "resolutions":
            groups.resolutions[row[index["resolution"]]] = n
        else:
            groups.levels[row[index["highest_escalation_level"]]] = n


def _cycle_times(report: DisputeAnalytics, groups: ResolvedGroups) -> None:
    report.cycle_time = summarise_days(groups.overall)
    names = {"reason": _labels(ReasonCode), "entity": {e.pk: e.code for e in LegalEntity.objects.all()},
             "root_cause": _labels(RootCauseCode), "department": _labels(ResolverDepartment)}
    for breakdown in BREAKDOWNS:
        histograms = groups.by[breakdown]
        labels = names.get(breakdown) or _user_labels({k for k in histograms if k is not None})
        rows = [CycleRow(labels.get(key, "—") if key is not None else "—", summarise_days(h))
                for key, h in histograms.items()]
        report.cycle_by[breakdown] = sorted(rows, key=lambda r: (-r.summary.count, r.key))


def _root_causes(report: DisputeAnalytics, groups: ResolvedGroups) -> None:
    labels = _labels(RootCauseCode)
    counts: dict[str, int] = {}
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for root_cause_id, currency, n, total in groups.root_causes:
        key = labels.get(root_cause_id, "—") if root_cause_id is not None else "—"
        counts[key] = counts.get(key, 0) + n
        amounts[currency][key] = amounts[currency].get(key, Decimal(0)) + total
    report.pareto_count = pareto(counts)
    report.pareto_amount = {currency: pareto(values) for currency, values in sorted(amounts.items())}


def as_dict(report: DisputeAnalytics) -> dict[str, Any]:
    """A JSON-ready form (Decimals as strings, two decimals for means) for the CLI and the API."""

    def num(value: Decimal | None, places: str = "0.01") -> str | None:
        return None if value is None else str(Decimal(value).quantize(Decimal(places)))

    def days(summary: DaysSummary | None) -> dict[str, Any] | None:
        if summary is None:
            return None
        return {"count": summary.count, "mean": num(summary.mean), "median": num(summary.median, "0.1"),
                "longest": summary.longest}

    return {
        "period": {"from": report.period_start.isoformat(), "to": report.period_end.isoformat()},
        "as_of": report.as_of.isoformat(),
        "open": {
            "count": report.open_count,
            "mean_age_days": num(report.open_age.mean) if report.open_age and report.open_age.count else None,
            "median_age_days": num(report.open_age.median, "0.1")
            if report.open_age and report.open_age.count else None,
            "by_age": [{"bucket": b["bucket"], "count": b["count"], "late": b["late"],
                        "amounts": {c: str(quantize(a, c)) for c, a in b["amounts"].items()}}
                       for b in report.open_by_age],
            "by_deadline_status": report.open_by_deadline,
            "by_escalation_level": {str(k): v for k, v in report.open_by_level.items()},
        },
        "opened_in_period": report.opened_in_period,
        "disputed_amount_opened": {c: str(quantize(a, c)) for c, a in report.disputed_amount_opened.items()},
        "resolved_in_period": report.resolved_in_period,
        "cycle_time_days": days(report.cycle_time),
        "cycle_time_by": {b: [{"key": r.key, **(days(r.summary) or {})} for r in rows]
                          for b, rows in report.cycle_by.items()},
        "root_cause_pareto": {
            "by_count": [{"root_cause": r.key, "count": int(r.value), "share": num(r.share),
                          "cumulative_share": num(r.cumulative_share)} for r in report.pareto_count],
            "by_amount": {c: [{"root_cause": r.key, "amount": str(quantize(r.value, c)),
                               "share": num(r.share), "cumulative_share": num(r.cumulative_share)} for r in rows]
                          for c, rows in report.pareto_amount.items()},
        },
        "resolutions": report.resolutions,
        "valid_share_percent": num(report.valid_share),
        "escalated_among_resolved": {str(k): v for k, v in sorted(report.escalated_resolved.items())},
        "invoices_issued": report.invoices_issued,
        "invoices_disputed": report.invoices_disputed,
        "disputed_invoice_share_percent": num(report.disputed_share),
    }
