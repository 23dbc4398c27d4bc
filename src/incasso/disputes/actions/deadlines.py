"""Deadlines and de-escalation: extending a deadline, stopping the clock while the customer has the
ball, resetting the level at resolution, a team leader's manual de-escalation.

The rule (see docs/disputes.md, "De-escalation"): a case's escalation level is never above what its
lateness against its *current* deadline calls for, and only running cases are escalated.

- the deadline is extended (``extend_deadline``): the level drops to the level due for the new
  deadline (0 when it is not passed), the reminder is due again before the new deadline;
- the case waits for the customer: the clock stops, the level goes back to 0 and the daily pass
  leaves the case alone; when the customer answers (investigation or internal wait again) the
  deadline moves by the business days the case waited (``resume_clock``);
- the case is resolved (or written off): the level goes back to 0 (nobody is late any more); the
  highest level it reached stays in ``highest_escalation_level`` for the analytics;
- a team leader de-escalates by hand with a reason (``deescalate_case``): the case drops to the
  level chosen and, from that day, climbs one level per escalation step again (not straight back to
  the level its lateness calls for).

Each change writes a ``dispute.deescalated`` (or ``dispute.deadline``) event with the before and
after levels and the reason, which is the case's timeline.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.core.calendar import local_date
from incasso.core.disputes import deadline_after_waiting, level_after_deadline_change
from incasso.disputes.actions.common import locked_case, require, timeline, today_of
from incasso.disputes.choices import OPEN_STATUSES, CaseStatus, EscalationLevel
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeCase
from incasso.disputes.policy import escalation_policy


def lower_level(case: DisputeCase, level: int, *, by: Actor, why: str, on_date: date) -> bool:
    """Set the (unsaved) case's level down to ``level`` and write the timeline event; False if the
    case was not above it. The caller saves the case in its transaction."""
    if case.escalation_level <= level:
        return False
    before = case.escalation_level
    case.escalation_level = level
    timeline(case, EventKind.DISPUTE_DEESCALATED, by=by,
             message=f"de-escalated from level {before} to {level}: {why}",
             before={"level": before}, after={"level": level, "reason": why, "on": on_date.isoformat()})
    return True


def _move_deadline(case: DisputeCase, deadline: date, *, by: Actor, why: str, on_date: date) -> None:
    before = case.deadline
    case.deadline = deadline
    if deadline > before:
        case.reminded_on = None  # remind again before the new deadline
    case.deescalated_on = None  # the new deadline defines the ladder again
    timeline(case, EventKind.DISPUTE_DEADLINE_CHANGED, by=by,
             message=f"deadline {before.isoformat()} -> {deadline.isoformat()}: {why}",
             before={"deadline": before.isoformat()}, after={"deadline": deadline.isoformat(), "reason": why})
    due = level_after_deadline_change(case.escalation_level, deadline, on_date, case.entity.country,
                                      escalation_policy())
    lower_level(case, due, by=by, why=f"new deadline {deadline.isoformat()}", on_date=on_date)


@transaction.atomic
def extend_deadline(case_id: int, deadline: date, *, by: Actor, reason: str,
                    on_date: date | None = None) -> DisputeCase:
    """Give an open case a new deadline (the customer needs time to send proof, an internal answer is
    late): needs a reason; the escalation level drops to what the new deadline calls for."""
    reason = reason.strip()
    if not reason:
        raise DisputeError(DisputeErrorCode.REASON_REQUIRED, "a new deadline needs a reason")
    case = locked_case(case_id)
    require(by, "disputes.extend_deadline", case, f"change the deadline of {case.number}")
    if case.status not in OPEN_STATUSES:
        raise DisputeError(DisputeErrorCode.INVALID_TRANSITION,
                           f"{case.number} is {case.get_status_display().lower()}: its deadline no longer runs")
    if deadline < case.opened_on:
        raise DisputeError(DisputeErrorCode.MISSING_RESOLUTION_DATA,
                           f"{case.number} was opened on {case.opened_on}; the deadline cannot be before that")
    if deadline == case.deadline:
        return case
    _move_deadline(case, deadline, by=by, why=reason, on_date=on_date or today_of(case.entity))
    case.save()
    return case


@transaction.atomic
def deescalate_case(case_id: int, *, by: Actor, reason: str, level: int | None = None,
                    on_date: date | None = None) -> DisputeCase:
    """A team leader takes a late case down (default: one level) with a reason; from ``on_date`` it
    climbs one escalation step at a time again if it stays late."""
    reason = reason.strip()
    if not reason:
        raise DisputeError(DisputeErrorCode.REASON_REQUIRED, "de-escalating a dispute needs a reason")
    case = locked_case(case_id)
    require(by, "disputes.deescalate_case", case, f"de-escalate {case.number}")
    if case.status not in OPEN_STATUSES or case.escalation_level == EscalationLevel.NONE:
        raise DisputeError(DisputeErrorCode.INVALID_TRANSITION, f"{case.number} is not escalated")
    target = case.escalation_level - 1 if level is None else level
    if not 0 <= target < case.escalation_level:
        raise DisputeError(DisputeErrorCode.INVALID_TRANSITION,
                           f"{case.number} is at level {case.escalation_level}: it can only go down, not to {target}")
    on_date = on_date or today_of(case.entity)
    lower_level(case, target, by=by, why=reason, on_date=on_date)
    case.deescalated_on = on_date
    case.save()
    return case


def stop_clock(case: DisputeCase, *, by: Actor, on_date: date) -> None:
    """The case now waits for the customer: back to level 0 (saved by the caller)."""
    lower_level(case, EscalationLevel.NONE, by=by, why="waiting for the customer: the deadline clock stops",
                on_date=on_date)


def resume_clock(case: DisputeCase, *, by: Actor, on_date: date) -> None:
    """The case leaves "waiting for customer": its deadline moves by the business days it waited
    (since the last status change into that state, read from the timeline). Saved by the caller."""
    entered = (AuditEvent.objects.filter(subject_type="dispute", subject_id=str(case.pk),
                                         kind=EventKind.DISPUTE_STATUS_CHANGED,
                                         after__status=CaseStatus.WAITING_CUSTOMER)
               .order_by("-occurred_at", "-id").values_list("occurred_at", "after").first())
    if entered is None:
        return
    occurred_at, after = entered
    # The step's business date when it recorded one, else the local date of the event.
    waited_from = (date.fromisoformat(after["on"]) if after.get("on")
                   else local_date(occurred_at, case.entity.timezone))
    deadline = deadline_after_waiting(case.deadline, waited_from, on_date, case.entity.country)
    if deadline != case.deadline:
        _move_deadline(case, deadline, by=by, why=f"waited for the customer since {waited_from.isoformat()}",
                       on_date=on_date)


def reset_on_resolution(case: DisputeCase, *, by: Actor, on_date: date) -> None:
    """A resolved case is nobody's late case: level 0 (the highest level reached is kept)."""
    lower_level(case, EscalationLevel.NONE, by=by, why="resolved", on_date=on_date)
    case.deescalated_on = None
