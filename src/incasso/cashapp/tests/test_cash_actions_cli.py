"""``incasso bank import``, ``incasso cashapp run`` and ``incasso cashapp export``."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from incasso.cashapp.models import BankLine
from incasso.cashapp.tests.samples import ACME_IBAN, MT940, acme, acme_invoices, camt053, camt053_entry, our_entity

pytestmark = pytest.mark.django_db


def _call(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return out.getvalue(), err.getvalue(), code


def test_bank_import_reports_lines_then_duplicates_and_dry_run_writes_nothing(tmp_path):
    our_entity()
    path = tmp_path / "march-3.sta"
    path.write_bytes(MT940)
    out, _, code = _call("bank", "import", str(path), "--dry-run")
    assert code == 0 and "would add 3 line(s)" in out and not BankLine.objects.exists()
    out, _, code = _call("bank", "import", str(path))
    assert code == 0 and "added 3 line(s), 0 duplicate(s) skipped" in out
    out, _, _ = _call("bank", "import", str(path))
    assert "already imported" in out and "nothing added" in out
    resent = tmp_path / "march-3-resent.sta"
    resent.write_bytes(MT940 + b"\n")
    out, _, _ = _call("bank", "import", str(resent))
    assert "added 0 line(s), 3 duplicate(s) skipped" in out and out.count("duplicate skipped:") == 3
    broken = tmp_path / "broken.sta"
    broken.write_bytes(b"hello")
    _, err, code = _call("bank", "import", str(broken))
    assert code == 1 and "broken.sta" in err


def test_cashapp_run_and_export_one_row_per_allocation_or_unmatched_line(tmp_path):
    entity = our_entity()
    customer = acme(entity)
    first, second = acme_invoices(customer)
    statement = tmp_path / "s.xml"
    statement.write_bytes(camt053(
        camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
        camt053_entry("99.00", ref="A3", name="Nobody Known GmbH"),
        opening="0", closing="2129.40"))
    _call("bank", "import", str(statement))
    out, _, code = _call("cashapp", "run", "--as-of", "2026-03-03")
    assert code == 0 and "3 line(s), 1 applied automatically, 1 queued for review, 1 unidentified" in out
    target = tmp_path / "cash.csv"
    out, _, _ = _call("cashapp", "export", "-o", str(target))
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert list(rows[0]) == ["statement", "line_ref", "entity", "account", "item_number", "amount", "status",
                             "confidence", "reason"]
    by_ref = {row["line_ref"]: row for row in rows}
    assert (by_ref["A1"]["status"], by_ref["A1"]["item_number"], by_ref["A1"]["amount"]) == (
        "auto", "FA20260001", "1200.00")
    assert by_ref["A1"]["entity"] == "FR01" and by_ref["A1"]["account"] == "C-100"
    assert by_ref["A2"]["status"] == "proposed" and by_ref["A2"]["item_number"] == "FA20260002"
    assert by_ref["A3"]["status"] == "unmatched" and by_ref["A3"]["amount"] == "99.00"
    assert "3 row(s)" in out


def test_cashapp_run_rejects_a_malformed_date():
    with pytest.raises(Exception, match="YYYY-MM-DD"):
        call_command("cashapp", "run", "--as-of", "03/03/2026")
