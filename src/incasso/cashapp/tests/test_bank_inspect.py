"""``incasso bank inspect``: what a file holds, before anything is imported."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from incasso.testing.corpus import corpus_dir


def _inspect(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("bank", "inspect", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return out.getvalue(), err.getvalue(), code


def test_json_lists_each_statement_with_balances_and_totals_as_strings() -> None:
    example = corpus_dir() / "pennylane-cfonb/example.txt"

    out, err, code = _inspect(str(example), "--format", "json")

    assert (code, err) == (0, "")
    first, second = json.loads(out)
    assert first["format"] == "cfonb120"
    assert (first["opening_balance"], first["closing_balance"]) == ("-190.40", "-241.21")
    assert (first["entry_count"], first["total_credits"], first["total_debits"]) == (3, "0.00", "50.81")
    assert (second["total_credits"], second["total_debits"]) == ("97.49", "20.00")
    assert set(first) >= {"file", "format", "account", "currency", "opening_balance", "closing_balance",
                          "entry_count", "total_credits", "total_debits", "warnings"}


def test_unreadable_file_exits_1_but_the_others_are_still_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sta"
    broken.write_text(":20:REF\n:25:NL77INGB0574908765\n:60F:C140219EUR662,23\n:61:14XX20C1,56NTRF\n:62F:C140220EUR1,00\n")
    good = corpus_dir() / "wimverstuyf-php-coda-parser/sample10.cod"

    out, err, code = _inspect(str(broken), str(good), "--format", "json")

    assert code == 1
    assert err.strip() == f"{broken}: line 4: :61: statement line '14XX20C1,56NTRF' cannot be read"
    [statement] = json.loads(out)
    assert (statement["format"], statement["entry_count"]) == ("coda", 1)


def test_table_shows_warnings_of_statements_that_do_not_reconcile() -> None:
    abnamro = corpus_dir() / "svenstaro-mt940-rs/mt940/full/jejik/abnamro.sta"

    out, _err, code = _inspect(str(abnamro))

    assert code == 0
    assert "mt940" in out and "517852257" in out
    assert "do not reconcile" in out


def test_subcommand_is_required() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("bank")
