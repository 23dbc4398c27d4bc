from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "incasso.disputes"
    verbose_name = "Disputes and deductions"
