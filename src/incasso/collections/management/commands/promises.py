"""``incasso promises judge [--as-of D]``: judge the promises to pay whose deadline has passed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from incasso.audit.events import Actor
from incasso.collections.actions.promises import judge_promises
from incasso.collections.management.commands.worklist import _date


class Command(BaseCommand):
    help = "Promises to pay: judge those past their promised date plus tolerance (kept, partially kept, broken)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        judge = sub.add_parser("judge", help="judge the open promises whose deadline has passed")
        judge.add_argument("--as-of", help="YYYY-MM-DD; default: today")

    def handle(self, *args: object, **options: object) -> None:
        as_of = _date(options["as_of"])  # type: ignore[arg-type]
        result = judge_promises(as_of, by=Actor(None, "cli"))
        self.stdout.write(f"promises judged {as_of}: {result.judged} ({result.kept} kept, "
                          f"{result.partially_kept} partially kept, {result.broken} broken)")
