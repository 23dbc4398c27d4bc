"""Aging totals as of several dates at once, from pieces that each count over a range of those dates.

The aging as of D adds up, per group and currency, every item issued by D with its signed open amount
on D, in the bucket of its reference date. That sum is linear in the amounts, and an item's bucket
depends only on its reference date and D. So the totals of several dates ``D_0 < ... < D_n-1`` can be
built from *pieces*: an amount (whole hundredths, signed) with a reference date that counts on the
dates of index ``lo`` to ``hi - 1`` (an open item's stored open amount from the first date it exists
on; an allocation's correction while it made the open amount differ from today's). Whoever makes the
pieces (the database, in ``incasso.reports.kpis.totals``) does not need a row per item or date; this
module only spreads them over the dates and buckets.

Index of a day among the dates: ``date_index(x)`` is how many dates fall before ``x``, so "x <= D_k"
is ``k >= date_index(x)`` and "D_k < x" is ``k < date_index(x)``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from incasso.core.aging import Bucket, bucket_cutoffs

ZERO_CENTS = Decimal("0.00")


@dataclass(slots=True)
class BucketTotals:
    """One group's aging in one currency as of one date: the amounts per bucket (what the KPIs and
    the month-end aging trend read of an ``AgingRow``, without the item count)."""

    amounts: list[Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO_CENTS)


def distinct_dates(dates: Iterable[date]) -> list[date]:
    return sorted(set(dates))


def date_index(day: date, dates: Sequence[date]) -> int:
    """How many of ``dates`` (sorted, distinct) fall before ``day``."""
    return bisect_left(dates, day)


def bucket_of(reference: date, cutoffs: Sequence[date]) -> int:
    """The bucket of a reference date: the first whose cutoff it is on or after, else the last
    (the rule of ``core.aging.bucket_cutoffs``)."""
    for index, cutoff in enumerate(cutoffs):
        if reference >= cutoff:
            return index
    return len(cutoffs)


@dataclass
class SpreadTotals:
    """Per date index: group key → bucket amounts in hundredths, for every key some piece counted
    for on that date (a key can be counted and still add up to zero in every bucket)."""

    cents: list[dict[Hashable, list[int]]]

    def rows(self, index: int) -> dict[Hashable, BucketTotals]:
        """The keys whose amounts on date ``index`` are not all zero, as bucket totals."""
        return {key: BucketTotals([Decimal(c).scaleb(-2) if c else ZERO_CENTS for c in amounts])
                for key, amounts in self.cents[index].items() if any(amounts)}

    def undecided(self, index: int) -> set[Hashable]:
        """Keys counted on date ``index`` whose amounts cancel out in every bucket: whether the
        aging has a row for them (an item open that day) the totals alone cannot tell."""
        return {key for key, amounts in self.cents[index].items() if not any(amounts)}


def spread(pieces: Iterable[tuple[Hashable, date, int, int, int]], dates: Sequence[date],
           buckets: Sequence[Bucket]) -> SpreadTotals:
    """Add up ``(key, reference date, lo, hi, cents)`` pieces on the dates ``lo`` to ``hi - 1`` of
    ``dates`` (sorted, distinct), each in the bucket of its reference date as of that date."""
    width = len(buckets)
    cutoffs = [bucket_cutoffs(day, buckets) for day in dates]
    cents: list[dict[Hashable, list[int]]] = [{} for _ in dates]
    bucket_cache: dict[tuple[date, int], int] = {}
    for key, reference, lo, hi, amount in pieces:
        for index in range(max(lo, 0), min(hi, len(dates))):
            at = (reference, index)
            bucket = bucket_cache.get(at)
            if bucket is None:
                bucket = bucket_cache[at] = bucket_of(reference, cutoffs[index])
            row = cents[index].get(key)
            if row is None:
                row = cents[index][key] = [0] * width
            row[bucket] += amount
    return SpreadTotals(cents)
