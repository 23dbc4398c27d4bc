from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "incasso.audit"
    verbose_name = "Audit trail"
