"""``incasso demo [--out DIR] [--no-serve] [--seed N] [--as-of D]``: a working Incasso in one command.

Migrates, generates the demo client group (its ERP extract as of two business days ago, the bank
statements of the two business days since, a CSV export of one account, remittance advices for
payments without references, monthly cash targets), creates its users (password ``demo``), imports
the extract and saves the CSV export's column mapping, proposes payment plans in each state
(``incasso.demo.steps``), runs the daily cycle as of today (imports, bank statements and advices,
cash application, promises and plans judged, disputes, dunning, worklists, aging snapshot), sets
the cash targets, prints the logins with a controller's API token (first run only) and what is in
the ledger and, unless ``--no-serve``, runs the development server. Running it again changes nothing
but the users' passwords and roles, and adds a snapshot.
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import Actor
from incasso.commandline import parse_date
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import business_days, generate_bank
from incasso.demo.generator.extras import generate_extras
from incasso.demo.steps import demo_api_token, demo_plans, prepare, set_targets
from incasso.demo.summary import ledger_summary
from incasso.operations.daily import run_daily_cycle
from incasso.reports.models import AgingSnapshot

DEMO_PASSWORD = "demo"  # noqa: S105 - the demo's published password, printed on purpose
BANK_DAYS = 2  # business days of bank statements between the ERP extract and today


class Command(BaseCommand):
    help = "Build the demo: migrate, generate data, create users, import, take the aging snapshot, serve."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(Path(settings.VAR_DIR) / "demo"),
                            help="where to write the generated files (default: var/demo)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--as-of", dest="as_of", help="the as-of date, YYYY-MM-DD (default: today)")
        parser.add_argument("--no-serve", action="store_true", help="build the demo and exit")

    def handle(self, *args: object, **options: object) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()  # type: ignore[arg-type]
        out = Path(str(options["out"]))
        by = Actor(None, "demo")

        call_command("migrate", interactive=False, verbosity=0)
        extract_date = _business_days_before(as_of, BANK_DAYS)
        seed = int(options["seed"])  # type: ignore[call-overload]
        result = generate(PROFILES["demo"], out, seed=seed, as_of=extract_date)
        bank = generate_bank(out, seed=seed, as_of=extract_date, days=BANK_DAYS)
        extras = generate_extras(out, seed=seed, as_of=extract_date, days=BANK_DAYS)
        self.stdout.write(f"generated {sum(result.rows.values()):,} rows (ERP extract as of {extract_date}), "
                          f"{len(bank.files)} bank statements with {bank.lines:,} lines, a CSV export with "
                          f"{extras.csv_lines} lines, {extras.advices} remittance advices and "
                          f"{len(extras.targets)} monthly cash targets into {out}")

        logins = self._create_users(out / "users.csv", by)
        prepare(out, as_of, by=by)
        plans = demo_plans(out, as_of, extract_date)
        cycle = run_daily_cycle(as_of, by=Actor(None, "daily-cycle"), inbox=out, out=self.stdout)
        self.stdout.write(f"Daily cycle as of {as_of.isoformat()}:")
        for line in cycle.lines():
            self.stdout.write(line)
        set_targets(out, by=by)
        added = "already there, none added" if plans.skipped else f"{plans.created} added"
        self.stdout.write(f"Payment plans: {added}")
        snapshot = AgingSnapshot.objects.filter(as_of=as_of).order_by("-pk").first()

        self.stdout.write("")
        self.stdout.write(f"Logins (password {DEMO_PASSWORD!r} for everyone):")
        for username, roles in logins:
            self.stdout.write(f"  {username:<10} {', '.join(roles)}")
        api_user, token = demo_api_token(by=by)
        if token:
            self.stdout.write(f"API token of {api_user} (shown once; /api/v1/, docs at /api/v1/docs): {token}")
        else:
            self.stdout.write(f"API token of {api_user} created at the first run; another one: "
                              f"incasso api token create --user {api_user} --name NAME")
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


def _business_days_before(day: date, count: int) -> date:
    """The weekday ``count`` business days before ``day``, so that the bank statements of the
    ``count`` business days after it end on ``day`` (or on the last business day before it)."""
    candidate = day - timedelta(days=1)
    while True:
        if candidate.weekday() < 5 and business_days(candidate, count)[-1] <= day:
            return candidate
        candidate -= timedelta(days=1)
