"""The pure strategy core: points with reasons, lowering, tie-break, strategy choice, assignment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from incasso.core.collections.assignment import AccountProfile, AssignmentRule, assign
from incasso.core.collections.promises import ItemCash, judge, promise_level
from incasso.core.collections.strategy import (
    DEFAULT_STRATEGY,
    Condition,
    CustomerFacts,
    NextAction,
    Rule,
    Strategy,
    choose_strategy,
    next_action,
    rank,
    score,
)

AS_OF = date(2026, 3, 16)
STRATEGY = Strategy(1, (
    Rule(Condition.OVERDUE_AMOUNT, Decimal("1000"), 20),
    Rule(Condition.DAYS_PAST_DUE, Decimal("60"), 15),
    Rule(Condition.BROKEN_PROMISES, Decimal("2"), 40, window_days=60),
    Rule(Condition.DAYS_SINCE_CONTACT, Decimal("14"), 10),
    Rule(Condition.CREDIT_LIMIT_USE, Decimal("90"), 25),
))


def test_priority_is_the_sum_of_the_points_of_the_rules_that_hold_each_with_its_reason():
    facts = CustomerFacts(
        1, overdue_amount=Decimal("4200.00"), max_days_past_due=75,
        broken_promise_dates=(date(2026, 2, 1), date(2026, 3, 1), date(2025, 11, 1)),  # the last is 135 days old
        last_contact_on=date(2026, 3, 10), balance=Decimal("5000"), credit_limit=Decimal("10000"),
    )

    scored = score(facts, STRATEGY, as_of=AS_OF)

    assert scored.priority == 20 + 15 + 40
    assert [(r.text, r.points) for r in scored.reasons] == [
        ("4,200.00 overdue (≥ 1,000.00)", 20),
        ("oldest item 75 days past due (≥ 60)", 15),
        ("2 promises broken in 60 days", 40),
    ]


def test_a_never_contacted_account_over_its_credit_limit_scores_for_both():
    facts = CustomerFacts(2, overdue_amount=Decimal("10"), balance=Decimal("9500"), credit_limit=Decimal("10000"))

    scored = score(facts, STRATEGY, as_of=AS_OF)

    assert [(r.condition, r.text) for r in scored.reasons] == [
        ("days_since_contact", "never contacted"), ("credit_limit_use", "credit limit 95 % used (≥ 90 %)")]
    assert scored.priority == 35


def test_an_active_promise_or_all_overdue_disputed_lowers_but_does_not_hide():
    base = dict(overdue_amount=Decimal("5000"), max_days_past_due=90)
    promised = score(CustomerFacts(1, active_promise=True, **base), STRATEGY, as_of=AS_OF)
    disputed = score(CustomerFacts(2, disputed_overdue_amount=Decimal("5000"), **base), STRATEGY, as_of=AS_OF)
    partly_disputed = score(CustomerFacts(3, disputed_overdue_amount=Decimal("100"), **base), STRATEGY, as_of=AS_OF)

    assert (promised.priority, promised.lowered_because) == ((20 + 15 + 10) // 2, ("promise",))
    assert (disputed.priority, disputed.lowered_because) == (22, ("disputed",))
    assert (partly_disputed.priority, partly_disputed.lowered_because) == (45, ())


def test_ties_are_broken_by_the_overdue_amount_then_the_account():
    small = score(CustomerFacts(1, overdue_amount=Decimal("1500")), STRATEGY, as_of=AS_OF)
    large = score(CustomerFacts(2, overdue_amount=Decimal("9000")), STRATEGY, as_of=AS_OF)
    top = score(CustomerFacts(3, overdue_amount=Decimal("1200"), max_days_past_due=61), STRATEGY, as_of=AS_OF)

    assert [s.customer_id for s in rank([small, large, top])] == [3, 2, 1]


def test_the_most_specific_strategy_wins():
    default = Strategy(1, ())
    construction = Strategy(2, (), segment="construction")
    french = Strategy(3, (), entity_id=7)
    french_construction = Strategy(4, (), entity_id=7, segment="construction")
    strategies = [default, construction, french, french_construction]

    assert choose_strategy(strategies, entity_id=7, segment="construction") is french_construction
    assert choose_strategy(strategies, entity_id=7, segment="retail") is french
    assert choose_strategy(strategies, entity_id=8, segment="construction") is construction
    assert choose_strategy(strategies, entity_id=8, segment="") is default
    assert choose_strategy([], entity_id=8, segment="") is None


def test_the_default_strategy_scores_an_old_large_debt_highly():
    scored = score(CustomerFacts(1, overdue_amount=Decimal("12000"), max_days_past_due=95), DEFAULT_STRATEGY,
                   as_of=AS_OF)

    assert scored.priority == 20 + 30 + 10 + 20 + 30 + 10  # amounts, age, never contacted


def test_the_next_action_follows_up_then_checks_the_promise_then_calls():
    owed = CustomerFacts(1, overdue_amount=Decimal("10"), active_promise=True)

    assert next_action(owed, as_of=AS_OF, follow_up_on=date(2026, 3, 16), promise_date=date(2026, 3, 20)) == (
        NextAction.FOLLOW_UP, date(2026, 3, 16))
    assert next_action(owed, as_of=AS_OF, follow_up_on=None, promise_date=date(2026, 3, 20)) == (
        NextAction.CHECK_PROMISE, date(2026, 3, 20))
    assert next_action(CustomerFacts(1, overdue_amount=Decimal("10")), as_of=AS_OF, follow_up_on=None,
                       promise_date=None) == (NextAction.CALL, AS_OF)


def test_assignment_takes_the_first_rule_whose_criteria_all_match():
    rules = [
        AssignmentRule(collector_id=10, entity_id=1, language="fr", min_balance=Decimal("50000")),
        AssignmentRule(collector_id=11, entity_id=1, language="fr"),
        AssignmentRule(collector_id=12, country="DE"),
    ]
    big_french = AccountProfile(1, 1, "fr", "", "FR", Decimal("80000"))
    small_french = AccountProfile(2, 1, "FR", "", "FR", Decimal("800"))
    german = AccountProfile(3, 2, "de", "", "de", Decimal("1"))
    spanish = AccountProfile(4, 2, "es", "", "ES", Decimal("1"))

    assert [assign(rules, a) for a in (big_french, small_french, german, spanish)] == [10, 11, 12, None]


def test_a_promise_is_judged_from_the_cash_on_its_items_since_it_was_taken():
    cash = [
        ItemCash(1, date(2026, 3, 1), Decimal("300")),  # before the promise: does not count
        ItemCash(1, date(2026, 3, 12), Decimal("400")),
        ItemCash(2, date(2026, 3, 22), Decimal("100")),  # after the deadline (20 + 1 day)
        ItemCash(3, date(2026, 3, 12), Decimal("999")),  # another item
    ]
    outcome = judge(promised_date=date(2026, 3, 20), promised_amount=Decimal("1000"), taken_on=date(2026, 3, 5),
                    item_ids=[1, 2], cash=cash, as_of=date(2026, 3, 22), tolerance_days=1)

    assert (outcome.status, outcome.arrived, outcome.deadline) == ("partially_kept", Decimal("400"), date(2026, 3, 21))


def test_the_promise_level_counts_earlier_broken_promises_on_the_same_items():
    earlier = [(frozenset({1, 2}), "broken"), (frozenset({2}), "partially_kept"), (frozenset({2}), "kept"),
               (frozenset({9}), "broken")]

    assert promise_level([2, 3], earlier) == 3
    assert promise_level([5], earlier) == 1
