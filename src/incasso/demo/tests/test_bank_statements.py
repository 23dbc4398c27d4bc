"""The generator's bank statements: readable by the core parsers, reconciling, deterministic, and matched
by the engine at the precision the auto-apply threshold promises."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from incasso.core.bank import parse_file
from incasso.core.matching import MatchSettings, match_line
from incasso.core.matching.evaluation import build_index, load_bank, load_truth, score
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank

AS_OF = date(2026, 11, 20)


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bank")
    profile = PROFILES["demo"].scaled(customers=150, open_items=1_200, cleared_items=600, groups=4)
    generate(profile, out, seed=7, as_of=AS_OF)
    generate_bank(out, seed=7, as_of=AS_OF, days=5)
    return out


def test_every_statement_parses_and_reconciles(ledger: Path):
    files = sorted((ledger / "bank").iterdir())
    assert {f.suffix for f in files} == {".xml", ".sta"}  # camt.053 and MT940
    credits = 0
    for path in files:
        for statement in parse_file(path):
            assert statement.warnings == ()  # balances reconcile, nothing odd
            assert statement.format in ("camt.053", "mt940")
            assert statement.opening_balance + statement.total_credits == statement.closing_balance
            credits += len(statement.entries)
    assert credits == len(load_truth(ledger))


def test_same_seed_same_bytes(ledger: Path, tmp_path: Path):
    profile = PROFILES["demo"].scaled(customers=150, open_items=1_200, cleared_items=600, groups=4)
    generate(profile, tmp_path, seed=7, as_of=AS_OF)
    generate_bank(tmp_path, seed=7, as_of=AS_OF, days=5)
    assert (tmp_path / "bank_truth.csv").read_bytes() == (ledger / "bank_truth.csv").read_bytes()
    for path in (ledger / "bank").iterdir():
        assert (tmp_path / "bank" / path.name).read_bytes() == path.read_bytes()


def test_engine_auto_applies_generated_payments_at_high_precision(ledger: Path):
    settings = MatchSettings()
    index = build_index(ledger)
    lines = load_bank(ledger)
    report = score(lines, load_truth(ledger), lambda line: match_line(line, index, settings, AS_OF), settings)
    assert report.overall.lines == len(lines) > 100
    assert report.overall.precision >= 0.995, report.errors
    assert report.overall.auto_lines / report.overall.lines >= 0.8
    assert report.by_class["clean"].auto_lines == report.by_class["clean"].lines
