from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "incasso.demo"
    verbose_name = "Demo data"
