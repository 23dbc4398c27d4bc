"""Control totals tie out on a sound ledger and name the check and the amount when they do not."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from incasso.audit.events import SYSTEM
from incasso.cashapp.actions import import_statement_bytes, run_matching
from incasso.cashapp.tests.samples import ACME_IBAN, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.ledger.models import Item
from incasso.reports.controls import failures, run_checks
from incasso.reports.kpis import KpiParams, kpi_table
from incasso.reports.tests.kpi_story import a_march_ledger, april_happens
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db
D = Decimal


def checks_by_code(checks):  # type: ignore[no-untyped-def]
    return {(c.code, c.currency): c for c in checks}


def test_a_sound_ledger_ties_out_today_and_at_a_past_date():
    story = a_march_ledger(disputes=False)
    april_happens(story)

    for as_of in (date(2026, 3, 31), date(2026, 4, 30)):
        checks = run_checks(as_of)
        assert failures(checks) == []
    march = checks_by_code(run_checks(date(2026, 3, 31)))
    assert march[("aging_equals_open_items", "EUR")].actual == D("3500.00")
    assert march[("open_items_equal_balances", "EUR")].expected == D("3500.00")


def test_an_open_amount_without_its_clearing_history_fails_the_aging_check_by_the_gap():
    story = a_march_ledger(disputes=False)
    # the ERP sent an invoice as 60.00 open of 100.00 but never the clearing of the other 40.00
    an_item(story.dupont, "INV-X", amount="100.00", open_amount="60.00", document_date=date(2026, 3, 2))

    (failed,) = failures(run_checks(date(2026, 3, 31)))

    assert (failed.code, failed.currency, failed.difference) == ("aging_equals_open_items", "EUR", D("-40.00"))


def _bank_story():  # type: ignore[no-untyped-def]
    entity = our_entity()
    customer = acme(entity)
    acme_invoices(customer)
    report = import_statement_bytes(camt053(
        camt053_entry("1200.00", ref="A1", name="ACME BATIMENT SARL", iban=ACME_IBAN, rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
        camt053_entry("12.50", ref="F1", sign="DBIT", text="bank fee"),
        opening="0", closing="0"), "statement.xml", by=SYSTEM)
    assert report.statements
    run_matching(date(2026, 3, 3), by=SYSTEM)
    return entity


def test_bank_credits_are_applied_or_unapplied_and_the_auto_match_rate_counts_them():
    _bank_story()

    check = checks_by_code(run_checks(date(2026, 3, 31)))[("bank_credits_accounted", "EUR")]
    (row,) = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31))).auto_match

    assert (check.expected, check.actual, check.passed) == (D("2030.40"), D("2030.40"), True)
    assert (row.credit_lines, row.auto_applied, row.rate.value) == (2, 1, D("50.00"))


def test_cash_that_went_missing_between_bank_and_ledger_fails_by_the_missing_amount():
    _bank_story()
    payment = Item.objects.get(kind="payment")
    # a payment edited outside cash application: 1,200.00 booked at the bank, 1,150.00 in the ledger
    Item.objects.filter(pk=payment.pk).update(amount=D("1150.00"), open_amount=D("0.00"))

    failed = [c for c in failures(run_checks(date(2026, 3, 31))) if c.code == "bank_credits_accounted"]

    assert [(c.currency, c.difference) for c in failed] == [("EUR", D("-50.00"))]


def test_validate_command_prints_the_checks_and_fails_naming_the_broken_one():
    story = a_march_ledger(disputes=False)
    out = io.StringIO()
    call_command("report", "validate", "--as-of", "2026-03-31", stdout=out)
    assert "OK   aging_equals_open_items" in out.getvalue()
    assert "3,500.00" in out.getvalue()

    an_item(story.dupont, "INV-X", amount="100.00", open_amount="60.00", document_date=date(2026, 3, 2))
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"aging_equals_open_items EUR off by -40.00"):
        call_command("report", "validate", "--as-of", "2026-03-31", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    assert [c["passed"] for c in data["checks"]] == [False, True]
