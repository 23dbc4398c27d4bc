"""``incasso demo`` end to end on the test database: generate, import, snapshot, summary that ties out."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from incasso.cashapp.models import BankLine
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item, LegalEntity
from incasso.reports.models import AgingSnapshot

pytestmark = pytest.mark.django_db


def run_demo(out: Path) -> str:
    stdout = StringIO()
    call_command("demo", "--no-serve", "--as-of", "2026-11-20", "--out", str(out), stdout=stdout)
    return stdout.getvalue()


def amount_after(label: str, text: str) -> Decimal:
    match = re.search(rf"^  {label} +([-\d,.]+)$", text, re.MULTILINE)
    assert match, f"no line for {label} in the summary"
    return Decimal(match.group(1).replace(",", ""))


def test_demo_builds_a_ledger_whose_summary_ties_out_to_the_database(tmp_path: Path) -> None:
    # when the demo is built as of 20 November 2026
    output = run_demo(tmp_path)

    # then the files were written and imported
    assert (tmp_path / "items.csv").exists() and (tmp_path / "customers_truth.csv").exists()
    open_items = Item.objects.exclude(open_amount=0)
    assert LegalEntity.objects.count() == 6
    assert Customer.objects.count() == 600
    # every ERP document is in the ledger; cash application added the payments it posted
    with open(tmp_path / "items.csv", newline="", encoding="utf-8") as handle:
        erp_documents = {(row["entity"], row["kind"], row["number"]) for row in csv.DictReader(handle)}
    assert len(erp_documents) == 12_000
    assert erp_documents <= set(Item.objects.values_list("entity__code", "kind", "number"))
    # (one payment per posted bank line, plus the small difference items of tolerated write-offs)
    posted_by_cash_application = Item.objects.count() - 12_000
    assert posted_by_cash_application >= BankLine.objects.exclude(payment_item=None).count() > 0
    assert f"6 entities, 600 customers, {open_items.count()} open items" in output

    # and the printed open balance per currency is the sum of the signed open amounts
    expected: dict[str, Decimal] = {}
    for kind, currency, open_amount in open_items.values_list("kind", "currency", "open_amount"):
        signed = -open_amount if kind in CREDIT_KINDS else open_amount
        expected[currency] = expected.get(currency, Decimal(0)) + signed
    assert set(expected) == {"EUR", "GBP", "RON"}
    balance_part, aging_part = output.split("Aging by due date per currency:")
    for currency, total in expected.items():
        assert amount_after(currency, balance_part) == total

    # and the aging snapshot's buckets add up to the same balance, with money in overdue buckets
    snapshot = AgingSnapshot.objects.get()
    for currency, total in expected.items():
        row = re.search(rf"^  {currency} (.+)$", aging_part, re.MULTILINE)
        assert row
        cells = [Decimal(cell.replace(",", "")) for cell in row.group(1).split()]
        assert sum(cells[:-1]) == cells[-1] == total
        assert sum(line.amount for line in snapshot.lines.filter(currency=currency)) == total
        assert sum(cells[1:-1]) > 0  # something is overdue

    # and every demo user can log in with the demo password, collectors own portfolios
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="ioana").check_password("demo")
    assert users.get(username="ioana").portfolio.exists()
    for login in ("admin", "ioana", "andrei", "alexandru", "diana", "paul", "sorin", "bianca", "marc"):
        assert re.search(rf"^  {login} ", output, re.MULTILINE), login


def test_running_the_demo_again_changes_no_ledger_data(tmp_path: Path) -> None:
    # given a demo already built
    run_demo(tmp_path)
    items_before = sorted(Item.objects.values_list("entity__code", "kind", "number", "open_amount"))
    # when it is built again
    output = run_demo(tmp_path)
    # then the imports found everything unchanged and the ledger is the same
    assert "items.csv: 12000 rows, created 0, updated 0, unchanged 12000" in output
    assert sorted(Item.objects.values_list("entity__code", "kind", "number", "open_amount")) == items_before
    assert AgingSnapshot.objects.count() == 2
