from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "incasso.dunning"
    verbose_name = "Dunning"
