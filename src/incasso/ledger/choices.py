from django.db import models
from django.utils.translation import gettext_lazy as _


class ItemKind(models.TextChoices):
    """The kind of document an open item is; the kind decides its side (debit or credit)."""

    INVOICE = "invoice", _("Invoice")  # debit: goods or services billed
    DEBIT_NOTE = "debit_note", _("Debit note")  # debit: a correction that increases what is owed
    FEE = "fee", _("Fee")  # debit: dunning or collection fee
    INTEREST = "interest", _("Interest")  # debit: late-payment interest charged
    ADJUSTMENT = "adjustment", _("Adjustment")  # debit: a manual correction (small differences)
    CREDIT_NOTE = "credit_note", _("Credit note")  # credit: a correction that reduces what is owed
    PAYMENT = "payment", _("Payment")  # credit: money received, applied or not


CREDIT_KINDS = frozenset({ItemKind.CREDIT_NOTE, ItemKind.PAYMENT})
DEBIT_KINDS = frozenset(set(ItemKind) - CREDIT_KINDS)


class AllocationSource(models.TextChoices):
    """Where a clearing came from."""

    ERP = "erp", _("ERP")  # cleared in the ERP and imported
    CASH_APPLICATION = "cashapp", _("Cash application")  # applied by Incasso's matching
    MANUAL = "manual", _("Manual")  # allocated by a user in Incasso


class ContactPurpose(models.TextChoices):
    """What a customer contact is used for; reminders go to the reminders contact."""

    INVOICES = "invoices", _("Invoices")
    REMINDERS = "reminders", _("Reminders")
    STATEMENTS = "statements", _("Statements")
    ESCALATION = "escalation", _("Escalation")
    GENERAL = "general", _("General")


class RiskClass(models.TextChoices):
    """The risk department's rating of a customer account."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class ImportKind(models.TextChoices):
    """What an ERP extract holds."""

    ENTITIES = "entities", _("Legal entities")
    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    ITEMS = "items", _("Open items")
