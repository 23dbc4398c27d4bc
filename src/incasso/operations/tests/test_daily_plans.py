"""The daily cycle judges payment plans after cash application, so today's cash counts."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM, Actor
from incasso.collections.actions.plans import PlanTerms, activate_plan, approve_plan, propose_plan
from incasso.collections.choices import PlanFrequency, PlanStatus
from incasso.collections.models import PaymentPlan
from incasso.operations.daily import run_daily_cycle
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db


def test_the_daily_cycle_breaks_a_plan_whose_instalment_was_missed(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    collector = create_user_with_roles("anna", "pw", [Role.COLLECTOR], by=SYSTEM)
    risk = create_user_with_roles("rita", "pw", [Role.RISK_APPROVER], by=SYSTEM)
    customer = a_customer(account="C-1", collector=collector)
    invoice = an_item(customer, "INV-1", amount="900.00", due_date=date(2026, 2, 28))
    terms = PlanTerms(items=((invoice.pk, None),), instalment_count=3, frequency=PlanFrequency.MONTHLY,
                      first_due_date=date(2026, 3, 31))
    plan = propose_plan(customer.pk, terms, proposed_on=date(2026, 3, 16), by=Actor.of(collector))
    approve_plan(plan.pk, on_date=date(2026, 3, 16), by=Actor.of(risk))
    activate_plan(plan.pk, on_date=date(2026, 3, 16), by=Actor.of(collector))

    report = run_daily_cycle(date(2026, 4, 4), by=SYSTEM, out=StringIO())

    steps = [step for step, _outcome, _seconds in report.steps]
    assert steps.index("cash application") < steps.index("payment plans judged") < steps.index("dunning proposal")
    assert dict((s, o) for s, o, _ in report.steps)["payment plans judged"] == "done"
    assert PaymentPlan.objects.get(pk=plan.pk).status == PlanStatus.BROKEN
