"""Logging contacts, recording and judging promises to pay, sending e-mails through a real SMTP server."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command

from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, Actor
from incasso.audit.models import AuditEvent
from incasso.collections.actions.activities import PromiseTerms, log_activity, record_promise
from incasso.collections.actions.emails import compose_email, send_email
from incasso.collections.actions.promises import judge_promises
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.choices import ActivityKind, EntryStatus, Outcome, PromiseStatus
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Notification, Promise, SentEmail, WorklistEntry
from incasso.collections.queries import entries_for
from incasso.collections.tests.stories import AS_OF
from incasso.ledger.actions.allocations import allocate
from incasso.ledger.choices import ContactPurpose, ItemKind
from incasso.ledger.models import Contact, Item
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db


def item(number: str) -> Item:
    return Item.objects.get(number=number)


def test_a_call_with_a_promise_lowers_the_account_on_the_worklist(team, portfolio):  # type: ignore[no-untyped-def]
    build_worklists(AS_OF, by=SYSTEM)
    anna = Actor.of(team.anna)
    assert [e.customer.account for e in entries_for(team.anna.pk, AS_OF)][0] == "C-100"

    log_activity(portfolio.acme.pk, kind=ActivityKind.CALL, outcome=Outcome.REACHED, occurred_on=AS_OF, by=anna,
                 note="CFO confirms the transfer", promise=PromiseTerms(
                     Decimal("12000"), AS_OF + timedelta(days=7), (item("INV-1").pk,)))

    acme = WorklistEntry.objects.get(customer=portfolio.acme, as_of=AS_OF)
    assert acme.lowered_because == ["promise"] and acme.status == EntryStatus.OPEN
    assert "days_since_contact" not in [code[0] for code in acme.reasons]
    assert acme.priority == (20 + 30 + 10 + 20 + 30) // 2
    assert acme.priority < 120  # was 120: 20 + 30 + 10 + 20 + 30 + "never contacted" 10
    promise = Promise.objects.get()
    assert (promise.amount, promise.level, promise.activity.outcome) == (Decimal("12000.00"), 1, Outcome.PROMISED)
    assert AuditEvent.objects.filter(customer_id=portfolio.acme.pk, kind=EventKind.PROMISE_RECORDED).exists()


def test_an_item_has_at_most_one_open_promise(team, portfolio):  # type: ignore[no-untyped-def]
    terms = PromiseTerms(Decimal("100"), AS_OF + timedelta(days=3), (item("INV-1").pk,))
    record_promise(portfolio.acme.pk, terms, taken_on=AS_OF, by=SYSTEM)

    with pytest.raises(CollectionsError) as refused:
        record_promise(portfolio.acme.pk, terms, taken_on=AS_OF, by=SYSTEM)

    assert refused.value.code == CollectionsErrorCode.ITEM_ALREADY_PROMISED
    assert "INV-1 already has an open promise" in refused.value.message


def test_bad_promises_are_refused_with_the_reason(team, portfolio):  # type: ignore[no-untyped-def]
    berg_item = item("INV-6").pk
    cases = [
        (PromiseTerms(Decimal("0"), AS_OF), CollectionsErrorCode.AMOUNT_NOT_POSITIVE),
        (PromiseTerms(Decimal("10"), AS_OF - timedelta(days=1)), CollectionsErrorCode.DATE_IN_PAST),
        (PromiseTerms(Decimal("10"), AS_OF, (berg_item,)), CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT),
    ]
    for terms, code in cases:
        with pytest.raises(CollectionsError) as refused:
            record_promise(portfolio.acme.pk, terms, taken_on=AS_OF, by=SYSTEM)
        assert refused.value.code == code


def test_promises_are_judged_from_allocations_after_the_tolerance_and_broken_ones_notify(team, portfolio):  # type: ignore[no-untyped-def]
    inv1, inv3 = item("INV-1"), item("INV-3")
    kept = record_promise(portfolio.acme.pk, PromiseTerms(Decimal("5000"), AS_OF + timedelta(days=2), (inv1.pk,), 3),
                          taken_on=AS_OF, by=SYSTEM)
    broken = record_promise(portfolio.dupont.pk,
                            PromiseTerms(Decimal("1500"), AS_OF + timedelta(days=2), (inv3.pk,), 3),
                            taken_on=AS_OF, by=SYSTEM)
    payment = an_item(portfolio.acme, "PAY-1", kind=ItemKind.PAYMENT, amount="5000.00")
    allocate(inv1.pk, payment.pk, Decimal("5000.00"), AS_OF + timedelta(days=4), by=SYSTEM)

    too_early = judge_promises(AS_OF + timedelta(days=5), by=SYSTEM)  # deadline = +5: cash may still come
    result = judge_promises(AS_OF + timedelta(days=6), by=SYSTEM)
    again = judge_promises(AS_OF + timedelta(days=7), by=SYSTEM)

    assert too_early.judged == 0
    assert (result.judged, result.kept, result.broken) == (2, 1, 1)
    assert again.judged == 0
    kept.refresh_from_db()
    broken.refresh_from_db()
    assert (kept.status, kept.arrived_amount) == (PromiseStatus.KEPT, Decimal("5000.00"))
    assert broken.status == PromiseStatus.BROKEN
    notice = Notification.objects.get()
    assert notice.user == team.anna and "Boulangerie Dupont" in notice.message and "Broken" in notice.message
    second = record_promise(portfolio.dupont.pk, PromiseTerms(Decimal("1500"), AS_OF + timedelta(days=10), (inv3.pk,)),
                            taken_on=AS_OF + timedelta(days=6), by=SYSTEM)
    assert second.level == 2  # the same invoice was promised and broken before
    build_worklists(AS_OF + timedelta(days=6), by=SYSTEM)
    dupont = WorklistEntry.objects.get(customer=portfolio.dupont, as_of=AS_OF + timedelta(days=6))
    assert any(code[0] == "broken_promises" and code[1] == 40 for code in dupont.reasons)


def test_the_promises_command_judges(team, portfolio):  # type: ignore[no-untyped-def]
    record_promise(portfolio.dupont.pk, PromiseTerms(Decimal("10"), AS_OF, (item("INV-3").pk,), 0),
                   taken_on=AS_OF, by=SYSTEM)
    out = io.StringIO()

    call_command("promises", "judge", "--as-of", (AS_OF + timedelta(days=1)).isoformat(), stdout=out)

    assert "1 (0 kept, 0 partially kept, 1 broken)" in out.getvalue()


def test_a_follow_up_date_takes_the_account_off_todays_list(team, portfolio):  # type: ignore[no-untyped-def]
    build_worklists(AS_OF, by=SYSTEM)

    log_activity(portfolio.dupont.pk, kind=ActivityKind.CALL, outcome=Outcome.NO_ANSWER, occurred_on=AS_OF,
                 follow_up_on=AS_OF + timedelta(days=2), by=SYSTEM)

    assert [e.customer.account for e in entries_for(team.anna.pk, AS_OF)] == ["C-100", "C-300"]


def test_a_reminder_goes_to_the_reminders_contact_in_their_language_and_the_copy_is_kept(team, portfolio, smtp):  # type: ignore[no-untyped-def]
    Contact.objects.create(customer=portfolio.acme, purpose=ContactPurpose.INVOICES, email="factures@acme.example",
                           language="fr")
    Contact.objects.create(customer=portfolio.acme, purpose=ContactPurpose.REMINDERS, name="Jeanne Martin",
                           email="compta@acme.example", language="fr")
    build_worklists(AS_OF, by=SYSTEM)

    sent = send_email(portfolio.acme.pk, template="payment_reminder", as_of=AS_OF, by=Actor.of(team.anna))

    [message] = smtp.bodies
    assert message["To"] == "compta@acme.example" and message["From"] == "credit@incasso.example"
    body = message.get_payload(decode=True).decode("utf-8")
    subject = str(message["Subject"]).strip()  # decoded by the default policy; folding may leave a space
    assert subject.startswith("Relance de paiement – compte C-100")
    assert "Madame, Monsieur Jeanne Martin" in body and "INV-1" in body and "15\u202f000,00\xa0€" in body
    assert "Service Crédit clients – Incasso France SAS" in body and "Anna Popescu" in body
    assert (sent.language, sent.to, sent.message_id) == ("fr", "compta@acme.example", message["Message-ID"])
    assert SentEmail.objects.get().body == body.replace("\r\n", "\n")
    assert sent.activity.outcome == Outcome.SENT
    assert AuditEvent.objects.filter(kind=EventKind.EMAIL_SENT, customer_id=portfolio.acme.pk).exists()


@pytest.mark.parametrize(("language", "subject"), [
    ("en", "Payment reminder"), ("fr", "Relance de paiement"), ("es", "Recordatorio de pago"),
    ("de", "Zahlungserinnerung"), ("it", "Sollecito di pagamento"), ("ro", "Notificare de plată"),
    ("pt", "Aviso de pagamento"), ("nl", "Payment reminder"),  # no Dutch template: English
])
def test_every_customer_language_has_its_reminder(team, portfolio, language, subject):  # type: ignore[no-untyped-def]
    Contact.objects.create(customer=portfolio.berg, purpose=ContactPurpose.REMINDERS, email="ap@berg.example",
                           language=language)

    composed = compose_email(portfolio.berg.pk, template="payment_reminder", as_of=AS_OF)
    confirmation = compose_email(portfolio.berg.pk, template="promise_confirmation", as_of=AS_OF)

    assert composed.subject.startswith(subject) and "C-500" in composed.subject
    assert "INV-6" in composed.body and "INV-6" in confirmation.body
    assert "{{" not in composed.body + confirmation.body


def test_without_an_email_address_nothing_is_sent(team, portfolio, smtp):  # type: ignore[no-untyped-def]
    with pytest.raises(CollectionsError) as refused:
        send_email(portfolio.dupont.pk, template="payment_reminder", as_of=AS_OF, by=SYSTEM)

    assert refused.value.code == CollectionsErrorCode.NO_RECIPIENT and smtp.messages == []
