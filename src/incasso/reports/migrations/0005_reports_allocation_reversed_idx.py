"""``report_allocation_reversed_idx``: the reversed allocations (a partial index: about 1 % of them, so
it costs nothing to the ledger's writes but a reversal) by reversal date, covering what the aging
totals of several dates read (``reports.kpis.totals``): the allocations reversed after the earliest
date start from a range of it instead of a pass over every allocation. Owned by the reports app (raw
SQL, as 0004) since only the KPI reads use it.
"""

from django.db import migrations

# The predicate in the form PostgreSQL prints it back (the ledger's bulk load recreates indexes from
# pg_get_indexdef); SQLite uses the partial index when the query repeats the condition.
REVERSED = {
    "postgresql": " WHERE (reversed_on IS NOT NULL)",
    "sqlite": " WHERE reversed_on IS NOT NULL",
}
NAME = "report_allocation_reversed_idx"
COLUMNS = "ledger_allocation (reversed_on, date, debit_item_id, credit_item_id, amount)"


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {NAME} ON {COLUMNS}{REVERSED[schema_editor.connection.vendor]}")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0004_kpi_read_indexes"),
    ]

    operations = [migrations.RunPython(create, drop)]
