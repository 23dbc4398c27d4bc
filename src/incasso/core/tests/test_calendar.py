from datetime import UTC, date, datetime

import pytest

from incasso.core.calendar import CalendarError, days_past_due, is_overdue, local_date


def test_overdue_starts_the_day_after_the_due_date():
    due = date(2026, 3, 31)
    assert not is_overdue(due, date(2026, 3, 31))
    assert is_overdue(due, date(2026, 4, 1))
    assert days_past_due(due, date(2026, 4, 1)) == 1
    assert days_past_due(due, date(2026, 3, 1)) == -30


def test_today_is_the_entitys_local_date_around_midnight_and_dst():
    # 2026-03-28 23:30 UTC: Bucharest (UTC+2, before the 29 March switch) is already on the 29th,
    # London (UTC+0 until 01:00 UTC on the 29th) still on the 28th.
    moment = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    assert local_date(moment, "Europe/Bucharest") == date(2026, 3, 29)
    assert local_date(moment, "Europe/London") == date(2026, 3, 28)
    # 2026-03-29 23:30 UTC: after the switch London is UTC+1, so it is the 30th there too.
    moment = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    assert local_date(moment, "Europe/London") == date(2026, 3, 30)
    # 2026-10-24 22:30 UTC: Paris still on summer time (UTC+2) -> the 25th; on 25 Oct it is UTC+1.
    assert local_date(datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "Europe/Paris") == date(2026, 10, 25)
    assert local_date(datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "Europe/Paris") == date(2026, 10, 25)


def test_naive_datetimes_and_unknown_zones_are_refused():
    with pytest.raises(CalendarError):
        local_date(datetime(2026, 1, 1), "Europe/Paris")  # noqa: DTZ001
    with pytest.raises(CalendarError):
        local_date(datetime(2026, 1, 1, tzinfo=UTC), "Europe/Atlantis")
