"""The matching run: every unmatched credit line matched against the open items, the sure ones
applied, the rest queued for a person with the engine's reason and confidence.

The run loads its inputs set-based (customers, their IBANs and the open debit items of the
entities concerned, as tuples), builds one ``MatchingIndex``, and asks the pure engine
(``incasso.core.matching.match_line``) about each line. The plain sure lines (a full or over-payment
of named items, no discount, nothing to write off) are applied per batch of ``BATCH_SIZE`` lines in
one transaction each (``actions.batch``: lines and items locked, proposals re-checked against the
locked open amounts, bulk writes, the same rows and audit events as the per-line path). Every other
line is saved or applied in its own short transaction under the line's row lock, through the same
verbs as a person's click; a pending batch is written first when such a line applies, so the outcome
is the one of applying the lines in order. A long run never holds locks on the ledger for more than
one batch, and a line that a person applied in the meantime is skipped. The index is built once, so
two lines may propose the same invoice: the second one fails the batch's re-check (or the ledger
refuses its allocation) and that proposal is queued instead, with the reason.
"""

from __future__ import annotations

import gc
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import translation

from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record
from incasso.cashapp.actions.applying import _booking_date, apply_proposal
from incasso.cashapp.actions.batch import BATCH_SIZE, AutoLine, Turn, WritesAbandoned, apply_auto_batch, batchable
from incasso.cashapp.actions.remittances import documents_of, link_remittances
from incasso.cashapp.choices import LineState, ProposalStatus, ResidualKind
from incasso.cashapp.errors import CashError
from incasso.cashapp.models import BankLine, CashSettings, MatchProposal, RemittanceAdvice
from incasso.core.matching import BankLineRef, CustomerRef, MatchingIndex, MatchSettings, OpenItemRef, match_line
from incasso.ledger.actions.cash import SUSPENSE_ACCOUNT, create_payment_item, suspense_customer
from incasso.ledger.choices import DEBIT_KINDS
from incasso.ledger.errors import LedgerError
from incasso.ledger.models import Customer, CustomerIban, Item


@dataclass
class RunReport:
    """What one matching run did."""

    as_of: date
    lines: int = 0
    auto_applied: int = 0
    queued: int = 0
    unidentified: int = 0
    unchanged: int = 0  # the engine said again what a person already decided or what is queued
    advices_linked: int = 0  # remittance advices linked to their bank line at the start of the run
    conflicts: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"matching as of {self.as_of}: {self.lines} line(s), {self.auto_applied} applied automatically, "
                f"{self.queued} queued for review, {self.unidentified} unidentified (in suspense), "
                f"{self.unchanged} unchanged"
                + (f", {self.advices_linked} remittance advice(s) linked" if self.advices_linked else ""))


def settings_for(entity_ids: list[int]) -> dict[int, MatchSettings]:
    """Each entity's matching settings; entities without a CashSettings row get the defaults."""
    stored = {s.entity_id: s for s in CashSettings.objects.filter(entity_id__in=entity_ids)}
    result = {}
    for entity_id in entity_ids:
        row = stored.get(entity_id)
        result[entity_id] = MatchSettings() if row is None else MatchSettings(
            auto_threshold=row.auto_threshold, amount_tolerance=row.amount_tolerance,
            tolerance_percent=row.tolerance_percent, cash_discount_percent=row.cash_discount_percent,
            cash_discount_days=row.cash_discount_days, max_combination_items=row.max_combination_items,
        )
    return result


# an open item's columns in the order of ``OpenItemRef``'s fields
ITEM_COLUMNS = ("pk", "customer_id", "entity_id", "customer__group_id", "kind", "number", "reference", "currency",
                "open_amount", "document_date", "due_date", "customer__payment_terms_days")


def build_index(entity_ids: list[int], *, fetch_ahead: bool = False) -> MatchingIndex:
    """The customers (without suspense accounts) and open debit items of the entities, set-based.
    With ``fetch_ahead`` the items are fetched by a thread of its own (``_fetched_ahead``), so that
    the server reads the next rows while this thread indexes the ones it has."""
    ibans: dict[int, list[str]] = defaultdict(list)
    for customer_id, iban in CustomerIban.objects.filter(customer__entity_id__in=entity_ids).values_list(
            "customer_id", "iban"):
        ibans[customer_id].append(iban)
    customers = [
        CustomerRef(pk, entity_id, group_id, account, name, tuple(ibans.get(pk, ())), currency)
        for pk, entity_id, group_id, account, name, currency in Customer.objects.filter(entity_id__in=entity_ids)
        .exclude(account=SUSPENSE_ACCOUNT)
        .values_list("pk", "entity_id", "group_id", "account", "name", "currency").iterator(chunk_size=5000)
    ]

    # tuples straight into the index's records (a million of them: no per-row objects in between), in
    # no particular order (the index orders each customer's items itself: no sort of the million rows),
    # by a cursor that streams them inside a transaction (outside one, a cursor kept open across
    # commits first copies the whole result on the server)
    def open_items() -> Iterator[tuple[Any, ...]]:
        return (Item.objects.filter(entity_id__in=entity_ids, kind__in=list(DEBIT_KINDS), open_amount__gt=0)
                .exclude(customer__account=SUSPENSE_ACCOUNT).order_by()
                .values_list(*ITEM_COLUMNS).iterator(chunk_size=FETCH_CHUNK))

    if fetch_ahead:
        return MatchingIndex.build(customers, map(OpenItemRef._make, _fetched_ahead(open_items)))
    with transaction.atomic():
        return MatchingIndex.build(customers, map(OpenItemRef._make, open_items()))


FETCH_CHUNK = 20_000  # open items per round trip when the index is loaded


def _fetched_ahead(rows: Callable[[], Iterator[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    """The rows of ``rows()``, read inside a transaction by a thread of its own with its own connection,
    at most two chunks ahead of the caller: the server produces the next rows while the caller works
    on the ones it has (loading the million open items of a large run is otherwise a round trip per
    chunk with the caller idle). An error in the thread is raised here; if the caller stops early,
    the thread stops after its current chunk."""
    chunks: queue.Queue[list[tuple[Any, ...]] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(value: list[tuple[Any, ...]] | BaseException) -> None:
        while not stop.is_set():
            try:
                chunks.put(value, timeout=0.5)
                return
            except queue.Full:
                continue

    def fetch() -> None:
        try:
            with transaction.atomic():
                iterator = rows()
                while not stop.is_set():
                    chunk = list(islice(iterator, FETCH_CHUNK))
                    put(chunk)
                    if not chunk:
                        return
        except BaseException as error:  # noqa: BLE001 - raised in the caller
            put(error)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=fetch, name="cashapp-index-fetch", daemon=True)
    thread.start()
    try:
        while True:
            chunk = chunks.get()
            if isinstance(chunk, BaseException):
                raise chunk
            if not chunk:
                return
            yield from chunk
    finally:
        stop.set()
        thread.join()


def line_ref(line: BankLine, advice_documents: tuple[tuple[str, Decimal | None, Decimal | None], ...] = ()
             ) -> BankLineRef:
    """The engine's view of a line; a linked remittance advice's invoice list replaces the line's own."""
    return BankLineRef(
        line_id=line.pk, entity_id=line.entity_id, amount=line.amount, currency=line.currency,
        booking_date=line.booking_date, value_date=line.value_date, counterparty_name=line.counterparty_name,
        counterparty_iban=line.counterparty_iban, structured_reference=line.structured_reference,
        remittance_text=line.remittance_text,
        remittance_documents=advice_documents or tuple(
            (str(number), None if paid is None else Decimal(paid), None if deduction is None else Decimal(deduction))
            for number, paid, deduction in (line.remittance_documents or [])
        ),
    )


def _signature(customer_id: object, allocations: list[dict[str, str]]) -> tuple[object, ...]:
    return (customer_id, tuple(sorted((int(a["item_id"]), Decimal(a["amount"])) for a in allocations)))


Progress = Callable[[int, int, str], None]
PROGRESS_EVERY = 200  # lines between two progress reports


@contextmanager
def _outside_gc() -> Iterator[None]:
    """The run's lines and the index's millions of records are built with the cyclic garbage collector
    paused (it would otherwise traverse all of them again and again while they are created: 100,000
    lines load in 1.7-1.9 CPU-s with it paused, 2.4-3.0 with it running) and then frozen out of its
    reach for the rest of the run (``run_matching`` unfreezes them at its end: nothing leaks in a
    long-running process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def run_matching(as_of: date, *, by: Actor, entity_ids: list[int] | None = None,
                 progress: Progress | None = None, batched: bool = True, overlap: bool | None = None) -> RunReport:
    """Match every unmatched credit line (of ``entity_ids``, or of every entity) as of ``as_of``.

    The plain automatic applications are written per batch (``actions.batch``); ``batched=False``
    applies every line through the per-line verbs (what the batched path is tested against).

    The writes (batches and per-line saves, in the order of the lines) go through a ``_Writer``: with
    ``overlap`` (default: on PostgreSQL when not called inside a transaction) ``WRITERS`` threads with
    their own connections do them while this one matches the next lines; the outcome is the same, the
    matching only ever reads the index and what was loaded before the first write.

    ``progress(done, total, message)`` is called while the run goes (the background job shows it)."""
    if overlap is None:
        overlap = connection.vendor == "postgresql" and not connection.in_atomic_block
    try:
        return _run_matching(as_of, by=by, entity_ids=entity_ids, progress=progress, batched=batched,
                             overlap=overlap)
    finally:
        gc.unfreeze()


def _run_matching(as_of: date, *, by: Actor, entity_ids: list[int] | None, progress: Progress | None,
                  batched: bool, overlap: bool) -> RunReport:
    report = RunReport(as_of=as_of)
    report.advices_linked = sum(1 for _id, linked, _why in link_remittances(by=by) if linked)
    lines_qs = BankLine.objects.filter(state=LineState.UNMATCHED, sign="CRDT", entity__isnull=False)
    if entity_ids is not None:
        lines_qs = lines_qs.filter(entity_id__in=entity_ids)
    with _outside_gc():
        lines = list(lines_qs.order_by("pk"))
    report.lines = len(lines)
    if not lines:
        return report
    total = len(lines)
    if progress:
        progress(0, total, "loading open items")
    entities = sorted({line.entity_id for line in lines})
    settings = settings_for(entities)
    with _outside_gc():
        index = build_index(entities, fetch_ahead=overlap)
    # the proposals made for these lines before (by the lines' own filter: a hundred thousand ids in
    # the query's text would cost more than the look-up)
    earlier: dict[int, set[tuple[object, ...]]] = defaultdict(set)
    for line_id, customer_id, allocations in MatchProposal.objects.filter(
            line__in=lines_qs.values("pk")).values_list("line_id", "customer_id", "allocations"):
        earlier[line_id].add(_signature(customer_id, allocations))
    advices = {line_id: (number, documents, why) for line_id, number, documents, why in (
        (line_id, f"RA-{pk}", documents_of(documents), why) for line_id, pk, documents, why in
        RemittanceAdvice.objects.filter(line__state=LineState.UNMATCHED, line__sign="CRDT")
        .values_list("line_id", "pk", "documents", "link_reason"))}
    pending: list[AutoLine] = []
    writer = _Writer(threads=WRITERS if overlap else 0)
    try:
        for done, line in enumerate(lines):
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total, f"{done} of {total} lines matched")
            advice = advices.get(line.pk)
            proposal = match_line(line_ref(line, advice[1] if advice else ()), index, settings[line.entity_id],
                                  as_of)
            if advice:
                proposal = replace(proposal, reason=f"invoice list from remittance advice {advice[0]} "
                                                    f"(linked: {advice[2]}); {proposal.reason}")
            allocations = [{"item_id": int(a.item_id), "amount": str(a.amount), "discount": str(a.discount)}
                           for a in proposal.allocations]
            customer_id = int(proposal.customer_id) if proposal.customer_id is not None else None
            seen_before = line.pk in earlier and _signature(customer_id, allocations) in earlier[line.pk]
            line_settings = settings[line.entity_id]
            if batched and not seen_before and batchable(customer_id, allocations, proposal.confidence,
                                                         line_settings.auto_threshold, proposal.residual_kind, line):
                pending.append(AutoLine(line, proposal, customer_id, allocations,  # type: ignore[arg-type]
                                        _booking_date(line, as_of)))
                if len(pending) >= BATCH_SIZE:
                    writer.submit(_flush, pending, settings, as_of, report, by=by)
                    pending = []
                continue
            if (customer_id is not None and allocations and not seen_before
                    and proposal.confidence >= line_settings.auto_threshold):
                # this one applies line by line: keep the order
                writer.submit(_flush, pending, settings, as_of, report, by=by)
                pending = []
            writer.submit(_save_in_turn, line.pk, proposal, customer_id, allocations, seen_before, line_settings,
                          as_of, report, by=by)
        writer.submit(_flush, pending, settings, as_of, report, by=by)
        # the index's millions of records are freed while the writers finish (about a second of the
        # client's time, otherwise spent after the last commit)
        del index, earlier, advices
    finally:
        writer.finish()
    record(EventKind.MATCHING_RUN, actor=by, subject_type="matching_run", subject_id=as_of.isoformat(),
           message=report.summary(),
           after={"lines": report.lines, "auto_applied": report.auto_applied, "queued": report.queued,
                  "unidentified": report.unidentified, "conflicts": len(report.conflicts)})
    if progress:
        progress(total, total, report.summary())
    return report


WRITERS = 2  # connections writing at once when the run overlaps its writes with the matching
_Task = tuple[Turn, Callable[..., None], tuple[Any, ...], dict[str, Any]]  # a write, its turn and arguments


class _Writer:
    """Runs the run's writes (batches and per-line saves) in the order they are submitted: in the calling
    thread, or (``threads``) in threads of their own, each with its own database connection, a few tasks
    behind the matching, so that PostgreSQL inserts and indexes on the second core while the next lines
    are matched. With two threads the tasks alternate between them, and each task's ``Turn`` keeps the
    outcome the one of writing them one after the other (``batch.Turn``: locks taken in order, commits in
    order): one connection builds and sends a batch while the server checks and commits the one before.

    An error in a task stops the writes: the tasks after it roll back or do not start, and the error is
    raised in the caller (at the next submit or at ``finish``); whatever was committed before stays, as
    with the other path. The threads write in the caller's active language (write-off and deduction
    texts are translated labels), as the calling thread itself would."""

    def __init__(self, *, threads: int) -> None:
        self.error: BaseException | None = None
        self.language = translation.get_language()
        self.last: Turn | None = None
        self.lock = threading.Lock()
        self.queues: list[queue.Queue[_Task | None]] = [queue.Queue(maxsize=2) for _n in range(threads)]
        self.threads = [threading.Thread(target=self._work, args=(tasks,), name=f"cashapp-writer-{n + 1}", daemon=True)
                        for n, tasks in enumerate(self.queues)]
        self.submitted = 0
        for thread in self.threads:
            thread.start()

    def submit(self, task: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Run ``task(*args, turn=..., **kwargs)`` after the tasks submitted before it."""
        if not self.queues:
            task(*args, turn=Turn(), **kwargs)
            return
        if self.error is not None:
            raise self.error
        self.last = turn = Turn(self.last)
        self.queues[self.submitted % len(self.queues)].put((turn, task, args, kwargs))
        self.submitted += 1

    def _work(self, tasks: queue.Queue[_Task | None]) -> None:
        if self.language:
            translation.activate(self.language)
        try:
            while (job := tasks.get()) is not None:
                turn, task, args, kwargs = job
                failed = True
                try:
                    turn.wait_locked()
                    if self.error is None:
                        task(*args, turn=turn, **kwargs)
                        failed = False
                except WritesAbandoned:
                    pass  # an earlier task failed: its error is the one raised
                except BaseException as error:  # noqa: BLE001 - handed to the caller
                    with self.lock:
                        self.error = self.error or error
                finally:
                    turn.finish(failed=failed)
        finally:
            connection.close()  # this thread's own connection

    def finish(self) -> None:
        for tasks in self.queues:
            tasks.put(None)
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error


def _flush(pending: list[AutoLine], settings: dict[int, MatchSettings], as_of: date, report: RunReport, *,
           by: Actor, turn: Turn) -> None:
    """Apply the pending sure lines per batch; a line whose check fails goes through the per-line
    path at its place in the order (after the writes before it have committed), and the batch goes on
    after it."""
    while pending:
        outcome = apply_auto_batch(pending, as_of=as_of, by=by, turn=turn)
        report.auto_applied += outcome.applied
        report.unchanged += outcome.unchanged
        if outcome.stopped_at is None:
            pending.clear()
            return
        auto = pending[outcome.stopped_at]
        _save_outcome(auto.line.pk, auto.proposal, auto.customer_id, auto.allocations, False,
                      settings[auto.line.entity_id], as_of, report, by=by)
        del pending[:outcome.stopped_at + 1]


def _save_in_turn(*args: Any, turn: Turn, **kwargs: Any) -> None:
    """``_save_outcome`` once the writes before it have committed (it locks what the per-line verbs lock)."""
    turn.wait_committed()
    _save_outcome(*args, **kwargs)


def _save_outcome(line_id: int, proposal, customer_id: int | None, allocations: list[dict[str, str]],  # type: ignore[no-untyped-def]
                  seen_before: bool, settings: MatchSettings, as_of: date, report: RunReport, *, by: Actor) -> None:
    with transaction.atomic():
        line = BankLine.objects.select_for_update(of=("self",)).select_related("entity").get(pk=line_id)
        if line.state != LineState.UNMATCHED:
            report.unchanged += 1  # a person applied it while the run was going
            return
        if customer_id is None:
            report.unidentified += 1
            _park_in_suspense(line, as_of, by=by)
            if seen_before:
                return
        elif seen_before:
            report.unchanged += 1  # the same as a proposal already rejected, or applied and unapplied
            return
        stored = MatchProposal.objects.create(
            line=line, customer_id=customer_id, allocations=allocations, confidence=proposal.confidence,
            reason=proposal.reason, stage=proposal.stage[:40], residual=proposal.residual,
            residual_kind=proposal.residual_kind or ResidualKind.NONE, as_of=as_of,
        )
        if customer_id is None:
            return
        if allocations and proposal.confidence >= settings.auto_threshold:
            try:
                with transaction.atomic():
                    apply_proposal(stored, line, by=by, status=ProposalStatus.AUTO, idempotency_key=None,
                                   on_date=_booking_date(line, as_of))
                report.auto_applied += 1
                return
            except (LedgerError, CashError) as error:
                line.refresh_from_db()
                stored.reason = f"{stored.reason} (not applied automatically: {error})"
                stored.save(update_fields=["reason"])
                report.conflicts.append(f"line {line.pk}: {error}")
        line.state = LineState.PROPOSED
        line.customer_id = customer_id
        line.save(update_fields=["state", "customer"])
        report.queued += 1


def _park_in_suspense(line: BankLine, as_of: date, *, by: Actor) -> None:
    """Unidentified cash becomes an open payment on the entity's suspense account, once."""
    if line.payment_item_id is not None:
        return
    suspense = suspense_customer(line.entity_id, by=by)  # type: ignore[arg-type]
    line.payment_item = create_payment_item(
        suspense.pk, number=f"CASH-{line.pk}", amount=line.amount, currency=line.currency,
        on_date=_booking_date(line, as_of), by=by, reference=line.structured_reference or line.end_to_end_id,
        text=f"unidentified: {line.counterparty_name} {line.remittance_text}".strip(),
    )
    line.customer = suspense
    line.save(update_fields=["payment_item", "customer"])
