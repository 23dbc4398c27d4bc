"""An active payment plan keeps its items out of dunning, at proposal and again at send time;
a plan still waiting for approval does not, and a broken plan's items are dunned again."""

from __future__ import annotations

from datetime import date

import pytest

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.collections.actions.plans import PlanTerms, activate_plan, approve_plan, judge_plans, propose_plan
from incasso.collections.choices import PlanFrequency
from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.actions.review import approve_run
from incasso.dunning.actions.sending import send_run
from incasso.dunning.blocks import item_blocks
from incasso.dunning.choices import LetterStatus
from incasso.dunning.models import Letter
from incasso.dunning.tests.conftest import AS_OF

pytestmark = pytest.mark.django_db


def plan_for(story, *invoices, start: bool = True):  # type: ignore[no-untyped-def]
    risk = create_user_with_roles("rita", "pw", [Role.RISK_APPROVER], by=SYSTEM)
    terms = PlanTerms(items=tuple((i.pk, None) for i in invoices), instalment_count=3,
                      frequency=PlanFrequency.MONTHLY, first_due_date=date(2026, 4, 15))
    plan = propose_plan(story.acme.pk, terms, proposed_on=AS_OF, by=story.as_(story.clerk))
    approve_plan(plan.pk, on_date=AS_OF, by=story.as_(risk))
    return activate_plan(plan.pk, on_date=AS_OF, by=story.as_(story.clerk)) if start else plan


def test_the_items_of_an_active_plan_are_not_dunned_the_others_are(story):  # type: ignore[no-untyped-def]
    f1, f2, f3 = story.acme_invoices
    plan = plan_for(story, f2, f3)

    run = propose_run(AS_OF, by=story.as_(story.clerk))

    acme = run.letters.get(customer=story.acme)
    assert list(acme.lines.values_list("item_id", flat=True)) == [f1.pk]  # F-1 was not in the plan
    assert item_blocks([f1.pk, f2.pk]) == {f2.pk: f"payment plan {plan.pk}"}


def test_an_approved_plan_not_yet_started_does_not_block(story):  # type: ignore[no-untyped-def]
    f1, f2, f3 = story.acme_invoices
    plan_for(story, f2, f3, start=False)

    run = propose_run(AS_OF, by=story.as_(story.clerk))

    assert run.letters.get(customer=story.acme).lines.count() == 3


def test_a_plan_started_after_the_proposal_stops_the_letter_at_send_time(story, smtp):  # type: ignore[no-untyped-def]
    run = approve_run(propose_run(AS_OF, by=story.as_(story.clerk)).pk, by=story.as_(story.lead))
    f1, f2, f3 = story.acme_invoices
    plan = plan_for(story, f1)

    send_run(run.pk, by=story.as_(story.lead))

    skipped = Letter.objects.get(run=run, customer=story.acme)
    assert skipped.status == LetterStatus.SKIPPED and f"F-1: payment plan {plan.pk}" in skipped.status_note


def test_a_broken_plan_gives_its_items_back_to_dunning(story):  # type: ignore[no-untyped-def]
    f1, f2, f3 = story.acme_invoices
    plan_for(story, f1, f2, f3)
    assert item_blocks([f1.pk]) != {}

    judge_plans(date(2026, 4, 20), by=SYSTEM)  # nothing paid by 15 April + 3 days

    assert item_blocks([f1.pk]) == {}
    run = propose_run(date(2026, 4, 20), by=story.as_(story.clerk))
    assert run.letters.get(customer=story.acme).lines.count() == 3
