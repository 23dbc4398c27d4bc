"""The allocation indexes by item carry the reversal date and the amount: aging as of a past date
on SQLite looks each touched item's allocations up through them, now without reading the table
(0.62 -> 0.47 CPU-s for the 75,635 touched items of the 1M-item bench ledger). Same names and
leading columns, so every lookup by item they served before they still serve."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0004_aging_covering_changes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='allocation',
            name='allocation_debit_idx',
        ),
        migrations.RemoveIndex(
            model_name='allocation',
            name='allocation_credit_idx',
        ),
        migrations.AddIndex(
            model_name='allocation',
            index=models.Index(fields=['debit_item', 'date', 'reversed_on', 'amount'], name='allocation_debit_idx'),
        ),
        migrations.AddIndex(
            model_name='allocation',
            index=models.Index(fields=['credit_item', 'date', 'reversed_on', 'amount'], name='allocation_credit_idx'),
        ),
    ]
