"""Report dashboards in Chromium: a controller reads the monthly pack (checks, trend chart, tables),
moves to the daily pack for a past date and downloads its workbook."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.reports.tests.kpi_story import a_march_ledger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct horse battery"


def test_a_controller_reads_the_monthly_pack_and_downloads_the_daily_workbook(page, screenshot):  # type: ignore[no-untyped-def]
    a_march_ledger(disputes=False)
    create_user_with_roles("clara", PASSWORD, [Role.CONTROLLER], by=SYSTEM)
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill("clara")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto("/reports/packs/monthly/?as_of=2026-03-31")

    expect(page.get_by_role("heading", name="Monthly pack")).to_be_visible()
    expect(page.locator("#checks .chip-ok").first).to_have_text("Controls passed")
    trend = page.locator("#section-kpi_trend")
    expect(trend.locator("tbody tr").last).to_contain_text("2026-03")
    expect(trend.locator("tbody tr").last).to_contain_text("59")  # countback DSO, by hand in test_kpis
    drawn = page.evaluate("() => Chart.getChart(document.getElementById('chart-kpi_trend')).data.datasets.length")
    assert drawn == 4
    screenshot("reports-monthly-pack")

    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Daily pack").click()
    page.get_by_role("textbox", name="As of").fill("2026-03-10")
    page.get_by_role("button", name="Show").click()
    cash = page.locator("#section-cash tbody tr").first
    expect(cash).to_contain_text("500.00")
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel").click()
    assert download.value.suggested_filename == "incasso-daily-2026-03-10.xlsx"
    screenshot("reports-daily-pack")
