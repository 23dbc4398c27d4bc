"""Users are django.contrib.auth users; roles are groups (see choices.Role).

The one model of this app is the personal API token a user creates for scripts and integrations.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal API token: a script or an integration acts as its user, with that user's roles.

    Only the SHA-256 of the token is stored (the token is shown once, when it is created); a token
    is 256 random bits, so a fast hash is as safe as a slow one and keeps every API call cheap.
    ``prefix`` (the first characters) lets a user recognise a token in the list. A revoked token
    stays for the record and authenticates nothing.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80, help_text=_("What the token is for, e.g. 'ERP export'."))
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=12)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
