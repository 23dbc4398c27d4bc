"""Cash application work as background jobs (``incasso.jobs``): the matching run started from the
screen runs in the worker, off the web request, and reports its progress on the job page."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from incasso.audit.events import SYSTEM, Actor
from incasso.cashapp.actions.matching import run_matching
from incasso.jobs.actions import enqueue, report_progress, set_result_url
from incasso.jobs.models import JobRun

MATCH_KIND = "cashapp.match"


def match_job(job: JobRun, *, as_of: str, entity_ids: list[int] | None = None) -> str:
    """The worker's side: run the matching as of ``as_of`` with the progress on the job."""
    by = Actor.of(job.created_by) if job.created_by else SYSTEM
    report = run_matching(date.fromisoformat(as_of), by=by, entity_ids=entity_ids,
                          progress=lambda done, total, message: report_progress(job, done, total, message))
    set_result_url(job, reverse("cashapp:queue"))
    lines = [report.summary(), *(f"queued instead of applied: {conflict}" for conflict in report.conflicts)]
    return "\n".join(lines)


def queue_matching(as_of: date, *, by: Actor, entity_ids: list[int] | None = None) -> JobRun:
    """Queue a matching run; ``incasso worker`` runs it."""
    return enqueue(MATCH_KIND, {"as_of": as_of.isoformat(), "entity_ids": entity_ids}, by=by)
