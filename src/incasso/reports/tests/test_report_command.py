"""``incasso report aging`` in each format, read back; ``incasso report aging-snapshot``."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from incasso.ledger.choices import ItemKind
from incasso.reports.models import AgingSnapshot, ExchangeRate
from incasso.testing.builders import a_customer, an_entity, an_item

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    """Two entities in EUR and RON: Dupont owes 1,234.50 (20 days late) less an unapplied 34.50;
    Martin owes 99.99 not yet due; Popescu owes 5,000.00 in RON 100 days late."""
    fr = an_entity(code="FR01", name="Incasso France")
    ro = an_entity(code="RO01", name="Incasso Romania", currency="RON", timezone="Europe/Bucharest")
    dupont = a_customer(fr, account="C1", name="Dupont")
    an_item(dupont, amount="1234.50", document_date=date(2026, 3, 1), due_date=date(2026, 4, 10))
    an_item(dupont, kind=ItemKind.PAYMENT, amount="34.50", document_date=date(2026, 4, 20), due_date=date(2026, 4, 20))
    an_item(a_customer(fr, account="C2", name="Martin"), amount="99.99", due_date=date(2026, 5, 15))
    an_item(a_customer(ro, account="R1", name="Popescu"), amount="5000.00", due_date=date(2026, 1, 20))
    return fr, ro


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_table_has_right_aligned_amounts_and_a_totals_row_per_currency(ledger):
    text = run("aging", "--as-of", "2026-04-30")
    assert "Aging as of 2026-04-30 by due date" in text
    dupont = next(line for line in text.splitlines() if "FR01/C1 Dupont" in line)
    assert "1,200.00" in dupont and "-34.50" not in dupont  # both sit in 1-30: 1,234.50 − 34.50
    totals = [line for line in text.splitlines() if "TOTAL" in line]
    assert len(totals) == 2 and "1,299.99" in totals[0] and "5,000.00" in totals[1]


def test_csv_has_one_row_per_group_and_currency_with_bucket_columns(ledger):
    rows = list(csv.DictReader(io.StringIO(run("aging", "--as-of", "2026-04-30", "--format", "csv"))))
    columns = ("group", "currency", "current", "1-30", "91-180", "total", "items")
    assert [tuple(r[c] for c in columns) for r in rows] == [
        ("FR01/C1 Dupont", "EUR", "0.00", "1200.00", "0.00", "1200.00", "2"),
        ("FR01/C2 Martin", "EUR", "99.99", "0.00", "0.00", "99.99", "1"),
        ("RO01/R1 Popescu", "RON", "0.00", "0.00", "5000.00", "5000.00", "1"),
    ]


def test_json_carries_the_parameters_rows_and_totals(ledger, tmp_path):
    target = tmp_path / "aging.json"
    run("aging", "--as-of", "2026-04-30", "--by", "entity", "--format", "json", "-o", str(target))
    data = json.loads(target.read_text())
    assert data["as_of"] == "2026-04-30" and data["basis"] == "due_date"
    assert data["buckets"] == ["current", "1-30", "31-60", "61-90", "91-180", "181-360", ">360"]
    assert data["as_of_by_entity"] == {"FR01": "2026-04-30", "RO01": "2026-04-30"}
    assert [(r["group"], r["total"]) for r in data["rows"]] == [
        ("FR01 Incasso France", "1299.99"), ("RO01 Incasso Romania", "5000.00"),
    ]
    assert [(t["currency"], t["amounts"]["91-180"], t["items"]) for t in data["totals"]] == [
        ("EUR", "0.00", 3), ("RON", "5000.00", 1),
    ]


def test_xlsx_has_numbers_sum_formulas_frozen_header_filter_and_a_stacked_chart(ledger, tmp_path):
    target = tmp_path / "aging.xlsx"
    run("aging", "--as-of", "2026-04-30", "--format", "xlsx", "-o", str(target))
    sheet = openpyxl.load_workbook(target)["Aging"]
    assert [c.value for c in sheet[1]][:4] == ["Group", "Currency", "current", "1-30"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M4"  # ... total, disputed, undisputed, items
    assert sheet["D2"].value == 1200 and sheet["D2"].number_format == "#,##0.00"
    assert sheet["J2"].value == "=SUM(C2:I2)"
    # totals rows after a blank row, one per currency, summing that currency's block
    assert [sheet.cell(6, c).value for c in (1, 2)] == ["TOTAL", "EUR"]
    assert sheet["D6"].value == "=SUM(D2:D3)" and sheet["J6"].value == "=SUM(J2:J3)"
    assert sheet["G7"].value == "=SUM(G4:G4)"
    cached = openpyxl.load_workbook(target, data_only=True)["Aging"]
    assert cached["J6"].value == pytest.approx(1299.99) and cached["G7"].value == 5000
    assert len(sheet._charts) == 1
    chart = sheet._charts[0]
    assert chart.grouping == "stacked" and len(chart.series) == 2


def test_xlsx_needs_a_file_and_bad_input_is_named(ledger):
    with pytest.raises(CommandError, match="-o FILE"):
        run("aging", "--format", "xlsx")
    with pytest.raises(CommandError, match="--entity: no legal entity with code XX01"):
        run("aging", "--entity", "XX01")
    with pytest.raises(CommandError, match="--buckets"):
        run("aging", "--buckets", "current,1-30")
    with pytest.raises(CommandError, match="not a date"):
        run("aging", "--as-of", "30/04/2026")
    with pytest.raises(CommandError, match="'GBP:1.1'"):
        run("aging", "--currency-to", "EUR", "--rates", "GBP:1.1")
    with pytest.raises(CommandError, match="no exchange rate to EUR for RON"):
        run("aging", "--as-of", "2026-04-30", "--currency-to", "EUR", "--rates", "GBP=1.1650")


def test_entity_filter_and_reporting_currency_from_the_command_line(ledger):
    rows = list(csv.DictReader(io.StringIO(run(
        "aging", "--as-of", "2026-04-30", "--by", "currency", "--currency-to", "EUR",
        "--rates", "EUR=1,RON=0.2010", "--format", "csv",
    ))))
    assert [(r["group"], r["currency"], r["total"]) for r in rows] == [
        ("EUR", "EUR", "1299.99"), ("RON", "EUR", "1005.00"),
    ]
    ExchangeRate.objects.create(rate_date=date(2026, 4, 1), currency="RON", reporting_currency="EUR", rate=D("0.2"))
    rows = list(csv.DictReader(io.StringIO(run(
        "aging", "--as-of", "2026-04-30", "--entity", "RO01", "--currency-to", "EUR", "--rate-date", "2026-04-30",
        "--format", "csv",
    ))))
    assert [(r["group"], r["total"]) for r in rows] == [("RO01/R1 Popescu", "1000.00")]


def test_aging_snapshot_command_stores_and_prints_the_totals(ledger):
    text = run("aging-snapshot", "--as-of", "2026-04-30")
    snapshot = AgingSnapshot.objects.get()
    assert f"aging snapshot {snapshot.pk} as of 2026-04-30" in text
    assert "EUR,99.99,1200.00,0.00,0.00,0.00,0.00,0.00,1299.99" in text
    assert "RON,0.00,0.00,0.00,0.00,5000.00,0.00,0.00,5000.00" in text
    assert snapshot.taken_by_label == "cli"
