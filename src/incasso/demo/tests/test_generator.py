"""The demo data generator: deterministic, exact counts, valid identifiers, a ledger that ages."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from schwifty import IBAN
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from incasso.core.aging import DEFAULT_BUCKETS, AgingItem, age
from incasso.demo.generator import FILES, PROFILES, generate
from incasso.demo.generator.catalog import ENTITIES, USERS
from incasso.demo.generator.customers import share_out

AS_OF = date(2026, 11, 20)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("demo")
    generate(PROFILES["demo"], out, seed=7, as_of=AS_OF)
    return out


@pytest.fixture(scope="module")
def items(demo: Path) -> list[dict[str, str]]:
    return read(demo / "items.csv")


def test_same_seed_gives_byte_identical_files_and_another_seed_does_not(demo: Path, tmp_path: Path) -> None:
    # given the demo profile generated twice with seed 7 and once with seed 8
    generate(PROFILES["demo"], tmp_path / "again", seed=7, as_of=AS_OF)
    generate(PROFILES["demo"], tmp_path / "other", seed=8, as_of=AS_OF)
    # then every file is identical byte for byte for the same seed
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (demo / name).read_bytes(), name
    # and the ledger differs for another seed
    assert (tmp_path / "other" / "items.csv").read_bytes() != (demo / "items.csv").read_bytes()


def test_demo_profile_counts(demo: Path, items: list[dict[str, str]]) -> None:
    entities = read(demo / "entities.csv")
    customers = read(demo / "customers.csv")
    assert [(e["code"], e["country"], e["currency"], e["timezone"], e["language"]) for e in entities] == [
        ("FR01", "FR", "EUR", "Europe/Paris", "fr"), ("ES01", "ES", "EUR", "Europe/Madrid", "es"),
        ("DE01", "DE", "EUR", "Europe/Berlin", "de"), ("IT01", "IT", "EUR", "Europe/Rome", "it"),
        ("RO01", "RO", "RON", "Europe/Bucharest", "ro"), ("GB01", "GB", "GBP", "Europe/London", "en"),
    ]
    assert len(customers) == 600
    assert len(read(demo / "customers_truth.csv")) == 600
    assert len(items) == 12_000
    open_rows = [i for i in items if Decimal(i["open_amount"]) > 0]
    assert len(open_rows) == 4_000
    assert Counter(c["entity"] for c in customers) == {"FR01": 150, "DE01": 120, "ES01": 90, "IT01": 90,
                                                       "GB01": 78, "RO01": 72}
    # every purpose has contacts, in several languages
    contacts = read(demo / "contacts.csv")
    assert {c["purpose"] for c in contacts} == {"invoices", "reminders", "statements", "escalation", "general"}
    assert {c["language"] for c in contacts} >= {"fr", "es", "de", "it", "ro", "en"}
    # a few groups span entities
    entities_of_group = defaultdict(set)
    for customer in customers:
        if customer["group"]:
            entities_of_group[customer["group"]].add(customer["entity"])
    assert len(entities_of_group) == 8
    assert all(len(codes) >= 2 for codes in entities_of_group.values())


def test_collectors_are_users_with_the_collector_role_and_speak_the_customers_language(demo: Path) -> None:
    customers = read(demo / "customers.csv")
    collectors = {u.username: u for u in USERS if "collector" in u.roles}
    assert len(collectors) == 8
    assert {c["collector"] for c in customers} == set(collectors)
    french_of_fr01 = {c["collector"] for c in customers
                      if c["entity"] == "FR01" and c["language"] == "fr" and c["segment"] != "key_account"}
    assert french_of_fr01 == {"ioana"}
    assert {c["collector"] for c in customers if c["segment"] == "key_account"} == {"alexandru"}


def test_every_vat_id_and_iban_is_valid(demo: Path) -> None:
    customers = read(demo / "customers.csv")
    for customer in customers:
        vat_id = customer["vat_id"]
        assert vat_id[:2] == customer["country"]
        valid = gb_vat.is_valid(vat_id) if vat_id.startswith("GB") else eu_vat.is_valid(vat_id)
        assert valid, f"{customer['entity']}/{customer['account']}: invalid VAT id {vat_id}"
        for iban in customer["ibans"].split(";"):
            IBAN(iban).validate(validate_bban=True)
            assert iban[:2] == customer["country"]
    assert len({c["vat_id"] for c in customers}) == len(customers)


def test_cleared_items_are_closed_by_the_as_of_date_and_nothing_is_dated_later(items: list[dict[str, str]]) -> None:
    for item in items:
        amount, open_amount = Decimal(item["amount"]), Decimal(item["open_amount"])
        assert amount > 0 and amount == amount.quantize(Decimal("0.01"))
        assert 0 <= open_amount <= amount
        assert date.fromisoformat(item["document_date"]) <= AS_OF
        assert date.fromisoformat(item["due_date"]) >= date.fromisoformat(item["document_date"])
        if open_amount == 0:
            assert item["cleared_date"], item
            assert date.fromisoformat(item["document_date"]) <= date.fromisoformat(item["cleared_date"]) <= AS_OF
        else:
            assert item["cleared_date"] == ""
    kinds = Counter(i["kind"] for i in items)
    assert set(kinds) == {"invoice", "credit_note", "debit_note", "payment"}
    # partly paid invoices and unapplied payments are there
    assert any(i["kind"] == "invoice" and 0 < Decimal(i["open_amount"]) < Decimal(i["amount"]) for i in items)
    assert any(i["kind"] == "payment" and i["open_amount"] == i["amount"] for i in items)


def test_numbers_are_unique_per_entity_and_kind(items: list[dict[str, str]]) -> None:
    keys = [(i["entity"], i["kind"], i["number"]) for i in items]
    assert len(keys) == len(set(keys))


def test_behaviours_spread_the_open_balance_across_the_aging_buckets(demo: Path, items: list[dict[str, str]]) -> None:
    # given the ledger aged by due date with the default buckets
    report = age(
        (AgingItem(i["entity"], i["currency"], date.fromisoformat(i["due_date"]),
                   (-1 if i["kind"] in ("payment", "credit_note") else 1) * Decimal(i["open_amount"]))
         for i in items),
        AS_OF, DEFAULT_BUCKETS,
    )
    totals = report.totals()
    assert set(totals) == {"EUR", "RON", "GBP"}
    # then the euro book has a positive balance in every bucket, old debt included
    assert all(amount > 0 for amount in totals["EUR"].amounts), totals["EUR"].amounts
    # and the behaviours show in the truth file: insolvent customers owe the oldest money
    truth = {(t["entity"], t["account"]): t["behaviour"] for t in read(demo / "customers_truth.csv")}
    assert set(truth.values()) == {"prompt", "slightly_late", "chronically_late", "disputer", "partial_payer",
                                   "insolvent"}
    overdue_days = defaultdict(list)
    for item in items:
        if item["kind"] == "invoice" and Decimal(item["open_amount"]) > 0:
            days = (AS_OF - date.fromisoformat(item["due_date"])).days
            overdue_days[truth[(item["entity"], item["account"])]].append(days)
    median = {b: sorted(d)[len(d) // 2] for b, d in overdue_days.items()}
    assert median["prompt"] <= 0 < median["chronically_late"] < median["insolvent"]
    assert median["insolvent"] > 180
    # prompt payers paid their history on or before the due date, chronic late payers weeks late
    paid_late = defaultdict(list)
    for item in items:
        if item["kind"] == "invoice" and item["cleared_date"]:
            days = (date.fromisoformat(item["cleared_date"]) - date.fromisoformat(item["due_date"])).days
            paid_late[truth[(item["entity"], item["account"])]].append(days)
    assert max(paid_late["prompt"]) <= 5
    assert min(paid_late["chronically_late"]) >= 25


def test_the_paid_history_goes_back_about_eighteen_months(items: list[dict[str, str]]) -> None:
    oldest = min(date.fromisoformat(i["document_date"]) for i in items if i["cleared_date"])
    assert AS_OF - timedelta(days=700) <= oldest <= AS_OF - timedelta(days=500)


def test_large_profile_logic_on_a_scaled_down_ledger(tmp_path: Path) -> None:
    # given the large profile scaled to 1,000 customers, 10,000 open and 20,001 cleared items
    profile = PROFILES["large"].scaled(customers=1_000, open_items=10_000, cleared_items=20_001, groups=20)
    result = generate(profile, tmp_path, seed=3, as_of=AS_OF)
    # then the counts are exact
    assert result.rows["customers.csv"] == 1_000
    assert result.rows["items.csv"] == 30_001
    items = read(tmp_path / "items.csv")
    assert sum(1 for i in items if i["open_amount"] != "0.00") == 10_000
    assert sum(1 for i in items if i["cleared_date"]) == 20_001
    assert {c["entity"] for c in read(tmp_path / "customers.csv")} == {e.code for e in ENTITIES}


def test_share_out_is_exact_and_proportional() -> None:
    assert share_out(10, [1, 1, 1]) == [3, 3, 4]
    assert sum(share_out(1_000_003, [7, 0, 13, 5, 2])) == 1_000_003
    assert share_out(5, [0, 0]) == [0, 0]
