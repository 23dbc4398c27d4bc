from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "incasso.collections"
    label = "collections"
    verbose_name = "Collections workbench"
