"""The matching run's batched automatic application leaves exactly what the per-line path leaves:
the same items and open amounts, allocations, line states, proposals, deductions, write-offs and
audit events, on a run with full, combined, over- and short payments, a cash discount, a payment
across a customer group, two lines paying one invoice and an invoice a person changed meanwhile."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import translation

from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions import import_statement_bytes, run_matching
from incasso.cashapp.actions import matching as matching_module
from incasso.cashapp.models import BankLine, CashSettings, Deduction, MatchProposal, WriteOff
from incasso.cashapp.tests.samples import ACME_IBAN, camt053, camt053_entry, our_entity
from incasso.ledger.actions import allocate
from incasso.ledger.choices import ItemKind
from incasso.ledger.models import Allocation, Customer, CustomerGroup, CustomerIban, Item
from incasso.testing.builders import a_customer, an_item

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 3)
BETA_IBAN = "DE89370400440532013000"


class _Rollback(Exception):
    pass


def _scenario() -> None:
    entity = our_entity()
    CashSettings.objects.create(entity=entity, cash_discount_percent=Decimal("2"), cash_discount_days=30)
    group = CustomerGroup.objects.create(code="G-ACME", name="Acme group")
    acme = a_customer(entity, "C-100", name="Acme Bâtiment SARL", group=group)
    CustomerIban.objects.create(customer=acme, iban=ACME_IBAN)
    sister = a_customer(entity, "C-101", name="Acme Services SARL", group=group)
    beta = a_customer(entity, "C-200", name="Beta Logistik GmbH")
    CustomerIban.objects.create(customer=beta, iban=BETA_IBAN)
    for n, amount in enumerate(["1200.00", "830.40", "450.00", "300.00", "990.00", "75.50"], start=1):
        an_item(acme, f"FA2026000{n}", amount=amount, document_date=date(2026, 1, 15), due_date=date(2026, 2, 14))
    an_item(sister, "FS20260001", amount="640.00", document_date=date(2026, 1, 20), due_date=date(2026, 2, 19))
    an_item(beta, "BL-7001", amount="2000.00", document_date=date(2026, 2, 20), due_date=date(2026, 3, 22))
    an_item(beta, "BL-7002", amount="500.00", document_date=date(2026, 1, 2), due_date=date(2026, 2, 1))
    an_item(beta, "BL-7003", amount="700.00", document_date=date(2026, 1, 3), due_date=date(2026, 2, 2))
    an_item(beta, "BL-7004", amount="410.00", document_date=date(2026, 1, 3), due_date=date(2026, 2, 2))
    an_item(beta, "GS-7001", kind=ItemKind.CREDIT_NOTE, amount="100.00", document_date=date(2026, 2, 1))
    entries = [
        camt053_entry("1200.00", ref="L01", name="Acme", iban=ACME_IBAN, text="FA20260001"),  # full
        camt053_entry("1280.40", ref="L02", name="Acme", iban=ACME_IBAN, text="FA20260002 FA20260003"),  # two
        camt053_entry("640.00", ref="L03", name="Acme", iban=ACME_IBAN, text="FS20260001"),  # the group
        camt053_entry("1960.00", ref="L04", name="Beta", iban=BETA_IBAN, text="BL-7001 Skonto"),  # discount
        camt053_entry("450.00", ref="L05", name="Beta", iban=BETA_IBAN, text="BL-7002"),  # short payment
        camt053_entry("300.00", ref="L06", name="Acme", iban=ACME_IBAN, text="FA20260004"),  # paid twice
        camt053_entry("300.00", ref="L07", name="Acme", iban=ACME_IBAN, text="FA20260004"),
        camt053_entry("990.00", ref="L08", name="Acme", iban=ACME_IBAN, text="FA20260005"),  # changed meanwhile
        camt053_entry("800.00", ref="L09", name="Beta", iban=BETA_IBAN, text="BL-7003"),  # overpayment
        camt053_entry("410.00", ref="L10", name="Beta", iban=BETA_IBAN, text="BL-7004"),
        camt053_entry("333.33", ref="L11", name="XYZ HOLDING LTD"),  # unidentified
        camt053_entry("75.50", ref="L12", name="Acme", iban=ACME_IBAN, text="FA20260006"),
    ]
    import_statement_bytes(camt053(*entries, opening="0", closing="0"), "statement.xml", by=SYSTEM)


def _person_changes_an_invoice(original):  # type: ignore[no-untyped-def]
    """After the run has read the open items, a person settles 90.00 of FA20260005 with a credit note:
    the line paying it in full no longer fits and must be queued with the ledger's reason."""
    def build_index(entity_ids, **options):  # type: ignore[no-untyped-def]
        index = original(entity_ids, **options)
        invoice = Item.objects.get(number="FA20260005")
        credit = an_item(invoice.customer, "AV-0001", kind=ItemKind.CREDIT_NOTE, amount="90.00",
                         document_date=date(2026, 3, 1))
        allocate(invoice.pk, credit.pk, Decimal("90.00"), date(2026, 3, 2), by=SYSTEM)
        return index
    return build_index


def _outcome(*, batched: bool, monkeypatch, batches: list[Any]) -> tuple[dict[str, Any], Any]:  # type: ignore[no-untyped-def]
    """Build the scenario, run matching one way, take a normalised picture, roll everything back."""
    picture: dict[str, Any] = {}
    apply_auto_batch = matching_module.apply_auto_batch

    def spy(batch, **kwargs):  # type: ignore[no-untyped-def]
        outcome = apply_auto_batch(batch, **kwargs)
        batches.append(outcome)
        return outcome

    report = None
    try:
        with transaction.atomic():
            _scenario()
            first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            with monkeypatch.context() as patch:
                patch.setattr(matching_module, "build_index", _person_changes_an_invoice(matching_module.build_index))
                patch.setattr(matching_module, "apply_auto_batch", spy)
                report = run_matching(AS_OF, by=SYSTEM, batched=batched)
            picture = _picture(first_event)
            raise _Rollback
    except _Rollback:
        pass
    return picture, report


def _picture(first_event: int) -> dict[str, Any]:
    lines = {pk: ref for pk, ref in BankLine.objects.values_list("pk", "bank_reference")}
    proposals = {pk: lines[line_id] for pk, line_id in MatchProposal.objects.values_list("pk", "line_id")}

    def text(value: str) -> str:
        value = re.sub(r"\b(CASH|WO|TRF)-(\d+)", lambda m: f"{m[1]}-{lines[int(m[2])]}", value)
        return re.sub(r"proposal-(\d+)", lambda m: f"proposal-of-{proposals[int(m[1])]}", value)

    accounts = dict(Customer.objects.values_list("pk", "account"))
    items = {pk: (account, kind, text(number)) for pk, account, kind, number in
             Item.objects.values_list("pk", "customer__account", "kind", "number")}
    allocations = {a.pk: (items[a.debit_item_id], items[a.credit_item_id], str(a.amount)) for a in
                   Allocation.objects.all()}

    def subject(kind: str, value: str) -> Any:
        if kind == "item":
            return items[int(value)]
        if kind == "allocation":
            return allocations[int(value)]
        if kind == "bank_line":
            return lines[int(value)]
        if kind == "customer":
            return accounts[int(value)]
        return value

    deductions = {pk: (lines[line_id], items[item_id]) for pk, line_id, item_id in
                  Deduction.objects.values_list("pk", "line_id", "item_id")}

    def payload(value: Any) -> Any:
        if isinstance(value, dict) and "proposal" in value:
            value = {**value, "proposal": proposals[int(value["proposal"])]}
        if isinstance(value, dict) and "deduction" in value:
            value = {**value, "deduction": deductions[int(value["deduction"])]}
        return text(json.dumps(value, sort_keys=True, default=str))

    return {
        "items": sorted((items[i.pk], str(i.amount), str(i.open_amount), i.last_activity_on, i.document_date,
                         i.text, i.reference) for i in Item.objects.all()),
        "allocations": sorted((allocations[a.pk], a.date, a.source, a.note, text(a.idempotency_key or ""),
                               a.reversed_on) for a in Allocation.objects.all()),
        "lines": sorted((lines[line.pk], line.state, line.application,
                         line.customer.account if line.customer else None,
                         items[line.payment_item_id] if line.payment_item_id else None)
                        for line in BankLine.objects.select_related("customer")),
        "proposals": sorted((lines[p.line_id], p.status, p.customer.account if p.customer else None,
                             str(p.confidence), p.reason, p.stage, str(p.residual), p.residual_kind,
                             p.idempotency_key, sorted((items[int(a["item_id"])], a["amount"], a["discount"])
                                                       for a in p.allocations))
                            for p in MatchProposal.objects.select_related("customer")),
        "deductions": sorted((lines[d.line_id], items[d.item_id], str(d.amount), d.reason, d.status)
                             for d in Deduction.objects.all()),
        "write_offs": sorted((lines[w.line_id], items[w.item_id], str(w.amount), w.reason)
                             for w in WriteOff.objects.all()),
        "events": sorted((e.kind, e.subject_type, str(subject(e.subject_type, e.subject_id)), e.actor_label,
                          accounts.get(e.customer_id), text(e.message), payload(e.before),
                          payload(e.after))
                         for e in AuditEvent.objects.filter(pk__gt=first_event)),
    }


def test_the_batched_run_leaves_exactly_what_the_per_line_run_leaves(monkeypatch):
    batches: list[Any] = []
    per_line, per_line_report = _outcome(batched=False, monkeypatch=monkeypatch, batches=batches)
    assert batches == []
    batched, batched_report = _outcome(batched=True, monkeypatch=monkeypatch, batches=batches)
    # the sure plain lines went through batches, and two lines stopped a batch (paid twice, changed)
    assert sum(outcome.applied for outcome in batches) >= 5
    assert sum(outcome.stopped_at is not None for outcome in batches) == 2
    # the scenario exercises what it claims to
    states = {ref: state for ref, state, *_rest in per_line["lines"]}
    assert states["L01"] == "applied" and states["L03"] == "applied" and states["L09"] == "partial"
    assert states["L06"] == "applied" and states["L07"] == "proposed"  # the second payment of one invoice
    assert states["L08"] == "proposed"  # the invoice changed after the run read it
    assert per_line["write_offs"] and per_line["deductions"]  # the discount and the short payment
    assert [row[3] for row in per_line["lines"] if row[0] == "L03"] == ["C-100"]  # Acme's cash...
    assert ("C-101", "invoice", "FS20260001") in {row[0][0] for row in per_line["allocations"]}  # ...on its sister
    assert per_line_report.conflicts and per_line_report.auto_applied >= 6
    # and both ways end the same
    for part in per_line:
        assert batched[part] == per_line[part], part
    def counts(report):  # type: ignore[no-untyped-def]
        return (report.auto_applied, report.queued, report.unidentified, report.unchanged,
                [conflict.split(": ", 1)[1] for conflict in report.conflicts])  # "line <pk>: <why>"

    assert counts(batched_report) == counts(per_line_report)


def test_a_second_batched_run_changes_nothing(monkeypatch):
    _scenario()
    first = run_matching(AS_OF, by=SYSTEM)
    assert first.auto_applied >= 6
    allocations = Allocation.objects.count()
    again = run_matching(AS_OF, by=SYSTEM)
    assert again.auto_applied == 0 and Allocation.objects.count() == allocations


@pytest.fixture
def in_french():  # type: ignore[no-untyped-def]
    with translation.override("fr"):
        yield


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("writers", "batch_size"), [(1, 1000), (2, 1000), (2, 2), (2, 1)])
def test_the_overlapped_run_leaves_exactly_what_the_per_line_run_leaves_on_postgres(monkeypatch, on_postgres,
                                                                                      in_french, writers, batch_size):
    """On PostgreSQL, outside a transaction, the run writes in threads of their own while it matches the
    next lines (``_Writer``), on two connections at once by default: the outcome is still the one of
    applying the lines one by one, down to the translated write-off texts, which the writer threads
    write in the caller's language (French here). With batches of one or two lines the two writers
    take turns on every batch: the two payments of one invoice (L06, L07) land in consecutive batches
    on the two connections, and the second waits for the first's row lock and commit."""
    batches: list[Any] = []
    per_line, per_line_report = _outcome(batched=False, monkeypatch=monkeypatch, batches=batches)
    _scenario()  # committed this time: the writers' own connections must see it
    first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    apply_auto_batch = matching_module.apply_auto_batch
    writer_threads: set[str] = set()
    fetch_ahead = matching_module._fetched_ahead
    fetched_ahead: list[bool] = []

    def spied_fetch(rows):  # type: ignore[no-untyped-def]
        fetched_ahead.append(True)
        return fetch_ahead(rows)

    def spy(batch, **kwargs):  # type: ignore[no-untyped-def]
        writer_threads.add(threading.current_thread().name)
        outcome = apply_auto_batch(batch, **kwargs)
        batches.append(outcome)
        return outcome

    with monkeypatch.context() as patch:
        patch.setattr(matching_module, "build_index", _person_changes_an_invoice(matching_module.build_index))
        patch.setattr(matching_module, "apply_auto_batch", spy)
        patch.setattr(matching_module, "WRITERS", writers)
        patch.setattr(matching_module, "BATCH_SIZE", batch_size)
        patch.setattr(matching_module, "_fetched_ahead", spied_fetch)
        report = run_matching(AS_OF, by=SYSTEM)
    assert writer_threads == {f"cashapp-writer-{n + 1}" for n in range(writers)}
    assert fetched_ahead == [True]
    assert sum(outcome.applied for outcome in batches) >= 5
    overlapped = _picture(first_event)
    for part in per_line:
        assert overlapped[part] == per_line[part], part
    assert (report.auto_applied, report.queued, report.unidentified, report.unchanged, len(report.conflicts)) == (
        per_line_report.auto_applied, per_line_report.queued, per_line_report.unidentified,
        per_line_report.unchanged, len(per_line_report.conflicts))


@pytest.mark.django_db(transaction=True)
def test_a_failed_batch_rolls_back_the_batch_written_beside_it_on_postgres(monkeypatch, on_postgres):
    """Two writers, one line per batch: L02's batch fails after L03's batch has written its rows on the
    other connection and waits to commit behind it. L03's batch rolls back, nothing after it starts,
    the error reaches the caller, and the ledger holds exactly what applying L01 alone leaves."""
    from incasso.cashapp.actions import batch as batch_module
    from incasso.cashapp.actions.batch import Turn

    _scenario()
    written: list[str] = []
    waiting_behind = threading.Event()
    write, wait_committed = batch_module._write, Turn.wait_committed

    def failing_write(plan, *args, **kwargs):  # type: ignore[no-untyped-def]
        reference = plan[0][0].line.bank_reference
        written.append(reference)
        write(plan, *args, **kwargs)
        if reference == "L02":
            assert waiting_behind.wait(30), "the next batch did not reach its commit"
            raise RuntimeError("disk full")

    def spied_wait(turn):  # type: ignore[no-untyped-def]
        if "L03" in written:
            waiting_behind.set()
        wait_committed(turn)

    monkeypatch.setattr(batch_module, "_write", failing_write)
    monkeypatch.setattr(Turn, "wait_committed", spied_wait)
    monkeypatch.setattr(matching_module, "BATCH_SIZE", 1)
    with pytest.raises(RuntimeError, match="disk full"):
        run_matching(AS_OF, by=SYSTEM)
    assert written == ["L01", "L02", "L03"]
    states = dict(BankLine.objects.values_list("bank_reference", "state"))
    assert states.pop("L01") == "applied"
    assert set(states.values()) == {"unmatched"}
    assert list(MatchProposal.objects.values_list("line__bank_reference", flat=True)) == ["L01"]
    assert [(a.debit_item.number, a.amount) for a in Allocation.objects.select_related("debit_item")] == [
        ("FA20260001", Decimal("1200.00"))]
    assert not Item.objects.filter(number__startswith="CASH-").exclude(
        number=f"CASH-{BankLine.objects.get(bank_reference='L01').pk}").exists()


@pytest.mark.django_db(transaction=True)
def test_the_index_rows_fetched_ahead_come_whole_in_order_and_errors_reach_the_run_on_postgres(monkeypatch,
                                                                                             on_postgres):
    """The run's open items are read by a thread of its own, chunks ahead of the index being built
    (``_fetched_ahead``): every row arrives once and in order across chunk boundaries, a failure in the
    thread is raised in the run, and a run that stops reading early does not leave the thread behind."""
    from django.db import connection

    monkeypatch.setattr(matching_module, "FETCH_CHUNK", 7)

    def rows():  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:  # the thread's own connection, inside its transaction
            cursor.execute("SELECT n, n * 2 FROM generate_series(1, 100) AS n")
            yield from cursor.fetchall()

    assert list(matching_module._fetched_ahead(rows)) == [(n, n * 2) for n in range(1, 101)]

    def failing():  # type: ignore[no-untyped-def]
        yield from rows()
        raise RuntimeError("server closed the connection")

    seen = []
    with pytest.raises(RuntimeError, match="server closed the connection"):
        seen.extend(matching_module._fetched_ahead(failing))
    assert seen == [(n, n * 2) for n in range(1, len(seen) + 1)]  # what came before the failure, in order

    ahead = matching_module._fetched_ahead(rows)
    assert [next(ahead) for _n in range(10)] == [(n, n * 2) for n in range(1, 11)]
    ahead.close()
    assert "cashapp-index-fetch" not in {thread.name for thread in threading.enumerate()}


def test_array_parameters_reach_postgres_unchanged(on_postgres):
    """The batch passes its ids, amounts, dates and codes to PostgreSQL as one array literal each."""
    from django.db import connection

    from incasso.cashapp.actions.batch import _array

    texts = ['a"b', "c\\d", "", None, "NULL", " x ", "{,}", "é'", "applied"]
    numbers = [Decimal("12.50"), Decimal("-0.01"), Decimal("1E+2"), None]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[], %s::bigint[], %s::numeric[], %s::date[]",
                       [_array(texts), _array([1, None, 2**40]), _array(numbers), _array([AS_OF, None])])
        assert cursor.fetchone() == (texts, [1, None, 2**40], numbers, [AS_OF, None])
