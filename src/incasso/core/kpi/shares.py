"""% current and % over N days of an aging row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from incasso.core.aging import Bucket
from incasso.core.kpi.figures import HUNDRED, ZERO, Figure, KpiError


@dataclass(frozen=True, slots=True)
class AgingShares:
    """Share of an aging total that is current, and that is more than ``over_days`` past due."""

    total: Decimal
    current: Figure
    over: Figure
    over_days: int


def aging_shares(buckets: Sequence[Bucket], amounts: Sequence[Decimal], *, over_days: int = 90) -> AgingShares:
    """% current and % over ``over_days`` days of one aging row (buckets as ``incasso.core.aging``).

    "Current" is the bucket ending at 0 days; "over N" the buckets starting after N days. A bucket
    that straddles N (such as 61-120 for N = 90) cannot be split and is an error. A total of zero or
    less (a customer in credit) has no meaningful shares.
    """
    if len(buckets) != len(amounts):
        raise KpiError(f"{len(buckets)} buckets but {len(amounts)} amounts")
    current = ZERO
    over = ZERO
    for bucket, amount in zip(buckets, amounts, strict=True):
        if bucket.high is not None and bucket.high <= 0:
            current += amount
        elif bucket.low is not None and bucket.low > over_days:
            over += amount
        elif bucket.high is None or bucket.high > over_days:
            raise KpiError(f"bucket {bucket.label!r} straddles {over_days} days; choose buckets that end there")
    total = sum(amounts, ZERO)
    if total <= 0:
        reason = "the aging total is zero" if total == 0 else "the aging total is a credit balance"
        return AgingShares(total, Figure.undefined(reason), Figure.undefined(reason), over_days)
    return AgingShares(total, Figure(current / total * HUNDRED), Figure(over / total * HUNDRED), over_days)
