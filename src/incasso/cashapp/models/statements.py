"""Bank files, statements and their lines, as imported."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.cashapp.choices import Application, LineState
from incasso.ledger.models import Customer, EntityBankAccount, Item, LegalEntity


class BankFile(models.Model):
    """One bank file as uploaded: its SHA-256 fingerprint says "this exact file was imported before".

    Importing the same bytes again adds nothing and the import report says when and by whom the
    file was first imported. Different bytes holding the same bookings (a re-sent statement) are
    caught line by line instead (``BankLine.dedupe_key``).
    """

    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    size = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField(default=dict, blank=True, help_text="the import report, as shown after import")

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class BankAccountStatement(models.Model):
    """The bank's account of one of our bank accounts over one period (camt.053, MT940, CODA, ...).

    ``entity`` is the legal entity whose bank account (``ledger.EntityBankAccount``) the statement
    is for; it is empty when the account is not known, and then its lines cannot be applied until
    the account is registered. ``balance_ok`` says whether opening + booked lines = closing
    (None: the file states no balances); a mismatch is a warning, never a reason to reject a file.
    """

    file = models.ForeignKey(BankFile, on_delete=models.PROTECT, related_name="statements")
    format = models.CharField(_("format"), max_length=12)
    account = models.CharField(_("account"), max_length=64, help_text="IBAN, or the bank's account id")
    bank_account = models.ForeignKey(
        EntityBankAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="statements"
    )
    entity = models.ForeignKey(
        LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_statements"
    )
    currency = models.CharField(_("currency"), max_length=3)
    statement_id = models.CharField(_("statement id"), max_length=80, blank=True)
    position = models.CharField(max_length=200, blank=True, help_text="where in the file")
    opening_balance = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    opening_date = models.DateField(null=True, blank=True)
    closing_balance = models.DecimalField(max_digits=18, decimal_places=3, null=True, blank=True)
    closing_date = models.DateField(null=True, blank=True)
    balance_ok = models.BooleanField(_("balances reconcile"), null=True)
    warning_text = models.TextField(_("warnings"), blank=True)
    line_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-closing_date", "-id"]
        indexes = [models.Index(fields=["account", "closing_date"], name="statement_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} {self.statement_id or self.closing_date or ''}".strip()

    @property
    def fingerprint(self) -> str:
        return self.file.sha256


class BankLine(models.Model):
    """One booking on a bank statement (or one underlying payment of a batch booking).

    Identity across files: ``dedupe_key`` is built from the bank's own reference (camt AcctSvcrRef,
    MT940 bank reference) with the account, booking date, amount and sign when the bank gives one,
    else from a hash of the line's whole content; ``occurrence`` counts identical keys within one
    statement, so two genuine identical payments on one day are both kept while a re-sent
    statement adds nothing. A credit becomes a ledger payment item (``payment_item``) when it is
    applied, or when it is parked on the entity's suspense account as unidentified cash.
    """

    statement = models.ForeignKey(BankAccountStatement, on_delete=models.PROTECT, related_name="lines")
    entity = models.ForeignKey(LegalEntity, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.CharField(_("position"), max_length=200)
    sequence = models.PositiveIntegerField(default=0, help_text="order within the statement")
    booking_date = models.DateField(_("booking date"), null=True, blank=True)
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    sign = models.CharField(_("sign"), max_length=4, choices=[("CRDT", _("Credit")), ("DBIT", _("Debit"))])
    currency = models.CharField(_("currency"), max_length=3)
    bank_reference = models.CharField(_("bank reference"), max_length=80, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=80, blank=True)
    bank_transaction_code = models.CharField(_("transaction code"), max_length=40, blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=200, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    structured_reference = models.CharField(_("structured reference"), max_length=60, blank=True)
    reference_kind = models.CharField(_("reference kind"), max_length=8, blank=True)
    remittance_text = models.TextField(_("remittance text"), blank=True)
    remittance_documents = models.JSONField(default=list, blank=True,
                                            help_text="[[number, paid, deduction], ...] as the payer sent them")
    dedupe_key = models.CharField(max_length=80)
    occurrence = models.PositiveIntegerField(default=1)
    state = models.CharField(_("state"), max_length=10, choices=LineState.choices, default=LineState.UNMATCHED)
    application = models.CharField(max_length=10, choices=Application.choices, blank=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payment_item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["statement", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key", "occurrence"], name="bank_line_unique_booking",
                violation_error_message=_("This booking was already imported."),
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_amount_positive",
                                   violation_error_message=_("Amounts are positive; the sign says the side.")),
        ]
        indexes = [models.Index(fields=["state", "entity"], name="bank_line_state_idx")]

    def __str__(self) -> str:
        return f"{self.sign} {self.amount} {self.currency} {self.booking_date or ''}".strip()

    @property
    def is_credit(self) -> bool:
        return self.sign == "CRDT"

    @property
    def line_ref(self) -> str:
        """How the line is named in exports and messages: the bank's reference, else its position."""
        return self.bank_reference or self.end_to_end_id or f"S{self.statement_id}-{self.sequence}"
