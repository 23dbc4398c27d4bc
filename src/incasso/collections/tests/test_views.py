"""The worklist page, the customer side panel and the team leader's screens, with query-count guards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from incasso.audit.events import SYSTEM
from incasso.collections.actions.portfolio import assign_task
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.choices import EntryStatus, PromiseStatus
from incasso.collections.models import Activity, Promise, Strategy, WorklistEntry
from incasso.collections.tests.stories import AS_OF
from incasso.ledger.models import Customer, Item
from incasso.testing.builders import a_customer, an_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


@pytest.fixture
def portfolio(portfolio):  # type: ignore[no-untyped-def]
    build_worklists(AS_OF, by=SYSTEM)
    return portfolio


def test_a_collector_lands_on_their_worklist_with_reasons(client, team, portfolio):  # type: ignore[no-untyped-def]
    assign_task(team.anna.pk, "Call Acme's CFO about the Q1 invoices", AS_OF, by=SYSTEM, customer_id=portfolio.acme.pk)
    client.force_login(team.anna)

    home = client.get("/")
    page = client.get(reverse("collections:worklist"))

    assert home.status_code == 302 and home["Location"] == reverse("collections:worklist")
    html = page.content.decode()
    assert [e.customer.account for e in page.context["entries"]] == ["C-100", "C-200", "C-300"]
    assert "15,000.00 overdue (≥ 10,000.00)" in html and "+30" in html
    assert "Call Acme&#x27;s CFO about the Q1 invoices" in html
    assert "Berg GmbH" not in html


def test_the_worklist_page_query_count_is_flat(client, team, portfolio, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for n in range(80):
        customer = a_customer(portfolio.paris, f"D-{n:03d}", collector=team.anna)
        an_item(customer, amount="2000.00", due_date=AS_OF - timedelta(days=n + 1))
    build_worklists(AS_OF, by=SYSTEM)
    client.force_login(team.anna)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collections:worklist"))

    assert len(response.context["entries"]) == 50 and response.context["page"].paginator.count == 83


def test_done_leaves_the_list(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)
    entry = WorklistEntry.objects.get(customer=portfolio.acme)

    client.post(reverse("collections:entry_done", args=[entry.pk]))
    other = client.post(reverse("collections:entry_done", args=[WorklistEntry.objects.get(customer=portfolio.berg).pk]))

    assert WorklistEntry.objects.get(pk=entry.pk).status == EntryStatus.DONE
    assert other.status_code == 403
    page = client.get(reverse("collections:worklist"))
    assert [e.customer.account for e in page.context["entries"]] == ["C-200", "C-300"]


def test_logging_a_call_with_a_promise_from_the_side_panel(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)
    inv1 = Item.objects.get(number="INV-1")

    response = client.post(reverse("collections:log_activity", args=[portfolio.acme.pk]), {
        "kind": "call", "outcome": "promised", "note": "Transfer on Friday", "promise_amount": "12000",
        "promise_date": "2026-03-20", "items": [inv1.pk], "next": reverse("collections:worklist"),
    })
    missing = client.post(reverse("collections:log_activity", args=[portfolio.dupont.pk]), {
        "kind": "call", "outcome": "promised"})

    assert response.status_code == 302 and response["Location"] == reverse("collections:worklist")
    assert Promise.objects.get().status == PromiseStatus.OPEN
    assert WorklistEntry.objects.get(customer=portfolio.acme).lowered_because == ["promise"]
    assert missing.status_code == 400 and "Enter the promised amount and date." in missing.content.decode()
    assert Activity.objects.count() == 1


def test_the_customer_page_keeps_its_budget_and_loads_a_panel(client, team, portfolio, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)

    with django_assert_max_num_queries(14):
        page = client.get(reverse("ledger:customer_detail", args=[portfolio.acme.pk]))
    for _ in range(30):
        Activity.objects.create(customer=portfolio.acme, kind="call", outcome="no_answer", occurred_on=AS_OF,
                                created_by=team.anna)
    with django_assert_max_num_queries(16):
        panel = client.get(reverse("collections:customer_panel", args=[portfolio.acme.pk]))

    assert reverse("collections:customer_panel", args=[portfolio.acme.pk]) in page.content.decode()
    assert panel.status_code == 200 and len(panel.context["activities"]) == 15
    assert "Log a contact" in panel.content.decode()


def test_a_team_leader_sees_workload_and_reassigns(client, team, portfolio, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    client.force_login(team.tudor)

    with django_assert_max_num_queries(14):
        page = client.get(reverse("collections:team"))
    moved = client.post(reverse("collections:reassign"), {"customer": portfolio.berg.pk, "collector": team.anna.pk,
                                                           "reason": "Bogdan on leave"})

    loads = {person.username: load["open"] for person, load in page.context["workload"]}
    assert loads["anna"] == 3 and loads["bogdan"] == 1
    assert moved.status_code == 302
    assert Customer.objects.get(pk=portfolio.berg.pk).collector == team.anna
    assert WorklistEntry.objects.get(customer=portfolio.berg).collector == team.anna


def test_collectors_cannot_open_the_team_screens(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.anna)

    assert client.get(reverse("collections:team")).status_code == 403
    assert client.get(reverse("collections:strategies")).status_code == 403


def test_a_team_leader_publishes_a_new_strategy_version(client, team, portfolio):  # type: ignore[no-untyped-def]
    client.force_login(team.tudor)
    form = {"code": "standard", "name": "Standard", "segment": "", "lowered_percent": "40", "due_soon_days": "7",
            "rules-TOTAL_FORMS": "2", "rules-INITIAL_FORMS": "0",
            "rules-0-condition": "overdue_amount", "rules-0-threshold": "1000", "rules-0-points": "25",
            "rules-1-condition": "broken_promises", "rules-1-threshold": "1", "rules-1-points": "40",
            "rules-1-window_days": "60"}

    client.post(reverse("collections:strategy_new"), form)
    form["rules-0-points"] = "30"
    client.post(reverse("collections:strategy_edit", args=["standard"]), form)
    page = client.get(reverse("collections:strategies"))

    versions = list(Strategy.objects.order_by("version").values_list("version", "is_current"))
    assert versions == [(1, False), (2, True)]
    assert Strategy.objects.get(is_current=True).rules.get(position=1).points == 30
    assert "v2" in page.content.decode()
