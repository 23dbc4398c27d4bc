"""A dispute end to end in Chromium: the collector opens it from the invoice, the resolver accepts it
with a credit note, the ERP brings the credit note, and the collector sees the undisputed balance
with the dunning block lifted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.core.calendar import local_date
from incasso.disputes.models import DisputeCase, ResolverDepartment
from incasso.ledger.choices import ItemKind
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def catalogues():  # type: ignore[no-untyped-def]
    """Live-server tests run in flushed transactional databases, which lose what data migrations
    seeded; seed the dispute catalogues again (the seed creates only missing codes)."""
    from importlib import import_module

    from django.apps import apps

    import_module("incasso.disputes.migrations.0002_seed_catalogues").seed(apps, None)


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_dispute_from_invoice_to_credit_note(page, screenshot):  # type: ignore[no-untyped-def]
    anna = create_user_with_roles("anna", PASSWORD, [Role.COLLECTOR], by=SYSTEM, first_name="Anna",
                                  last_name="Popescu")
    rita = create_user_with_roles("rita", PASSWORD, [Role.DISPUTE_RESOLVER], by=SYSTEM, first_name="Rita",
                                  last_name="Santos", email="rita@incasso.test")
    ResolverDepartment.objects.get(code="sales").members.add(rita)
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
    today = local_date(timezone.now(), "Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna)
    invoice = an_item(acme, "FA-2026-0001", amount="1000.00", document_date=today - timedelta(days=40),
                      due_date=today - timedelta(days=10), reference="PO 4500")
    an_item(acme, "FA-2026-0002", amount="400.00", document_date=today - timedelta(days=20),
            due_date=today + timedelta(days=10))

    # The collector opens a dispute from the invoice line on the customer page
    sign_in(page, "anna")
    page.goto(f"/customers/{acme.pk}/")
    page.locator("#open-items tr", has_text="FA-2026-0001").get_by_role("link", name="Open dispute").click()
    expect(page.get_by_label("FA-2026-0001")).to_have_value("1000.00")
    page.get_by_label("FA-2026-0001").fill("300,00")
    page.get_by_label("Reason").select_option(label="Pricing")
    page.get_by_label("Description").fill("Price list 2026 not applied")
    screenshot("dispute-open")
    page.get_by_role("button", name="Open dispute").click()
    expect(page.get_by_role("heading", name=re.compile(r"DC-\d{6}"))).to_be_visible()
    expect(page.locator("#case-status")).to_contain_text("New")
    case = DisputeCase.objects.get()

    # She routes it to Rita in sales
    page.locator("summary", has_text="Assign").click()
    page.get_by_label("Resolver:", exact=True).select_option(label="Rita Santos")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#case-status")).to_contain_text("Assigned")

    # The customer page shows 300.00 disputed and blocked from dunning, 1,100.00 undisputed
    page.goto(f"/customers/{acme.pk}/")
    panel = page.locator("#customer-disputes")
    expect(panel.locator("[data-undisputed]")).to_have_attribute("data-undisputed", "1100.00")
    expect(panel.locator(".chip-block")).to_contain_text("300.00")
    screenshot("dispute-customer-panel")

    # The resolver finds it in her inbox, investigates and accepts it: a credit note is requested
    sign_in(page, "rita")
    page.goto("/disputes/inbox/")
    page.get_by_role("link", name=case.number).click()
    page.get_by_role("button", name="Start investigation").click()
    expect(page.locator("#case-status")).to_contain_text("In investigation")
    page.get_by_label("Resolution:", exact=True).select_option(value="accepted")
    page.get_by_label("Root cause").select_option(label="Pricing master data")
    page.get_by_label("Note").last.fill("Price list loaded late")
    page.get_by_role("button", name="Resolve case").click()
    expect(page.locator("#case-status")).to_contain_text("Resolved")
    settlement = case.settlements.get()
    expect(page.locator("#settlements")).to_contain_text(settlement.number)
    screenshot("dispute-case-resolved")

    # Billing posts the credit note quoting the request; the ERP import brings it in
    an_item(acme, "AV-2026-0007", kind=ItemKind.CREDIT_NOTE, amount="300.00", reference=settlement.number)
    page.reload()
    page.get_by_role("button", name="Clear against the items").click()
    expect(page.locator("#settlements")).to_contain_text("AV-2026-0007")
    expect(page.locator("#case-lines")).to_contain_text("700.00")

    # The collector sees the undisputed balance and no dunning block any more, and closes the case
    sign_in(page, "anna")
    page.goto(f"/customers/{acme.pk}/")
    panel = page.locator("#customer-disputes")
    expect(panel.locator("[data-disputed]")).to_have_attribute("data-disputed", "0.00")
    expect(panel.locator("[data-undisputed]")).to_have_attribute("data-undisputed", "1100.00")
    expect(panel.locator(".chip-block")).to_have_count(0)
    expect(page.locator("#open-items tr", has_text="FA-2026-0001")).to_contain_text("700.00")
    screenshot("dispute-customer-after")
    page.goto(f"/disputes/{case.pk}/")
    page.get_by_label("Customer's answer").fill("Acme confirmed by phone")
    page.get_by_role("button", name="Confirmed with the customer: close").click()
    expect(page.locator("#case-status")).to_contain_text("Closed")
    invoice.refresh_from_db()
    assert invoice.open_amount == 700
