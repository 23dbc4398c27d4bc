"""Business-day deadlines, escalation levels and dispute analytics helpers (pure)."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incasso.core.disputes import (
    DeadlineStatus,
    DisputeCoreError,
    EscalationPolicy,
    add_business_days,
    age_bucket,
    business_days_between,
    deadline_after_waiting,
    deadline_status,
    decide_escalation,
    escalation_level_for,
    level_after_deadline_change,
    paced_level,
    pareto,
    summarise_days,
)
from incasso.core.kpi import DisputeDates, dispute_cycle_time

POLICY = EscalationPolicy(step_business_days=2, remind_before_business_days=2)


def test_business_days_skip_weekends_and_each_countrys_holidays():
    # Whit Monday 25 May 2026 is a holiday in France and Germany, not in Romania (Orthodox Pentecost
    # falls on 31 May / 1 June there).
    friday = date(2026, 5, 22)
    assert add_business_days(friday, 1, "FR") == date(2026, 5, 26)
    assert add_business_days(friday, 1, "DE") == date(2026, 5, 26)
    assert add_business_days(friday, 1, "RO") == date(2026, 5, 25)
    assert add_business_days(date(2026, 5, 23), 0, "FR") == date(2026, 5, 26)  # moved to a business day
    assert business_days_between(friday, date(2026, 5, 29), "FR") == 4


def test_an_unknown_country_or_negative_days_are_refused():
    with pytest.raises(DisputeCoreError, match="no public-holiday calendar"):
        add_business_days(date(2026, 1, 5), 3, "XX")
    with pytest.raises(DisputeCoreError, match="must not be negative"):
        add_business_days(date(2026, 1, 5), -1, "FR")


def test_deadline_status():
    deadline = date(2026, 3, 20)  # a Friday
    assert deadline_status(deadline, date(2026, 3, 13), "FR") == DeadlineStatus.ON_TIME
    assert deadline_status(deadline, date(2026, 3, 18), "FR") == DeadlineStatus.DUE_SOON
    assert deadline_status(deadline, date(2026, 3, 21), "FR") == DeadlineStatus.LATE


@pytest.mark.parametrize(("as_of", "level"), [
    (date(2026, 3, 20), 0),  # the deadline day itself
    (date(2026, 3, 21), 0),  # Saturday: no business day has passed
    (date(2026, 3, 23), 1),  # Monday: 1 business day late -> the resolver
    (date(2026, 3, 24), 1),
    (date(2026, 3, 25), 2),  # 3 business days late -> the resolver's manager
    (date(2026, 3, 27), 3),  # 5 -> the team leader
    (date(2026, 6, 1), 3),  # the top level is the top
])
def test_escalation_climbs_one_level_every_step_of_business_days(as_of, level):
    assert escalation_level_for(date(2026, 3, 20), as_of, "FR", POLICY) == level


def test_a_missed_pass_catches_up_and_levels_never_go_down():
    decision = decide_escalation(deadline=date(2026, 3, 20), as_of=date(2026, 3, 27), country="FR",
                                 current_level=1, reminded=True, policy=POLICY)
    assert (decision.level, decision.escalate, decision.business_days_late) == (3, True, 5)
    again = decide_escalation(deadline=date(2026, 3, 20), as_of=date(2026, 3, 27), country="FR",
                              current_level=3, reminded=True, policy=POLICY)
    assert (again.level, again.escalate) == (3, False)


def test_the_resolver_is_reminded_once_shortly_before_the_deadline():
    def remind(as_of, reminded=False):  # type: ignore[no-untyped-def]
        return decide_escalation(deadline=date(2026, 3, 20), as_of=as_of, country="FR", current_level=0,
                                 reminded=reminded, policy=POLICY).remind

    assert not remind(date(2026, 3, 17))  # 3 business days ahead
    assert remind(date(2026, 3, 18))
    assert not remind(date(2026, 3, 19), reminded=True)


def test_summarise_days_gives_the_mean_and_median_of_the_histogram():
    summary = summarise_days({3: 2, 10: 1, 5: 1})  # 3, 3, 5, 10
    assert (summary.count, summary.mean, summary.median, summary.longest) == (4, Decimal("5.25"), Decimal(4), 10)
    assert summarise_days({}).median is None


@given(st.lists(st.tuples(st.dates(date(2025, 1, 1), date(2026, 12, 31)), st.integers(0, 400)),
                min_size=1, max_size=60))
def test_the_histogram_summary_equals_the_kpi_definition_of_cycle_time(cases):  # type: ignore[no-untyped-def]
    disputes = [DisputeDates(opened, opened + timedelta(days=days)) for opened, days in cases]
    histogram: dict[int, int] = {}
    for _opened, days in cases:
        histogram[days] = histogram.get(days, 0) + 1
    reference = dispute_cycle_time(disputes, period_start=date(2025, 1, 1), period_end=date(2028, 12, 31))
    summary = summarise_days(histogram)
    assert summary.count == reference.count
    assert summary.mean == reference.mean.exact
    assert summary.median == reference.median.exact
    assert summary.median == Decimal(str(statistics.median(d for _o, d in cases)))


def test_pareto_sorts_descending_with_the_cumulative_share():
    rows = pareto({"shipping": 10, "pricing_master_data": 30, "quality": 10})
    assert [r.key for r in rows] == ["pricing_master_data", "quality", "shipping"]
    assert [r.cumulative_share for r in rows] == [Decimal(60), Decimal(80), Decimal(100)]


def test_age_buckets():
    assert [age_bucket(d) for d in (0, 7, 8, 30, 31, 90, 91)] == ["0-7", "0-7", "8-15", "16-30", "31-60", "61-90",
                                                                   ">90"]


# --- De-escalation -----------------------------------------------------------------------------
# French calendar, 2026: Easter Monday 6 April is a holiday.


def test_a_moved_deadline_lowers_the_level_to_what_the_new_lateness_calls_for_and_never_raises_it():
    as_of = date(2026, 4, 8)
    assert level_after_deadline_change(3, date(2026, 4, 15), as_of, "FR", POLICY) == 0  # not passed
    assert level_after_deadline_change(3, date(2026, 4, 1), as_of, "FR", POLICY) == 2  # 4 business days late
    assert level_after_deadline_change(1, date(2026, 3, 1), as_of, "FR", POLICY) == 1  # later: not raised here


def test_waiting_moves_the_deadline_by_the_business_days_waited():
    assert deadline_after_waiting(date(2026, 3, 30), date(2026, 4, 1), date(2026, 4, 8), "FR") == date(2026, 4, 3)
    assert deadline_after_waiting(date(2026, 3, 30), date(2026, 4, 4), date(2026, 4, 6), "FR") == date(2026, 3, 30)


def test_after_a_manual_deescalation_a_case_climbs_one_step_at_a_time():
    since = date(2026, 4, 8)
    assert [paced_level(3, 1, since, day, "FR", POLICY) for day in (
        date(2026, 4, 8), date(2026, 4, 9), date(2026, 4, 10), date(2026, 4, 14))] == [1, 1, 2, 3]
    assert paced_level(1, 0, since, date(2026, 5, 30), "FR", POLICY) == 1  # never above the lateness level
    decision = decide_escalation(deadline=date(2026, 3, 30), as_of=date(2026, 4, 9), country="FR", current_level=1,
                                 reminded=True, policy=POLICY, paced_since=since)
    assert (decision.level, decision.escalate) == (1, False)
    unpaced = decide_escalation(deadline=date(2026, 3, 30), as_of=date(2026, 4, 9), country="FR", current_level=1,
                                reminded=True, policy=POLICY)
    assert (unpaced.level, unpaced.escalate) == (3, True)


@given(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(0, 40), st.integers(0, 3))
def test_a_moved_deadline_never_raises_the_level(deadline, days, level):  # type: ignore[no-untyped-def]
    as_of = deadline + timedelta(days=days)
    assert level_after_deadline_change(level, deadline, as_of, "DE", POLICY) <= level
