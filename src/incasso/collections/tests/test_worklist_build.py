"""Building the daily worklists: who is on whose list, in which order, and why."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command

from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.collections.actions.worklist import build_worklists, complete_entry
from incasso.collections.choices import ActivityKind, EntryStatus, Outcome, PromiseStatus
from incasso.collections.models import Absence, Activity, Escalation, Promise, Strategy, StrategyRule, WorklistEntry
from incasso.collections.queries import entries_for
from incasso.collections.tests.stories import AS_OF
from incasso.core.collections.strategy import Reason
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def accounts(collector, as_of=AS_OF):  # type: ignore[no-untyped-def]
    return [e.customer.account for e in entries_for(collector.pk, as_of)]


def test_each_collector_gets_their_accounts_by_priority_with_reasons(team, portfolio):  # type: ignore[no-untyped-def]
    result = build_worklists(AS_OF, by=SYSTEM)

    assert (result.entries, result.collectors) == (4, 2)
    assert accounts(team.anna) == ["C-100", "C-200", "C-300"]  # Paid Up SA owes nothing
    assert accounts(team.bogdan) == ["C-500"]
    acme = WorklistEntry.objects.get(customer=portfolio.acme)
    assert acme.priority == 20 + 30 + 10 + 20 + 30 + 10  # default strategy: amount, age, never contacted
    assert acme.overdue_amount == 15000 and acme.max_days_past_due == 95
    assert [Reason.from_code(code).text for code in acme.reasons][:2] == [
        "15,000.00 overdue (≥ 1,000.00)", "15,000.00 overdue (≥ 10,000.00)"]
    zen = WorklistEntry.objects.get(customer=portfolio.zen)
    assert (zen.overdue_amount, zen.due_soon_amount, zen.next_action) == (0, 8000, "remind_due_soon")
    assert AuditEvent.objects.filter(kind=EventKind.WORKLIST_BUILT).count() == 1


def test_a_team_leaders_strategy_replaces_the_default_and_ties_go_to_the_larger_overdue(team, portfolio):  # type: ignore[no-untyped-def]
    flat = Strategy.objects.create(code="flat", name="Flat", due_soon_days=7)
    StrategyRule.objects.create(strategy=flat, position=1, condition="overdue_amount", threshold=1, points=10)

    build_worklists(AS_OF, by=SYSTEM)

    entries = list(entries_for(team.anna.pk, AS_OF))
    assert [(e.customer.account, e.priority) for e in entries] == [("C-100", 10), ("C-200", 10), ("C-300", 0)]
    assert entries[0].strategy_id == flat.pk


def test_broken_promises_raise_and_an_open_promise_lowers(team, portfolio):  # type: ignore[no-untyped-def]
    Promise.objects.create(customer=portfolio.dupont, amount=1500, currency="EUR",
                           promised_date=AS_OF - timedelta(days=9),
                           taken_on=AS_OF - timedelta(days=20), status=PromiseStatus.BROKEN,
                           judged_on=AS_OF - timedelta(days=5))
    Promise.objects.create(customer=portfolio.acme, amount=15000, currency="EUR",
                           promised_date=AS_OF + timedelta(days=5),
                           taken_on=AS_OF - timedelta(days=1))

    build_worklists(AS_OF, by=SYSTEM)

    dupont = WorklistEntry.objects.get(customer=portfolio.dupont)
    acme = WorklistEntry.objects.get(customer=portfolio.acme)
    assert ["broken_promises", 40, 1, 60] in dupont.reasons  # condition, points, measured, window
    assert Reason.from_code(["broken_promises", 40, 1, 60]).text == "1 promise broken in 60 days"
    assert acme.lowered_because == ["promise"] and acme.priority == 120 // 2
    assert (acme.next_action, acme.next_action_on) == ("check_promise", AS_OF + timedelta(days=5))
    assert accounts(team.anna) == ["C-200", "C-100", "C-300"]


def test_a_substitute_works_the_absent_collectors_accounts_marked(team, portfolio):  # type: ignore[no-untyped-def]
    Absence.objects.create(collector=team.bogdan, substitute=team.anna, starts_on=AS_OF,
                           ends_on=AS_OF + timedelta(days=4))

    build_worklists(AS_OF, by=SYSTEM)
    build_worklists(AS_OF + timedelta(days=5), by=SYSTEM)

    berg_today = WorklistEntry.objects.get(customer=portfolio.berg, as_of=AS_OF)
    assert (berg_today.collector, berg_today.substitute_for) == (team.anna, team.bogdan)
    assert "C-500" in accounts(team.anna)
    assert accounts(team.bogdan, AS_OF + timedelta(days=5)) == ["C-500"]  # back from holiday


def test_an_escalated_account_goes_to_the_senior(team, portfolio):  # type: ignore[no-untyped-def]
    Escalation.objects.create(customer=portfolio.acme, senior=team.sara, reason="95 days, 15k", escalated_on=AS_OF)

    build_worklists(AS_OF, by=SYSTEM)

    assert accounts(team.sara) == ["C-100"]
    assert WorklistEntry.objects.get(customer=portfolio.acme).escalated is True
    assert "C-100" not in accounts(team.anna)


def test_done_entries_stay_done_on_a_rebuild_and_follow_ups_come_back_on_their_date(team, portfolio):  # type: ignore[no-untyped-def]
    build_worklists(AS_OF, by=SYSTEM)
    complete_entry(WorklistEntry.objects.get(customer=portfolio.acme).pk, by=SYSTEM)
    Activity.objects.create(customer=portfolio.dupont, kind=ActivityKind.CALL, outcome=Outcome.REACHED,
                            occurred_on=AS_OF, follow_up_on=AS_OF + timedelta(days=2))

    rebuilt = build_worklists(AS_OF, by=SYSTEM)
    build_worklists(AS_OF + timedelta(days=2), by=SYSTEM)

    assert (rebuilt.kept_done, rebuilt.snoozed) == (1, 1)
    assert accounts(team.anna) == ["C-300"]
    assert WorklistEntry.objects.get(customer=portfolio.acme, as_of=AS_OF).status == EntryStatus.DONE
    dupont_later = WorklistEntry.objects.get(customer=portfolio.dupont, as_of=AS_OF + timedelta(days=2))
    assert (dupont_later.next_action, dupont_later.next_action_on) == ("follow_up", AS_OF + timedelta(days=2))


def test_the_build_costs_the_same_queries_for_many_accounts(team, portfolio, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for n in range(150):
        customer = a_customer(portfolio.paris, f"D-{n:03d}", collector=team.anna if n % 2 else team.bogdan)
        an_item(customer, amount="100.00", due_date=AS_OF - timedelta(days=n))

    with django_assert_max_num_queries(20):
        result = build_worklists(AS_OF, by=SYSTEM)

    assert result.entries == 4 + 150  # D-000 is due today: not overdue, but due soon, so listed
    assert result.entries == WorklistEntry.objects.count()


def test_the_cli_builds_shows_and_exports(team, portfolio, tmp_path):  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("worklist", "build", "--as-of", AS_OF.isoformat(), stdout=out)
    shown = io.StringIO()
    call_command("worklist", "show", "--collector", "anna", "--as-of", AS_OF.isoformat(), stdout=shown)
    target = tmp_path / "worklist.csv"
    call_command("worklist", "export", "-o", str(target), "--as-of", AS_OF.isoformat(), stderr=io.StringIO())

    assert "4 entries for 2 collectors" in out.getvalue()
    assert "Acme Bâtiment SARL" in shown.getvalue() and "Berg GmbH" not in shown.getvalue()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("as_of,collector,entity,account")
    assert len(lines) == 5 and lines[1].startswith(f"{AS_OF},anna,FR01,C-100,Acme Bâtiment SARL,120,EUR,15000.00")


def test_the_cli_names_a_bad_date_and_an_unknown_collector(team):  # type: ignore[no-untyped-def]
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--as-of '16/03/2026' is not a date"):
        call_command("worklist", "build", "--as-of", "16/03/2026")
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        call_command("worklist", "show", "--collector", "nobody")


def test_a_date_without_accounts_builds_an_empty_list(team):  # type: ignore[no-untyped-def]
    assert build_worklists(date(2026, 1, 1), by=SYSTEM).entries == 0
