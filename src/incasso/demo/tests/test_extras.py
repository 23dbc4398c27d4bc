"""The demo's CSV export, remittance advices and cash targets: readable by the core parsers with the
saved mapping, describing real payments, deterministic."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from incasso.core.bank.remittance_table import parse_remittance_rows
from incasso.core.bank.tabular import ColumnMapping, parse_table, read_rows
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank
from incasso.demo.generator.extras import CSV_MAPPING, csv_account_iban, generate_extras, paid_in_statements

AS_OF = date(2026, 11, 18)
PROFILE = PROFILES["demo"].scaled(customers=300, open_items=2_400, cleared_items=1_200, groups=6)


def build(out: Path):  # type: ignore[no-untyped-def]
    generate(PROFILE, out, seed=3, as_of=AS_OF)
    generate_bank(out, seed=3, as_of=AS_OF, days=2)
    return generate_extras(out, seed=3, as_of=AS_OF, days=2)


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("extras")
    return out, build(out)


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_csv_export_is_read_by_its_mapping_and_pays_items_no_statement_pays(inbox) -> None:  # type: ignore[no-untyped-def]
    out, result = inbox
    assert result.csv_statement.parent == out / "bank_csv" / CSV_MAPPING["name"]
    mapping = ColumnMapping(**{k: v for k, v in CSV_MAPPING.items() if k != "name"}
                            | {"remittance": (CSV_MAPPING["remittance"],)})
    kind, rows = read_rows(result.csv_statement.read_bytes(), result.csv_statement.name)
    statement = parse_table(rows, mapping, file=result.csv_statement.name, account=csv_account_iban(),
                            currency="EUR", file_kind=kind)
    assert len(statement.entries) == result.csv_lines > 0
    truth = read(out / "bank_csv_truth.csv")
    assert [Decimal(row["amount"]) for row in truth] == [entry.amount for entry in statement.entries]
    for row, entry in zip(truth, statement.entries, strict=True):
        number = row["items"].split("/", 1)[1].split("=")[0]
        assert number in entry.remittance.unstructured
    statement_items = {(part.split("/", 1)[0], part.split("/", 1)[1].split("=")[0])
                       for row in read(out / "bank_truth.csv") for part in row["items"].split(";")}
    csv_items = {(row["entity"], row["items"].split("/", 1)[1].split("=")[0]) for row in truth}
    assert not csv_items & statement_items
    assert csv_items <= paid_in_statements(out)


def test_each_advice_lists_the_invoices_of_a_bank_line_without_references(inbox) -> None:  # type: ignore[no-untyped-def]
    out, result = inbox
    _kind, rows = read_rows(result.remittance_file.read_bytes(), result.remittance_file.name)
    advices = parse_remittance_rows(rows, file=result.remittance_file.name)
    assert len(advices.entries) == result.advices > 0
    lines = {Decimal(row["amount"]): row for row in read(out / "bank_truth.csv")
             if row["noise_class"] in ("bulk_no_reference", "amount_only")}
    for advice in advices.entries:
        line = lines[advice.amount]
        paid = {part.split("/", 1)[1].split("=")[0]: Decimal(part.split("=")[1]) for part in line["items"].split(";")}
        assert {d.number: d.amount_paid for d in advice.remittance.documents} == paid
        assert advice.counterparty_name and advice.booking_date is not None


def test_targets_cover_each_entity_currency_for_four_months(inbox) -> None:  # type: ignore[no-untyped-def]
    out, result = inbox
    rows = read(out / "cash_targets.csv")
    assert len(rows) == len(result.targets)
    months = sorted({row["month"] for row in rows})
    assert months == ["2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01"]
    keys = {(row["entity"], row["currency"]) for row in rows}
    assert ("RO01", "RON") in keys and ("GB01", "GBP") in keys
    assert all(Decimal(row["amount"]) > 0 and Decimal(row["amount"]) % 1000 == 0 for row in rows)


def test_same_seed_same_bytes(inbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _result = inbox
    again = build(tmp_path)
    for path in (again.csv_statement, again.remittance_file, tmp_path / "cash_targets.csv",
                 tmp_path / "bank_csv_truth.csv"):
        assert path.read_bytes() == (out / path.relative_to(tmp_path)).read_bytes(), path.name
