"""Daily, weekly and monthly packs over the worked March ledger: sections, control checks, files."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from incasso.collections.models import Activity, Promise
from incasso.disputes.models import DisputeCase
from incasso.reports.models import ReportArchive
from incasso.reports.packs import build_pack
from incasso.reports.tests.kpi_story import a_march_ledger, april_happens
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db
D = Decimal


def test_daily_pack_has_aging_cash_promises_and_late_disputes_with_passing_controls():
    story = a_march_ledger()
    Promise.objects.filter(amount=D("600.00")).update(status="broken", judged_on=date(2026, 3, 24))

    daily = build_pack("daily", date(2026, 3, 24))

    aging = daily.section("aging")
    assert aging.columns[:3] == ["entity", "currency", "current"]
    # 24 March: INV-A (due 12 Mar) and INV-D (due 15 Mar) late 1-30, INV-C current, CN-1 in 1-30 (4 days)
    assert aging.rows == [["FR01 Incasso France SAS", "EUR", D("2000.00"), D("1500.00"), *[D("0.00")] * 5,
                           D("3500.00")]]
    assert daily.section("promises_broken").rows[0][3] == D("600.00")
    # CN-1 of 20 March is 4 days old; PAY-1 is fully applied, so it is not unapplied cash
    assert daily.section("unapplied").rows == [["FR01 Incasso France SAS", "EUR", "credit_note", D("0.00"),
                                                D("100.00"), *[D("0.00")] * 5, D("100.00")]]
    assert daily.section("disputes_late").rows == []  # the open quantity dispute is within its deadline
    open_case = DisputeCase.objects.get(resolved_on__isnull=True)
    later = build_pack("daily", open_case.deadline + timedelta(days=2))
    assert [row[4:] for row in later.section("disputes_late").rows] == [[open_case.deadline, 2]]
    assert daily.passed and {c.code for c in daily.checks} == {"aging_equals_open_items", "open_items_equal_balances"}
    cash_day = build_pack("daily", date(2026, 3, 10))
    assert cash_day.section("cash").rows == [["FR01 Incasso France SAS", "EUR", D("500.00"), D("500.00"),
                                              D("0.00")]]
    assert story.dupont.pk


def test_weekly_pack_counts_collector_contacts_and_promises():
    story = a_march_ledger(disputes=False)
    for day in (date(2026, 3, 2), date(2026, 3, 2), date(2026, 3, 3)):
        Activity.objects.create(customer=story.dupont, kind="call", outcome="reached", occurred_on=day)
    Activity.objects.create(customer=story.dupont, kind="note", outcome="reached", occurred_on=date(2026, 3, 3))

    weekly = build_pack("weekly", date(2026, 3, 8))

    (row,) = weekly.section("collectors").rows
    # three calls over two days (the note is not a contact); two promises taken 2 and 3 March
    assert row[:5] == ["(unassigned)", 3, D("1.50"), 2, "1100.00 EUR"]
    assert weekly.section("dunning").columns[0] == "level"


def test_monthly_pack_trend_and_a_past_month_reproduced_after_april():
    story = a_march_ledger(disputes=False)
    before = build_pack("monthly", date(2026, 3, 31))

    april_happens(story)
    after = build_pack("monthly", date(2026, 3, 31))

    trend = before.section("kpi_trend")
    march = trend.rows[-1]
    assert march[:5] == ["2026-03", "FR01 Incasso France SAS", "EUR", D("3500.00"), D("59.00")]
    assert march[7] == D("25.00")  # CEI
    assert [r[0] for r in before.section("aging_trend").rows] == ["2026-01", "2026-02", "2026-03"]
    assert [s.rows for s in after.sections] == [s.rows for s in before.sections]


def test_a_failed_check_marks_the_pack_and_its_files(tmp_path):
    story = a_march_ledger(disputes=False)
    an_item(story.dupont, "INV-X", amount="100.00", open_amount="60.00", document_date=date(2026, 3, 2))
    out, err = io.StringIO(), io.StringIO()

    call_command("report", "run", "daily", "--as-of", "2026-03-31", "-o", str(tmp_path), stdout=out, stderr=err)

    assert "CONTROL CHECK FAILED: aging total = sum of open items (EUR) off by -40.00" in err.getvalue()
    archive = ReportArchive.objects.get()
    assert archive.checks_passed is False
    workbook = openpyxl.load_workbook(tmp_path / "incasso-daily-2026-03-31.xlsx")
    assert workbook["Checks"]["A2"].value == "CONTROL CHECKS FAILED"
    assert workbook["Checks"]["F5"].value == "FAIL"


def test_run_command_archives_xlsx_pdf_and_json_with_checksums(tmp_path):
    a_march_ledger()
    out = io.StringIO()

    call_command("report", "run", "monthly", "--as-of", "2026-03-31", "-o", str(tmp_path), stdout=out)

    archive = ReportArchive.objects.get()
    assert (archive.pack, archive.as_of, archive.period_start, archive.checks_passed) == (
        "monthly", date(2026, 3, 31), date(2026, 3, 1), True)
    assert archive.params["as_of"] == "2026-03-31"
    names = [f["name"] for f in archive.files]
    assert names == ["incasso-monthly-2026-03-31.xlsx", "incasso-monthly-2026-03-31.pdf",
                     "incasso-monthly-2026-03-31.json"]
    for entry in archive.files:
        content = (Path(archive.directory) / entry["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"] and len(content) == entry["size"]
    assert (tmp_path / names[1]).read_bytes().startswith(b"%PDF")
    workbook = openpyxl.load_workbook(tmp_path / names[0])
    assert workbook.sheetnames == ["Checks", "kpi_trend", "aging_trend", "cash_target", "root_causes", "write_offs"]
    assert len(workbook["kpi_trend"]._charts) == 1 and len(workbook["aging_trend"]._charts) == 1
    data = json.loads((tmp_path / names[2]).read_text())
    assert data["passed"] is True and data["sections"][0]["rows"][-1][4] == "59.00"
    assert "archived as" in out.getvalue() and "controls passed" in out.getvalue()


def test_section_titles_follow_the_requested_language_and_the_monthly_pack_shows_cash_against_target():
    from incasso.reports.targets import set_cash_target
    from incasso.reports.tests.kpi_story import BY

    story = a_march_ledger(disputes=False)
    set_cash_target(story.paris.pk, "EUR", date(2026, 3, 1), "400.00", by=BY)

    french = build_pack("monthly", date(2026, 3, 31), language="fr")
    assert [s.title for s in french.sections] == [
        "DSO, meilleur DSO possible, ADD et CEI par mois", "Balance âgée de fin de mois",
        "Encaissements par rapport à l'objectif", "Causes des litiges (résolus ce mois-ci)", "Passages en perte"]
    assert french.params["language"] == "fr"
    # PAY-1 (500.00) against 400.00: 125 %, 100.00 ahead
    assert french.section("cash_target").rows == [
        ["FR01 Incasso France SAS", "EUR", D("500.00"), D("400.00"), D("125.00"), D("-100.00")]]
    assert build_pack("daily", date(2026, 3, 31), language="ro").section("aging").title == \
        "Vechimea creanțelor la 2026-03-31"
    assert build_pack("weekly", date(2026, 3, 31), language="de").section("dunning").title == \
        "Mahnungen je Mahnstufe und Zahlungen danach"
    assert build_pack("daily", date(2026, 3, 31)).section("cash").title == "Cash received and applied"
