"""Portfolios and the team: assignment by rules with manual override, absences, escalation, tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incasso.accounts.choices import Role
from incasso.audit import events
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.actions.worklist import refresh_customer_entry
from incasso.collections.choices import TaskPriority
from incasso.collections.errors import CollectionsError, CollectionsErrorCode
from incasso.collections.models import Absence, AssignmentRule, Escalation, ManualAssignment, Task
from incasso.core.collections import assignment as core
from incasso.ledger.models import Customer
from incasso.ledger.portfolio import with_balances

COLLECTING_ROLES = (Role.COLLECTOR, Role.SENIOR_COLLECTOR, Role.TEAM_LEADER)


def collectors():  # type: ignore[no-untyped-def]
    return get_user_model().objects.filter(groups__name__in=list(COLLECTING_ROLES), is_active=True).distinct() \
        .order_by("username")


def seniors():  # type: ignore[no-untyped-def]
    """Who can take an escalated account: active senior collectors and team leaders."""
    return get_user_model().objects.filter(
        groups__name__in=[Role.SENIOR_COLLECTOR, Role.TEAM_LEADER], is_active=True).distinct().order_by("username")


def _collector(user_id: int):  # type: ignore[no-untyped-def]
    user = collectors().filter(pk=user_id).first()
    if user is None:
        raise CollectionsError(CollectionsErrorCode.NOT_A_COLLECTOR, f"user {user_id} is not an active collector")
    return user


def reassign_customer(customer_id: int, collector_id: int, *, reason: str, as_of: date, by: Actor) -> Customer:
    """Give an account to a collector by hand; the rules will not move it back."""
    collector = _collector(collector_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        before = customer.collector.get_username() if customer.collector_id else None
        customer.collector = collector
        customer.save(update_fields=["collector", "updated_at"])
        ManualAssignment.objects.update_or_create(
            customer=customer, defaults={"collector": collector, "reason": reason, "assigned_by": by.user})
        record(EventKind.PORTFOLIO_ASSIGNED, actor=by, subject_type="customer", subject_id=customer.pk,
               customer_id=customer.pk, message=f"Collector {before or '—'} → {collector.get_username()}"
               + (f": {reason}" if reason else ""),
               before={"collector": before}, after={"collector": collector.get_username(), "manual": True})
        refresh_customer_entry(customer.pk, as_of)
    return customer


@dataclass(frozen=True)
class Move:
    """An account the assignment rules would give to another collector."""

    customer_id: int
    before: int | None  # collector now
    target: int  # collector by rule


def plan_assignment() -> list[Move]:
    """What ``apply_assignment_rules`` would move, without moving anything (the preview screen):
    every account without a manual override whose first matching rule names another collector."""
    rules = [core.AssignmentRule(r.collector_id, r.entity_id, r.language, r.segment, r.country, r.min_balance,
                                 r.max_balance) for r in AssignmentRule.objects.all()]
    if not rules:
        return []
    manual = set(ManualAssignment.objects.values_list("customer_id", flat=True))
    moves = []
    accounts = with_balances(Customer.objects.all(), {})
    for c in accounts.values("pk", "entity_id", "language", "segment", "country", "balance", "collector_id"):
        if c["pk"] in manual:
            continue
        target = core.assign(rules, core.AccountProfile(c["pk"], c["entity_id"], c["language"], c["segment"],
                                                        c["country"], c["balance"]))
        if target is not None and target != c["collector_id"]:
            moves.append(Move(c["pk"], c["collector_id"], target))
    return moves


def apply_assignment_rules(*, as_of: date, by: Actor) -> int:
    """Assign every account without a manual override by the first matching rule; returns how many moved."""
    moves = [(m.customer_id, m.before, m.target) for m in plan_assignment()]
    if not moves:
        return 0
    with transaction.atomic():
        for pk, _before, target in moves:
            Customer.objects.filter(pk=pk).update(collector_id=target)
        events.record_many(events.build(
            EventKind.PORTFOLIO_ASSIGNED, actor=by, subject_type="customer", subject_id=pk, customer_id=pk,
            message="Collector assigned by rule", before={"collector_id": before}, after={"collector_id": target},
        ) for pk, before, target in moves)
    return len(moves)


def set_absence(collector_id: int, substitute_id: int, starts_on: date, ends_on: date, *, by: Actor) -> Absence:
    collector, substitute = _collector(collector_id), _collector(substitute_id)
    if ends_on < starts_on:
        raise CollectionsError(CollectionsErrorCode.INVALID_PERIOD, f"the absence ends ({ends_on}) before it starts "
                               f"({starts_on})")
    if collector == substitute:
        raise CollectionsError(CollectionsErrorCode.INVALID_PERIOD, "a collector cannot substitute for themselves")
    with transaction.atomic():
        absence = Absence.objects.create(collector=collector, substitute=substitute, starts_on=starts_on,
                                         ends_on=ends_on, created_by=by.user)
        record(EventKind.ABSENCE_SET, actor=by, subject_type="absence", subject_id=absence.pk,
               message=f"{collector.get_username()} away {starts_on}–{ends_on}; "
                       f"{substitute.get_username()} substitutes")
    return absence


def escalate_customer(customer_id: int, senior_id: int, *, reason: str, as_of: date, by: Actor,
                      by_rule: bool = False) -> Escalation:
    """Hand an account to a senior collector ("second voice") until the escalation is closed."""
    senior = _collector(senior_id)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer_id)
        if Escalation.objects.filter(customer=customer, closed_on__isnull=True).exists():
            raise CollectionsError(CollectionsErrorCode.NOT_ALLOWED, f"{customer.account} is already escalated")
        escalation = Escalation.objects.create(customer=customer, senior=senior, reason=reason, by_rule=by_rule,
                                               escalated_on=as_of, created_by=by.user)
        record(EventKind.ACCOUNT_ESCALATED, actor=by, subject_type="customer", subject_id=customer.pk,
               customer_id=customer.pk, message=f"Escalated to {senior.get_username()}: {reason}")
        refresh_customer_entry(customer.pk, as_of)
    return escalation


def assign_task(collector_id: int, title: str, due_on: date, *, by: Actor, priority: int = TaskPriority.NORMAL,
                customer_id: int | None = None) -> Task:
    collector = _collector(collector_id)
    with transaction.atomic():
        task = Task.objects.create(assigned_to=collector, title=title, due_on=due_on, priority=priority,
                                   customer_id=customer_id, created_by=by.user)
        record(EventKind.TASK_ASSIGNED, actor=by, subject_type="task", subject_id=task.pk, customer_id=customer_id,
               message=f"Task for {collector.get_username()} due {due_on}: {title}")
    return task


def complete_task(task_id: int, *, by: Actor) -> Task:
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task_id)
        if task.done_at is None:
            task.done_at = timezone.now()
            task.save(update_fields=["done_at"])
            record(EventKind.TASK_DONE, actor=by, subject_type="task", subject_id=task.pk,
                   customer_id=task.customer_id, message=f"Task done: {task.title}")
    return task
