"""Remittance advices: imported (CSV/XLSX, X12 820), linked to the payment they describe, and
matching uses their invoice list with the explanation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import apply_match, run_matching
from incasso.cashapp.actions.remittances import import_remittance_bytes
from incasso.cashapp.choices import ResidualKind
from incasso.cashapp.models import Deduction, MatchProposal, RemittanceAdvice
from incasso.cashapp.tests.samples import acme, acme_invoices, camt053_entry, our_entity
from incasso.cashapp.tests.test_cash_actions import _import, _queued
from incasso.cashapp.tests.test_cash_actions_cli import _call
from incasso.cashapp.tests.test_cash_views import a_user
from incasso.core.bank.tabular import TabularError

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 3)

ADVICE = """payment_reference;payment_date;payer;invoice;paid;deduction;deduction_reason;amount
PAY-77;2026-03-01;Acme Bâtiment;FA20260001;1200,00;;;1980,40
PAY-77;2026-03-01;Acme Bâtiment;FA20260002;780,40;50,00;palettes abîmées;1980,40
""".encode()
EDI_820 = (
    b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*PAYEE          *260301*1200*U*00401*000000001*0*P*>~"
    b"GS*RA*PAYER*PAYEE*20260301*1200*1*X*004010~ST*820*0001~BPR*C*830.40*C*ACH*CTX***********20260301~"
    b"TRN*1*TRACE42~CUR*PR*EUR~N1*PR*ACME BATIMENT SARL~N1*PE*INCASSO FRANCE*92*V123~"
    b"RMR*IV*FA20260002**830.40*830.40~SE*8*0001~GE*1*1~IEA*1*000000001~"
)


def test_a_csv_advice_links_to_its_payment_and_drives_the_match_with_its_deduction():
    # given Acme pays 1980.40 for both invoices, the bank line saying nothing but the payment reference
    customer = acme(our_entity())
    first, second = acme_invoices(customer)
    [line] = _import(camt053_entry("1980.40", ref="B1", name="ACME BATIMENT SARL", text="PAY-77 VIREMENT MARS"))
    # when the advice arrives, it is linked to the line by amount, reference and payer
    report = import_remittance_bytes(ADVICE, "acme-advice.csv", by=SYSTEM)
    assert (report.added, len(report.linked)) == (1, 1), report.unlinked
    advice = RemittanceAdvice.objects.get()
    assert advice.line == line and advice.amount == Decimal("1980.40") and advice.reference == "PAY-77"
    assert "reference PAY-77 found in the line's text" in advice.link_reason
    assert "amount 1980.40 EUR equal" in advice.link_reason
    assert advice.documents[1] == ["FA20260002", "780.40", "50.00", "palettes abîmées"]
    assert AuditEvent.objects.filter(kind=EventKind.REMITTANCE_LINKED, subject_id=str(line.pk)).exists()
    # and the matching run uses the advice's invoice list, saying so
    run_matching(AS_OF, by=SYSTEM)
    proposal = MatchProposal.objects.get(line=line)
    assert f"invoice list from remittance advice {advice.number}" in proposal.reason
    assert "remittance advice names FA20260001" in proposal.reason
    assert {int(a["item_id"]) for a in proposal.allocations} == {first.pk, second.pk}
    # the same file again adds nothing
    again = import_remittance_bytes(ADVICE, "acme-advice.csv", by=SYSTEM)
    assert (again.added, again.already) == (0, 1)
    assert AuditEvent.objects.filter(kind=EventKind.REMITTANCE_IMPORTED).count() == 1  # none for the repeat


def test_the_deduction_of_an_applied_advice_carries_the_payers_reason():
    customer = acme(our_entity())
    first, second = acme_invoices(customer)
    [line] = _import(camt053_entry("1980.40", ref="B1", name="ACME BATIMENT SARL", text="PAY-77"))
    import_remittance_bytes(ADVICE, "acme-advice.csv", by=SYSTEM)
    proposal = _queued(line, customer, [(first, "1200.00", "0"), (second, "780.40", "0")], residual="50.00",
                       kind=ResidualKind.SHORT_PAYMENT)
    apply_match(proposal.pk, by=SYSTEM, idempotency_key="k")
    deduction = Deduction.objects.get()
    assert (deduction.item, deduction.amount) == (second, Decimal("50.00"))
    assert deduction.reason.startswith("palettes abîmées (50.00 EUR) (stated in the remittance advice); ")


def test_an_820_advice_imported_before_its_payment_is_linked_by_the_next_run(tmp_path):
    customer = acme(our_entity())
    _first, second = acme_invoices(customer)
    path = tmp_path / "acme.edi"
    path.write_bytes(EDI_820)
    out, err, code = _call("bank", "remittance", str(path))
    assert code == 0, err
    assert "1 remittance advice(s) added, 0 already imported, 0 linked to a bank line, 1 waiting" in out
    advice = RemittanceAdvice.objects.get()
    assert (advice.format, advice.reference, advice.payer_name, advice.payment_date) == (
        "x12-820", "TRACE42", "ACME BATIMENT SARL", date(2026, 3, 1))
    assert advice.link_reason.startswith("not linked: no open bank credit of 830.40 EUR")
    [line] = _import(camt053_entry("830.40", ref="B2", name="Acme Batiment", text="TRACE42"))
    report = run_matching(AS_OF, by=SYSTEM)
    advice.refresh_from_db()
    assert advice.line == line and report.advices_linked == 1
    line.refresh_from_db()
    proposal = MatchProposal.objects.get(line=line)
    assert "remittance advice RA-" in proposal.reason and proposal.allocations[0]["item_id"] == second.pk


def test_two_equal_payments_without_reference_are_not_guessed_and_are_linked_by_hand(client):
    acme(our_entity())
    one, two = _import(camt053_entry("830.40", ref="C1", text="VIR"), camt053_entry("830.40", ref="C2", text="VIR"))
    data = b"payment_date;payer;invoice;paid\n02/03/2026;Somebody Else;FA20260002;830,40\n"
    report = import_remittance_bytes(data, "other.csv", by=SYSTEM)
    assert report.linked == [] and "none shows the advice's reference, IBAN or payer name" in report.unlinked[0]
    advice = RemittanceAdvice.objects.get()
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    page = client.get(reverse("cashapp:remittances") + "?state=unlinked").content.decode()
    assert advice.number in page and "Link to C1" in page and "Link to C2" in page
    response = client.post(reverse("cashapp:link_remittance", args=[advice.pk]), {"line": two.pk})
    assert response.status_code == 302
    advice.refresh_from_db()
    assert advice.line == two and advice.link_reason == "linked by hand by carla"
    assert not RemittanceAdvice.objects.filter(line=one).exists()


def test_a_bad_advice_file_is_rejected_whole_with_file_line_column(client):
    our_entity()
    data = (b"payment_reference;payment_date;payer;invoice;paid\nP1;2026-03-01;Acme;FA1;100,00\n"
            b"P1;2026-13-01;Acme;FA2;abc\n")
    with pytest.raises(TabularError) as error:
        import_remittance_bytes(data, "bad.csv", by=SYSTEM)
    assert "bad.csv:3: column payment_date: '2026-13-01' is not a date" in str(error.value)
    assert "bad.csv:3: column paid: 'abc' is not an amount" in str(error.value)
    assert not RemittanceAdvice.objects.exists()
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    response = client.post(reverse("cashapp:remittances"), {"files": [SimpleUploadedFile("bad.csv", data)]})
    assert response.status_code == 400 and "bad.csv:3: column paid" in response.content.decode()
