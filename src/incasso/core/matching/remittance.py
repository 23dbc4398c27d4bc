"""Which bank line a remittance advice describes: the advice says "we paid X on date D with
reference R", the bank line is the money arriving. Pure: the caller passes plain values.

A line is a candidate only with the same currency and the same amount, booked from
``DAYS_BEFORE`` days before the advice date to ``DAYS_AFTER`` after (advices are often sent the day
the payment is ordered, and the money arrives one to three business days later). Among the
candidates the evidence is scored: the advice's payment reference found in the line's references
or text, the payer's IBAN, the payer's name (rapidfuzz, normalised legal forms and accents), and
closeness of the dates. A link needs at least one identifying fact (reference, IBAN or name) and
a score strictly above the runner-up's, so two equal payments of one payer on one day stay
unlinked rather than guessed; the explanation lists the facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from rapidfuzz import fuzz

from incasso.core.matching.text import compact, normalise_name

DAYS_BEFORE = 3
DAYS_AFTER = 10
NAME_CUTOFF = 85


@dataclass(frozen=True, slots=True)
class AdviceFacts:
    amount: Decimal
    currency: str
    payment_date: date | None
    reference: str
    payer_name: str
    payer_iban: str


@dataclass(frozen=True, slots=True)
class LineFacts:
    line_id: int
    amount: Decimal
    currency: str
    booking_date: date | None
    references: tuple[str, ...]  # bank reference, end-to-end id, structured reference
    text: str
    counterparty_name: str
    counterparty_iban: str


@dataclass(frozen=True, slots=True)
class LinkScore:
    line_id: int
    score: float
    identified: bool  # reference, IBAN or name matched
    reasons: tuple[str, ...]


def in_window(advice: AdviceFacts, line: LineFacts) -> bool:
    if line.currency != advice.currency or line.amount != advice.amount:
        return False
    if advice.payment_date is None or line.booking_date is None:
        return True
    days = (line.booking_date - advice.payment_date).days
    return -DAYS_BEFORE <= days <= DAYS_AFTER


def score(advice: AdviceFacts, line: LineFacts) -> LinkScore:
    reasons = [f"amount {line.amount} {line.currency} equal"]
    total, identified = 0.0, False
    reference = compact(advice.reference)
    if len(reference) >= 4:
        if any(compact(r) == reference for r in line.references if r):
            total += 0.5
            identified = True
            reasons.append(f"reference {advice.reference} is the line's reference")
        elif reference in compact(line.text) or any(reference in compact(r) for r in line.references if r):
            total += 0.4
            identified = True
            reasons.append(f"reference {advice.reference} found in the line's text")
    if advice.payer_iban and compact(advice.payer_iban) == compact(line.counterparty_iban):
        total += 0.4
        identified = True
        reasons.append(f"payer IBAN {advice.payer_iban} equal")
    if advice.payer_name and line.counterparty_name:
        similarity = fuzz.token_sort_ratio(normalise_name(advice.payer_name), normalise_name(line.counterparty_name))
        if similarity >= NAME_CUTOFF:
            total += 0.3 * similarity / 100
            identified = True
            reasons.append(f"payer '{advice.payer_name}' ~ '{line.counterparty_name}' ({similarity:.0f})")
    if advice.payment_date and line.booking_date:
        days = (line.booking_date - advice.payment_date).days
        total += 0.1 * (1 - min(abs(days), DAYS_AFTER) / DAYS_AFTER)
        reasons.append("booked on the advice date" if days == 0 else
                       f"booked {abs(days)} day(s) {'after' if days > 0 else 'before'} the advice date")
    return LinkScore(line.line_id, round(total, 4), identified, tuple(reasons))


def best_link(advice: AdviceFacts, lines: list[LineFacts]) -> tuple[LinkScore | None, str]:
    """The line the advice describes and why, or None and why not."""
    candidates = [score(advice, line) for line in lines if in_window(advice, line)]
    if not candidates:
        return None, (f"no open bank credit of {advice.amount} {advice.currency} booked between "
                      f"{DAYS_BEFORE} days before and {DAYS_AFTER} days after the advice date")
    candidates.sort(key=lambda c: (-c.score, c.line_id))
    best = candidates[0]
    if not best.identified:
        return None, (f"{len(candidates)} bank credit(s) of {advice.amount} {advice.currency} in the date window, "
                      "but none shows the advice's reference, IBAN or payer name")
    if len(candidates) > 1 and candidates[1].score >= best.score:
        return None, f"{len(candidates)} bank credits fit equally well; link it by hand"
    return best, "; ".join(best.reasons)
