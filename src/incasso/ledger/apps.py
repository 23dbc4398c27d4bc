from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "incasso.ledger"
    verbose_name = "AR ledger"
