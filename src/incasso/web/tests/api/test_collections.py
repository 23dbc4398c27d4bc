"""Worklist, contacts and promises over the API: the workbench's rules and the action's error codes."""

from __future__ import annotations

from datetime import date

import pytest

from incasso.audit.events import SYSTEM
from incasso.collections.actions.worklist import build_worklists
from incasso.collections.models import Activity, Promise

pytestmark = pytest.mark.django_db


def test_a_call_with_a_promise_is_logged_through_the_action(world):  # type: ignore[no-untyped-def]
    client = world.client(world.anna)

    response = client.post(f"/api/v1/customers/{world.acme.pk}/activities", {
        "kind": "call", "outcome": "reached", "note": "CFO will pay INV-1 on Friday",
        "promise": {"amount": "1200.00", "promised_date": "2026-03-20", "item_ids": [world.inv1.pk]},
    }, content_type="application/json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["outcome"] == "promised" and body["created_by"] == "anna"
    assert body["promise"]["amount"] == "1200.00" and body["promise"]["item_ids"] == [world.inv1.pk]
    assert body["promise"]["status"] == "open" and body["promise"]["taken_on"] == "2026-03-15"
    assert Activity.objects.get().note == "CFO will pay INV-1 on Friday"
    listed = client.get(f"/api/v1/customers/{world.acme.pk}/activities").json()
    assert [a["id"] for a in listed["results"]] == [body["id"]]


def test_a_second_promise_on_the_same_invoice_is_a_409_with_the_stable_code(world):  # type: ignore[no-untyped-def]
    client = world.client(world.anna)
    url = f"/api/v1/customers/{world.acme.pk}/promises"
    first = client.post(url, {"amount": "500.00", "promised_date": "2026-03-20", "item_ids": [world.inv1.pk]},
                        content_type="application/json")

    second = client.post(url, {"amount": "500.00", "promised_date": "2026-03-25", "item_ids": [world.inv1.pk]},
                         content_type="application/json")

    assert first.status_code == 201
    assert second.status_code == 409
    assert second.json()["code"] == "item_already_promised"
    assert Promise.objects.count() == 1


def test_promise_errors_of_the_action_and_of_validation(world):  # type: ignore[no-untyped-def]
    client = world.client(world.anna)
    url = f"/api/v1/customers/{world.acme.pk}/promises"

    past = client.post(url, {"amount": "10.00", "promised_date": "2026-03-01"}, content_type="application/json")
    foreign = client.post(url, {"amount": "10.00", "promised_date": "2026-03-20", "item_ids": [world.inv4.pk]},
                          content_type="application/json")
    negative = client.post(url, {"amount": "-5", "promised_date": "2026-03-20"}, content_type="application/json")

    assert (past.status_code, past.json()["code"]) == (422, "date_in_past")
    assert (foreign.status_code, foreign.json()["code"]) == (422, "item_not_on_account")
    assert (negative.status_code, negative.json()["code"], negative.json()["field"]) == (422, "invalid", "amount")


def test_a_controller_reads_the_account_but_logs_nothing(world):  # type: ignore[no-untyped-def]
    client = world.client(world.clara)

    assert client.get(f"/api/v1/customers/{world.acme.pk}/activities").status_code == 200
    refused = client.post(f"/api/v1/customers/{world.acme.pk}/activities", {"kind": "note", "outcome": "reached"},
                          content_type="application/json")

    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"
    assert not Activity.objects.exists()


def test_another_collectors_customer_cannot_be_worked(world):  # type: ignore[no-untyped-def]
    refused = world.client(world.anna).post(f"/api/v1/customers/{world.other.pk}/promises",
                                            {"amount": "10.00", "promised_date": "2026-03-20"},
                                            content_type="application/json")

    assert refused.status_code == 404


def test_the_worklist_is_the_collectors_own_with_the_reasons(world):  # type: ignore[no-untyped-def]
    build_worklists(date(2026, 3, 15), by=SYSTEM)
    client = world.client(world.anna)

    body = client.get("/api/v1/worklist").json()

    assert body["collector"] == "anna" and body["as_of"] == "2026-03-15"
    assert [e["account"] for e in body["results"]] == ["C-100"]
    reasons = body["results"][0]["reasons"]
    assert reasons and all(r["points"] > 0 for r in reasons)
    assert "days_past_due" in {r["code"] for r in reasons} or any("days" in (r["text"] or "") for r in reasons)
    assert client.get("/api/v1/worklist?collector=bogdan").json()["code"] == "not_allowed"
    assert world.client(world.theo).get("/api/v1/worklist?collector=bogdan").json()["collector"] == "bogdan"
    assert world.client(world.clara).get("/api/v1/worklist").status_code == 403
