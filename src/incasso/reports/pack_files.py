"""A built pack as files: an Excel workbook with native charts, a PDF summary (WeasyPrint) and the
JSON of its figures; and the archive row that records them with their checksums."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from incasso.audit.events import Actor
from incasso.reports.models import ReportArchive
from incasso.reports.packs import PackResult, Section

PDF_ROWS = 40  # rows of a section in the PDF summary; the workbook has them all


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(result: PackResult) -> dict[str, Any]:
    return {
        "params": result.params, "passed": result.passed,
        "checks": [check.as_dict() for check in result.checks],
        "sections": [{"key": s.key, "title": s.title, "columns": s.columns, "note": s.note,
                      "rows": [[_json_value(v) for v in row] for row in s.rows]} for s in result.sections],
    }


def file_stem(result: PackResult) -> str:
    return f"incasso-{result.pack}-{result.as_of.isoformat()}"


def write_xlsx(result: PackResult, path: Path) -> None:
    """A "Checks" sheet first (failed checks in red, saying by how much), then a sheet per section
    with numbers as numbers, a frozen header, a filter and the section's native chart."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F5", "border": 1})
    money = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    red = workbook.add_format({"bold": True, "font_color": "#B3261E"})
    green = workbook.add_format({"font_color": "#1B6E3C"})
    checks = workbook.add_worksheet("Checks")
    checks.write(0, 0, f"{result.pack} pack as of {result.as_of.isoformat()} (from {result.start.isoformat()})", bold)
    checks.write(1, 0, "controls passed" if result.passed else "CONTROL CHECKS FAILED", green if result.passed else red)
    checks.write_row(3, 0, ["check", "currency", "expected", "actual", "difference", "status"], bold)
    for line, check in enumerate(result.checks, start=4):
        checks.write(line, 0, check.description)
        checks.write(line, 1, check.currency)
        for column, amount in enumerate((check.expected, check.actual, check.difference), start=2):
            checks.write_number(line, column, float(amount), money)
        checks.write(line, 5, "OK" if check.passed else "FAIL", green if check.passed else red)
    checks.set_column(0, 0, 48)
    checks.set_column(1, 5, 16)
    for section in result.sections:
        _section_sheet(workbook, section, bold, money, day)
    workbook.close()


def _section_sheet(workbook: Any, section: Section, bold: Any, money: Any, day: Any) -> None:
    sheet = workbook.add_worksheet(section.key[:31])
    sheet.write_row(0, 0, section.columns, bold)
    for line, row in enumerate(section.rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, bool) or value is None:
                sheet.write_blank(line, column, None)
            elif isinstance(value, Decimal):
                sheet.write_number(line, column, float(value), money)
            elif isinstance(value, int):
                sheet.write_number(line, column, value)
            elif isinstance(value, date):
                sheet.write_datetime(line, column, value, day)
            else:
                sheet.write_string(line, column, str(value))
    if section.note:
        sheet.write(len(section.rows) + 2, 0, section.note)
    sheet.freeze_panes(1, 0)
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, len(section.columns) - 1, 15)
    if section.rows:
        sheet.autofilter(0, 0, len(section.rows), len(section.columns) - 1)
    if section.chart and section.rows:
        kind = section.chart.kind
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"} if kind == "stacked"
                                   else {"type": "column" if kind == "bar" else kind})
        last = len(section.rows)
        for column in section.chart.values:
            chart.add_series({
                "name": [sheet.name, 0, column],
                "categories": [sheet.name, 1, section.chart.category, last, section.chart.category],
                "values": [sheet.name, 1, column, last, column],
            })
            if kind == "pie":
                break
        chart.set_title({"name": section.title})
        sheet.insert_chart(1, len(section.columns) + 1, chart, {"x_scale": 1.4, "y_scale": 1.2})


def _cell(value: Any) -> dict[str, Any]:
    if value is None:
        return {"text": "n/a", "number": False}
    if isinstance(value, Decimal):
        return {"text": f"{value:,.2f}", "number": True}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"text": str(value), "number": True}
    if isinstance(value, date):
        return {"text": value.isoformat(), "number": False}
    return {"text": str(value), "number": False}


def write_pdf(result: PackResult, path: Path, *, generated_at: datetime) -> None:
    from weasyprint import HTML

    sections = [
        {"title": s.title, "note": s.note, "columns": s.columns, "rows": s.rows,
         "shown": [[_cell(v) for v in row] for row in s.rows[:PDF_ROWS]], "more": max(len(s.rows) - PDF_ROWS, 0)}
        for s in result.sections
    ]
    html = render_to_string("reports/packs/summary.html", {
        "title": f"Incasso — {result.pack} report pack", "result": result, "sections": sections,
        "generated_at": generated_at,
    })
    HTML(string=html).write_pdf(str(path))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_pack(result: PackResult, directory: str | Path, *, by: Actor,
                 now: datetime | None = None) -> ReportArchive:
    """Write the pack's XLSX, PDF and JSON into ``directory`` and record them with their SHA-256."""
    now = now or timezone.now()
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    stem = file_stem(result)
    files = [target / f"{stem}.xlsx", target / f"{stem}.pdf", target / f"{stem}.json"]
    write_xlsx(result, files[0])
    write_pdf(result, files[1], generated_at=now)
    files[2].write_text(json.dumps(as_json(result), indent=2, ensure_ascii=False), encoding="utf-8")
    return ReportArchive.objects.create(
        pack=result.pack, as_of=result.as_of, period_start=result.start, params=result.params,
        checks=[check.as_dict() for check in result.checks], checks_passed=result.passed,
        directory=str(target.resolve()),
        files=[{"name": f.name, "sha256": _sha256(f), "size": f.stat().st_size} for f in files],
        created_at=now, created_by_label=by.label,
    )
