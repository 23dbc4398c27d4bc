from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "incasso.reports"
    verbose_name = "Reports"
