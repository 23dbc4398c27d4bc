"""Helpers shared by the dispute actions: permission check, case lock, timeline event, local today."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.disputes.errors import DisputeError, DisputeErrorCode
from incasso.disputes.models import DisputeCase, DisputeLine
from incasso.ledger.models import LegalEntity
from incasso.ledger.portfolio import entity_today


def require(by: Actor, permission: str, obj: Any, what: str) -> None:
    """Refuse the step unless the acting user holds ``permission`` (jobs acting as system may)."""
    if by.user is None:
        return
    if not by.user.has_perm(permission, obj):
        raise DisputeError(DisputeErrorCode.NOT_ALLOWED, f"{by.label} may not {what}")


def locked_case(case_id: int) -> DisputeCase:
    case = (DisputeCase.objects.select_for_update(of=("self",))
            .select_related("customer", "entity", "department", "reason").filter(pk=case_id).first())
    if case is None:
        raise DisputeError(DisputeErrorCode.NOT_FOUND, f"dispute case {case_id} does not exist")
    return case


def today_of(entity: LegalEntity) -> date:
    return entity_today(entity)


def timeline(case: DisputeCase, kind: EventKind, *, by: Actor, message: str,
             before: dict[str, Any] | None = None, after: dict[str, Any] | None = None) -> None:
    record(kind, actor=by, subject_type="dispute", subject_id=case.pk, customer_id=case.customer_id,
           message=f"{case.number}: {message}", before=before, after=after)


def transition_check(case: DisputeCase, method_name: str, what: str) -> None:
    from django_fsm import can_proceed

    if not can_proceed(getattr(case, method_name)):
        raise DisputeError(
            DisputeErrorCode.INVALID_TRANSITION,
            f"{case.number} is {case.get_status_display().lower()}: it cannot {what}",
        )


def blocked_elsewhere(item_ids: list[int], exclude_case_id: int | None = None) -> dict[int, Decimal]:
    """What other cases already block on each item (capped at the item's open amount)."""
    lines = DisputeLine.objects.filter(item_id__in=item_ids, blocked_amount__gt=0)
    if exclude_case_id is not None:
        lines = lines.exclude(case_id=exclude_case_id)
    rows = lines.values("item_id").annotate(blocked=Sum("blocked_amount"), open=F("item__open_amount"))
    return {r["item_id"]: min(r["blocked"], r["open"]) for r in rows}


def resum(case: DisputeCase) -> None:
    """Re-total the case's disputed and accepted amounts from its lines."""
    totals = case.lines.aggregate(disputed=Sum("disputed_amount"), accepted=Sum("accepted_amount"))
    case.disputed_amount = totals["disputed"] or Decimal(0)
    case.accepted_amount = totals["accepted"] or Decimal(0)
