"""Authentication of the API: personal tokens, the browser session with CSRF, the error body."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from incasso.accounts.models import ApiToken
from incasso.accounts.tokens import create_api_token
from incasso.audit.events import SYSTEM
from incasso.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_an_anonymous_call_gets_a_json_401_not_the_login_page(client):  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/customers")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "field": None,
                               "message": "sign in, or send a personal API token as 'Authorization: Bearer'"}


def test_a_token_acts_as_its_user_and_records_when_it_was_last_used(world, time_machine):  # type: ignore[no-untyped-def]
    token, raw = create_api_token(world.anna, "ERP export", by=SYSTEM)
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    assert response.json() == {"id": world.anna.pk, "username": "anna", "name": "", "roles": ["collector"]}
    token.refresh_from_db()
    assert token.last_used_at == timezone.now()
    assert raw.startswith("inc_") and token.prefix == raw[:10]
    assert token.key_hash != raw and raw not in token.key_hash  # only the digest is kept

    time_machine.shift(timedelta(seconds=30))
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == timezone.now() - timedelta(seconds=30)  # at most one write a minute


def test_a_revoked_or_unknown_token_authenticates_nothing(world):  # type: ignore[no-untyped-def]
    token, raw = create_api_token(world.anna, "old script", by=SYSTEM)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.delete(f"/api/v1/me/tokens/{token.pk}").json()["revoked_at"] is not None

    assert client.get("/api/v1/me").status_code == 401
    assert Client(headers={"Authorization": "Bearer inc_made-up"}).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(kind="accounts.token_revoked", subject_id=str(world.anna.pk)).exists()


def test_a_user_lists_and_revokes_only_their_own_tokens(world):  # type: ignore[no-untyped-def]
    theirs, _raw = create_api_token(world.bogdan, "bogdan's", by=SYSTEM)
    client = world.client(world.anna)

    listed = client.get("/api/v1/me/tokens").json()
    refused = client.delete(f"/api/v1/me/tokens/{theirs.pk}")

    assert [t["name"] for t in listed] == ["tests"]
    assert "key_hash" not in listed[0]
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_browser_session_works_and_unsafe_methods_need_the_csrf_token(world):  # type: ignore[no-untyped-def]
    token, _raw = create_api_token(world.anna, "to revoke", by=SYSTEM)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.anna)

    assert browser.get("/api/v1/me").json()["username"] == "anna"
    refused = browser.delete(f"/api/v1/me/tokens/{token.pk}")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"

    browser.get("/settings/api-tokens/")  # a page with a form sets the CSRF cookie, as in the browser
    accepted = browser.delete(f"/api/v1/me/tokens/{token.pk}",
                              headers={"X-CSRFToken": browser.cookies["csrftoken"].value})
    assert accepted.status_code == 200


def test_the_cli_prints_the_token_once_and_it_works(world):  # type: ignore[no-untyped-def]
    out, err = io.StringIO(), io.StringIO()

    call_command("api", "token", "create", "--user", "anna", "--name", "Power BI", stdout=out, stderr=err)

    raw = out.getvalue().strip()
    assert "not shown again" in err.getvalue()
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").json()["username"] == "anna"
    token = ApiToken.objects.get(name="Power BI")
    listing = io.StringIO()
    call_command("api", "token", "list", "--user", "anna", stdout=listing)
    assert "Power BI" in listing.getvalue() and raw not in listing.getvalue()
    call_command("api", "token", "revoke", str(token.pk), stdout=io.StringIO())
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/me").status_code == 401


def test_the_token_settings_page_creates_shows_once_and_revokes(world):  # type: ignore[no-untyped-def]
    browser = Client()
    browser.force_login(world.anna)

    created = browser.post("/settings/api-tokens/", {"name": "Excel refresh"})
    raw = created.context["new_token"]
    page = browser.get("/settings/api-tokens/")

    assert created.status_code == 200 and raw.startswith("inc_")
    assert "Excel refresh" in page.content.decode() and raw not in page.content.decode()
    token = ApiToken.objects.get(user=world.anna, name="Excel refresh")
    browser.post(f"/settings/api-tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    other, _raw = create_api_token(world.bogdan, "bogdan's", by=SYSTEM)
    assert browser.post(f"/settings/api-tokens/{other.pk}/revoke/").status_code == 404
