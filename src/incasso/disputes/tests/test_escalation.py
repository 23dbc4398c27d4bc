"""The daily pass: reminders before the deadline, escalation level by level, mail over real SMTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.disputes.actions import assign_case, open_dispute
from incasso.disputes.actions.escalation import escalate_cases
from incasso.disputes.models import DisputeCase
from incasso.disputes.tests.stories import a_cast
from incasso.ledger.actions.allocations import allocate
from incasso.ledger.choices import ItemKind
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 16)  # pricing: 10 business days -> deadline Monday 30 March


@pytest.fixture
def late_case():  # type: ignore[no-untyped-def]
    cast = a_cast()
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    return cast, case


def run(as_of, capture):  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return escalate_cases(as_of, by=SYSTEM)


def test_a_late_case_climbs_from_resolver_to_manager_to_team_leader(late_case, smtp,  # type: ignore[no-untyped-def]
                                                                    django_capture_on_commit_callbacks):
    cast, case = late_case
    # Two business days before the deadline Rita is reminded, once
    assert run(date(2026, 3, 26), django_capture_on_commit_callbacks).reminded == 1
    assert run(date(2026, 3, 26), django_capture_on_commit_callbacks).reminded == 0
    assert smtp.messages[0][0] == ["rita@incasso.test"]
    assert "due soon" in smtp.messages[0][1]["Subject"]

    # The day after the deadline: level 1, Rita is told
    result = run(date(2026, 3, 31), django_capture_on_commit_callbacks)
    assert result.escalated == {1: 1}
    # Three business days late: level 2, her manager Mara; five: level 3, team leader Theo
    assert run(date(2026, 4, 2), django_capture_on_commit_callbacks).escalated == {2: 1}
    # 3 April is Good Friday but not a French public holiday; Easter Monday 6 April is.
    assert run(date(2026, 4, 7), django_capture_on_commit_callbacks).escalated == {3: 1}
    assert run(date(2026, 4, 8), django_capture_on_commit_callbacks).escalated == {}

    recipients = [to for to, _message in smtp.messages]
    assert recipients == [["rita@incasso.test"], ["rita@incasso.test"], ["mara@incasso.test"],
                          ["theo@incasso.test"]]
    body = smtp.messages[-1][1].get_payload()
    assert case.number in body and "level 3" in body
    case.refresh_from_db()
    assert (case.escalation_level, case.escalated_on) == (3, date(2026, 4, 7))
    escalations = AuditEvent.objects.filter(kind="dispute.escalated", subject_id=str(case.pk)).order_by("id")
    assert [e.after["level"] for e in escalations] == [1, 2, 3]
    assert escalations.last().after["notified"] == ["theo@incasso.test"]


def test_a_missed_week_catches_up_in_one_pass_with_one_mail(late_case, smtp,  # type: ignore[no-untyped-def]
                                                            django_capture_on_commit_callbacks):
    cast, case = late_case
    result = run(date(2026, 4, 8), django_capture_on_commit_callbacks)
    assert result.escalated == {3: 1} and result.mails == 1
    assert smtp.messages[0][0] == ["theo@incasso.test"]


def test_one_mail_per_recipient_lists_all_their_cases(late_case, smtp,  # type: ignore[no-untyped-def]
                                                      django_capture_on_commit_callbacks):
    cast, first = late_case
    second = open_dispute(cast.acme.pk, [(cast.second.pk, "40.00")], "pricing", by=cast.as_(cast.anna),
                          opened_on=MONDAY)
    assign_case(second.pk, by=cast.as_(cast.anna), resolver=cast.rita)

    result = run(date(2026, 3, 31), django_capture_on_commit_callbacks)

    assert result.escalated == {1: 2} and result.mails == 1
    body = smtp.messages[0][1].get_payload()
    assert first.number in body and second.number in body


def test_the_pass_lowers_disputed_amounts_the_items_no_longer_owe(late_case,  # type: ignore[no-untyped-def]
                                                                   django_capture_on_commit_callbacks):
    cast, case = late_case
    payment = an_item(cast.acme, "PAY-1", kind=ItemKind.PAYMENT, amount="900.00")
    allocate(cast.invoice.pk, payment.pk, Decimal("900.00"), MONDAY, by=SYSTEM)

    assert run(MONDAY, django_capture_on_commit_callbacks).amounts_followed == 1

    case.refresh_from_db()
    assert (case.original_amount, case.disputed_amount) == (Decimal("300.00"), Decimal("100.00"))


def test_the_escalate_command(late_case, capsys, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        call_command("disputes", "escalate", "--as-of", "2026-03-31")
    out = capsys.readouterr().out
    assert "1 escalated (level 1: 1)" in out
    assert DisputeCase.objects.get().escalation_level == 1
