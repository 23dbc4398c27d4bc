"""The daily cycle over the demo generator's files: every step runs, and running the day twice adds nothing."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.cashapp.models import BankLine
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank
from incasso.ledger.models import EntityBankAccount, Item
from incasso.operations.daily import run_daily_cycle
from incasso.reports.models import AgingSnapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(tmp_path):
    profile = PROFILES["demo"].scaled(customers=60, open_items=300, cleared_items=300, groups=2)
    generate(profile, tmp_path, seed=5, as_of=date(2026, 11, 18))
    generate_bank(tmp_path, seed=5, as_of=date(2026, 11, 18), days=2)
    import csv

    with open(tmp_path / "users.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            create_user_with_roles(row["username"], "x" * 12, [Role(r) for r in row["roles"].split(";") if r],
                                   by=SYSTEM)
    return tmp_path


def test_the_day_runs_every_step_and_a_second_run_adds_nothing(inbox):
    report = run_daily_cycle(date(2026, 11, 20), by=SYSTEM, inbox=inbox, out=StringIO())
    outcomes = dict((step, outcome) for step, outcome, _seconds in report.steps)
    assert not [step for step in report.failed if step != "dunning proposal"], report.lines()
    assert outcomes["import items"] == "done"
    assert outcomes["entity bank accounts"].endswith("already known")
    assert EntityBankAccount.objects.exists()
    lines = BankLine.objects.count()
    assert lines > 0
    assert AgingSnapshot.objects.filter(as_of=date(2026, 11, 20)).count() == 1
    items = Item.objects.count()

    run_daily_cycle(date(2026, 11, 20), by=SYSTEM, inbox=inbox, out=StringIO())
    assert BankLine.objects.count() == lines
    assert Item.objects.count() == items
