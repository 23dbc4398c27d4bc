from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incasso.ledger.choices import CREDIT_KINDS, ItemKind
from incasso.ledger.models.customers import Customer
from incasso.ledger.models.entities import LegalEntity


class Item(models.Model):
    """A document on a customer account: invoice, credit note, debit note, payment, fee, interest
    or adjustment.

    ``amount`` is positive and in the document currency; ``amount_entity`` is the same amount in the
    entity's currency at the document's rate. ``open_amount`` is ``amount`` minus the live
    allocations and is kept by the allocation actions only. Items are keyed by (entity, kind,
    number), which is what makes ERP re-imports idempotent.
    """

    # No single-column indexes on the two foreign keys: the unique (entity, kind, number) and the
    # (customer, due_date) indexes start with them and serve the same lookups; two fewer indexes
    # to maintain make a million-item ERP import markedly faster.
    entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="items", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="items", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=ItemKind.choices)
    number = models.CharField(_("number"), max_length=40)
    document_date = models.DateField(_("document date"))
    posting_date = models.DateField(_("posting date"), null=True, blank=True)
    due_date = models.DateField(_("due date"))
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    open_amount = models.DecimalField(_("open amount"), max_digits=18, decimal_places=2)
    amount_entity = models.DecimalField(
        _("amount in entity currency"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    reference = models.CharField(_("customer reference"), max_length=80, blank=True)
    external_id = models.CharField(_("external id"), max_length=80, blank=True)
    text = models.CharField(_("text"), max_length=200, blank=True)
    last_activity_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "kind", "number"], name="item_number_unique_per_entity_kind",
                violation_error_message=_("A document of this kind and number already exists in the entity."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="item_amount_positive",
                violation_error_message=_("Amounts are positive; the kind says debit or credit."),
            ),
            models.CheckConstraint(
                condition=Q(open_amount__gte=0) & Q(open_amount__lte=F("amount")),
                name="item_open_amount_within_amount",
                violation_error_message=_("The open amount must lie between zero and the amount."),
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "due_date"], name="item_customer_due_idx"),
            # Aging reads the open items through this index alone (covering, in group order: no
            # table access, no sort); it also serves "open items of an entity / of a customer".
            models.Index(
                fields=["entity", "customer", "currency", "due_date", "document_date", "kind", "open_amount"],
                name="item_open_aging_idx", condition=~Q(open_amount=0),
            ),
            # Backdated aging finds the items touched after the as-of date and issued by then here,
            # with every column it reads from them (covering: no table access; ``id`` for PostgreSQL,
            # where it is not implicit in an index as SQLite's rowid is).
            models.Index(
                fields=["last_activity_on", "document_date", "entity", "customer", "currency", "due_date", "kind",
                        "open_amount", "id"],
                name="item_activity_idx", condition=Q(last_activity_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def is_credit(self) -> bool:
        return self.kind in CREDIT_KINDS

    @property
    def signed_open_amount(self):  # type: ignore[no-untyped-def]
        return -self.open_amount if self.is_credit else self.open_amount
