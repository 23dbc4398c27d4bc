"""Aging of open items as of a date.

The rules, stated once (the database query in ``incasso.reports.aging`` does the same set-based and
is tested against this module on random ledgers):

* An item is aged by the days between the as-of date and its reference date (the due date, or the
  document date when aging by document date).
* Buckets are contiguous ranges of whole days, the first open below and the last open above, e.g.
  ``current`` (≤ 0 days), ``1-30`` ... ``>360``. Because they are contiguous, each bucket is also a
  range of reference dates: that is what lets the database bucket a million rows with one ``CASE``
  over date comparisons and no date arithmetic.
* Debit items (invoices, debit notes, fees, interest) count positive, credit items (payments, credit
  notes) negative, so the total of a customer's buckets is their balance.
* Totals are per currency; converting to a reporting currency multiplies each currency's totals by
  its rate and rounds once, at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from incasso.core.money import ZERO, convert, quantize


class AgingError(ValueError):
    """A bucket specification or rate table that cannot be used."""


@dataclass(frozen=True, slots=True)
class Bucket:
    """Days past the reference date, both ends inclusive; None is unbounded."""

    label: str
    low: int | None
    high: int | None

    def contains(self, days: int) -> bool:
        return (self.low is None or days >= self.low) and (self.high is None or days <= self.high)


_RANGE = re.compile(r"^(\d+)-(\d+)$")
_OVER = re.compile(r"^>\s*(\d+)$")


def parse_buckets(spec: str) -> tuple[Bucket, ...]:
    """Parse ``current,1-30,31-60,61-90,91-180,181-360,>360`` into buckets.

    ``current`` is everything up to 0 days (not yet due, or due today). Ranges must follow each other
    without gap or overlap and the last must be ``>N``.
    """
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts:
        raise AgingError("empty bucket specification")
    buckets: list[Bucket] = []
    for index, part in enumerate(parts):
        if part.lower() == "current":
            if index != 0:
                raise AgingError("'current' can only be the first bucket")
            buckets.append(Bucket("current", None, 0))
            continue
        if m := _RANGE.match(part):
            low, high = int(m.group(1)), int(m.group(2))
            if high < low:
                raise AgingError(f"bucket {part!r}: the end is before the start")
            low_bound: int | None = None if index == 0 else low
            buckets.append(Bucket(part, low_bound, high))
            continue
        if m := _OVER.match(part):
            if index != len(parts) - 1:
                raise AgingError(f"bucket {part!r}: an open-ended bucket must come last")
            buckets.append(Bucket(part, int(m.group(1)) + 1, None))
            continue
        raise AgingError(f"bucket {part!r}: expected 'current', 'N-M' or '>N'")
    if buckets[-1].high is not None:
        raise AgingError("the last bucket must be open-ended, like '>360'")
    for before, after in zip(buckets, buckets[1:], strict=False):
        assert before.high is not None
        if after.low != before.high + 1:
            raise AgingError(
                f"buckets {before.label!r} and {after.label!r} must follow each other without gap "
                f"or overlap (expected {after.label!r} to start at {before.high + 1})"
            )
    return tuple(buckets)


DEFAULT_BUCKET_SPEC = "current,1-30,31-60,61-90,91-180,181-360,>360"
DEFAULT_BUCKETS = parse_buckets(DEFAULT_BUCKET_SPEC)


def bucket_spec(buckets: Sequence[Bucket]) -> str:
    """The text ``parse_buckets`` reads back into the same buckets (for storing and exporting)."""
    return ",".join(bucket.label for bucket in buckets)


def bucket_index(days: int, buckets: Sequence[Bucket]) -> int:
    for index, bucket in enumerate(buckets):
        if bucket.contains(days):
            return index
    raise AgingError(f"{days} days fall in no bucket")  # unreachable with parse_buckets' buckets


def bucket_cutoffs(as_of: date, buckets: Sequence[Bucket]) -> list[date]:
    """For each bucket but the last, the earliest reference date that still falls in it.

    An item with reference date ``r`` is in the first bucket ``i`` with ``r >= cutoffs[i]``, else in
    the last bucket. ``days <= high`` is ``r >= as_of - high``.
    """
    cutoffs = []
    for bucket in buckets[:-1]:
        assert bucket.high is not None
        cutoffs.append(as_of - timedelta(days=bucket.high))
    return cutoffs


@dataclass(frozen=True, slots=True)
class AgingItem:
    """One open item as the aging needs it: signed open amount as of the aging date."""

    group: str
    currency: str
    reference_date: date
    open_amount: Decimal  # signed: debit items positive, credit items negative


@dataclass(slots=True)
class AgingRow:
    group: str
    currency: str
    amounts: list[Decimal]
    item_count: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    @property
    def overdue(self) -> Decimal:
        """Everything past the first bucket (for the default buckets: past due)."""
        return sum(self.amounts[1:], ZERO)


@dataclass(slots=True)
class AgingReport:
    """Open amounts as of ``as_of`` by group, currency and bucket, with totals per currency.

    ``as_of_by_entity`` maps each legal entity's code to the date its items were aged as of. It is
    the same date for every entity when the caller gave one; when each entity is aged as of its own
    local "today" the dates may differ by a day around midnight, and ``as_of`` is the latest of them.
    """

    as_of: date
    buckets: tuple[Bucket, ...]
    basis: str  # "due_date" or "document_date"
    rows: list[AgingRow] = field(default_factory=list)
    as_of_by_entity: dict[str, date] = field(default_factory=dict)

    def totals(self) -> dict[str, AgingRow]:
        """One row per currency summing every group."""
        totals: dict[str, AgingRow] = {}
        for row in self.rows:
            total = totals.setdefault(
                row.currency, AgingRow("TOTAL", row.currency, [ZERO] * len(self.buckets))
            )
            total.amounts = [a + b for a, b in zip(total.amounts, row.amounts, strict=True)]
            total.item_count += row.item_count
        return dict(sorted(totals.items()))

    def quantized(self) -> AgingReport:
        """The report rounded to each currency's minor unit (for display and export)."""
        rows = [
            AgingRow(r.group, r.currency, [quantize(a, r.currency) for a in r.amounts], r.item_count)
            for r in self.rows
        ]
        return AgingReport(self.as_of, self.buckets, self.basis, rows, dict(self.as_of_by_entity))


def age(items: Iterable[AgingItem], as_of: date, buckets: Sequence[Bucket] = DEFAULT_BUCKETS,
        basis: str = "due_date") -> AgingReport:
    """Bucket open items as of ``as_of``; rows sorted by group then currency. Zero items are skipped."""
    buckets = tuple(buckets)
    rows: dict[tuple[str, str], AgingRow] = {}
    for item in items:
        if item.open_amount == 0:
            continue
        index = bucket_index((as_of - item.reference_date).days, buckets)
        row = rows.get((item.group, item.currency))
        if row is None:
            row = rows[(item.group, item.currency)] = AgingRow(
                item.group, item.currency, [ZERO] * len(buckets)
            )
        row.amounts[index] += item.open_amount
        row.item_count += 1
    return AgingReport(as_of, buckets, basis, [rows[key] for key in sorted(rows)])


def to_reporting_currency(report: AgingReport, currency: str, rates: dict[str, Decimal]) -> AgingReport:
    """Convert every row to ``currency`` with ``rates`` (units of ``currency`` per unit of each).

    Rows of one group in several currencies merge into one row. Amounts are rounded once, after the
    sum, so converted totals equal the sum of converted rows up to the last cent of each row.
    """
    merged: dict[str, AgingRow] = {}
    for row in report.rows:
        target = merged.setdefault(row.group, AgingRow(row.group, currency, [ZERO] * len(report.buckets)))
        target.amounts = [
            acc + convert(amount, row.currency, currency, rates)
            for acc, amount in zip(target.amounts, row.amounts, strict=True)
        ]
        target.item_count += row.item_count
    rows = [
        AgingRow(r.group, currency, [quantize(a, currency) for a in r.amounts], r.item_count)
        for r in (merged[k] for k in sorted(merged))
    ]
    return AgingReport(report.as_of, report.buckets, report.basis, rows, dict(report.as_of_by_entity))


def missing_rates(currencies: Iterable[str], reporting_currency: str, rates: dict[str, Decimal]) -> list[str]:
    """The currencies among ``currencies`` that ``rates`` cannot convert to ``reporting_currency``."""
    return sorted({c for c in currencies if c != reporting_currency and c not in rates})


@dataclass(frozen=True, slots=True)
class AllocationFact:
    """An allocation as the as-of rule needs it: amount, date made, date reversed (if ever)."""

    amount: Decimal
    date: date
    reversed_on: date | None = None

    def counts_on(self, as_of: date) -> bool:
        """Made on or before ``as_of`` and not yet reversed by then."""
        return self.date <= as_of and (self.reversed_on is None or self.reversed_on > as_of)


def open_amount_as_of(amount: Decimal, allocations: Iterable[AllocationFact], as_of: date) -> Decimal:
    """The unsigned open amount of an item as of ``as_of``: its amount minus the allocations that
    counted on that day. Allocations made later, even when backdated in the ledger later on, do not
    count; allocations reversed on or before ``as_of`` do not count either."""
    return amount - sum((a.amount for a in allocations if a.counts_on(as_of)), ZERO)
