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
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, build, record_many
from incasso.audit.models import AuditEvent
from incasso.core.disputes import MAX_ESCALATION_LEVEL, EscalationPolicy, decide_escalation
from incasso.disputes.choices import OPEN_STATUSES, CaseStatus, EscalationLevel
from incasso.disputes.models import DisputeCase, DisputeLine, ResolverDepartment
from incasso.disputes.notifications import send_after_commit
from incasso.disputes.policy import escalation_policy
from incasso.ledger.models import LegalEntity

BATCH = 5000
# The deadline clock runs in these states; waiting for the customer stops it (no reminder, no escalation).
RUNNING_STATUSES = [status for status in OPEN_STATUSES if status != CaseStatus.WAITING_CUSTOMER]


@dataclass
class EscalationResult:
    """What one pass did: cases reminded, cases escalated per new level, mails queued, lines capped."""

    as_of: date
    examined: int = 0
    reminded: int = 0
    escalated: dict[int, int] = field(default_factory=dict)
    mails: int = 0
    amounts_followed: int = 0
    deescalated: int = 0

    @property
    def escalated_total(self) -> int:
        return sum(self.escalated.values())


def follow_item_amounts(*, by: Actor) -> int:
    """Lower the disputed amount of open cases' lines whose item now owes less (paid, credited, written
    off in the ERP), so the case shows what is really still disputed. Returns the lines changed."""
    # An open case's lines block their whole disputed amount: the partial index on blocking lines
    # narrows the million lines to the open ones before the items are looked at.
    lines = list(DisputeLine.objects.filter(case__status__in=list(OPEN_STATUSES), blocked_amount__gt=0,
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
    result.deescalated = realign_levels(as_of, by=by)
    # Reminders are due a few business days ahead: a calendar window of three times that plus a
    # week of holidays is always wide enough; the core decides exactly.
    horizon = as_of + timedelta(days=policy.remind_before_business_days * 3 + 7)
    if connection.vendor == "postgresql":
        mail = _escalate_set_based(as_of, horizon, by=by, policy=policy, result=result)
        _send(mail, as_of, result)
        return result
    rows = (DisputeCase.objects.filter(status__in=RUNNING_STATUSES, deadline__lte=horizon)
            .filter(escalation_level__lt=MAX_ESCALATION_LEVEL)
            .filter(Q(deadline__lt=as_of) | Q(reminded_on__isnull=True))
            .values_list("pk", "deadline", "entity_id", "escalation_level", "reminded_on", "resolver_id",
                         "department_id", "customer_id", "deescalated_on", "escalated_on")
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
    decisions: dict[tuple[date, str, int, bool, date | None], Any] = {}
    paced: dict[tuple[int, int], list[int]] = defaultdict(list)  # (new level, from level) -> case ids
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
    for (pk, deadline, entity_id, level, reminded_on, resolver_id, department_id, customer_id, deescalated_on,
         escalated_on) in list(rows):
        result.examined += 1
        country = countries[entity_id]
        # A case a team leader took down by hand climbs one step at a time from then on.
        paced_since = None if deescalated_on is None else max(deescalated_on, escalated_on or deescalated_on)
        key = (deadline, country, level, reminded_on is not None, paced_since)
        decision = decisions.get(key)
        if decision is None:
            decision = decisions[key] = decide_escalation(deadline=deadline, as_of=as_of, country=country,
                                                          current_level=level, reminded=key[3], policy=policy,
                                                          paced_since=paced_since)
        number = f"DC-{pk:06d}"
        if decision.escalate and paced_since is not None:
            paced[(decision.level, level)].append(pk)
        elif decision.escalate:
            escalate_to[(decision.level, country, level)].add(deadline)
        if decision.escalate:
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
    open_cases = DisputeCase.objects.filter(status__in=RUNNING_STATUSES)
    for (level, country, from_level), deadlines in escalate_to.items():
        open_cases.filter(entity__country=country, deadline__in=sorted(deadlines), escalation_level=from_level,
                          deescalated_on__isnull=True).update(
            escalation_level=level, escalated_on=as_of,
            highest_escalation_level=Greatest("highest_escalation_level", Value(level)))
    for (level, from_level), pks in paced.items():
        open_cases.filter(pk__in=pks, escalation_level=from_level).update(
            escalation_level=level, escalated_on=as_of,
            highest_escalation_level=Greatest("highest_escalation_level", Value(level)))
    for country, deadlines in remind.items():
        open_cases.filter(entity__country=country, deadline__in=sorted(deadlines), escalation_level=0,
                          reminded_on__isnull=True).update(reminded_on=as_of)
    _write_events(events)
    _send(mail, as_of, result)
    return result


def _send(mail: dict[tuple[str, str], list[tuple[int, int, int]]], as_of: date, result: EscalationResult) -> None:
    """One consolidated mail per (kind, recipient), sent after commit."""
    for (kind, address), cases in sorted(mail.items()):
        send_after_commit([address], *_message(kind, cases, as_of))
        result.mails += 1


class _Recipients:
    """Who is told about a case at a level: the resolver (else the department's members), the
    department's manager, its team leader (else the team leaders); e-mail addresses, cached."""

    def __init__(self) -> None:
        self.departments = {d.pk: d for d in ResolverDepartment.objects.select_related("manager", "team_leader")
                            .prefetch_related("members")}
        users = get_user_model().objects
        self.team_leaders = list(users.filter(groups__name=Role.TEAM_LEADER, is_active=True))
        self.resolvers = {u.pk: u for u in users.filter(groups__name=Role.DISPUTE_RESOLVER)}
        self.cache: dict[tuple[int, int, int | None], list[str]] = {}

    def __call__(self, level: int, department_id: int, resolver_id: int | None) -> list[str]:
        key = (level, department_id, resolver_id)
        if key not in self.cache:
            who = _recipients(level, self.departments[department_id], self.resolvers.get(resolver_id or 0),
                              self.team_leaders)
            self.cache[key] = sorted({u.email for u in who if u is not None and u.email})
        return self.cache[key]


# PostgreSQL: the candidates' distinct (deadline, country, level, reminded, pacing) keys are decided in
# Python (a few hundred, whatever the number of cases); the decisions go back as a VALUES table and one
# statement per kind updates the cases, appends their timeline events (INSERT ... SELECT from the
# UPDATE's RETURNING) and returns what the mails need. No case row travels to Python and back.
_CANDIDATES = """
    FROM disputes_disputecase c JOIN ledger_legalentity e ON e.id = c.entity_id
    WHERE c.status = ANY(%(running)s) AND c.deadline <= %(horizon)s AND c.escalation_level < %(top)s
      AND (c.deadline < %(as_of)s OR c.reminded_on IS NULL)"""
_PACED = ("CASE WHEN c.deescalated_on IS NULL THEN NULL "
          "ELSE GREATEST(c.deescalated_on, COALESCE(c.escalated_on, c.deescalated_on)) END")
_NUMBER = "'DC-' || lpad(m.id::text, 6, '0')"
_ESCALATE_SQL = f"""
WITH decision(deadline, country, from_level, paced_since, level, late) AS (
    SELECT * FROM unnest(%(d_deadline)s::date[], %(d_country)s::text[], %(d_from)s::int[], %(d_paced)s::date[],
                         %(d_level)s::int[], %(d_late)s::int[])),
recipient(level, department_id, resolver_id, emails) AS (
    SELECT r.level, r.department_id, r.resolver_id, ARRAY(SELECT jsonb_array_elements_text(r.emails))
    FROM unnest(%(r_level)s::int[], %(r_department)s::int[], %(r_resolver)s::int[], %(r_emails)s::jsonb[])
         AS r(level, department_id, resolver_id, emails)),
label(level, label) AS (SELECT * FROM unnest(%(l_level)s::int[], %(l_label)s::text[])),
moved AS (
    UPDATE disputes_disputecase c
    SET escalation_level = d.level, escalated_on = %(as_of)s,
        highest_escalation_level = GREATEST(c.highest_escalation_level, d.level)
    FROM ledger_legalentity e, decision d
    WHERE e.id = c.entity_id AND c.status = ANY(%(running)s) AND c.deadline = d.deadline AND e.country = d.country
      AND c.escalation_level = d.from_level AND ({_PACED}) IS NOT DISTINCT FROM d.paced_since
    RETURNING c.id, c.customer_id, c.department_id, COALESCE(c.resolver_id, 0) AS resolver_id,
              d.from_level, d.level, d.late),
notified AS (
    SELECT m.*, COALESCE(r.emails, ARRAY[]::text[]) AS emails
    FROM moved m LEFT JOIN recipient r
      ON r.level = m.level AND r.department_id = m.department_id AND r.resolver_id = m.resolver_id),
events AS (
    INSERT INTO audit_auditevent (occurred_at, actor_id, actor_label, kind, subject_type, subject_id, customer_id,
                                  message, before, after)
    SELECT %(now)s, %(actor_id)s, %(actor_label)s, 'dispute.escalated', 'dispute', m.id::text, m.customer_id,
           {_NUMBER} || ': ' || m.late || ' business day(s) late, escalated to level ' || m.level
           || ' (' || l.label || '); notified ' || COALESCE(NULLIF(array_to_string(m.emails, ', '), ''), '-'),
           jsonb_build_object('level', m.from_level),
           jsonb_build_object('level', m.level, 'notified', to_jsonb(m.emails))
    FROM notified m JOIN label l ON l.level = m.level)
SELECT id, level, late, emails FROM notified
"""
_REMIND_SQL = f"""
WITH due(deadline, country) AS (SELECT * FROM unnest(%(deadline)s::date[], %(country)s::text[])),
recipient(department_id, resolver_id, emails) AS (
    SELECT r.department_id, r.resolver_id, ARRAY(SELECT jsonb_array_elements_text(r.emails))
    FROM unnest(%(r_department)s::int[], %(r_resolver)s::int[], %(r_emails)s::jsonb[])
         AS r(department_id, resolver_id, emails)),
moved AS (
    UPDATE disputes_disputecase c SET reminded_on = %(as_of)s
    FROM ledger_legalentity e, due d
    WHERE e.id = c.entity_id AND c.status = ANY(%(running)s) AND c.deadline = d.deadline AND e.country = d.country
      AND c.escalation_level = 0 AND c.reminded_on IS NULL
    RETURNING c.id, c.customer_id, c.department_id, COALESCE(c.resolver_id, 0) AS resolver_id),
notified AS (
    SELECT m.*, COALESCE(r.emails, ARRAY[]::text[]) AS emails
    FROM moved m LEFT JOIN recipient r ON r.department_id = m.department_id AND r.resolver_id = m.resolver_id),
events AS (
    INSERT INTO audit_auditevent (occurred_at, actor_id, actor_label, kind, subject_type, subject_id, customer_id,
                                  message, before, after)
    SELECT %(now)s, %(actor_id)s, %(actor_label)s, 'dispute.reminded', 'dispute', m.id::text, m.customer_id,
           {_NUMBER} || ': deadline reminder to ' || COALESCE(NULLIF(array_to_string(m.emails, ', '), ''), '-'),
           NULL, jsonb_build_object('notified', to_jsonb(m.emails))
    FROM notified m)
SELECT id, emails FROM notified
"""


def _escalate_set_based(as_of: date, horizon: date, *, by: Actor, policy: EscalationPolicy,
                        result: EscalationResult) -> dict[tuple[str, str], list[tuple[int, int, int]]]:
    params: dict[str, Any] = {"running": list(RUNNING_STATUSES), "horizon": horizon, "top": MAX_ESCALATION_LEVEL,
                              "as_of": as_of}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT c.deadline, e.country, c.escalation_level, c.reminded_on IS NOT NULL, {_PACED}, "
                       f"count(*) {_CANDIDATES} GROUP BY 1, 2, 3, 4, 5", params)
        keys = cursor.fetchall()
        cursor.execute(f"SELECT DISTINCT c.department_id, c.resolver_id {_CANDIDATES}", params)
        pairs = cursor.fetchall()
    escalations: dict[tuple[date, str, int, date | None], tuple[int, int]] = {}
    reminders: set[tuple[date, str]] = set()
    levels: set[int] = set()
    for deadline, country, level, reminded, paced_since, count in keys:
        result.examined += count
        decision = decide_escalation(deadline=deadline, as_of=as_of, country=country, current_level=level,
                                     reminded=reminded, policy=policy, paced_since=paced_since)
        if decision.escalate:
            escalations[(deadline, country, level, paced_since)] = (decision.level, decision.business_days_late)
            levels.add(decision.level)
        if decision.remind:
            reminders.add((deadline, country))
    mail: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    if not escalations and not reminders:
        return mail
    notified = _Recipients()
    common = {"running": list(RUNNING_STATUSES), "as_of": as_of, "now": timezone.now(),
              "actor_id": by.user.pk if by.user else None, "actor_label": by.label}
    with connection.cursor() as cursor:
        if escalations:
            recipients = [(level, department, resolver or 0, json.dumps(notified(level, department, resolver)))
                          for level in sorted(levels) for department, resolver in pairs]
            decided = list(escalations.items())
            cursor.execute(_ESCALATE_SQL, {
                **common,
                "d_deadline": [k[0] for k, _v in decided], "d_country": [k[1] for k, _v in decided],
                "d_from": [k[2] for k, _v in decided], "d_paced": [k[3] for k, _v in decided],
                "d_level": [v[0] for _k, v in decided], "d_late": [v[1] for _k, v in decided],
                "r_level": [r[0] for r in recipients], "r_department": [r[1] for r in recipients],
                "r_resolver": [r[2] for r in recipients], "r_emails": [r[3] for r in recipients],
                "l_level": list(EscalationLevel.values),
                "l_label": [str(EscalationLevel(v).label) for v in EscalationLevel.values],
            })
            for pk, level, late, emails in cursor.fetchall():
                result.escalated[level] = result.escalated.get(level, 0) + 1
                for address in emails:
                    mail[("escalation", address)].append((pk, level, late))
        if reminders:
            recipients = [(department, resolver or 0, json.dumps(notified(EscalationLevel.RESOLVER, department,
                                                                          resolver)))
                          for department, resolver in pairs]
            cursor.execute(_REMIND_SQL, {
                **common, "deadline": [d for d, _c in reminders], "country": [c for _d, c in reminders],
                "r_department": [r[0] for r in recipients], "r_resolver": [r[1] for r in recipients],
                "r_emails": [r[2] for r in recipients],
            })
            for pk, emails in cursor.fetchall():
                result.reminded += 1
                for address in emails:
                    mail[("reminder", address)].append((pk, 0, 0))
    return mail


def realign_levels(as_of: date, *, by: Actor) -> int:
    """The de-escalation safety net of the daily pass: an open case waiting for the customer, or whose
    deadline is not passed (moved in the admin or by an import), goes back to level 0, with its
    timeline event. The actions do this themselves; this catches changes made around them."""
    stale = list(DisputeCase.objects.filter(status__in=list(OPEN_STATUSES), escalation_level__gt=0)
                 .filter(Q(status=CaseStatus.WAITING_CUSTOMER) | Q(deadline__gte=as_of, deescalated_on__isnull=True))
                 .values_list("pk", "customer_id", "escalation_level", "status").order_by())
    if not stale:
        return 0
    now = timezone.now()
    events = []
    for pk, customer_id, level, status in stale:
        why = ("waiting for the customer: the deadline clock stops" if status == CaseStatus.WAITING_CUSTOMER
               else "the deadline is not passed")
        events.append((now, by, EventKind.DISPUTE_DEESCALATED, pk, customer_id,
                       f"DC-{pk:06d}: de-escalated from level {level} to 0: {why}",
                       {"level": level}, {"level": 0, "reason": why, "on": as_of.isoformat()}))
    DisputeCase.objects.filter(pk__in=[row[0] for row in stale]).update(escalation_level=0)
    _write_events(events)
    return len(stale)


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
