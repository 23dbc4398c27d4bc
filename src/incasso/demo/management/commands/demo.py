"""``incasso demo [--out DIR] [--no-serve] [--seed N] [--as-of D]``: a working Incasso in one command.

Migrates, generates the demo client group, creates its users (password ``demo``), imports the
extracts the way the daily cycle does (entities, customers, contacts, items), takes the aging
snapshot, prints what is in the ledger and, unless ``--no-serve``, runs the development server.
Running it again changes nothing but the users' passwords and roles, and adds a snapshot.
"""

from __future__ import annotations

import csv
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import Actor
from incasso.demo.generator import PROFILES, generate
from incasso.demo.management.commands.generate import parse_as_of
from incasso.demo.summary import ledger_summary
from incasso.reports.actions import take_aging_snapshot

DEMO_PASSWORD = "demo"  # noqa: S105 - the demo's published password, printed on purpose
IMPORT_ORDER = ("entities", "customers", "contacts", "items")


class Command(BaseCommand):
    help = "Build the demo: migrate, generate data, create users, import, take the aging snapshot, serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "demo"),
                            help="where to write the generated files (default: var/demo)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--as-of", dest="as_of", help="the as-of date, YYYY-MM-DD (default: today)")
        parser.add_argument("--no-serve", action="store_true", help="build the demo and exit")

    def handle(self, *args: object, **options: object) -> None:
        as_of = parse_as_of(options["as_of"])  # type: ignore[arg-type]
        out = Path(str(options["out"]))
        by = Actor(None, "demo")

        call_command("migrate", interactive=False, verbosity=0)
        result = generate(PROFILES["demo"], out, seed=int(options["seed"]), as_of=as_of)  # type: ignore[call-overload]
        self.stdout.write(f"generated {sum(result.rows.values()):,} rows into {out} in {result.seconds:.1f} s")

        logins = self._create_users(out / "users.csv", by)
        for kind in IMPORT_ORDER:
            call_command("import", kind, str(out / f"{kind}.csv"), as_of=as_of,
                         stdout=self.stdout, stderr=self.stderr)
        snapshot = take_aging_snapshot(as_of, by=Actor(None, "daily-cycle"))
        self.stdout.write(f"aging snapshot {snapshot.pk} taken as of {snapshot.as_of.isoformat()}")

        self.stdout.write("")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD!r} for everyone):")
        for username, roles in logins:
            self.stdout.write(f"  {username:<10} {', '.join(roles)}")
        self.stdout.write("")
        for line in ledger_summary(as_of, snapshot).lines():
            self.stdout.write(line)

        if not options["no_serve"]:
            call_command("runserver", "127.0.0.1:8000", use_reloader=False)

    def _create_users(self, users_file: Path, by: Actor) -> list[tuple[str, list[str]]]:
        logins = []
        with open(users_file, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                roles = [Role(code) for code in row["roles"].split(";") if code]
                create_user_with_roles(
                    row["username"], DEMO_PASSWORD, roles, by=by, first_name=row["first_name"],
                    last_name=row["last_name"], email=f"{row['username']}@incasso.example",
                    language=row["language"],
                )
                logins.append((row["username"], [str(role.label) for role in roles]))
        return logins
