"""Building the collectors' daily worklists, set-based.

``build_worklists(as_of)`` reads everything it needs in a handful of grouped queries (one over the
items for overdue, due-soon, oldest due date, balance and 12-month value per customer; one each
for promises, contacts, disputes, absences and escalations), scores every account in the pure core
(``incasso.core.collections.strategy``) and bulk-writes the entries. Nothing runs per customer in
SQL, which is what keeps 100,000 accounts within seconds.

Rebuilding the same day replaces the open entries and keeps the done ones: an account a collector
completed this morning does not come back at noon. Accounts with a follow-up date still ahead are
left out until that date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Case, DecimalField, F, Max, Min, Q, Sum, When
from django.utils import timezone

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.collections.choices import CONTACT_MADE, EntryStatus, PromiseStatus
from incasso.collections.disputes_link import open_dispute_counts
from incasso.collections.models import Absence, Activity, Escalation, Promise, Strategy, WorklistEntry
from incasso.core.collections import strategy as core
from incasso.core.money import ZERO
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Customer, Item

MONEY = DecimalField(max_digits=18, decimal_places=2)
ENTRY_COLUMNS = (
    "as_of", "collector_id", "customer_id", "strategy_id", "priority", "currency", "overdue_amount",
    "due_soon_amount", "max_days_past_due", "reasons", "lowered_because", "next_action", "next_action_on",
    "substitute_for_id", "escalated", "status", "done_at",
)
VALUE_WINDOW_DAYS = 365
BATCH = 5000


@dataclass(frozen=True)
class BuildResult:
    as_of: date
    entries: int
    kept_done: int
    snoozed: int
    unassigned: int
    collectors: int


def current_strategies() -> list[tuple[core.Strategy, int]]:
    """The current version of every strategy as core objects, with its due-soon window."""
    result = []
    for s in Strategy.objects.filter(is_current=True).prefetch_related("rules"):
        rules = tuple(
            core.Rule(core.Condition(r.condition), r.threshold, r.points, r.window_days, r.label)
            for r in s.rules.all()
        )
        result.append((core.Strategy(s.pk, rules, s.entity_id, s.segment or None, s.lowered_percent),
                       s.due_soon_days))
    return result


def _item_facts(as_of: date, windows: set[int], customer_ids: list[int] | None) -> dict[tuple[int, str], dict]:
    """Per customer and currency: overdue (signed), due soon per window, balance, oldest overdue due
    date, and debit amounts invoiced in the last 365 days. The scoring keeps the account currency's
    row: grouping by currency costs less than joining the customers to filter on it."""
    is_open = ~Q(open_amount=0)
    is_debit = ~Q(kind__in=list(CREDIT_KINDS))
    signed = Case(When(kind__in=list(CREDIT_KINDS), then=-F("open_amount")), default=F("open_amount"),
                  output_field=MONEY)
    aggregates = {
        "overdue": Sum(signed, filter=is_open & Q(due_date__lt=as_of)),
        "balance": Sum(signed, filter=is_open),
        "oldest_due": Min("due_date", filter=is_open & is_debit & Q(due_date__lt=as_of)),
        "value": Sum("amount", filter=is_debit & Q(document_date__gt=as_of - timedelta(days=VALUE_WINDOW_DAYS),
                                                     document_date__lte=as_of)),
    }
    for days in sorted(windows):
        aggregates[f"soon_{days}"] = Sum(
            "open_amount",
            filter=is_open & is_debit & Q(due_date__gte=as_of, due_date__lt=as_of + timedelta(days=days)),
        )
    items = Item.objects.all()
    if customer_ids is not None:
        items = items.filter(customer_id__in=customer_ids)
    rows = items.values("customer_id", "currency").annotate(**aggregates).order_by()
    return {(row.pop("customer_id"), row.pop("currency")): row for row in rows}


def _facts_for(customer_ids: list[int] | None, as_of: date, windows: set[int]) -> tuple[dict, dict]:
    """Everything the scoring needs, from grouped queries; returns (facts rows, context maps)."""
    items = _item_facts(as_of, windows, customer_ids)
    promises = Promise.objects.all()
    activities = Activity.objects.filter(occurred_on__lte=as_of)
    if customer_ids is not None:
        promises = promises.filter(customer_id__in=customer_ids)
        activities = activities.filter(customer_id__in=customer_ids)
    broken: dict[int, list[date]] = {}
    for cid, judged_on in promises.filter(
        status__in=[PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT], judged_on__lte=as_of,
        judged_on__gte=as_of - timedelta(days=366),
    ).values_list("customer_id", "judged_on"):
        broken.setdefault(cid, []).append(judged_on)
    open_promises = dict(
        promises.filter(status=PromiseStatus.OPEN).values("customer_id").annotate(d=Min("promised_date"))
        .values_list("customer_id", "d")
    )
    contacts = {
        row["customer_id"]: row for row in activities.values("customer_id").annotate(
            last_contact=Max("occurred_on", filter=Q(outcome__in=list(CONTACT_MADE))),
            follow_up=Max("follow_up_on"),
        ).order_by()
    }
    disputes = open_dispute_counts(customer_ids)
    from incasso.collections.plan_queries import customers_with_active_plan  # plans use refresh_customer_entry

    return items, {"broken": {cid: tuple(dates) for cid, dates in broken.items()}, "promises": open_promises,
                   "contacts": contacts, "disputes": disputes, "dunning": dunning_levels(customer_ids, as_of),
                   "plans": customers_with_active_plan(as_of, customer_ids)}


def _routing(as_of: date) -> tuple[dict[int, int], dict[int, int]]:
    """Who works whose accounts today: substitutes of absent collectors, seniors of escalations."""
    substitutes = dict(
        Absence.objects.filter(starts_on__lte=as_of, ends_on__gte=as_of).values_list("collector_id", "substitute_id")
    )
    seniors = dict(
        Escalation.objects.filter(closed_on__isnull=True, escalated_on__lte=as_of)
        .values_list("customer_id", "senior_id")
    )
    return substitutes, seniors


def dunning_levels(customer_ids: list[int] | None, as_of: date) -> dict[int, int]:
    """Per customer, the highest dunning level reached by an open item (on or before ``as_of``).

    The dunning app sits above collections (it reads the worklist's promises and disputes), so it is
    not imported here: its item-level history is looked up through the app registry, and an install
    without it scores every account at level 0.
    """
    try:
        item_level = apps.get_model("dunning", "ItemLevel")
    except LookupError:
        return {}
    levels = item_level.objects.filter(reached_on__lte=as_of).exclude(item__open_amount=0)
    if customer_ids is not None:
        levels = levels.filter(item__customer_id__in=customer_ids)
    return dict(levels.values("item__customer_id").annotate(level=Max("level")).order_by()
                .values_list("item__customer_id", "level"))


_NO_LOWERING = "[]"


@dataclass
class _Counts:
    snoozed: int = 0
    unassigned: int = 0


def _accounts(as_of: date, customer_ids: list[int] | None) -> tuple[list[tuple], dict, dict]:
    """Everything the scoring reads, fully fetched (the rows are then written with COPY while they are
    scored, and a connection cannot query during a COPY): the accounts, the item facts, the context."""
    strategies = current_strategies()
    windows = {days for _, days in strategies} | {7}
    items, ctx = _facts_for(customer_ids, as_of, windows)
    ctx["substitutes"], ctx["seniors"] = _routing(as_of)
    ctx["strategies"] = strategies
    # All accounts are read (not ``pk__in`` a hundred thousand ids, which SQLite cannot bind).
    customers = Customer.objects.all() if customer_ids is None else Customer.objects.filter(pk__in=customer_ids)
    accounts = list(customers.values_list(
        "pk", "entity_id", "segment", "risk_class", "credit_limit", "collector_id", "currency"
    ).iterator(chunk_size=BATCH))
    return accounts, items, ctx


def _score_entries(as_of: date, accounts: list[tuple], items: dict, ctx: dict, counts: _Counts) -> Iterator[tuple]:
    """Rows for ``ENTRY_COLUMNS``, one per account to work (no query: see ``_accounts``)."""
    strategies = ctx["strategies"]
    window_of = {s.id: days for s, days in strategies}
    candidates = [s for s, _ in strategies]
    chosen_for: dict[tuple[int, str], tuple[core.Strategy, str]] = {}
    contacts, broken, promises = ctx["contacts"], ctx["broken"], ctx["promises"]
    disputes, dunning, plans = ctx["disputes"], ctx["dunning"], ctx["plans"]
    substitutes, seniors = ctx["substitutes"], ctx["seniors"]
    no_contact: dict = {}
    no_disputes = (0, ZERO)
    score, next_action, facts_of, dumps = core.score, core.next_action, core.CustomerFacts, json.dumps
    open_status = EntryStatus.OPEN.value
    for cid, entity_id, segment, risk, limit, collector_id, currency in accounts:
        row = items.get((cid, currency))
        if row is None:
            continue
        chosen_soon = chosen_for.get((entity_id, segment))
        if chosen_soon is None:
            chosen = core.choose_strategy(candidates, entity_id=entity_id, segment=segment) or core.DEFAULT_STRATEGY
            chosen_soon = chosen_for[(entity_id, segment)] = (chosen, f"soon_{window_of.get(chosen.id, 7)}")
        chosen, soon_key = chosen_soon
        due_soon = row[soon_key] or ZERO
        overdue = row["overdue"] or ZERO
        if overdue <= 0 and due_soon <= 0:
            continue
        contact = contacts.get(cid, no_contact)
        follow_up = contact.get("follow_up")
        if follow_up is not None and follow_up > as_of:
            counts.snoozed += 1
            continue
        owner = seniors.get(cid) or collector_id
        if owner is None:
            counts.unassigned += 1
            continue
        disputes_n, disputed = disputes.get(cid, no_disputes)
        oldest = row["oldest_due"]
        promise_date = promises.get(cid)
        facts = facts_of(
            customer_id=cid, overdue_amount=overdue, due_soon_amount=due_soon,
            max_days_past_due=(as_of - oldest).days if oldest else 0,
            broken_promise_dates=broken.get(cid, ()), open_disputes=disputes_n,
            disputed_overdue_amount=disputed, balance=row["balance"] or ZERO, credit_limit=limit,
            risk_class=risk, last_contact_on=contact.get("last_contact"), dunning_level=dunning.get(cid, 0),
            customer_value=row["value"] or ZERO, active_promise=promise_date is not None,
            in_payment_plan=cid in plans,
        )
        scored = score(facts, chosen, as_of=as_of)
        action, action_on = next_action(facts, as_of=as_of, follow_up_on=follow_up, promise_date=promise_date)
        worker = owner
        absent_owner = None
        if owner in substitutes:
            worker, absent_owner = substitutes[owner], owner
        yield (
            as_of, worker, cid, chosen.id or None, scored.priority, currency, overdue, due_soon,
            facts.max_days_past_due, scored.reasons_json,
            dumps(scored.lowered_because) if scored.lowered_because else _NO_LOWERING, action.value, action_on,
            absent_owner, cid in seniors, open_status, None,
        )


def _write_entries(rows: Iterable[tuple]) -> tuple[int, set[int]]:
    """Insert entry rows: COPY on PostgreSQL (fed while the rows are scored, so the server parses and
    indexes one batch while Python scores the next), batched ``executemany`` elsewhere. Returns how
    many rows and for which collectors. Column names are our own; every value is a parameter."""
    table = WorklistEntry._meta.db_table
    columns = ", ".join(ENTRY_COLUMNS)
    written = 0
    collectors: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
                    collectors.add(row[1])
            return written, collectors
        placeholders = ", ".join(["%s"] * len(ENTRY_COLUMNS))
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            collectors.add(row[1])
            if len(batch) == BATCH:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch)
                written, batch = written + len(batch), []
        if batch:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", batch)
            written += len(batch)
    return written, collectors


def _tune_session() -> None:
    """Inside the build's transaction on PostgreSQL: enough sort memory for the item aggregate to run
    as one in-memory hash aggregate over a million items instead of an external merge on disk."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")


def build_worklists(as_of: date, *, by: Actor) -> BuildResult:
    """Build every collector's worklist for ``as_of`` (replacing today's open entries)."""
    counts = _Counts()
    with transaction.atomic():
        _tune_session()
        accounts, items, ctx = _accounts(as_of, None)
        done = set(WorklistEntry.objects.filter(as_of=as_of, status=EntryStatus.DONE)
                   .values_list("customer_id", flat=True))
        WorklistEntry.objects.filter(as_of=as_of, status=EntryStatus.OPEN).delete()
        fresh = (row for row in _score_entries(as_of, accounts, items, ctx, counts) if row[2] not in done)
        written, collectors = _write_entries(fresh)
        result = BuildResult(as_of, written, len(done), counts.snoozed, counts.unassigned, len(collectors))
        record(EventKind.WORKLIST_BUILT, actor=by, subject_type="worklist", subject_id=as_of.isoformat(),
               message=f"{result.entries} entries for {result.collectors} collectors",
               after={"entries": result.entries, "kept_done": result.kept_done, "snoozed": result.snoozed,
                      "unassigned": result.unassigned})
    return result


def refresh_customer_entry(customer_id: int, as_of: date) -> WorklistEntry | None:
    """Re-score one account after a contact, a promise or a reassignment (same rules as the build).

    Called inside the caller's transaction. A done entry stays done; an account that no longer
    qualifies (paid, snoozed to a follow-up date) leaves the list.
    """
    existing = WorklistEntry.objects.filter(as_of=as_of, customer_id=customer_id).first()
    if existing is not None and existing.status == EntryStatus.DONE:
        return existing
    accounts, items, ctx = _accounts(as_of, [customer_id])
    entries = list(_score_entries(as_of, accounts, items, ctx, _Counts()))
    WorklistEntry.objects.filter(as_of=as_of, customer_id=customer_id, status=EntryStatus.OPEN).delete()
    if not entries:
        return None
    _write_entries(entries)
    return WorklistEntry.objects.get(as_of=as_of, customer_id=customer_id)


def complete_entry(entry_id: int, *, by: Actor) -> WorklistEntry:
    """The collector is done with this account for today: it leaves the list."""
    with transaction.atomic():
        entry = WorklistEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status != EntryStatus.DONE:
            entry.status = EntryStatus.DONE
            entry.done_at = timezone.now()
            entry.save(update_fields=["status", "done_at"])
            record(EventKind.WORKLIST_ENTRY_DONE, actor=by, subject_type="worklist_entry", subject_id=entry.pk,
                   customer_id=entry.customer_id, message=f"Worklist {entry.as_of}: done")
    return entry
