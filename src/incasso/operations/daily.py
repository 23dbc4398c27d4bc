"""The daily cycle (see the package docstring). Steps whose input is absent are reported as skipped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TextIO

from django.core.management import call_command, get_commands

from incasso.audit.events import Actor
from incasso.ledger.actions.bank_accounts import register_bank_accounts

ERP_EXTRACTS = ("entities", "customers", "contacts", "items")
BANK_SUFFIXES = {".xml", ".sta", ".mt940", ".txt", ".bai", ".bai2", ".cod", ".coda", ".n43", ".aeb", ".cfonb", ".csv",
                 ".edi", ".820", ".zip"}
TABLE_SUFFIXES = {".csv", ".xlsx"}
REMITTANCE_SUFFIXES = {".csv", ".xlsx", ".edi", ".820", ".txt"}


@dataclass
class CycleReport:
    as_of: date
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step, outcome, seconds)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        width = max((len(step) for step, _outcome, _seconds in self.steps), default=10)
        return [f"  {step:<{width}}  {seconds:6.1f} s  {outcome}" for step, outcome, seconds in self.steps]


def run_daily_cycle(as_of: date, *, by: Actor, inbox: Path | None = None, out: TextIO | None = None) -> CycleReport:
    """Run the day's steps as of ``as_of``; files are read from ``inbox`` when given."""
    report = CycleReport(as_of)
    day = as_of.isoformat()
    available = get_commands()

    def step(name: str, action: Callable[[], str]) -> None:
        # A failed step is reported and the day goes on: a broken dunning proposal must not stop
        # the collectors' worklists. The command exits non-zero when any step failed.
        started = time.perf_counter()
        try:
            outcome = action()
        except (Exception, SystemExit) as error:  # noqa: BLE001 - every failure is reported, none hidden
            outcome = f"FAILED: {type(error).__name__}: {error}"
            report.failed.append(name)
        report.steps.append((name, outcome, time.perf_counter() - started))

    def command(*args: str, **options: object) -> Callable[[], str]:
        def run() -> str:
            if args[0] not in available:
                return f"skipped: `incasso {args[0]}` is not installed"
            call_command(*args, stdout=out, stderr=out, **options)
            return "done"
        return run

    if inbox is not None:
        for kind in ERP_EXTRACTS:
            extract = inbox / f"{kind}.csv"
            if extract.exists():
                step(f"import {kind}", command("import", kind, str(extract), as_of=as_of))
        accounts = inbox / "entity_bank_accounts.csv"
        if accounts.exists():
            step("entity bank accounts", lambda: _bank_accounts(accounts, by))
        bank_files = sorted(p for p in (inbox / "bank").glob("*") if p.suffix.lower() in BANK_SUFFIXES) \
            if (inbox / "bank").is_dir() else []
        if bank_files:
            step(f"import {len(bank_files)} bank files", command("bank", "import", *map(str, bank_files)))
        for folder, exports in _mapped_exports(inbox / "bank_csv"):
            step(f"import {len(exports)} {folder} exports",
                 command("bank", "import", "--mapping", folder, *map(str, exports)))
        advices = sorted(p for p in (inbox / "remittance").glob("*") if p.suffix.lower() in REMITTANCE_SUFFIXES) \
            if (inbox / "remittance").is_dir() else []
        if advices:
            step(f"import {len(advices)} remittance advice files", command("bank", "remittance", *map(str, advices)))
    step("cash application", command("cashapp", "run", "--as-of", day))
    step("promises to pay judged", command("promises", "judge", "--as-of", day))
    step("payment plans judged", command("plans", "judge", "--as-of", day))
    step("disputes escalated", command("disputes", "escalate", "--as-of", day))
    step("dunning proposal", command("dunning", "propose", "--as-of", day))
    step("worklists built", command("worklist", "build", "--as-of", day))
    step("aging snapshot", command("report", "aging-snapshot", "--as-of", day))
    return report


def _mapped_exports(root: Path) -> list[tuple[str, list[Path]]]:
    """CSV/XLSX bank exports under ``root/<mapping name>/``: each folder is read with that saved mapping."""
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        exports = sorted(p for p in folder.iterdir() if p.suffix.lower() in TABLE_SUFFIXES)
        if exports:
            found.append((folder.name, exports))
    return found


def _bank_accounts(path: Path, by: Actor) -> str:
    result = register_bank_accounts(path, by=by)
    return f"{result.created} registered, {result.unchanged} already known"
