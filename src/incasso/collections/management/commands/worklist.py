"""``incasso worklist``: build, show and export the collectors' daily worklists.

    incasso worklist build [--as-of D]
    incasso worklist show --collector USER [--as-of D] [--limit N]
    incasso worklist export -o FILE.csv [--as-of D] [--collector USER]
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.audit.events import Actor
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.queries import entries_for, worklist_today, write_csv
from incasso.commandline import parse_date
from incasso.core.collections.strategy import Reason


def _collector_id(username: str | None) -> int | None:
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"--collector: no user named {username!r}")
    return user.pk


class Command(BaseCommand):
    help = "Collectors' daily worklists: build them, show one, export them to CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="score every account and write today's worklists")
        build.add_argument("--as-of", help="YYYY-MM-DD; default: today")
        show = sub.add_parser("show", help="print a collector's worklist")
        show.add_argument("--collector", required=True, metavar="USER")
        show.add_argument("--as-of", help="YYYY-MM-DD; default: today")
        show.add_argument("--limit", type=int, default=50)
        export = sub.add_parser("export", help="write worklists to a CSV file")
        export.add_argument("-o", "--output", required=True, metavar="FILE.csv")
        export.add_argument("--as-of", help="YYYY-MM-DD; default: today")
        export.add_argument("--collector", metavar="USER", help="one collector only")

    def handle(self, *args: object, **options: object) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else worklist_today()  # type: ignore[arg-type]
        if options["action"] == "build":
            started = time.perf_counter()
            result = build_worklists(as_of, by=Actor(None, "cli"))
            seconds = time.perf_counter() - started
            self.stdout.write(
                f"worklists {as_of}: {result.entries} entries for {result.collectors} collectors "
                f"({result.kept_done} already done, {result.snoozed} waiting for a follow-up date, "
                f"{result.unassigned} without a collector) in {seconds:.1f} s"
            )
        elif options["action"] == "show":
            self._show(_collector_id(options["collector"]), as_of, options["limit"])  # type: ignore[arg-type]
        else:
            path = Path(options["output"])  # type: ignore[arg-type]
            with path.open("w", newline="", encoding="utf-8") as out:
                n = write_csv(entries_for(_collector_id(options["collector"]), as_of), out)  # type: ignore[arg-type]
            self.stderr.write(f"wrote {n} entries to {path}")

    def _show(self, collector_id: int | None, as_of: date, limit: int) -> None:
        from rich.console import Console
        from rich.table import Table

        entries = list(entries_for(collector_id, as_of)[:limit])
        table = Table(title=f"Worklist {as_of}", show_lines=False)
        numeric = {"#", "Prio", "Overdue", "Due soon", "DPD"}
        for column in ("#", "Prio", "Account", "Customer", "Overdue", "Due soon", "DPD", "Next", "Why"):
            table.add_column(column, justify="right" if column in numeric else "left")
        for n, e in enumerate(entries, 1):
            marks = (" [sub]" if e.substitute_for_id else "") + (" [esc]" if e.escalated else "") + (
                f" [lowered: {','.join(e.lowered_because)}]" if e.lowered_because else "")
            table.add_row(
                str(n), str(e.priority), e.customer.account, e.customer.name + marks,
                f"{e.overdue_amount:,.2f} {e.currency}", f"{e.due_soon_amount:,.2f}", str(e.max_days_past_due),
                f"{e.next_action} {e.next_action_on or ''}",
                "; ".join(f"{r.text} +{r.points}" for r in map(Reason.from_code, e.reasons)),
            )
        if not entries:
            self.stdout.write(f"no open entries on {as_of}")
            return
        Console(file=self.stdout, width=200).print(table)
