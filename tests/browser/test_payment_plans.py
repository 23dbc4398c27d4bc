"""A payment plan in a real Chromium: the collector proposes from the customer page with the schedule
previewed as she types, the risk approver approves from the queue, the plan starts, the items show "In plan"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.collections.choices import PlanStatus
from incasso.collections.models import PaymentPlan
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


@pytest.fixture
def acme():  # type: ignore[no-untyped-def]
    anna = create_user_with_roles("anna", PASSWORD, [Role.COLLECTOR], by=SYSTEM, first_name="Anna")
    create_user_with_roles("rita", PASSWORD, [Role.RISK_APPROVER], by=SYSTEM, first_name="Rita")
    today = timezone.now().date()
    paris = an_entity("FR01", name="Incasso France SAS", timezone="Europe/Paris")
    acme = a_customer(paris, "C-100", name="Acme Bâtiment SARL", collector=anna)
    an_item(acme, "FA-1", amount="9000.00", document_date=today - timedelta(days=90),
            due_date=today - timedelta(days=60))
    an_item(acme, "FA-2", amount="1000.00", document_date=today - timedelta(days=10),
            due_date=today + timedelta(days=20))
    return acme


def sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".usermenu .roles")).to_be_visible()


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("User name")).to_be_visible()


def test_a_plan_is_proposed_previewed_approved_started_and_shown_on_the_items(page, screenshot, acme):  # type: ignore[no-untyped-def]
    sign_in(page, "anna")
    page.goto(f"/customers/{acme.pk}/")
    page.get_by_role("link", name="Propose a payment plan").click(timeout=30_000)  # the side panel loads by htmx

    expect(page.get_by_role("heading", name="Propose a payment plan")).to_be_visible()
    expect(page.get_by_label("FA-1")).to_be_checked()  # overdue items come preselected
    expect(page.get_by_label("FA-2")).not_to_be_checked()
    page.get_by_label("Number of instalments").fill("4")
    page.get_by_label("Number of instalments").dispatch_event("change")
    expect(page.locator("#schedule-preview tbody tr")).to_have_count(4)
    expect(page.locator("#schedule-preview tfoot")).to_contain_text("9,000.00")
    expect(page.locator("#schedule-preview tbody tr").first).to_contain_text("2,250.00")
    screenshot("plan-propose")
    page.get_by_role("button", name="Propose for approval").click()

    expect(page.get_by_role("heading", name="Payment plan #")).to_be_visible()
    expect(page.locator(".chips .chip")).to_have_text("Proposed")
    expect(page.get_by_text("You proposed this plan")).to_be_visible()
    sign_out(page)

    sign_in(page, "rita")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Payment plans").click()
    expect(page.locator("#plans tbody tr")).to_have_count(1)
    screenshot("plan-queue")
    page.locator("#plans tbody tr a").first.click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Payment plan approved.")).to_be_visible()
    sign_out(page)

    sign_in(page, "anna")
    plan = PaymentPlan.objects.get()
    page.goto(f"/plans/{plan.pk}/")
    page.get_by_role("button", name="Customer agreed: start the plan").click()
    expect(page.locator(".chips .chip")).to_have_text("Active")
    expect(page.locator("#schedule tbody tr")).to_have_count(4)
    screenshot("plan-detail")

    page.goto(f"/customers/{acme.pk}/")
    rows = page.locator("#open-items tbody tr")
    expect(rows.filter(has_text="FA-1").locator(".chip-in-plan")).to_have_text("In plan")
    expect(rows.filter(has_text="FA-2").locator(".chip-in-plan")).to_have_count(0)
    assert PaymentPlan.objects.get().status == PlanStatus.ACTIVE
