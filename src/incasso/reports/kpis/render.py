"""KPI tables as flat records, JSON, CSV and an Excel workbook with a native chart.

A record is one (group, currency) row with every figure rounded for display (two decimals, "" for
an undefined figure) and the reason next to it, so a reader sees why a cell is empty.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import IO, Any

from incasso.core.kpi import Figure
from incasso.reports.kpis.compute import DunningRow, KpiRow, KpiTable, UnappliedRow

# (column, description) in the order of the CSV and the workbook.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", "group"),
    ("currency", "currency"),
    ("credit_sales", "credit sales of the period"),
    ("beginning_ar", "AR at the start (net)"),
    ("ending_ar", "AR at the end (per ar_basis)"),
    ("ending_current", "current (not yet due) AR at the end"),
    ("open_credits", "unapplied cash and credit notes at the end"),
    ("cash_received", "payments received in the period"),
    ("cash_applied", "cash applied in the period"),
    ("dso_simple", "DSO, simple"),
    ("dso_countback", "DSO, countback"),
    ("bpdso_simple", "best possible DSO, simple"),
    ("bpdso_countback", "best possible DSO, countback"),
    ("add_simple", "ADD, simple"),
    ("add_countback", "ADD, countback"),
    ("cei", "CEI %, period sales"),
    ("cei_monthly_average", "CEI %, monthly-average sales"),
    ("percent_current", "% current"),
    ("percent_over", "% over N days"),
    ("days_to_pay", "average days to pay"),
    ("days_to_pay_weighted", "average days to pay, amount-weighted"),
    ("days_late", "average days late"),
    ("days_late_weighted", "average days late, amount-weighted"),
    ("invoices_paid", "invoices paid in the period"),
    ("disputes_resolved", "disputes resolved in the period"),
    ("dispute_cycle_mean", "dispute cycle time, mean days"),
    ("dispute_cycle_median", "dispute cycle time, median days"),
    ("disputes_open", "disputes open at the end"),
    ("open_dispute_age_mean", "open-dispute age, mean days"),
    ("promises_judged", "promises judged"),
    ("ptp_kept_rate", "PTP kept rate %"),
    ("ptp_kept_rate_amount", "PTP kept rate % by amount"),
    ("ptp_collected_rate", "cash collected on promises %"),
    ("cash_target", "cash target of the period"),
    ("cash_target_attainment", "cash received, % of target"),
    ("cash_target_gap", "cash target still to collect"),
)


def _figure(figure: Figure) -> str:
    value = figure.value
    if value is None:
        return ""
    return str(value.copy_abs() if value == 0 else value)  # no "-0.00"


def record(row: KpiRow) -> dict[str, str]:
    """One row as display strings (money to the cent, figures to two decimals)."""
    i = row.inputs
    return {
        "group": row.group, "currency": row.currency,
        "credit_sales": str(i.credit_sales), "beginning_ar": str(i.beginning_ar),
        "ending_ar": str(row.receivable), "ending_current": str(i.ending_current),
        "open_credits": str(i.open_credits), "cash_received": str(i.cash_received),
        "cash_applied": str(i.cash_applied),
        "dso_simple": _figure(row.dso_simple.days), "dso_countback": _figure(row.dso_countback.days),
        "bpdso_simple": _figure(row.bpdso_simple.days), "bpdso_countback": _figure(row.bpdso_countback.days),
        "add_simple": _figure(row.add_simple), "add_countback": _figure(row.add_countback),
        "cei": _figure(row.cei.index), "cei_monthly_average": _figure(row.cei_monthly_average.index),
        "percent_current": _figure(row.shares.current), "percent_over": _figure(row.shares.over),
        "days_to_pay": _figure(row.days_to_pay.simple), "days_to_pay_weighted": _figure(row.days_to_pay.weighted),
        "days_late": _figure(row.days_late.simple), "days_late_weighted": _figure(row.days_late.weighted),
        "invoices_paid": str(row.days_to_pay.count),
        "disputes_resolved": str(row.dispute_cycle.count), "dispute_cycle_mean": _figure(row.dispute_cycle.mean),
        "dispute_cycle_median": _figure(row.dispute_cycle.median),
        "disputes_open": str(row.open_dispute_age.count),
        "open_dispute_age_mean": _figure(row.open_dispute_age.mean),
        "promises_judged": str(row.promises.judged), "ptp_kept_rate": _figure(row.promises.kept_rate),
        "ptp_kept_rate_amount": _figure(row.promises.kept_rate_by_amount),
        "ptp_collected_rate": _figure(row.promises.collected_rate),
        "cash_target": _money(row.target.target), "cash_target_attainment": _figure(row.target.attainment),
        "cash_target_gap": _money(row.target.gap),
    }


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else str(amount)


def dunning_record(row: DunningRow) -> dict[str, Any]:
    """Letters of a level and what was paid after it, as display strings."""
    after = row.after
    return {
        "group": row.group, "currency": row.currency, "level": row.level, "letters": row.letters,
        "amount_claimed": str(row.amount_claimed),
        "items_judged": after.judged if after else 0, "items_cleared": after.cleared if after else 0,
        "amount_dunned": _cents(after.amount_dunned if after else None),
        "amount_collected": _cents(after.amount_collected if after else None),
        "cleared_rate": _figure(after.cleared_rate) if after else "",
        "cleared_rate_amount": _figure(after.cleared_rate_by_amount) if after else "",
        "collected_rate": _figure(after.collected_rate) if after else "",
    }


def _cents(amount: Decimal | None) -> str:
    return str((amount or Decimal(0)).quantize(Decimal("0.01")))


def unapplied_record(row: UnappliedRow, buckets: list[str]) -> dict[str, Any]:
    return {"group": row.group, "currency": row.currency, "kind": row.kind,
            "by_age": {label: str(amount) for label, amount in zip(buckets, row.amounts, strict=True)},
            "total": str(row.total)}


def _reasons(row: KpiRow) -> dict[str, str]:
    figures = {
        "dso_simple": row.dso_simple.days, "dso_countback": row.dso_countback.days, "cei": row.cei.index,
        "add_simple": row.add_simple, "days_to_pay": row.days_to_pay.simple, "ptp_kept_rate": row.promises.kept_rate,
        "dispute_cycle_mean": row.dispute_cycle.mean, "percent_current": row.shares.current,
        "cash_target_attainment": row.target.attainment,
    }
    notes = {name: f.reason for name, f in figures.items() if f.reason}
    if row.dso_countback.exhausted:
        notes["dso_countback"] = "AR exceeds all the countback months' sales: the DSO is at least this"
    return notes  # type: ignore[return-value]


def params_record(table: KpiTable) -> dict[str, Any]:
    p = table.params
    return {
        "from": p.start.isoformat(), "to": p.end.isoformat(), "by": p.by, "ar_basis": p.ar_basis,
        "day_convention": p.day_convention, "countback_months": p.countback_months,
        "net_of_credit_notes": p.net_of_credit_notes, "over_days": p.over_days,
        "promise_tolerance_days": p.promise_tolerance_days, "dunning_window_days": p.dunning_window_days,
        "reporting_currency": p.reporting_currency,
        "entity_ids": list(p.entity_ids) if p.entity_ids is not None else None,
    }


def as_json(table: KpiTable) -> dict[str, Any]:
    return {
        "params": params_record(table),
        "rows": [{**record(row), "reasons": _reasons(row)} for row in table.rows],
        "activity": [
            {"group": a.group, "contacts": a.contacts, "contacts_per_day": _figure(a.contacts_per_day),
             "promises_taken": a.promises_taken, "amount_promised": {c: str(v) for c, v in a.amount_promised.items()}}
            for a in table.activity
        ],
        "auto_match": [
            {"group": a.group, "bank_credit_lines": a.credit_lines, "auto_applied": a.auto_applied,
             "auto_match_rate": _figure(a.rate)}
            for a in table.auto_match
        ],
        "dunning": [dunning_record(d) for d in table.dunning],
        "unapplied": [unapplied_record(u, [b.label for b in table.params.buckets]) for u in table.unapplied],
    }


def write_json(tables: list[KpiTable], out: IO[str]) -> None:
    data = as_json(tables[0]) if len(tables) == 1 else {"months": [as_json(t) for t in tables]}
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(tables: list[KpiTable], out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["from", "to", *(name for name, _ in COLUMNS)])
    for table in tables:
        for row in table.rows:
            values = record(row)
            writer.writerow([table.params.start.isoformat(), table.params.end.isoformat(),
                             *(values[name] for name, _ in COLUMNS)])


def _number(text: str) -> Decimal | str:
    try:
        return Decimal(text) if text not in ("",) else ""
    except ArithmeticError:
        return text


def write_xlsx(tables: list[KpiTable], path: str) -> None:
    """One sheet of KPIs (a row per period, group and currency, numbers as numbers) and, for a trend
    over several months, a line chart of DSO, best possible DSO and CEI of the first group."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path)
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    number = workbook.add_format({"num_format": "#,##0.00"})
    sheet = workbook.add_worksheet("KPIs")
    headers = ["from", "to", *(description for _, description in COLUMNS)]
    sheet.write_row(0, 0, headers, bold)
    line = 1
    for table in tables:
        for row in table.rows:
            values = record(row)
            sheet.write_string(line, 0, table.params.start.isoformat())
            sheet.write_string(line, 1, table.params.end.isoformat())
            for column, (name, _) in enumerate(COLUMNS, start=2):
                value = values[name] if name in ("group", "currency") else _number(values[name])
                if isinstance(value, Decimal):
                    sheet.write_number(line, column, float(value), number)
                else:
                    sheet.write_string(line, column, value)
            line += 1
    sheet.freeze_panes(1, 4)
    sheet.autofilter(0, 0, max(line - 1, 1), len(headers) - 1)
    sheet.set_column(0, 1, 11)
    sheet.set_column(2, 2, 28)
    sheet.set_column(4, len(headers) - 1, 13)
    if len(tables) > 1 and tables[0].rows:
        _trend_sheet(workbook, tables, bold, number)
    _list_sheet(workbook, "Dunning", tables, lambda t: [dunning_record(d) for d in t.dunning], bold, number)
    _list_sheet(workbook, "Unapplied", tables, lambda t: [
        {**{k: v for k, v in record.items() if k != "by_age"}, **record["by_age"]}
        for record in (unapplied_record(u, [b.label for b in t.params.buckets]) for u in t.unapplied)], bold, number)
    workbook.close()


def _list_sheet(workbook: Any, name: str, tables: list[KpiTable], records: Any, bold: Any, number: Any) -> None:
    """A sheet of flat records (dunning levels, unapplied credits) per period, numbers as numbers."""
    rows = [(table, one) for table in tables for one in records(table)]
    if not rows:
        return
    sheet = workbook.add_worksheet(name)
    headers = list(rows[0][1])
    sheet.write_row(0, 0, ["from", "to", *headers], bold)
    for line, (table, one) in enumerate(rows, start=1):
        sheet.write_string(line, 0, table.params.start.isoformat())
        sheet.write_string(line, 1, table.params.end.isoformat())
        for column, key in enumerate(headers, start=2):
            value = one[key]
            value = value if isinstance(value, int) or key in ("group", "currency", "kind") else _number(value)
            if isinstance(value, Decimal):
                sheet.write_number(line, column, float(value), number)
            elif isinstance(value, int):
                sheet.write_number(line, column, value)
            else:
                sheet.write_string(line, column, str(value))
    sheet.freeze_panes(1, 3)
    sheet.set_column(2, 2, 28)


def _trend_sheet(workbook: Any, tables: list[KpiTable], bold: Any, number: Any) -> None:
    """Month by month DSO, best possible DSO (countback) and CEI of the first group, with a line chart."""
    group = tables[0].rows[0].group
    currency = tables[0].rows[0].currency
    sheet = workbook.add_worksheet("Trend")
    series = ("dso_countback", "bpdso_countback", "add_countback", "cei")
    sheet.write_row(0, 0, ["month", *(dict(COLUMNS)[name] for name in series)], bold)
    line = 0
    for table in tables:
        row = next((r for r in table.rows if (r.group, r.currency) == (group, currency)), None)
        line += 1
        sheet.write_string(line, 0, table.params.start.strftime("%Y-%m"))
        values = record(row) if row is not None else {}
        for column, name in enumerate(series, start=1):
            value = _number(values.get(name, ""))
            if isinstance(value, Decimal):
                sheet.write_number(line, column, float(value), number)
    chart = workbook.add_chart({"type": "line"})
    for column in range(1, len(series) + 1):
        chart.add_series({
            "name": ["Trend", 0, column], "categories": ["Trend", 1, 0, line, 0],
            "values": ["Trend", 1, column, line, column], "marker": {"type": "circle"},
        })
    chart.set_title({"name": f"{group} ({currency})"})
    chart.set_y_axis({"name": "days / %"})
    sheet.set_column(0, 0, 10)
    sheet.set_column(1, len(series), 16)
    sheet.insert_chart("G2", chart, {"x_scale": 1.5, "y_scale": 1.3})
