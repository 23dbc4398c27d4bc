"""The customer list and the customer page: who sees what, balances, filters, query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, record
from incasso.ledger.choices import ContactPurpose, ItemKind
from incasso.ledger.models import Contact, Customer, CustomerIban
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db


def a_user(username: str, *roles: Role, **fields):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM, **fields)


@pytest.fixture(autouse=True)
def _sunday_15_march_2026(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to("2026-03-15 10:00 +01:00", tick=False)


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    """Two collectors' portfolios in a French entity, one customer with items in two currencies."""
    anna = a_user("anna", Role.COLLECTOR, first_name="Anna", last_name="Popescu")
    bogdan = a_user("bogdan", Role.COLLECTOR)
    controller = a_user("clara", Role.CONTROLLER)
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna, vat_id="FR12345678901",
                      credit_limit="10000.00", segment="construction")
    an_item(acme, "INV-1", amount="1200.00", due_date=date(2026, 1, 31))  # 43 days late
    an_item(acme, "INV-2", amount="800.00", due_date=date(2026, 3, 31))  # not yet due
    an_item(acme, "PAY-1", kind=ItemKind.PAYMENT, amount="200.00", due_date=date(2026, 3, 1))
    an_item(acme, "INV-USD", amount="500.00", currency="USD", due_date=date(2026, 2, 28))
    an_item(acme, "INV-PAID", amount="300.00", open_amount="0", due_date=date(2025, 12, 31))
    quiet = a_customer(paris, "C-200", name="Boulangerie Dupont", collector=anna)
    an_item(quiet, "INV-3", amount="50.00", due_date=date(2026, 4, 30))
    other = a_customer(paris, "C-300", name="Other Portfolio GmbH", collector=bogdan, dunning_block=True,
                       dunning_block_reason="CFO promised payment")
    an_item(other, "INV-4", amount="70.00", due_date=date(2026, 1, 1))
    return type("Ledger", (), dict(anna=anna, bogdan=bogdan, controller=controller, paris=paris, acme=acme,
                                   quiet=quiet, other=other))


def test_a_collector_sees_only_their_portfolio(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)

    response = client.get(reverse("ledger:customer_list"))

    assert response.status_code == 200
    accounts = [customer.account for customer, _ in response.context["rows"]]
    assert accounts == ["C-100", "C-200"]
    assert "Other Portfolio GmbH" not in response.content.decode()


def test_a_controller_sees_every_account(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.controller)

    response = client.get(reverse("ledger:customer_list"))

    assert [c.account for c, _ in response.context["rows"]] == ["C-100", "C-200", "C-300"]


def test_balances_per_currency_sign_credits_and_count_overdue_from_the_day_after_due(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)

    response = client.get(reverse("ledger:customer_list"))

    balances = dict(response.context["rows"])[ledger.acme]
    eur, usd = balances
    assert (eur["currency"], eur["open"], eur["overdue"], eur["not_due"], eur["credits"]) == (
        "EUR", 1800, 1000, 800, 200)  # 1200 + 800 - 200; overdue 1200 - 200 (payment dated 1 March)
    assert (usd["currency"], usd["open"], usd["overdue"]) == ("USD", 500, 500)
    html = response.content.decode()
    assert "€1,800.00" in html and "US$500.00" in html


def test_search_filters_and_sorting_live_in_the_url(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.controller)
    url = reverse("ledger:customer_list")

    by_vat = client.get(url, {"q": "FR 1234"})
    by_name = client.get(url, {"q": "boulangerie"})
    overdue = client.get(url, {"has_overdue": "1", "sort": "-overdue"})
    blocked = client.get(url, {"dunning_block": "1"})

    assert [c.account for c, _ in by_vat.context["rows"]] == ["C-100"]
    assert [c.account for c, _ in by_name.context["rows"]] == ["C-200"]
    assert [c.account for c, _ in overdue.context["rows"]] == ["C-100", "C-300"]
    assert [c.account for c, _ in blocked.context["rows"]] == ["C-300"]


def test_the_customer_list_costs_the_same_queries_for_many_customers(client, ledger, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for n in range(60):
        customer = a_customer(ledger.paris, f"D-{n:03d}", collector=ledger.anna)
        an_item(customer, amount="10.00", due_date=date(2026, 2, 1))
        an_item(customer, amount="5.00", currency="USD", due_date=date(2026, 2, 1))
    client.force_login(ledger.anna)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("ledger:customer_list"))

    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.count == 62


def test_the_customer_page_answers_how_much_how_late_and_who_to_call(client, ledger, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    Contact.objects.create(customer=ledger.acme, purpose=ContactPurpose.REMINDERS, name="Jeanne Martin",
                           email="compta@acme.example", language="fr")
    CustomerIban.objects.create(customer=ledger.acme, iban="FR7630006000011234567890189")
    record(EventKind.CUSTOMER_UPDATED, actor=SYSTEM, subject_type="customer", subject_id=ledger.acme.pk,
           customer_id=ledger.acme.pk, message="Payment terms changed to 45 days")
    client.force_login(ledger.anna)

    with django_assert_max_num_queries(14):
        response = client.get(reverse("ledger:customer_detail", args=[ledger.acme.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert [item.number for item, _days, _amount in response.context["items"]] == [
        "INV-1", "INV-USD", "PAY-1", "INV-2"]  # paid items are not open
    assert dict((item.number, days) for item, days, _ in response.context["items"])["INV-1"] == 43
    assert response.context["credit_use"] == 18  # 1 800 of 10 000 EUR
    assert "Jeanne Martin" in html and "FR7630006000011234567890189" in html
    assert "Payment terms changed to 45 days" in html
    assert "-€200.00" in html  # the payment is a credit: shown with its sign


def test_a_collector_gets_403_on_another_portfolio(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)

    response = client.get(reverse("ledger:customer_detail", args=[ledger.other.pk]))

    assert response.status_code == 403


def test_a_controller_reads_the_page_but_gets_no_change_action(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.controller)

    page = client.get(reverse("ledger:customer_detail", args=[ledger.other.pk]))
    attempt = client.post(reverse("ledger:dunning_block", args=[ledger.other.pk]), {"action": "unblock"})

    assert page.status_code == 200
    assert "Resume dunning" not in page.content.decode()
    assert attempt.status_code == 403
    assert Customer.objects.get(pk=ledger.other.pk).dunning_block is True


def test_a_collector_blocks_dunning_with_a_reason_and_it_lands_in_the_timeline(client, ledger):  # type: ignore[no-untyped-def]
    client.force_login(ledger.anna)
    url = reverse("ledger:dunning_block", args=[ledger.acme.pk])

    refused = client.post(url, {"action": "block", "reason": "Disputed delivery", "until": "2026-03-01"})
    accepted = client.post(url, {"action": "block", "reason": "Disputed delivery", "until": "2026-04-15"}, follow=True)

    assert refused.status_code == 400
    assert "The end date is in the past" in refused.content.decode()
    acme = Customer.objects.get(pk=ledger.acme.pk)
    assert (acme.dunning_block, acme.dunning_block_reason, acme.dunning_block_until) == (
        True, "Disputed delivery", date(2026, 4, 15))
    assert "Dunning blocked: Disputed delivery" in accepted.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(client, ledger):  # type: ignore[no-untyped-def]
    response = client.get(reverse("ledger:customer_list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_customers_without_a_collector_show_a_dash_not_an_error(client, django_user_model):  # type: ignore[no-untyped-def]
    # given an unassigned customer account and a controller who sees every account
    from incasso.accounts.actions import create_user_with_roles
    from incasso.accounts.choices import Role
    from incasso.audit.events import SYSTEM
    from incasso.testing.builders import a_customer

    customer = a_customer(name="Sans Collecteur SARL", collector=None)
    controller = create_user_with_roles("ctrl-unassigned", "a-long-password", [Role.CONTROLLER], by=SYSTEM)
    client.force_login(controller)
    # when the list and the customer page are opened, then both render
    listing = client.get("/customers/")
    assert listing.status_code == 200 and "Sans Collecteur SARL" in listing.content.decode()
    page = client.get(f"/customers/{customer.pk}/")
    assert page.status_code == 200
