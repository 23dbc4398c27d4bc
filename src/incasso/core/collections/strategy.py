"""Collection strategies: ordered, point-scoring rules over a customer's facts.

A strategy is data (edited by team leaders, versioned by the app). Scoring one customer is a pure
function of its ``CustomerFacts`` as of the build date: every rule whose condition holds adds its
points and a ``Reason``; the sum is the priority. Accounts the collector should not chase today
but must not forget (an active promise, a payment plan, all overdue items disputed) are *lowered*:
their priority is multiplied by the strategy's ``lowered_percent``, never hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from incasso.core.money import ZERO


class StrategyError(ValueError):
    """A strategy rule that cannot be evaluated (unknown condition, negative window...)."""


class Condition(StrEnum):
    """What a rule looks at. Amounts are in the account currency; thresholds are inclusive."""

    OVERDUE_AMOUNT = "overdue_amount"  # overdue open amount >= threshold
    DAYS_PAST_DUE = "days_past_due"  # oldest overdue item's days past due >= threshold
    DUE_SOON_AMOUNT = "due_soon_amount"  # amount falling due in the next days >= threshold
    BROKEN_PROMISES = "broken_promises"  # promises broken in the last window_days >= threshold
    OPEN_DISPUTES = "open_disputes"  # open dispute cases >= threshold
    CREDIT_LIMIT_USE = "credit_limit_use"  # balance / credit limit in % >= threshold
    RISK_CLASS = "risk_class"  # risk class rank (low 1, medium 2, high 3, critical 4) >= threshold
    DAYS_SINCE_CONTACT = "days_since_contact"  # days since the last logged contact (never: always) >= threshold
    DUNNING_LEVEL = "dunning_level"  # highest dunning level reached >= threshold
    CUSTOMER_VALUE = "customer_value"  # invoiced in the last 365 days >= threshold


RISK_RANK = {"low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass(frozen=True, slots=True)
class Rule:
    condition: Condition
    threshold: Decimal
    points: int
    window_days: int | None = None  # for broken promises: how far back to count
    label: str = ""  # the team leader's own wording; the default reason text otherwise


@dataclass(frozen=True, slots=True)
class Strategy:
    """One version of a strategy, selected for a customer by entity and segment (``None`` = any)."""

    id: int
    rules: tuple[Rule, ...]
    entity_id: int | None = None
    segment: str | None = None
    lowered_percent: int = 50


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the worklist build aggregated for one customer account as of one date."""

    customer_id: int
    overdue_amount: Decimal = ZERO
    due_soon_amount: Decimal = ZERO
    max_days_past_due: int = 0
    broken_promise_dates: tuple[date, ...] = ()  # when each broken promise was judged
    open_disputes: int = 0
    disputed_overdue_amount: Decimal = ZERO
    balance: Decimal = ZERO
    credit_limit: Decimal = ZERO
    risk_class: str = "low"
    last_contact_on: date | None = None
    dunning_level: int = 0
    customer_value: Decimal = ZERO
    active_promise: bool = False
    in_payment_plan: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a customer is on the list: the condition, the measured value and the points."""

    condition: str
    text: str
    points: int


@dataclass(frozen=True, slots=True)
class Score:
    customer_id: int
    priority: int
    reasons: tuple[Reason, ...]
    lowered_because: tuple[str, ...]  # "promise", "plan", "disputed"
    overdue_amount: Decimal

    @property
    def sort_key(self) -> tuple[int, Decimal, int]:
        """Highest priority first, then the largest overdue amount, then the account id (stable)."""
        return (-self.priority, -self.overdue_amount, self.customer_id)


def _broken_in_window(rule: Rule, facts: CustomerFacts, as_of: date) -> Decimal:
    window = rule.window_days if rule.window_days is not None else 60
    if window < 0:
        raise StrategyError(f"rule {rule.condition}: window_days must not be negative")
    return Decimal(sum(1 for d in facts.broken_promise_dates if (as_of - d).days <= window))


def _credit_use(rule: Rule, facts: CustomerFacts, as_of: date) -> Decimal | None:
    if facts.credit_limit <= 0:
        return None
    return (facts.balance / facts.credit_limit * 100).quantize(Decimal("1"))


_NEVER = Decimal(10**6)  # never contacted: older than any threshold


def _since_contact(rule: Rule, facts: CustomerFacts, as_of: date) -> Decimal:
    return _NEVER if facts.last_contact_on is None else Decimal((as_of - facts.last_contact_on).days)


# What each condition measures (a table rather than a chain of comparisons: it runs 13 times for
# each of a hundred thousand accounts in a build).
_MEASURES = {
    Condition.OVERDUE_AMOUNT: lambda rule, facts, as_of: facts.overdue_amount,
    Condition.DAYS_PAST_DUE: lambda rule, facts, as_of: facts.max_days_past_due,
    Condition.DUE_SOON_AMOUNT: lambda rule, facts, as_of: facts.due_soon_amount,
    Condition.BROKEN_PROMISES: _broken_in_window,
    Condition.OPEN_DISPUTES: lambda rule, facts, as_of: facts.open_disputes,
    Condition.CREDIT_LIMIT_USE: _credit_use,
    Condition.RISK_CLASS: lambda rule, facts, as_of: RISK_RANK.get(facts.risk_class, 0),
    Condition.DAYS_SINCE_CONTACT: _since_contact,
    Condition.DUNNING_LEVEL: lambda rule, facts, as_of: facts.dunning_level,
    Condition.CUSTOMER_VALUE: lambda rule, facts, as_of: facts.customer_value,
}


def _measure(rule: Rule, facts: CustomerFacts, as_of: date) -> Decimal | int | None:
    """The value the rule compares with its threshold (None: the condition cannot hold)."""
    try:
        measure = _MEASURES[rule.condition]
    except KeyError:
        raise StrategyError(f"unknown condition {rule.condition!r}") from None
    return measure(rule, facts, as_of)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,.2f}"


def describe(rule: Rule, value: Decimal | int, facts: CustomerFacts) -> str:
    """The reason in words (English; the UI translates by condition and shows the numbers)."""
    if rule.label:
        return rule.label
    n = int(value)
    value = Decimal(value)
    match rule.condition:
        case Condition.OVERDUE_AMOUNT:
            return f"{_money(value)} overdue (≥ {_money(rule.threshold)})"
        case Condition.DAYS_PAST_DUE:
            return f"oldest item {n} days past due (≥ {int(rule.threshold)})"
        case Condition.DUE_SOON_AMOUNT:
            return f"{_money(value)} falls due soon (≥ {_money(rule.threshold)})"
        case Condition.BROKEN_PROMISES:
            window = rule.window_days if rule.window_days is not None else 60
            return f"{n} promise{'s' if n != 1 else ''} broken in {window} days"
        case Condition.OPEN_DISPUTES:
            return f"{n} open dispute{'s' if n != 1 else ''}"
        case Condition.CREDIT_LIMIT_USE:
            return f"credit limit {n} % used (≥ {int(rule.threshold)} %)"
        case Condition.RISK_CLASS:
            return f"risk class {facts.risk_class}"
        case Condition.DAYS_SINCE_CONTACT:
            if facts.last_contact_on is None:
                return "never contacted"
            return f"no contact for {n} days"
        case Condition.DUNNING_LEVEL:
            return f"dunning level {n}"
        case Condition.CUSTOMER_VALUE:
            return f"customer value {_money(value)} in 12 months"
    return str(rule.condition)


def score(facts: CustomerFacts, strategy: Strategy, *, as_of: date) -> Score:
    """Priority of one customer account under ``strategy`` as of ``as_of``, with its reasons."""
    reasons: list[Reason] = []
    for rule in strategy.rules:
        value = _measure(rule, facts, as_of)
        if value is not None and value >= rule.threshold:
            reasons.append(Reason(str(rule.condition), describe(rule, value, facts), rule.points))
    priority = sum(r.points for r in reasons)
    lowered: list[str] = []
    if facts.active_promise:
        lowered.append("promise")
    if facts.in_payment_plan:
        lowered.append("plan")
    if facts.overdue_amount > 0 and facts.disputed_overdue_amount >= facts.overdue_amount:
        lowered.append("disputed")
    if lowered and priority > 0:
        priority = priority * strategy.lowered_percent // 100
    return Score(facts.customer_id, priority, tuple(reasons), tuple(lowered), facts.overdue_amount)


def choose_strategy(strategies: Sequence[Strategy], *, entity_id: int, segment: str) -> Strategy | None:
    """The most specific strategy for an account: entity and segment, then entity, then segment,
    then the default (neither)."""
    best: tuple[int, Strategy] | None = None
    for strategy in strategies:
        if strategy.entity_id is not None and strategy.entity_id != entity_id:
            continue
        if strategy.segment and strategy.segment != segment:
            continue
        rank = (2 if strategy.entity_id is not None else 0) + (1 if strategy.segment else 0)
        if best is None or rank > best[0]:
            best = (rank, strategy)
    return best[1] if best else None


def rank(scores: Iterable[Score]) -> list[Score]:
    """Scores in worklist order."""
    return sorted(scores, key=lambda s: s.sort_key)


# The strategy used when a team leader has published none: points in the spirit of SAP Collections
# Management's sample strategy (money first, then age, then behaviour).
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(Condition.OVERDUE_AMOUNT, Decimal("1000"), 20),
    Rule(Condition.OVERDUE_AMOUNT, Decimal("10000"), 30),
    Rule(Condition.DAYS_PAST_DUE, Decimal("30"), 10),
    Rule(Condition.DAYS_PAST_DUE, Decimal("60"), 20),
    Rule(Condition.DAYS_PAST_DUE, Decimal("90"), 30),
    Rule(Condition.DUE_SOON_AMOUNT, Decimal("5000"), 10),
    Rule(Condition.BROKEN_PROMISES, Decimal("1"), 40, window_days=60),
    Rule(Condition.OPEN_DISPUTES, Decimal("1"), 5),
    Rule(Condition.CREDIT_LIMIT_USE, Decimal("90"), 20),
    Rule(Condition.RISK_CLASS, Decimal("3"), 15),
    Rule(Condition.DAYS_SINCE_CONTACT, Decimal("14"), 10),
    Rule(Condition.DUNNING_LEVEL, Decimal("2"), 10),
    Rule(Condition.CUSTOMER_VALUE, Decimal("100000"), 10),
)
DEFAULT_STRATEGY = Strategy(id=0, rules=DEFAULT_RULES)


class NextAction(StrEnum):
    """What the collector should do next on an account (the UI translates the code)."""

    FOLLOW_UP = "follow_up"  # the follow-up date set at the last contact has come
    CHECK_PROMISE = "check_promise"  # a promise is open: check the cash on its date
    CALL = "call"  # money is overdue: call
    REMIND_DUE_SOON = "remind_due_soon"  # nothing overdue, but a large amount falls due soon


def next_action(facts: CustomerFacts, *, as_of: date, follow_up_on: date | None,
                promise_date: date | None) -> tuple[NextAction, date]:
    """The next action on an account and the date it is due (``as_of`` when it is due now)."""
    if follow_up_on is not None and follow_up_on <= as_of:
        return NextAction.FOLLOW_UP, follow_up_on
    if facts.active_promise and promise_date is not None:
        return NextAction.CHECK_PROMISE, promise_date
    if facts.overdue_amount > 0:
        return NextAction.CALL, as_of
    return NextAction.REMIND_DUE_SOON, as_of
