"""Payment plans over the API: Anna proposes for Acme, Rita from risk approves (never Anna), the
customer agrees and the plan starts; other portfolios and the controller see or do nothing more than
on the plan screens."""

from __future__ import annotations

from decimal import Decimal

import pytest

from incasso.accounts.choices import Role
from incasso.collections.models import PaymentPlan
from incasso.web.tests.api.conftest import World, a_user

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def rita(world: World):  # type: ignore[no-untyped-def]
    return a_user("rita", Role.RISK_APPROVER)


def _propose(client, world: World, **changes):  # type: ignore[no-untyped-def]
    body = {"items": [{"item_id": world.inv1.pk}], "instalment_count": 3, "frequency": "monthly",
            "first_due_date": "2026-04-15", "note": "agreed on the phone"} | changes
    return client.post(f"/api/v1/customers/{world.acme.pk}/plans", body, content_type=JSON)


def test_a_plan_is_proposed_approved_by_risk_and_started(world: World, rita) -> None:  # type: ignore[no-untyped-def]
    anna, risk = world.client(world.anna), world.client(rita)
    proposed = _propose(anna, world)
    assert proposed.status_code == 201, proposed.json()
    plan = proposed.json()
    assert (plan["status"], plan["currency"], plan["total_amount"]) == ("proposed", "EUR", "1200.00")
    assert [(i["due_date"], i["amount"]) for i in plan["instalments"]] == [
        ("2026-04-15", "400.00"), ("2026-05-15", "400.00"), ("2026-06-15", "400.00")]
    assert plan["lines"] == [{"item_id": world.inv1.pk, "item_number": "INV-1", "amount": "1200.00", "live": True}]

    url = f"/api/v1/plans/{plan['id']}"
    own = anna.post(f"{url}/approve", {"note": "me"}, content_type=JSON)
    queue = risk.get("/api/v1/plans?status=proposed").json()
    approved = risk.post(f"{url}/approve", {"note": "solvent, small amount"}, content_type=JSON)
    started = anna.post(f"{url}/start", {}, content_type=JSON)

    assert (own.status_code, own.json()["code"]) == (403, "same_approver")  # four-eyes
    assert [p["id"] for p in queue["results"]] == [plan["id"]]
    assert approved.status_code == 200 and approved.json()["decided_by"] == "rita"
    assert started.status_code == 200 and started.json()["status"] == "active"
    assert PaymentPlan.objects.get().status == "active"


def test_refusals_name_the_field_or_carry_the_error_code(world: World, rita) -> None:  # type: ignore[no-untyped-def]
    anna = world.client(world.anna)
    no_items = _propose(anna, world, items=[])
    bad_frequency = _propose(anna, world, frequency="daily")
    other_portfolio = world.client(world.bogdan).post(
        f"/api/v1/customers/{world.acme.pk}/plans", {"items": [{"item_id": world.inv1.pk}], "instalment_count": 2,
                                                     "frequency": "monthly", "first_due_date": "2026-04-15"},
        content_type=JSON)
    by_controller = _propose(world.client(world.clara), world)
    plan_id = _propose(anna, world).json()["id"]
    twice = _propose(anna, world)
    rejected_without_reason = world.client(rita).post(f"/api/v1/plans/{plan_id}/reject", {"note": ""},
                                                      content_type=JSON)

    assert (no_items.status_code, no_items.json()["field"]) == (422, "items")
    assert (bad_frequency.status_code, bad_frequency.json()["field"]) == (422, "frequency")
    assert other_portfolio.status_code == 404
    assert (by_controller.status_code, by_controller.json()["code"]) == (403, "not_allowed")
    assert (twice.status_code, twice.json()["code"]) == (422, "item_in_plan")  # one live plan per item
    assert rejected_without_reason.status_code == 422
    assert PaymentPlan.objects.count() == 1 and PaymentPlan.objects.get().total_amount == Decimal("1200.00")
    assert world.client(world.bogdan).get(f"/api/v1/plans/{plan_id}").status_code == 404
    assert world.client(world.bogdan).get("/api/v1/plans").json()["count"] == 0
    assert world.client(world.clara).get(f"/api/v1/plans/{plan_id}").status_code == 200
