"""CSV/XLSX bank statements with a saved column mapping: screen with preview, CLI, upload, matching."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, Actor
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import run_matching
from incasso.cashapp.actions.mappings import save_mapping
from incasso.cashapp.choices import LineState
from incasso.cashapp.errors import CashError
from incasso.cashapp.models import BankAccountStatement, BankFile, BankFileMapping, BankLine
from incasso.cashapp.tests.samples import OUR_IBAN, acme, acme_invoices, our_entity
from incasso.cashapp.tests.test_cash_actions_cli import _call
from incasso.cashapp.tests.test_cash_views import a_user
from incasso.ledger.models import EntityBankAccount

pytestmark = pytest.mark.django_db

EXPORT = """Relevé de compte;FR7630004000031234567890143
Date;Date valeur;Libellé;Tiers;Débit;Crédit
02/03/2026;02/03/2026;VIR FA20260001;ACME BATIMENT SARL;;1 200,00
02/03/2026;02/03/2026;FRAIS;;12,50;
03/03/2026;03/03/2026;VIR FA20260002;ACME BATIMENT SARL;;830,40
""".encode("cp1252")
FORM = {"name": "ca-releve", "header_line": "2", "booking_date": "Date", "value_date": "Date valeur",
        "sign_convention": "debit_credit", "debit": "Débit", "credit": "Crédit", "remittance": "Libellé",
        "counterparty_name": "Tiers", "date_format": "%d/%m/%Y", "decimal_separator": ",",
        "credit_markers": "C"}


def _mapping() -> BankFileMapping:
    account = EntityBankAccount.objects.get(iban=OUR_IBAN)
    return save_mapping({**FORM, "header_line": 2, "bank_account": account}, by=SYSTEM)


def test_the_mapping_screen_previews_a_sample_then_saves_with_an_audit_event(client):
    our_entity()
    account = EntityBankAccount.objects.get(iban=OUR_IBAN)
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    # preview with a sample file: the raw lines and what the mapping reads from them
    response = client.post(reverse("cashapp:mapping_new"), {
        **FORM, "bank_account": account.pk, "preview": "1",
        "sample": SimpleUploadedFile("releve.csv", EXPORT)})
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "VIR FA20260001" in html and "1200.00 EUR" in html and "12.50 EUR" in html
    assert not BankFileMapping.objects.exists()
    carried = json.loads(response.context["form"].data["sample_rows"])
    # a wrong date format, previewed again from the carried sample (no new upload), names line and column
    response = client.post(reverse("cashapp:mapping_new"), {
        **FORM, "date_format": "%Y.%m.%d", "bank_account": account.pk, "preview": "1",
        "sample_rows": json.dumps(carried)})
    assert "releve.csv:3: column Date: &#x27;02/03/2026&#x27; is not a date in the format %Y.%m.%d" in \
        response.content.decode()
    # saving
    response = client.post(reverse("cashapp:mapping_new"), {**FORM, "bank_account": account.pk, "save": "1"})
    assert response.status_code == 302
    mapping = BankFileMapping.objects.get()
    assert (mapping.bank_account, mapping.sign_convention, mapping.updated_by.username) == (
        account, "debit_credit", "carla")
    assert AuditEvent.objects.filter(kind=EventKind.BANK_MAPPING_SAVED, subject_id=str(mapping.pk)).exists()
    assert "ca-releve" in client.get(reverse("cashapp:mappings")).content.decode()
    # a mapping that could not read any file is refused
    response = client.post(reverse("cashapp:mapping_edit", args=[mapping.pk]),
                           {**FORM, "credit": "", "bank_account": account.pk, "save": "1"})
    assert response.status_code == 400 and "debit and credit columns are required" in response.content.decode()


def test_cli_import_with_mapping_then_matching_applies_the_lines(tmp_path):
    customer = acme(our_entity())
    first, second = acme_invoices(customer)
    _mapping()
    path = tmp_path / "releve.csv"
    path.write_bytes(EXPORT)
    out, err, code = _call("bank", "import", str(path), "--mapping", "ca-releve")
    assert code == 0, err
    assert "releve.csv: 1 statement(s), added 3 line(s), 0 duplicate(s) skipped" in out
    statement = BankAccountStatement.objects.get()
    assert (statement.format, statement.account, statement.entity.code) == ("csv", OUR_IBAN, "FR01")
    lines = list(BankLine.objects.order_by("sequence"))
    assert [(line.amount, line.sign, line.booking_date) for line in lines] == [
        (Decimal("1200.00"), "CRDT", date(2026, 3, 2)), (Decimal("12.50"), "DBIT", date(2026, 3, 2)),
        (Decimal("830.40"), "CRDT", date(2026, 3, 3))]
    # the same export again adds nothing, an overlapping export only its new line
    out, _err, _code = _call("bank", "import", str(path), "--mapping", "ca-releve")
    assert "already imported" in out
    (tmp_path / "next.csv").write_bytes(EXPORT + "04/03/2026;04/03/2026;VIR;X;;5,00\n".encode("cp1252"))
    out, _err, _code = _call("bank", "import", str(tmp_path / "next.csv"), "--mapping", "ca-releve")
    assert "added 1 line(s), 3 duplicate(s) skipped" in out
    run_matching(date(2026, 3, 4), by=SYSTEM)
    first.refresh_from_db()
    assert BankLine.objects.get(amount=Decimal("1200.00")).state in (LineState.APPLIED, LineState.PROPOSED)


def test_a_bad_row_rejects_the_whole_file_with_file_line_column(tmp_path):
    our_entity()
    _mapping()
    path = tmp_path / "bad.csv"
    path.write_bytes(EXPORT + "05/03/2026;;VIR;X;;douze\n31/02/2026;;VIR;Y;;1,00\n".encode("cp1252"))
    _out, err, code = _call("bank", "import", str(path), "--mapping", "ca-releve")
    assert code == 1
    assert "bad.csv:6: column Crédit: 'douze' is not an amount with ',' as decimal separator" in err
    assert "bad.csv:7: column Date: '31/02/2026' is not a date in the format %d/%m/%Y" in err
    assert not BankFile.objects.exists() and not BankLine.objects.exists()
    _out, err, code = _call("bank", "import", str(path), "--mapping", "nope")
    assert code == 1 and "no column mapping named 'nope' (known: ca-releve)" in err


def test_upload_page_reads_an_xlsx_with_the_chosen_mapping(client):
    our_entity()
    mapping = _mapping()
    mapping.header_line = 1
    mapping.save()
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Date valeur", "Libellé", "Tiers", "Débit", "Crédit"])
    sheet.append([date(2026, 3, 2), date(2026, 3, 2), "VIR FA20260001", "ACME", None, 1200])
    out = io.BytesIO()
    book.save(out)
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    response = client.post(reverse("cashapp:upload"), {
        "files": [SimpleUploadedFile("export.xlsx", out.getvalue())], "mapping": "ca-releve"})
    assert response.status_code == 200
    assert "export.xlsx: 1 statement(s), added 1 line(s)" in response.content.decode()
    assert BankAccountStatement.objects.get().format == "xlsx"


def test_a_reader_cannot_save_a_mapping():
    our_entity()
    with pytest.raises(CashError):
        save_mapping({"name": "x", "booking_date": "Date", "amount": "Betrag",
                      "bank_account": EntityBankAccount.objects.get()},
                     by=Actor.of(a_user("clara", Role.CONTROLLER)))
