"""Dunning work as background jobs (``incasso.jobs``), and the CLI's progress display for them."""

from __future__ import annotations

import time
from datetime import date
from typing import IO

from incasso.audit.events import SYSTEM, Actor
from incasso.dunning.actions.proposal import propose_run
from incasso.dunning.actions.sending import send_run
from incasso.dunning.models import Run
from incasso.jobs.actions import enqueue, report_progress, run_job, set_result_url
from incasso.jobs.choices import JobStatus
from incasso.jobs.models import JobRun


def _actor(job: JobRun) -> Actor:
    return Actor.of(job.created_by) if job.created_by else SYSTEM


def send_job(job: JobRun, *, run_id: int, back_url: str = "") -> str:
    Run.objects.filter(pk=run_id).update(job_id=job.pk)
    result = send_run(run_id, by=_actor(job), progress=lambda done, total, msg: report_progress(job, done, total, msg))
    return f"run {run_id}: {result.sent} sent, {result.skipped} skipped, {result.already_sent} sent before"


def propose_job(job: JobRun, *, as_of: str, entity_codes: list[str], segments: list[str]) -> str:
    run = propose_run(date.fromisoformat(as_of), by=_actor(job), entity_codes=entity_codes, segments=segments,
                      progress=lambda done, total, msg: report_progress(job, done, total, msg))
    Run.objects.filter(pk=run.pk).update(job_id=job.pk)
    from django.urls import reverse

    set_result_url(job, reverse("dunning:run", args=[run.pk]))
    return f"run {run.pk} proposed: {run.letters.count()} letters, {run.exceptions.count()} exceptions"


def queue_proposal(as_of: date, *, by: Actor, entity_codes: list[str], segments: list[str]) -> JobRun:
    return enqueue("dunning.propose", {"as_of": as_of.isoformat(), "entity_codes": entity_codes,
                                       "segments": segments}, by=by)


def queue_send(run_id: int, *, by: Actor) -> JobRun:
    from django.urls import reverse

    job = enqueue("dunning.send", {"run_id": run_id, "back_url": reverse("dunning:run", args=[run_id])}, by=by)
    Run.objects.filter(pk=run_id).update(job_id=job.pk)
    return job


def send_with_progress(run_id: int, *, by: Actor, wait: bool, inline: bool, stdout: IO[str]) -> JobRun:
    """Queue the send; ``inline`` runs it here, ``wait`` follows a worker's progress; both draw a bar."""
    from rich.progress import Progress

    job = queue_send(run_id, by=by)
    if not (wait or inline):
        stdout.write(f"Job {job.pk} queued for run {run_id}; `incasso worker` sends it, /jobs/{job.pk}/ shows it\n")
        return job
    if inline:
        job = run_job(job.pk)
    with Progress(transient=False) as bar:
        task = bar.add_task(f"Run {run_id}", total=None)
        while True:
            job.refresh_from_db()
            bar.update(task, completed=job.done, total=job.total or None, description=f"Run {run_id}: {job.message}")
            if job.finished:
                break
            time.sleep(0.5)
    if job.status == JobStatus.FAILED:
        stdout.write(f"Job {job.pk} failed: {job.error.splitlines()[0] if job.error else ''}\n")
    else:
        stdout.write(f"Job {job.pk}: {job.log}\n")
    return job
