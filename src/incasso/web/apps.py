from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "incasso.web"
    verbose_name = "Web shell"
