from django.db import models
from django.utils.translation import gettext_lazy as _


class LegalEntity(models.Model):
    """A company code of the client group: the creditor on every item, letter and statement.

    Its timezone decides what "today" is for its items (overdue starts the day after the due date
    in this timezone), its currency is the one its books are kept in, its language the default for
    customers that have none.
    """

    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text="ISO 3166-1 alpha-2")
    currency = models.CharField(_("currency"), max_length=3, help_text="ISO 4217 base currency")
    timezone = models.CharField(_("timezone"), max_length=64, default="Europe/Brussels")
    language = models.CharField(_("language"), max_length=8, default="en")
    address = models.TextField(_("address"), blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=32, blank=True)
    registration = models.CharField(_("company registration"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.CharField(_("website"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EntityBankAccount(models.Model):
    """A bank account of a legal entity: where customers pay and which statements belong to it."""

    entity = models.ForeignKey(LegalEntity, on_delete=models.CASCADE, related_name="bank_accounts")
    iban = models.CharField(_("IBAN"), max_length=34, unique=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=120, blank=True)
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        ordering = ["entity", "iban"]

    def __str__(self) -> str:
        return self.iban
