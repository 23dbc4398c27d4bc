"""The cash targets page: team leaders set targets (audited), others who see the KPIs only read them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from incasso.accounts.actions import create_user_with_roles
from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent
from incasso.reports.kpis import KpiParams, kpi_table
from incasso.reports.models import CashTarget
from incasso.reports.tests.kpi_story import a_march_ledger

pytestmark = pytest.mark.django_db


def a_user(username: str, *roles: Role):  # type: ignore[no-untyped-def]
    return create_user_with_roles(username, "correct horse battery", list(roles), by=SYSTEM)


def test_a_team_leader_sets_a_target_that_the_kpis_then_use(client):
    story = a_march_ledger(disputes=False)
    client.force_login(a_user("theo", Role.TEAM_LEADER))
    url = reverse("reports:targets")

    response = client.post(url, {"entity": story.paris.pk, "currency": "EUR", "month": "2026-03", "amount": "800.00"})

    assert response.status_code == 302
    target = CashTarget.objects.get()
    assert (target.month, target.amount, target.collector_id, target.updated_by.username) == (
        date(2026, 3, 1), Decimal("800.00"), None, "theo")
    event = AuditEvent.objects.get(kind="report.cash_target")
    assert event.actor_label == "theo" and event.after["amount"] == "800.00"
    (row,) = kpi_table(KpiParams(start=date(2026, 3, 1), end=date(2026, 3, 31))).rows
    assert row.target.attainment.value == Decimal("62.50")  # 500 received / 800
    page = client.get(url).content.decode()
    assert "800.00" in page and "2026-03" in page


def test_a_controller_reads_the_targets_but_cannot_set_them_and_a_collector_sees_neither(client):
    story = a_march_ledger(disputes=False)
    client.force_login(a_user("clara", Role.CONTROLLER))
    url = reverse("reports:targets")
    assert client.get(url).status_code == 200
    assert 'type="month"' not in client.get(url).content.decode()  # no form
    response = client.post(url, {"entity": story.paris.pk, "currency": "EUR", "month": "2026-03", "amount": "1"})
    assert response.status_code == 403 and not CashTarget.objects.exists()
    client.force_login(a_user("anna", Role.COLLECTOR))
    assert client.get(url).status_code == 403
