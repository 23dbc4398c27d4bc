from django.conf import settings
from django.db import models

from incasso.ledger.choices import ImportKind


class ImportBatch(models.Model):
    """One imported ERP file: what it was, who imported it, what it changed.

    The file's SHA-256 is kept so that the import report can say "this exact file was imported on
    ... by ..."; re-importing it is still allowed and changes nothing (the upsert is idempotent).
    """

    kind = models.CharField(max_length=12, choices=ImportKind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, db_index=True)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"
