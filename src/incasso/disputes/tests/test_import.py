"""Importing dispute cases from CSV and XLSX: grouping by reference, idempotency, named errors."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from incasso.audit.events import SYSTEM
from incasso.disputes.actions.imports import import_disputes
from incasso.disputes.choices import CaseSource
from incasso.disputes.models import DisputeCase
from incasso.disputes.tests.stories import a_cast

pytestmark = pytest.mark.django_db

DEDUCTIONS = (
    "entity;account;item;amount;reason;reference;description\n"
    "FR01;C-100;INV-1;120,50;promotion;DED-2026-001;Spring promotion deducted\n"
    "FR01;C-100;INV-2;80,00;promotion;DED-2026-001;\n"
    "FR01;C-100;INV-2;15,00;damaged;;broken pallet\n"
)


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    return a_cast()


def test_rows_sharing_a_reference_make_one_case_and_reimport_changes_nothing(cast, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "deductions.csv"
    path.write_text(DEDUCTIONS, encoding="utf-8")

    result = import_disputes(path, by=SYSTEM)

    assert result.problems == [] and len(result.created) == 2
    promotion = DisputeCase.objects.get(external_reference="DED-2026-001")
    assert promotion.source == CaseSource.IMPORT and promotion.disputed_amount == Decimal("200.50")
    assert sorted(promotion.lines.values_list("item__number", flat=True)) == ["INV-1", "INV-2"]
    again = import_disputes(path, by=SYSTEM)
    assert again.already_imported == ["DED-2026-001"]
    # The row without a reference has no identity of its own: it would be opened again; with a
    # reference it is not. Files meant to be re-imported carry references.
    assert DisputeCase.objects.filter(external_reference="DED-2026-001").count() == 1


def test_a_bad_file_is_refused_whole_with_file_line_and_column(cast, tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_text("entity,account,item,amount,reason\n"
                    "FR01,C-100,INV-1,12x,pricing\n"
                    "FR01,C-999,INV-2,10.00,pricing\n"
                    "FR01,C-100,INV-404,10.00,pricing\n"
                    "FR01,C-100,INV-2,10.00,price\n", encoding="utf-8")

    result = import_disputes(path, by=SYSTEM)

    assert [str(p).split(":")[0] for p in result.problems] == [
        "bad.csv, line 2, column amount", "bad.csv, line 3, column account", "bad.csv, line 4, column item",
        "bad.csv, line 5, column reason"]
    assert DisputeCase.objects.count() == 0


def test_an_xlsx_file_through_the_command(cast, tmp_path, capsys):  # type: ignore[no-untyped-def]
    book = Workbook()
    sheet = book.active
    sheet.append(["Entity", "Account", "Item", "Amount", "Reason", "Reference", "Priority"])
    sheet.append(["FR01", "C-100", "INV-1", 250, "quantity", "X-1", "high"])
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "cases.xlsx"
    path.write_bytes(buffer.getvalue())

    call_command("disputes", "import", str(path))

    assert "1 case(s) opened" in capsys.readouterr().out
    case = DisputeCase.objects.get()
    assert (case.disputed_amount, case.priority, case.reason.code) == (Decimal("250.00"), "high", "quantity")


def test_the_command_names_the_problems(cast, tmp_path, capsys):  # type: ignore[no-untyped-def]
    path = tmp_path / "missing.csv"
    path.write_text("entity,account,item,amount\nFR01,C-100,INV-1,10\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("disputes", "import", str(path))
    assert "missing.csv, line 1, column reason: required column missing" in capsys.readouterr().err
