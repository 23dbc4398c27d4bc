from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from incasso.dunning.choices import Channel, ExceptionCode, LetterStatus, RunStatus, Tone
from incasso.ledger.models import Contact, Customer, Item


class Run(models.Model):
    """A dunning run: the as-of date and scope, the proposal, its review, approval and sending.

    ``entity_codes`` and ``segments`` are the scope (empty: all).
    """

    as_of = models.DateField(_("as of"))
    entity_codes = models.JSONField(default=list, blank=True)
    segments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PROPOSED)
    four_eyes = models.BooleanField(default=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    job_id = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-as_of", "-id"]

    def __str__(self) -> str:
        return f"Run {self.pk} as of {self.as_of}"


class Letter(models.Model):
    """One letter to one customer for one level and currency in a run; also the outbox row.

    ``idempotency_key`` (customer, level, currency, run) is unique: a letter exists once, and its
    status moves queued → sent exactly once, under a row lock.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="letters")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="dunning_letters")
    currency = models.CharField(max_length=3)
    level = models.PositiveSmallIntegerField()
    tone = models.CharField(max_length=8, choices=Tone.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=LetterStatus.choices, default=LetterStatus.PROPOSED)
    reasons = models.JSONField(default=list)
    fee = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    items_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    interest_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    compensation_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    payment_reference = models.CharField(max_length=35, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    html = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["run", "customer", "currency"]
        indexes = [models.Index(fields=["customer", "status"], name="dunning_letter_customer_idx")]

    def __str__(self) -> str:
        return self.idempotency_key


class LetterLine(models.Model):
    """An item in a letter: how late, how much is claimed, and whether it climbs a level with it."""

    # No database constraints on the letter and the item: a proposal writes hundreds of thousands of
    # lines, and PostgreSQL checks a foreign key row by row, locking each referenced row (FOR KEY
    # SHARE): the item check alone cost more than the rest of the proposal, the letter check another
    # quarter of it at commit. The proposal writes each line in the same transaction as its letter,
    # with item ids it has just read; ledger items are never deleted; deleting a run or a letter
    # cascades through Django and PROTECT still guards the items.
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="lines", db_constraint=False)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    level = models.PositiveSmallIntegerField()
    climbs = models.BooleanField(default=True)
    level_dates = models.JSONField(default=dict)  # {"1": "2026-03-10"}: the earlier levels' dates
    days_past_due = models.IntegerField()
    open_amount = models.DecimalField(max_digits=18, decimal_places=2)
    disputed_amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    amount_due = models.DecimalField(max_digits=18, decimal_places=2)
    interest = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    interest_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    interest_from = models.DateField(null=True, blank=True)
    interest_to = models.DateField(null=True, blank=True)
    compensation = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    legal_basis = models.CharField(max_length=200, blank=True)
    excluded = models.BooleanField(default=False)
    excluded_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["letter", "id"]
        # Lines are read through their letter (letter_id index). No index by item: an item's dunning
        # history is ItemLevel (unique per item and level), and maintaining a second index over every
        # proposal's hundreds of thousands of lines cost a quarter of the server's time in a proposal.

    def __str__(self) -> str:
        return f"{self.letter_id}: item {self.item_id} L{self.level}"


class RunException(models.Model):
    """A customer and currency the run did not write to, and why (shown beside the proposal)."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="exceptions")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    level = models.PositiveSmallIntegerField(default=0)
    code = models.CharField(max_length=20, choices=ExceptionCode.choices)
    detail = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        ordering = ["run", "code", "customer"]

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class ItemLevel(models.Model):
    """Level history of an item: the level it reached, with which letter, on which date (written when
    the letter is sent; the customer's history is the union over its items and letters)."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="dunning_levels", db_index=False)
    level = models.PositiveSmallIntegerField()
    reached_on = models.DateField()
    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["item", "level"]
        constraints = [models.UniqueConstraint(fields=["item", "level"], name="dunning_item_level_once")]

    def __str__(self) -> str:
        return f"item {self.item_id} L{self.level} on {self.reached_on}"
