from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "incasso.operations"
    verbose_name = "Operations"
