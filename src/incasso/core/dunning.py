"""Dunning, the pure part: which items reach which level on an as-of date, which letters that makes,
and what each letter claims (fee, statutory interest, fixed compensation).

The rules, stated once (docs/dunning.md has the worked examples):

* An item climbs one level at a time. Its next level is reached when the level's clock has run:
  ``due`` counts days past the due date, ``month_end`` days after the end of the due date's month,
  ``previous`` days since the item's previous level was sent (level 1 with ``previous`` counts from
  the due date). Because the test is "reached on or before the as-of date", a missed day is caught
  up by the next run instead of being skipped.
* Only the collectable amount counts: the open amount minus what is disputed. An item whose whole
  open amount is disputed, or that is under an open promise, is left out (the caller says so).
* One letter per customer and currency. It lists every overdue collectable item (with the dates of
  the levels it reached earlier); the highest level reached decides the letter's level and tone.
* A letter is held back (an exception, with the reason) when the customer is blocked, has no
  reminder contact or no e-mail for an e-mail channel, the overdue total is below the level's
  minimum amount or minimum share of the open total, or the last letter is more recent than the
  procedure's minimum interval.
* Interest and compensation are claimed per item when the letter's level says so, through
  :func:`incasso.core.interest.compute_interest` up to the as-of date; the fee is one per letter.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple

from incasso.core.interest import InterestError, compute_interest
from incasso.core.money import D, quantize

ZERO = Decimal(0)
HUNDRED = Decimal(100)

Basis = Literal["due", "month_end", "previous"]
Channel = Literal["email", "letter", "both"]
Tone = Literal["polite", "firm", "formal"]


class DunningRuleError(ValueError):
    """A procedure that cannot be applied as written (levels out of order, unknown basis)."""


@dataclass(frozen=True, slots=True)
class LevelRule:
    """One level of a procedure: when it is reached and what its letter claims."""

    number: int
    days: int
    basis: Basis = "due"
    min_amount: Decimal = ZERO
    min_share_percent: Decimal = ZERO  # of the customer's open total in the currency
    channel: Channel = "email"
    tone: Tone = "polite"
    fee: Decimal = ZERO
    claim_interest: bool = False
    claim_compensation: bool = False


@dataclass(frozen=True, slots=True)
class ProcedureRules:
    levels: tuple[LevelRule, ...]
    min_interval_days: int = 7
    jurisdiction: str = "EU"
    # Fixed compensation per late invoice in each currency (the law says EUR 40 "or its equivalent";
    # the equivalent is data the procedure holds, not a rate this code invents).
    compensation: Mapping[str, Decimal] = field(default_factory=lambda: {"EUR": D(40)})

    def __post_init__(self) -> None:
        numbers = [level.number for level in self.levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise DunningRuleError(f"levels must be numbered 1..n in order, got {numbers}")
        for level in self.levels:
            if level.basis not in ("due", "month_end", "previous"):
                raise DunningRuleError(f"level {level.number}: unknown basis {level.basis!r}")
            if level.days < 0:
                raise DunningRuleError(f"level {level.number}: days must not be negative")

    def level(self, number: int) -> LevelRule:
        return self.levels[number - 1]


_NO_LEVELS: Mapping[int, date] = MappingProxyType({})

# ``new_tuple(ItemFacts, (...))`` builds a NamedTuple from all its fields in order in one C call,
# without the generated ``__new__`` (a Python function with keyword defaults): a proposal builds
# one per overdue item and one per letter line, a million and more.
new_tuple = tuple.__new__


# ItemFacts and LetterLine are NamedTuples rather than frozen dataclasses: equally immutable, and
# several times cheaper to create, which counts with a million items in one proposal.
class ItemFacts(NamedTuple):
    """An open debit item as dunning sees it on the as-of date."""

    item_id: int
    number: str
    currency: str
    due_date: date
    open_amount: Decimal
    disputed_amount: Decimal = ZERO
    blocked_reason: str = ""  # e.g. "promise": the item is left alone, the letter says nothing of it
    level_dates: Mapping[int, date] = _NO_LEVELS  # levels reached earlier → date sent

    @property
    def collectable(self) -> Decimal:
        return max(self.open_amount - self.disputed_amount, ZERO)

    @property
    def last_level(self) -> int:
        return max(self.level_dates, default=0)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    customer_id: int
    items: tuple[ItemFacts, ...]
    blocked_reason: str = ""  # manual block, legal, insolvency, payment plan: nothing is sent
    blocked_code: str = "blocked"  # the exception code for ``blocked_reason`` (e.g. "in_other_run")
    has_reminder_contact: bool = True
    has_email: bool = True
    last_letter_on: date | None = None
    open_totals: Mapping[str, Decimal] = field(default_factory=dict)  # all open debit items per currency


class LetterLine(NamedTuple):
    item_id: int
    number: str
    due_date: date
    days_past_due: int
    open_amount: Decimal
    disputed_amount: Decimal
    amount_due: Decimal
    level: int  # the level this item reaches with this letter (its last level if it does not climb)
    climbs: bool  # True when this letter takes the item to a new level
    level_dates: Mapping[int, date]
    interest: Decimal = ZERO
    interest_rate: Decimal | None = None
    interest_from: date | None = None
    interest_to: date | None = None
    compensation: Decimal = ZERO
    legal_basis: str = ""


@dataclass(frozen=True, slots=True)
class ProposedLetter:
    customer_id: int
    currency: str
    level: int
    tone: Tone
    channel: Channel
    lines: tuple[LetterLine, ...]
    fee: Decimal
    items_total: Decimal
    interest_total: Decimal
    compensation_total: Decimal
    reasons: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return self.items_total + self.fee + self.interest_total + self.compensation_total


@dataclass(frozen=True, slots=True)
class Exception_:
    """A customer and currency that would have had a letter, and why it does not."""

    customer_id: int
    currency: str
    level: int
    code: str  # blocked, no_reminder_contact, no_email, below_minimum, interval, interest_unknown
    detail: str
    amount: Decimal = ZERO


def days_past_due(due_date: date, as_of: date) -> int:
    return (as_of - due_date).days


def end_of_month(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def level_reached_on(level: LevelRule, item: ItemFacts) -> date:
    """The first date on which ``item`` reaches ``level`` (given the levels it reached before)."""
    if level.basis == "due":
        return item.due_date + timedelta(days=level.days)
    if level.basis == "month_end":
        return end_of_month(item.due_date) + timedelta(days=level.days)
    previous = item.level_dates.get(level.number - 1)
    start = previous if previous is not None else item.due_date
    return start + timedelta(days=level.days)


def next_level(item: ItemFacts, rules: ProcedureRules, as_of: date) -> int | None:
    """The level ``item`` climbs to on ``as_of``, or None (not yet due for it, or at the top)."""
    following = item.last_level + 1
    if following > len(rules.levels):
        return None
    level = rules.level(following)
    # Levels are climbed one at a time: an item that never had level 1 gets level 1 first, however
    # late it is, so that no customer receives a formal notice as the first letter.
    return following if level_reached_on(level, item) <= as_of else None


def _claims(line_item: ItemFacts, level: LevelRule, rules: ProcedureRules, currency: str,
            as_of: date) -> dict[str, object]:
    claims: dict[str, object] = {}
    if level.claim_interest or level.claim_compensation:
        compensation = rules.compensation.get(currency, ZERO)
        result = compute_interest(line_item.collectable, currency, line_item.due_date, as_of, rules.jurisdiction,
                                  compensation=compensation)
        if level.claim_interest and result.periods:
            claims.update(interest=result.total, interest_rate=result.periods[-1].annual_rate,
                          interest_from=result.periods[0].start, interest_to=result.periods[-1].end,
                          legal_basis=result.legal_basis)
        if level.claim_compensation:
            claims.update(compensation=result.compensation, legal_basis=result.legal_basis)
    return claims


def propose_customer(customer: CustomerFacts, rules: ProcedureRules, as_of: date
                     ) -> tuple[list[ProposedLetter], list[Exception_]]:
    """The letters (one per currency) and exceptions for one customer on ``as_of``."""
    letters: list[ProposedLetter] = []
    exceptions: list[Exception_] = []
    # (item, collectable amount, last level) computed once per item
    by_currency: dict[str, list[tuple[ItemFacts, Decimal, int]]] = defaultdict(list)
    for item in customer.items:
        if item.due_date < as_of and not item.blocked_reason:
            collectable = item.open_amount - item.disputed_amount
            if collectable > 0:
                levels = item.level_dates
                by_currency[item.currency].append((item, collectable, max(levels) if levels else 0))
    top = len(rules.levels)
    for currency in sorted(by_currency):
        entries = sorted(by_currency[currency], key=lambda e: (e[0].due_date, e[0].item_id))
        climbing = {}
        for item, _collectable, last_level in entries:
            if last_level < top and level_reached_on(rules.levels[last_level], item) <= as_of:
                climbing[item.item_id] = last_level + 1
        if not climbing:
            continue
        letter_level = max(max(climbing.values()), max(e[2] for e in entries))
        level = rules.level(letter_level)
        overdue = sum((e[1] for e in entries), ZERO)
        exception = _held_back(customer, rules, level, currency, overdue, as_of)
        if exception is not None:
            exceptions.append(Exception_(customer.customer_id, currency, letter_level, exception[0], exception[1],
                                         overdue))
            continue
        lines = []
        reasons = []
        claiming = level.claim_interest or level.claim_compensation
        for item, collectable, last_level in entries:
            item_level = climbing.get(item.item_id, last_level)
            days = (as_of - item.due_date).days
            try:
                claims = _claims(item, level, rules, currency, as_of) if claiming else {}
            except InterestError as error:
                exceptions.append(Exception_(customer.customer_id, currency, letter_level, "interest_unknown",
                                             f"{item.number}: {error}", overdue))
                break
            climbs = item.item_id in climbing
            if claims:
                lines.append(LetterLine(item.item_id, item.number, item.due_date, days, item.open_amount,
                                        item.disputed_amount, collectable, item_level, climbs, item.level_dates,
                                        **claims))
            else:  # no interest or compensation claimed: the defaults, in field order
                lines.append(new_tuple(LetterLine, (
                    item.item_id, item.number, item.due_date, days, item.open_amount, item.disputed_amount,
                    collectable, item_level, climbs, item.level_dates, ZERO, None, None, None, ZERO, "")))
            if climbs:
                reasons.append(f"{item.number}: {days} days past due, reaches level {item_level}")
        else:
            interest = quantize(sum((line.interest for line in lines), ZERO), currency)
            compensation = quantize(sum((line.compensation for line in lines), ZERO), currency)
            letters.append(ProposedLetter(
                customer.customer_id, currency, letter_level, level.tone, level.channel, tuple(lines),
                quantize(level.fee, currency), quantize(overdue, currency), interest, compensation, tuple(reasons),
            ))
    return letters, exceptions


def _held_back(customer: CustomerFacts, rules: ProcedureRules, level: LevelRule, currency: str,
               overdue: Decimal, as_of: date) -> tuple[str, str] | None:
    if customer.blocked_reason:
        return customer.blocked_code, customer.blocked_reason
    if not customer.has_reminder_contact:
        return "no_reminder_contact", "no contact with the purpose 'reminders'"
    if level.channel in ("email", "both") and not customer.has_email:
        return "no_email", "the reminder contact has no e-mail address"
    if overdue < level.min_amount:
        return "below_minimum", f"overdue {overdue} {currency} is below the level minimum {level.min_amount}"
    open_total = customer.open_totals.get(currency, overdue)
    if open_total > 0 and overdue * HUNDRED < level.min_share_percent * open_total:
        share = (overdue * HUNDRED / open_total).quantize(Decimal("0.1"))
        return "below_minimum", f"overdue is {share} % of the open total, below {level.min_share_percent} %"
    if customer.last_letter_on is not None and (as_of - customer.last_letter_on).days < rules.min_interval_days:
        return "interval", (f"last letter on {customer.last_letter_on}, less than {rules.min_interval_days} "
                            f"days ago")
    return None


def propose(customers: Iterable[CustomerFacts], rules: ProcedureRules, as_of: date
            ) -> tuple[list[ProposedLetter], list[Exception_]]:
    letters: list[ProposedLetter] = []
    exceptions: list[Exception_] = []
    for customer in customers:
        found, held = propose_customer(customer, rules, as_of)
        letters.extend(found)
        exceptions.extend(held)
    return letters, exceptions


# --- Seeded procedures -------------------------------------------------------------------------

def default_levels(country: str) -> tuple[LevelRule, ...]:
    """A sensible three-level procedure: polite reminder, firm reminder, formal notice with the
    statutory claims. Countries differ in how soon the formal notice goes and in its fee."""
    first, second, third = {"DE": (7, 21, 35), "FR": (10, 25, 45), "IT": (10, 30, 50), "ES": (10, 30, 50),
                            "RO": (7, 21, 40), "PT": (10, 30, 50)}.get(country, (10, 25, 45))
    fee = D("5.00") if country == "DE" else ZERO
    return (
        LevelRule(1, first, "due", D("10.00"), ZERO, "email", "polite"),
        LevelRule(2, second, "due", D("10.00"), ZERO, "email", "firm", fee),
        LevelRule(3, third, "due", D("50.00"), ZERO, "both", "formal", fee, True, True),
    )


def jurisdiction_for(country: str, known: Sequence[str]) -> str:
    return country if country in known else "EU"
