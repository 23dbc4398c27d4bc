from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incasso.ledger.choices import ContactPurpose, RiskClass
from incasso.ledger.models.entities import LegalEntity


class CustomerGroup(models.Model):
    """One business partner with accounts in several legal entities (a "group" in the ERP sense)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Customer(models.Model):
    """A customer account in one legal entity: who owes, in which language to talk to them, and
    who collects from them.

    Flags pause collection: ``dunning_block`` (with a reason and an end date), ``legal`` (handed to
    lawyers) and ``insolvency`` (in proceedings). They are set only through actions, which audit them.
    """

    entity = models.ForeignKey(LegalEntity, on_delete=models.PROTECT, related_name="customers")
    account = models.CharField(_("account"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    group = models.ForeignKey(
        CustomerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    country = models.CharField(_("country"), max_length=2)
    language = models.CharField(_("language"), max_length=8)
    currency = models.CharField(_("currency"), max_length=3)
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=18, decimal_places=2, default=0)
    risk_class = models.CharField(_("risk class"), max_length=10, choices=RiskClass.choices, default=RiskClass.LOW)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="portfolio",
    )
    vat_id = models.CharField(_("VAT id"), max_length=32, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    dunning_block = models.BooleanField(_("dunning blocked"), default=False)
    dunning_block_reason = models.CharField(max_length=200, blank=True)
    dunning_block_until = models.DateField(null=True, blank=True)
    legal = models.BooleanField(_("in legal"), default=False)
    insolvency = models.BooleanField(_("insolvency"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity", "account"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "account"], name="customer_account_unique_per_entity",
                violation_error_message=_("This account number already exists in the entity."),
            ),
            models.CheckConstraint(
                condition=models.Q(credit_limit__gte=0), name="customer_credit_limit_not_negative",
                violation_error_message=_("A credit limit cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["collector", "entity"], name="customer_collector_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.name}"


class CustomerIban(models.Model):
    """A bank account the customer pays from: given by the ERP or learned from confirmed matches."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="ibans")
    iban = models.CharField(max_length=34, db_index=True)
    source = models.CharField(max_length=10, default="erp")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "iban"], name="customer_iban_unique")]

    def __str__(self) -> str:
        return self.iban


class Contact(models.Model):
    """A person or mailbox at the customer, per purpose, with the language to write to them in."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    purpose = models.CharField(_("purpose"), max_length=12, choices=ContactPurpose.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=8)

    class Meta:
        ordering = ["customer", "purpose", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "purpose", "email"], name="contact_unique_per_purpose",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email} ({self.get_purpose_display()})"
