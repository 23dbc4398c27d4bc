"""Aging as of a past date: the items touched since and the allocations changed since, read from
covering indexes.

* ``item_activity_idx`` carries every column the aging's changes part reads from a touched item
  (no table access for the tens of thousands of items touched after the as-of date).
* ``allocation_changed_idx`` (PostgreSQL only, raw SQL: the model does not declare it): the
  allocations made or reversed after a date, ``COALESCE(reversed_on, date) > D`` (a reversal is never
  before its allocation, a check constraint), with both sides, the amount and both dates, read by an
  index-only range scan and hashed against the touched items. SQLite, which has no hash join, looks
  each touched item's allocations up through the indexes by item instead and does not get it.
"""

from django.db import migrations, models

CHANGED_INDEX = (
    "CREATE INDEX IF NOT EXISTS allocation_changed_idx ON ledger_allocation"
    " ((COALESCE(reversed_on, date)), date, reversed_on, debit_item_id, credit_item_id, amount)"
)


def create_changed_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CHANGED_INDEX)


def drop_changed_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS allocation_changed_idx")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0003_aging_covering_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="item",
            name="item_activity_idx",
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(
                condition=models.Q(("last_activity_on__isnull", False)),
                fields=["last_activity_on", "document_date", "entity", "customer", "currency", "due_date", "kind",
                        "open_amount", "id"],
                name="item_activity_idx",
            ),
        ),
        migrations.RunPython(create_changed_index, drop_changed_index),
    ]
