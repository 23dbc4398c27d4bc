"""The dispute report as an Excel workbook (XlsxWriter, native charts) and the ``report disputes`` CLI."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from django.core.management.base import CommandError

from incasso.commandline import parse_date
from incasso.disputes.analytics import DisputeAnalytics, as_dict, dispute_analytics
from incasso.ledger.models import LegalEntity


def write_xlsx(report: DisputeAnalytics, target: str | Path | IO[bytes]) -> None:
    """Summary, open-case aging (with a bar chart), cycle times, and the root-cause Pareto (bars + line)."""
    book = xlsxwriter.Workbook(target, {"in_memory": True})
    bold = book.add_format({"bold": True})
    pct = book.add_format({"num_format": "0.0"})
    dec = book.add_format({"num_format": "0.00"})
    data = as_dict(report)

    summary = book.add_worksheet("Summary")
    summary.set_column(0, 0, 38)
    summary.set_column(1, 1, 16)
    rows = [
        ("Period", f"{data['period']['from']} – {data['period']['to']}"), ("As of", data["as_of"]),
        ("Open cases", data["open"]["count"]), ("Mean age of open cases (days)", data["open"]["mean_age_days"]),
        ("Cases opened in the period", data["opened_in_period"]),
        ("Cases resolved in the period", data["resolved_in_period"]),
        ("Cycle time mean (days)", (data["cycle_time_days"] or {}).get("mean")),
        ("Cycle time median (days)", (data["cycle_time_days"] or {}).get("median")),
        ("Valid disputes (% of accepted + rejected)", data["valid_share_percent"]),
        ("Invoices issued in the period", data["invoices_issued"]),
        ("Invoices disputed", data["invoices_disputed"]),
        ("Share of invoices disputed (%)", data["disputed_invoice_share_percent"]),
    ]
    for resolution, count in data["resolutions"].items():
        rows.append((f"Resolved: {resolution}", count))
    for row_index, (label, value) in enumerate(rows):
        summary.write(row_index, 0, label, bold)
        summary.write(row_index, 1, float(value) if isinstance(value, str) and _is_number(value) else value)

    aging = book.add_worksheet("Open cases by age")
    aging.write_row(0, 0, ["Age (days)", "Open cases", "Late"], bold)
    for i, bucket in enumerate(data["open"]["by_age"], start=1):
        aging.write_row(i, 0, [bucket["bucket"], bucket["count"], bucket["late"]])
    n = len(data["open"]["by_age"])
    chart = book.add_chart({"type": "column"})
    chart.add_series({"name": "Open cases", "categories": ["Open cases by age", 1, 0, n, 0],
                      "values": ["Open cases by age", 1, 1, n, 1]})
    chart.add_series({"name": "Late", "categories": ["Open cases by age", 1, 0, n, 0],
                      "values": ["Open cases by age", 1, 2, n, 2]})
    chart.set_title({"name": "Open dispute cases by age"})
    aging.insert_chart("E2", chart)

    cycle = book.add_worksheet("Cycle time")
    cycle.write_row(0, 0, ["Breakdown", "Key", "Cases", "Mean days", "Median days", "Longest"], bold)
    row = 1
    for breakdown, entries in data["cycle_time_by"].items():
        for entry in entries:
            cycle.write_row(row, 0, [breakdown, entry["key"], entry["count"]])
            cycle.write_number(row, 3, float(entry["mean"]), dec)
            cycle.write_number(row, 4, float(entry["median"]), dec)
            cycle.write(row, 5, entry["longest"])
            row += 1
    cycle.set_column(1, 1, 30)

    sheet = book.add_worksheet("Root causes")
    sheet.write_row(0, 0, ["Root cause", "Cases", "Share %", "Cumulative %"], bold)
    entries = data["root_cause_pareto"]["by_count"]
    for i, entry in enumerate(entries, start=1):
        sheet.write(i, 0, entry["root_cause"])
        sheet.write_number(i, 1, entry["count"])
        sheet.write_number(i, 2, float(entry["share"]), pct)
        sheet.write_number(i, 3, float(entry["cumulative_share"]), pct)
    sheet.set_column(0, 0, 30)
    if entries:
        n = len(entries)
        bars = book.add_chart({"type": "column"})
        bars.add_series({"name": "Cases", "categories": ["Root causes", 1, 0, n, 0],
                         "values": ["Root causes", 1, 1, n, 1]})
        line = book.add_chart({"type": "line"})
        line.add_series({"name": "Cumulative %", "categories": ["Root causes", 1, 0, n, 0],
                         "values": ["Root causes", 1, 3, n, 3], "y2_axis": True})
        bars.combine(line)
        bars.set_title({"name": "Pareto of root causes"})
        bars.set_y2_axis({"max": 100})
        sheet.insert_chart("F2", bars)
    book.close()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def xlsx_bytes(report: DisputeAnalytics) -> bytes:
    buffer = BytesIO()
    write_xlsx(report, buffer)
    return buffer.getvalue()


# --- ``incasso report disputes`` (the reports app's ``report`` command delegates here) -----------


def add_report_arguments(sub: Any) -> None:
    parser = sub.add_parser("disputes", help="dispute analytics for a period (JSON or Excel)")
    parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD, first day of the period")
    parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD, last day of the period")
    parser.add_argument("--as-of", help="YYYY-MM-DD for the open-case figures; default: --to")
    parser.add_argument("--entity", action="append", default=[], metavar="CODE", help="repeat for several")
    parser.add_argument("--format", choices=("json", "xlsx"), default="json")
    parser.add_argument("-o", "--output", help="file to write (required for xlsx)")


def run_report(options: dict[str, Any], stdout: Any, stderr: Any) -> None:
    start, end = parse_date(options["date_from"], "--from"), parse_date(options["date_to"], "--to")
    if end < start:
        raise CommandError(f"--to {end} is before --from {start}")
    as_of = parse_date(options["as_of"], "--as-of") if options.get("as_of") else end
    entity_ids = None
    if options.get("entity"):
        found = dict(LegalEntity.objects.filter(code__in=options["entity"]).values_list("code", "pk"))
        unknown = [c for c in options["entity"] if c not in found]
        if unknown:
            raise CommandError(f"--entity: no legal entity with code {', '.join(unknown)}")
        entity_ids = list(found.values())
    report = dispute_analytics(start, end, as_of=as_of, entity_ids=entity_ids)
    if options["format"] == "xlsx":
        if not options.get("output"):
            raise CommandError("--format xlsx writes a binary workbook: give a file with -o FILE")
        write_xlsx(report, options["output"])
        stderr.write(f"wrote {options['output']}")
        return
    text = json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
    if options.get("output"):
        Path(options["output"]).write_text(text, encoding="utf-8")
        stderr.write(f"wrote {options['output']}")
    else:
        stdout.write(text, ending="")
