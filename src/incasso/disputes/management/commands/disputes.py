"""``incasso disputes import FILE`` and ``incasso disputes escalate [--as-of D]``.

``escalate`` is the daily job (cron: ``incasso disputes escalate`` after the ERP import): it lowers
disputed amounts that items no longer owe, clears requested credit notes the import brought in,
reminds resolvers before deadlines and escalates late cases with one mail per recipient.
"""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from incasso.audit.events import Actor
from incasso.commandline import parse_date
from incasso.disputes.actions.escalation import escalate_cases
from incasso.disputes.actions.imports import import_disputes
from incasso.disputes.actions.settlements import match_imported_credit_notes


class Command(BaseCommand):
    help = "Dispute cases: import a file of cases, or run the daily escalation pass."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="open dispute cases from a CSV or XLSX file")
        imp.add_argument("file")
        esc = sub.add_parser("escalate", help="remind, escalate late cases, clear arrived credit notes")
        esc.add_argument("--as-of", help="YYYY-MM-DD; default: today")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "import":
            self._import(str(options["file"]))
        else:
            self._escalate(parse_date(options["as_of"]) if options["as_of"] else timezone.localdate())  # type: ignore[arg-type]

    def _import(self, file: str) -> None:
        try:
            result = import_disputes(file, by=Actor(None, "import"))
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{file}: {len(result.problems)} problem(s); nothing was imported")
        self.stdout.write(f"{file}: {result.rows} row(s), {len(result.created)} case(s) opened"
                          + (f" ({', '.join(result.created[:10])}{'...' if len(result.created) > 10 else ''})"
                             if result.created else "")
                          + (f", {len(result.already_imported)} already imported" if result.already_imported else ""))

    def _escalate(self, as_of: date) -> None:
        actor = Actor(None, "daily-cycle")
        cleared = match_imported_credit_notes(by=actor, on_date=as_of)
        result = escalate_cases(as_of, by=actor)
        levels = ", ".join(f"level {level}: {n}" for level, n in sorted(result.escalated.items())) or "none"
        self.stdout.write(
            f"disputes escalated {as_of}: {result.examined} case(s) examined, {result.escalated_total} escalated "
            f"({levels}), {result.reminded} reminded, {result.mails} mail(s), {cleared} credit note(s) cleared, "
            f"{result.amounts_followed} disputed amount(s) lowered to what the items owe")
