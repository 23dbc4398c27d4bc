"""Cash application screens: upload with its report, statements, the queue, the side panel, unapplied cash."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.cashapp.actions import import_statement_bytes, run_matching
from incasso.cashapp.choices import LineState, ProposalStatus
from incasso.cashapp.models import BankLine, MatchProposal
from incasso.cashapp.tests.samples import ACME_IBAN, MT940, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.ledger.models import Item

pytestmark = pytest.mark.django_db


def a_user(username: str, *roles: Role):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM)


@pytest.fixture
def cash(client):  # type: ignore[no-untyped-def]
    client.force_login(a_user("carla", Role.CASH_APPLICATION))
    return client


@pytest.fixture
def worked_statement():  # type: ignore[no-untyped-def]
    """Acme's statement after a matching run: one line applied, one queued, one unidentified."""
    entity = our_entity()
    customer = acme(entity)
    invoices = acme_invoices(customer)
    import_statement_bytes(camt053(
        camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
        camt053_entry("99.00", ref="A3", name="Nobody Known GmbH"),
        opening="0", closing="2129.40"), "march.xml", by=SYSTEM)
    run_matching(date(2026, 3, 3), by=SYSTEM)
    return type("Worked", (), {"entity": entity, "customer": customer, "invoices": invoices})


def test_upload_of_several_files_shows_the_report_with_duplicates_and_warnings(cash):
    our_entity()
    files = [SimpleUploadedFile("march-3.sta", MT940),
             SimpleUploadedFile("march-3-resent.sta", MT940 + b"\n"),
             SimpleUploadedFile("off.xml", camt053(camt053_entry("5.00", ref="X"), opening="0", closing="9.99"))]
    response = cash.post(reverse("cashapp:upload"), {"files": files})
    html = response.content.decode()
    assert response.status_code == 200
    assert "march-3.sta: 1 statement(s), added 3 line(s), 0 duplicate(s) skipped" in html
    assert "march-3-resent.sta: 1 statement(s), added 0 line(s), 3 duplicate(s) skipped" in html
    assert html.count("Duplicate skipped") == 3
    assert "Balance mismatch" in html and "do not reconcile" in html
    assert BankLine.objects.count() == 4


def test_an_unreadable_upload_says_which_file_and_where(cash):
    response = cash.post(reverse("cashapp:upload"), {"files": [SimpleUploadedFile("notes.txt", b"hello")]})
    assert response.status_code == 400
    assert "notes.txt: line 1:" in response.content.decode()


def test_the_queue_shows_proposals_with_reason_and_confidence_and_filters_in_the_url(cash, worked_statement,
                                                                                      django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = cash.get(reverse("cashapp:queue"))
    html = response.content.decode()
    queued = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, customer__isnull=False)
    assert f'id="line-{queued.line_id}"' in html and escape(queued.reason) in html
    assert reverse("cashapp:accept", args=[queued.pk]) in html and 'name="key"' in html
    assert "Payer not identified" in html  # the unidentified line is in the queue too
    applied = BankLine.objects.get(bank_reference="A1")
    assert f'id="line-{applied.pk}"' not in html  # done lines leave the queue
    response = cash.get(reverse("cashapp:queue"), {"state": "applied"})
    assert f'id="line-{applied.pk}"' in response.content.decode()
    response = cash.get(reverse("cashapp:queue"), {"min_confidence": "0.99"})
    assert f'id="line-{queued.line_id}"' not in response.content.decode()


def test_the_queue_costs_the_same_queries_for_many_lines(cash, worked_statement, django_assert_max_num_queries):
    entries = [camt053_entry(f"{n}.00", ref=f"M{n}", name=f"Payer {n}") for n in range(10, 40)]
    import_statement_bytes(camt053(*entries, statement_id="MORE", opening="0", closing="0"), "more.xml", by=SYSTEM)
    run_matching(date(2026, 3, 3), by=SYSTEM)
    with django_assert_max_num_queries(12):
        response = cash.get(reverse("cashapp:queue"))
    assert response.content.decode().count('data-state="') >= 30


def test_accept_applies_and_a_repost_of_the_same_form_changes_nothing(cash, worked_statement):
    queued = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, customer__isnull=False)
    url = reverse("cashapp:accept", args=[queued.pk])
    response = cash.post(url, {"key": "form-abc", "next": "/cash/?state=proposed"})
    assert response.status_code == 302 and response["Location"] == "/cash/?state=proposed"
    cash.post(url, {"key": "form-abc"})
    line = BankLine.objects.get(pk=queued.line_id)
    assert line.state == LineState.APPLIED
    assert Item.objects.get(number="FA20260002").open_amount == 0
    other_tab = cash.post(url, {"key": "form-xyz"}, follow=True)
    assert "already accepted" in other_tab.content.decode()


def test_reject_without_a_reason_is_refused_and_with_one_puts_the_line_back(cash, worked_statement):
    queued = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, customer__isnull=False)
    url = reverse("cashapp:reject", args=[queued.pk])
    assert "Say why" in cash.post(url, {"reason": ""}, follow=True).content.decode()
    cash.post(url, {"reason": "sister company paid"})
    queued.refresh_from_db()
    assert queued.status == ProposalStatus.REJECTED


def test_the_side_panel_finds_open_items_and_splits_a_line_by_hand(cash, worked_statement):
    line = BankLine.objects.get(bank_reference="A3")
    url = reverse("cashapp:allocate", args=[line.pk])
    panel = cash.get(url, {"q": "C-100"}, HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "<html" not in html and "FA20260002" in html
    second = Item.objects.get(number="FA20260002")
    response = cash.post(url, {f"amount_{second.pk}": "99,00", "key": "panel-1"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.state == LineState.APPLIED and line.payment_item.customer == worked_statement.customer
    assert Item.objects.get(pk=second.pk).open_amount == Decimal("731.40")
    too_much = cash.post(reverse("cashapp:allocate", args=[BankLine.objects.get(bank_reference="A2").pk]),
                         {f"amount_{second.pk}": "900.00", "key": "panel-2"})
    assert too_much.status_code == 400 and "left on bank line" in too_much.content.decode()


def test_unapply_from_the_statement_page(cash, worked_statement, django_assert_max_num_queries):
    line = BankLine.objects.get(bank_reference="A1")
    with django_assert_max_num_queries(12):
        page = cash.get(reverse("cashapp:statement_detail", args=[line.statement_id]))
    assert "Balanced" in page.content.decode() and reverse("cashapp:unapply", args=[line.pk]) in page.content.decode()
    cash.post(reverse("cashapp:unapply", args=[line.pk]), {"reason": "wrong entity"})
    line.refresh_from_db()
    assert line.state == LineState.UNMATCHED


def test_statement_list_and_unapplied_cash_by_age(cash, worked_statement, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        statements = cash.get(reverse("cashapp:statement_list")).content.decode()
    assert "march.xml" in statements and "Balanced" in statements
    with django_assert_max_num_queries(10):
        unapplied = cash.get(reverse("cashapp:unapplied"), {"as_of": "2026-03-20"}).content.decode()
    assert "Unidentified" in unapplied and "€99.00" in unapplied


def test_the_controller_reads_but_cannot_act_and_a_collector_cannot_see(client, worked_statement):
    client.force_login(a_user("clara", Role.CONTROLLER))
    html = client.get(reverse("cashapp:queue")).content.decode()
    assert "Proposal and reason" in html and ">Accept<" not in html
    queued = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, customer__isnull=False)
    assert client.post(reverse("cashapp:accept", args=[queued.pk]), {"key": "k"}).status_code == 403
    assert client.post(reverse("cashapp:upload"), {}).status_code == 403
    client.force_login(a_user("anna", Role.COLLECTOR))
    assert client.get(reverse("cashapp:queue")).status_code == 403
