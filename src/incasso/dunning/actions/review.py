"""Reviewing and approving a proposed run: exclude letters or items, change a letter's level, approve.

Every change needs a reason and is audited. Approval is for a team leader or a controller, and
never the proposer when the run is under four-eyes.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from incasso.accounts.choices import Role
from incasso.accounts.rules import roles_of
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core.money import quantize
from incasso.dunning.choices import LetterStatus, RunStatus, Tone
from incasso.dunning.errors import DunningError, DunningErrorCode
from incasso.dunning.models import Letter, LetterLine, Procedure, Run

APPROVER_ROLES = frozenset({Role.TEAM_LEADER, Role.CONTROLLER, Role.ADMIN})


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DunningError(DunningErrorCode.REASON_REQUIRED, "give a reason for the change")
    return reason


def _proposed_run(run_id: int) -> Run:
    try:
        run = Run.objects.select_for_update().get(pk=run_id)
    except Run.DoesNotExist:
        raise DunningError(DunningErrorCode.RUN_NOT_FOUND, f"no dunning run {run_id}") from None
    if run.status != RunStatus.PROPOSED:
        raise DunningError(DunningErrorCode.WRONG_STATUS, f"run {run_id} is {run.status}, not proposed")
    return run


def _retotal(letter: Letter) -> None:
    sums = letter.lines.filter(excluded=False).aggregate(items=Sum("amount_due"), interest=Sum("interest"),
                                                         compensation=Sum("compensation"))
    letter.items_total = quantize(sums["items"] or Decimal(0), letter.currency)
    letter.interest_total = quantize(sums["interest"] or Decimal(0), letter.currency)
    letter.compensation_total = quantize(sums["compensation"] or Decimal(0), letter.currency)
    letter.total = letter.items_total + letter.fee + letter.interest_total + letter.compensation_total
    if sums["items"] is None:
        letter.status = LetterStatus.EXCLUDED
        letter.review_note = "every item excluded"


def exclude_letter(letter_id: int, *, reason: str, by: Actor) -> Letter:
    reason = _reason(reason)
    with transaction.atomic():
        letter = Letter.objects.select_for_update().get(pk=letter_id)
        _proposed_run(letter.run_id)
        letter.status, letter.review_note = LetterStatus.EXCLUDED, reason
        letter.save(update_fields=["status", "review_note"])
        record(EventKind.DUNNING_RUN_REVIEWED, actor=by, subject_type="dunning_run", subject_id=letter.run_id,
               customer_id=letter.customer_id, message=f"Letter level {letter.level} excluded: {reason}")
    return letter


def exclude_line(line_id: int, *, reason: str, by: Actor) -> LetterLine:
    reason = _reason(reason)
    with transaction.atomic():
        line = LetterLine.objects.select_related("letter").get(pk=line_id)
        _proposed_run(line.letter.run_id)
        letter = Letter.objects.select_for_update().get(pk=line.letter_id)
        line.excluded, line.excluded_reason = True, reason
        line.save(update_fields=["excluded", "excluded_reason"])
        _retotal(letter)
        letter.save()
        record(EventKind.DUNNING_RUN_REVIEWED, actor=by, subject_type="dunning_run", subject_id=letter.run_id,
               customer_id=letter.customer_id, message=f"Item {line.item_id} excluded from the letter: {reason}")
    return line


def change_level(letter_id: int, level: int, *, reason: str, by: Actor) -> Letter:
    """Set the letter's level (and so its tone and channel) by hand, e.g. a softer first letter."""
    reason = _reason(reason)
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("customer").get(pk=letter_id)
        _proposed_run(letter.run_id)
        procedure = (Procedure.objects.filter(entity_id=letter.customer.entity_id,
                                              segment__in=[letter.customer.segment, ""])
                     .order_by("-segment").prefetch_related("levels").first())
        levels = {lv.number: lv for lv in procedure.levels.all()} if procedure else {}
        if level not in levels:
            raise DunningError(DunningErrorCode.BAD_LEVEL,
                               f"level {level} is not in the procedure (levels {sorted(levels)})")
        before = letter.level
        chosen = levels[level]
        letter.level, letter.tone, letter.channel = level, Tone(chosen.tone), chosen.channel
        letter.idempotency_key = f"dunning:{letter.run_id}:{letter.customer_id}:{level}:{letter.currency}"
        letter.review_note = reason
        letter.save()
        record(EventKind.DUNNING_RUN_REVIEWED, actor=by, subject_type="dunning_run", subject_id=letter.run_id,
               customer_id=letter.customer_id, message=f"Letter level {before} → {level}: {reason}",
               before={"level": before}, after={"level": level})
    return letter


def approve_run(run_id: int, *, by: Actor) -> Run:
    """Release a proposed run: its letters go to the outbox (status queued)."""
    with transaction.atomic():
        run = _proposed_run(run_id)
        if by.user is not None and not (roles_of(by.user) & APPROVER_ROLES) and not by.user.is_superuser:
            raise DunningError(DunningErrorCode.NOT_ALLOWED, "only a team leader or a controller approves runs")
        if run.four_eyes and (by.user is None or by.user.pk == run.proposed_by_id):
            raise DunningError(DunningErrorCode.FOUR_EYES,
                               "four-eyes: the run must be approved by someone other than its proposer")
        run.letters.filter(status=LetterStatus.PROPOSED).update(status=LetterStatus.QUEUED)
        run.status, run.approved_by, run.approved_at = RunStatus.APPROVED, by.user, timezone.now()
        run.save(update_fields=["status", "approved_by", "approved_at"])
        record(EventKind.DUNNING_RUN_APPROVED, actor=by, subject_type="dunning_run", subject_id=run.pk,
               message=f"Run {run.pk} approved: {run.letters.filter(status=LetterStatus.QUEUED).count()} letters")
    return run
