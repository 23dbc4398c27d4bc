"""``incasso promises judge [--as-of D]``: judge the promises to pay whose deadline has passed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from incasso.audit.events import Actor
from incasso.collections.actions.promises import judge_promises
from incasso.collections.queries import worklist_today
from incasso.commandline import parse_date


class Command(BaseCommand):
    help = "Promises to pay: judge those past their promised date plus tolerance (kept, partially kept, broken)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        judge = sub.add_parser("judge", help="judge the open promises whose deadline has passed")
        judge.add_argument("--as-of", help="YYYY-MM-DD; default: today")

    def handle(self, *args: object, **options: object) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else worklist_today()  # type: ignore[arg-type]
        result = judge_promises(as_of, by=Actor(None, "cli"))
        self.stdout.write(f"promises judged {as_of}: {result.judged} ({result.kept} kept, "
                          f"{result.partially_kept} partially kept, {result.broken} broken)")
