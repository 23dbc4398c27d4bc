"""Proposing a run: which customers get which letter, what is left out and why; the CLI's JSON."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from incasso.collections.actions.activities import PromiseTerms, record_promise
from incasso.core.money import D
from incasso.dunning.actions.proposal import payment_reference, propose_run
from incasso.dunning.choices import ExceptionCode
from incasso.dunning.models import Letter, Procedure
from incasso.dunning.tests.conftest import AS_OF
from incasso.ledger.actions.customers import block_dunning
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db


def test_a_run_proposes_one_letter_per_customer_in_the_contacts_language_and_lists_exceptions(story):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.clerk))

    letters = {letter.customer.account: letter for letter in run.letters.select_related("customer")}
    assert set(letters) == {"C100", "C200"}
    acme = letters["C100"]
    assert (acme.level, acme.language, acme.email) == (1, "fr", "compta@acme.example")
    assert acme.items_total == D("1750.00")
    assert acme.idempotency_key == f"dunning:{run.pk}:{story.acme.pk}:1:EUR"
    assert acme.payment_reference == payment_reference("FR01", "C100")
    assert letters["C200"].language == "de"
    [exception] = run.exceptions.all()
    assert (exception.customer_id, exception.code) == (story.nocontact.pk, ExceptionCode.NO_REMINDER_CONTACT)
    # The entity had no procedure: the French default was seeded with three levels
    assert list(Procedure.objects.get(entity=story.entity).levels.values_list("number", flat=True)) == [1, 2, 3]


def test_blocked_customers_promised_items_and_disputed_amounts_are_left_alone(story):  # type: ignore[no-untyped-def]
    from incasso.disputes.actions.cases import open_dispute

    block_dunning(story.bravo.pk, reason="CFO promised a call", until=date(2026, 4, 30), today=AS_OF,
                  by=story.as_(story.clerk))
    f1, f2, f3 = story.acme_invoices
    record_promise(story.acme.pk, PromiseTerms(D("500.00"), date(2026, 4, 10), (f2.pk,)), taken_on=AS_OF,
                   by=story.as_(story.clerk))
    open_dispute(story.acme.pk, [(f3.pk, "100.00")], "pricing", by=story.as_(story.clerk), opened_on=AS_OF)

    run = propose_run(AS_OF, by=story.as_(story.clerk))

    acme = run.letters.get(customer=story.acme)
    lines = {line.item_id: line for line in acme.lines.all()}
    assert set(lines) == {f1.pk, f3.pk}  # the promised invoice is not dunned
    assert (lines[f3.pk].disputed_amount, lines[f3.pk].amount_due) == (D("100.00"), D("150.00"))
    assert acme.items_total == D("1150.00")
    codes = dict(run.exceptions.values_list("customer_id", "code"))
    assert codes[story.bravo.pk] == ExceptionCode.BLOCKED
    assert "CFO promised a call" in run.exceptions.get(customer=story.bravo).detail


def test_items_in_a_run_not_yet_sent_are_not_proposed_again(story):  # type: ignore[no-untyped-def]
    propose_run(AS_OF, by=story.as_(story.clerk))
    second = propose_run(AS_OF, by=story.as_(story.clerk))
    assert second.letters.count() == 0
    assert set(second.exceptions.values_list("code", flat=True)) >= {ExceptionCode.IN_OTHER_RUN}


def test_a_scope_limits_the_run_to_entities_and_segments(story):  # type: ignore[no-untyped-def]
    story.acme.segment = "key"
    story.acme.save()
    run = propose_run(AS_OF, by=story.as_(story.clerk), entity_codes=["FR01"], segments=["key"])
    assert list(run.letters.values_list("customer_id", flat=True)) == [story.acme.pk]


def test_cli_propose_and_show_give_the_run_as_json(story):  # type: ignore[no-untyped-def]
    an_item(story.acme, "F-OLD", amount="2000.00", due_date=date(2026, 1, 1))
    out = StringIO()
    call_command("dunning", "propose", "--as-of", "2026-03-31", "--entity", "FR01", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    acme = next(letter for letter in data["letters"] if letter["customer"] == "C100")
    assert data["as_of"] == "2026-03-31" and data["status"] == "proposed"
    assert acme["level"] == 1 and acme["currency"] == "EUR" and acme["language"] == "fr"
    old = next(item for item in acme["items"] if item["item"] == "F-OLD")
    assert old["days_overdue"] == 89 and old["amount_due"] == "2000.00"
    assert acme["total"] == "3750.00"
    assert data["totals"]["EUR"]["letters"] == 2
    assert data["exceptions"][0]["code"] == "no_reminder_contact"

    shown = StringIO()
    call_command("dunning", "show", str(data["run"]), "--format", "json", stdout=shown)
    assert json.loads(shown.getvalue()) == data


def test_the_formal_notice_in_the_json_carries_interest_rate_period_and_legal_basis(story):  # type: ignore[no-untyped-def]
    run = propose_run(date(2026, 2, 15), by=story.as_(story.clerk))
    # pretend the earlier levels were sent: climb the oldest invoice to level 3 over three runs
    from incasso.dunning.models import ItemLevel

    f3 = story.acme_invoices[2]
    letter = Letter.objects.get(run=run, customer=story.acme)
    ItemLevel.objects.create(item=f3, level=1, reached_on=date(2026, 2, 15), letter=letter)
    ItemLevel.objects.create(item=f3, level=2, reached_on=date(2026, 3, 1), letter=letter)
    Letter.objects.filter(run=run).update(status="sent")
    type(run).objects.filter(pk=run.pk).update(status="sent")
    out = StringIO()
    call_command("dunning", "propose", "--as-of", "2026-03-31", "--format", "json", stdout=out)
    data = json.loads(out.getvalue())
    acme = next(letter for letter in data["letters"] if letter["customer"] == "C100")
    assert acme["level"] == 3 and acme["tone"] == "formal"
    f3_line = next(item for item in acme["items"] if item["item"] == "F-3")
    assert f3_line["interest"]["rate"] is not None and f3_line["interest"]["from"] == "2026-01-31"
    assert "L441-10" in f3_line["interest"]["legal_basis"]
    assert acme["compensation_total"] == "120.00"  # EUR 40 per late invoice, three invoices


def test_a_minimum_share_counts_the_open_total_including_items_not_yet_due(story):  # type: ignore[no-untyped-def]
    from incasso.dunning.actions.procedures import seed_procedure

    seed_procedure(story.entity, by=story.as_(story.clerk)).levels.filter(number=1).update(min_share_percent=50)
    an_item(story.bravo, "F-11", amount="5000.00", due_date=date(2026, 4, 30))  # not yet due
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    exception = run.exceptions.get(customer=story.bravo)
    assert exception.code == ExceptionCode.BELOW_MINIMUM and "13.8 %" in exception.detail
    assert run.letters.filter(customer=story.acme).exists()  # Acme's overdue items are all it owes
