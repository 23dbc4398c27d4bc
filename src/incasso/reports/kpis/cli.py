"""``incasso report kpis``: arguments and the thin caller (the report command adds the subparser)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from incasso.commandline import parse_date
from incasso.core.aging import AgingError
from incasso.core.kpi import KpiError
from incasso.ledger.models import LegalEntity
from incasso.reports.kpis import GROUPINGS, KpiParams, kpi_table, kpi_trend, render


def add_arguments(sub: Any) -> None:
    kpis = sub.add_parser("kpis", help="DSO, BPDSO, ADD, CEI, days to pay, disputes, PTP, cash against target,"
                                       " dunning levels, unapplied cash by age for a period")
    kpis.add_argument("--from", dest="start", required=True, help="first day of the period (YYYY-MM-DD)")
    kpis.add_argument("--to", dest="end", required=True, help="last day of the period (YYYY-MM-DD)")
    kpis.add_argument("--by", choices=GROUPINGS, default="entity")
    kpis.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
    kpis.add_argument("--monthly", action="store_true", help="one table per calendar month (trend)")
    kpis.add_argument("--ar-basis", choices=("net", "gross"), default="net")
    kpis.add_argument("--day-convention", choices=("calendar", "30"), default="calendar")
    kpis.add_argument("--countback-months", type=int, default=12)
    kpis.add_argument("--gross-sales", action="store_true", help="do not net credit notes off credit sales")
    kpis.add_argument("--tolerance-days", type=int, default=3, help="promise-to-pay tolerance")
    kpis.add_argument("--dunning-window", type=int, default=30, metavar="DAYS",
                      help="an item dunned on D counts as paid after its level when cleared by D + DAYS")
    kpis.add_argument("--currency-to", metavar="CUR", help="convert with the rate table on --to")
    kpis.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    kpis.add_argument("-o", "--output", help="file to write (required for xlsx)")


def entity_ids(codes: list[str]) -> tuple[int, ...] | None:
    if not codes:
        return None
    found = dict(LegalEntity.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise CommandError(f"--entity: no legal entity with code {', '.join(unknown)}")
    return tuple(found[code] for code in codes)


def run(options: dict, stdout: Any, stderr: Any) -> None:
    fmt, output = options["format"], options["output"]
    if fmt == "xlsx" and not output:
        raise CommandError("--format xlsx writes a binary workbook: give a file with -o FILE")
    try:
        params = KpiParams(
            start=parse_date(options["start"], "--from"), end=parse_date(options["end"], "--to"), by=options["by"],
            entity_ids=entity_ids(options["entity"]), ar_basis=options["ar_basis"],
            day_convention=options["day_convention"], countback_months=options["countback_months"],
            net_of_credit_notes=not options["gross_sales"], promise_tolerance_days=options["tolerance_days"],
            dunning_window_days=options["dunning_window"],
            reporting_currency=options["currency_to"].upper() if options["currency_to"] else None,
        )
        tables = kpi_trend(params) if options["monthly"] else [kpi_table(params)]
    except (KpiError, AgingError) as exc:
        raise CommandError(str(exc)) from None
    if fmt == "xlsx":
        render.write_xlsx(tables, output)
        stderr.write(f"wrote {output}")
        return
    buffer = io.StringIO()
    (render.write_json if fmt == "json" else render.write_csv)(tables, buffer)
    if output:
        Path(output).write_text(buffer.getvalue(), encoding="utf-8")
        stderr.write(f"wrote {output}")
    else:
        stdout.write(buffer.getvalue(), ending="")


def add_validate_arguments(sub: Any) -> None:
    checks = sub.add_parser("validate", help="control totals: aging = open items = balances; bank cash accounted")
    checks.add_argument("--as-of", required=True, help="YYYY-MM-DD")
    checks.add_argument("--from", dest="start", help="bank credits booked from (default: first of the month)")
    checks.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
    checks.add_argument("--format", choices=("text", "json"), default="text")


def validate(options: dict, stdout: Any) -> None:
    """Print every check; fail (exit status 1) naming the checks that do not tie out."""
    import json

    from incasso.reports.controls import failures, run_checks

    as_of = parse_date(options["as_of"], "--as-of")
    start = parse_date(options["start"], "--from") if options["start"] else None
    checks = run_checks(as_of, start=start, entity_ids=entity_ids(options["entity"]))
    if options["format"] == "json":
        stdout.write(json.dumps({"as_of": as_of.isoformat(), "checks": [c.as_dict() for c in checks]}, indent=2))
    else:
        stdout.write(f"Control totals as of {as_of.isoformat()}")
        for check in checks:
            stdout.write(check.as_text())
    failed = failures(checks)
    if failed:
        raise CommandError("; ".join(f"{c.code} {c.currency} off by {c.difference:+,.2f}" for c in failed))


def add_run_arguments(sub: Any) -> None:
    run_pack = sub.add_parser("run", help="build a report pack (XLSX, PDF, JSON) into a directory and archive it")
    run_pack.add_argument("pack", choices=("daily", "weekly", "monthly"))
    run_pack.add_argument("--as-of", required=True, help="YYYY-MM-DD")
    run_pack.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
    run_pack.add_argument("-o", "--output", required=True, metavar="DIR", help="directory for the files")
    run_pack.add_argument("--language", default="en", choices=("en", "fr", "es", "de", "it", "ro", "pt"),
                          help="language of the section titles")


def run_pack(options: dict, stdout: Any, stderr: Any) -> None:
    from incasso.audit.events import Actor
    from incasso.reports.pack_files import archive_pack
    from incasso.reports.packs import build_pack

    as_of = parse_date(options["as_of"], "--as-of")
    result = build_pack(options["pack"], as_of, entity_ids=entity_ids(options["entity"]), language=options["language"])
    archive = archive_pack(result, options["output"], by=Actor(None, "cli"))
    stdout.write(f"{archive.pack} pack as of {archive.as_of} archived as #{archive.pk} in {archive.directory}")
    for entry in archive.files:
        stdout.write(f"  {entry['name']}  sha256 {entry['sha256']}  {entry['size']} bytes")
    if result.passed:
        stdout.write("controls passed")
    else:
        for check in result.failed_checks():
            stderr.write(f"CONTROL CHECK FAILED: {check.description} ({check.currency})"
                         f" off by {check.difference:+,.2f}")


def add_schedule_arguments(sub: Any) -> None:
    add = sub.add_parser("schedule-add", help="e-mail a pack on a cron schedule")
    add.add_argument("pack", choices=("daily", "weekly", "monthly"))
    add.add_argument("--cron", required=True, help="five fields in UTC, e.g. '0 6 * * 1-5'")
    add.add_argument("--to", required=True, help="subscribers' e-mail addresses, comma-separated")
    add.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
    add.add_argument("--language", default="en", help="language of the pack's titles: en fr es de it ro pt")
    due = sub.add_parser("schedule-due", help="run the scheduled packs that are due and e-mail them")
    due.add_argument("--now", help="ISO date-time (UTC); default: the clock")
    due.add_argument("--queue", action="store_true", help="hand each pack to the background worker")


def schedule_add(options: dict, stdout: Any) -> None:
    from incasso.audit.events import Actor
    from incasso.reports.schedules import ScheduleError, add_schedule, next_run

    subscribers = [a.strip() for a in options["to"].split(",") if a.strip()]
    try:
        schedule = add_schedule(options["pack"], options["cron"], subscribers, entity_codes=options["entity"],
                                by=Actor(None, "cli"), language=options["language"])
    except ScheduleError as exc:
        raise CommandError(str(exc)) from None
    stdout.write(f"schedule #{schedule.pk}: {schedule.pack} pack at '{schedule.cron}' to "
                 f"{schedule.subscribers}; next run {next_run(schedule).isoformat()}")


def schedule_due(options: dict, stdout: Any) -> None:
    from datetime import UTC, datetime

    from django.utils import timezone

    from incasso.audit.events import Actor
    from incasso.reports.schedules import ScheduledRun, run_due

    if options["now"]:
        try:
            now = datetime.fromisoformat(options["now"])
        except ValueError:
            raise CommandError(f"--now: {options['now']!r} is not an ISO date-time") from None
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
    else:
        now = timezone.now()
    done = run_due(now, by=Actor(None, "scheduler"), queue=options["queue"])
    for entry in done:
        if isinstance(entry, ScheduledRun):
            status = "controls passed" if entry.archive.checks_passed else "CONTROL CHECKS FAILED"
            stdout.write(f"schedule #{entry.schedule.pk}: {entry.archive.pack} pack as of {entry.archive.as_of} "
                         f"sent to {', '.join(entry.recipients)} ({status})")
        else:
            stdout.write(f"queued {entry}")
    if not done:
        stdout.write(f"no schedule due at {now.isoformat()}")
