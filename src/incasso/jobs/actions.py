"""Queueing and running background jobs; the worker loop lives in the ``worker`` command.

A job's function receives the :class:`JobRun` and its params and calls :func:`report_progress`.
On PostgreSQL several workers take jobs with ``SELECT ... FOR UPDATE SKIP LOCKED``; SQLite has one
writer anyway, and the claim is a conditional UPDATE so two workers never run the same job.
"""

from __future__ import annotations

import traceback

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from incasso.audit.choices import EventKind
from incasso.audit.events import SYSTEM, Actor, record
from incasso.jobs.choices import JobStatus
from incasso.jobs.kinds import KINDS
from incasso.jobs.models import JobRun


class UnknownJobKind(ValueError):
    pass


def enqueue(kind: str, params: dict, *, by: Actor) -> JobRun:  # type: ignore[type-arg]
    if kind not in KINDS:
        raise UnknownJobKind(f"unknown job kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    return JobRun.objects.create(kind=kind, params=params, created_by=by.user)


def report_progress(job: JobRun, done: int, total: int, message: str = "") -> None:
    """Store the progress (its own small UPDATE, committed at once outside any work transaction)."""
    job.done, job.total, job.message = done, total, message[:300]
    JobRun.objects.filter(pk=job.pk).update(done=done, total=total, message=job.message)


def set_result_url(job: JobRun, url: str) -> None:
    """Say where the job's result can be seen (the job page links to it when the job is done)."""
    job.result_url = url
    JobRun.objects.filter(pk=job.pk).update(result_url=url)


def claim_next() -> JobRun | None:
    """Take the oldest queued job for this worker, or None."""
    with transaction.atomic():
        queued = JobRun.objects.filter(status=JobStatus.QUEUED).order_by("id")
        if connection.vendor == "postgresql":
            queued = queued.select_for_update(skip_locked=True)
        job = queued.first()
        if job is None:
            return None
        claimed = JobRun.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, started_at=timezone.now())
        if not claimed:
            return None
    job.refresh_from_db()
    return job


def run_job(job_id: int) -> JobRun:
    """Run one job to the end; a failure is stored on the job (status failed, error), not raised."""
    job = JobRun.objects.get(pk=job_id)
    if job.status == JobStatus.QUEUED:
        JobRun.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=timezone.now())
        job.refresh_from_db()
    try:
        function = import_string(KINDS[job.kind])
        log = function(job, **job.params) or ""
        status, error = JobStatus.DONE, ""
    except Exception as exc:  # noqa: BLE001 - any failure of the work is the job's outcome
        status, log, error = JobStatus.FAILED, "", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
    JobRun.objects.filter(pk=job.pk).update(status=status, finished_at=timezone.now(), error=error,
                                            log=str(log)[:100_000])
    job.refresh_from_db()
    record(EventKind.JOB_FINISHED, actor=Actor(job.created_by, job.created_by.get_username())
           if job.created_by else SYSTEM, subject_type="job", subject_id=job.pk,
           message=f"{job.kind} {job.status}" + (f": {error.splitlines()[0]}" if error else ""))
    return job


def work(*, once: bool = False, max_jobs: int | None = None) -> int:
    """Run queued jobs until none is left (``once``: at most one). Returns how many ran."""
    ran = 0
    while max_jobs is None or ran < max_jobs:
        job = claim_next()
        if job is None:
            break
        run_job(job.pk)
        ran += 1
        if once:
            break
    return ran


def echo_job(job: JobRun, *, steps: int = 3, fail: bool = False) -> str:
    for step in range(1, steps + 1):
        report_progress(job, step, steps, f"step {step}")
    if fail:
        raise RuntimeError("asked to fail")
    return f"{steps} steps"
