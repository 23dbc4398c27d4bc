"""De-escalation: a new deadline, waiting for the customer, resolution, a team leader by hand, and the
daily pass's safety net. Pricing cases opened on Monday 16 March 2026 are due Monday 30 March
(10 French business days); Easter Monday 6 April is a French public holiday."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.disputes.actions import assign_case, open_dispute, resolve_case, start_investigation, wait_for_customer
from incasso.disputes.actions.deadlines import deescalate_case, extend_deadline
from incasso.disputes.actions.escalation import escalate_cases
from incasso.disputes.actions.withdrawal import withdraw_dispute
from incasso.disputes.analytics import dispute_analytics
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeCase
from incasso.disputes.tests.stories import a_cast

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 3, 16)


@pytest.fixture
def late_case():  # type: ignore[no-untyped-def]
    cast = a_cast()
    case = open_dispute(cast.acme.pk, [(cast.invoice.pk, "300.00")], "pricing", by=cast.as_(cast.anna),
                        opened_on=MONDAY)
    assign_case(case.pk, by=cast.as_(cast.anna), resolver=cast.rita)
    return cast, case


def level_on(as_of: date, case: DisputeCase) -> int:
    escalate_cases(as_of, by=SYSTEM)
    case.refresh_from_db()
    return case.escalation_level


def events(case: DisputeCase, kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(subject_id=str(case.pk), kind=kind).order_by("id"))


def test_a_new_deadline_brings_a_late_case_back_to_zero_and_it_is_reminded_again(late_case):
    cast, case = late_case
    assert level_on(date(2026, 4, 2), case) == 2
    case = extend_deadline(case.pk, date(2026, 4, 15), by=cast.as_(cast.rita), reason="customer sends the POD",
                           on_date=date(2026, 4, 2))
    assert (case.deadline, case.escalation_level, case.highest_escalation_level) == (date(2026, 4, 15), 0, 2)
    assert case.reminded_on is None
    [changed] = events(case, "dispute.deadline")
    assert changed.before == {"deadline": "2026-03-30"} and changed.after["reason"] == "customer sends the POD"
    [down] = events(case, "dispute.deescalated")
    assert (down.before, down.after["level"]) == ({"level": 2}, 0)
    # Nothing happens until the new deadline nears: a reminder two business days before, then level 1
    assert level_on(date(2026, 4, 3), case) == 0
    assert escalate_cases(date(2026, 4, 13), by=SYSTEM).reminded == 1
    assert level_on(date(2026, 4, 16), case) == 1


def test_a_new_deadline_still_passed_keeps_the_level_its_lateness_calls_for(late_case):
    cast, case = late_case
    assert level_on(date(2026, 4, 8), case) == 3
    # 1 April -> 8 April is four business days late (Easter Monday is a holiday): level 2
    case = extend_deadline(case.pk, date(2026, 4, 1), by=cast.as_(cast.theo), reason="agreed with sales",
                           on_date=date(2026, 4, 8))
    assert case.escalation_level == 2


def test_a_new_deadline_needs_a_reason_an_open_case_and_the_right_role(late_case):
    cast, case = late_case
    with pytest.raises(DisputeError) as error:
        extend_deadline(case.pk, date(2026, 4, 15), by=cast.as_(cast.rita), reason=" ")
    assert error.value.code == DisputeErrorCode.REASON_REQUIRED
    for someone in (cast.clara, cast.anna, cast.ben):  # controller, collector, resolver of another department
        with pytest.raises(DisputeError) as error:
            extend_deadline(case.pk, date(2026, 4, 15), by=cast.as_(someone), reason="why not")
        assert error.value.code == DisputeErrorCode.NOT_ALLOWED
    with pytest.raises(DisputeError):
        extend_deadline(case.pk, date(2026, 3, 1), by=cast.as_(cast.rita), reason="before opening")


def test_waiting_for_the_customer_stops_the_clock_and_moves_the_deadline_by_the_wait(late_case):
    cast, case = late_case
    rita = cast.as_(cast.rita)
    assert level_on(date(2026, 3, 31), case) == 1
    start_investigation(case.pk, by=rita, on_date=date(2026, 3, 31))
    case = wait_for_customer(case.pk, by=rita, note="proof of delivery", on_date=date(2026, 4, 1))
    assert case.escalation_level == 0
    assert events(case, "dispute.deescalated")[0].after["reason"].startswith("waiting for the customer")
    # While the customer has the ball the pass neither escalates nor reminds
    result = escalate_cases(date(2026, 4, 8), by=SYSTEM)
    assert (result.examined, result.escalated) == (0, {})
    # The answer comes on 8 April: four business days waited (2, 3, 7, 8 April), deadline 30 March -> 3 April
    case = start_investigation(case.pk, by=rita, on_date=date(2026, 4, 8))
    assert (case.deadline, case.escalation_level) == (date(2026, 4, 3), 0)
    assert events(case, "dispute.deadline")[0].after["deadline"] == "2026-04-03"
    # and it is late again from there: two business days after 3 April is level 1
    assert level_on(date(2026, 4, 8), case) == 1


def test_resolution_resets_the_level_and_keeps_the_highest_for_the_analytics(late_case):
    cast, case = late_case
    assert level_on(date(2026, 4, 2), case) == 2
    case = resolve_case(case.pk, "rejected", by=cast.as_(cast.rita), root_cause_code="customer_process",
                        on_date=date(2026, 4, 2))
    assert (case.escalation_level, case.highest_escalation_level) == (0, 2)
    assert events(case, "dispute.deescalated")[-1].after["reason"] == "resolved"
    report = dispute_analytics(date(2026, 3, 1), date(2026, 4, 30), as_of=date(2026, 4, 30))
    assert report.escalated_resolved == {2: 1}


def test_a_withdrawn_case_is_closed_at_level_zero_and_keeps_its_highest_level(late_case):
    cast, case = late_case
    assert level_on(date(2026, 4, 2), case) == 2
    case = withdraw_dispute(case.pk, by=cast.as_(cast.anna), reason="the payment was unapplied",
                            on_date=date(2026, 4, 2))
    assert (case.status, case.resolution) == ("closed", "withdrawn")
    assert (case.escalation_level, case.highest_escalation_level) == (0, 2)
    assert events(case, "dispute.deescalated")[-1].after["level"] == 0
    assert level_on(date(2026, 4, 20), case) == 0  # a closed case never climbs again


def test_a_team_leader_deescalates_with_a_reason_and_the_case_climbs_one_step_at_a_time(late_case):
    cast, case = late_case
    assert level_on(date(2026, 4, 8), case) == 3
    with pytest.raises(DisputeError) as error:
        deescalate_case(case.pk, by=cast.as_(cast.rita), reason="I am on it")
    assert error.value.code == DisputeErrorCode.NOT_ALLOWED
    with pytest.raises(DisputeError) as error:
        deescalate_case(case.pk, by=cast.as_(cast.theo), reason="")
    assert error.value.code == DisputeErrorCode.REASON_REQUIRED
    with pytest.raises(DisputeError):
        deescalate_case(case.pk, by=cast.as_(cast.theo), reason="up?", level=3)

    case = deescalate_case(case.pk, by=cast.as_(cast.theo), reason="credit note agreed, waiting for billing",
                           level=1, on_date=date(2026, 4, 8))
    assert (case.escalation_level, case.deescalated_on, case.highest_escalation_level) == (1, date(2026, 4, 8), 3)
    [down] = events(case, "dispute.deescalated")
    assert down.actor_id == cast.theo.pk and down.after["reason"] == "credit note agreed, waiting for billing"
    # Still late, so it climbs again, but one step (2 business days) at a time from 8 April
    assert level_on(date(2026, 4, 9), case) == 1
    assert level_on(date(2026, 4, 10), case) == 2
    assert level_on(date(2026, 4, 13), case) == 2
    assert level_on(date(2026, 4, 14), case) == 3


def test_the_pass_lowers_a_level_whose_deadline_moved_outside_the_actions(late_case):
    cast, case = late_case
    assert level_on(date(2026, 3, 31), case) == 1
    DisputeCase.objects.filter(pk=case.pk).update(deadline=date(2026, 4, 20))  # e.g. in the admin
    result = escalate_cases(date(2026, 4, 1), by=SYSTEM)
    case.refresh_from_db()
    assert (result.deescalated, case.escalation_level) == (1, 0)
    assert events(case, "dispute.deescalated")[0].after["reason"] == "the deadline is not passed"


def test_case_page_offers_deadline_change_and_deescalation_to_who_may(late_case, client):
    cast, case = late_case
    level_on(date(2026, 4, 2), case)
    client.force_login(cast.theo)
    page = client.get(reverse("disputes:case_detail", args=[case.pk])).content.decode()
    assert 'value="extend_deadline"' in page and 'value="deescalate"' in page
    url = reverse("disputes:case_action", args=[case.pk])
    response = client.post(url, {"action": "deescalate", "level": "1", "reason": "spoke to the manager"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.escalation_level == 1
    client.post(url, {"action": "extend_deadline", "deadline": "2099-01-30", "reason": "long investigation"})
    case.refresh_from_db()
    assert (case.deadline, case.escalation_level) == (date(2099, 1, 30), 0)
    client.force_login(cast.rita)  # a resolver may move the deadline, not de-escalate
    page = client.get(reverse("disputes:case_detail", args=[case.pk])).content.decode()
    assert 'value="extend_deadline"' in page and 'value="deescalate"' not in page
    assert client.post(url, {"action": "deescalate", "level": "0", "reason": "x"}).status_code == 302
    case.refresh_from_db()
    assert case.escalation_level == 0  # unchanged: nothing to de-escalate any more (and not allowed)
