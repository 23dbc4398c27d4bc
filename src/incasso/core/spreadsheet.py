"""Spreadsheet cells as text, the same way for every XLSX reader (ERP extracts, bank exports)."""

from __future__ import annotations

from datetime import date, datetime


def cell_text(value: object) -> str:
    """A cell's value as the text a CSV export would hold: dates ISO, whole floats without ``.0``,
    other floats with their shortest exact repr, empty cells empty, text stripped."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value).strip()
