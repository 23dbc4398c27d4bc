"""``incasso cashapp run [--as-of D] [--entity CODE...]`` and ``incasso cashapp export -o FILE.csv``.

``run`` matches every unmatched bank credit, applies the sure proposals and queues the rest;
``export`` writes one row per allocation or unmatched line (see ``incasso.cashapp.exports``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from incasso.audit.events import Actor
from incasso.cashapp.actions import run_matching
from incasso.cashapp.exports import write_csv
from incasso.commandline import parse_date
from incasso.ledger.models import LegalEntity


class Command(BaseCommand):
    help = "Cash application: `run` matches bank lines to open items; `export` writes the result as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        run = subcommands.add_parser("run", help="match unmatched bank lines; apply the sure ones, queue the rest")
        run.add_argument("--as-of", type=parse_date, default=None, help="business date (default: today, UTC)")
        run.add_argument("--entity", action="append", default=[], metavar="CODE", help="only these entities")
        export = subcommands.add_parser("export", help="one row per allocation or unmatched line")
        export.add_argument("-o", "--output", required=True, metavar="FILE.csv")

    def handle(self, *args: object, **options: Any) -> None:
        if options["subcommand"] == "run":
            as_of = options["as_of"] or timezone.now().date()
            entity_ids = None
            if options["entity"]:
                found = dict(LegalEntity.objects.filter(code__in=options["entity"]).values_list("code", "pk"))
                missing = sorted(set(options["entity"]) - set(found))
                if missing:
                    raise CommandError(f"--entity: unknown entity code(s) {', '.join(missing)}")
                entity_ids = list(found.values())
            report = run_matching(as_of, by=Actor(None, "cashapp-run"), entity_ids=entity_ids)
            self.stdout.write(report.summary())
            for conflict in report.conflicts:
                self.stdout.write(f"queued instead of applied: {conflict}")
        else:
            with open(options["output"], "w", newline="", encoding="utf-8") as out:
                count = write_csv(out)
            self.stdout.write(f"{count} row(s) written to {options['output']}")
