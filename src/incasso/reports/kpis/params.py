"""What a KPI report is asked for: period, grouping and every convention that changes a figure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from incasso.core.aging import DEFAULT_BUCKETS, Bucket
from incasso.core.kpi import KpiError

GROUPINGS = ("entity", "collector", "segment", "customer", "currency")


@dataclass(frozen=True, slots=True)
class KpiParams:
    """A KPI request. ``start``/``end`` are inclusive business dates; AR is measured at the end of
    ``start - 1`` (beginning) and at the end of ``end`` (ending).

    * ``net_of_credit_notes``: credit sales = invoices + debit notes, less credit notes issued in the
      period when True. Fees and interest are never sales.
    * ``ar_basis``: ``net`` = the aging total (debits less open credits); ``gross`` = net plus the
      open credit items (unapplied cash and credit notes), i.e. the open debit items alone.
    * ``day_convention``: ``30`` or ``calendar`` days per month for the countback DSO.
    * ``countback_months``: how many months (ending with ``end``'s month) the countback may walk.
    * ``dunning_window_days``: an item dunned on D counts as paid after its level when it is cleared
      by D + this many days; the items whose window ends in the period are judged.
    * ``reporting_currency``: convert every money input with ``rates`` (or the rate table on ``end``)
      and merge a group's currencies into one row.
    """

    start: date
    end: date
    by: str = "entity"
    entity_ids: tuple[int, ...] | None = None
    net_of_credit_notes: bool = True
    ar_basis: str = "net"
    day_convention: str = "calendar"
    countback_months: int = 12
    over_days: int = 90
    promise_tolerance_days: int = 3
    dunning_window_days: int = 30
    buckets: tuple[Bucket, ...] = DEFAULT_BUCKETS
    reporting_currency: str | None = None
    rates: dict[str, Decimal] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise KpiError(f"the period ends ({self.end}) before it starts ({self.start})")
        if self.by not in GROUPINGS:
            raise KpiError(f"group by {self.by!r}: expected one of {', '.join(GROUPINGS)}")
        if self.ar_basis not in ("gross", "net"):
            raise KpiError(f"ar_basis must be 'gross' or 'net', not {self.ar_basis!r}")
        if self.day_convention not in ("30", "calendar"):
            raise KpiError(f"day_convention must be '30' or 'calendar', not {self.day_convention!r}")
        if self.dunning_window_days < 0:
            raise KpiError(f"dunning_window_days must not be negative, not {self.dunning_window_days}")
        if self.countback_months < 1:
            raise KpiError(f"countback_months must be at least 1, not {self.countback_months}")

    @property
    def beginning(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[tuple[int, int]]:
        """The countback months, oldest first, the last being ``end``'s month."""
        year, month = self.end.year, self.end.month
        months = []
        for _ in range(self.countback_months):
            months.append((year, month))
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return months[::-1]

    def months_in_period(self) -> int:
        """Calendar months the period touches (the N of the monthly-average CEI)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
