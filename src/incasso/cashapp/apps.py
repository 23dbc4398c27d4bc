from django.apps import AppConfig


class CashappConfig(AppConfig):
    name = "incasso.cashapp"
    verbose_name = "Cash application"
