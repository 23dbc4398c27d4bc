"""A dunning run end to end in Chromium: a team leader proposes it, reviews it (one letter out, with
a reason), a second team leader approves it and sends it, the progress page fills up while the worker
sends, and the letter is in the archive with its PDF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.core.calendar import local_date
from incasso.dunning.models import Run
from incasso.jobs.actions import work
from incasso.ledger.choices import ContactPurpose
from incasso.ledger.models import Contact, EntityBankAccount
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_dunning_run_from_proposal_to_archive(page, screenshot, settings):  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    create_user_with_roles("leo", PASSWORD, [Role.TEAM_LEADER], by=SYSTEM, first_name="Leo")
    create_user_with_roles("bea", PASSWORD, [Role.TEAM_LEADER], by=SYSTEM, first_name="Bea")
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris", address="1 rue de la Paix, Paris")
    EntityBankAccount.objects.create(entity=paris, iban="FR7630006000011234567890189", currency="EUR")
    today = local_date(timezone.now(), "Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", language="fr")
    Contact.objects.create(customer=acme, purpose=ContactPurpose.REMINDERS, email="compta@acme.example",
                           language="fr", name="Jeanne Martin")
    an_item(acme, "FA-0001", amount="1000.00", due_date=today - timedelta(days=15))
    bravo = a_customer(paris, "C-200", name="Bravo SA")
    Contact.objects.create(customer=bravo, purpose=ContactPurpose.REMINDERS, email="ap@bravo.example", language="en")
    an_item(bravo, "FA-0002", amount="500.00", due_date=today - timedelta(days=12))
    charlie = a_customer(paris, "C-300", name="Charlie SARL")  # no reminders contact: an exception
    an_item(charlie, "FA-0003", amount="300.00", due_date=today - timedelta(days=20))

    # Leo proposes today's run
    sign_in(page, "leo")
    page.get_by_role("link", name="Dunning").click()
    page.get_by_label("Entity").select_option("FR01")
    page.get_by_role("button", name="Propose run").click()
    expect(page.locator(".job-progress")).to_contain_text("Queued")
    work()  # the worker proposes the run
    expect(page.locator(".job-progress")).to_contain_text("2 letters, 1 exceptions")
    page.get_by_role("link", name="Open the result").click()
    expect(page.get_by_role("heading", name=re.compile(r"Dunning run #\d+"))).to_be_visible()
    letters = page.locator("#letters")
    expect(letters).to_contain_text("Acme Bâtiment SARL")
    expect(page.get_by_role("region", name=re.compile("Exceptions"))).to_contain_text("No reminder contact")
    expect(page.get_by_role("button", name="Approve run")).to_have_count(0)  # four-eyes: not the proposer
    screenshot("dunning-run-proposal")

    # He takes Bravo out, with a reason
    row = letters.locator("tr", has_text="Bravo SA")
    row.get_by_label("Reason").fill("Paid by phone this morning")
    row.get_by_role("button", name="Exclude").click()
    expect(letters.locator("tr", has_text="Bravo SA")).to_contain_text("Excluded")

    # He previews Acme's letter in French
    letters.get_by_role("link", name="Acme Bâtiment SARL").click()
    expect(page.frame_locator("iframe").locator("h1")).to_contain_text("Rappel de paiement")
    screenshot("dunning-letter-preview")

    # Bea approves and sends
    run = Run.objects.get()
    sign_in(page, "bea")
    page.goto(f"/dunning/runs/{run.pk}/")
    page.get_by_role("button", name="Approve run").click()
    page.get_by_role("button", name="Send letters").click()
    expect(page.locator(".job-progress")).to_contain_text("Queued")
    work()  # the worker process, here in the test's thread
    expect(page.locator(".job-progress")).to_contain_text("Done")
    expect(page.locator(".job-progress")).to_contain_text("1 / 1")
    screenshot("dunning-sending-done")
    assert [m.to for m in mail.outbox] == [["compta@acme.example"]]

    # The letter is in the archive with its PDF
    page.goto("/dunning/archive/")
    expect(page.locator("table")).to_contain_text("Acme Bâtiment SARL")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    screenshot("dunning-archive")
