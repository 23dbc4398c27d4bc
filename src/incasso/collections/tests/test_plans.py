"""Payment plans as a story: Acme cannot pay 15,000 at once, Anna proposes four monthly instalments,
Rita from risk approves (never Anna), the customer agrees, the cash is judged instalment by instalment."""

from __future__ import annotations

import io
import json
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, Actor
from incasso.audit.models import AuditEvent
from incasso.collections.actions.plans import (
    PlanTerms,
    activate_plan,
    approve_plan,
    cancel_plan,
    judge_plans,
    preview_plan,
    propose_plan,
    reject_plan,
)
from incasso.collections.choices import InstalmentStatus, PlanFrequency, PlanStatus
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Notification, PaymentPlan, PlanItem
from incasso.collections.plan_queries import (
    customers_with_active_plan,
    items_in_active_plan,
    live_plans_of_items,
    progress,
)
from incasso.collections.tests.stories import AS_OF, a_portfolio, a_team, a_user
from incasso.ledger.actions.allocations import allocate
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Item
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db

D = Decimal
FIRST = date(2026, 4, 15)  # first instalment; then 15 May, 15 June, 15 July


@pytest.fixture
def team(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast users in tests
    team = a_team()
    team.rita = a_user("rita", Role.RISK_APPROVER, first_name="Rita")
    team.paul = a_user("paul", Role.CONTROLLER)
    return team


def item(number: str) -> Item:
    return Item.objects.get(number=number)


def terms(*numbers: str, count: int = 4, **fields) -> PlanTerms:  # type: ignore[no-untyped-def]
    fields.setdefault("frequency", PlanFrequency.MONTHLY)
    fields.setdefault("first_due_date", FIRST)
    return PlanTerms(items=tuple((item(n).pk, None) for n in numbers or ("INV-1", "INV-2")),
                     instalment_count=count, **fields)


def paid(number: str, amount: str, on: date) -> None:
    invoice = item(number)
    payment = an_item(invoice.customer, kind=ItemKind.PAYMENT, amount=amount, document_date=on)
    allocate(invoice.pk, payment.pk, D(amount), on, by=SYSTEM)


def running_plan(team, portfolio, **fields) -> PaymentPlan:  # type: ignore[no-untyped-def]
    plan = propose_plan(portfolio.acme.pk, terms(**fields), proposed_on=AS_OF, by=Actor.of(team.anna))
    approve_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.rita))
    return activate_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.anna))


def test_a_collector_proposes_a_plan_whose_schedule_sums_to_the_covered_total(team, portfolio):  # type: ignore[no-untyped-def]
    agreed = terms(count=3, down_payment=D("1000.00"), down_payment_due=AS_OF + timedelta(days=2),
                   fee_amount=D("40.00"), note="CFO asked for three months")
    plan = propose_plan(portfolio.acme.pk, agreed, proposed_on=AS_OF, by=Actor.of(team.anna))

    assert (plan.status, plan.total_amount, plan.currency, plan.proposed_by) == (
        PlanStatus.PROPOSED, D("15000.00"), "EUR", team.anna)
    assert [(i.number, i.due_date, i.amount) for i in plan.instalments.all()] == [
        (0, date(2026, 3, 18), D("1000.00")),
        (1, date(2026, 4, 15), D("4666.66")),
        (2, date(2026, 5, 15), D("4666.66")),
        (3, date(2026, 6, 15), D("4666.68")),
    ]
    assert sum(i.amount for i in plan.instalments.all()) == plan.total_amount
    assert plan.fee_amount == D("40.00")  # agreed on top, charged as its own item: not in the schedule
    event = AuditEvent.objects.get(kind=EventKind.PLAN_PROPOSED)
    assert event.customer_id == portfolio.acme.pk and event.after["items"] == {"INV-1": "12000.00", "INV-2": "3000.00"}
    assert set(live_plans_of_items([item("INV-1").pk, item("INV-3").pk])) == {item("INV-1").pk}


def test_a_plan_may_cover_part_of_an_item(team, portfolio):  # type: ignore[no-untyped-def]
    partial = PlanTerms(items=((item("INV-1").pk, D("5000")),), instalment_count=2, frequency=PlanFrequency.WEEKLY,
                        first_due_date=AS_OF)
    preview = preview_plan(portfolio.acme.pk, partial, today=AS_OF)
    assert preview.total == D("5000.00")
    assert [(i.due_date, i.amount) for i in preview.schedule] == [(AS_OF, D("2500.00")), (AS_OF + timedelta(days=7),
                                                                                         D("2500.00"))]
    assert not PaymentPlan.objects.exists()  # a preview writes nothing


@pytest.mark.parametrize(("bad", "code"), [
    (dict(items=(("INV-1", D("12000.01")),)), CollectionsErrorCode.INVALID_PLAN),  # more than is open
    (dict(items=(("INV-6", None),)), CollectionsErrorCode.ITEM_NOT_ON_ACCOUNT),  # Berg's invoice
    (dict(first_due_date=AS_OF - timedelta(days=1)), CollectionsErrorCode.DATE_IN_PAST),
    (dict(instalment_count=0), CollectionsErrorCode.INVALID_PLAN),
    (dict(down_payment=D("15000"), down_payment_due=AS_OF), CollectionsErrorCode.INVALID_PLAN),
    (dict(items=()), CollectionsErrorCode.INVALID_PLAN),
])
def test_terms_that_make_no_sense_are_refused_with_the_reason(team, portfolio, bad, code):  # type: ignore[no-untyped-def]
    fields = dict(items=(("INV-1", None),), instalment_count=3, frequency=PlanFrequency.MONTHLY, first_due_date=FIRST)
    fields.update(bad)
    fields["items"] = tuple((item(n).pk, amount) for n, amount in fields["items"])
    with pytest.raises(CollectionsError) as refused:
        propose_plan(portfolio.acme.pk, PlanTerms(**fields), proposed_on=AS_OF, by=Actor.of(team.anna))
    assert refused.value.code == code
    assert not PaymentPlan.objects.exists()


def test_a_plan_is_in_one_currency_and_covers_no_credits(team, portfolio):  # type: ignore[no-untyped-def]
    an_item(portfolio.acme, "INV-USD", amount="500.00", currency="USD", due_date=AS_OF)
    an_item(portfolio.acme, "CN-1", kind=ItemKind.CREDIT_NOTE, amount="50.00")
    with pytest.raises(CollectionsError, match="one currency"):
        propose_plan(portfolio.acme.pk, terms("INV-1", "INV-USD"), proposed_on=AS_OF, by=Actor.of(team.anna))
    with pytest.raises(CollectionsError, match="not credits"):
        propose_plan(portfolio.acme.pk, terms("INV-1", "CN-1"), proposed_on=AS_OF, by=Actor.of(team.anna))


def test_an_item_is_in_one_live_plan_at_a_time(team, portfolio):  # type: ignore[no-untyped-def]
    first = propose_plan(portfolio.acme.pk, terms("INV-1"), proposed_on=AS_OF, by=Actor.of(team.anna))

    with pytest.raises(CollectionsError) as refused:
        propose_plan(portfolio.acme.pk, terms("INV-2", "INV-1"), proposed_on=AS_OF, by=Actor.of(team.sara))
    assert refused.value.code == CollectionsErrorCode.ITEM_IN_PLAN
    assert f"INV-1 is already in payment plan {first.pk}" in refused.value.message
    with pytest.raises(IntegrityError), transaction.atomic():  # the database says the same
        PlanItem.objects.create(plan=first, item=item("INV-1"), amount=D("1"))

    reject_plan(first.pk, reason="Ask for a down payment first", on_date=AS_OF, by=Actor.of(team.rita))
    again = propose_plan(portfolio.acme.pk, terms("INV-1"), proposed_on=AS_OF, by=Actor.of(team.anna))
    assert again.status == PlanStatus.PROPOSED


def test_four_eyes_a_plan_is_approved_by_a_risk_approver_who_did_not_propose_it(team, portfolio):  # type: ignore[no-untyped-def]
    both = a_user("victor", Role.SENIOR_COLLECTOR, Role.RISK_APPROVER)
    plan = propose_plan(portfolio.acme.pk, terms(), proposed_on=AS_OF, by=Actor.of(both))

    refusals = {}
    for who in (both, team.anna, team.tudor, team.paul, None):
        with pytest.raises(CollectionsError) as refused:
            approve_plan(plan.pk, on_date=AS_OF, by=Actor.of(who) if who else SYSTEM)
        refusals[who.username if who else "system"] = refused.value.code
    assert refusals == {"victor": CollectionsErrorCode.SAME_APPROVER, "anna": CollectionsErrorCode.NOT_ALLOWED,
                        "tudor": CollectionsErrorCode.NOT_ALLOWED, "paul": CollectionsErrorCode.NOT_ALLOWED,
                        "system": CollectionsErrorCode.NOT_ALLOWED}
    assert PaymentPlan.objects.get().status == PlanStatus.PROPOSED

    approved = approve_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.rita), note="Good payment history")

    assert (approved.status, approved.decided_by, approved.decided_on) == (PlanStatus.APPROVED, team.rita, AS_OF)
    event = AuditEvent.objects.get(kind=EventKind.PLAN_APPROVED)
    assert (event.before, event.after) == ({"status": "proposed"}, {"status": "approved"})
    assert not team.rita.has_perm("collections.approve_plan", PaymentPlan(proposed_by=team.rita))


def test_the_database_refuses_a_decision_by_the_proposer(team, portfolio):  # type: ignore[no-untyped-def]
    plan = propose_plan(portfolio.acme.pk, terms(), proposed_on=AS_OF, by=Actor.of(team.anna))
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentPlan.objects.filter(pk=plan.pk).update(status=PlanStatus.APPROVED, decided_by=team.anna)


def test_who_may_propose_start_and_cancel(team, portfolio):  # type: ignore[no-untyped-def]
    for outsider in (team.bogdan, team.paul, team.rita):  # not Bogdan's account; a controller; risk decides only
        with pytest.raises(CollectionsError) as refused:
            propose_plan(portfolio.acme.pk, terms(), proposed_on=AS_OF, by=Actor.of(outsider))
        assert refused.value.code == CollectionsErrorCode.NOT_ALLOWED
    plan = propose_plan(portfolio.acme.pk, terms(), proposed_on=AS_OF, by=Actor.of(team.anna))
    approve_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.rita))
    with pytest.raises(CollectionsError) as refused:
        activate_plan(plan.pk, on_date=AS_OF, by=Actor.of(team.bogdan))
    assert refused.value.code == CollectionsErrorCode.NOT_ALLOWED
    with pytest.raises(CollectionsError) as refused:
        cancel_plan(plan.pk, reason="no", on_date=AS_OF, by=Actor.of(team.paul))
    assert refused.value.code == CollectionsErrorCode.NOT_ALLOWED


def test_steps_follow_the_life_of_a_plan(team, portfolio):  # type: ignore[no-untyped-def]
    anna, rita = Actor.of(team.anna), Actor.of(team.rita)
    plan = propose_plan(portfolio.acme.pk, terms(), proposed_on=AS_OF, by=anna)
    with pytest.raises(CollectionsError) as refused:
        activate_plan(plan.pk, on_date=AS_OF, by=anna)
    assert refused.value.code == CollectionsErrorCode.PLAN_STATE
    assert "is proposed; it cannot be started" in refused.value.message
    with pytest.raises(CollectionsError, match="say why"):
        reject_plan(plan.pk, reason=" ", on_date=AS_OF, by=rita)

    approve_plan(plan.pk, on_date=AS_OF, by=rita)
    with pytest.raises(CollectionsError) as refused:
        approve_plan(plan.pk, on_date=AS_OF, by=rita)
    assert refused.value.code == CollectionsErrorCode.PLAN_STATE
    assert customers_with_active_plan(AS_OF) == set() and items_in_active_plan() == {}

    activate_plan(plan.pk, on_date=AS_OF, by=anna)
    assert customers_with_active_plan(AS_OF) == {portfolio.acme.pk}
    assert customers_with_active_plan(AS_OF - timedelta(days=1)) == set()
    assert items_in_active_plan() == {item("INV-1").pk: plan.pk, item("INV-2").pk: plan.pk}

    cancelled = cancel_plan(plan.pk, reason="Customer sold the business", on_date=AS_OF, by=anna)
    assert (cancelled.status, cancelled.end_reason) == (PlanStatus.CANCELLED, "Customer sold the business")
    assert items_in_active_plan() == {} and not PlanItem.objects.filter(is_live=True).exists()
    kinds = list(AuditEvent.objects.filter(subject_type="payment_plan").order_by("pk").values_list("kind", flat=True))
    assert kinds == [EventKind.PLAN_PROPOSED, EventKind.PLAN_APPROVED, EventKind.PLAN_ACTIVATED,
                     EventKind.PLAN_CANCELLED]


def test_instalments_paid_on_time_are_kept_and_the_plan_completes(team, portfolio):  # type: ignore[no-untyped-def]
    plan = running_plan(team, portfolio)  # 4 × 3,750.00 on 15 Apr, 15 May, 15 Jun, 15 Jul
    paid("INV-2", "3000.00", date(2026, 4, 14))
    paid("INV-1", "750.00", date(2026, 4, 18))  # within the three tolerance days

    result = judge_plans(date(2026, 4, 20), by=SYSTEM)

    plan.refresh_from_db()
    assert (result.judged, result.completed, result.broken) == (1, 0, 0)
    assert (plan.status, plan.paid_amount, plan.judged_on) == (PlanStatus.ACTIVE, D("3750.00"), date(2026, 4, 20))
    assert list(plan.instalments.values_list("status", flat=True)) == [
        InstalmentStatus.KEPT, InstalmentStatus.PENDING, InstalmentStatus.PENDING, InstalmentStatus.PENDING]

    paid("INV-1", "11250.00", date(2026, 5, 2))  # the rest, early
    result = judge_plans(date(2026, 5, 3), by=SYSTEM)

    plan.refresh_from_db()
    assert (result.completed, plan.status, plan.ended_on) == (1, PlanStatus.COMPLETED, date(2026, 5, 3))
    assert items_in_active_plan() == {}
    assert AuditEvent.objects.filter(kind=EventKind.PLAN_COMPLETED, subject_id=str(plan.pk)).count() == 1
    assert judge_plans(date(2026, 5, 4), by=SYSTEM).judged == 0  # a finished plan is never judged again


def test_a_missed_instalment_breaks_the_plan_and_tells_the_collector(team, portfolio):  # type: ignore[no-untyped-def]
    plan = running_plan(team, portfolio)
    paid("INV-1", "3000.00", date(2026, 4, 15))  # 750.00 short of the first instalment

    assert judge_plans(date(2026, 4, 18), by=SYSTEM).broken == 0  # the last tolerance day: cash may still come
    result = judge_plans(date(2026, 4, 19), by=SYSTEM)

    plan.refresh_from_db()
    assert (result.broken, plan.status, plan.ended_on) == (1, PlanStatus.BROKEN, date(2026, 4, 19))
    assert plan.end_reason == "instalment 1 due 2026-04-15 missed: 3000.00 of 3750.00 EUR paid by 2026-04-18"
    assert plan.instalments.get(number=1).status == InstalmentStatus.MISSED
    assert items_in_active_plan() == {}  # dunned again from the next run
    notice = Notification.objects.get(user=team.anna)
    assert "C-100" in notice.message and "broken" in notice.message
    event = AuditEvent.objects.get(kind=EventKind.PLAN_BROKEN)
    assert (event.before, event.after["status"]) == ({"status": "active"}, "broken")


def test_the_live_progress_of_a_running_plan_counts_todays_cash(team, portfolio):  # type: ignore[no-untyped-def]
    plan = running_plan(team, portfolio)
    paid("INV-1", "4000.00", date(2026, 4, 1))

    outcome = progress(PaymentPlan.objects.get(pk=plan.pk), date(2026, 4, 2))

    assert outcome is not None and outcome.paid == D("4000.00")
    assert [o.state for o in outcome.instalments] == ["kept", "pending", "pending", "pending"]


def test_cli_lists_shows_and_judges_plans(team, portfolio):  # type: ignore[no-untyped-def]
    plan = running_plan(team, portfolio)
    out = io.StringIO()

    call_command("plans", "list", "--status", "active", stdout=out)
    assert f"{plan.pk}" in out.getvalue() and "C-100" in out.getvalue() and "15,000.00" not in out.getvalue()
    assert "15000.00 EUR" in out.getvalue()

    out = io.StringIO()
    call_command("plans", "show", str(plan.pk), "--format", "json", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["status"] == "active" and shown["customer"] == "C-100"
    assert [i["amount"] for i in shown["instalments"]] == ["3750.00"] * 4
    assert shown["items"] == [{"number": "INV-1", "amount": "12000.00"}, {"number": "INV-2", "amount": "3000.00"}]

    out = io.StringIO()
    call_command("plans", "judge", "--as-of", "2026-04-19", stdout=out)
    assert "payment plans judged 2026-04-19: 1 (0 completed, 1 broken)" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_collectors_proposing_the_same_invoice_at_once_make_one_plan_on_postgres(on_postgres, settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    team = a_team()
    portfolio = a_portfolio(team)
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def propose(user) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            propose_plan(portfolio.acme.pk, terms("INV-1", "INV-2"), proposed_on=AS_OF, by=Actor.of(user))
            outcomes.append("proposed")
        except CollectionsError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=propose, args=(user,)) for user in (team.anna, team.sara, team.tudor,
                                                                           team.anna)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["item_in_plan"] * 3 + ["proposed"]
    assert PaymentPlan.objects.count() == 1 and PlanItem.objects.filter(is_live=True).count() == 2
