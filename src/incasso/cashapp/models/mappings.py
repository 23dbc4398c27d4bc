"""Saved column mappings for CSV/XLSX bank statements, one or more per bank account."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incasso.core.bank.tabular import ColumnMapping
from incasso.ledger.models import EntityBankAccount


class SignConvention(models.TextChoices):
    SIGNED = "signed", _("One amount column: negative is money out")
    INVERTED = "inverted", _("One amount column: negative is money in")
    DEBIT_CREDIT = "debit_credit", _("Separate debit and credit columns")
    INDICATOR = "indicator", _("Amount column plus a credit/debit indicator column")


class BankFileMapping(models.Model):
    """How one bank's CSV/XLSX export is read: which column is what, the date format, the decimal
    separator and the sign convention. ``incasso bank import FILE --mapping NAME`` and the upload
    page read a file with it into a statement of ``bank_account``."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    bank_account = models.ForeignKey(EntityBankAccount, on_delete=models.PROTECT, related_name="file_mappings",
                                     verbose_name=_("bank account"))
    header_line = models.PositiveSmallIntegerField(_("header line"), default=1)
    booking_date = models.CharField(_("booking date column"), max_length=80)
    value_date = models.CharField(_("value date column"), max_length=80, blank=True)
    amount = models.CharField(_("amount column"), max_length=80, blank=True)
    debit = models.CharField(_("debit column"), max_length=80, blank=True)
    credit = models.CharField(_("credit column"), max_length=80, blank=True)
    indicator = models.CharField(_("credit/debit indicator column"), max_length=80, blank=True)
    credit_markers = models.CharField(_("indicator values meaning credit"), max_length=80, blank=True,
                                      default="C,CR,CRDT,H,+")
    currency = models.CharField(_("currency column"), max_length=80, blank=True)
    counterparty_name = models.CharField(_("payer name column"), max_length=80, blank=True)
    counterparty_iban = models.CharField(_("payer IBAN column"), max_length=80, blank=True)
    reference = models.CharField(_("structured reference column"), max_length=80, blank=True)
    remittance = models.CharField(_("remittance text columns"), max_length=250, blank=True,
                                  help_text=_("one or more columns, separated by commas"))
    bank_reference = models.CharField(_("bank reference column"), max_length=80, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id column"), max_length=80, blank=True)
    date_format = models.CharField(_("date format"), max_length=40, default="%d.%m.%Y",
                                   help_text=_("as strptime writes it, e.g. %d.%m.%Y or %m/%d/%Y; iso for 2026-03-02"))
    decimal_separator = models.CharField(_("decimal separator"), max_length=1, default=",",
                                         choices=[(",", _("Comma (1.234,56)")), (".", _("Point (1,234.56)"))])
    sign_convention = models.CharField(_("sign convention"), max_length=12, choices=SignConvention.choices,
                                       default=SignConvention.SIGNED)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("bank file column mapping")

    def __str__(self) -> str:
        return self.name

    def to_core(self) -> ColumnMapping:
        def columns(text: str) -> tuple[str, ...]:
            return tuple(part.strip() for part in text.split(",") if part.strip())

        return ColumnMapping(
            booking_date=self.booking_date.strip(), amount=self.amount.strip(), debit=self.debit.strip(),
            credit=self.credit.strip(), indicator=self.indicator.strip(),
            credit_markers=columns(self.credit_markers) or ("C",), value_date=self.value_date.strip(),
            currency=self.currency.strip(), counterparty_name=self.counterparty_name.strip(),
            counterparty_iban=self.counterparty_iban.strip(), reference=self.reference.strip(),
            remittance=columns(self.remittance), bank_reference=self.bank_reference.strip(),
            end_to_end_id=self.end_to_end_id.strip(), date_format=self.date_format.strip(),
            decimal_separator=self.decimal_separator, sign_convention=self.sign_convention,
            header_line=self.header_line,
        )
