"""Dispute analytics: open-case aging, cycle time, root-cause Pareto, escalations, dispute rate,
valid vs invalid disputes.

Everything closed is aggregated in the database (``GROUP BY key, cycle_days``: a million closed
cases become a few thousand histogram rows) and summarised by the pure core
(``incasso.core.disputes.summarise_days``, property-tested equal to ``incasso.core.kpi
.dispute_cycle_time``). Open cases are fewer; their ages come from ``kpi.open_dispute_age`` and their
deadline status from the business-day calendar of each entity's country.

Cycle time is calendar days from opening to resolution over cases *resolved* in the period (the KPI
definition); "valid" disputes are those accepted in full or in part.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

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
from incasso.core.kpi import DisputeDates, DisputeDaysResult, open_dispute_age
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
    open_age: DisputeDaysResult | None = None
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
    report = DisputeAnalytics(period_start, period_end, as_of)
    cases = DisputeCase.objects.all()
    if entity_ids:
        cases = cases.filter(entity_id__in=entity_ids)
    _open_cases(report, cases)
    resolved = cases.filter(resolved_on__gte=period_start, resolved_on__lte=period_end)
    _cycle_times(report, resolved)
    _root_causes(report, resolved)
    outcome = dict(resolved.values_list("resolution").annotate(n=Count("id")).order_by())
    report.resolutions = {r.value: outcome.get(r.value, 0) for r in Resolution}
    report.resolved_in_period = sum(report.resolutions.values())
    valid = sum(report.resolutions[r] for r in (Resolution.ACCEPTED, Resolution.PARTIALLY_ACCEPTED))
    decided = valid + report.resolutions[Resolution.REJECTED]
    report.valid_share = share(valid, decided)
    report.escalated_resolved = dict(resolved.filter(escalation_level__gt=0).values_list("escalation_level")
                                     .annotate(n=Count("id")).order_by())
    opened = cases.filter(opened_on__gte=period_start, opened_on__lte=period_end)
    report.opened_in_period = opened.count()
    report.disputed_amount_opened = dict(opened.values_list("currency").annotate(total=Sum("original_amount"))
                                         .order_by("currency"))
    invoices = Item.objects.filter(kind=ItemKind.INVOICE, document_date__gte=period_start,
                                   document_date__lte=period_end)
    if entity_ids:
        invoices = invoices.filter(entity_id__in=entity_ids)
    report.invoices_issued = invoices.count()
    report.invoices_disputed = (DisputeLine.objects.filter(item__in=invoices).values("item_id").distinct().count())
    report.disputed_share = share(report.invoices_disputed, report.invoices_issued)
    return report


def _open_cases(report: DisputeAnalytics, cases: Any) -> None:
    still_open = Q(status__in=list(OPEN_STATUSES)) | Q(resolved_on__gt=report.as_of)
    rows = list(cases.filter(still_open, opened_on__lte=report.as_of)
                .values_list("opened_on", "deadline", "entity__country", "currency", "disputed_amount",
                             "escalation_level"))
    report.open_count = len(rows)
    report.open_age = open_dispute_age([DisputeDates(r[0]) for r in rows], as_of=report.as_of)
    buckets = {label: {"bucket": label, "count": 0, "late": 0, "amounts": defaultdict(Decimal)}
               for label, _low, _high in AGE_BUCKETS}
    statuses: dict[str, int] = defaultdict(int)
    levels: dict[int, int] = defaultdict(int)
    for opened_on, deadline, country, currency, amount, level in rows:
        status = deadline_status(deadline, report.as_of, country)
        bucket = buckets[age_bucket((report.as_of - opened_on).days)]
        bucket["count"] += 1
        bucket["late"] += status == "late"
        bucket["amounts"][currency] += amount
        statuses[status] += 1
        levels[level] += 1
    report.open_by_age = [dict(b, amounts=dict(sorted(b["amounts"].items()))) for b in buckets.values()]
    report.open_by_deadline = {s: statuses.get(s, 0) for s in ("on_time", "due_soon", "late")}
    report.open_by_level = dict(sorted(levels.items()))


def _cycle_times(report: DisputeAnalytics, resolved: Any) -> None:
    overall: dict[int, int] = {}
    for days, n in resolved.values_list("cycle_days").annotate(n=Count("id")).order_by():
        overall[days] = n
    report.cycle_time = summarise_days(overall)
    names = {"reason": _labels(ReasonCode), "entity": {e.pk: e.code for e in LegalEntity.objects.all()},
             "root_cause": _labels(RootCauseCode), "department": _labels(ResolverDepartment)}
    for breakdown in BREAKDOWNS:
        histograms: dict[Any, dict[int, int]] = defaultdict(dict)
        for key, days, n in resolved.values_list(_FIELD[breakdown], "cycle_days").annotate(n=Count("id")).order_by():
            histograms[key][days] = n
        labels = names.get(breakdown) or _user_labels({k for k in histograms if k is not None})
        rows = [CycleRow(labels.get(key, "—") if key is not None else "—", summarise_days(h))
                for key, h in histograms.items()]
        report.cycle_by[breakdown] = sorted(rows, key=lambda r: (-r.summary.count, r.key))


def _root_causes(report: DisputeAnalytics, resolved: Any) -> None:
    labels = _labels(RootCauseCode)
    counts: dict[str, int] = {}
    amounts: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for root_cause_id, currency, n, total in (resolved.values_list("root_cause_id", "currency")
                                              .annotate(n=Count("id"), total=Sum("original_amount")).order_by()):
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
            "mean_age_days": num(report.open_age.mean.exact) if report.open_age and report.open_age.count else None,
            "median_age_days": num(report.open_age.median.exact, "0.1")
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
