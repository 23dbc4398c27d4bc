"""The daily escalation pass: remind resolvers before deadlines, escalate late cases level by level.

Set-based where it counts: one query reads the open cases near or past their deadline (with their
entity's country), the pure core decides each case (business days are cached per date pair and
country), then one UPDATE per new level and one bulk insert of timeline events write the result.
Mail is consolidated: each recipient gets one message listing their cases, after commit.

Running the pass twice on the same day changes nothing the second time (the levels are already
where they should be, reminders are sent once), and a pass that was missed for days catches up.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record_many
from incasso.audit.models import AuditEvent
from incasso.core.disputes import MAX_ESCALATION_LEVEL, EscalationPolicy, decide_escalation
from incasso.disputes.choices import OPEN_STATUSES, EscalationLevel
from incasso.disputes.models import DisputeCase, DisputeLine, ResolverDepartment
from incasso.disputes.notifications import send_after_commit
from incasso.disputes.policy import escalation_policy
from incasso.ledger.models import LegalEntity

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
            .values_list("pk", "deadline", "entity_id", "escalation_level", "reminded_on", "resolver_id",
                         "department_id", "customer_id")
            # No ORDER BY and no server-side cursor: PostgreSQL plans a cursor for its first rows and
            # would walk the primary key over every case instead of the open cases' deadline index.
            .order_by())
    # The decision depends only on (deadline, country, current level, reminded): decide each distinct
    # combination once, and write one UPDATE per (new level, country) over its deadlines instead of
    # one row at a time.
    escalate_to: dict[tuple[int, str, int], set[date]] = defaultdict(set)  # (new level, country, from level)
    remind: dict[str, set[date]] = defaultdict(set)
    events: list[tuple[Any, ...]] = []
    # (mail kind, address) -> [(case id, level, business days late)]: one consolidated mail each
    mail: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    departments = {d.pk: d for d in ResolverDepartment.objects.select_related("manager", "team_leader")
                   .prefetch_related("members")}
    users = get_user_model().objects
    team_leaders = list(users.filter(groups__name=Role.TEAM_LEADER, is_active=True))
    resolvers = {u.pk: u for u in users.filter(groups__name=Role.DISPUTE_RESOLVER)}
    decisions: dict[tuple[date, str, int, bool], Any] = {}
    recipients: dict[tuple[int, int, int | None], list[str]] = {}

    def notified(level: int, department_id: int, resolver_id: int | None) -> list[str]:
        key = (level, department_id, resolver_id)
        if key not in recipients:
            who = _recipients(level, departments[department_id], resolvers.get(resolver_id or 0), team_leaders)
            recipients[key] = sorted({u.email for u in who if u is not None and u.email})
        return recipients[key]

    now = timezone.now()
    countries = dict(LegalEntity.objects.values_list("pk", "country"))
    level_labels = {level: str(EscalationLevel(level).label) for level in EscalationLevel.values}
    for pk, deadline, entity_id, level, reminded_on, resolver_id, department_id, customer_id in list(rows):
        result.examined += 1
        country = countries[entity_id]
        key = (deadline, country, level, reminded_on is not None)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = decide_escalation(deadline=deadline, as_of=as_of, country=country,
                                                          current_level=level, reminded=key[3], policy=policy)
        number = f"DC-{pk:06d}"
        if decision.escalate:
            escalate_to[(decision.level, country, level)].add(deadline)
            result.escalated[decision.level] = result.escalated.get(decision.level, 0) + 1
            to = notified(decision.level, department_id, resolver_id)
            for address in to:
                mail[("escalation", address)].append((pk, decision.level, decision.business_days_late))
            events.append((now, by, EventKind.DISPUTE_ESCALATED, pk, customer_id,
                           f"{number}: {decision.business_days_late} business day(s) late, escalated to level "
                           f"{decision.level} ({level_labels[decision.level]}); "
                           f"notified {', '.join(to) or '-'}",
                           {"level": level}, {"level": decision.level, "notified": to}))
        if decision.remind:
            remind[country].add(deadline)
            result.reminded += 1
            to = notified(EscalationLevel.RESOLVER, department_id, resolver_id)
            for address in to:
                mail[("reminder", address)].append((pk, 0, 0))
            events.append((now, by, EventKind.DISPUTE_REMINDED, pk, customer_id,
                           f"{number}: deadline reminder to {', '.join(to) or '-'}", None, {"notified": to}))
    open_cases = DisputeCase.objects.filter(status__in=list(OPEN_STATUSES))
    for (level, country, from_level), deadlines in escalate_to.items():
        open_cases.filter(entity__country=country, deadline__in=sorted(deadlines), escalation_level=from_level).update(
            escalation_level=level, escalated_on=as_of)
    for country, deadlines in remind.items():
        open_cases.filter(entity__country=country, deadline__in=sorted(deadlines), escalation_level=0,
                          reminded_on__isnull=True).update(reminded_on=as_of)
    _write_events(events)
    for (kind, address), cases in sorted(mail.items()):
        send_after_commit([address], *_message(kind, cases, as_of))
        result.mails += 1
    return result


def _write_events(events: list[tuple[Any, ...]]) -> None:
    """Append the timeline events: COPY on PostgreSQL (a hundred thousand rows in about a second),
    ``bulk_create`` elsewhere."""
    if not events:
        return
    if connection.vendor != "postgresql":
        record_many([build(kind, actor=by, subject_type="dispute", subject_id=pk, customer_id=customer_id,
                           message=message, before=before, after=after, at=at)
                     for at, by, kind, pk, customer_id, message, before, after in events], batch_size=BATCH)
        return
    table = AuditEvent._meta.db_table
    encoded: dict[str, str] = {}  # most cases share their before/after JSON: encode each once

    def as_json(value: Any) -> str | None:
        if value is None:
            return None
        key = repr(value)
        if key not in encoded:
            encoded[key] = json.dumps(value)
        return encoded[key]

    columns = "occurred_at, actor_id, actor_label, kind, subject_type, subject_id, customer_id, message, before, after"
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for at, by, kind, pk, customer_id, message, before, after in events:
            copy.write_row((at, by.user.pk if by.user else None, by.label, str(kind), "dispute", str(pk),
                            customer_id, message, as_json(before), as_json(after)))


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
