"""REST endpoints of dunning: runs (list, show), propose, approve, send; and the jobs they start.

Runs cover every portfolio, so reading them needs a role that sees every account (as the dunning
screens). Proposing and sending run as background jobs, as from the screen and the CLI: the call
answers 202 with the job, and ``GET /jobs/{id}`` follows its progress. Approval is immediate and
checked by the action (approver roles, four eyes).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from ninja import Field, Query, Router, Schema, Status

from incasso.accounts.api import ERRORS, ApiError, ObjectId, PageOut, PageQuery, page_body, page_of, require
from incasso.accounts.rules import has_any_role, roles_of
from incasso.audit.events import Actor
from incasso.core.money import quantize
from incasso.dunning.actions.review import APPROVER_ROLES, approve_run
from incasso.dunning.choices import LetterStatus, RunStatus
from incasso.dunning.jobs import queue_proposal, queue_send
from incasso.dunning.models import Run
from incasso.dunning.queries import run_report
from incasso.jobs.models import JobRun
from incasso.ledger.models import LegalEntity

router = Router(tags=["dunning"])


def _reader(request: Any) -> None:
    require(request, "dunning.view_runs", message="dunning runs cover every portfolio: ask a team leader")


def _reviewer(request: Any) -> None:
    """Team leaders, seniors and administrators propose and send (as on the run page); never a controller."""
    _reader(request)
    roles = roles_of(request.user)
    if not (roles & (APPROVER_ROLES | {"senior_collector"})) or "controller" in roles:
        raise ApiError("not_allowed", "only team leaders and senior collectors propose and send dunning runs")


class RunOut(Schema):
    id: int
    as_of: date
    status: str
    entity_codes: list[str]
    segments: list[str]
    four_eyes: bool
    proposed_by: str | None
    proposed_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    finished_at: datetime | None
    job_id: int | None
    letters: int = Field(description="letters not excluded at review")
    sent: int


class RunPageOut(PageOut):
    results: list[RunOut]


class LevelSummaryOut(Schema):
    level: int
    currency: str
    status: str
    letters: int
    total: Decimal | None
    interest: Decimal | None
    fees: Decimal | None


class ExceptionSummaryOut(Schema):
    code: str
    n: int
    amount: Decimal | None


class RunDetailOut(RunOut):
    by_level: list[LevelSummaryOut]
    exceptions: list[ExceptionSummaryOut]


def _runs() -> Any:
    return Run.objects.annotate(
        n_letters=Count("letters", filter=~Q(letters__status=LetterStatus.EXCLUDED)),
        n_sent=Count("letters", filter=Q(letters__status=LetterStatus.SENT)),
    ).select_related("proposed_by", "approved_by")


def _run(run: Any) -> dict[str, Any]:
    return {
        "id": run.pk, "as_of": run.as_of, "status": run.status, "entity_codes": list(run.entity_codes),
        "segments": list(run.segments), "four_eyes": run.four_eyes,
        "proposed_by": run.proposed_by.get_username() if run.proposed_by_id else None,
        "proposed_at": run.proposed_at,
        "approved_by": run.approved_by.get_username() if run.approved_by_id else None,
        "approved_at": run.approved_at, "finished_at": run.finished_at, "job_id": run.job_id,
        "letters": run.n_letters, "sent": run.n_sent,
    }


class RunQuery(Schema):
    status: RunStatus | None = None


@router.get("/dunning/runs", response={200: RunPageOut, **ERRORS}, summary="Dunning runs, newest first")
def run_list(request: Any, query: Query[RunQuery], paging: Query[PageQuery]) -> dict[str, Any]:
    _reader(request)
    runs = _runs().order_by("-proposed_at", "-id")
    if query.status:
        runs = runs.filter(status=query.status)
    count, rows = page_of(runs, paging)
    return page_body(count, paging, [_run(run) for run in rows])


def _detail(run_id: int) -> dict[str, Any]:
    run = _runs().filter(pk=run_id).first()
    if run is None:
        raise ApiError("run_not_found", f"dunning run {run_id} does not exist")
    report = run_report(run)
    # SQLite's SUM drops the scale of decimals: quantize at the edge so both engines answer alike.
    for row in report["by_level"]:
        for name in ("total", "interest", "fees"):
            if row[name] is not None:
                row[name] = quantize(row[name], row["currency"])
    for row in report["exceptions"]:
        row["amount"] = Decimal(row["amount"]).quantize(Decimal("0.01")) if row["amount"] is not None else None
    return {**_run(run), **report}


@router.get("/dunning/runs/{run_id}", response={200: RunDetailOut, **ERRORS},
            summary="One run: letters and amounts per level and status, exceptions per reason")
def run_detail(request: Any, run_id: ObjectId) -> dict[str, Any]:
    _reader(request)
    return _detail(run_id)


class JobOut(Schema):
    id: int
    kind: str
    status: str
    total: int
    done: int
    percent: int
    message: str
    log: str
    error_summary: str = Field(description="first line of the error of a failed job")
    result_url: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _job(job: JobRun) -> dict[str, Any]:
    return {
        "id": job.pk, "kind": job.kind, "status": job.status, "total": job.total, "done": job.done,
        "percent": job.percent, "message": job.message, "log": job.log,
        "error_summary": job.error.splitlines()[0] if job.error else "", "result_url": job.result_url,
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
    }


class ProposeIn(Schema):
    as_of: date
    entity_codes: list[str] = Field(default_factory=list, description="default: every entity")
    segments: list[str] = Field(default_factory=list, description="customer segments; default: all")


@router.post("/dunning/runs", response={202: JobOut, **ERRORS},
             summary="Propose a run as of a date: a background job (follow it at /jobs/{id})")
def propose(request: Any, payload: ProposeIn) -> Status[dict[str, Any]]:
    _reviewer(request)
    known = set(LegalEntity.objects.filter(code__in=payload.entity_codes).values_list("code", flat=True))
    unknown = sorted(set(payload.entity_codes) - known)
    if unknown:
        raise ApiError("unknown_entity", f"unknown entity: {', '.join(unknown)}", field="entity_codes")
    job = queue_proposal(payload.as_of, by=Actor.of(request.user), entity_codes=payload.entity_codes,
                         segments=payload.segments)
    return Status(202, _job(job))


@router.post("/dunning/runs/{run_id}/approve", response={200: RunDetailOut, **ERRORS},
             summary="Approve a proposed run (four eyes: not by its proposer)")
def approve(request: Any, run_id: ObjectId) -> dict[str, Any]:
    _reader(request)
    approve_run(run_id, by=Actor.of(request.user))
    return _detail(run_id)


@router.post("/dunning/runs/{run_id}/send", response={202: JobOut, **ERRORS},
             summary="Send an approved run: a background job (follow it at /jobs/{id})")
def send(request: Any, run_id: ObjectId) -> Status[dict[str, Any]]:
    _reviewer(request)
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        raise ApiError("run_not_found", f"dunning run {run_id} does not exist")
    if run.status not in (RunStatus.APPROVED, RunStatus.SENDING):
        raise ApiError("wrong_status", f"run {run_id} is {run.get_status_display().lower()}: approve it first")
    running = JobRun.objects.filter(pk=run.job_id).first() if run.job_id else None
    if running is not None and not running.finished:
        raise ApiError("wrong_status", f"run {run_id} is being sent by job {running.pk}")
    return Status(202, _job(queue_send(run_id, by=Actor.of(request.user))))


@router.get("/jobs/{job_id}", response={200: JobOut, **ERRORS}, tags=["jobs"],
            summary="A background job's progress and result")
def job_detail(request: Any, job_id: ObjectId) -> dict[str, Any]:
    # As the job page: any user with a role (jobs sit below the role rules in the layers).
    if not has_any_role(request.user):
        raise ApiError("not_allowed", "jobs are for users with a role")
    job = JobRun.objects.filter(pk=job_id).first()
    if job is None:
        raise ApiError("not_found", f"job {job_id} does not exist")
    return _job(job)
