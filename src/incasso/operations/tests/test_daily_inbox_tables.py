"""The daily cycle reads CSV bank exports with the saved mapping their folder names, and imports
remittance advices before the matching run, which then applies the advice's invoice list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest

from incasso.audit.events import SYSTEM
from incasso.cashapp.actions.mappings import save_mapping
from incasso.cashapp.models import BankLine, RemittanceAdvice
from incasso.cashapp.tests.samples import ACME_IBAN, acme, our_entity
from incasso.ledger.models import EntityBankAccount
from incasso.operations.daily import run_daily_cycle
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db

EXPORT = (
    "Datum;Betrag;Auftraggeber;IBAN;Verwendungszweck;Referenz\n"
    "02.03.2026;1200,00;ACME SARL;{iban};Virement;BANK-1\n"
    "02.03.2026;300,00;ACME SARL;{iban};Facture F-3;BANK-2\n"
)
ADVICE = (
    "payment_date,payer,payer_iban,invoice,paid,amount,currency\n"
    "2026-03-02,ACME SARL,{iban},F-1,700.00,1200.00,EUR\n"
    "2026-03-02,ACME SARL,{iban},F-2,500.00,1200.00,EUR\n"
)


def test_the_cycle_imports_mapped_exports_and_advices_and_applies_by_the_advice(tmp_path: Path) -> None:
    # given an entity account whose bank exports CSV, read with the saved mapping "acme-bank"
    entity = our_entity()
    account = EntityBankAccount.objects.get(entity=entity)
    save_mapping({"name": "acme-bank", "bank_account": account, "booking_date": "Datum", "amount": "Betrag",
                  "counterparty_name": "Auftraggeber", "counterparty_iban": "IBAN", "remittance": "Verwendungszweck",
                  "bank_reference": "Referenz", "date_format": "%d.%m.%Y", "decimal_separator": ",",
                  "sign_convention": "signed"}, by=SYSTEM)
    customer = acme(entity)
    first = an_item(customer, "F-1", amount="700.00", due_date=date(2026, 2, 28))
    second = an_item(customer, "F-2", amount="500.00", due_date=date(2026, 2, 28))
    third = an_item(customer, "F-3", amount="300.00", due_date=date(2026, 2, 28))
    # and an inbox with the export in bank_csv/acme-bank/ and an advice for the payment without reference
    (tmp_path / "bank_csv" / "acme-bank").mkdir(parents=True)
    (tmp_path / "bank_csv" / "acme-bank" / "export.csv").write_text(EXPORT.format(iban=ACME_IBAN), encoding="utf-8")
    (tmp_path / "remittance").mkdir()
    (tmp_path / "remittance" / "advice.csv").write_text(ADVICE.format(iban=ACME_IBAN), encoding="utf-8")

    # when the day runs
    report = run_daily_cycle(date(2026, 3, 3), by=SYSTEM, inbox=tmp_path, out=StringIO())

    # then the export was read with the mapping, the advice imported before cash application, in order
    outcomes = {step: outcome for step, outcome, _seconds in report.steps}
    steps = [step for step, _outcome, _seconds in report.steps]
    assert outcomes["import 1 acme-bank exports"] == "done"
    assert outcomes["import 1 remittance advice files"] == "done"
    assert steps.index("import 1 acme-bank exports") < steps.index("import 1 remittance advice files") \
        < steps.index("cash application")
    assert not report.failed
    assert sorted(BankLine.objects.values_list("amount", flat=True)) == [Decimal("300.00"), Decimal("1200.00")]
    # and the advice is linked to its line, whose two invoices it paid; the referenced invoice paid too
    advice = RemittanceAdvice.objects.get()
    assert advice.line is not None and advice.line.amount == Decimal("1200.00")
    for item in (first, second, third):
        item.refresh_from_db()
        assert item.open_amount == 0, item.number
