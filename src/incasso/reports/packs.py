"""Report packs: the daily, weekly and monthly sets of tables a team leader, the client and the
controller receive, each with its control checks.

A pack is built as of one business date and is a plain structure (sections of columns and rows,
optional chart hints, control checks) that the workbook, the PDF summary, the dashboards and the
archive all render; so the numbers are the same wherever they are read.

* daily (as of D): aging by entity, cash received and applied on D with the open credits, promises
  due today, promises broken (judged on D), disputes past their deadline.
* weekly (D − 6 to D): collector performance (contacts, promises, PTP kept rate), worklist
  completion, dunning letters per level.
* monthly (the month of D up to D): DSO/BPDSO/ADD/CEI trend over 12 months, month-end aging trend,
  dispute root causes, write-offs.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.utils import translation
from django.utils.translation import gettext as _

from incasso.collections.models import Promise, WorklistEntry
from incasso.core.aging import AgingRow
from incasso.core.kpi import Figure, paid_after_levels
from incasso.reports.aging import aging_report
from incasso.reports.controls import ControlCheck, run_checks
from incasso.reports.kpis import KpiParams, kpi_table, kpi_trend
from incasso.reports.kpis import loaders as kpi_loaders
from incasso.reports.kpis.labels import group_labels

PACKS = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Chart:
    """How a section is best looked at: ``kind`` bar/stacked/line/pie over ``category`` (a column
    index) with one series per column in ``values``."""

    kind: str
    category: int
    values: tuple[int, ...]


@dataclass
class Section:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""
    figures: tuple[int, ...] = ()  # decimal columns that are days or percentages, not money


@dataclass
class PackResult:
    pack: str
    as_of: date
    start: date
    params: dict[str, Any]
    sections: list[Section]
    checks: list[ControlCheck]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def failed_checks(self) -> list[ControlCheck]:
        return [check for check in self.checks if not check.passed]


def _cents(amount: Decimal | None) -> Decimal:
    """A database SUM rounded to the cent (SQLite adds decimals as binary floats)."""
    return (amount or Decimal(0)).quantize(Decimal("0.01"))


def _value(figure: Figure) -> Decimal | None:
    return figure.value


def period_of(pack: str, as_of: date) -> date:
    if pack == "daily":
        return as_of
    if pack == "weekly":
        return as_of - timedelta(days=6)
    if pack == "monthly":
        return as_of.replace(day=1)
    raise ValueError(f"unknown pack {pack!r}: expected one of {', '.join(PACKS)}")


def build_pack(pack: str, as_of: date, *, entity_ids: tuple[int, ...] | None = None,
               language: str | None = None) -> PackResult:
    """Build ``pack`` as of ``as_of`` (nothing after that date counts) with its control checks.

    Section titles are in ``language`` (en, fr, es, de, it, ro, pt), or in the active language (the
    user's, on a page) when it is None."""
    start = period_of(pack, as_of)
    aging: dict[str, Decimal] | None = None
    with translation.override(language) if language else nullcontext():
        if pack == "monthly":  # its trend ages every month end, as_of included: the checks reuse that aging
            sections, aging = _monthly(start, as_of, entity_ids)
        else:
            builders = {"daily": _daily, "weekly": _weekly}
            sections = builders[pack](start, as_of, entity_ids)
        language = translation.get_language() or "en"
    params = {"pack": pack, "as_of": as_of.isoformat(), "from": start.isoformat(),
              "entity_ids": list(entity_ids) if entity_ids is not None else None, "language": language}
    return PackResult(pack, as_of, start, params, sections,
                      run_checks(as_of, start=start, entity_ids=entity_ids, aging=aging))


# --- daily -------------------------------------------------------------------------------------


def _aging_section(as_of: date, entity_ids: tuple[int, ...] | None) -> Section:
    report = aging_report(as_of, by="entity", entity_ids=entity_ids).quantized()
    labels = [b.label for b in report.buckets]
    title = _("Aging as of %(date)s") % {"date": as_of.isoformat()}
    section = Section("aging", title, ["entity", "currency", *labels, "total"],
                      chart=Chart("stacked", 0, tuple(range(2, 2 + len(labels)))))
    for row in report.rows:
        section.rows.append([row.group, row.currency, *row.amounts, row.total])
    return section


def _daily(start: date, as_of: date, entity_ids: tuple[int, ...] | None) -> list[Section]:
    params = KpiParams(start=start, end=as_of, by="entity", entity_ids=entity_ids)
    cash = kpi_loaders.cash(params)
    credits = kpi_loaders.open_credits(params, as_of)
    keys = sorted(set(cash) | set(credits), key=lambda k: (str(k[0]), k[1]))
    labels = group_labels("entity", {k[0] for k in keys})
    zero = Decimal("0.00")
    cash_section = Section("cash", _("Cash received and applied"), [
        "entity", "currency", "received", "applied", "unapplied cash and credit notes"],
        chart=Chart("bar", 0, (2, 3)))
    for key in keys:
        received, applied = cash.get(key, (zero, zero))
        cash_section.rows.append([labels[key[0]], key[1], received, applied, credits.get(key, zero)])

    by_age = kpi_loaders.open_credits_by_age(params, as_of)
    age_labels = labels | group_labels("entity", {k[0][0] for k in by_age} - set(labels))
    unapplied = Section("unapplied", _("Unapplied cash and credit balances by age"), [
        "entity", "currency", "kind", *(b.label for b in params.buckets), "total"],
        chart=Chart("stacked", 0, tuple(range(3, 3 + len(params.buckets)))))
    for (key, kind), amounts in sorted(by_age.items(), key=lambda e: (age_labels[e[0][0][0]], e[0][0][1], e[0][1])):
        unapplied.rows.append([age_labels[key[0]], key[1], kind, *amounts, sum(amounts, zero)])

    promises = Promise.objects.select_related("customer__entity")
    if entity_ids is not None:
        promises = promises.filter(customer__entity_id__in=entity_ids)
    due = Section("promises_due", _("Promises due today"),
                  ["customer", "promised date", "currency", "amount", "status"])
    for p in promises.filter(promised_date=as_of).exclude(status="cancelled").order_by("customer__account"):
        due.rows.append([_customer(p.customer), p.promised_date, p.currency, p.amount, p.status])
    broken = Section("promises_broken", _("Promises broken"), ["customer", "promised date", "currency", "amount",
                                                            "arrived"])
    for p in promises.filter(status="broken", judged_on=as_of).order_by("customer__account"):
        broken.rows.append([_customer(p.customer), p.promised_date, p.currency, p.amount, p.arrived_amount or zero])

    late = Section("disputes_late", _("Disputes past their deadline"), [
        "case", "customer", "currency", "disputed", "deadline", "days late"])
    cases = apps.get_model("disputes", "DisputeCase").objects.select_related("customer__entity").filter(
        opened_on__lte=as_of, deadline__lt=as_of).filter(Q(resolved_on__isnull=True) | Q(resolved_on__gt=as_of))
    if entity_ids is not None:
        cases = cases.filter(entity_id__in=entity_ids)
    for case in cases.order_by("deadline", "pk"):
        late.rows.append([str(case), _customer(case.customer), case.currency, case.disputed_amount, case.deadline,
                          (as_of - case.deadline).days])
    return [_aging_section(as_of, entity_ids), cash_section, unapplied, due, broken, late]


def _customer(customer: Any) -> str:
    return f"{customer.entity.code}/{customer.account} {customer.name}"


# --- weekly ------------------------------------------------------------------------------------


def _weekly(start: date, as_of: date, entity_ids: tuple[int, ...] | None) -> list[Section]:
    table = kpi_table(KpiParams(start=start, end=as_of, by="collector", entity_ids=entity_ids), extras=False)
    kept: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in table.rows:
        kept[row.group][0] += row.promises.kept
        kept[row.group][1] += row.promises.judged
    performance = Section("collectors", _("Collector performance"), [
        "collector", "contacts", "contacts per day", "promises taken", "amount promised", "promises judged",
        "PTP kept %"], chart=Chart("bar", 0, (1, 3)), figures=(2, 6))
    activity = {a.group: a for a in table.activity}
    for group in sorted(set(activity) | set(kept)):
        one = activity.get(group)
        judged_kept, judged = kept.get(group, [0, 0])
        performance.rows.append([
            group, one.contacts if one else 0, _value(one.contacts_per_day) if one else None,
            one.promises_taken if one else 0,
            ", ".join(f"{amount} {currency}" for currency, amount in one.amount_promised.items()) if one else "",
            judged, (Decimal(judged_kept) / judged * 100).quantize(Decimal("0.01")) if judged else None,
        ])

    entries = WorklistEntry.objects.filter(as_of__gte=start, as_of__lte=as_of)
    if entity_ids is not None:
        entries = entries.filter(customer__entity_id__in=entity_ids)
    completion = Section("worklist", _("Worklist completion"), ["collector", "entries", "done", "done %"],
                         chart=Chart("bar", 0, (3,)), figures=(3,))
    for row in entries.values("collector__username").annotate(
            total=Count("id"), done=Count("id", filter=Q(status="done"))).order_by("collector__username"):
        completion.rows.append([row["collector__username"], row["total"], row["done"],
                                (Decimal(row["done"]) / row["total"] * 100).quantize(Decimal("0.01"))])
    return [performance, completion, _dunning_section(start, as_of, entity_ids)]


def _dunning_section(start: date, as_of: date, entity_ids: tuple[int, ...] | None) -> Section:
    """Letters per level and currency sent in the week's dunning runs, and of the items whose window
    (the letter's date + 30 days) ended in the week, how many and how much were paid within it."""
    section = Section("dunning", _("Dunning letters per level and payment after them"), [
        "level", "currency", "letters", "amount claimed", "items judged", "paid within 30 days",
        "paid %", "collected %"], chart=Chart("bar", 0, (6, 7)), figures=(6, 7))
    params = KpiParams(start=start, end=as_of, by="currency", entity_ids=entity_ids, dunning_window_days=30)
    letters = kpi_loaders.letters_per_level(params)
    outcomes = {}
    for key, items in kpi_loaders.dunned_items(params).items():
        for outcome in paid_after_levels(items, window_days=params.dunning_window_days, as_of=as_of):
            outcomes[(key, outcome.level)] = outcome
    for key, level in sorted(set(letters) | set(outcomes), key=lambda e: (e[1], e[0][1])):
        count, claimed = letters.get((key, level), (0, Decimal("0.00")))
        after = outcomes.get((key, level))
        section.rows.append([level, key[1], count, claimed, after.judged if after else 0,
                             after.cleared if after else 0, _value(after.cleared_rate) if after else None,
                             _value(after.collected_rate) if after else None])
    return section


# --- monthly -----------------------------------------------------------------------------------


def _month_back(day: date, months: int) -> date:
    year, month = day.year, day.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def _monthly(start: date, as_of: date, entity_ids: tuple[int, ...] | None) -> tuple[list[Section], dict[str, Decimal]]:
    """The monthly sections, and the aging's total per currency as of ``as_of`` (the trend's last
    month end, aged by entity on the due date in the default buckets, as the control check ages)."""
    agings: dict[date, dict[Any, AgingRow]] = {}
    tables = kpi_trend(KpiParams(start=_month_back(as_of, 11), end=as_of, by="entity", entity_ids=entity_ids),
                       extras=False, agings=agings, settlements=False)
    aging_total: dict[str, Decimal] = {}
    for (_entity, currency), aged in agings[as_of].items():
        aging_total[currency] = aging_total.get(currency, Decimal("0.00")) + aged.total
    trend = Section("kpi_trend", _("DSO, best possible DSO, ADD and CEI by month"), [
        "month", "entity", "currency", "ending AR", "DSO (countback)", "BPDSO (countback)", "ADD", "CEI %",
        "DSO (simple)"], chart=Chart("line", 0, (4, 5, 6, 7)), figures=(4, 5, 6, 7, 8))
    buckets = tables[0].params.buckets
    aging = Section("aging_trend", _("Month-end aging"), ["month", "currency", *(b.label for b in buckets), "total"],
                    chart=Chart("stacked", 0, tuple(range(2, 2 + len(buckets)))))
    for table in tables:
        month = table.params.end.strftime("%Y-%m")
        totals: dict[str, list[Decimal]] = {}
        for row in table.rows:
            trend.rows.append([month, row.group, row.currency, row.receivable, _value(row.dso_countback.days),
                               _value(row.bpdso_countback.days), _value(row.add_countback), _value(row.cei.index),
                               _value(row.dso_simple.days)])
            target = totals.setdefault(row.currency, [Decimal("0.00")] * len(buckets))
            for index, amount in enumerate(row.inputs.ending_buckets):
                target[index] += amount
        for currency, amounts in sorted(totals.items()):
            aging.rows.append([month, currency, *amounts, sum(amounts, Decimal("0.00"))])

    targets = Section("cash_target", _("Cash collected against target"), [
        "entity", "currency", "cash received", "target", "% of target", "still to collect"],
        chart=Chart("bar", 0, (2, 3)), figures=(4,))
    for row in tables[-1].rows:  # the month of as_of, up to as_of
        if row.target.target is not None:
            targets.rows.append([row.group, row.currency, row.target.collected, _cents(row.target.target),
                                 _value(row.target.attainment), _cents(row.target.gap)])
    if not targets.rows:
        targets.note = _("No cash target is set for this month.")

    causes = Section("root_causes", _("Dispute root causes (resolved this month)"), [
        "root cause", "currency", "cases", "originally disputed", "accepted"], chart=Chart("pie", 0, (2,)))
    cases = apps.get_model("disputes", "DisputeCase").objects.filter(resolved_on__gte=start, resolved_on__lte=as_of)
    if entity_ids is not None:
        cases = cases.filter(entity_id__in=entity_ids)
    for row in cases.values("root_cause__code", "currency").annotate(
            count=Count("id"), original=Sum("original_amount"), accepted=Sum("accepted_amount")
    ).order_by("-count", "root_cause__code"):
        causes.rows.append([row["root_cause__code"] or "(none)", row["currency"], row["count"],
                            _cents(row["original"]), _cents(row["accepted"])])

    write_offs = Section("write_offs", _("Write-offs"), ["source", "reason", "currency", "count", "amount"])
    cash_write_offs = apps.get_model("cashapp", "WriteOff").objects.filter(
        cancelled=False, allocation__date__gte=start, allocation__date__lte=as_of)
    if entity_ids is not None:
        cash_write_offs = cash_write_offs.filter(item__entity_id__in=entity_ids)
    for row in cash_write_offs.values("reason", "item__currency").annotate(
            count=Count("id"), amount=Sum("amount")).order_by("reason", "item__currency"):
        write_offs.rows.append(["cash application", row["reason"], row["item__currency"], row["count"],
                           _cents(row["amount"])])
    settlements = apps.get_model("disputes", "Settlement").objects.filter(
        kind="write_off", requested_on__gte=start, requested_on__lte=as_of)
    if entity_ids is not None:
        settlements = settlements.filter(case__entity_id__in=entity_ids)
    for row in settlements.values("currency").annotate(count=Count("id"), amount=Sum("amount")).order_by("currency"):
        write_offs.rows.append(["dispute", "write_off", row["currency"], row["count"], _cents(row["amount"])])
    return [trend, aging, targets, causes, write_offs], aging_total
