"""Dunning over the API: runs are read by the roles that see every account; propose and send are jobs."""

from __future__ import annotations

import pytest

from incasso.accounts.choices import Role
from incasso.dunning.models import Run
from incasso.jobs.actions import run_job
from incasso.jobs.models import JobRun
from incasso.web.tests.api.conftest import a_user

pytestmark = pytest.mark.django_db


def _proposed_run(world) -> int:  # type: ignore[no-untyped-def]
    accepted = world.client(world.theo).post("/api/v1/dunning/runs", {"as_of": "2026-03-15"},
                                             content_type="application/json")
    assert accepted.status_code == 202, accepted.json()
    job = run_job(accepted.json()["id"])  # what `incasso worker` does
    assert job.status == "done", job.error
    return Run.objects.get().pk


def test_proposing_is_a_background_job_followed_at_the_jobs_endpoint(world):  # type: ignore[no-untyped-def]
    client = world.client(world.theo)

    accepted = client.post("/api/v1/dunning/runs", {"as_of": "2026-03-15", "entity_codes": ["FR01"]},
                           content_type="application/json")

    assert accepted.status_code == 202
    job = accepted.json()
    assert (job["kind"], job["status"]) == ("dunning.propose", "queued")
    run_job(job["id"])
    followed = client.get(f"/api/v1/jobs/{job['id']}").json()
    assert followed["status"] == "done" and followed["result_url"].startswith("/dunning/")
    runs = client.get("/api/v1/dunning/runs").json()
    assert runs["count"] == 1 and runs["results"][0]["status"] == "proposed"
    assert runs["results"][0]["proposed_by"] == "theo"


def test_propose_refusals(world):  # type: ignore[no-untyped-def]
    unknown = world.client(world.theo).post("/api/v1/dunning/runs", {"as_of": "2026-03-15", "entity_codes": ["XX"]},
                                            content_type="application/json")
    by_controller = world.client(world.clara).post("/api/v1/dunning/runs", {"as_of": "2026-03-15"},
                                                   content_type="application/json")
    by_collector = world.client(world.anna).get("/api/v1/dunning/runs")
    bad_date = world.client(world.theo).post("/api/v1/dunning/runs", {"as_of": "31/03/2026"},
                                             content_type="application/json")

    assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (422, "unknown_entity",
                                                                                      "entity_codes")
    assert (by_controller.status_code, by_controller.json()["code"]) == (403, "not_allowed")
    assert (by_collector.status_code, by_collector.json()["code"]) == (403, "not_allowed")
    assert (bad_date.status_code, bad_date.json()["field"]) == (422, "as_of")
    assert not JobRun.objects.exists()


def test_four_eyes_approval_then_sending_is_queued_as_a_job(world):  # type: ignore[no-untyped-def]
    run_id = _proposed_run(world)
    another_lead = a_user("tina", Role.TEAM_LEADER)

    too_early = world.client(world.theo).post(f"/api/v1/dunning/runs/{run_id}/send")
    own = world.client(world.theo).post(f"/api/v1/dunning/runs/{run_id}/approve")
    approved = world.client(another_lead).post(f"/api/v1/dunning/runs/{run_id}/approve")
    again = world.client(another_lead).post(f"/api/v1/dunning/runs/{run_id}/approve")
    sending = world.client(world.theo).post(f"/api/v1/dunning/runs/{run_id}/send")
    twice = world.client(world.theo).post(f"/api/v1/dunning/runs/{run_id}/send")

    assert (too_early.status_code, too_early.json()["code"]) == (409, "wrong_status")
    assert (own.status_code, own.json()["code"]) == (403, "four_eyes")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "tina"
    assert approved.json()["status"] == "approved"
    assert (again.status_code, again.json()["code"]) == (409, "wrong_status")
    assert sending.status_code == 202 and sending.json()["kind"] == "dunning.send"
    assert (twice.status_code, twice.json()["code"]) == (409, "wrong_status")  # the first job has not finished


def test_run_detail_and_an_unknown_run(world):  # type: ignore[no-untyped-def]
    run_id = _proposed_run(world)
    client = world.client(world.clara)  # the controller reads runs

    detail = client.get(f"/api/v1/dunning/runs/{run_id}").json()
    unknown = client.get("/api/v1/dunning/runs/999999")

    assert detail["id"] == run_id and detail["letters"] == sum(r["letters"] for r in detail["by_level"]
                                                               if r["status"] != "excluded")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "run_not_found")
