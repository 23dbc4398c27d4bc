"""The CLI from proposal to sending: propose, approve (four-eyes by user name), send as a job."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incasso.dunning.choices import RunStatus
from incasso.dunning.models import Run
from incasso.jobs.choices import JobStatus
from incasso.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def propose(user: str = "clara") -> int:
    out = StringIO()
    call_command("dunning", "propose", "--as-of", "2026-03-31", "--format", "json", "--user", user, stdout=out)
    return json.loads(out.getvalue())["run"]


def test_propose_approve_by_a_team_leader_and_send_inline_from_the_command_line(story, smtp):  # type: ignore[no-untyped-def]
    run_id = propose()
    with pytest.raises(CommandError, match="not_allowed"):
        call_command("dunning", "approve", str(run_id), "--user", "clara", stdout=StringIO())
    call_command("dunning", "approve", str(run_id), "--user", "leo", stdout=StringIO())
    out = StringIO()
    call_command("dunning", "send", str(run_id), "--inline", "--user", "leo", stdout=out)

    assert "2 sent, 0 skipped" in out.getvalue()
    assert len(smtp.messages) == 2
    run = Run.objects.get(pk=run_id)
    assert run.status == RunStatus.SENT and JobRun.objects.get(pk=run.job_id).status == JobStatus.DONE


def test_send_without_flags_queues_a_job_that_the_worker_runs(story, smtp):  # type: ignore[no-untyped-def]
    run_id = propose()
    call_command("dunning", "approve", str(run_id), "--user", "leo", stdout=StringIO())
    out = StringIO()
    call_command("dunning", "send", str(run_id), stdout=out)
    assert "queued" in out.getvalue() and smtp.messages == []
    call_command("worker", "--once", stdout=StringIO())
    assert len(smtp.messages) == 2


def test_sending_an_unapproved_run_says_what_to_do(story):  # type: ignore[no-untyped-def]
    run_id = propose()
    out = StringIO()
    call_command("dunning", "send", str(run_id), "--inline", stdout=out)
    assert "failed: DunningError" in out.getvalue() and "approve it first" in out.getvalue()
