"""Applying the assignment rules (preview, apply), escalating by hand, alerts read, translated reasons."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.collections.actions.notices import mark_notifications_read
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.models import AssignmentRule, Escalation, ManualAssignment, Notification, WorklistEntry
from incasso.collections.rendering import Formats, reasons_of
from incasso.collections.tests.stories import AS_OF, PASSWORD
from incasso.ledger.models import Customer
from incasso.testing.builders import a_customer, an_item

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("monday_morning")]


@pytest.fixture
def portfolio(portfolio):  # type: ignore[no-untyped-def]
    build_worklists(AS_OF, by=SYSTEM)
    return portfolio


def login(client, user):  # type: ignore[no-untyped-def]
    assert client.login(username=user.username, password=PASSWORD)


def test_the_assignment_preview_lists_the_moves_and_applying_makes_them(client, team, portfolio):  # type: ignore[no-untyped-def]
    AssignmentRule.objects.create(position=1, collector=team.bogdan, language="de")
    AssignmentRule.objects.create(position=2, collector=team.bogdan, min_balance=5000)
    ManualAssignment.objects.create(customer=portfolio.zen, collector=team.anna, reason="key account")
    login(client, team.tudor)

    preview = client.get(reverse("collections:assignment"))

    assert preview.status_code == 200
    moved = [customer.account for customer, _before, _target in preview.context["moves"]]
    assert moved == ["C-100"]  # Acme (15,000) by size; Berg is Bogdan's already; Zen is manual
    assert preview.context["total"] == 1 and Customer.objects.get(pk=portfolio.acme.pk).collector == team.anna
    applied = client.post(reverse("collections:assignment"))
    assert applied.status_code == 302
    assert Customer.objects.get(pk=portfolio.acme.pk).collector == team.bogdan
    assert Customer.objects.get(pk=portfolio.zen.pk).collector == team.anna
    assert AuditEvent.objects.filter(kind=EventKind.PORTFOLIO_ASSIGNED, customer_id=portfolio.acme.pk).exists()
    assert client.get(reverse("collections:assignment")).context["total"] == 0


def test_the_assignment_preview_costs_the_same_queries_for_many_moves(client, team, portfolio):  # type: ignore[no-untyped-def]
    AssignmentRule.objects.create(position=1, collector=team.bogdan)
    login(client, team.tudor)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("collections:assignment")).context["total"] == 4
    for n in range(30):
        customer = a_customer(portfolio.paris, f"C-9{n:02d}", collector=team.anna)
        an_item(customer, f"INV-9{n:02d}", amount="100.00")
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("collections:assignment")).context["total"] == 34
    assert len(many) == len(few)


def test_collectors_cannot_apply_assignment_rules(client, team, portfolio):  # type: ignore[no-untyped-def]
    login(client, team.anna)
    assert client.get(reverse("collections:assignment")).status_code == 403
    assert client.post(reverse("collections:assignment")).status_code == 403


def test_a_team_leader_escalates_an_account_by_hand_and_it_moves_to_the_senior(client, team, portfolio):  # type: ignore[no-untyped-def]
    login(client, team.tudor)
    team_page = client.get(reverse("collections:team"))
    assert [u.username for u in team_page.context["escalate_form"].fields["senior"].queryset] == ["sara", "tudor"]

    response = client.post(reverse("collections:escalate"), {"account": "C-100", "senior": team.sara.pk,
                                                             "reason": "third broken promise"})

    assert response.status_code == 302
    escalation = Escalation.objects.get(customer=portfolio.acme)
    assert (escalation.senior, escalation.reason, escalation.by_rule) == (team.sara, "third broken promise", False)
    entry = WorklistEntry.objects.get(customer=portfolio.acme, as_of=AS_OF)
    assert (entry.collector, entry.escalated) == (team.sara, True)
    assert AuditEvent.objects.filter(kind=EventKind.ACCOUNT_ESCALATED, customer_id=portfolio.acme.pk).count() == 1
    again = client.post(reverse("collections:escalate"), {"account": "C-100", "senior": team.sara.pk,
                                                          "reason": "twice"}, follow=True)
    assert "already escalated" in again.content.decode() and Escalation.objects.count() == 1


def test_a_collector_escalates_only_their_own_accounts(client, team, portfolio):  # type: ignore[no-untyped-def]
    login(client, team.anna)
    panel = client.get(reverse("collections:customer_panel", args=[portfolio.dupont.pk]))
    assert f'action="{reverse("collections:escalate")}"' in panel.content.decode()
    assert [u.username for u in panel.context["escalate_form"].fields["senior"].queryset] == ["sara", "tudor"]
    own = client.post(reverse("collections:escalate"), {"account": "C-200", "senior": team.sara.pk,
                                                        "reason": "refuses to talk to me"})
    other = client.post(reverse("collections:escalate"), {"account": "C-500", "senior": team.sara.pk,
                                                          "reason": "not mine"})
    not_senior = client.post(reverse("collections:escalate"), {"account": "C-300", "senior": team.bogdan.pk,
                                                               "reason": "a peer"})
    assert own.status_code == 302 and other.status_code == 403 and not_senior.status_code == 302
    assert [e.customer.account for e in Escalation.objects.all()] == ["C-200"]
    panel = client.get(reverse("collections:customer_panel", args=[portfolio.dupont.pk]))
    assert panel.context["escalate_form"] is None and "refuses to talk to me" in panel.content.decode()


def test_marking_alerts_read_goes_through_the_action_with_an_audit_event(client, team, portfolio):  # type: ignore[no-untyped-def]
    first = Notification.objects.create(user=team.anna, customer=portfolio.acme, message="Promise broken: Acme")
    Notification.objects.create(user=team.anna, customer=portfolio.dupont, message="Promise broken: Dupont")
    Notification.objects.create(user=team.bogdan, customer=portfolio.berg, message="Promise broken: Berg")
    login(client, team.anna)

    assert client.post(reverse("collections:notices_read")).status_code == 302

    assert Notification.objects.filter(user=team.anna, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=team.bogdan, read_at__isnull=True).count() == 1
    event = AuditEvent.objects.get(kind=EventKind.NOTICES_READ)
    assert event.actor_id == team.anna.pk and len(event.after["notifications"]) == 2
    assert first.pk in event.after["notifications"]
    assert mark_notifications_read(team.anna.pk, by=SYSTEM) == 0  # nothing left: no second event
    assert AuditEvent.objects.filter(kind=EventKind.NOTICES_READ).count() == 1


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1 promise broken in 60 days"),
    ("fr", "1 promesse non tenue en 60 jours"),
    ("de", "1 gebrochene Zahlungszusage in 60 Tagen"),
])
def test_reasons_are_rendered_in_the_readers_language(language, expected):  # type: ignore[no-untyped-def]
    with translation.override(language):
        (text, points), (amount, _) = reasons_of(
            [["broken_promises", 40, 1, 60], ["overdue_amount", 20, "15000.00", "1000"]], Formats())
    assert (text, points) == (expected, 40)
    assert amount == {"en": "15,000.00 overdue (≥ 1,000.00)", "fr": "15\u202f000,00 en retard (≥ 1\u202f000,00)",
                      "de": "15.000,00 überfällig (≥ 1.000,00)"}[language]


def test_the_worklist_page_shows_translated_reasons(client, team, portfolio):  # type: ignore[no-untyped-def]
    login(client, team.anna)
    page = client.get(reverse("collections:worklist"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "jamais contacté" in page.content.decode()


@pytest.mark.parametrize("language", ["en", "fr", "es", "de", "it", "ro", "pt"])
def test_the_fast_number_formats_are_babels(language):  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from babel.numbers import format_currency, format_decimal

    from incasso.core.money import quantize

    formats = Formats(language)
    for cents in (0, 5, 99, 100_000, 123_456, 99_999_999, 123_456_789_012, 7_000_000_05):
        value = Decimal(cents) / 100
        assert formats.decimal2(value) == format_decimal(value, format="#,##0.00", locale=formats.locale)
        assert formats.number(cents) == format_decimal(cents, locale=formats.locale)
        for currency in ("EUR", "RON", "USD", "JPY"):
            expected = format_currency(quantize(value, currency), currency, locale=formats.locale)
            assert formats.money(value, currency) == expected
            assert formats.money(-value, currency) == format_currency(quantize(-value, currency), currency,
                                                                       locale=formats.locale)
