"""From loaded inputs to KPI rows: each figure is a call into ``incasso.core.kpi``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction

from incasso.core import kpi
from incasso.core.aging import AgingError, missing_rates
from incasso.core.money import ZERO, convert, quantize
from incasso.reports.kpis import loaders
from incasso.reports.kpis.labels import group_labels
from incasso.reports.kpis.loaders import Activity, AgedTotals, Key
from incasso.reports.kpis.params import KpiParams

_ZERO = Decimal("0.00")


@dataclass
class KpiInputs:
    """The money inputs of one group in one currency (everything a row's figures come from)."""

    credit_sales: Decimal = _ZERO  # of the period
    monthly_sales: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    beginning_ar: Decimal = _ZERO
    ending_ar: Decimal = _ZERO  # net: the aging total
    ending_current: Decimal = _ZERO
    ending_over: Decimal = _ZERO  # past ``over_days``
    ending_buckets: list[Decimal] = field(default_factory=list)
    open_credits: Decimal = _ZERO  # unapplied cash and credit notes, unsigned
    beginning_open_credits: Decimal = _ZERO
    cash_received: Decimal = _ZERO
    cash_applied: Decimal = _ZERO
    paid: list[kpi.PaidItem] = field(default_factory=list)
    disputes: list[kpi.DisputeDates] = field(default_factory=list)
    promises: list[kpi.PromiseToPay] = field(default_factory=list)
    targets: list[kpi.MonthlyTarget] | None = None  # None: the grouping has no targets


@dataclass(frozen=True)
class KpiRow:
    """The KPIs of one group (in one currency, or in the reporting currency)."""

    group: str
    currency: str
    inputs: KpiInputs
    ar_basis: str
    dso_simple: kpi.DsoResult
    dso_countback: kpi.DsoResult
    bpdso_simple: kpi.DsoResult
    bpdso_countback: kpi.DsoResult
    add_simple: kpi.Figure
    add_countback: kpi.Figure
    cei: kpi.CeiResult
    cei_monthly_average: kpi.CeiResult
    shares: kpi.AgingShares
    days_to_pay: kpi.DaysResult
    days_late: kpi.DaysResult
    dispute_cycle: kpi.DisputeDaysResult
    open_dispute_age: kpi.DisputeDaysResult
    promises: kpi.PromiseKeptRate
    target: kpi.TargetResult  # cash received against the months' targets

    @property
    def receivable(self) -> Decimal:
        return self.dso_simple.receivable


@dataclass(frozen=True)
class ActivityRow:
    group: str
    contacts: int
    contacts_per_day: kpi.Figure  # contacts / days with at least one contact
    promises_taken: int
    amount_promised: dict[str, Decimal]


@dataclass(frozen=True)
class AutoMatchRow:
    group: str
    credit_lines: int
    auto_applied: int
    rate: kpi.Figure


@dataclass(frozen=True)
class DunningRow:
    """Letters of one level sent in the period, and what happened after the level (items whose window
    ended in the period)."""

    group: str
    currency: str
    level: int
    letters: int
    amount_claimed: Decimal  # the letters' totals
    after: kpi.LevelOutcome | None  # None: no item of this level had its window end in the period


@dataclass(frozen=True)
class UnappliedRow:
    """Unapplied payments or open credit notes at the period's end by age since their document date
    (the aging buckets), in document currency, unsigned."""

    group: str
    currency: str
    kind: str
    amounts: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, _ZERO)


@dataclass(frozen=True)
class KpiTable:
    params: KpiParams
    rows: list[KpiRow]
    activity: list[ActivityRow]
    auto_match: list[AutoMatchRow]
    dunning: list[DunningRow] = field(default_factory=list)
    unapplied: list[UnappliedRow] = field(default_factory=list)


Sales = dict[Key, dict[tuple[int, int], Decimal]]


@dataclass(frozen=True)
class PeriodInputs:
    """Inputs a trend loads for all its months in one pass: one month's invoices paid and cash."""

    paid: dict[Key, list[kpi.PaidItem]]
    cash: dict[Key, tuple[Decimal, Decimal]]


def _load(params: KpiParams, agings: dict[date, dict[Key, AgedTotals]] | None = None,
          sales: Sales | None = None, loaded: PeriodInputs | None = None) -> dict[Key, KpiInputs]:
    """The inputs of every (group, currency); ``agings`` keeps the agings by date across the months of
    a trend (a month's ending aging is the next month's beginning one); ``loaded``: this period's
    paid invoices and cash, loaded with the trend's other months."""
    inputs: dict[Key, KpiInputs] = {}
    agings = {} if agings is None else agings

    missing = [day for day in (params.end, params.beginning) if day not in agings]
    if missing:  # both dates in one pass over the items
        agings.update(loaders.agings_by_group(params, missing))

    def aging(as_of: date) -> dict[Key, AgedTotals]:
        return agings[as_of]

    def at(key: Key) -> KpiInputs:
        if key not in inputs:
            inputs[key] = KpiInputs(monthly_sales={month: _ZERO for month in params.months()})
        return inputs[key]

    if sales is None:
        for key, by_month in loaders.credit_sales_by_month(params).items():
            target = at(key)
            target.credit_sales = by_month.pop("period")  # type: ignore[call-overload]
            target.monthly_sales.update(by_month)
    else:  # a whole calendar month of a trend: its sales are its month's
        wanted = params.months()
        for key, by_month in sales.items():
            if any(by_month.get(month) for month in wanted):
                target = at(key)
                target.monthly_sales.update({month: by_month.get(month, _ZERO) for month in wanted})
                target.credit_sales = by_month.get(wanted[-1], _ZERO)
    over_index = [i for i, b in enumerate(params.buckets) if b.low is not None and b.low > params.over_days]
    for key, row in aging(params.end).items():
        target = at(key)
        target.ending_ar = row.total
        target.ending_current = row.amounts[0]
        target.ending_over = sum((row.amounts[i] for i in over_index), _ZERO)
        target.ending_buckets = list(row.amounts)
    for key, row in aging(params.beginning).items():
        at(key).beginning_ar = row.total
    if params.ar_basis == "gross":
        for key, amount in loaders.open_credits(params, params.end).items():
            at(key).open_credits = amount
        for key, amount in loaders.open_credits(params, params.beginning).items():
            at(key).beginning_open_credits = amount
    for key, (received, applied) in (loaders.cash(params) if loaded is None else loaded.cash).items():
        target = at(key)
        target.cash_received, target.cash_applied = received, applied
    for key, paid in (loaders.paid_items(params) if loaded is None else loaded.paid).items():
        at(key).paid = paid
    for key, cases in loaders.disputes(params).items():
        at(key).disputes = cases
    for key, promised in loaders.promises(params).items():
        at(key).promises = promised
    if params.by in ("entity", "collector"):
        for target in inputs.values():
            target.targets = []
        for key, targets in loaders.cash_targets(params).items():
            at(key).targets = targets
    width = len(params.buckets)
    for target in inputs.values():
        if not target.ending_buckets:
            target.ending_buckets = [_ZERO] * width
    return inputs


def _converted(inputs: dict[Key, KpiInputs], currency: str, rates: dict[str, Decimal]) -> dict[Key, KpiInputs]:
    """Each group's currencies converted with ``rates`` and merged into one row, rounded once."""
    missing = missing_rates({key[1] for key in inputs}, currency, rates)
    if missing:
        raise AgingError(f"no exchange rate to {currency} for {', '.join(missing)}: add it to the rate table")
    merged: dict[Key, KpiInputs] = {}

    def money(amount: Decimal, source: str) -> Decimal:
        return convert(amount, source, currency, rates)

    for (group, source), one in inputs.items():
        target = merged.setdefault((group, currency), KpiInputs(monthly_sales=dict.fromkeys(one.monthly_sales, ZERO),
                                                                ending_buckets=[ZERO] * len(one.ending_buckets)))
        for name in ("credit_sales", "beginning_ar", "ending_ar", "ending_current", "ending_over", "open_credits",
                     "beginning_open_credits", "cash_received", "cash_applied"):
            setattr(target, name, getattr(target, name) + money(getattr(one, name), source))
        for month, amount in one.monthly_sales.items():
            target.monthly_sales[month] = target.monthly_sales.get(month, ZERO) + money(amount, source)
        target.ending_buckets = [a + money(b, source) for a, b in zip(target.ending_buckets, one.ending_buckets,
                                                                         strict=True)]
        target.paid += [replace(p, amount=money(p.amount, source)) for p in one.paid]
        target.disputes += one.disputes
        if one.targets is not None:
            converted = {(t.year, t.month): money(t.amount, source) for t in one.targets}
            mine = {(t.year, t.month): t.amount for t in target.targets or []}
            for month, amount in converted.items():
                mine[month] = mine.get(month, ZERO) + amount
            target.targets = [kpi.MonthlyTarget(y, m, a) for (y, m), a in sorted(mine.items())]
        target.promises += [
            kpi.PromiseToPay(p.promised_date, money(p.promised_amount, source),
                             tuple(replace(x, amount=money(x.amount, source)) for x in p.payments))
            for p in one.promises
        ]
    for target in merged.values():
        for name in ("credit_sales", "beginning_ar", "ending_ar", "ending_current", "ending_over", "open_credits",
                     "beginning_open_credits", "cash_received", "cash_applied"):
            setattr(target, name, quantize(getattr(target, name), currency))
        target.monthly_sales = {m: quantize(a, currency) for m, a in target.monthly_sales.items()}
        target.ending_buckets = [quantize(a, currency) for a in target.ending_buckets]
        if target.targets is not None:
            target.targets = [replace(t, amount=quantize(t.amount, currency)) for t in target.targets]
    return merged


def row_figures(group: str, currency: str, inputs: KpiInputs, params: KpiParams) -> KpiRow:
    """Every KPI of one row from its inputs (pure: no database)."""
    basis = params.ar_basis
    ending = inputs.ending_ar + (inputs.open_credits if basis == "gross" else ZERO)
    beginning = inputs.beginning_ar + (inputs.beginning_open_credits if basis == "gross" else ZERO)
    current = inputs.ending_current
    months = [kpi.MonthlySales(y, m, inputs.monthly_sales.get((y, m), ZERO)) for y, m in params.months()]
    convention = params.day_convention
    dso_s = kpi.dso_simple(ending, inputs.credit_sales, params.days, ar_basis=basis)  # type: ignore[arg-type]
    bp_s = kpi.best_possible_dso_simple(current, inputs.credit_sales, params.days, ar_basis=basis)  # type: ignore[arg-type]
    dso_c = kpi.dso_countback(ending, months, day_convention=convention, ar_basis=basis)  # type: ignore[arg-type]
    bp_c = kpi.best_possible_dso_countback(current, months, day_convention=convention,  # type: ignore[arg-type]
                                           ar_basis=basis)  # type: ignore[arg-type]
    n_months = params.months_in_period()
    return KpiRow(
        group=group, currency=currency, inputs=inputs, ar_basis=basis,
        dso_simple=dso_s, dso_countback=dso_c, bpdso_simple=bp_s, bpdso_countback=bp_c,
        add_simple=kpi.average_days_delinquent(dso_s, bp_s),
        add_countback=kpi.average_days_delinquent(dso_c, bp_c),
        cei=kpi.collection_effectiveness_index(beginning, inputs.credit_sales, ending, current),
        cei_monthly_average=kpi.collection_effectiveness_index(
            beginning, inputs.credit_sales, ending, current, sales_basis="monthly_average", months_in_period=n_months),
        shares=kpi.aging_shares(params.buckets, inputs.ending_buckets, over_days=params.over_days),
        days_to_pay=kpi.average_days_to_pay(inputs.paid),
        days_late=kpi.average_days_late(inputs.paid, clip_early_at_zero=True),
        dispute_cycle=kpi.dispute_cycle_time(inputs.disputes, period_start=params.start, period_end=params.end),
        open_dispute_age=kpi.open_dispute_age(inputs.disputes, as_of=params.end),
        promises=kpi.promise_kept_rate(inputs.promises, as_of=_judging_day(params.end),
                                       tolerance_days=params.promise_tolerance_days),
        target=(kpi.cash_against_target(inputs.cash_received, inputs.targets, start=params.start, end=params.end)
                if inputs.targets is not None else
                kpi.TargetResult(inputs.cash_received, None,
                                 kpi.Figure.undefined("targets are set per entity or per collector"), None, 0)),
    )


def _judging_day(end: date) -> date:
    """Promises whose deadline is the period's last day are judged at its end, i.e. as of the next
    day (the core judges a promise only once its deadline has passed)."""
    from datetime import timedelta

    return end + timedelta(days=1)


@contextmanager
def _reading() -> Iterator[None]:
    """One read transaction for all the inputs; on PostgreSQL without JIT compilation, which costs
    about 0.2 s per aggregate query here and gains nothing on queries of a second or two, and with
    the random page cost of a cached or SSD database (1.1, the usual setting for one): with the
    default 4 the planner reads a whole entity's invoices (600,000 rows on the benchmark) to hash-join
    the 25,000 an allocation of the month touched, where looking them up by key costs a tenth; and
    with 64 MB of work memory (as the aging takes): a trend's invoices paid hash 800,000 candidates
    of twelve months against the invoices, which the default 4 MB spills to disk in 32 batches
    (measured 31.6 s against 14.9 s for the same plan in memory)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true),"
                       " set_config('work_mem', '64MB', true)")
        yield


def kpi_table(params: KpiParams, *, agings: dict[date, dict[Key, AgedTotals]] | None = None,
              sales: Sales | None = None, extras: bool = True, loaded: PeriodInputs | None = None) -> KpiTable:
    """The KPIs of the period per group (and currency, unless a reporting currency is asked).

    ``agings`` and ``sales`` are what a trend shares between its months (agings by date; credit
    sales per calendar month, only for a period that is exactly one calendar month). ``extras=False``
    leaves out the dunning levels and the unapplied credits by age (a pack's DSO trend needs neither).
    ``loaded``: the period's paid invoices and cash, when a trend loaded them for all its months."""
    with _reading():
        return _kpi_table(params, agings, sales, extras, loaded)


def _kpi_table(params: KpiParams, agings: dict[date, dict[Key, AgedTotals]] | None, sales: Sales | None,
               extras: bool = True, loaded: PeriodInputs | None = None) -> KpiTable:
    inputs = _load(params, agings, sales, loaded)
    if params.reporting_currency:
        rates = params.rates
        if rates is None:
            from incasso.reports.models import rates_on

            rates = rates_on(params.end, params.reporting_currency)
        inputs = _converted(inputs, params.reporting_currency, rates)
    activity = loaders.activity(params)
    auto = loaders.auto_match(params)
    letters = loaders.letters_per_level(params) if extras else {}
    dunned = loaders.dunned_items(params) if extras else {}
    unapplied = loaders.open_credits_by_age(params, params.end) if extras else {}
    labels = group_labels(params.by, {key[0] for key in inputs} | set(activity) | set(auto)
                          | {key[0] for key, _level in letters} | {key[0] for key in dunned}
                          | {key[0] for key, _kind in unapplied})
    rows = [row_figures(labels[group], currency, one, params) for (group, currency), one in inputs.items()]
    rows.sort(key=lambda r: (r.group, r.currency))
    return KpiTable(
        params=params, rows=rows,
        activity=sorted((_activity_row(labels[g], a) for g, a in activity.items()), key=lambda r: r.group),
        auto_match=sorted(
            (AutoMatchRow(labels[g], lines, applied, kpi.Figure(Decimal(applied) / lines * 100) if lines
                          else kpi.Figure.undefined("no bank credit line in the period"))
             for g, (lines, applied) in auto.items()), key=lambda r: r.group),
        dunning=_dunning_rows(letters, dunned, labels, params),
        unapplied=sorted((UnappliedRow(labels[key[0]], key[1], kind, amounts) for (key, kind), amounts
                          in unapplied.items()), key=lambda r: (r.group, r.currency, r.kind)),
    )


def _dunning_rows(letters: dict[tuple[Key, int], tuple[int, Decimal]], dunned: dict[Key, list[kpi.DunnedItem]],
                  labels: dict[object, str], params: KpiParams) -> list[DunningRow]:
    """Letters per level sent in the period beside the level's payment outcome (judged at the end)."""
    outcomes: dict[tuple[Key, int], kpi.LevelOutcome] = {}
    for key, items in dunned.items():
        for outcome in kpi.paid_after_levels(items, window_days=params.dunning_window_days,
                                             as_of=params.end):
            outcomes[(key, outcome.level)] = outcome
    rows = []
    for key, level in set(letters) | set(outcomes):
        count, claimed = letters.get((key, level), (0, _ZERO))
        rows.append(DunningRow(labels[key[0]], key[1], level, count, claimed, outcomes.get((key, level))))
    return sorted(rows, key=lambda r: (r.group, r.currency, r.level))


def _activity_row(group: str, one: Activity) -> ActivityRow:
    per_day = (kpi.Figure(Decimal(one.contacts) / one.days_with_contacts) if one.days_with_contacts
               else kpi.Figure.undefined("no contact in the period"))
    return ActivityRow(group, one.contacts, per_day, one.promises_taken, dict(sorted(one.amount_promised.items())))


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months from ``start`` to ``end``, the first and last clipped to them."""
    periods = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first, last = loaders.month_bounds(year, month)
        periods.append((max(first, start), min(last, end)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def _whole_month(start: date, end: date) -> bool:
    first, last = loaders.month_bounds(start.year, start.month)
    return (start, end) == (first, last)


def kpi_trend(params: KpiParams, *, extras: bool = True,
              agings: dict[date, dict[Key, AgedTotals]] | None = None, settlements: bool = True) -> list[KpiTable]:
    """The same KPIs month by month over the period (one table per calendar month).

    The months share their agings, all of them aged in one pass over the items (a month's end is the
    next one's beginning), and one credit-sales query over every month any countback needs; a clipped
    first or last month queries its own sales. Invoices paid and cash received and applied are loaded
    for every month at once, grouped by month (three queries instead of three per month).

    ``settlements=False`` leaves out the invoices paid (days to pay and late come out empty) and the
    cash applied (zero): a year of them is 800,000 invoices to judge, and a pack's trend shows
    neither (DSO, BPDSO, ADD and CEI come from AR and sales; the target from cash received)."""
    periods = month_periods(params.start, params.end)
    agings = {} if agings is None else agings
    span = replace(params, start=periods[0][0], countback_months=params.countback_months + len(periods) - 1)
    with _reading():
        wanted = [day for day in [periods[0][0] - timedelta(days=1), *(last for _first, last in periods)]
                  if day not in agings]
        if wanted:  # every month end (and the day before the first month) in one pass over the items
            agings.update(loaders.agings_by_group(params, wanted))
        sales: Sales = {key: {m: a for m, a in by_month.items() if m != "period"}  # type: ignore[misc]
                        for key, by_month in loaders.credit_sales_by_month(span).items()}
        paid = (loaders.paid_items_by_period(params, periods) if settlements
                else {period: {} for period in periods})
        cash = loaders.cash_by_period(params, periods, applied=settlements)
    return [kpi_table(replace(params, start=first, end=last), agings=agings,
                      sales=sales if _whole_month(first, last) else None, extras=extras,
                      loaded=PeriodInputs(paid[(first, last)], cash[(first, last)])) for first, last in periods]
