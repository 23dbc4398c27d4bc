"""Cash application over the API: bank files, the queue, apply, reject, unapply; readers and actors."""

from __future__ import annotations

from datetime import date

import pytest

from incasso.accounts.choices import Role
from incasso.audit.events import SYSTEM
from incasso.cashapp.actions import import_statement_bytes, run_matching
from incasso.cashapp.choices import LineState, ProposalStatus
from incasso.cashapp.models import BankLine, MatchProposal
from incasso.cashapp.tests.samples import ACME_IBAN, acme, acme_invoices, camt053, camt053_entry, our_entity
from incasso.web.tests.api.conftest import a_user, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():  # type: ignore[no-untyped-def]
    return type("People", (), {
        "carla": token_client(a_user("carla", Role.CASH_APPLICATION)),
        "clara": token_client(a_user("clara", Role.CONTROLLER)),
        "anna": token_client(a_user("anna", Role.COLLECTOR)),
    })


@pytest.fixture
def worked():  # type: ignore[no-untyped-def]
    """Acme's statement after a matching run: one line applied, one queued, one unidentified."""
    entity = our_entity()
    customer = acme(entity)
    acme_invoices(customer)
    import_statement_bytes(camt053(
        camt053_entry("1200.00", ref="A1", iban=ACME_IBAN, rf="RF26FA20260001"),
        camt053_entry("830.40", ref="A2", name="Acme Batiment"),
        camt053_entry("99.00", ref="A3", name="Nobody Known GmbH"),
        opening="0", closing="2129.40"), "march.xml", by=SYSTEM)
    run_matching(date(2026, 3, 3), by=SYSTEM)
    return customer


def test_the_queue_lists_lines_to_work_with_their_proposals(people, worked):  # type: ignore[no-untyped-def]
    body = people.carla.get("/api/v1/cash/lines").json()

    states = {line["bank_reference"]: line["state"] for line in body["results"]}
    assert states == {"A2": "proposed", "A3": "unmatched"}
    queued = next(line for line in body["results"] if line["bank_reference"] == "A2")
    assert queued["proposal"]["status"] == "proposed" and queued["proposal"]["allocations"]
    everything = people.carla.get("/api/v1/cash/lines?state=all").json()
    assert everything["count"] == 3
    assert people.carla.get("/api/v1/cash/lines?q=Nobody").json()["count"] == 1


def test_the_controller_reads_but_cannot_act_and_a_collector_cannot_see(people, worked):  # type: ignore[no-untyped-def]
    proposal = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, line__bank_reference="A2")

    assert people.clara.get("/api/v1/cash/lines").status_code == 200
    refused = people.clara.post(f"/api/v1/cash/proposals/{proposal.pk}/apply", {}, content_type="application/json")
    hidden = people.anna.get("/api/v1/cash/files")

    assert (refused.status_code, refused.json()["code"]) == (403, "not_allowed")
    assert (hidden.status_code, hidden.json()["code"]) == (403, "not_allowed")


def test_apply_is_idempotent_with_the_same_key_and_a_second_decision_conflicts(people, worked):  # type: ignore[no-untyped-def]
    proposal = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, line__bank_reference="A2")
    url = f"/api/v1/cash/proposals/{proposal.pk}/apply"

    applied = people.carla.post(url, {"idempotency_key": "k-1"}, content_type="application/json")
    repeated = people.carla.post(url, {"idempotency_key": "k-1"}, content_type="application/json")
    other_key = people.carla.post(url, {"idempotency_key": "k-2"}, content_type="application/json")
    rejected_late = people.carla.post(f"/api/v1/cash/proposals/{proposal.pk}/reject", {"reason": "wrong"},
                                      content_type="application/json")

    assert applied.status_code == 200, applied.json()
    assert applied.json()["state"] == LineState.APPLIED
    assert repeated.status_code == 200
    assert (other_key.status_code, other_key.json()["code"]) == (409, "already_decided")
    assert (rejected_late.status_code, rejected_late.json()["code"]) == (409, "already_decided")


def test_reject_needs_a_reason_and_puts_the_line_back(people, worked):  # type: ignore[no-untyped-def]
    proposal = MatchProposal.objects.get(status=ProposalStatus.PROPOSED, line__bank_reference="A2")
    url = f"/api/v1/cash/proposals/{proposal.pk}/reject"

    no_reason = people.carla.post(url, {"reason": ""}, content_type="application/json")
    rejected = people.carla.post(url, {"reason": "that is the parent company's payment"},
                                 content_type="application/json")
    unknown = people.carla.post("/api/v1/cash/proposals/999999/reject", {"reason": "x"},
                                content_type="application/json")

    assert (no_reason.status_code, no_reason.json()["field"]) == (422, "reason")
    assert rejected.status_code == 200 and rejected.json()["state"] == LineState.UNMATCHED
    assert rejected.json()["proposal"] is None
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


def test_unapply_takes_an_applied_line_back(people, worked):  # type: ignore[no-untyped-def]
    applied = BankLine.objects.get(state=LineState.APPLIED)
    never = BankLine.objects.get(bank_reference="A3")

    undone = people.carla.post(f"/api/v1/cash/lines/{applied.pk}/unapply", {"reason": "customer paid twice"},
                               content_type="application/json")
    nothing = people.carla.post(f"/api/v1/cash/lines/{never.pk}/unapply", {"reason": "x"},
                                content_type="application/json")

    assert undone.status_code == 200, undone.json()
    assert undone.json()["state"] != LineState.APPLIED
    assert (nothing.status_code, nothing.json()["code"]) == (422, "nothing_applied")


def test_bank_files_are_listed_and_a_file_is_imported(people, worked):  # type: ignore[no-untyped-def]
    files = people.carla.get("/api/v1/cash/files").json()
    statement = camt053(camt053_entry("10.00", ref="B1", name="Someone"), statement_id="STMT-2", message_id="M-2",
                        opening="0", closing="10.00")

    imported = people.carla.post("/api/v1/cash/files", {"file": _upload("april.xml", statement)})
    again = people.carla.post("/api/v1/cash/files", {"file": _upload("april.xml", statement)})
    garbage = people.carla.post("/api/v1/cash/files", {"file": _upload("junk.txt", b"not a bank file")})
    by_controller = people.clara.post("/api/v1/cash/files", {"file": _upload("april.xml", statement)})

    assert files["count"] == 1 and files["results"][0]["file_name"] == "march.xml"
    assert files["results"][0]["lines"] == 3 and files["results"][0]["lines_to_work"] == 2
    assert imported.status_code == 201 and imported.json()["lines_added"] == 1
    assert again.status_code == 201 and again.json()["already_imported"]
    assert (garbage.status_code, garbage.json()["code"], garbage.json()["field"]) == (422, "unreadable_file", "file")
    assert by_controller.status_code == 403


def _upload(name: str, content: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")




def test_the_queue_costs_the_same_queries_for_many_lines(people, worked):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people.carla.get("/api/v1/me")  # the token's first use of the minute writes last_used_at

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert people.carla.get("/api/v1/cash/lines?state=all").status_code == 200
        return len(queries)

    few = count()
    import_statement_bytes(camt053(*[camt053_entry(f"{n}.00", ref=f"M{n}", name="Acme Batiment") for n in range(1, 9)],
                                   statement_id="STMT-MANY", message_id="M-MANY", opening="0", closing="36.00"),
                           "many.xml", by=SYSTEM)
    run_matching(date(2026, 3, 3), by=SYSTEM)
    assert BankLine.objects.count() == 11
    assert count() == few
