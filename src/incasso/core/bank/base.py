"""Small pieces every format parser shares: the balance check and date/amount field readers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation

from incasso.core.bank.model import Entry, ParseError, ParseWarning


def reconciliation_warning(
    opening: Decimal | None, closing: Decimal | None, entries: Iterable[Entry], position: str
) -> ParseWarning | None:
    """Opening + Σ booked entries = closing, or a warning saying by how much it is off.

    Real files often do not reconcile (anonymised samples, statements that carry only part of the
    day's bookings), so this is never a reason to reject a file.
    """
    if opening is None or closing is None:
        return None
    total = sum((e.signed_amount for e in entries if e.status == "BOOK"), Decimal(0))
    if opening + total == closing:
        return None
    return ParseWarning(
        position,
        f"balances do not reconcile: opening {opening} + entries {total} = {opening + total}, "
        f"but closing is {closing} (difference {closing - opening - total})",
    )


def decimal_field(text: str, file: str, position: str, field: str, *, comma: bool = False) -> Decimal:
    raw = text.strip()
    if comma:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ParseError(file, position, f"{field}: {text!r} is not an amount") from None
    if not value.is_finite():
        raise ParseError(file, position, f"{field}: {text!r} is not an amount")
    return value


def date_field(
    text: str, file: str, position: str, field: str, order: str = "YMD", *, century: int | None = None
) -> date:
    """Read a date written as digits in ``order`` (YMD, DMY, MDY), two- or four-digit years."""
    digits = text.strip()
    if not digits.isdigit() or len(digits) not in (6, 8):
        raise ParseError(file, position, f"{field}: {text!r} is not a date")
    year_len = len(digits) - 4
    parts: dict[str, int] = {}
    i = 0
    for letter in order:
        width = year_len if letter == "Y" else 2
        parts[letter] = int(digits[i:i + width])
        i += width
    year = parts["Y"]
    if year_len == 2:
        # SWIFT and the fixed-width formats use two-digit years; 80-99 are last century
        year += century if century is not None else (1900 if year >= 80 else 2000)
    try:
        return date(year, parts["M"], parts["D"])
    except ValueError as exc:
        raise ParseError(file, position, f"{field}: {text!r} is not a valid date ({exc})") from None
