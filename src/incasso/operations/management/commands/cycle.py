"""``incasso cycle daily [--as-of D] [--inbox DIR]``: run the AR day's steps in order."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from incasso.audit.events import Actor
from incasso.ledger.actions.bank_accounts import BankAccountFileError
from incasso.operations.daily import run_daily_cycle


class Command(BaseCommand):
    help = ("Run the daily cycle: imports, bank statements, cash application, promises, payment plans, disputes, "
            "dunning, worklists.")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="cycle", required=True)
        daily = sub.add_parser("daily", help="the morning run")
        daily.add_argument("--as-of", dest="as_of", type=date.fromisoformat,
                           help="business date, YYYY-MM-DD (default: today, UTC)")
        daily.add_argument("--inbox", type=Path,
                           help="folder with ERP extracts (entities/customers/contacts/items.csv), "
                                "entity_bank_accounts.csv, bank/ statements, bank_csv/<mapping>/ CSV/XLSX exports "
                                "and remittance/ advices")

    def handle(self, *args: object, **options: object) -> None:
        as_of = options["as_of"] or timezone.now().date()
        inbox = options["inbox"]
        if inbox is not None and not Path(str(inbox)).is_dir():
            raise CommandError(f"--inbox {inbox}: no such folder")
        try:
            report = run_daily_cycle(as_of, by=Actor(None, "daily-cycle"), inbox=inbox,  # type: ignore[arg-type]
                                     out=self.stdout)
        except BankAccountFileError as error:
            raise CommandError("\n".join(error.errors)) from None
        self.stdout.write(f"Daily cycle as of {as_of.isoformat()}:")
        for line in report.lines():
            self.stdout.write(line)
        if report.failed:
            raise CommandError(f"{len(report.failed)} step(s) failed: {', '.join(report.failed)}")
