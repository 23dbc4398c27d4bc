"""Every bank file of the shared corpus, read in place, against what the peer projects assert.

Given a corpus file, when Incasso parses it, then either it reads (and agrees with every golden
value the peers keep for it, except the disagreements we chose and explain), or it is one the
peers reject too and our error names the file, the place and the reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from incasso.core.bank import ParseError, parse_file
from incasso.core.bank.tests.golden import (
    CORPUS,
    EXPECTED_FAILURES,
    KNOWN_DISAGREEMENTS,
    SNIPPET_REASONS,
    corpus_files,
    golden_checks,
)
from incasso.testing.corpus import corpus_dir

FILES = corpus_files(CORPUS) if (CORPUS / "INVENTORY.csv").exists() else []


def _expected_failure(path: str) -> tuple[str, ...] | None:
    if path in EXPECTED_FAILURES:
        return (EXPECTED_FAILURES[path],)
    if path.startswith("wolph-mt940/") and Path(path).name in _WOLPH_SNIPPETS:
        return SNIPPET_REASONS
    return None


# WoLpH's per-tag unit-test inputs: a balance, a :25:, one :61: line, no message around them
_WOLPH_SNIPPETS = {
    "amount_formats.sta", "currency_in_25.sta", "empty_86.sta", "empty_entry_date.sta", "empty_line.sta",
    "missing_crlf_at_end.sta", "account_balance_credit.sta", "account_balance_debit.sta",
    "account_identification_iban.sta", "account_identification_legacy.sta", "available_balance.sta",
    "closing_balance.sta", "reference.sta", "statement_details.sta", "statement_line.sta", "statement_number.sta",
    "empty_non_swift.sta", "sparkassen.sta",
}


@pytest.mark.parametrize(("path", "kind"), FILES, ids=[p for p, _ in FILES])
def test_corpus_file_parses_or_fails_as_peers_expect(path: str, kind: str) -> None:
    corpus = corpus_dir()
    expected_failure = _expected_failure(path)

    if expected_failure:
        with pytest.raises(ParseError) as raised:
            parse_file(corpus / path)
        assert raised.value.file.endswith(path)
        assert raised.value.position
        assert any(reason in raised.value.reason for reason in expected_failure), str(raised.value)
        assert str(raised.value).startswith(f"{raised.value.file}: {raised.value.position}: ")
        return

    statements = parse_file(corpus / path)

    assert statements, f"{path} gave no statement"
    for statement in statements:
        assert statement.account, f"{path}: statement without account"
        for entry in statement.entries:
            assert entry.amount >= 0
    allowed = KNOWN_DISAGREEMENTS.get(path, {})
    for peer, check in golden_checks(corpus, path):
        problems = check(statements)
        explained, why = allowed.get(peer, ((), ""))
        unexplained = [p for p in problems if not any(marker in p for marker in explained)]
        assert unexplained == [], f"{path} disagrees with {peer}: {unexplained}"


def test_every_mt940_rs_and_genkgo_golden_file_is_compared() -> None:
    corpus = corpus_dir()
    compared = {path for path, _ in FILES if golden_checks(corpus, path)}

    goldens = [p for p in corpus.glob("svenstaro-mt940-rs/**/*.json")] + list(corpus.glob("genkgo-camt/*.json"))

    for golden in goldens:
        source = golden.with_suffix(".sta") if golden.parent.name != "genkgo-camt" else golden.with_suffix(".xml")
        assert str(source.relative_to(corpus)) in compared, f"{golden} has no comparison"
