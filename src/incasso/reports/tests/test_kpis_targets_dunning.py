"""Cash against target, letters and payment after each dunning level, and unapplied credits by age in
``report kpis``, on the worked March ledger (kpi_story)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM, Actor
from incasso.audit.models import AuditEvent
from incasso.dunning.models import ItemLevel, Letter, LetterLine, Run
from incasso.reports.kpis import KpiParams, kpi_table
from incasso.reports.targets import TargetError, set_cash_target
from incasso.reports.tests.kpi_story import BY, a_march_ledger, april_happens

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = dict(start=date(2026, 3, 1), end=date(2026, 3, 31))


def kpis_json(*args: str) -> dict:
    out = io.StringIO()
    call_command("report", "kpis", "--from", "2026-03-01", "--to", "2026-03-31", *args, stdout=out,
                 stderr=io.StringIO())
    return json.loads(out.getvalue())


def test_cash_received_against_the_entity_target_and_its_audit_trail():
    story = a_march_ledger(disputes=False)
    lead = create_user_with_roles("lea", "a-long-password-1", [Role.TEAM_LEADER], by=SYSTEM)
    set_cash_target(story.paris.pk, "eur", date(2026, 3, 17), "400.00", by=Actor.of(lead))

    (row,) = kpi_table(KpiParams(**MARCH)).rows
    # PAY-1 (500.00, 10 March) against 400.00: 125 %, 100.00 ahead
    assert (row.target.collected, row.target.target) == (D("500.00"), D("400.00"))
    assert row.target.attainment.value == D("125.00") and row.target.gap == D("-100.00")

    set_cash_target(story.paris.pk, "EUR", date(2026, 3, 1), "1000", by=Actor.of(lead))
    (row,) = kpi_table(KpiParams(**MARCH)).rows
    assert row.target.attainment.value == D("50.00") and row.target.gap == D("500.00")
    # 1-15 March: 15/31 of 1,000 = 483.87…; 500 / 483.87… = 103.33 %
    (half,) = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 15))).rows
    assert half.target.attainment.value == D("103.33")

    events = list(AuditEvent.objects.filter(kind="report.cash_target").order_by("pk"))
    assert [e.actor_label for e in events] == ["lea", "lea"]
    assert events[0].before is None and events[0].after["amount"] == "400.00"
    assert events[1].before == {"amount": "400.00"} and events[1].after["month"] == "2026-03-01"

    data = kpis_json()
    assert (data["rows"][0]["cash_target"], data["rows"][0]["cash_target_attainment"],
            data["rows"][0]["cash_target_gap"]) == ("1000.00", "50.00", "500.00")
    april = kpis_json("--by", "currency")  # no targets by currency: said, not guessed
    assert april["rows"][0]["cash_target"] == ""
    assert april["rows"][0]["reasons"]["cash_target_attainment"] == "targets are set per entity or per collector"


def test_targets_per_collector_and_bad_targets():
    story = a_march_ledger(disputes=False)
    clara = create_user_with_roles("clara", "a-long-password-1", [Role.COLLECTOR], by=SYSTEM)
    story.dupont.collector = clara
    story.dupont.save()
    set_cash_target(story.paris.pk, "EUR", date(2026, 3, 1), "2000.00", by=BY, collector_id=clara.pk)
    set_cash_target(story.paris.pk, "EUR", date(2026, 3, 1), "9999.00", by=BY)  # the entity's: not clara's

    (row,) = kpi_table(KpiParams(**MARCH, by="collector")).rows
    assert row.group == "clara" and row.target.attainment.value == D("25.00")  # 500 / 2,000
    with pytest.raises(TargetError):
        set_cash_target(story.paris.pk, "EUR", date(2026, 3, 1), "-1", by=BY)


def _letter(run: Run, story, level: int, items: list[tuple[object, str]], total: str) -> Letter:  # type: ignore[no-untyped-def]
    letter = Letter.objects.create(
        run=run, customer=story.dupont, currency="EUR", level=level, tone="polite", channel="email",
        language="fr", idempotency_key=f"{story.dupont.pk}-{level}-EUR-{run.pk}", status="sent", total=D(total))
    for item, amount in items:
        LetterLine.objects.create(letter=letter, item=item, level=level, days_past_due=10, open_amount=D(amount),
                                  amount_due=D(amount))
        ItemLevel.objects.create(item=item, level=level, reached_on=run.as_of, letter=letter)
    return letter


def test_letters_per_level_and_paid_after_each_level():
    story = a_march_ledger(disputes=False)
    february = Run.objects.create(as_of=date(2026, 2, 28), status="done")
    _letter(february, story, 1, [(story.invoice_b, "500.00")], "500.00")  # INV-B, paid 10 March
    march = Run.objects.create(as_of=date(2026, 3, 16), status="done")
    _letter(march, story, 2, [(story.invoice_d, "600.00")], "640.00")  # INV-D (fee 40), never paid

    table = kpi_table(KpiParams(**MARCH, dunning_window_days=10))
    first, second = table.dunning
    # level 1: no letter in March, but the February letter's window (to 10 March) ends in March and
    # INV-B was paid on its last day
    assert (first.level, first.letters, first.after.judged, first.after.cleared) == (1, 0, 1, 1)
    assert first.after.amount_collected == D("500.00") and first.after.cleared_rate.value == D("100.00")
    # level 2: one letter sent on 16 March; its window ends on 26 March with nothing paid
    assert (second.level, second.letters, second.amount_claimed) == (2, 1, D("640.00"))
    assert (second.after.judged, second.after.cleared, second.after.collected_rate.value) == (1, 0, D("0.00"))

    # With a window of 5 days the February letter's window ends on 5 March, before the payment.
    (first_short, _second) = kpi_table(KpiParams(**MARCH, dunning_window_days=5)).dunning
    assert first_short.after.cleared == 0 and first_short.after.cleared_rate.value == D("0.00")
    # A 30-day window: the February letter's ends on 30 March (INV-B paid within); March's on 15 April
    # (not judged in March): level 2 shows its letter only.
    first_long, second_long = kpi_table(KpiParams(**MARCH, dunning_window_days=30)).dunning
    assert first_long.after.cleared == 1 and second_long.after is None and second_long.letters == 1

    before = kpis_json("--dunning-window", "10")["dunning"]
    assert before[1] == {
        "group": "FR01 Incasso France SAS", "currency": "EUR", "level": 2, "letters": 1, "amount_claimed": "640.00",
        "items_judged": 1, "items_cleared": 0, "amount_dunned": "600.00", "amount_collected": "0.00",
        "cleared_rate": "0.00", "cleared_rate_amount": "0.00", "collected_rate": "0.00"}
    april_happens(story)  # CN-1 applied to INV-D on 6 April: not in March's figures
    assert kpis_json("--dunning-window", "10")["dunning"] == before


def test_unapplied_cash_and_credit_notes_by_age_in_the_kpis():
    story = a_march_ledger(disputes=False)
    from incasso.ledger.choices import ItemKind
    from incasso.testing.builders import an_item

    an_item(story.dupont, "PAY-9", kind=ItemKind.PAYMENT, amount="250.00", document_date=date(2025, 12, 15))

    unapplied = kpis_json()["unapplied"]
    # CN-1 of 20 March is 11 days old on 31 March; PAY-9 of 15 December is 106 days old.
    assert unapplied == [
        {"group": "FR01 Incasso France SAS", "currency": "EUR", "kind": "credit_note",
         "by_age": {"current": "0.00", "1-30": "100.00", "31-60": "0.00", "61-90": "0.00", "91-180": "0.00",
                    "181-360": "0.00", ">360": "0.00"}, "total": "100.00"},
        {"group": "FR01 Incasso France SAS", "currency": "EUR", "kind": "payment",
         "by_age": {"current": "0.00", "1-30": "0.00", "31-60": "0.00", "61-90": "0.00", "91-180": "250.00",
                    "181-360": "0.00", ">360": "0.00"}, "total": "250.00"},
    ]
