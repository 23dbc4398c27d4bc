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

from incasso.accounts.models import ApiToken
from incasso.audit.models import AuditEvent
from incasso.cashapp.models import BankAccountStatement, BankFileMapping, BankLine, RemittanceAdvice
from incasso.collections.choices import PlanStatus
from incasso.collections.models import Instalment, PaymentPlan
from incasso.demo.generator.extras import CSV_MAPPING
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item, LegalEntity
from incasso.reports.models import AgingSnapshot, CashTarget

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

    # and the CSV export was read with its saved mapping, into a statement of the mapping's account
    mapping = BankFileMapping.objects.get(name=CSV_MAPPING["name"])
    csv_statement = BankAccountStatement.objects.get(format="csv")
    export = next((tmp_path / "bank_csv" / mapping.name).iterdir())
    assert csv_statement.lines.count() == len(export.read_text(encoding="utf-8").splitlines()) - 1 > 0
    # and every remittance advice was imported and linked to the bank line it describes
    advices = RemittanceAdvice.objects.all()
    assert advices.count() > 0 and not advices.filter(line=None).exists()
    # and the payment plans are in the states the demo shows, the first instalment of the active one kept
    plans = {plan.status: plan for plan in PaymentPlan.objects.order_by("pk")}
    assert set(plans) == {PlanStatus.ACTIVE, PlanStatus.BROKEN, PlanStatus.PROPOSED}
    assert PaymentPlan.objects.filter(status=PlanStatus.PROPOSED).count() == 2
    first = Instalment.objects.get(plan=plans[PlanStatus.ACTIVE], number=1)
    assert first.status == "kept"
    assert "missed" in plans[PlanStatus.BROKEN].end_reason
    assert AuditEvent.objects.filter(kind="collections.plan_proposed").count() == 4
    # and the monthly cash targets of the file, each set with its audit event
    with open(tmp_path / "cash_targets.csv", newline="", encoding="utf-8") as handle:
        targets = list(csv.DictReader(handle))
    assert CashTarget.objects.count() == len(targets) == AuditEvent.objects.filter(kind="report.cash_target").count()
    # and the summary says so, with the controller's API token printed once
    assert "Payment plans: 1 active, 1 broken, 2 proposed" in output
    assert f"Cash targets: {len(targets)} " in output
    assert f"Remittance advices: {advices.count()} of {advices.count()} linked" in output
    token = re.search(r"^API token of paul .*: (inc_\S+)$", output, re.MULTILINE)
    assert token and ApiToken.objects.filter(user__username="paul", prefix=token.group(1)[:10]).exists()


def test_running_the_demo_again_changes_no_ledger_data(tmp_path: Path) -> None:
    # given a demo already built
    run_demo(tmp_path)
    items_before = sorted(Item.objects.values_list("entity__code", "kind", "number", "open_amount"))
    kinds = ("collections.plan_proposed", "report.cash_target", "accounts.token_created", "cash.mapping",
             "cash.remittance_linked", "cash.statement_imported", "allocation.created")
    events_before = {kind: AuditEvent.objects.filter(kind=kind).count() for kind in kinds}
    plans_before = sorted(PaymentPlan.objects.values_list("pk", "status"))
    advices_before = RemittanceAdvice.objects.count()
    # when it is built again
    output = run_demo(tmp_path)
    # then the imports found everything unchanged and the ledger is the same
    assert "items.csv: 12000 rows, created 0, updated 0, unchanged 12000" in output
    assert sorted(Item.objects.values_list("entity__code", "kind", "number", "open_amount")) == items_before
    assert AgingSnapshot.objects.count() == 2
    # and no plan, target, token, mapping, advice, statement or allocation was added again
    assert sorted(PaymentPlan.objects.values_list("pk", "status")) == plans_before
    assert {kind: AuditEvent.objects.filter(kind=kind).count() for kind in kinds} == events_before
    assert RemittanceAdvice.objects.count() == advices_before
    assert "Payment plans: already there, none added" in output
    assert "incasso api token create --user paul" in output
