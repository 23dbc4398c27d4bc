"""Receivables KPIs for any period and grouping: the database loads the inputs set-based, the pure
core (``incasso.core.kpi``) computes the figures.

    table = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31), by="entity"))

Inputs are loaded per (group, currency) as of the period's dates only (aging as of the start and
end, allocations that counted on the end date), so a report for a past period gives the same
figures whatever was posted afterwards. See docs/reports.md for every definition and choice.
"""

from incasso.reports.kpis.compute import KpiRow, KpiTable, kpi_table, kpi_trend
from incasso.reports.kpis.params import GROUPINGS, KpiParams

__all__ = ["GROUPINGS", "KpiParams", "KpiRow", "KpiTable", "kpi_table", "kpi_trend"]
