"""Approving and sending: four-eyes, a real SMTP server, the PDF attached, exactly once across a
crash and a rerun, the re-check at send time, level history, bounces to the worklist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.mail.backends.smtp import EmailBackend

from incasso.audit.choices import EventKind
from incasso.audit.models import AuditEvent
from incasso.collections.models import Task
from incasso.core.money import D
from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.actions.review import approve_run, change_level, exclude_letter, exclude_line
from incasso.dunning.actions.sending import record_bounce, send_run
from incasso.dunning.choices import LetterStatus, RunStatus
from incasso.dunning.errors import DunningError, DunningErrorCode
from incasso.dunning.models import ItemLevel, Letter
from incasso.dunning.tests.conftest import AS_OF, reminders_contact
from incasso.ledger.models import Item
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def approved_run(story):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    return approve_run(run.pk, by=story.as_(story.lead))


def test_the_proposer_may_not_approve_under_four_eyes_and_a_collector_never(story):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.lead))
    with pytest.raises(DunningError) as four_eyes:
        approve_run(run.pk, by=story.as_(story.lead))
    assert four_eyes.value.code == DunningErrorCode.FOUR_EYES
    with pytest.raises(DunningError) as not_allowed:
        approve_run(run.pk, by=story.as_(story.clerk))
    assert not_allowed.value.code == DunningErrorCode.NOT_ALLOWED


def test_a_level_one_letter_reaches_the_reminder_contact_in_french_with_the_pdf(story, smtp):  # type: ignore[no-untyped-def]
    run = approved_run(story)

    result = send_run(run.pk, by=story.as_(story.lead))

    assert (result.sent, result.skipped) == (2, 0)
    by_recipient = {rcpt[0]: message for rcpt, message in smtp.messages}
    acme = by_recipient["compta@acme.example"]
    assert acme["Subject"] == "Rappel de paiement – Acme SARL"
    assert acme["Content-Language"] == "fr"
    parts = {part.get_content_type(): part for part in acme.walk()}
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "Madame, Monsieur" in html and "1\u202f750,00\xa0€" in html and "FR7630006000011234567890189" in html
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "C100-level1.pdf"
    assert pdf.get_payload(decode=True).startswith(b"%PDF")
    assert by_recipient["buchhaltung@bravo.example"]["Subject"].startswith("Zahlungserinnerung")
    # the letter is archived, the items reached level 1, the customer's timeline shows the letter
    letter = Letter.objects.get(run=run, customer=story.acme)
    assert letter.status == LetterStatus.SENT and bytes(letter.pdf).startswith(b"%PDF")
    assert ItemLevel.objects.filter(item__customer=story.acme, level=1).count() == 3
    assert AuditEvent.objects.filter(kind=EventKind.DUNNING_LETTER_SENT, customer_id=story.acme.pk).exists()
    run.refresh_from_db()
    assert run.status == RunStatus.SENT


def many_customers(story, n: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        customer = a_customer(story.entity, account=f"M{i:03d}", name=f"Many {i} SA")
        reminders_contact(customer, f"ap{i}@many.example", "en")
        an_item(customer, f"M-{i}", amount="120.00", due_date=date(2026, 3, 1))


def test_a_crash_in_the_middle_of_sending_resumes_without_resending(story, smtp, monkeypatch):  # type: ignore[no-untyped-def]
    many_customers(story, 3)  # five letters in all
    run = approved_run(story)
    real_send = EmailBackend.send_messages
    calls = {"n": 0}

    def crash_on_the_third(self, messages):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise ConnectionError("SMTP connection lost")
        return real_send(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", crash_on_the_third)
    with pytest.raises(ConnectionError):
        send_run(run.pk, by=story.as_(story.lead))
    assert len(smtp.messages) == 2
    assert run.letters.filter(status=LetterStatus.SENT).count() == 2
    assert run.letters.filter(status=LetterStatus.QUEUED).count() == 3

    monkeypatch.setattr(EmailBackend, "send_messages", real_send)
    result = send_run(run.pk, by=story.as_(story.lead))

    assert (result.sent, result.already_sent) == (3, 2)
    recipients = sorted(rcpt[0] for rcpt, _ in smtp.messages)
    assert len(recipients) == 5 == len(set(recipients))  # every letter once, none twice
    again = send_run(run.pk, by=story.as_(story.lead))
    assert (again.sent, len(smtp.messages)) == (0, 5)


def test_at_send_time_a_paid_or_promised_item_stops_the_letter(story, smtp):  # type: ignore[no-untyped-def]
    run = approved_run(story)
    Item.objects.filter(number="F-10").update(open_amount=D("0.00"))  # Bravo paid after the proposal

    result = send_run(run.pk, by=story.as_(story.lead))

    assert (result.sent, result.skipped) == (1, 1)
    skipped = Letter.objects.get(run=run, customer=story.bravo)
    assert skipped.status == LetterStatus.SKIPPED and "F-10: now 0.00 due" in skipped.status_note
    assert [rcpt for rcpt, _ in smtp.messages] == [["compta@acme.example"]]


def test_review_excludes_letters_and_items_and_changes_levels_with_reasons(story):  # type: ignore[no-untyped-def]
    run = propose_run(AS_OF, by=story.as_(story.clerk))
    acme = run.letters.get(customer=story.acme)
    bravo = run.letters.get(customer=story.bravo)
    with pytest.raises(DunningError):
        exclude_letter(bravo.pk, reason=" ", by=story.as_(story.lead))
    exclude_letter(bravo.pk, reason="Key account, the CFO calls them", by=story.as_(story.lead))
    f1_line = acme.lines.get(item=story.acme_invoices[0])
    exclude_line(f1_line.pk, reason="Delivery note missing", by=story.as_(story.lead))
    change_level(acme.pk, 2, reason="Third late payment this year", by=story.as_(story.lead))

    acme.refresh_from_db()
    assert (acme.level, acme.tone, acme.items_total) == (2, "firm", Decimal("750.00"))
    approve_run(run.pk, by=story.as_(story.lead))
    assert set(run.letters.values_list("status", flat=True)) == {LetterStatus.QUEUED, LetterStatus.EXCLUDED}
    assert AuditEvent.objects.filter(kind=EventKind.DUNNING_RUN_REVIEWED).count() == 3


def test_the_next_run_climbs_to_level_two_and_lists_the_earlier_dates(story, smtp):  # type: ignore[no-untyped-def]
    send_run(approved_run(story).pk, by=story.as_(story.lead))
    later = propose_run(date(2026, 4, 20), by=story.as_(story.clerk))
    acme = later.letters.get(customer=story.acme)
    assert acme.level == 2  # F-3 is 80 days late, but levels are climbed one at a time: 1 → 2
    levels = {line.item.number: (line.level, line.level_dates) for line in acme.lines.select_related("item")}
    assert levels["F-1"] == (2, {"1": "2026-03-31"})


def test_a_bounce_marks_the_letter_and_gives_the_collector_a_task(story, smtp):  # type: ignore[no-untyped-def]
    run = approved_run(story)
    send_run(run.pk, by=story.as_(story.lead))
    letter = Letter.objects.get(run=run, customer=story.acme)
    assert letter.message_id == f"<dunning.{run.pk}.{story.acme.pk}.1.EUR@incasso.example>"

    record_bounce(letter.message_id, reason="550 mailbox unknown", by=story.as_(story.lead))

    letter.refresh_from_db()
    assert letter.status == LetterStatus.BOUNCED
    task = Task.objects.get(customer=story.acme)
    assert task.assigned_to == story.clerk and "bounced" in task.title
