from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.ledger.choices import AllocationSource
from incasso.ledger.models.items import Item


class Allocation(models.Model):
    """A clearing: ``amount`` of a credit item applied to a debit item on ``date``.

    One side may be empty for ERP clearings whose other document never reached Incasso. A reversal
    sets ``reversed_on``; the row itself stays, so the history of what was applied when is complete
    and aging as of any past date can be rebuilt.
    """

    # The (debit_item, date) and (credit_item, date) indexes below serve lookups by item, so the
    # foreign keys need no single-column index of their own.
    debit_item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="debit_allocations", db_index=False
    )
    credit_item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_allocations", db_index=False
    )
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    date = models.DateField(_("allocation date"))
    source = models.CharField(_("source"), max_length=10, choices=AllocationSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reversed_on = models.DateField(_("reversed on"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="allocation_amount_positive",
                violation_error_message=_("An allocation amount must be positive."),
            ),
            models.CheckConstraint(
                condition=Q(debit_item__isnull=False) | Q(credit_item__isnull=False),
                name="allocation_has_a_side",
                violation_error_message=_("An allocation needs a debit item, a credit item, or both."),
            ),
            models.CheckConstraint(
                condition=Q(reversed_on__isnull=True) | Q(reversed_on__gte=models.F("date")),
                name="allocation_reversed_after_made",
                violation_error_message=_("An allocation cannot be reversed before it was made."),
            ),
        ]
        indexes = [
            # With the reversal date and the amount: an item's allocations, as aging as of a past
            # date reads them on SQLite, come from the index alone.
            models.Index(fields=["debit_item", "date", "reversed_on", "amount"], name="allocation_debit_idx"),
            models.Index(fields=["credit_item", "date", "reversed_on", "amount"], name="allocation_credit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} on {self.date}"

    @property
    def is_live(self) -> bool:
        return self.reversed_on is None
