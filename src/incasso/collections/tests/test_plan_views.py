"""The payment plan screens: proposing from the customer page with a preview, the risk approver's
queue and plan page (four-eyes shown and enforced), "in plan" on the customer's open items."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.audit.events import Actor
from incasso.collections.actions.plans import PlanTerms, activate_plan, approve_plan, propose_plan
from incasso.collections.choices import PlanFrequency, PlanStatus
from incasso.collections.models import PaymentPlan
from incasso.collections.tests.stories import AS_OF, a_team, a_user
from incasso.ledger.models import Item
from incasso.testing.builders import a_customer, an_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


@pytest.fixture
def team(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    team = a_team()
    team.rita = a_user("rita", Role.RISK_APPROVER)
    return team


def proposed(team, portfolio) -> PaymentPlan:  # type: ignore[no-untyped-def]
    terms = PlanTerms(items=((Item.objects.get(number="INV-1").pk, None),), instalment_count=3,
                      frequency=PlanFrequency.MONTHLY, first_due_date=date(2026, 4, 15))
    return propose_plan(portfolio.acme.pk, terms, proposed_on=AS_OF, by=Actor.of(team.anna))


def test_a_collector_previews_and_proposes_a_plan_from_the_customer_page(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)
    inv1, inv2 = Item.objects.get(number="INV-1"), Item.objects.get(number="INV-2")
    panel = client.get(reverse("collections:customer_panel", args=[portfolio.acme.pk]))
    assert reverse("plans:propose", args=[portfolio.acme.pk]) in panel.content.decode()

    form = client.get(reverse("plans:propose", args=[portfolio.acme.pk]))
    assert form.status_code == 200 and "INV-1" in form.content.decode()
    terms = {"items": [inv1.pk, inv2.pk], "instalment_count": "3", "frequency": "monthly",
             "first_due_date": "2026-04-15", "tolerance_days": "3"}
    preview = client.get(reverse("plans:preview", args=[portfolio.acme.pk]), terms)
    html = preview.content.decode()
    assert "5,000.00" in html and "15,000.00" in html and "15/05/2026" in html
    assert not PaymentPlan.objects.exists()

    response = client.post(reverse("plans:propose", args=[portfolio.acme.pk]), terms)

    plan = PaymentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("plans:detail", args=[plan.pk])
    assert (plan.status, plan.total_amount, plan.proposed_by) == (PlanStatus.PROPOSED, 15000, team.anna)
    page = client.get(response["Location"]).content.decode()
    assert "You proposed this plan" in page and reverse("plans:approve", args=[plan.pk]) not in page


def test_a_bad_proposal_shows_the_reason_and_writes_nothing(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)
    response = client.post(reverse("plans:propose", args=[portfolio.acme.pk]), {
        "items": [Item.objects.get(number="INV-1").pk], "instalment_count": "3", "frequency": "monthly",
        "first_due_date": "2026-03-01", "tolerance_days": "3"})
    assert response.status_code == 400 and "starts before today" in response.content.decode()
    assert not PaymentPlan.objects.exists()


def test_the_risk_approver_works_the_queue_and_approves(client, team, portfolio, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    plan = proposed(team, portfolio)
    for n in range(30):  # the queue's query count does not grow with its length
        customer = a_customer(portfolio.paris, f"Q-{n:03d}", collector=team.anna)
        invoice = an_item(customer, amount="900.00", due_date=AS_OF - timedelta(days=10))
        propose_plan(customer.pk, PlanTerms(items=((invoice.pk, None),), instalment_count=2,
                                            frequency=PlanFrequency.MONTHLY, first_due_date=AS_OF),
                     proposed_on=AS_OF, by=Actor.of(team.anna))
    client.force_login(team.rita)

    with django_assert_max_num_queries(10):
        queue = client.get(reverse("plans:list"))
    assert queue.context["status"] == "proposed" and queue.context["page"].paginator.count == 31
    assert "Payment plans" in queue.content.decode()  # the nav link

    page = client.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    assert reverse("plans:approve", args=[plan.pk]) in page
    response = client.post(reverse("plans:approve", args=[plan.pk]), {"note": "Fine"})

    plan.refresh_from_db()
    assert response.status_code == 302 and (plan.status, plan.decided_by) == (PlanStatus.APPROVED, team.rita)


def test_a_collector_cannot_approve_by_posting(client, team, portfolio):  # type: ignore[no-untyped-def]
    plan = proposed(team, portfolio)
    client.force_login(team.anna)

    client.post(reverse("plans:approve", args=[plan.pk]), {"note": ""})
    assert client.get(reverse("plans:list")).status_code == 403  # the queue is for roles that see all accounts

    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_open_items_in_a_running_plan_show_in_plan_on_the_customer_page(client, team, portfolio):  # type: ignore[no-untyped-def]
    plan = proposed(team, portfolio)
    approve_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.rita))
    activate_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.anna))
    client.force_login(team.anna)

    page = client.get(reverse("ledger:customer_detail", args=[portfolio.acme.pk])).content.decode()

    assert page.count("chip chip-in-plan") == 1  # INV-1 only, not INV-2
    assert reverse("plans:detail", args=[plan.pk]) in page
    detail = client.get(reverse("plans:detail", args=[plan.pk]))
    assert [row["status"] for row in detail.context["rows"]] == ["pending", "pending", "pending"]
    assert "4,000.00" in detail.content.decode()
