"""``incasso report aging`` and ``incasso report aging-snapshot``: thin callers of the reports app.

    incasso report aging [--as-of D] [--by customer|entity|collector|currency]
                         [--basis due_date|document_date] [--buckets "current,1-30,...,>360"]
                         [--entity CODE ...] [--currency-to EUR [--rates EUR=1,GBP=1.1650 | --rate-date D]]
                         [--format table|csv|xlsx|json] [-o FILE]
    incasso report aging-snapshot [--as-of D]
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incasso.audit.events import Actor
from incasso.commandline import parse_date
from incasso.core.aging import DEFAULT_BUCKET_SPEC, AgingError, parse_buckets
from incasso.core.money import MoneyError, is_currency, parse_amount
from incasso.disputes import exports as disputes_report
from incasso.ledger.models import LegalEntity
from incasso.reports import exports
from incasso.reports.actions import take_aging_snapshot
from incasso.reports.aging import BASES, GROUPINGS, aging_report
from incasso.reports.aging_disputes import disputed_split
from incasso.reports.kpis import cli as kpis_cli
from incasso.reports.models import rates_on

FORMATS = ("table", "csv", "xlsx", "json")


def parse_rates(text: str) -> dict[str, Decimal]:
    """``EUR=1,GBP=1.1650,RON=0.2010`` → units of the reporting currency per unit of each."""
    rates: dict[str, Decimal] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        currency, sep, value = part.partition("=")
        currency = currency.strip().upper()
        if not sep or not is_currency(currency):
            raise CommandError(f"--rates: {part!r} is not CURRENCY=RATE with an ISO 4217 currency")
        try:
            rate = parse_amount(value, decimal_comma=False)
        except MoneyError as exc:
            raise CommandError(f"--rates: {part!r}: {exc}") from None
        if rate <= 0:
            raise CommandError(f"--rates: {part!r}: a rate must be positive")
        rates[currency] = rate
    if not rates:
        raise CommandError("--rates is empty: expected e.g. EUR=1,GBP=1.1650")
    return rates


class Command(BaseCommand):
    help = "Reports: aging as of any date (table, CSV, JSON, Excel) and the daily aging snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        aging = sub.add_parser("aging", help="open amounts by bucket as of a date")
        aging.add_argument("--as-of", help="YYYY-MM-DD; default: each entity's local today")
        aging.add_argument("--by", choices=GROUPINGS, default="customer")
        aging.add_argument("--basis", choices=BASES, default="due_date")
        aging.add_argument("--buckets", default=DEFAULT_BUCKET_SPEC)
        aging.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
        aging.add_argument("--currency-to", metavar="CUR", help="convert to this reporting currency")
        aging.add_argument("--rates", help="EUR=1,GBP=1.1650,RON=0.2010 (units of --currency-to per unit)")
        aging.add_argument("--rate-date", help="take the stored rates on or before this date (YYYY-MM-DD)")
        aging.add_argument("--format", choices=FORMATS, default="table")
        aging.add_argument("-o", "--output", help="file to write (required for xlsx)")
        snapshot = sub.add_parser("aging-snapshot", help="store today's aging totals per entity and print them")
        snapshot.add_argument("--as-of", help="YYYY-MM-DD; default: each entity's local today")
        disputes_report.add_report_arguments(sub)  # incasso report disputes --from D1 --to D2 ...
        kpis_cli.add_arguments(sub)  # incasso report kpis --from D1 --to D2 --by entity ...
        kpis_cli.add_validate_arguments(sub)  # incasso report validate --as-of D
        kpis_cli.add_run_arguments(sub)  # incasso report run PACK --as-of D -o DIR
        kpis_cli.add_schedule_arguments(sub)  # incasso report schedule-add / schedule-due

    def handle(self, *args: object, **options: object) -> None:
        if options["report"] == "kpis":
            kpis_cli.run(options, self.stdout, self.stderr)
        elif options["report"] == "schedule-add":
            kpis_cli.schedule_add(options, self.stdout)
        elif options["report"] == "schedule-due":
            kpis_cli.schedule_due(options, self.stdout)
        elif options["report"] == "run":
            kpis_cli.run_pack(options, self.stdout, self.stderr)
        elif options["report"] == "validate":
            kpis_cli.validate(options, self.stdout)
        elif options["report"] == "disputes":
            disputes_report.run_report(options, self.stdout, self.stderr)
        elif options["report"] == "aging-snapshot":
            self._snapshot(options)
        else:
            self._aging(options)

    def _aging(self, options: dict) -> None:
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("--format xlsx writes a binary workbook: give a file with -o FILE")
        if (options["rates"] or options["rate_date"]) and not options["currency_to"]:
            raise CommandError("--rates and --rate-date need --currency-to")
        try:
            buckets = parse_buckets(options["buckets"])
        except AgingError as exc:
            raise CommandError(f"--buckets: {exc}") from None
        as_of = parse_date(options["as_of"]) if options["as_of"] else None
        entity_ids = self._entities(options["entity"]) if options["entity"] else None
        currency_to = options["currency_to"].upper() if options["currency_to"] else None
        if currency_to and not is_currency(currency_to):
            raise CommandError(f"--currency-to: {currency_to!r} is not a known ISO 4217 currency")
        rates = None
        if options["rates"]:
            rates = parse_rates(options["rates"])
            rates.setdefault(currency_to, Decimal(1))
        elif options["rate_date"]:
            rates = rates_on(parse_date(options["rate_date"], "--rate-date"), currency_to)
        try:
            report = aging_report(
                as_of, by=options["by"], basis=options["basis"], buckets=buckets, entity_ids=entity_ids,
                reporting_currency=currency_to, rates=rates,
            ).quantized()
            # The disputed / undisputed split: a separate query joined to the rows by their labels.
            split = disputed_split(report, by=options["by"], entity_ids=entity_ids, reporting_currency=currency_to,
                                   rates=rates)
        except (AgingError, MoneyError) as exc:
            raise CommandError(str(exc)) from None
        if fmt == "xlsx":
            exports.write_xlsx(report, output, split)
            self.stderr.write(f"wrote {output}")
            return
        if fmt == "table":
            text = exports.render_table(report, split=split)
        else:
            import io

            buffer = io.StringIO()
            (exports.write_csv if fmt == "csv" else exports.write_json)(report, buffer, split)
            text = buffer.getvalue()
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {output}")
        else:
            self.stdout.write(text, ending="")

    def _entities(self, codes: list[str]) -> list[int]:
        found = dict(LegalEntity.objects.filter(code__in=codes).values_list("code", "pk"))
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise CommandError(f"--entity: no legal entity with code {', '.join(unknown)}")
        return [found[code] for code in codes]

    def _snapshot(self, options: dict) -> None:
        as_of = parse_date(options["as_of"]) if options["as_of"] else None
        snapshot = take_aging_snapshot(as_of, by=Actor(None, "cli"))
        buckets = parse_buckets(snapshot.bucket_spec)
        totals: dict[str, list[Decimal]] = {}
        for line in snapshot.lines.all():
            totals.setdefault(line.currency, [Decimal("0.00")] * len(buckets))[line.bucket_index] += line.amount
        self.stdout.write(f"aging snapshot {snapshot.pk} as of {snapshot.as_of} ({snapshot.basis})")
        self.stdout.write("currency," + ",".join(b.label for b in buckets) + ",total")
        for currency, amounts in sorted(totals.items()):
            self.stdout.write(f"{currency}," + ",".join(str(a) for a in amounts) + f",{sum(amounts)}")
