from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "incasso.accounts"
    verbose_name = "Users and roles"
