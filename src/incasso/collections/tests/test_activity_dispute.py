"""A collector logs a call on which the customer disputed an invoice: the dispute case is opened with it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

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


def test_the_side_panel_opens_a_dispute_with_the_logged_call(client):  # type: ignore[no-untyped-def]
    cast = a_cast()
    client.force_login(cast.anna)
    url = reverse("collections:log_activity", args=[cast.acme.pk])
    base = {"kind": ActivityKind.CALL, "outcome": Outcome.DISPUTED, "note": "Pallets arrived damaged"}

    no_items = client.post(url, base | {"dispute_reason": "pricing"})
    amount_for_two = client.post(url, base | {"dispute_reason": "pricing", "disputed_amount": "50.00",
                                              "items": [cast.invoice.pk, cast.second.pk]})
    reason_without_dispute = client.post(url, base | {"outcome": Outcome.REACHED, "dispute_reason": "pricing",
                                                      "items": [cast.invoice.pk]})
    assert [r.status_code for r in (no_items, amount_for_two, reason_without_dispute)] == [400, 400, 400]
    assert not DisputeCase.objects.exists() and not Activity.objects.exists()

    part = client.post(url, base | {"dispute_reason": "pricing", "disputed_amount": "120.00",
                                    "items": [cast.invoice.pk], "next": "/"})
    assert part.status_code == 302
    whole = client.post(url, base | {"dispute_reason": "pricing", "items": [cast.second.pk], "next": "/"})
    assert whole.status_code == 302
    assert disputed_amounts(item_ids=[cast.invoice.pk, cast.second.pk]) == {
        cast.invoice.pk: Decimal("120.00"), cast.second.pk: Decimal("400.00")}
    assert set(DisputeCase.objects.values_list("source", flat=True)) == {CaseSource.ACTIVITY}
    assert Activity.objects.filter(outcome=Outcome.DISPUTED).count() == 2


def test_the_panel_offers_the_active_reason_codes(client):  # type: ignore[no-untyped-def]
    cast = a_cast()
    client.force_login(cast.anna)
    page = client.get(reverse("collections:customer_panel", args=[cast.acme.pk])).content.decode()
    assert 'name="dispute_reason"' in page and 'value="pricing"' in page and 'name="disputed_amount"' in page
