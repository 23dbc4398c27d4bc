"""Importing dispute cases from a CSV or XLSX file (a customer's deduction list, a legacy tool).

Columns (header names, any order, case-insensitive): ``entity``, ``account``, ``item`` (document
number), ``amount`` (disputed), ``reason`` (reason code); optional ``reference`` (rows sharing one
reference form one case with several items; it also makes re-imports idempotent), ``description``,
``priority``. Every row is checked before anything is written; a bad file is refused as a whole
with every problem named by file, line and column.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from incasso.audit.events import Actor
from incasso.core.money import MoneyError, parse_amount
from incasso.disputes.actions.cases import open_dispute
from incasso.disputes.choices import CaseSource, Priority
from incasso.disputes.errors import DisputeError
from incasso.disputes.models import DisputeCase, ReasonCode
from incasso.ledger.choices import CREDIT_KINDS
from incasso.ledger.models import Item

REQUIRED = ("entity", "account", "item", "amount", "reason")
OPTIONAL = ("reference", "description", "priority")


@dataclass
class ImportProblem:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}, column {self.column}: {self.message}"


@dataclass
class DisputeImportResult:
    file: str
    rows: int = 0
    created: list[str] = field(default_factory=list)  # case numbers
    already_imported: list[str] = field(default_factory=list)  # references skipped
    problems: list[ImportProblem] = field(default_factory=list)


def _read_rows(name: str, content: bytes) -> list[dict[str, str]]:
    if name.lower().endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        values = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
        if not values:
            return []
        header = [h.lower() for h in values[0]]
        return [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]
    text = content.decode("utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames or []]
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def import_disputes(path: str | Path, *, by: Actor, content: bytes | None = None) -> DisputeImportResult:
    """Check every row, then open one case per reference (or per row without one), in one transaction."""
    path = Path(path)
    name = path.name
    content = path.read_bytes() if content is None else content
    result = DisputeImportResult(name)
    try:
        rows = _read_rows(name, content)
    except (UnicodeDecodeError, csv.Error, ValueError, OSError) as exc:
        result.problems.append(ImportProblem(name, 1, "-", f"cannot read the file: {exc}"))
        return result
    result.rows = len(rows)
    if rows:
        missing = [c for c in REQUIRED if c not in rows[0]]
        for column in missing:
            result.problems.append(ImportProblem(name, 1, column, "required column missing from the header"))
        if missing:
            return result
    reasons = set(ReasonCode.objects.filter(active=True).values_list("code", flat=True))
    keys = {(r.get("entity", ""), r.get("item", "")) for r in rows}
    items = {(i.entity.code, i.number): i for i in Item.objects.select_related("entity", "customer")
             .filter(number__in=[k[1] for k in keys]).exclude(kind__in=list(CREDIT_KINDS))}
    groups: dict[tuple[str, str], list[tuple[int, dict[str, str], Item, Decimal]]] = {}
    for line, row in enumerate(rows, start=2):
        problems = len(result.problems)
        item = items.get((row.get("entity", ""), row.get("item", "")))
        if item is None:
            result.problems.append(ImportProblem(name, line, "item", f"no open debit item {row.get('item')!r} "
                                                                     f"in entity {row.get('entity')!r}"))
        elif item.customer.account != row.get("account"):
            result.problems.append(ImportProblem(
                name, line, "account", f"{item.number} belongs to account {item.customer.account}, "
                                       f"not {row.get('account')!r}"))
        try:
            amount = parse_amount(row.get("amount", ""))
            if amount <= 0:
                raise MoneyError("must be positive")
        except MoneyError as exc:
            result.problems.append(ImportProblem(name, line, "amount", f"{row.get('amount')!r}: {exc}"))
            amount = Decimal(0)
        if row.get("reason") not in reasons:
            result.problems.append(ImportProblem(name, line, "reason", f"unknown reason code {row.get('reason')!r}; "
                                                                       f"expected one of {', '.join(sorted(reasons))}"))
        if row.get("priority") and row["priority"] not in Priority.values:
            result.problems.append(ImportProblem(name, line, "priority", f"{row['priority']!r}: expected one of "
                                                                         f"{', '.join(Priority.values)}"))
        if len(result.problems) == problems and item is not None:
            key = (row["entity"], row.get("reference") or f"{name}:{line}")
            groups.setdefault(key, []).append((line, row, item, amount))
    if result.problems:
        return result
    existing = set(DisputeCase.objects.filter(external_reference__in=[k[1] for k in groups])
                   .values_list("entity__code", "external_reference"))
    with transaction.atomic():
        for (entity_code, reference), lines in groups.items():
            if (entity_code, reference) in existing:
                result.already_imported.append(reference)
                continue
            first_line, first, item, _amount = lines[0]
            try:
                case = open_dispute(
                    item.customer_id, [(i.pk, amount) for _l, _r, i, amount in lines], first["reason"], by=by,
                    description=first.get("description", ""), source=CaseSource.IMPORT,
                    priority=first.get("priority") or Priority.NORMAL,
                    external_reference=reference if first.get("reference") else None,
                )
            except DisputeError as exc:
                result.problems.append(ImportProblem(name, first_line, "amount" if "amount" in exc.message else "item",
                                                     exc.message))
                transaction.set_rollback(True)
                result.created.clear()
                return result
            result.created.append(case.number)
    return result
