"""The worklist scores the dunning level its open items reached (read without importing dunning)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incasso.audit.events import SYSTEM
from incasso.collections.actions.worklist import build_worklists, dunning_levels
from incasso.collections.models import Strategy, StrategyRule, WorklistEntry
from incasso.collections.tests.stories import AS_OF, a_portfolio, a_team
from incasso.core.collections.strategy import Reason
from incasso.dunning.models import ItemLevel, Letter, Run

pytestmark = pytest.mark.django_db


def test_the_highest_level_of_an_open_item_scores_and_paid_items_do_not():  # type: ignore[no-untyped-def]
    team = a_team()
    portfolio = a_portfolio(team)
    strategy = Strategy.objects.create(code="dunned", name="Dunned", due_soon_days=7)
    StrategyRule.objects.create(strategy=strategy, position=1, condition="dunning_level", threshold=2, points=25)
    run = Run.objects.create(as_of=AS_OF - timedelta(days=10))
    acme_letter = Letter.objects.create(run=run, customer=portfolio.acme, currency="EUR", level=2, tone="firm",
                                        channel="email", language="fr", idempotency_key="acme-2", status="sent")
    inv1, inv2 = portfolio.acme.items.order_by("number")
    ItemLevel.objects.create(item=inv1, level=1, reached_on=AS_OF - timedelta(days=30), letter=acme_letter)
    ItemLevel.objects.create(item=inv1, level=2, reached_on=AS_OF - timedelta(days=10), letter=acme_letter)
    ItemLevel.objects.create(item=inv2, level=1, reached_on=AS_OF - timedelta(days=10), letter=acme_letter)
    ItemLevel.objects.create(item=inv2, level=3, reached_on=AS_OF + timedelta(days=5), letter=acme_letter)  # later
    paid_item = portfolio.paid.items.get()
    paid_letter = Letter.objects.create(run=run, customer=portfolio.paid, currency="EUR", level=3, tone="formal",
                                        channel="email", language="fr", idempotency_key="paid-3", status="sent")
    ItemLevel.objects.create(item=paid_item, level=3, reached_on=AS_OF - timedelta(days=10), letter=paid_letter)

    assert dunning_levels(None, AS_OF) == {portfolio.acme.pk: 2}
    build_worklists(AS_OF, by=SYSTEM)

    acme = WorklistEntry.objects.get(customer=portfolio.acme)
    dupont = WorklistEntry.objects.get(customer=portfolio.dupont)
    assert acme.reasons == [["dunning_level", 25, 2, 2]] and acme.priority == 25
    assert Reason.from_code(acme.reasons[0]).text == "dunning level 2"
    assert dupont.reasons == [] and dupont.priority == 0
