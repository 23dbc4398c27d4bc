"""Indexes on the ledger's tables that only the KPI queries read through, owned by the reports app
(raw SQL: the ledger's models do not declare them).

* ``report_item_document_idx``: items per entity by document date, with every column the
  credit-sales and cash-received sums read (kind, currency, customer, amount): an entity's sales or
  receipts of a period are an index-only range scan instead of a pass over every item.
* ``report_allocation_date_idx``: allocations by date with both sides, amount and reversal date:
  the cash applied and the invoices paid in a period start from a range of it.
* ``report_item_open_credit_idx``: the open unapplied payments and credit notes (partial: a tenth
  of the open items), per entity and document date, covering what their aging by age needs.
"""

from django.db import migrations

# The partial index's predicate, per database. On PostgreSQL it is written the way PostgreSQL prints it
# back (pg_get_indexdef): the ledger's bulk load drops and recreates indexes from that text, and an
# ``IN`` list over a varchar column would come back in another (equivalent) form each time.
# PostgreSQL still proves a query's ``kind IN ('credit_note', 'payment')`` matches it.
OPEN_CREDITS = {
    "postgresql": " WHERE ((kind)::text = ANY (ARRAY['credit_note'::text, 'payment'::text]))"
                  " AND (NOT (open_amount = '0'::numeric))",
    "sqlite": " WHERE kind IN ('credit_note', 'payment') AND NOT (open_amount = '0')",
}
INDEXES = [
    ("report_item_document_idx",
     "ledger_item (entity_id, document_date, kind, currency, customer_id, amount)", None),
    ("report_allocation_date_idx",
     "ledger_allocation (date, debit_item_id, credit_item_id, amount, reversed_on)", None),
    ("report_item_open_credit_idx",
     "ledger_item (entity_id, document_date, kind, currency, customer_id, open_amount, last_activity_on)",
     OPEN_CREDITS),
]


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, columns, where in INDEXES:
        predicate = where[schema_editor.connection.vendor] if where else ""
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {columns}{predicate}")


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    for name, _columns, _where in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0003_aging_covering_indexes"),
        ("reports", "0003_cash_targets_and_schedule_language"),
    ]

    operations = [migrations.RunPython(create, drop)]
