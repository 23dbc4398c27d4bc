"""Authentication backends that sign people in but grant no model permissions.

Incasso's permissions are django-rules predicates over the user's roles (`accounts.rules`); nothing
assigns Django model permissions to users or groups, and active superusers have every permission
before any backend is asked. Django's `ModelBackend` (and allauth's backend, which extends it) would
still read the user's and the groups' permission tables on every page that asks `perms.app.x` for a
user the rules refuse: two queries per request that can only answer "no". These backends answer
"no" without asking the database.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth.backends import ModelBackend


class _NoModelPermissions:
    def get_user_permissions(self, user_obj, obj=None) -> set[str]:  # type: ignore[no-untyped-def]
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:  # type: ignore[no-untyped-def]
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:  # type: ignore[no-untyped-def]
        return set()

    def has_perm(self, user_obj, perm, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_module_perms(self, user_obj, app_label) -> bool:  # type: ignore[no-untyped-def]
        return False


class PasswordBackend(_NoModelPermissions, ModelBackend):
    """Username and password against the user table (`client.login`, the admin's login form)."""


class AllauthPasswordBackend(_NoModelPermissions, AuthenticationBackend):
    """allauth's login (the web sign-in form)."""
