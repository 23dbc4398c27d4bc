from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "incasso.jobs"
    verbose_name = "Background jobs"
