"""The aging's disputed / undisputed columns: page, customer fragment, ``incasso report aging`` in
every format, as of dates before, during and after a dispute."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from incasso.disputes.actions import assign_case, open_dispute, resolve_case
from incasso.disputes.tests.stories import a_cast
from incasso.reports.aging import UNASSIGNED, aging_report
from incasso.reports.aging_disputes import disputed_split
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db
D = Decimal
OPENED = date(2026, 3, 16)


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    """Acme (collector Anna) owes INV-1 1,000.00 and INV-2 400.00 and disputes 300.00 of INV-1 from
    16 March; Zeta, another customer of the entity, has no dispute."""
    cast = a_cast()
    cast.zeta = a_customer(cast.paris, "C-200", name="Zeta SA")
    an_item(cast.zeta, "INV-9", amount="250.00", document_date=date(2026, 2, 1), due_date=date(2026, 3, 3))
    cast.case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                             opened_on=OPENED)
    return cast


def run(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("report", *args, stdout=out, stderr=err)
    return out.getvalue()


def split_rows(as_of: date, by: str = "customer") -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
    report = aging_report(as_of, by=by).quantized()
    split = disputed_split(report, by=by)
    return {(r.group, r.currency): (r.total, split.disputed(r), split.undisputed(r)) for r in report.rows}


def test_each_grouping_puts_the_disputed_part_on_the_row_of_the_disputed_customer(cast):
    assert split_rows(date(2026, 3, 20)) == {
        ("FR01/C-100 Acme Bâtiment SARL", "EUR"): (D("1400.00"), D("300.00"), D("1100.00")),
        ("FR01/C-200 Zeta SA", "EUR"): (D("250.00"), D("0.00"), D("250.00")),
    }
    assert split_rows(date(2026, 3, 20), "entity") == {
        ("FR01 Incasso France SAS", "EUR"): (D("1650.00"), D("300.00"), D("1350.00"))}
    collectors = split_rows(date(2026, 3, 20), "collector")
    assert collectors[("anna", "EUR")] == (D("1400.00"), D("300.00"), D("1100.00"))
    assert collectors[(UNASSIGNED, "EUR")] == (D("250.00"), D("0.00"), D("250.00"))
    assert split_rows(date(2026, 3, 20), "currency") == {("EUR", "EUR"): (D("1650.00"), D("300.00"), D("1350.00"))}


def test_the_split_follows_the_as_of_date_before_during_and_after_the_dispute(cast):
    theo = cast.as_(cast.theo)
    assign_case(cast.case.pk, by=theo, department_code="sales", resolver=cast.rita)
    resolve_case(cast.case.pk, "rejected", by=cast.as_(cast.rita), root_cause_code="customer_process",
                 on_date=date(2026, 3, 25))
    acme = ("FR01/C-100 Acme Bâtiment SARL", "EUR")
    assert split_rows(date(2026, 3, 13))[acme][1] == D("0.00")  # not opened yet
    assert split_rows(date(2026, 3, 24))[acme][1] == D("300.00")  # open then
    assert split_rows(date(2026, 3, 26))[acme] == (D("1400.00"), D("0.00"), D("1400.00"))  # rejected: released


def test_cli_writes_disputed_and_undisputed_in_table_csv_json_and_xlsx(cast, tmp_path):
    as_of = ("aging", "--as-of", "2026-03-20")
    table = run(*as_of)
    assert "Disputed" in table and "Undisputed" in table
    acme_line = next(line for line in table.splitlines() if "Acme" in line)
    assert "300.00" in acme_line and "1,100.00" in acme_line
    rows = list(csv.DictReader(io.StringIO(run(*as_of, "--format", "csv"))))
    assert [(r["group"], r["total"], r["disputed"], r["undisputed"]) for r in rows] == [
        ("FR01/C-100 Acme Bâtiment SARL", "1400.00", "300.00", "1100.00"),
        ("FR01/C-200 Zeta SA", "250.00", "0.00", "250.00"),
    ]
    data = json.loads(run(*as_of, "--format", "json"))
    assert data["rows"][0]["disputed"] == "300.00" and data["rows"][0]["undisputed"] == "1100.00"
    assert data["totals"] == [{**data["totals"][0], "disputed": "300.00", "undisputed": "1350.00"}]
    target = tmp_path / "aging.xlsx"
    run(*as_of, "--format", "xlsx", "-o", str(target))
    sheet = openpyxl.load_workbook(target)["Aging"]
    header = [c.value for c in sheet[1]]
    disputed, undisputed = header.index("Disputed") + 1, header.index("Undisputed") + 1
    assert header[-1] == "Items" and undisputed == disputed + 1
    assert sheet.cell(2, disputed).value == 300
    assert sheet.cell(2, undisputed).value.startswith("=")  # total − disputed, a formula
    cached = openpyxl.load_workbook(target, data_only=True)["Aging"]
    assert cached.cell(2, undisputed).value == 1100
    assert cached.cell(5, 1).value == "TOTAL" and cached.cell(5, disputed).value == 300
    assert cached.cell(5, undisputed).value == 1350


def test_cli_with_a_reporting_currency_converts_the_disputed_part_too(cast):
    data = json.loads(run("aging", "--as-of", "2026-03-20", "--by", "entity", "--currency-to", "RON",
                          "--rates", "EUR=5", "--format", "json"))
    assert data["rows"][0]["currency"] == "RON"
    assert (data["rows"][0]["total"], data["rows"][0]["disputed"], data["rows"][0]["undisputed"]) == (
        "8250.00", "1500.00", "6750.00")


def test_aging_page_and_customer_fragment_show_the_columns(cast, client):
    client.force_login(cast.theo)
    page = client.get(reverse("reports:aging"), {"as_of": "2026-03-20"})
    html = page.content.decode()
    assert page.status_code == 200 and "Undisputed" in html
    acme_row = html[html.index("Acme Bâtiment SARL"):]
    acme_row = acme_row[:acme_row.index("</tr>")]
    assert "300.00" in acme_row and "1,100.00" in acme_row
    fragment = client.get(reverse("reports:customer_aging", args=[cast.acme.pk]), HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert fragment.status_code == 200 and "Disputed" in text and "300.00" in text and "1,100.00" in text
