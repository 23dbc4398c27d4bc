"""Scoring the matcher against the generator's ground truth (``bank_truth.csv``), and a baseline.

Used by bench/bench_matching.py and by the test that runs the generated bank files through the
engine. Reads the generator's customers.csv and items.csv into refs (ids ``ENTITY/ACCOUNT`` and
``ENTITY/NUMBER``), the statements through the core bank parsers, and the truth file.

Per line: the allocations the engine would apply without a person (confidence at or above the
threshold) are compared with the truth as (item, amount, discount); *precision* is correct applied
allocations / applied allocations, *auto share* the lines whose every true allocation was applied
and nothing else, *top-1 accuracy* the lines whose proposal (applied or not) equals the truth.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from incasso.core.bank import parse_file
from incasso.core.bank.model import Sign, Statement
from incasso.core.matching.index import MatchingIndex
from incasso.core.matching.model import BankLineRef, CustomerRef, MatchSettings, OpenItemRef, Proposal
from incasso.core.matching.text import compact

Allocation = tuple[str, Decimal, Decimal]  # item id, amount, discount


def load_ledger(directory: Path) -> tuple[list[CustomerRef], list[OpenItemRef]]:
    customers: dict[str, CustomerRef] = {}
    with open(directory / "customers.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = f"{row['entity']}/{row['account']}"
            customers[key] = CustomerRef(key, row["entity"], row["group"] or None, row["account"], row["name"],
                                         tuple(row["ibans"].split(";")), row["currency"])
    items = []
    with open(directory / "items.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] not in ("invoice", "debit_note", "fee", "interest") or row["open_amount"] in ("", "0.00"):
                continue
            customer = customers[f"{row['entity']}/{row['account']}"]
            items.append(OpenItemRef(
                f"{row['entity']}/{row['number']}", customer.customer_id, customer.entity_id, customer.group_id,
                row["kind"], row["number"], row["reference"], row["currency"], Decimal(row["open_amount"]),
                date.fromisoformat(row["document_date"]), date.fromisoformat(row["due_date"]),
                int(row.get("payment_terms_days") or 30)))
    return list(customers.values()), items


def bank_lines(statements: Iterable[Statement], entity_of_account: dict[str, str]) -> list[BankLineRef]:
    """One ``BankLineRef`` per credit (per detail of a batch booking), id = the bank's reference."""
    lines = []
    for statement in statements:
        entity = entity_of_account.get(compact(statement.account), "")
        for entry in statement.entries:
            if entry.sign is not Sign.CREDIT or entry.reversal:
                continue
            details = entry.details if len(entry.details) > 1 else ()
            for part in details or (entry,):
                remittance = part.remittance
                amount = part.amount if part.amount is not None else entry.amount
                lines.append(BankLineRef(
                    part.bank_reference or entry.bank_reference, entity, amount,
                    part.currency or entry.currency, entry.booking_date, entry.value_date, part.counterparty_name,
                    part.counterparty_iban, remittance.structured_reference, remittance.unstructured,
                    tuple((d.number, d.amount_paid, d.adjustment) for d in remittance.documents)))
    return lines


def load_bank(directory: Path) -> list[BankLineRef]:
    with open(directory / "entity_bank_accounts.csv", encoding="utf-8", newline="") as handle:
        entity_of = {compact(row["iban"]): row["entity"] for row in csv.DictReader(handle)}
    statements: list[Statement] = []
    for path in sorted((directory / "bank").iterdir()):
        statements += parse_file(path)
    return bank_lines(statements, entity_of)


@dataclass(frozen=True, slots=True)
class TruthLine:
    line_ref: str
    noise_class: str
    allocations: frozenset[Allocation]


def load_truth(directory: Path) -> dict[str, TruthLine]:
    truth = {}
    with open(directory / "bank_truth.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            discounts = dict(part.split("=") for part in row["discounts"].split(";") if part)
            allocations = frozenset(
                (item, Decimal(amount), Decimal(discounts.get(item, "0")))
                for item, amount in (part.split("=") for part in row["items"].split(";"))
            )
            truth[row["line_ref"]] = TruthLine(row["line_ref"], row["noise_class"], allocations)
    return truth


@dataclass
class Score:
    lines: int = 0
    applied: int = 0  # allocations applied without a person
    applied_correct: int = 0
    auto_lines: int = 0  # lines fully and only correctly applied
    top1: int = 0

    @property
    def precision(self) -> float:
        return self.applied_correct / self.applied if self.applied else 1.0

    def as_dict(self) -> dict[str, float | int]:
        return {"lines": self.lines, "applied_allocations": self.applied, "precision": round(self.precision, 4),
                "auto_share": round(self.auto_lines / self.lines, 4) if self.lines else 0.0,
                "top1_accuracy": round(self.top1 / self.lines, 4) if self.lines else 0.0}


@dataclass
class Report:
    overall: Score = field(default_factory=Score)
    by_class: dict[str, Score] = field(default_factory=dict)
    by_stage: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # auto-applied mistakes: ref, class, reason


def allocations_of(proposal: Proposal) -> frozenset[Allocation]:
    return frozenset((str(a.item_id), a.amount, a.discount) for a in proposal.allocations)


def score(lines: list[BankLineRef], truth: dict[str, TruthLine], propose: Callable[[BankLineRef], Proposal],
          settings: MatchSettings) -> Report:
    report = Report()
    for line in lines:
        expected = truth.get(str(line.line_id))
        if expected is None:
            continue
        proposal = propose(line)
        proposed = allocations_of(proposal)
        auto = proposal.is_auto(settings)
        for bucket in (report.overall, report.by_class.setdefault(expected.noise_class, Score())):
            bucket.lines += 1
            if auto:
                bucket.applied += len(proposed)
                bucket.applied_correct += len(proposed & expected.allocations)
                bucket.auto_lines += proposed == expected.allocations
            bucket.top1 += proposed == expected.allocations
        report.by_stage[proposal.stage] = report.by_stage.get(proposal.stage, 0) + 1
        if auto and not proposed <= expected.allocations:
            report.errors.append((str(line.line_id), expected.noise_class, proposal.reason))
    return report


def build_index(directory: Path) -> MatchingIndex:
    customers, items = load_ledger(directory)
    return MatchingIndex.build(customers, items)
