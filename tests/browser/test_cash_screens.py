"""Cash application in a real Chromium: upload a statement, run matching, accept a proposal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.cashapp.choices import LineState
from incasso.cashapp.models import BankLine
from incasso.cashapp.tests.samples import ACME_IBAN, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.jobs.actions import work
from incasso.ledger.models import Item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def test_a_cash_specialist_uploads_a_statement_and_accepts_a_proposal(page, screenshot, tmp_path):  # type: ignore[no-untyped-def]
    create_user_with_roles("carla", PASSWORD, [Role.CASH_APPLICATION], by=SYSTEM)
    customer = acme(our_entity())
    acme_invoices(customer)
    statement = tmp_path / "2026-03-02.xml"
    statement.write_bytes(camt053(
        camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, name="ACME BATIMENT SARL", rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
        opening="0", closing="2030.40"))

    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("carla")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/customers/**")
    page.goto("/cash/")
    expect(page.get_by_role("link", name="Cash", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="Upload statements").click()
    page.get_by_label("Bank files").set_input_files(str(statement))
    page.get_by_role("button", name="Import").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("added 2 line(s), 0 duplicate(s) skipped")
    expect(report).to_contain_text("Balanced")
    screenshot("cash-upload-report")

    page.get_by_role("link", name="Go to the queue").click()
    page.get_by_role("button", name="Run matching").click()
    # the matching run is a background job: the screen follows it, the worker runs it
    expect(page.locator(".job-progress")).to_contain_text("Queued")
    work()  # the worker process, here in the test's thread
    expect(page.locator(".job-progress")).to_contain_text("Done")
    expect(page.locator(".job-progress")).to_contain_text("1 applied automatically, 1 queued")
    page.get_by_role("link", name="Open the result").click()
    queued = BankLine.objects.get(bank_reference="A2")
    row = page.locator(f"#line-{queued.pk}")
    expect(row).to_contain_text("FA20260002")
    expect(row).to_contain_text("Acme Bâtiment SARL")
    screenshot("cash-queue")
    row.get_by_role("button", name="Accept").click()
    expect(page.locator(".message")).to_contain_text("Applied")
    expect(page.locator(f"#line-{queued.pk}")).to_have_count(0)
    queued.refresh_from_db()
    assert queued.state == LineState.APPLIED
    assert Item.objects.get(number="FA20260002").open_amount == 0

    page.get_by_label("State", exact=True).select_option("applied")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#queue-table tbody tr")).to_have_count(2)
    assert "state=applied" in page.url
    screenshot("cash-queue-applied")
