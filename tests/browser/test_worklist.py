"""The collector's day in a real Chromium: worklist, keyboard, a call with a promise, the team leader."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.models import Promise, WorklistEntry
from incasso.ledger.choices import ContactPurpose
from incasso.ledger.models import Contact, Customer
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def worklists():  # type: ignore[no-untyped-def]
    """Anna's portfolio: Acme first (old and large), then Dupont and Zen; Bogdan has Berg."""
    anna = create_user_with_roles("anna", PASSWORD, [Role.COLLECTOR], by=SYSTEM, first_name="Anna",
                                  last_name="Popescu")
    bogdan = create_user_with_roles("bogdan", PASSWORD, [Role.COLLECTOR], by=SYSTEM)
    create_user_with_roles("tudor", PASSWORD, [Role.TEAM_LEADER], by=SYSTEM, first_name="Tudor")
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
    today = timezone.now().date()
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna)
    an_item(acme, "FA-1", amount="4200.00", document_date=today - timedelta(days=70),
            due_date=today - timedelta(days=40))
    Contact.objects.create(customer=acme, purpose=ContactPurpose.REMINDERS, name="Jeanne Martin",
                           email="compta@acme.example", language="fr")
    dupont = a_customer(paris, "C-200", name="Boulangerie Dupont", collector=anna)
    an_item(dupont, "FA-2", amount="2500.00", document_date=today - timedelta(days=50),
            due_date=today - timedelta(days=20))
    zen = a_customer(paris, "C-300", name="Zen Studio", collector=anna)
    an_item(zen, "FA-3", amount="1200.00", document_date=today - timedelta(days=40),
            due_date=today - timedelta(days=8))
    berg = a_customer(paris, "C-500", name="Berg GmbH", collector=bogdan, language="de")
    an_item(berg, "FA-4", amount="9000.00", document_date=today - timedelta(days=120),
            due_date=today - timedelta(days=95))
    build_worklists(today, by=SYSTEM)
    return type("Worklists", (), dict(acme=acme, berg=berg, anna=anna))


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def accounts(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("#worklist tbody tr[data-entry] .name a").all_inner_texts()


def test_a_collector_logs_a_call_with_a_promise_and_sees_the_customer_move_down(page, screenshot, worklists):  # type: ignore[no-untyped-def]
    sign_in(page, "anna")

    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    assert accounts(page) == ["Acme Bâtiment SARL", "Boulangerie Dupont", "Zen Studio"]
    expect(page.locator("#worklist tbody tr").first).to_contain_text("4,200.00 overdue (≥ 1,000.00)")
    screenshot("worklist")

    page.keyboard.press("j")  # the first row is selected on load; j moves to Dupont, k back to Acme
    expect(page.locator("tr.is-current")).to_contain_text("Boulangerie Dupont")
    page.keyboard.press("k")
    page.keyboard.press("c")  # log a call on the selected account

    expect(page.get_by_role("heading", name="Acme Bâtiment SARL")).to_be_visible()
    expect(page.locator("#id_outcome")).to_be_focused()
    page.locator("#id_outcome").select_option("promised")
    page.get_by_label("Note").fill("Jeanne Martin confirms the transfer on Friday")
    page.get_by_label("Promised amount (EUR)").fill("4200")
    page.get_by_label("Promised date").fill((timezone.now().date() + timedelta(days=4)).isoformat())
    page.get_by_label("Items concerned").select_option(label="FA-1")
    expect(page.locator("#email-preview")).to_contain_text("Relance de paiement")  # preview in French
    screenshot("customer-panel")
    page.get_by_role("button", name="Save contact").click()

    expect(page.get_by_role("heading", name="Worklist")).to_be_visible()
    assert accounts(page) == ["Boulangerie Dupont", "Zen Studio", "Acme Bâtiment SARL"]  # 30 points halved: 15
    expect(page.locator("tr", has_text="Acme Bâtiment SARL").locator(".chip-lowered")).to_have_text(
        "active promise to pay")
    assert Promise.objects.get().amount == 4200
    screenshot("worklist-after-promise")

    page.keyboard.press("d")  # Dupont is done for today and leaves the list
    expect(page.locator("#worklist tbody tr[data-entry]")).to_have_count(2)


def test_a_team_leader_reassigns_a_customer(page, screenshot, worklists):  # type: ignore[no-untyped-def]
    sign_in(page, "tudor")
    page.goto("/worklist/team/")

    expect(page.get_by_role("heading", name="Workload")).to_be_visible()
    row = page.locator("#team-accounts tr", has_text="Berg GmbH")
    row.get_by_label("Collector").select_option(label="anna")
    row.get_by_label("Reason").fill("Bogdan on leave")
    screenshot("team")
    row.get_by_role("button", name="Reassign").click()

    expect(page.get_by_text("C-500 now belongs to anna.")).to_be_visible()
    assert Customer.objects.get(pk=worklists.berg.pk).collector_id == worklists.anna.pk
    assert WorklistEntry.objects.get(customer=worklists.berg).collector_id == worklists.anna.pk
