"""Dispute analytics: cycle time by reason and root cause, Pareto, valid share, dispute rate, exports."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from incasso.disputes.actions import assign_case, open_dispute, resolve_case
from incasso.disputes.analytics import as_dict, dispute_analytics
from incasso.disputes.tests.stories import a_cast
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def history():  # type: ignore[no-untyped-def]
    """Four cases in March 2026: three resolved (4, 10 and 2 days), one still open and late."""
    cast = a_cast()
    extra = [an_item(cast.acme, f"INV-{n}", amount="500.00", document_date=date(2026, 3, n)) for n in (3, 4, 5)]
    stories = [
        (cast.invoice, "300.00", "pricing", date(2026, 3, 2), "accepted", "pricing_master_data", date(2026, 3, 6)),
        (cast.second, "100.00", "quantity", date(2026, 3, 2), "rejected", "customer_process", date(2026, 3, 12)),
        (extra[0], "50.00", "pricing", date(2026, 3, 9), "partial", "pricing_master_data", date(2026, 3, 11)),
    ]
    for item, amount, reason, opened, resolution, root_cause, resolved in stories:
        case = open_dispute(cast.acme.pk, [(item.pk, amount)], reason, by=cast.as_(cast.anna), opened_on=opened)
        assign_case(case.pk, by=cast.as_(cast.theo), department_code="sales", resolver=cast.rita)
        resolve_case(case.pk, resolution, by=cast.as_(cast.rita), root_cause_code=root_cause, on_date=resolved,
                     accepted_amount="20.00" if resolution == "partial" else None)
    open_dispute(cast.acme.pk, [(extra[1].pk, "80.00")], "damaged", by=cast.as_(cast.anna),
                 opened_on=date(2026, 3, 10))
    return cast


def test_the_dispute_report_for_march(history):  # type: ignore[no-untyped-def]
    report = dispute_analytics(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 4, 15))

    assert report.resolved_in_period == 3 and report.opened_in_period == 4
    assert (report.cycle_time.mean, report.cycle_time.median) == (Decimal("16") / 3, Decimal(4))
    by_reason = {row.key: (row.summary.count, row.summary.median) for row in report.cycle_by["reason"]}
    assert by_reason == {"Pricing": (2, Decimal(3)), "Quantity": (1, Decimal(10))}
    assert [(r.key, int(r.value)) for r in report.pareto_count] == [("Pricing master data", 2),
                                                                    ("Customer process", 1)]
    assert report.pareto_amount["EUR"][0].value == Decimal("350.00")
    assert report.resolutions == {"accepted": 1, "partial": 1, "rejected": 1, "written_off": 0, "withdrawn": 0}
    assert report.valid_share.quantize(Decimal("0.01")) == Decimal("66.67")
    # INV-1, INV-2 (February) are outside the period: 3 March invoices issued, 2 of them disputed
    assert (report.invoices_issued, report.invoices_disputed) == (3, 2)
    # The damaged-goods case (15 business days from 10 March) is due 31 March: late on 15 April
    assert report.open_count == 1 and report.open_by_deadline == {"on_time": 0, "due_soon": 0, "late": 1}
    assert report.open_by_age[3]["bucket"] == "31-60" and report.open_by_age[3]["count"] == 1  # 36 days


def test_report_disputes_command_as_json_and_xlsx(history, tmp_path, capsys):  # type: ignore[no-untyped-def]
    call_command("report", "disputes", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["cycle_time_days"] == {"count": 3, "mean": "5.33", "median": "4.0", "longest": 10}
    assert data["valid_share_percent"] == "66.67"

    target = tmp_path / "disputes.xlsx"
    call_command("report", "disputes", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "xlsx",
                 "-o", str(target))
    book = load_workbook(target)
    assert book.sheetnames == ["Summary", "Open cases by age", "Cycle time", "Root causes"]
    assert book["Root causes"]["A2"].value == "Pricing master data" and book["Root causes"]["B2"].value == 2


def test_the_json_form_matches_the_report(history):  # type: ignore[no-untyped-def]
    data = as_dict(dispute_analytics(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 3, 31)))
    assert data["open"]["count"] == 1
    assert data["disputed_amount_opened"] == {"EUR": "530.00"}
