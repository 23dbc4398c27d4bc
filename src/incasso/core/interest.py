"""Statutory late-payment interest (EU Directive 2011/7/EU and its national transpositions).

The rules, stated once (docs/kpis.md, section "Late-payment interest", has worked examples):

* Interest runs without reminder from the day after the due date up to and including the day the
  money is paid (or the as-of date of a statement): ``until - due_date`` days in all.
* Simple interest on the principal, at reference rate + margin. Margins are percentage POINTS:
  "base + 9" with a base of 1.27 % is 10.27 %, never 1.27 × 1.09.
* Semester rule: for 1 January-30 June the reference rate is the one in force on 1 January; for
  1 July-31 December the one in force on 1 July. An overdue period crossing 1 January or 1 July is
  split into periods, each with its own rate; adjacent semesters with the same rate stay one period.
* France: the rate is never below 3 × the legal interest rate ("taux de l'intérêt légal", the rate
  for "tous les autres cas", i.e. professional creditors) of the semester.
* Day count per jurisdiction, overridable: ``act/365`` (actual days / 365, also in leap years),
  ``act/360`` (actual days / 360) or ``30/360`` (months of 30 days / 360, the European 30E/360
  rule: a 31st counts as the 30th; February is not stretched).
* Plus a fixed compensation per late invoice, and per late instalment (CJEU C-78/22): EUR 40, or
  its equivalent in the invoice currency, which the caller passes (the law fixes the EUR amount, the
  conversion rate is the caller's).

Reference rates are data with effective dates (:data:`REFERENCE_RATES`), each table saying up to
which date it is known complete; asking for a semester beyond that raises :class:`RateUnknownError`
rather than silently reusing an old rate. The total is rounded once, at the currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from incasso.core.money import D, minor_unit, quantize

ZERO = Decimal(0)
HUNDRED = Decimal(100)

DayCount = Literal["act/365", "act/360", "30/360"]
DAY_COUNTS: tuple[DayCount, ...] = ("act/365", "act/360", "30/360")


class InterestError(ValueError):
    """A late-payment interest computation that cannot be made with the inputs given."""


class RateUnknownError(InterestError):
    """The reference rate for a date is not in the rate table (before its first entry or after the
    date up to which it is known)."""


# --- Rate tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateTable:
    """A published reference rate: (effective_from, annual rate in percent) entries, oldest first.

    ``known_through`` is the last date the table is known to be complete for; a rate "in force" on
    a later date is unknown (a change may have been published since the table was written).
    """

    name: str
    entries: tuple[tuple[date, Decimal], ...]
    known_through: date
    source: str = ""

    def __post_init__(self) -> None:
        if not self.entries:
            raise InterestError(f"rate table {self.name}: no entries")
        for index, (effective_from, rate) in enumerate(self.entries):
            if not isinstance(rate, Decimal):
                raise InterestError(f"rate table {self.name}, entry {index}: rate must be a Decimal")
            if index and effective_from <= self.entries[index - 1][0]:
                raise InterestError(
                    f"rate table {self.name}, entry {index}: {effective_from} does not follow "
                    f"{self.entries[index - 1][0]}; give entries oldest first, one per date"
                )

    def in_force_on(self, day: date) -> Decimal:
        """The rate in force on ``day``: the latest entry effective on or before it."""
        if day > self.known_through:
            raise RateUnknownError(
                f"{self.name}: the rate in force on {day} is not known (table complete up to "
                f"{self.known_through}); add the published rate to the table"
            )
        found: Decimal | None = None
        for effective_from, rate in self.entries:
            if effective_from > day:
                break
            found = rate
        if found is None:
            raise RateUnknownError(f"{self.name}: no rate before {self.entries[0][0]} (asked for {day})")
        return found


def _table(name: str, known_through: str, source: str, rows: Sequence[tuple[str, str]]) -> RateTable:
    return RateTable(
        name=name,
        entries=tuple((date.fromisoformat(day), D(rate)) for day, rate in rows),
        known_through=date.fromisoformat(known_through),
        source=source,
    )


# The published values. Adding a semester is adding a row and moving ``known_through``.
REFERENCE_RATES: Mapping[str, RateTable] = {
    table.name: table
    for table in (
        _table(
            "ECB_MRO", "2026-01-01",
            "ECB main refinancing operations, fixed rate, by date of change",
            [("2022-12-21", "2.50"), ("2023-02-08", "3.00"), ("2023-03-22", "3.50"), ("2023-05-10", "3.75"),
             ("2023-06-21", "4.00"), ("2023-08-02", "4.25"), ("2023-09-20", "4.50"), ("2024-06-12", "4.25"),
             ("2024-09-18", "3.65"), ("2024-10-23", "3.40"), ("2024-12-18", "3.15"), ("2025-02-05", "2.90"),
             ("2025-03-12", "2.65"), ("2025-04-23", "2.40"), ("2025-06-11", "2.15")],
        ),
        _table(
            "DE_BASISZINSSATZ", "2026-01-01",
            "Deutsche Bundesbank, Basiszinssatz nach § 247 BGB (changes on 1 January and 1 July only)",
            [("2023-01-01", "1.62"), ("2023-07-01", "3.12"), ("2024-01-01", "3.62"), ("2024-07-01", "3.37"),
             ("2025-01-01", "2.27"), ("2025-07-01", "1.27"), ("2026-01-01", "1.27")],
        ),
        _table(
            "AT_BASISZINSSATZ", "2024-07-01",
            "Oesterreichische Nationalbank, Basiszinssatz on the first day of each half-year (§ 456 UGB); "
            "later half-years are not yet in the table",
            [("2023-01-01", "1.88"), ("2023-07-01", "3.38"), ("2024-01-01", "3.88"), ("2024-07-01", "3.88")],
        ),
        _table(
            "RO_NBR_REFERENCE", "2025-11-12",
            "Banca Națională a României, rata dobânzii de politică monetară = rata dobânzii de referință "
            "(OG 13/2011 art. 3), by date of change; known up to the decision of 12 November 2025",
            [("2022-11-09", "6.75"), ("2023-01-11", "7.00"), ("2024-07-08", "6.75"), ("2024-08-08", "6.50")],
        ),
        _table(
            "FR_TAUX_LEGAL_PROFESSIONNEL", "2026-01-01",
            "Taux de l'intérêt légal, « pour tous les autres cas » (creditors acting professionally), "
            "set by arrêté for each half-year (Code monétaire et financier L313-2, D313-1-A)",
            [("2023-01-01", "2.06"), ("2023-07-01", "4.22"), ("2024-01-01", "5.07"), ("2024-07-01", "4.92"),
             ("2025-01-01", "3.71"), ("2025-07-01", "2.76"), ("2026-01-01", "2.62")],
        ),
    )
}


# --- Jurisdictions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    """How one country's law sets late-payment interest between businesses (and consumers where set).

    ``margin_points`` is added to the reference rate in percentage points. ``consumer_margin_points``
    is None where the statute covered here has no consumer rate. ``floor_table`` and
    ``floor_multiple``: the rate is at least multiple × that table's rate for the semester.
    """

    code: str
    reference_table: str
    margin_points: Decimal
    legal_basis: str
    day_count: DayCount = "act/365"
    consumer_margin_points: Decimal | None = None
    consumer_legal_basis: str | None = None
    floor_table: str | None = None
    floor_multiple: Decimal | None = None
    compensation_eur: Decimal = D(40)
    consumer_compensation_eur: Decimal = ZERO


JURISDICTIONS: Mapping[str, Jurisdiction] = {
    j.code: j
    for j in (
        Jurisdiction("EU", "ECB_MRO", D("8"), "Directive 2011/7/EU, Art. 2(6) and Art. 6"),
        Jurisdiction("FR", "ECB_MRO", D("10"), "Art. L441-10 Code de commerce; D441-5 (indemnité de 40 EUR)",
                     floor_table="FR_TAUX_LEGAL_PROFESSIONNEL", floor_multiple=D("3")),
        Jurisdiction("DE", "DE_BASISZINSSATZ", D("9"), "§ 288 Abs. 2 BGB (Pauschale: § 288 Abs. 5 BGB)",
                     consumer_margin_points=D("5"), consumer_legal_basis="§ 288 Abs. 1 BGB"),
        Jurisdiction("ES", "ECB_MRO", D("8"), "Ley 3/2004, art. 7 y 8"),
        Jurisdiction("IT", "ECB_MRO", D("8"), "D.Lgs. 231/2002, art. 5 e 6"),
        Jurisdiction("RO", "RO_NBR_REFERENCE", D("8"), "Legea 72/2013, art. 3 și 13; OG 13/2011"),
        Jurisdiction("AT", "AT_BASISZINSSATZ", D("9.2"), "§ 456 UGB (Pauschale: § 458 UGB)"),
    )
}


# --- Computation -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InterestPeriod:
    """Days ``start``..``end`` (both inclusive) at one annual rate; ``interest`` is unrounded."""

    start: date
    end: date
    days: int  # days as the day count counts them (30/360 days for "30/360")
    annual_rate: Decimal  # percent, reference + margin (or the floor)
    reference_rate: Decimal
    floor_applied: bool
    interest: Decimal


@dataclass(frozen=True, slots=True)
class InterestResult:
    principal: Decimal
    currency: str
    jurisdiction: str
    day_count: DayCount
    periods: tuple[InterestPeriod, ...]
    total: Decimal  # sum of the periods' interest, rounded once at the currency's minor unit
    compensation: Decimal  # fixed compensation for this late invoice or instalment, in ``currency``
    legal_basis: str

    @property
    def days_overdue(self) -> int:
        return (self.periods[-1].end - self.periods[0].start).days + 1 if self.periods else 0


def semester_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _next_semester_start(day: date) -> date:
    return date(day.year, 7, 1) if day.month <= 6 else date(day.year + 1, 1, 1)


def _days_30e_360(start: date, end: date) -> int:
    """30E/360 days from ``start`` (exclusive) to ``end`` (inclusive)."""
    d1, d2 = min(start.day, 30), min(end.day, 30)
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def count_days(first_day: date, last_day: date, day_count: DayCount) -> tuple[int, int]:
    """(days, days in a year) for the interest days ``first_day``..``last_day`` inclusive."""
    if day_count == "30/360":
        return _days_30e_360(first_day - timedelta(days=1), last_day), 360
    days = (last_day - first_day).days + 1
    return days, 365 if day_count == "act/365" else 360


def annual_rate(jurisdiction: Jurisdiction, semester: date, *, consumer: bool,
                rates: Mapping[str, RateTable]) -> tuple[Decimal, Decimal, bool]:
    """(annual rate, reference rate, floor applied) for the semester starting on ``semester``."""
    try:
        reference = rates[jurisdiction.reference_table].in_force_on(semester)
    except KeyError:
        raise InterestError(f"no rate table {jurisdiction.reference_table!r} for {jurisdiction.code}") from None
    if consumer:
        if jurisdiction.consumer_margin_points is None:
            raise InterestError(f"{jurisdiction.code}: no statutory consumer rate is configured")
        rate = reference + jurisdiction.consumer_margin_points
    else:
        rate = reference + jurisdiction.margin_points
    floor_applied = False
    if jurisdiction.floor_table is not None and jurisdiction.floor_multiple is not None:
        try:
            floor = rates[jurisdiction.floor_table].in_force_on(semester) * jurisdiction.floor_multiple
        except KeyError:
            raise InterestError(f"no rate table {jurisdiction.floor_table!r} for {jurisdiction.code}") from None
        if floor > rate:
            rate, floor_applied = floor, True
    return rate, reference, floor_applied


def compute_interest(principal: Decimal, currency: str, due_date: date, until: date, jurisdiction: str, *,
                     consumer: bool = False, day_count: DayCount | None = None,
                     compensation: Decimal | None = None,
                     rates: Mapping[str, RateTable] = REFERENCE_RATES,
                     jurisdictions: Mapping[str, Jurisdiction] = JURISDICTIONS) -> InterestResult:
    """Late-payment interest on one invoice or instalment of ``principal`` due on ``due_date``,
    for the days after the due date up to and including ``until`` (payment or as-of date).

    ``compensation`` is the fixed compensation in ``currency``; leave it None for EUR (EUR 40, or 0
    for a consumer debtor in Germany) and pass the equivalent for any other currency (for RON, the
    lei equivalent of EUR 40 at the rate the caller chooses). No interest and no compensation when
    ``until`` is on or before the due date.
    """
    try:
        rules = jurisdictions[jurisdiction]
    except KeyError:
        raise InterestError(
            f"unknown jurisdiction {jurisdiction!r}; known: {', '.join(sorted(jurisdictions))}"
        ) from None
    day_count = day_count or rules.day_count
    if day_count not in DAY_COUNTS:
        raise InterestError(f"day_count must be one of {', '.join(DAY_COUNTS)}, not {day_count!r}")
    if not isinstance(principal, Decimal):
        raise InterestError(f"principal must be a Decimal, not {type(principal).__name__}")
    if principal < 0:
        raise InterestError(f"principal must not be negative, not {principal}")
    minor_unit(currency)  # an unknown currency is an error before anything is computed
    if consumer and rules.consumer_margin_points is None:
        raise InterestError(f"{jurisdiction}: no statutory consumer rate is configured")
    legal_basis = rules.consumer_legal_basis if consumer and rules.consumer_legal_basis else rules.legal_basis

    if until <= due_date:
        return InterestResult(principal, currency, jurisdiction, day_count, (), quantize(ZERO, currency),
                              quantize(ZERO, currency), legal_basis)

    periods: list[InterestPeriod] = []
    first_day = due_date + timedelta(days=1)
    while first_day <= until:
        last_day = min(until, _next_semester_start(first_day) - timedelta(days=1))
        rate, reference, floor_applied = annual_rate(rules, semester_start(first_day), consumer=consumer,
                                                     rates=rates)
        previous = periods[-1] if periods else None
        if previous is not None and (previous.annual_rate, previous.reference_rate) == (rate, reference):
            first_day = previous.start  # same rate as the semester before: one period, not two
            periods.pop()
        days, year_days = count_days(first_day, last_day, day_count)
        interest = principal * rate / HUNDRED * days / year_days
        periods.append(InterestPeriod(first_day, last_day, days, rate, reference, floor_applied, interest))
        first_day = last_day + timedelta(days=1)

    total = quantize(sum((p.interest for p in periods), ZERO), currency)
    if compensation is None:
        if currency != "EUR":
            raise InterestError(
                f"the fixed compensation is EUR {rules.compensation_eur}: pass its equivalent in {currency} "
                f"as compensation="
            )
        compensation = rules.consumer_compensation_eur if consumer else rules.compensation_eur
    return InterestResult(principal, currency, jurisdiction, day_count, tuple(periods), total,
                          quantize(compensation, currency), legal_basis)


@dataclass(frozen=True, slots=True)
class Instalment:
    """One instalment of a payment plan or of a split invoice: amount, due date, date paid (None if not)."""

    amount: Decimal
    due_date: date
    paid_on: date | None = None


@dataclass(frozen=True, slots=True)
class InstalmentsInterest:
    results: tuple[InterestResult, ...]  # one per instalment, in the order given
    interest_total: Decimal
    compensation_total: Decimal  # one fixed compensation per late instalment

    @property
    def late_instalments(self) -> int:
        return sum(1 for r in self.results if r.periods)


def compute_instalments_interest(instalments: Sequence[Instalment], currency: str, as_of: date,
                                 jurisdiction: str, *, consumer: bool = False,
                                 day_count: DayCount | None = None, compensation: Decimal | None = None,
                                 rates: Mapping[str, RateTable] = REFERENCE_RATES) -> InstalmentsInterest:
    """Interest and fixed compensation for each instalment, each up to its payment date or ``as_of``.

    Every late instalment earns its own fixed compensation (CJEU C-78/22). Instalments paid after
    ``as_of`` are treated as unpaid on ``as_of``.
    """
    results = []
    for instalment in instalments:
        until = instalment.paid_on if instalment.paid_on is not None and instalment.paid_on <= as_of else as_of
        results.append(compute_interest(instalment.amount, currency, instalment.due_date, until, jurisdiction,
                                        consumer=consumer, day_count=day_count, compensation=compensation,
                                        rates=rates))
    return InstalmentsInterest(
        tuple(results),
        quantize(sum((r.total for r in results), ZERO), currency),
        quantize(sum((r.compensation for r in results), ZERO), currency),
    )
