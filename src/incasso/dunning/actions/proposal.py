"""Proposing a dunning run: load the facts set-based, let the pure core decide, store the proposal.

A handful of queries whatever the size (customers, open items, level history, last letters,
contacts, promises, disputes, items pending in other runs), then one bulk insert per table.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Sum

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.core import dunning as core
from incasso.core.bank.references import rf_check_digits
from incasso.dunning.actions.procedures import rules_of, seed_procedure
from incasso.dunning.blocks import CUSTOMER_BLOCK_FIELDS, customer_block_reason, disputed, item_blocks
from incasso.dunning.choices import LANGUAGES, ExceptionCode, LetterStatus, RunStatus
from incasso.dunning.errors import DunningError, DunningErrorCode
from incasso.dunning.models import ItemLevel, Letter, LetterLine, Procedure, Run, RunException
from incasso.ledger.choices import DEBIT_KINDS, ContactPurpose
from incasso.ledger.importers.sql import draw_ids
from incasso.ledger.models import Contact, Customer, Item, LegalEntity

ZERO = Decimal(0)
ItemFacts = core.ItemFacts
new_tuple = core.new_tuple
NO_LEVELS: dict[int, date] = {}  # shared, never written: most items have no level yet
NO_TOTALS: dict[str, Decimal] = {}
PENDING_RUN = (RunStatus.PROPOSED, RunStatus.APPROVED, RunStatus.SENDING)
PENDING_LETTER = (LetterStatus.PROPOSED, LetterStatus.QUEUED)
Progress = Callable[[int, int, str], None]


_NOT_ALPHANUMERIC = re.compile(r"[^0-9A-Z]")


def payment_reference(entity_code: str, account: str) -> str:
    """An ISO 11649 (RF) creditor reference naming the customer account, for cash application."""
    body = _NOT_ALPHANUMERIC.sub("", f"{entity_code}{account}".upper())[:21] or "0"
    return f"RF{rf_check_digits(body)}{body}"


def letter_key(run_id: int, customer_id: int, level: int, currency: str) -> str:
    return f"dunning:{run_id}:{customer_id}:{level}:{currency}"


def _reminder_contacts(customer_ids: set[int] | None, entity_ids: list[int]) -> dict[int, tuple[int, str, str]]:
    """``{customer_id: (contact_id, email, language)}``: the reminders contact, one with an e-mail first."""
    contacts = Contact.objects.filter(purpose=ContactPurpose.REMINDERS, customer__entity_id__in=entity_ids)
    found: dict[int, tuple[int, str, str]] = {}
    for contact_id, customer_id, email, language in contacts.order_by("customer_id", "id").values_list(
            "id", "customer_id", "email", "language"):
        if customer_ids is not None and customer_id not in customer_ids:
            continue
        if customer_id not in found or (email and not found[customer_id][1]):
            found[customer_id] = (contact_id, email, language)
    return found


LETTER_COLUMNS = ("run_id", "customer_id", "currency", "level", "tone", "channel", "language", "contact_id", "email",
                  "idempotency_key", "status", "reasons", "fee", "items_total", "interest_total",
                  "compensation_total", "total", "payment_reference")
LINE_COLUMNS = ("item_id", "level", "climbs", "level_dates", "days_past_due", "open_amount", "disputed_amount",
                "amount_due", "interest", "interest_rate", "interest_from", "interest_to", "compensation",
                "legal_basis")
# Columns left to their defaults when a proposal is written (filled at review and sending).
_LETTER_BLANKS = ("review_note", "subject", "html", "message_id", "status_note")


class _ProposalWriter:
    """Stores the letters and lines of a proposal as the pure core produces them.

    On PostgreSQL the lines stream through one COPY while the core is still computing, so that the
    server inserts and indexes them on the second core in the meantime; the letter ids are taken
    from the sequence beforehand (one per customer and currency that could get a letter; unused ids
    are gaps), and the letters follow in a second COPY (the line → letter key is checked at commit).
    Elsewhere (SQLite) letters and lines are kept and inserted in batches at the end.
    """

    def __init__(self, candidates: int) -> None:
        self.letters: list[tuple] = []
        self.lines: list[list[tuple]] = []
        self._copy = None
        if connection.vendor == "postgresql" and candidates:
            self._ids = iter(draw_ids("dunning_letter", candidates))
            self._cursor = connection.cursor()
            columns = ", ".join(("letter_id", *LINE_COLUMNS, "excluded", "excluded_reason"))
            self._copy_context = self._cursor.cursor.copy(f"COPY dunning_letterline ({columns}) FROM STDIN")
            self._copy = self._copy_context.__enter__()

    def add(self, letter_row: tuple, lines: Sequence[core.LetterLine]) -> None:
        if self._copy is None:
            self.letters.append(letter_row)
            self.lines.append([_line_row(line) for line in lines])
            return
        letter_id = next(self._ids)
        self.letters.append((letter_id, *letter_row))
        write = self._copy.write_row
        for line in lines:
            write((letter_id, *_line_row(line), False, ""))

    def finish(self) -> None:
        if self._copy is not None:
            self._copy_context.__exit__(None, None, None)
            columns = ", ".join(("id", *LETTER_COLUMNS, *_LETTER_BLANKS))
            with self._cursor.cursor.copy(f"COPY dunning_letter ({columns}) FROM STDIN") as copy:
                for row in self.letters:
                    copy.write_row((*row, "", "", "", "", ""))
            self._cursor.close()
            return
        stored = Letter.objects.bulk_create(
            [Letter(**dict(zip(LETTER_COLUMNS, row, strict=True)) | {"reasons": json.loads(row[11])})
             for row in self.letters], batch_size=2000)
        LetterLine.objects.bulk_create(
            [LetterLine(letter_id=letter.pk, **dict(zip(LINE_COLUMNS, line, strict=True))
                        | {"level_dates": json.loads(line[3])})
             for letter, lines in zip(stored, self.lines, strict=True) for line in lines], batch_size=5000)

    def abort(self) -> None:
        if self._copy is not None:
            self._copy_context.__exit__(RuntimeError, RuntimeError("proposal aborted"), None)
            self._cursor.close()


def _line_row(line: core.LetterLine) -> tuple:
    dates = line.level_dates
    return (line.item_id, line.level, line.climbs,
            json.dumps({str(k): v.isoformat() for k, v in dates.items()}) if dates else "{}",
            line.days_past_due, line.open_amount, line.disputed_amount, line.amount_due, line.interest,
            line.interest_rate, line.interest_from, line.interest_to, line.compensation, line.legal_basis)


def _letter_row(run_id: int, proposed: core.ProposedLetter, customer: dict, contact: tuple[int, str, str] | None,
                entity_by_id: dict[int, LegalEntity]) -> tuple:
    language = (contact[2] if contact and contact[2] else customer["language"] or "en")[:2].lower()
    return (
        run_id, proposed.customer_id, proposed.currency, proposed.level, proposed.tone, proposed.channel,
        language if language in LANGUAGES else "en", contact[0] if contact else None, contact[1] if contact else "",
        letter_key(run_id, proposed.customer_id, proposed.level, proposed.currency),
        LetterStatus.PROPOSED.value, json.dumps(list(proposed.reasons)), proposed.fee, proposed.items_total,
        proposed.interest_total, proposed.compensation_total, proposed.total,
        payment_reference(entity_by_id[customer["entity_id"]].code, customer["account"]),
    )


def propose_run(as_of: date, *, by: Actor, entity_codes: Sequence[str] = (), segments: Sequence[str] = (),
                progress: Progress | None = None) -> Run:
    """Propose the letters of a run on ``as_of`` for the entities and segments given (all when empty)."""
    entities = list(LegalEntity.objects.filter(code__in=entity_codes) if entity_codes else LegalEntity.objects.all())
    missing = set(entity_codes) - {e.code for e in entities}
    if missing:
        raise DunningError(DunningErrorCode.UNKNOWN_ENTITY, f"unknown entity code(s): {', '.join(sorted(missing))}")
    procedures: dict[tuple[int, str], Procedure] = {}
    for entity in entities:
        if not Procedure.objects.filter(entity=entity).exists():
            seed_procedure(entity, by=by)
    for procedure in Procedure.objects.filter(entity__in=entities, active=True).prefetch_related("levels"):
        procedures[(procedure.entity_id, procedure.segment)] = procedure
    rules = {key: rules_of(p) for key, p in procedures.items()}
    entity_ids = [e.pk for e in entities]
    entity_by_id = {e.pk: e for e in entities}

    customers = Customer.objects.filter(entity_id__in=entity_ids)
    if segments:
        customers = customers.filter(segment__in=list(segments))
    customer_rows = {row["id"]: row for row in customers.values(
        "id", "entity_id", "account", "segment", "language", *CUSTOMER_BLOCK_FIELDS)}
    scoped = None if not segments else set(customer_rows)

    items_by_customer: dict[int, list[tuple]] = defaultdict(list)
    open_items = Item.objects.filter(entity_id__in=entity_ids, kind__in=list(DEBIT_KINDS), open_amount__gt=0)
    # Only overdue items can be dunned; the open total (not yet due included) is needed only by a
    # level with a minimum share, and then summed in the database.
    with connection.cursor() as cursor:
        # The largest read of the proposal (every overdue debit item): a plain cursor, no model rows.
        cursor.execute(
            "SELECT id, customer_id, number, currency, due_date, open_amount FROM ledger_item "
            f"WHERE entity_id IN ({', '.join(['%s'] * len(entity_ids))}) "
            f"AND kind IN ({', '.join(['%s'] * len(DEBIT_KINDS))}) AND open_amount > 0 AND due_date < %s",
            [*entity_ids, *DEBIT_KINDS, as_of])
        for row in cursor.fetchall():
            if row[1] in customer_rows:
                items_by_customer[row[1]].append(row)
    open_totals: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if any(level.min_share_percent > 0 for r in rules.values() for level in r.levels):
        for customer_id, currency, total in (open_items.values_list("customer_id", "currency")
                                             .annotate(total=Sum("open_amount")).order_by()):
            open_totals[customer_id][currency] = total

    level_dates: dict[int, dict[int, date]] = defaultdict(dict)
    for item_id, level, reached_on in ItemLevel.objects.filter(item__entity_id__in=entity_ids).values_list(
            "item_id", "level", "reached_on"):
        level_dates[item_id][level] = reached_on
    last_letter = dict(Letter.objects.filter(customer__entity_id__in=entity_ids, status=LetterStatus.SENT)
                       .values_list("customer_id").annotate(last=Max("run__as_of")).order_by())
    pending_items = set(LetterLine.objects.filter(letter__run__status__in=PENDING_RUN,
                                                  letter__status__in=PENDING_LETTER,
                                                  letter__customer__entity_id__in=entity_ids)
                        .values_list("item_id", flat=True))
    promised = item_blocks(entity_ids=entity_ids)
    disputes = disputed(customer_ids=scoped) if scoped is not None else disputed()
    contacts = _reminder_contacts(scoped, entity_ids)

    facts_by_procedure: dict[tuple[int, str], list[core.CustomerFacts]] = defaultdict(list)
    without_procedure: list[int] = []
    for customer_id, items in items_by_customer.items():
        row = customer_rows[customer_id]
        key = (row["entity_id"], row["segment"])
        if key not in rules:
            key = (row["entity_id"], "")
            if key not in rules:
                without_procedure.append(customer_id)
                continue
        in_other_run = False
        facts = []
        for item_id, _customer, number, currency, due_date, open_amount in items:
            if item_id in pending_items:
                in_other_run = True
            facts.append(new_tuple(ItemFacts, (item_id, number, currency, due_date, open_amount,
                                               disputes.get(item_id, ZERO) if disputes else ZERO,
                                               promised.get(item_id, "") if promised else "",
                                               level_dates.get(item_id, NO_LEVELS))))
        if not facts:
            continue
        contact = contacts.get(customer_id)
        blocked = customer_block_reason(row, as_of)
        blocked_code = ExceptionCode.BLOCKED
        if not blocked and in_other_run:
            blocked, blocked_code = "items are in a run not yet sent", ExceptionCode.IN_OTHER_RUN
        facts_by_procedure[key].append(core.CustomerFacts(
            customer_id, tuple(facts), blocked, has_reminder_contact=contact is not None,
            has_email=bool(contact and contact[1]), last_letter_on=last_letter.get(customer_id),
            open_totals=open_totals.get(customer_id, NO_TOTALS), blocked_code=blocked_code,
        ))

    candidates = sum(len({item.currency for item in facts.items})
                     for facts_list in facts_by_procedure.values() for facts in facts_list)
    if progress:
        # Reported before the write transaction: while the lines stream through COPY the connection
        # is busy, and an update made inside the transaction would not be seen before its end anyway.
        progress(0, len(customer_rows), f"{len(items_by_customer)} customers with overdue items, "
                                        f"{candidates} letters at most: proposing")
    exceptions: list[core.Exception_] = []
    letter_count = 0
    with transaction.atomic():
        run = Run.objects.create(as_of=as_of, entity_codes=[e.code for e in entities], segments=list(segments),
                                 four_eyes=any(p.four_eyes for p in procedures.values()), proposed_by=by.user)
        writer = _ProposalWriter(candidates)
        try:
            for key, facts_list in facts_by_procedure.items():
                for facts in facts_list:
                    found, held = core.propose_customer(facts, rules[key], as_of)
                    exceptions.extend(held)
                    for proposed in found:
                        writer.add(_letter_row(run.pk, proposed, customer_rows[proposed.customer_id],
                                               contacts.get(proposed.customer_id), entity_by_id), proposed.lines)
                    letter_count += len(found)
        except BaseException:
            writer.abort()
            raise
        writer.finish()
        RunException.objects.bulk_create(
            [RunException(run=run, customer_id=e.customer_id, currency=e.currency, level=e.level, code=e.code,
                          detail=e.detail[:300], amount=e.amount) for e in exceptions]
            + [RunException(run=run, customer_id=c, currency="", code=ExceptionCode.NO_PROCEDURE,
                            detail="no procedure for the customer's segment and no default procedure")
               for c in without_procedure],
            batch_size=5000,
        )
        record(EventKind.DUNNING_RUN_PROPOSED, actor=by, subject_type="dunning_run", subject_id=run.pk,
               message=f"Run {run.pk} as of {as_of}: {letter_count} letters, {len(exceptions)} exceptions")
    if progress:
        progress(len(customer_rows), len(customer_rows), f"{letter_count} letters, {len(exceptions)} exceptions")
    return run
