"""Matching settings: changed by a cash application team lead from the screen, with audit events."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.audit.choices import EventKind
from incasso.audit.events import Actor
from incasso.audit.models import AuditEvent
from incasso.cashapp.actions.matching import settings_for
from incasso.cashapp.actions.settings import update_cash_settings
from incasso.cashapp.errors import CashError, CashErrorCode
from incasso.cashapp.models import CashSettings
from incasso.cashapp.tests.samples import our_entity
from incasso.cashapp.tests.test_cash_views import a_user

pytestmark = pytest.mark.django_db

FORM = {"auto_threshold": "0.980", "amount_tolerance": "2.50", "tolerance_percent": "0.25",
        "cash_discount_percent": "3.00", "cash_discount_days": "14", "max_combination_items": "12"}


def test_a_cash_team_lead_changes_the_settings_and_the_run_uses_them(client):
    entity = our_entity()
    lead = a_user("lena", Role.TEAM_LEADER, Role.CASH_APPLICATION)
    client.force_login(lead)
    listing = client.get(reverse("cashapp:settings")).content.decode()
    assert "0.950" in listing and "Defaults" in listing and reverse("cashapp:settings_edit", args=["FR01"]) in listing
    response = client.post(reverse("cashapp:settings_edit", args=["FR01"]), FORM)
    assert response.status_code == 302 and response.url == reverse("cashapp:settings")
    stored = CashSettings.objects.get(entity=entity)
    assert (stored.auto_threshold, stored.amount_tolerance, stored.cash_discount_days) == (
        Decimal("0.980"), Decimal("2.50"), 14)
    assert settings_for([entity.pk])[entity.pk].auto_threshold == Decimal("0.980")
    event = AuditEvent.objects.get(kind=EventKind.CASH_SETTINGS_CHANGED)
    assert event.actor_id == lead.pk and event.actor_label == "lena"
    assert event.before["auto_threshold"] == "0.950" and event.after["auto_threshold"] == "0.980"
    assert "auto_threshold 0.950 -> 0.980" in event.message
    # saving the same values again leaves no second event
    client.post(reverse("cashapp:settings_edit", args=["FR01"]), FORM)
    assert AuditEvent.objects.filter(kind=EventKind.CASH_SETTINGS_CHANGED).count() == 1


@pytest.mark.parametrize("roles", [(Role.CASH_APPLICATION,), (Role.TEAM_LEADER,),
                                   (Role.TEAM_LEADER, Role.CASH_APPLICATION, Role.CONTROLLER)])
def test_specialists_team_leaders_of_other_teams_and_controllers_only_read(client, roles):
    our_entity()
    client.force_login(a_user("someone", *roles))
    listing = client.get(reverse("cashapp:settings"))
    assert listing.status_code == 200
    assert reverse("cashapp:settings_edit", args=["FR01"]) not in listing.content.decode()
    assert client.post(reverse("cashapp:settings_edit", args=["FR01"]), FORM).status_code == 403
    assert not CashSettings.objects.exists()


def test_out_of_range_values_are_refused_by_form_and_action(client):
    entity = our_entity()
    client.force_login(a_user("admin1", Role.ADMIN))
    response = client.post(reverse("cashapp:settings_edit", args=["FR01"]), {**FORM, "auto_threshold": "0.2"})
    assert response.status_code == 400 and not CashSettings.objects.exists()
    with pytest.raises(CashError) as refused:
        update_cash_settings(entity.pk, {"max_combination_items": 500}, by=Actor(None, "test"))
    assert refused.value.code == CashErrorCode.INVALID_SETTING
    with pytest.raises(CashError) as refused:
        update_cash_settings(entity.pk, {"auto_threshold": Decimal("0.9")},
                             by=Actor.of(a_user("carla", Role.CASH_APPLICATION)))
    assert refused.value.code == CashErrorCode.NOT_ALLOWED
