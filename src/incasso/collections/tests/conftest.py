"""Fixtures the collections tests share: the team of `stories`, its portfolio, and the Monday morning
(2026-03-16 08:30, Paris) the screen tests run at."""

from __future__ import annotations

import pytest

from incasso.collections.tests.stories import a_portfolio, a_team


@pytest.fixture
def monday_morning(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-16 08:30 +01:00", tick=False)


@pytest.fixture
def team():  # type: ignore[no-untyped-def]
    return a_team()


@pytest.fixture
def portfolio(team):  # type: ignore[no-untyped-def]
    return a_portfolio(team)
