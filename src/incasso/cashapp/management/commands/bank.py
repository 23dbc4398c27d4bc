"""``incasso bank inspect FILE... [--format json|table]``: read bank files without importing them.

Shows per statement what the cash application specialist checks before an import: format,
account, currency, opening and closing balances, how many entries, the credits and debits they add
up to, and the parser's warnings. A file that cannot be read is reported as ``FILE: position:
reason`` on stderr and the command exits 1 after reporting every other file.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.table import Table

from incasso.core.bank import ParseError, Statement, parse_file
from incasso.core.money import is_currency, quantize


def statement_summary(statement: Statement) -> dict[str, Any]:
    def money(value: Decimal | None) -> str | None:
        # shown at the currency's minor unit unless the bank sent finer amounts (CODA has 3 decimals)
        if value is None:
            return None
        if is_currency(statement.currency) and quantize(value, statement.currency) == value:
            return str(quantize(value, statement.currency))
        return str(value)

    return {
        "file": statement.file,
        "format": statement.format,
        "account": statement.account,
        "currency": statement.currency,
        "statement_id": statement.statement_id,
        "opening_balance": money(statement.opening_balance),
        "opening_date": statement.opening_date.isoformat() if statement.opening_date else None,
        "closing_balance": money(statement.closing_balance),
        "closing_date": statement.closing_date.isoformat() if statement.closing_date else None,
        "entry_count": len(statement.entries),
        "total_credits": money(statement.total_credits),
        "total_debits": money(statement.total_debits),
        "warnings": [str(w) for w in statement.warnings],
    }


class Command(BaseCommand):
    help = "Bank statements and remittance advices: `bank inspect FILE...` parses and summarises without importing."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        inspect = subcommands.add_parser("inspect", help="parse files and print what they hold; imports nothing")
        inspect.add_argument("files", nargs="+", metavar="FILE")
        inspect.add_argument("--format", dest="output", choices=("json", "table"), default="table")
        imports = subcommands.add_parser("import", help="store statements and lines; duplicates are skipped and listed")
        imports.add_argument("files", nargs="+", metavar="FILE")
        imports.add_argument("--dry-run", action="store_true", help="report what would be added; write nothing")
        advices = subcommands.add_parser(
            "remittance", help="import remittance advices (X12 820, CSV/XLSX) and link them to their bank lines")
        advices.add_argument("files", nargs="+", metavar="FILE")
        imports.add_argument("--mapping", metavar="NAME", default=None,
                             help="read CSV/XLSX exports with this saved column mapping (see the cash application "
                                  "screens, Column mappings)")

    def handle(self, *args: object, **options: Any) -> None:
        if options["subcommand"] == "remittance":
            self._remittance(options["files"])
            return
        if options["subcommand"] == "import":
            self._import(options["files"], dry_run=options["dry_run"], mapping=options["mapping"])
            return
        summaries: list[dict[str, Any]] = []
        failures: list[ParseError] = []
        for name in options["files"]:
            try:
                summaries += [statement_summary(s) for s in parse_file(name)]
            except ParseError as error:
                failures.append(error)
        if options["output"] == "json":
            self.stdout.write(json.dumps(summaries, indent=2, ensure_ascii=False))
        else:
            self._table(summaries)
        for error in failures:
            self.stderr.write(str(error))
        if failures:
            raise SystemExit(1)

    def _table(self, summaries: list[dict[str, Any]]) -> None:
        table = Table(show_lines=False)
        for column in ("file", "format", "account", "ccy", "opening", "closing", "entries", "credits", "debits"):
            table.add_column(column, justify="right" if column in ("opening", "closing", "entries", "credits",
                                                                    "debits") else "left")
        for row in summaries:
            table.add_row(
                row["file"], row["format"], row["account"], row["currency"], row["opening_balance"] or "",
                row["closing_balance"] or "", str(row["entry_count"]), row["total_credits"], row["total_debits"],
            )
        console = Console(file=self.stdout, width=200, soft_wrap=True)
        console.print(table)
        for row in summaries:
            for warning in row["warnings"]:
                self.stdout.write(f"warning: {row['file']} ({row['account']}): {warning}")

    def _remittance(self, files: list[str]) -> None:
        """``bank remittance``: store advices (X12 820, CSV/XLSX) and link each to its bank line."""
        from incasso.audit.events import Actor
        from incasso.cashapp.actions.remittances import import_remittance_file

        failed = 0
        for name in files:
            try:
                report = import_remittance_file(name, by=Actor(None, "remittance-import"))
            except (ParseError, OSError) as error:
                self.stderr.write(str(error))
                failed += 1
                continue
            self.stdout.write(report.summary())
            for linked in report.linked:
                self.stdout.write(f"  linked {linked}")
            for waiting in report.unlinked:
                self.stdout.write(f"  not linked yet {waiting}")
        if failed:
            raise SystemExit(1)

    def _import(self, files: list[str], *, dry_run: bool, mapping: str | None = None) -> None:
        """``bank import``: each file in its own transaction; an unreadable file is reported and skipped."""
        from incasso.audit.events import Actor
        from incasso.cashapp.actions import import_statement_file

        failed = 0
        for name in files:
            try:
                report = import_statement_file(name, by=Actor(None, "bank-import"), dry_run=dry_run, mapping=mapping)
            except (ParseError, OSError) as error:
                self.stderr.write(str(error))
                failed += 1
                continue
            self.stdout.write(report.summary())
            for statement in report.statements:
                for duplicate in statement.duplicate_lines:
                    self.stdout.write(f"  duplicate skipped: {duplicate}")
                for warning in statement.warnings:
                    self.stdout.write(f"  warning: {warning}")
        if failed:
            raise SystemExit(1)
