"""Aging in slices of customers equals the aging in one query.

A large aging outside a transaction is cut into slices of customers, each aged on a connection and
a thread of its own, all on one snapshot (``reports.aging._sliced_fetch``). These tests commit a
random ledger (the slices' connections only see committed rows, hence ``transaction=True``), lower
the size threshold so that four customers are cut, and compare every grouping, basis and a few dates
with the one query, on both databases.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from incasso.core.aging import parse_buckets
from incasso.ledger.models import Customer
from incasso.reports import aging
from incasso.reports.aging import AgingScope, aged_groups, aging_report
from incasso.reports.tests.random_ledgers import KINDS, START, build_random_ledger
from incasso.testing.builders import an_item

pytestmark = pytest.mark.django_db(transaction=True)

BUCKETS = parse_buckets("current,1-30,31-60,61-90,>90")
OFFSETS = (-5, 40, 95, 170, 400)  # before anything, in the middle of the history, after all of it


def _ledger(seed: int) -> list[Customer]:
    rng = random.Random(seed)
    items = [(rng.choice([0, 0, 1, 2, 3]), rng.choice(KINDS), rng.randint(1, 500_000), rng.randint(0, 150),
              rng.randint(0, 90)) for _ in range(40)]
    operations = [(rng.randint(0, 39), rng.randint(0, 39), rng.choice([Decimal("1"), Decimal("0.5"), Decimal("0.37")]),
                   rng.randint(0, 200), rng.choice([None, None, rng.randint(0, 60)])) for _ in range(40)]
    customers = build_random_ledger(items, operations)
    collector = get_user_model().objects.create_user("slices-collector")
    Customer.objects.filter(pk__in=[customers[0].pk, customers[2].pk]).update(collector=collector)
    return customers


@pytest.fixture
def sliced(monkeypatch):  # type: ignore[no-untyped-def]
    """Slices from four customers on; the number of runs of the sliced path."""
    monkeypatch.setattr(aging, "SLICE_MIN_CUSTOMERS", 0)
    runs = Counter()
    run_at_once = aging._run_at_once

    def counted(readers, queries, finish):  # type: ignore[no-untyped-def]
        runs[len(queries)] += 1
        return run_at_once(readers, queries, finish)

    monkeypatch.setattr(aging, "_run_at_once", counted)
    return runs


def _rows(report):  # type: ignore[no-untyped-def]
    return [(r.group, r.currency, r.amounts, r.item_count) for r in report.rows]


@pytest.mark.parametrize("slices", [2, 3])
def test_the_slices_age_as_the_one_query(sliced, monkeypatch, slices):  # type: ignore[no-untyped-def]
    # given a committed random ledger of two entities and four customers, two of them with a collector
    _ledger(seed=slices)
    for by in ("customer", "entity", "collector", "currency"):
        for basis in ("due_date", "document_date"):
            for offset in OFFSETS:
                as_of = START + timedelta(days=offset)
                # when it is aged in one query and in slices
                monkeypatch.setattr(aging, "SLICES", 1)
                whole = aging_report(as_of, by=by, basis=basis, buckets=BUCKETS)
                monkeypatch.setattr(aging, "SLICES", slices)
                cut = aging_report(as_of, by=by, basis=basis, buckets=BUCKETS)
                # then the rows are the same, to the cent, with the same item counts
                assert _rows(cut) == _rows(whole), f"{by}, {basis}, as of {as_of}"
                # and so are the keyed groups other reports read (sorted: the slices' order differs)
                monkeypatch.setattr(aging, "SLICES", 1)
                keyed_whole = aged_groups(as_of, by, basis, BUCKETS, AgingScope(), {})
                monkeypatch.setattr(aging, "SLICES", slices)
                keyed_cut = aged_groups(as_of, by, basis, BUCKETS, AgingScope(), {})
                key = lambda pair: (str(pair[0]), pair[1].currency)  # noqa: E731
                assert [(k, r.currency, r.amounts, r.item_count) for k, r in sorted(keyed_cut, key=key)] == [
                    (k, r.currency, r.amounts, r.item_count) for k, r in sorted(keyed_whole, key=key)
                ]
    # and the sliced path did run, every time
    assert sliced[slices] == 2 * 4 * 2 * len(OFFSETS)


def test_an_aging_scoped_to_entities_is_sliced_too(sliced, monkeypatch):  # type: ignore[no-untyped-def]
    customers = _ledger(seed=7)
    entity_ids = [customers[0].entity_id]
    as_of = START + timedelta(days=95)
    monkeypatch.setattr(aging, "SLICES", 1)
    whole = aging_report(as_of, by="customer", entity_ids=entity_ids, buckets=BUCKETS)
    monkeypatch.setattr(aging, "SLICES", 2)
    cut = aging_report(as_of, by="customer", entity_ids=entity_ids, buckets=BUCKETS)
    assert _rows(cut) == _rows(whole)
    assert {r.group.split("/")[0] for r in cut.rows} == {customers[0].entity.code}
    assert sliced[2] == 1


def test_the_slice_filters_add_up_to_the_whole(sliced):  # type: ignore[no-untyped-def]
    # given a committed random ledger, cut at its third customer by (entity, customer) key
    customers = sorted(_ledger(seed=11), key=lambda c: (c.entity_id, c.pk))
    cut_at = (customers[2].entity_id, customers[2].pk)
    for offset in OFFSETS:
        as_of = START + timedelta(days=offset)
        for by in ("customer", "entity"):
            # when each slice is aged alone, through the same SQL on both databases
            whole = aged_groups(as_of, by, "due_date", BUCKETS, AgingScope(), {})
            below = aged_groups(as_of, by, "due_date", BUCKETS, AgingScope(stop=cut_at), {})
            above = aged_groups(as_of, by, "due_date", BUCKETS, AgingScope(start=cut_at), {})
            # then every customer is in exactly one slice, and the slices add up to the whole
            added: dict[tuple[str, str], tuple[list[Decimal], int]] = {}
            for key, row in [*below, *above]:
                amounts, count = added.get((str(key), row.currency), ([Decimal("0.00")] * len(BUCKETS), 0))
                added[(str(key), row.currency)] = ([a + b for a, b in zip(amounts, row.amounts, strict=True)],
                                                   count + row.item_count)
            assert added == {(str(key), row.currency): (row.amounts, row.item_count) for key, row in whole}, as_of
            if by == "customer":
                assert {key for key, _row in below}.isdisjoint({key for key, _row in above})
                assert {key for key, _row in below} <= {c.pk for c in customers[:2]}


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_a_writer_holding_the_database_makes_it_one_query(sliced, monkeypatch):  # type: ignore[no-untyped-def]
    # given a committed ledger and another connection in the middle of a write transaction
    _ledger(seed=3)
    as_of = START + timedelta(days=95)
    monkeypatch.setattr(aging, "SLICES", 1)
    whole = aging_report(as_of, buckets=BUCKETS)
    monkeypatch.setattr(aging, "SLICES", 2)
    writer = connection.get_new_connection(connection.get_connection_params())
    writer.isolation_level = None
    try:
        writer.execute("BEGIN IMMEDIATE")
        # when the ledger is aged, then it does not wait for the writer: one query, the same rows
        assert _rows(aging_report(as_of, buckets=BUCKETS)) == _rows(whole)
        assert sliced[2] == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    # and once the writer is done, the aging is sliced again
    assert _rows(aging_report(as_of, buckets=BUCKETS)) == _rows(whole)
    assert sliced[2] == 1


def test_inside_a_transaction_it_is_one_query(sliced, monkeypatch):  # type: ignore[no-untyped-def]
    # given a committed ledger, and an open transaction that added an item (other connections
    # cannot see it)
    customers = _ledger(seed=5)
    monkeypatch.setattr(aging, "SLICES", 2)
    as_of = START + timedelta(days=400)
    before = {(r.group, r.currency): r for r in aging_report(as_of, buckets=BUCKETS).rows}
    with transaction.atomic():
        added = an_item(customers[1], amount=Decimal("123.45"), document_date=START, due_date=START)
        # when the ledger is aged in that transaction, then the report sees the new item: one query
        after = {(r.group, r.currency): r for r in aging_report(as_of, buckets=BUCKETS).rows}
        transaction.set_rollback(True)
    key = next(k for k in after if k[1] == added.currency and f"/{customers[1].account} " in k[0])
    previous = before.get(key)
    assert after[key].total == (previous.total if previous else Decimal("0")) + Decimal("123.45")
    # the aging before the transaction was sliced, not the one in it
    assert sliced[2] == 1


def test_without_more_connections_it_is_one_query(sliced, monkeypatch):  # type: ignore[no-untyped-def]
    # given a committed ledger, and a server that takes no more connections
    _ledger(seed=9)
    as_of = START + timedelta(days=95)
    monkeypatch.setattr(aging, "SLICES", 1)
    whole = aging_report(as_of, by="entity", buckets=BUCKETS)
    monkeypatch.setattr(aging, "SLICES", 2)
    connection.ensure_connection()

    def refused(params):  # type: ignore[no-untyped-def]
        raise connection.Database.OperationalError("sorry, too many clients already")

    monkeypatch.setattr(connection, "get_new_connection", refused)
    # when the ledger is aged, then it runs as one query on its own connection, with the same rows
    assert _rows(aging_report(as_of, by="entity", buckets=BUCKETS)) == _rows(whole)
    assert sliced[2] == 0
