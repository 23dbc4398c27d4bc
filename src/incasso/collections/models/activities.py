from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incasso.collections.choices import ActivityKind, Outcome, PromiseStatus
from incasso.ledger.models import Contact, Customer, Item


class Activity(models.Model):
    """A contact with the customer (call, e-mail, meeting) or an internal note, with its outcome.

    ``occurred_on`` is the business date (it drives "days since last contact"); ``follow_up_on``
    takes the account off the worklist until that date.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=8, choices=ActivityKind.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    items = models.ManyToManyField(Item, blank=True, related_name="+")
    note = models.TextField(_("note"), blank=True)
    occurred_on = models.DateField(_("date"))
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["customer", "-occurred_on"], name="activity_customer_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_on}: {self.get_outcome_display()}"


class SentEmail(models.Model):
    """The copy of an e-mail as it was sent to the customer: recipients, language, subject, body."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="email")
    template = models.CharField(max_length=40)
    language = models.CharField(max_length=8)
    from_address = models.CharField(max_length=254)
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    message_id = models.CharField(max_length=300)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class Promise(models.Model):
    """A promise to pay: ``amount`` by ``promised_date`` for some items, taken by a collector.

    Judged after the promised date plus the tolerance days from the cash allocated to its items:
    kept, partially kept or broken. ``level`` counts the earlier broken promises on the same items
    (1 = first promise).
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="promises")
    activity = models.ForeignKey(Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="promises")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    promised_date = models.DateField(_("promised date"))
    taken_on = models.DateField(_("taken on"))
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=16, choices=PromiseStatus.choices, default=PromiseStatus.OPEN)
    level = models.PositiveSmallIntegerField(_("promise level"), default=1)
    tolerance_days = models.PositiveSmallIntegerField(default=3)
    judged_on = models.DateField(null=True, blank=True)
    arrived_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-promised_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive",
                                   violation_error_message=_("A promise is for a positive amount.")),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="promise_customer_idx"),
            models.Index(fields=["status", "promised_date"], name="promise_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} by {self.promised_date}"


class PromiseItem(models.Model):
    """An item covered by a promise; ``is_open`` mirrors the promise so that the database itself
    refuses a second open promise on the same item."""

    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="promise_lines")
    is_open = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item"], condition=Q(is_open=True), name="promise_one_open_per_item",
                                    violation_error_message=_("This item already has an open promise to pay.")),
        ]

    def __str__(self) -> str:
        return f"{self.promise_id}: {self.item_id}"


class Notification(models.Model):
    """Something a collector must see when they next open the worklist (a broken promise...)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collection_notices")
    customer = models.ForeignKey(Customer, null=True, on_delete=models.CASCADE, related_name="+")
    message = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_unread_idx")]

    def __str__(self) -> str:
        return self.message
