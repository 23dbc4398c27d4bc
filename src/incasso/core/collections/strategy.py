"""Collection strategies: ordered, point-scoring rules over a customer's facts.

A strategy is data (edited by team leaders, versioned by the app). Scoring one customer is a pure
function of its ``CustomerFacts`` as of the build date: every rule whose condition holds adds its
points and a ``Reason``; the sum is the priority. Accounts the collector should not chase today
but must not forget (an active promise, a payment plan, all overdue items disputed) are *lowered*:
their priority is multiplied by the strategy's ``lowered_percent``, never hidden.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

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


class Reason(NamedTuple):
    """Why a customer is on the list: the condition, the points, the measured value and the rule's
    parameter (its threshold, or the window in days for broken promises).

    Stored compactly on the worklist entry (``code``: ``[condition, points, value, param]``, plus the
    team leader's label when the rule has one); the page renders the words in the reader's language
    from the code, the CLI and the export use ``text`` (English).
    """

    condition: str
    points: int
    value: Decimal | int | None  # None: never contacted
    param: Decimal | int
    label: str = ""

    @property
    def text(self) -> str:
        return describe_reason(self)

    @property
    def code(self) -> list:
        """JSON-ready: money as strings (exact), counts as ints."""
        code = [self.condition, self.points, _jsonable(self.value), _jsonable(self.param)]
        if self.label:
            code.append(self.label)
        return code

    @classmethod
    def from_code(cls, code: list | dict) -> Reason:
        """The reason stored by ``code`` (a dict of an older build keeps its English text as label)."""
        if isinstance(code, dict):
            return cls(str(code.get("condition", "")), int(code.get("points", 0)), None, 0, str(code.get("text", "")))
        condition, points, value, param = code[0], int(code[1]), code[2], code[3]
        label = code[4] if len(code) > 4 else ""
        if condition in _MONEY_CONDITIONS:
            value = None if value is None else Decimal(value)
            param = Decimal(param)
        return cls(condition, points, value, param, label)


def _jsonable(value: Decimal | int | None) -> str | int | None:
    return str(value) if isinstance(value, Decimal) else value


_MONEY_CONDITIONS = frozenset({"overdue_amount", "due_soon_amount", "customer_value"})
RISK_NAMES = {1: "low", 2: "medium", 3: "high", 4: "critical"}


class Score:
    """A scored account: its priority, the rules that fired with their measured values, the lowering.

    ``reasons`` gives the ``Reason`` values; ``reasons_json`` the stored codes as one JSON text, put
    together from pieces prepared once per rule (the build writes a hundred thousand of them).
    """

    __slots__ = ("customer_id", "priority", "_fired", "lowered_because", "overdue_amount")

    def __init__(self, customer_id: int, priority: int, fired: tuple, lowered_because: tuple[str, ...],
                 overdue_amount: Decimal) -> None:
        self.customer_id = customer_id
        self.priority = priority
        self._fired = fired  # ((compiled rule, measured value), ...)
        self.lowered_because = lowered_because  # "promise", "plan", "disputed"
        self.overdue_amount = overdue_amount

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(Reason(rule[0], rule[3], value, rule[4], rule[5]) for rule, value in self._fired)

    @property
    def reasons_json(self) -> str:
        """``json.dumps([r.code for r in self.reasons])``, without building them."""
        parts = []
        for rule, value in self._fired:
            if value is None:
                text = "null"
            elif rule[8]:
                text = f'"{value}"'
            else:
                text = str(value)
            parts.append(f"{rule[7]}{text}{rule[9]}")
        return f"[{', '.join(parts)}]"

    @property
    def sort_key(self) -> tuple[int, Decimal, int]:
        """Highest priority first, then the largest overdue amount, then the account id (stable)."""
        return (-self.priority, -self.overdue_amount, self.customer_id)

    def __repr__(self) -> str:
        return f"Score({self.customer_id}, {self.priority}, {self.reasons!r}, {self.lowered_because!r})"


_NEVER = Decimal(10**6)  # never contacted: older than any threshold
_HUNDRED = Decimal(100)
_ONE = Decimal(1)


def _window(rule: Rule) -> int:
    window = rule.window_days if rule.window_days is not None else 60
    if window < 0:
        raise StrategyError(f"rule {rule.condition}: window_days must not be negative")
    return window


# Per condition: the measured value from the account's measures (see ``_measures``) and the rule's
# parameter shown with it. A table, compiled once per strategy: scoring runs the rules of each of a
# hundred thousand accounts in a build, so nothing per rule is looked up or formatted there.
def _compile(strategy: Strategy) -> tuple[tuple, ...]:
    compiled = []
    for rule in strategy.rules:
        try:
            condition = Condition(rule.condition)
        except ValueError:
            raise StrategyError(f"unknown condition {rule.condition!r}") from None
        param = _window(rule) if condition is Condition.BROKEN_PROMISES else rule.threshold
        if condition not in _MONEY_CONDITIONS:
            param = int(param)
        money = condition in _MONEY_CONDITIONS
        code = Reason(condition.value, rule.points, None, param, rule.label).code
        prefix = json.dumps(code[:2], ensure_ascii=False)[:-1] + ", "
        suffix = ", " + json.dumps(code[3:], ensure_ascii=False)[1:]
        compiled.append((condition.value, _SLOT[condition], rule.threshold, rule.points, param, rule.label,
                         _window(rule) if condition is Condition.BROKEN_PROMISES else None, prefix, money, suffix))
    return tuple(compiled)


_SLOT = {
    Condition.OVERDUE_AMOUNT: 0, Condition.DAYS_PAST_DUE: 1, Condition.DUE_SOON_AMOUNT: 2,
    Condition.BROKEN_PROMISES: -1, Condition.OPEN_DISPUTES: 3, Condition.CREDIT_LIMIT_USE: 4,
    Condition.RISK_CLASS: 5, Condition.DAYS_SINCE_CONTACT: 6, Condition.DUNNING_LEVEL: 7,
    Condition.CUSTOMER_VALUE: 8,
}


_COMPILED: dict[int, tuple[Strategy, tuple[tuple, ...]]] = {}


def compiled(strategy: Strategy) -> tuple[tuple, ...]:
    """The strategy's rules ready to score, cached by identity (strategies are immutable values;
    hashing one per account would cost more than scoring it)."""
    hit = _COMPILED.get(id(strategy))
    if hit is None or hit[0] is not strategy:
        if len(_COMPILED) > 256:
            _COMPILED.clear()
        hit = _COMPILED[id(strategy)] = (strategy, _compile(strategy))
    return hit[1]


def score(facts: CustomerFacts, strategy: Strategy, *, as_of: date) -> Score:
    """Priority of one customer account under ``strategy`` as of ``as_of``, with its reasons."""
    credit_use = None
    if facts.credit_limit > 0:
        credit_use = int((facts.balance * _HUNDRED / facts.credit_limit).quantize(_ONE))
    last = facts.last_contact_on
    measures = (
        facts.overdue_amount, facts.max_days_past_due, facts.due_soon_amount, facts.open_disputes, credit_use,
        RISK_RANK.get(facts.risk_class, 0), _NEVER if last is None else (as_of - last).days, facts.dunning_level,
        facts.customer_value,
    )
    fired = []
    priority = 0
    for rule in compiled(strategy):
        window = rule[6]
        if window is None:
            value = measures[rule[1]]
            if value is None or value < rule[2]:
                continue
            if value is _NEVER:
                value = None
        else:
            value = sum(1 for d in facts.broken_promise_dates if (as_of - d).days <= window)
            if value < rule[2]:
                continue
        fired.append((rule, value))
        priority += rule[3]
    lowered: tuple[str, ...] = ()
    if facts.active_promise or facts.in_payment_plan or facts.disputed_overdue_amount:
        lowered = tuple(code for code, applies in (
            ("promise", facts.active_promise), ("plan", facts.in_payment_plan),
            ("disputed", facts.overdue_amount > 0 and facts.disputed_overdue_amount >= facts.overdue_amount),
        ) if applies)
    if lowered and priority > 0:
        priority = priority * strategy.lowered_percent // 100
    return Score(facts.customer_id, priority, tuple(fired), lowered, facts.overdue_amount)


def _money(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):,.2f}"


def describe_reason(reason: Reason) -> str:
    """The reason in words, in English (the CLI and the export; the web page translates from the code)."""
    if reason.label:
        return reason.label
    n = 0 if reason.value is None else int(reason.value)
    match reason.condition:
        case Condition.OVERDUE_AMOUNT:
            return f"{_money(reason.value)} overdue (≥ {_money(reason.param)})"
        case Condition.DAYS_PAST_DUE:
            return f"oldest item {n} days past due (≥ {int(reason.param)})"
        case Condition.DUE_SOON_AMOUNT:
            return f"{_money(reason.value)} falls due soon (≥ {_money(reason.param)})"
        case Condition.BROKEN_PROMISES:
            return f"{n} promise{'s' if n != 1 else ''} broken in {int(reason.param)} days"
        case Condition.OPEN_DISPUTES:
            return f"{n} open dispute{'s' if n != 1 else ''}"
        case Condition.CREDIT_LIMIT_USE:
            return f"credit limit {n} % used (≥ {int(reason.param)} %)"
        case Condition.RISK_CLASS:
            return f"risk class {RISK_NAMES.get(n, n)}"
        case Condition.DAYS_SINCE_CONTACT:
            return "never contacted" if reason.value is None else f"no contact for {n} days"
        case Condition.DUNNING_LEVEL:
            return f"dunning level {n}"
        case Condition.CUSTOMER_VALUE:
            return f"customer value {_money(reason.value)} in 12 months"
    return str(reason.condition)


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
