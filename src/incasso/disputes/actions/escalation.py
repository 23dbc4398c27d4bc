"""The daily escalation pass: remind resolvers before deadlines, escalate late cases level by level.

Set-based where it counts: one query reads the open cases near or past their deadline (with their
entity's country), the pure core decides each case (business days are cached per date pair and
country), then one UPDATE per new level and one bulk insert of timeline events write the result.
Mail is consolidated: each recipient gets one message listing their cases, after commit.

Running the pass twice on the same day changes nothing the second time (the levels are already
where they should be, reminders are sent once), and a pass that was missed for days catches up.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record_many
from incasso.core.disputes import MAX_ESCALATION_LEVEL, EscalationPolicy, decide_escalation
from incasso.disputes.choices import OPEN_STATUSES, EscalationLevel
from incasso.disputes.models import DisputeCase, DisputeLine, ResolverDepartment
from incasso.disputes.notifications import send_after_commit
from incasso.disputes.policy import escalation_policy

BATCH = 5000


@dataclass
class EscalationResult:
    """What one pass did: cases reminded, cases escalated per new level, mails queued, lines capped."""

    as_of: date
    examined: int = 0
    reminded: int = 0
    escalated: dict[int, int] = field(default_factory=dict)
    mails: int = 0
    amounts_followed: int = 0

    @property
    def escalated_total(self) -> int:
        return sum(self.escalated.values())


def follow_item_amounts(*, by: Actor) -> int:
    """Lower the disputed amount of open cases' lines whose item now owes less (paid, credited, written
    off in the ERP), so the case shows what is really still disputed. Returns the lines changed."""
    lines = list(DisputeLine.objects.filter(case__status__in=list(OPEN_STATUSES),
                                            item__open_amount__lt=F("disputed_amount"))
                 .select_related("item", "case"))
    if not lines:
        return 0
    events = []
    touched: dict[int, DisputeCase] = {}
    for line in lines:
        before = line.disputed_amount
        line.disputed_amount = line.item.open_amount
        line.blocked_amount = min(line.blocked_amount, line.disputed_amount)
        line.accepted_amount = min(line.accepted_amount, line.disputed_amount)
        touched[line.case_id] = line.case
        events.append(build(EventKind.DISPUTE_AMOUNT_CHANGED, actor=by, subject_type="dispute",
                            subject_id=line.case_id, customer_id=line.case.customer_id,
                            message=f"{line.case.number}: {line.item.number} now owes {line.item.open_amount}; "
                                    f"disputed {before} -> {line.disputed_amount}",
                            before={"disputed": str(before)}, after={"disputed": str(line.disputed_amount)}))
    DisputeLine.objects.bulk_update(lines, ["disputed_amount", "blocked_amount", "accepted_amount"], batch_size=BATCH)
    for case in touched.values():
        case.disputed_amount = sum(case.lines.values_list("disputed_amount", flat=True), 0)
    DisputeCase.objects.bulk_update(list(touched.values()), ["disputed_amount"], batch_size=BATCH)
    record_many(events)
    return len(lines)


def _recipients(level: int, department: ResolverDepartment, resolver: Any, team_leaders: list[Any]) -> list[Any]:
    if level <= EscalationLevel.RESOLVER:
        return [resolver] if resolver is not None else list(department.members.all())
    if level == EscalationLevel.MANAGER:
        return [department.manager] if department.manager is not None else team_leaders
    return [department.team_leader] if department.team_leader is not None else team_leaders


@transaction.atomic
def escalate_cases(as_of: date, *, by: Actor, policy: EscalationPolicy | None = None) -> EscalationResult:
    """Remind and escalate every open case as of ``as_of`` (the entities' business date)."""
    policy = policy or escalation_policy()
    result = EscalationResult(as_of)
    result.amounts_followed = follow_item_amounts(by=by)
    # Reminders are due a few business days ahead: a calendar window of three times that plus a
    # week of holidays is always wide enough; the core decides exactly.
    horizon = as_of + timedelta(days=policy.remind_before_business_days * 3 + 7)
    rows = (DisputeCase.objects.filter(status__in=list(OPEN_STATUSES), deadline__lte=horizon)
            .filter(escalation_level__lt=MAX_ESCALATION_LEVEL)
            .filter(Q(deadline__lt=as_of) | Q(reminded_on__isnull=True))
            .values_list("pk", "deadline", "entity__country", "escalation_level", "reminded_on", "resolver_id",
                         "department_id", "customer_id")
            .order_by("pk"))
    new_levels: dict[int, list[int]] = defaultdict(list)
    reminders: list[int] = []
    events = []
    # (mail kind, address) -> [(case id, level, business days late)]: one consolidated mail each
    mail: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    departments = {d.pk: d for d in ResolverDepartment.objects.select_related("manager", "team_leader")
                   .prefetch_related("members")}
    users = get_user_model().objects
    team_leaders = list(users.filter(groups__name=Role.TEAM_LEADER, is_active=True))
    resolver_ids = set()
    decided = []
    for pk, deadline, country, level, reminded_on, resolver_id, department_id, customer_id in rows.iterator(
            chunk_size=BATCH):
        result.examined += 1
        decision = decide_escalation(deadline=deadline, as_of=as_of, country=country, current_level=level,
                                     reminded=reminded_on is not None, policy=policy)
        if decision.escalate or decision.remind:
            decided.append((pk, level, decision, resolver_id, department_id, customer_id))
            if resolver_id:
                resolver_ids.add(resolver_id)
    resolvers = users.in_bulk(resolver_ids)
    for pk, level, decision, resolver_id, department_id, customer_id in decided:
        department = departments[department_id]
        number = f"DC-{pk:06d}"
        if decision.escalate:
            new_levels[decision.level].append(pk)
            who = _recipients(decision.level, department, resolvers.get(resolver_id), team_leaders)
            to = sorted({u.email for u in who if u is not None and u.email})
            for address in to:
                mail[("escalation", address)].append((pk, decision.level, decision.business_days_late))
            events.append(build(
                EventKind.DISPUTE_ESCALATED, actor=by, subject_type="dispute", subject_id=pk, customer_id=customer_id,
                message=f"{number}: {decision.business_days_late} business day(s) late, escalated to level "
                        f"{decision.level} ({EscalationLevel(decision.level).label}); notified {', '.join(to) or '-'}",
                before={"level": level}, after={"level": decision.level, "notified": to}))
        if decision.remind:
            reminders.append(pk)
            who = _recipients(EscalationLevel.RESOLVER, department, resolvers.get(resolver_id), team_leaders)
            to = sorted({u.email for u in who if u is not None and u.email})
            for address in to:
                mail[("reminder", address)].append((pk, 0, 0))
            events.append(build(EventKind.DISPUTE_REMINDED, actor=by, subject_type="dispute", subject_id=pk,
                                customer_id=customer_id,
                                message=f"{number}: deadline reminder to {', '.join(to) or '-'}",
                                after={"notified": to}))
    for level, ids in new_levels.items():
        for start in range(0, len(ids), BATCH):
            DisputeCase.objects.filter(pk__in=ids[start:start + BATCH]).update(escalation_level=level,
                                                                               escalated_on=as_of)
        result.escalated[level] = len(ids)
    for start in range(0, len(reminders), BATCH):
        DisputeCase.objects.filter(pk__in=reminders[start:start + BATCH]).update(reminded_on=as_of)
    result.reminded = len(reminders)
    record_many(events, batch_size=BATCH)
    for (kind, address), cases in sorted(mail.items()):
        send_after_commit([address], *_message(kind, cases, as_of))
        result.mails += 1
    return result


def _message(kind: str, cases: list[tuple[int, int, int]], as_of: date) -> tuple[str, str]:
    numbers = [f"DC-{pk:06d}" for pk, _level, _late in cases]
    if kind == "reminder":
        subject = f"Incasso: {len(cases)} dispute case(s) due soon"
        body = "These dispute cases reach their deadline within days:\n" + "\n".join(numbers)
    else:
        subject = f"Incasso: {len(cases)} dispute case(s) escalated to you"
        body = "These dispute cases are past their deadline:\n" + "\n".join(
            f"DC-{pk:06d}: level {level}, {late} business day(s) late" for pk, level, late in cases)
    return subject, body + f"\n\n(as of {as_of.isoformat()})\n"
