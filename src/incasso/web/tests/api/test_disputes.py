"""Dispute cases over the API: open from items, list, timeline, transitions through the actions, notes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incasso.audit.events import SYSTEM
from incasso.disputes.actions.escalation import escalate_cases
from incasso.disputes.models import DisputeCase
from incasso.disputes.tests.stories import a_cast
from incasso.web.tests.api.conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():  # type: ignore[no-untyped-def]
    return a_cast()


def _open(client, cast, amount: str = "300.00"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/disputes", {
        "customer_id": cast.acme.pk, "reason": "pricing", "description": "Price list 2026 not applied",
        "lines": [{"item_id": cast.invoice.pk, "amount": amount}],
    }, content_type="application/json")


def test_a_collector_opens_a_case_from_an_item_with_the_disputed_amount(cast):  # type: ignore[no-untyped-def]
    response = _open(token_client(cast.anna), cast)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == f"DC-{body['id']:06d}" and body["status"] == "new"
    assert body["source"] == "api" and body["department"] == "sales" and body["owner"] == "anna"
    assert body["disputed_amount"] == "300.00"
    assert body["lines"] == [{
        "item_id": cast.invoice.pk, "item_number": "INV-1", "original_amount": "300.00", "disputed_amount": "300.00",
        "accepted_amount": "0.00", "blocked_amount": "300.00", "item_open_amount": "1000.00",
        "undisputed_open_amount": "700.00",
    }]
    assert [e["kind"] for e in body["timeline"]] == ["dispute.opened"]


def test_opening_refusals_carry_the_dispute_error_codes(cast):  # type: ignore[no-untyped-def]
    anna = token_client(cast.anna)
    _open(anna, cast, "800.00")

    too_much = _open(anna, cast, "200.01")
    controller = _open(token_client(cast.clara), cast, "10.00")
    unknown_reason = anna.post("/api/v1/disputes", {"customer_id": cast.acme.pk, "reason": "astrology",
                                                    "lines": [{"item_id": cast.second.pk, "amount": "1"}]},
                               content_type="application/json")
    no_lines = anna.post("/api/v1/disputes", {"customer_id": cast.acme.pk, "reason": "pricing", "lines": []},
                         content_type="application/json")
    other_portfolio = _open(token_client(cast.bogdan), cast, "10.00")

    assert (too_much.status_code, too_much.json()["code"]) == (422, "exceeds_undisputed")
    assert (controller.status_code, controller.json()["code"]) == (403, "not_allowed")
    assert (unknown_reason.status_code, unknown_reason.json()["code"]) == (422, "unknown_reason")
    assert (no_lines.status_code, no_lines.json()["field"]) == (422, "lines")
    assert other_portfolio.status_code == 404
    assert DisputeCase.objects.count() == 1


def test_the_case_moves_through_the_actions_and_each_role_is_checked(cast):  # type: ignore[no-untyped-def]
    case_id = _open(token_client(cast.anna), cast).json()["id"]
    url = f"/api/v1/disputes/{case_id}/transitions"
    theo, rita, clara = token_client(cast.theo), token_client(cast.rita), token_client(cast.clara)

    early = rita.post(url, {"action": "resolve", "resolution": "rejected", "root_cause": "customer_process"},
                      content_type="application/json")
    unknown_resolver = theo.post(url, {"action": "assign", "resolver_id": 999999}, content_type="application/json")
    assigned = theo.post(url, {"action": "assign", "department": "sales", "resolver_id": cast.rita.pk},
                         content_type="application/json")
    by_controller = clara.post(url, {"action": "start_investigation"}, content_type="application/json")
    started = rita.post(url, {"action": "start_investigation", "note": "asked sales"},
                        content_type="application/json")
    no_root_cause = rita.post(url, {"action": "resolve", "resolution": "accepted"}, content_type="application/json")
    resolved = rita.post(url, {"action": "resolve", "resolution": "accepted", "root_cause": "pricing_master_data",
                               "note": "price list error"}, content_type="application/json")

    assert (early.status_code, early.json()["code"]) == (409, "invalid_transition")
    assert (unknown_resolver.status_code, unknown_resolver.json()["field"]) == (404, "resolver_id")
    assert assigned.status_code == 200 and assigned.json()["resolver"] == "rita"
    assert (by_controller.status_code, by_controller.json()["code"]) == (403, "not_allowed")
    assert started.json()["status"] == "investigating"
    assert (no_root_cause.status_code, no_root_cause.json()["field"]) == (422, "root_cause")
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolution"] == "accepted"
    kinds = [e["kind"] for e in resolved.json()["timeline"]]
    assert kinds[0] == "dispute.resolved" and kinds[-1] == "dispute.opened"


def test_a_late_case_gets_a_new_deadline_and_is_deescalated_over_the_api(cast):  # type: ignore[no-untyped-def]
    case_id = _open(token_client(cast.anna), cast).json()["id"]
    url = f"/api/v1/disputes/{case_id}/transitions"
    theo, rita = token_client(cast.theo), token_client(cast.rita)
    assert theo.post(url, {"action": "assign", "resolver_id": cast.rita.pk},
                     content_type="application/json").status_code == 200
    case = DisputeCase.objects.get(pk=case_id)
    escalate_cases(case.deadline + timedelta(days=20), by=SYSTEM)
    case.refresh_from_db()
    assert case.escalation_level >= 2

    by_resolver = rita.post(url, {"action": "deescalate", "reason": "on it"}, content_type="application/json")
    no_reason = theo.post(url, {"action": "deescalate", "reason": " "}, content_type="application/json")
    down = theo.post(url, {"action": "deescalate", "level": 0, "reason": "credit note agreed with sales"},
                     content_type="application/json")
    no_deadline = rita.post(url, {"action": "extend_deadline", "reason": "proof of delivery expected"},
                            content_type="application/json")
    new_deadline = case.deadline + timedelta(days=40)
    extended = rita.post(url, {"action": "extend_deadline", "deadline": new_deadline.isoformat(),
                               "reason": "proof of delivery expected"}, content_type="application/json")

    assert (by_resolver.status_code, by_resolver.json()["code"]) == (403, "not_allowed")
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "reason_required")
    assert down.status_code == 200, down.json()
    assert down.json()["escalation_level"] == 0 and down.json()["timeline"][0]["kind"] == "dispute.deescalated"
    assert (no_deadline.status_code, no_deadline.json()["field"]) == (422, "deadline")
    assert extended.status_code == 200, extended.json()
    assert extended.json()["deadline"] == new_deadline.isoformat()
    assert extended.json()["timeline"][0]["kind"] == "dispute.deadline"


def test_notes_go_on_the_timeline_and_a_controller_adds_none(cast):  # type: ignore[no-untyped-def]
    case_id = _open(token_client(cast.anna), cast).json()["id"]

    added = token_client(cast.anna).post(f"/api/v1/disputes/{case_id}/notes", {"text": "Customer sent the PO"},
                                         content_type="application/json")
    refused = token_client(cast.clara).post(f"/api/v1/disputes/{case_id}/notes", {"text": "x"},
                                            content_type="application/json")
    empty = token_client(cast.anna).post(f"/api/v1/disputes/{case_id}/notes", {"text": ""},
                                         content_type="application/json")

    assert added.status_code == 201
    assert added.json()["timeline"][0]["message"].endswith("Customer sent the PO")
    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    assert (empty.status_code, empty.json()["field"]) == (422, "text")


def test_the_case_list_filters_and_hides_other_portfolios(cast):  # type: ignore[no-untyped-def]
    anna = token_client(cast.anna)
    case_id = _open(anna, cast).json()["id"]

    def numbers(client, query: str = "") -> list[int]:  # type: ignore[no-untyped-def]
        response = client.get(f"/api/v1/disputes?{query}")
        assert response.status_code == 200, response.json()
        return [c["id"] for c in response.json()["results"]]

    assert numbers(anna) == [case_id]
    assert numbers(anna, "status=closed") == []
    assert numbers(anna, "reason=pricing&department=sales") == [case_id]
    assert numbers(anna, f"q=DC-{case_id:06d}") == [case_id]
    assert numbers(token_client(cast.bogdan)) == []
    assert token_client(cast.bogdan).get(f"/api/v1/disputes/{case_id}").status_code == 404
    assert numbers(token_client(cast.clara)) == [case_id]
    assert anna.get("/api/v1/disputes?status=lost").json()["field"] == "status"


def test_the_case_list_costs_the_same_queries_for_many_cases(cast):  # type: ignore[no-untyped-def]
    anna = token_client(cast.anna)
    _open(anna, cast, "10.00")
    anna.get("/api/v1/disputes")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert anna.get("/api/v1/disputes").status_code == 200
        return len(queries)

    one = count()
    for _ in range(6):
        _open(anna, cast, "10.00")
    assert count() == one
