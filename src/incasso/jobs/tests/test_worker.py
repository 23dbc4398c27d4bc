"""Background jobs: queued, claimed once, run with progress, failures kept on the job."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incasso.audit.events import SYSTEM
from incasso.jobs.actions import UnknownJobKind, claim_next, enqueue, run_job, work
from incasso.jobs.choices import JobStatus
from incasso.jobs.models import JobRun

pytestmark = pytest.mark.django_db


def test_the_worker_runs_queued_jobs_in_order_with_progress():
    first = enqueue("jobs.echo", {"steps": 4}, by=SYSTEM)
    second = enqueue("jobs.echo", {"steps": 2}, by=SYSTEM)
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "2 job(s) run" in out.getvalue()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.done, first.total, first.percent, first.log) == (JobStatus.DONE, 4, 4, 100, "4 steps")
    assert first.started_at <= first.finished_at <= second.started_at


def test_a_failing_job_is_marked_failed_with_its_error_and_the_worker_goes_on():
    failing = enqueue("jobs.echo", {"fail": True}, by=SYSTEM)
    fine = enqueue("jobs.echo", {}, by=SYSTEM)
    assert work() == 2
    failing.refresh_from_db()
    fine.refresh_from_db()
    assert failing.status == JobStatus.FAILED and "RuntimeError: asked to fail" in failing.error
    assert fine.status == JobStatus.DONE


def test_a_claimed_job_is_not_claimed_again():
    job = enqueue("jobs.echo", {}, by=SYSTEM)
    assert claim_next().pk == job.pk
    assert claim_next() is None
    assert JobRun.objects.get(pk=job.pk).status == JobStatus.RUNNING
    assert run_job(job.pk).status == JobStatus.DONE


def test_an_unknown_kind_is_refused_when_queued():
    with pytest.raises(UnknownJobKind, match="known: "):
        enqueue("dunning.sned", {}, by=SYSTEM)
