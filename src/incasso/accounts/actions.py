"""Actions on users and roles."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor, record


def ensure_role_groups() -> None:
    """Create one group per role (idempotent; also run by the data migration)."""
    for role in Role:
        Group.objects.get_or_create(name=role.value)


@transaction.atomic
def create_user_with_roles(username: str, password: str, roles: list[Role], *, by: Actor,
                           first_name: str = "", last_name: str = "", email: str = "",
                           language: str = "") -> object:
    """Create (or update the password and roles of) a user and audit the roles granted."""
    ensure_role_groups()
    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.set_password(password)
    if Role.ADMIN in roles:
        user.is_staff = user.is_superuser = True
    user.save()
    user.groups.set(Group.objects.filter(name__in=[r.value for r in roles]))
    record(EventKind.ROLE_GRANTED, actor=by, subject_type="user", subject_id=user.pk,
           after={"username": username, "roles": sorted(r.value for r in roles)})
    return user
