"""Writers for an aging report: terminal table (rich), CSV, JSON and Excel (XlsxWriter).

All of them write the same figures: one row per group and currency with one column per bucket,
the row total and the item count, then one totals row per currency. Amounts leave as exact decimal
text (CSV, JSON) or as numbers with a two-decimal number format (Excel); nothing is rounded here
that the report did not already round.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import IO, Any

from incasso.core.aging import AgingReport, AgingRow, bucket_spec
from incasso.core.money import MINOR_UNITS
from incasso.reports.aging_disputes import DisputedSplit


def _format(amount: Decimal, currency: str) -> str:
    return f"{amount:,.{MINOR_UNITS.get(currency, 2)}f}"


def header(report: AgingReport, split: DisputedSplit | None = None) -> list[str]:
    disputed = ["disputed", "undisputed"] if split is not None else []
    return ["group", "currency", *(bucket.label for bucket in report.buckets), "total", *disputed, "items"]


def _totals_disputed(report: AgingReport, split: DisputedSplit) -> DisputedSplit:
    """The split of the per-currency totals rows (group "TOTAL")."""
    return DisputedSplit({("TOTAL", currency): split.total_disputed(currency) for currency in report.totals()})


def render_table(report: AgingReport, width: int = 160, split: DisputedSplit | None = None) -> str:
    """The report as a rich table (amounts right-aligned, a totals row per currency), as text; with
    ``split``, the disputed and undisputed part of each row's total."""
    from rich.console import Console
    from rich.table import Table

    dates = sorted(set(report.as_of_by_entity.values()))
    when = report.as_of.isoformat() if len(dates) <= 1 else ", ".join(
        f"{code} {day.isoformat()}" for code, day in report.as_of_by_entity.items()
    )
    table = Table(title=f"Aging as of {when} by {report.basis.replace('_', ' ')}", show_footer=False)
    table.add_column("Group")
    table.add_column("Cur")
    for bucket in report.buckets:
        table.add_column(bucket.label, justify="right")
    table.add_column("Total", justify="right", style="bold")
    if split is not None:
        table.add_column("Disputed", justify="right")
        table.add_column("Undisputed", justify="right")
    table.add_column("Items", justify="right")

    def cells(row: AgingRow, parts: DisputedSplit | None) -> list[str]:
        amounts = [_format(a, row.currency) for a in row.amounts]
        disputed = [] if parts is None else [_format(parts.disputed(row), row.currency),
                                             _format(parts.undisputed(row), row.currency)]
        return [row.group, row.currency, *amounts, _format(row.total, row.currency), *disputed, str(row.item_count)]

    for row in report.rows:
        table.add_row(*cells(row, split))
    table.add_section()
    total_split = _totals_disputed(report, split) if split is not None else None
    for total in report.totals().values():
        table.add_row(*cells(total, total_split), style="bold")
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue()


def write_csv(report: AgingReport, stream: IO[str], split: DisputedSplit | None = None) -> None:
    """One row per group and currency: bucket columns, total (disputed and undisputed with ``split``)
    and item count; no totals rows (a CSV is for loading elsewhere, where totals are recomputed)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(header(report, split))
    for row in report.rows:
        disputed = [] if split is None else [str(split.disputed(row)), str(split.undisputed(row))]
        writer.writerow([row.group, row.currency, *map(str, row.amounts), str(row.total), *disputed, row.item_count])


def as_json(report: AgingReport, split: DisputedSplit | None = None) -> dict[str, Any]:
    total_split = _totals_disputed(report, split) if split is not None else None

    def row_json(row: AgingRow, parts: DisputedSplit | None) -> dict[str, Any]:
        data = {
            "group": row.group, "currency": row.currency,
            "amounts": {bucket.label: str(amount) for bucket, amount in zip(report.buckets, row.amounts, strict=True)},
            "total": str(row.total), "items": row.item_count,
        }
        if parts is not None:
            data["disputed"], data["undisputed"] = str(parts.disputed(row)), str(parts.undisputed(row))
        return data

    return {
        "as_of": report.as_of.isoformat(),
        "as_of_by_entity": {code: day.isoformat() for code, day in report.as_of_by_entity.items()},
        "basis": report.basis,
        "buckets": [bucket.label for bucket in report.buckets],
        "rows": [row_json(row, split) for row in report.rows],
        "totals": [row_json(row, total_split) for row in report.totals().values()],
    }


def write_json(report: AgingReport, stream: IO[str], split: DisputedSplit | None = None) -> None:
    json.dump(as_json(report, split), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def write_xlsx(report: AgingReport, target: str | IO[bytes], split: DisputedSplit | None = None) -> None:
    """An Excel workbook: the aging sheet (frozen header, autofilter, amounts as numbers, a SUM totals
    row per currency, a stacked column chart of the totals by bucket) and a sheet of parameters. With
    ``split``, a disputed column and an undisputed one (a formula: total minus disputed)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    money_bold = workbook.add_format({"num_format": "#,##0.00", "bold": True, "top": 1})
    sheet = workbook.add_worksheet("Aging")
    columns = header(report, split)
    named = {"group", "currency", "total", "disputed", "undisputed", "items"}
    sheet.write_row(0, 0, [c.capitalize() if c in named else c for c in columns], bold)
    width = len(report.buckets)
    first_amount, total_col = 2, 2 + width
    disputed_col = undisputed_col = None
    if split is not None:
        disputed_col, undisputed_col = total_col + 1, total_col + 2
    items_col = total_col + (3 if split is not None else 1)
    # Rows sorted by currency, so each currency's rows are one block its totals row can SUM.
    rows = sorted(report.rows, key=lambda row: (row.currency, row.group))
    blocks: dict[str, tuple[int, int]] = {}
    for offset, row in enumerate(rows):
        r = offset + 1
        sheet.write_string(r, 0, row.group)
        sheet.write_string(r, 1, row.currency)
        for index, amount in enumerate(row.amounts):
            sheet.write_number(r, first_amount + index, float(amount), money)
        start, end = _cell(r, first_amount), _cell(r, first_amount + width - 1)
        sheet.write_formula(r, total_col, f"=SUM({start}:{end})", money, float(row.total))
        if split is not None:
            sheet.write_number(r, disputed_col, float(split.disputed(row)), money)
            sheet.write_formula(r, undisputed_col, f"={_cell(r, total_col)}-{_cell(r, disputed_col)}", money,
                                float(split.undisputed(row)))
        sheet.write_number(r, items_col, row.item_count)
        first, _last = blocks.get(row.currency, (r, r))
        blocks[row.currency] = (first, r)
    last_data_row = len(rows)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(last_data_row, 1), items_col)
    sheet.set_column(0, 0, 40)
    sheet.set_column(1, 1, 9)
    sheet.set_column(first_amount, items_col - 1, 14)
    totals = report.totals()
    totals_start = last_data_row + 2  # one blank row between the data and the totals
    for offset, (currency, total) in enumerate(totals.items()):
        r = totals_start + offset
        first, last = blocks[currency]
        sheet.write_string(r, 0, "TOTAL", bold)
        sheet.write_string(r, 1, currency, bold)
        summed = [*((first_amount + i, a) for i, a in enumerate(total.amounts)), (total_col, total.total)]
        if split is not None:
            disputed = split.total_disputed(currency)
            summed += [(disputed_col, disputed), (undisputed_col, total.total - disputed)]
        for col, value in summed:
            sheet.write_formula(r, col, f"=SUM({_cell(first, col)}:{_cell(last, col)})", money_bold, float(value))
        sheet.write_formula(r, items_col, f"=SUM({_cell(first, items_col)}:{_cell(last, items_col)})", bold,
                            total.item_count)
    if totals:
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for offset, currency in enumerate(totals):
            r = totals_start + offset
            chart.add_series({
                "name": currency,
                "categories": ["Aging", 0, first_amount, 0, first_amount + width - 1],
                "values": ["Aging", r, first_amount, r, first_amount + width - 1],
            })
        chart.set_title({"name": f"Open amounts by bucket as of {report.as_of.isoformat()}"})
        chart.set_y_axis({"num_format": "#,##0"})
        sheet.insert_chart(totals_start + len(totals) + 2, 0, chart, {"x_scale": 1.6, "y_scale": 1.2})
    about = workbook.add_worksheet("Parameters")
    parameters = [("as of", report.as_of.isoformat()), ("basis", report.basis),
                  ("buckets", bucket_spec(report.buckets))]
    parameters += [(f"as of for {code}", day.isoformat()) for code, day in report.as_of_by_entity.items()]
    for r, (name, value) in enumerate(parameters):
        about.write_string(r, 0, name, bold)
        about.write_string(r, 1, value)
    about.set_column(0, 1, 24)
    workbook.close()


def _cell(row: int, col: int) -> str:
    from xlsxwriter.utility import xl_rowcol_to_cell

    return xl_rowcol_to_cell(row, col)
