"""Remittance advices: the payer's list of what a payment settles, linked to the bank line."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.cashapp.models.statements import BankLine


class RemittanceAdvice(models.Model):
    """One payment as its payer announced it (X12 820, or a CSV/XLSX advice): amount, date,
    reference, and the invoices with what was paid and deducted on each.

    ``line`` is the bank line it describes, linked by amount, date, reference and payer
    (``link_reason`` says which facts matched); the matching run then uses ``documents`` as the
    line's invoice list. One advice per line.
    """

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    format = models.CharField(_("format"), max_length=16)
    position = models.CharField(_("position"), max_length=200)
    payer_name = models.CharField(_("payer"), max_length=200, blank=True)
    payer_iban = models.CharField(_("payer IBAN"), max_length=34, blank=True)
    payer_account = models.CharField(_("payer's customer number"), max_length=40, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    payment_date = models.DateField(_("payment date"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=80, blank=True)
    documents = models.JSONField(default=list, blank=True,
                                 help_text="[[number, paid, deduction, deduction reason], ...] as the payer sent them")
    line = models.OneToOneField(BankLine, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="remittance_advice")
    link_reason = models.TextField(_("link"), blank=True, help_text="why it is linked to the line, or why not yet")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    linked_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["sha256", "position"], name="remittance_advice_once",
                                    violation_error_message=_("This remittance advice was already imported.")),
        ]
        indexes = [models.Index(fields=["amount"], name="remittance_unlinked_idx", condition=Q(line__isnull=True))]

    def __str__(self) -> str:
        return f"RA-{self.pk} {self.payer_name} {self.amount} {self.currency}"

    @property
    def number(self) -> str:
        return f"RA-{self.pk}"
