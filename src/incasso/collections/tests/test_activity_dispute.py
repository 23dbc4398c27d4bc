"""A collector logs a call on which the customer disputed an invoice: the dispute case is opened with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from incasso.collections.actions.activities import DisputeTerms, PromiseTerms, log_activity
from incasso.collections.choices import ActivityKind, Outcome
from incasso.collections.errors import CollectionsError
from incasso.collections.models import Activity
from incasso.disputes.choices import CaseSource
from incasso.disputes.errors import DisputeError
from incasso.disputes.models import DisputeCase
from incasso.disputes.queries import disputed_amounts
from incasso.disputes.tests.stories import a_cast

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 16)


def test_a_call_with_a_dispute_opens_the_case_from_the_activity():  # type: ignore[no-untyped-def]
    cast = a_cast()
    activity = log_activity(
        cast.acme.pk, kind=ActivityKind.CALL, outcome=Outcome.REACHED, occurred_on=MONDAY, by=cast.as_(cast.anna),
        note="Says the 2026 price list was not applied", item_ids=(cast.invoice.pk,),
        dispute=DisputeTerms("pricing", ((cast.invoice.pk, Decimal("300.00")),)))
    assert activity.outcome == Outcome.DISPUTED
    case = DisputeCase.objects.get()
    assert (case.source, case.opened_on, case.owner, case.description) == (
        CaseSource.ACTIVITY, MONDAY, cast.anna, "Says the 2026 price list was not applied")
    assert disputed_amounts(item_ids=[cast.invoice.pk]) == {cast.invoice.pk: Decimal("300.00")}


def test_a_refused_dispute_leaves_no_activity_behind():  # type: ignore[no-untyped-def]
    cast = a_cast()
    with pytest.raises(DisputeError):
        log_activity(cast.acme.pk, kind=ActivityKind.CALL, outcome=Outcome.DISPUTED, occurred_on=MONDAY,
                     by=cast.as_(cast.anna), dispute=DisputeTerms("pricing", ((cast.invoice.pk, Decimal("5000")),)))
    assert not Activity.objects.exists() and not DisputeCase.objects.exists()
    with pytest.raises(CollectionsError):
        log_activity(cast.acme.pk, kind=ActivityKind.CALL, outcome=Outcome.DISPUTED, occurred_on=MONDAY,
                     by=cast.as_(cast.anna), dispute=DisputeTerms("pricing", ((cast.invoice.pk, Decimal("1")),)),
                     promise=PromiseTerms(Decimal("10"), MONDAY))
