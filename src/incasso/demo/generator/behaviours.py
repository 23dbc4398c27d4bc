"""How customers pay: the ground truth behind the generated ledger.

Each behaviour is a set of distributions, stated as data: when the open items fall due (days past
due as of the as-of date), how late the paid history was paid, how often invoices are short paid or
paid in part, and how much of the customer's business is still open. Aging then shows a real spread
across the buckets, and prediction work has a truth file to learn from.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

NOT_YET_DUE = None  # marks a range of days past due from -terms to 0 (invoiced, not yet due)

Ranges = tuple[tuple[int, int | None, int], ...]  # (per mille, low, high) days; low None = not yet due


@dataclass(frozen=True, slots=True)
class Behaviour:
    """One payment behaviour and the distributions that produce it."""

    code: str
    per_mille: int  # share of the customers
    open_weight: int  # relative number of open items
    cleared_weight: int  # relative number of paid historical items
    open_days_past_due: Ranges  # where the open invoices sit as of the as-of date
    payment_delay: Ranges  # days after the due date the paid history was paid (negative: early)
    partial_per_mille: int  # open invoices that were paid in part (the rest stays open)
    partial_open_percent: tuple[int, int]  # the share of such an invoice still open
    credit_note_per_mille: int  # open items that are credit notes not yet applied
    unapplied_per_mille: int  # open items that are payments on account, not yet applied
    debit_note_per_mille: int  # open items that are debit notes


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour("prompt", 380, 6, 14,
              ((850, NOT_YET_DUE, 0), (150, 1, 20)),
              ((800, -10, 0), (200, 1, 5)),
              10, (20, 60), 15, 40, 20),
    Behaviour("slightly_late", 250, 10, 12,
              ((550, NOT_YET_DUE, 0), (400, 1, 30), (50, 31, 60)),
              ((900, 3, 25), (100, 26, 40)),
              30, (20, 60), 20, 25, 25),
    Behaviour("chronically_late", 130, 16, 10,
              ((250, NOT_YET_DUE, 0), (300, 1, 45), (300, 46, 120), (150, 121, 240)),
              ((700, 25, 90), (300, 91, 150)),
              60, (30, 70), 20, 15, 30),
    Behaviour("disputer", 90, 14, 10,
              ((400, NOT_YET_DUE, 0), (200, 1, 60), (250, 61, 200), (150, 201, 420)),
              ((700, 0, 15), (300, 40, 150)),
              250, (3, 20), 90, 10, 40),
    Behaviour("partial_payer", 90, 14, 10,
              ((300, NOT_YET_DUE, 0), (350, 1, 60), (250, 61, 180), (100, 181, 300)),
              ((1000, 10, 60),),
              500, (30, 80), 20, 30, 20),
    Behaviour("insolvent", 60, 18, 6,
              # relative to the day payments stopped, not to the as-of date (see insolvency_stop)
              ((1000, 0, 0),),
              ((1000, 10, 60),),
              40, (40, 90), 10, 5, 20),
)

BEHAVIOUR_BY_CODE = {b.code: b for b in BEHAVIOURS}


def draw_days(rng: Random, ranges: Ranges, terms: int) -> int:
    """Draw a number of days from ``ranges``; a not-yet-due range spans ``-terms`` to 0."""
    roll = int(rng.random() * 1000)
    chosen = ranges[-1]
    for candidate in ranges:
        if roll < candidate[0]:
            chosen = candidate
            break
        roll -= candidate[0]
    _per_mille, low, high = chosen
    start = -terms if low is None else low
    return start + int(rng.random() * (high - start + 1))


def insolvency_stop(rng: Random, as_of_ordinal: int) -> int:
    """The day an insolvent customer stopped paying: between five months and sixteen months ago,
    so that their open items pile up from 91-180 days into the >360 bucket."""
    return as_of_ordinal - rng.randint(150, 480)
