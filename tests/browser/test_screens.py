"""The main screens driven in a real Chromium: sign in, customers, customer page, French, aging."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, record
from incasso.core.calendar import local_date
from incasso.ledger.choices import ContactPurpose, ItemKind
from incasso.ledger.models import Contact, CustomerIban
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    """A collector's portfolio with a late customer, another collector's customer, a controller."""
    anna = create_user_with_roles("anna", PASSWORD, [Role.COLLECTOR], by=SYSTEM, first_name="Anna",
                                  last_name="Popescu")
    bogdan = create_user_with_roles("bogdan", PASSWORD, [Role.COLLECTOR], by=SYSTEM)
    create_user_with_roles("clara", PASSWORD, [Role.CONTROLLER], by=SYSTEM)
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
    today = local_date(timezone.now(), "Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna, vat_id="FR40303265045",
                      credit_limit="25000.00", segment="construction", risk_class="high")
    for n, (days_late, amount) in enumerate([(75, "4200.00"), (40, "12500.50"), (12, "980.00"), (-20, "3100.00")]):
        an_item(acme, f"FA-2026-{n + 1:04d}", amount=amount, document_date=today - timedelta(days=days_late + 30),
                due_date=today - timedelta(days=days_late), reference=f"PO {4500 + n}")
    an_item(acme, "PAY-77", kind=ItemKind.PAYMENT, amount="1500.00", document_date=today - timedelta(days=5),
            due_date=today - timedelta(days=5))
    an_item(acme, "FA-USD-1", amount="2300.00", currency="USD", due_date=today - timedelta(days=100))
    Contact.objects.create(customer=acme, purpose=ContactPurpose.REMINDERS, name="Jeanne Martin",
                           email="compta@acme.example", phone="+33 1 23 45 67 89", language="fr")
    Contact.objects.create(customer=acme, purpose=ContactPurpose.ESCALATION, name="Paul Durand",
                           email="daf@acme.example", language="fr")
    CustomerIban.objects.create(customer=acme, iban="FR7630006000011234567890189")
    record(EventKind.CUSTOMER_UPDATED, actor=SYSTEM, subject_type="customer", subject_id=acme.pk,
           customer_id=acme.pk, message="Credit limit raised to 25 000 EUR")
    for n in range(1, 9):
        customer = a_customer(paris, f"C-{100 + n * 10}", name=f"Client {n} SAS", collector=anna)
        an_item(customer, amount=f"{n * 310}.00", due_date=today - timedelta(days=n * 17 - 30))
    other = a_customer(paris, "C-900", name="Other Portfolio GmbH", collector=bogdan, dunning_block=True,
                       dunning_block_reason="CFO promised payment")
    an_item(other, amount="700.00", due_date=today - timedelta(days=200))
    return type("Ledger", (), dict(acme=acme, other=other))


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_collector_works_a_customer_and_switches_to_french(page, screenshot, ledger):  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    screenshot("login")
    sign_in(page, "anna")
    page.get_by_role("link", name="Customers").click()  # a collector lands on the worklist

    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.locator(".chip-role")).to_have_text("Collector")
    expect(page.locator("#customer-table tbody tr")).to_have_count(9)  # her portfolio only
    expect(page.get_by_text("Other Portfolio GmbH")).to_have_count(0)
    screenshot("customer-list")

    page.get_by_label("Search").fill("acme")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#customer-table tbody tr")).to_have_count(1)
    assert "q=acme" in page.url
    page.get_by_role("link", name="Acme Bâtiment SARL").click()

    expect(page.get_by_role("heading", name=re.compile("Acme Bâtiment SARL"))).to_be_visible()
    expect(page.locator("#balances")).to_contain_text("€19,280.50")  # 4200 + 12500.50 + 980 + 3100 - 1500
    expect(page.locator("#balances")).to_contain_text("US$2,300.00")
    expect(page.locator("#open-items tbody tr")).to_have_count(6)
    expect(page.locator("#timeline")).to_contain_text("Credit limit raised to 25 000 EUR")
    expect(page.locator("#customer-aging-table")).to_be_visible()  # loaded by htmx
    expect(page.get_by_text("Jeanne Martin", exact=True)).to_be_visible()
    screenshot("customer-page")

    page.locator("details.menu summary").click()
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Apply").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Soldes")).to_be_visible()
    expect(page.locator("#balances thead")).to_contain_text("Échu")
    expect(page.locator("#balances")).to_contain_text("19\u202f280,50\u00a0€")
    screenshot("customer-page-fr")
    page.get_by_role("link", name="Clients", exact=True).first.click()
    expect(page.get_by_role("heading", name="Clients")).to_be_visible()  # the choice stays


def test_the_aging_page_charts_totals_and_drills_down_to_items(page, screenshot, ledger):  # type: ignore[no-untyped-def]
    sign_in(page, "anna")
    page.get_by_role("link", name="Aging").click()

    expect(page.get_by_role("heading", name="Aging", exact=True)).to_be_visible()
    expect(page.locator("canvas#aging-chart")).to_be_visible()
    expect(page.locator("#aging-totals")).to_contain_text("EUR")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('aging-chart'))")
    screenshot("aging")

    acme_row = page.locator("#aging-rows tbody tr", has_text="Acme Bâtiment SARL").filter(has_text="EUR")
    acme_row.locator("td a", has_text="€12,500.50").click()

    expect(page.get_by_role("heading", name="Items behind the aging")).to_be_visible()
    expect(page.locator("#aging-items tbody tr")).to_have_count(1)
    expect(page.locator("#aging-items")).to_contain_text("FA-2026-0002")
    screenshot("aging-drilldown")


def test_a_controller_reads_but_gets_no_change_action(page, screenshot, ledger):  # type: ignore[no-untyped-def]
    sign_in(page, "clara")
    page.goto(f"/customers/{ledger.other.pk}/")

    expect(page.get_by_role("heading", name=re.compile("Other Portfolio GmbH"))).to_be_visible()
    expect(page.locator(".chip-block").first).to_have_attribute("title", re.compile("CFO promised payment"))
    expect(page.get_by_role("button", name="Resume dunning")).to_have_count(0)
    expect(page.get_by_role("button", name="Block dunning")).to_have_count(0)
    screenshot("customer-page-controller")


def test_a_collector_is_refused_another_portfolio(page, ledger):  # type: ignore[no-untyped-def]
    sign_in(page, "anna")

    response = page.goto(f"/customers/{ledger.other.pk}/")

    assert response.status == 403
