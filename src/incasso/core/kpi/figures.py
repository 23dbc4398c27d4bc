"""What every KPI returns: ``Figure`` (exact quotient, rounded value, or undefined with a reason),
``KpiError`` for inputs no formula can use, and the small helpers the formulas share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_CENT = Decimal("0.01")

DayConvention = Literal["30", "calendar"]
ArBasis = Literal["gross", "net"]
SalesBasis = Literal["period", "monthly_average"]


class KpiError(ValueError):
    """Inputs that no KPI formula can use (out-of-order months, negative days, unknown option)."""


@dataclass(frozen=True, slots=True)
class Figure:
    """A KPI number: ``exact`` unrounded, ``value`` rounded half-up to 2 decimals; None with a reason."""

    exact: Decimal | None
    reason: str | None = None

    @property
    def value(self) -> Decimal | None:
        if self.exact is None:
            return None
        return self.exact.quantize(_CENT, rounding=ROUND_HALF_UP)

    @classmethod
    def undefined(cls, reason: str) -> Figure:
        return cls(None, reason)


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, ZERO) / len(values)


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise KpiError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")



def percent(part: Decimal, whole: Decimal, reason: str) -> Figure:
    """part / whole × 100, undefined with ``reason`` when ``whole`` is 0."""
    return Figure(part / whole * HUNDRED) if whole else Figure.undefined(reason)
