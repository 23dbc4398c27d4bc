from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incasso.collections.choices import EntryStatus
from incasso.collections.models.strategy import Strategy
from incasso.ledger.models import Customer


class WorklistEntry(models.Model):
    """One customer account on one collector's worklist for one day, with why it is there.

    Built set-based by ``build_worklists(as_of)``: ``priority`` is the strategy's points and
    ``reasons`` lists each rule that gave points as compact codes (``[condition, points, value, param]``,
    see ``core.collections.strategy.Reason``; the page puts them into words in the reader's language). Entries for
    accounts of an absent collector carry ``substitute_for``; escalated accounts go to the senior
    with ``escalated`` set. Completing an entry (or setting a follow-up date) takes it off the list.
    """

    as_of = models.DateField(_("worklist date"))
    # A derived table, rewritten every morning from rows the build has just read (customers, users,
    # strategies) in the same transaction: only the composite (collector, as_of, status, -priority) index
    # and the (as_of, customer) unique one, and no database foreign-key checks -- each would cost one
    # index probe per row, 400,000 for a 100,000-account build. Deletes still cascade through Django.
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worklist",
                                  db_index=False, db_constraint=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="worklist_entries",
                                 db_index=False, db_constraint=False)
    strategy = models.ForeignKey(Strategy, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
                                 db_constraint=False)
    priority = models.IntegerField(_("priority"))
    currency = models.CharField(max_length=3)
    overdue_amount = models.DecimalField(_("overdue"), max_digits=18, decimal_places=2)
    due_soon_amount = models.DecimalField(_("due soon"), max_digits=18, decimal_places=2)
    max_days_past_due = models.IntegerField(_("days past due"))
    reasons = models.JSONField(default=list)
    lowered_because = models.JSONField(default=list)
    next_action = models.CharField(_("next action"), max_length=120, blank=True)
    next_action_on = models.DateField(_("next action due"), null=True, blank=True)
    substitute_for = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+", db_index=False, db_constraint=False)
    escalated = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=EntryStatus.choices, default=EntryStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-priority", "-overdue_amount", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["as_of", "customer"], name="worklist_one_entry_per_customer_day"),
        ]
        indexes = [
            models.Index(fields=["collector", "as_of", "status", "-priority"], name="worklist_collector_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.customer_id} {self.priority}"
