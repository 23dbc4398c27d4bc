"""Dispute screens: list with filters in the URL, inbox, case page and its actions, bulk actions,
opening from the customer page, the customer panel, analytics with Excel export; query-count guards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from incasso.disputes.actions import assign_case, open_dispute, resolve_case
from incasso.disputes.choices import CaseStatus
from incasso.disputes.models import DisputeCase
from incasso.disputes.tests.stories import a_cast
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _thursday_2_april_2026(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-04-02 10:00 +02:00", tick=False)


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    return a_cast()


def a_case(cast, amount="300.00", reason="pricing", opened_on=date(2026, 3, 16), item=None):  # type: ignore[no-untyped-def]
    return open_dispute(cast.acme.pk, [((item or cast.invoice).pk, amount)], reason, by=cast.as_(cast.anna),
                        opened_on=opened_on)


def test_the_case_list_filters_live_in_the_url_and_late_cases_are_marked(client, cast):  # type: ignore[no-untyped-def]
    late = a_case(cast)  # deadline 30 March: late on 2 April
    recent = a_case(cast, "100.00", "quantity", opened_on=date(2026, 4, 1), item=cast.second)
    client.force_login(cast.anna)

    everything = client.get(reverse("disputes:case_list"))
    only_late = client.get(reverse("disputes:case_list"), {"late": "true"})
    by_reason = client.get(reverse("disputes:case_list"), {"reason": "quantity"})

    assert [c.pk for c, _s in everything.context["rows"]] == [late.pk, recent.pk]
    assert [c.pk for c, _s in only_late.context["rows"]] == [late.pk]
    assert [c.pk for c, _s in by_reason.context["rows"]] == [recent.pk]
    assert everything.context["rows"][0][1] == "late"
    assert 'class="is-overdue"' in everything.content.decode()


def test_a_collector_sees_only_the_cases_of_their_portfolio(client, cast):  # type: ignore[no-untyped-def]
    case = a_case(cast)
    client.force_login(cast.bogdan)
    assert client.get(reverse("disputes:case_list")).context["rows"] == []
    assert client.get(reverse("disputes:case_detail", args=[case.pk])).status_code == 403


def test_the_case_list_costs_the_same_queries_for_many_cases(client, cast, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for n in range(60):
        item = an_item(cast.acme, f"BULK-{n}", amount="50.00")
        a_case(cast, "10.00", item=item)
    client.force_login(cast.theo)
    # session, user, roles, entities' today, count, page, four filter choice lists, bulk form choices
    with django_assert_max_num_queries(14):
        response = client.get(reverse("disputes:case_list"))
    assert len(response.context["rows"]) == 50


def test_the_resolvers_inbox_holds_their_cases_and_their_departments_unpicked_ones(client, cast):  # type: ignore[no-untyped-def]
    mine = a_case(cast)
    assign_case(mine.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    unpicked = a_case(cast, "50.00", item=cast.second)  # sales, nobody yet
    billing = a_case(cast, "20.00", "duplicate_billing", item=an_item(cast.acme, "INV-9", amount="90.00"))
    client.force_login(cast.rita)

    rows = client.get(reverse("disputes:inbox")).context["rows"]

    assert {c.pk for c, _s in rows} == {mine.pk, unpicked.pk}
    assert billing.pk not in {c.pk for c, _s in rows}


def test_the_case_page_shows_timeline_and_the_resolvers_actions(client, cast, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    case = a_case(cast)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    client.force_login(cast.rita)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("disputes:case_detail", args=[case.pk]))
    html = response.content.decode()
    assert "Resolve case" in html and "Start investigation" in html
    assert "Dispute opened" in html and "Dispute assigned" in html
    assert response.context["line_rows"][0][1:] == (Decimal("300.00"), Decimal("700.00"))


def test_the_resolver_resolves_from_the_case_page(client, cast):  # type: ignore[no-untyped-def]
    case = a_case(cast)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    client.force_login(cast.rita)

    response = client.post(reverse("disputes:case_action", args=[case.pk]), {
        "action": "resolve", "resolution": "partial", "root_cause": "pricing_master_data",
        "accepted_amount": "120.00", "note": "list price 2026"}, follow=True)

    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.accepted_amount == Decimal("120.00")
    assert "Case resolved." in response.content.decode()


def test_a_controller_sees_no_buttons_and_cannot_post_any(client, cast):  # type: ignore[no-untyped-def]
    case = a_case(cast)
    client.force_login(cast.clara)
    html = client.get(reverse("disputes:case_detail", args=[case.pk])).content.decode()
    assert "Resolve case" not in html and "Add note" not in html
    response = client.post(reverse("disputes:case_action", args=[case.pk]), {"action": "note", "text": "hi"},
                           follow=True)
    assert "may not add a note" in response.content.decode()
    assert client.get(reverse("disputes:open_case", args=[cast.acme.pk])).status_code == 403


def test_opening_a_dispute_from_the_customer_page(client, cast):  # type: ignore[no-untyped-def]
    client.force_login(cast.anna)
    form = client.get(reverse("disputes:open_case", args=[cast.acme.pk]), {"item": cast.invoice.pk})
    assert 'value="1000.00"' in form.content.decode()  # preselected item with its undisputed amount

    response = client.post(reverse("disputes:open_case", args=[cast.acme.pk]), {
        f"amount_{cast.invoice.pk}": "250,00", "reason": "damaged", "priority": "high", "description": "crushed"})

    case = DisputeCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("disputes:case_detail", args=[case.pk])
    assert (case.disputed_amount, case.reason.code, case.priority) == (Decimal("250.00"), "damaged", "high")


def test_opening_with_too_much_says_which_item_and_what_is_left(client, cast):  # type: ignore[no-untyped-def]
    client.force_login(cast.anna)
    response = client.post(reverse("disputes:open_case", args=[cast.acme.pk]), {
        f"amount_{cast.invoice.pk}": "1000.01", "reason": "pricing", "priority": "normal"})
    assert response.status_code == 400
    assert "exceeds the undisputed open amount 1000.00 of Invoice INV-1" in response.content.decode()


def test_bulk_assign_and_bulk_resolve(client, cast):  # type: ignore[no-untyped-def]
    cases = [a_case(cast, "10.00", item=an_item(cast.acme, f"INV-B{n}", amount="10.00")) for n in range(3)]
    client.force_login(cast.theo)
    client.post(reverse("disputes:bulk"), {"action": "assign", "case": [c.pk for c in cases],
                                           "bulk-department": "billing", "bulk-resolver": cast.ben.pk})
    assert set(DisputeCase.objects.values_list("department__code", "resolver__username")) == {("billing", "ben")}

    client.force_login(cast.ben)
    client.post(reverse("disputes:bulk"), {"action": "resolve", "case": [c.pk for c in cases[:2]],
                                           "bulk-resolution": "rejected", "bulk-root_cause": "customer_process"})
    assert sorted(DisputeCase.objects.values_list("status", flat=True)) == ["assigned", "resolved", "resolved"]


def test_the_customer_panel_shows_disputed_and_undisputed(client, cast):  # type: ignore[no-untyped-def]
    a_case(cast)
    client.force_login(cast.anna)
    response = client.get(reverse("disputes:customer_panel", args=[cast.acme.pk]))
    html = response.content.decode()
    assert 'data-disputed="300.00"' in html and 'data-undisputed="1100.00"' in html


def test_the_customer_page_keeps_its_query_budget_and_links_to_open_a_dispute(  # type: ignore[no-untyped-def]
        client, cast, django_assert_max_num_queries):
    a_case(cast)
    client.force_login(cast.anna)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("ledger:customer_detail", args=[cast.acme.pk]))
    html = response.content.decode()
    assert reverse("disputes:open_case", args=[cast.acme.pk]) + f"?item={cast.invoice.pk}" in html
    assert reverse("disputes:customer_panel", args=[cast.acme.pk]) in html


def test_analytics_page_and_excel_export(client, cast):  # type: ignore[no-untyped-def]
    case = a_case(cast)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    resolve_case(case.pk, "accepted", by=cast.as_(cast.rita), root_cause_code="pricing_master_data",
                 on_date=date(2026, 3, 20))
    a_customer(cast.paris)
    client.force_login(cast.clara)  # a controller reads the analytics

    page = client.get(reverse("disputes:analytics"), {"from": "2026-03-01", "to": "2026-03-31"})
    export = client.get(reverse("disputes:analytics"), {"from": "2026-03-01", "to": "2026-03-31", "format": "xlsx"})

    assert page.status_code == 200 and page.context["data"]["cycle_time_days"]["median"] == "4.0"
    assert "Pricing master data" in page.content.decode()
    assert export["Content-Type"].startswith("application/vnd.openxmlformats") and export.content[:2] == b"PK"
