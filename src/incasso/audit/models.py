from __future__ import annotations

from django.conf import settings
from django.db import models

from incasso.audit.choices import EventKind


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("audit events are append-only")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    """One auditable state change: who did what to which subject, when, with before and after.

    ``subject_type``/``subject_id`` name the aggregate (``item``/``4711``); ``customer_id`` is set
    whenever the change concerns one customer account so that the customer timeline is one indexed
    query. It is a plain integer rather than a foreign key because the audit app sits below the
    ledger and must outlive anything it describes.
    """

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="user name, or the job that acted")
    kind = models.CharField(max_length=40, choices=EventKind.choices)
    subject_type = models.CharField(max_length=40)
    subject_id = models.CharField(max_length=64)
    customer_id = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx"),
            models.Index(fields=["customer_id", "-occurred_at"], name="audit_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label}: {self.get_kind_display()}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("audit events are append-only")
