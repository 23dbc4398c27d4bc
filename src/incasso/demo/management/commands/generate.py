"""``incasso generate --profile demo|large --seed N --out DIR [--as-of D]``: write demo or benchmark
ERP extracts (see ``incasso.demo.generator``)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from incasso.commandline import parse_date
from incasso.demo.generator import PROFILES, generate
from incasso.demo.generator.bank import generate_bank


class Command(BaseCommand):
    help = "Write deterministic demo or benchmark data (entities, customers, contacts, items) as CSV files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profile", choices=sorted(PROFILES), default="demo")
        parser.add_argument("--seed", type=int, default=1, help="same seed, same bytes (default 1)")
        parser.add_argument("--out", required=True, help="directory to write the CSV files into")
        parser.add_argument("--as-of", dest="as_of", help="the as-of date, YYYY-MM-DD (default: today)")
        parser.add_argument("--bank-days", dest="bank_days", type=int, default=0,
                            help="also write bank statements (camt.053, MT940) paying open items over this many "
                                 "business days after the as-of date, with bank_truth.csv")

    def handle(self, *args: object, **options: object) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()  # type: ignore[arg-type]
        profile = PROFILES[str(options["profile"])]
        result = generate(profile, str(options["out"]), seed=int(options["seed"]), as_of=as_of)  # type: ignore[call-overload]
        self.stdout.write(f"profile {profile.name}, seed {options['seed']}, as of {as_of.isoformat()}")
        for path in result.files:
            self.stdout.write(f"  {str(path):<48} {result.rows[path.name]:>10,} rows")
        self.stdout.write(f"{sum(result.rows.values()):,} rows in {result.seconds:.1f} s")
        bank_days = int(options["bank_days"])  # type: ignore[call-overload]
        if bank_days > 0:
            bank = generate_bank(str(options["out"]), seed=int(options["seed"]), as_of=as_of,  # type: ignore[call-overload]
                                 days=bank_days)
            self.stdout.write(f"bank: {len(bank.files)} statement files, {bank.lines:,} credit lines over {bank_days} "
                              f"business days (bank/, bank_truth.csv, entity_bank_accounts.csv)")
