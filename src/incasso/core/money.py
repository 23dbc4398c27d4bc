"""Money: Decimal amounts with an ISO 4217 currency, rounded once at the currency's minor unit.

``D`` is the one constructor for amounts that come from text or integers; floats are refused so that
no binary fraction ever reaches the ledger. ``quantize`` rounds half-up (the commercial rounding
banks and ERPs use) to the currency's minor unit and is called at the edges only: import,
posting, display and final totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")

# ISO 4217 minor units for the currencies Incasso's users meet; anything else is rejected on import
# rather than guessed. (HUF is 2 in ISO even though cash has no fillér; banks send 2 decimals.)
MINOR_UNITS: dict[str, int] = {
    "EUR": 2, "GBP": 2, "USD": 2, "CHF": 2, "RON": 2, "PLN": 2, "CZK": 2, "HUF": 2, "SEK": 2,
    "NOK": 2, "DKK": 2, "BGN": 2, "CAD": 2, "AUD": 2, "TRY": 2, "MAD": 2, "RSD": 2, "ISK": 0,
    "JPY": 0, "KWD": 3, "BHD": 3, "TND": 3, "CNY": 2, "INR": 2, "ZAR": 2, "MXN": 2, "BRL": 2,
}

_EXPONENTS = {code: Decimal(1).scaleb(-units) for code, units in MINOR_UNITS.items()}


class MoneyError(ValueError):
    """An amount or currency that cannot be used as money."""


def is_currency(code: str) -> bool:
    return code in MINOR_UNITS


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (Decimal('0.01') for EUR, Decimal('1') for JPY)."""
    try:
        return _EXPONENTS[currency]
    except KeyError:
        raise MoneyError(f"unknown currency {currency!r}") from None


def D(value: str | int | Decimal) -> Decimal:  # noqa: N802 - the beancount-style constructor name
    """Make a Decimal from text or an integer; floats are refused."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (bool, float)):
        raise MoneyError(f"refusing to make money from {type(value).__name__} {value!r}")
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise MoneyError(f"{value!r} is not a number") from None
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency``."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def parse_amount(text: str, *, decimal_comma: bool | None = None) -> Decimal:
    """Parse an amount as European and US spreadsheets write it.

    ``1234.56``, ``1,234.56``, ``1.234,56``, ``1 234,56`` and ``1234,56`` are all understood. When
    ``decimal_comma`` is None the separator is inferred: the right-most of ``.``/``,`` is the decimal
    separator if it is followed by one to three digits and the other separator does not follow it.
    A lone separator followed by exactly three digits is ambiguous ("1,234"): pass ``decimal_comma``.
    """
    s = text.strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not s:
        raise MoneyError("empty amount")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    if decimal_comma is None:
        last_dot, last_comma = s.rfind("."), s.rfind(",")
        if last_dot >= 0 and last_comma >= 0:
            decimal_comma = last_comma > last_dot
        elif last_comma >= 0:
            decimal_comma = s.count(",") == 1 and len(s) - last_comma - 1 != 3
            if s.count(",") == 1 and len(s) - last_comma - 1 == 3 and s[:last_comma].isdigit():
                decimal_comma = True  # "1234,567" is rare; "12,500" in a European export is 12.5
        else:
            decimal_comma = False
    s = s.replace(".", "").replace(",", ".") if decimal_comma else s.replace(",", "")
    if not s or not all(c.isdigit() or c == "." for c in s) or s.count(".") > 1:
        raise MoneyError(f"{text!r} is not an amount")
    value = Decimal(s)
    return -value if negative else value


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency. Arithmetic across currencies is an error, never a conversion."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise MoneyError(f"Money amount must be a Decimal, not {type(self.amount).__name__}")
        minor_unit(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def quantized(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def __str__(self) -> str:
        return f"{quantize(self.amount, self.currency)} {self.currency}"


def convert(amount: Decimal, from_currency: str, to_currency: str, rates: dict[str, Decimal]) -> Decimal:
    """Convert with a rate table giving units of ``to_currency`` per one unit of each currency.

    The result is not rounded: callers sum converted amounts and round the total once.
    """
    if from_currency == to_currency:
        return amount
    try:
        rate = rates[from_currency]
    except KeyError:
        raise MoneyError(f"no rate from {from_currency} to {to_currency} in the rate table") from None
    return amount * rate
