"""Scheduled report packs: a schedule table with cron expressions; the due packs are built, archived
and e-mailed (workbook and PDF attached) to their subscribers.

When is a schedule due? At ``now`` (UTC), when the next cron time after its last run (or, never run,
after it was created) is at or before ``now``. A missed run is caught up once, not once per missed
slot: the pack as of the latest slot is the one people need.

Which date does a pack cover? The last complete day before the cron time (a daily pack at 06:00 on
the 10th is as of the 9th; a monthly pack on the 1st covers the whole previous month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from incasso.audit.events import Actor
from incasso.ledger.models import LegalEntity
from incasso.reports.models import ReportArchive, ReportSchedule
from incasso.reports.pack_files import archive_pack
from incasso.reports.packs import PACKS, build_pack


class ScheduleError(ValueError):
    """A schedule that cannot be stored: unknown pack, bad cron expression, bad address, unknown entity."""


def add_schedule(pack: str, cron: str, subscribers: list[str], *, by: Actor, entity_codes: list[str] | None = None,
                 now: datetime | None = None, language: str = "en") -> ReportSchedule:
    """Store a schedule after checking every field (each error names the field and the value)."""
    if pack not in PACKS:
        raise ScheduleError(f"pack {pack!r}: expected one of {', '.join(PACKS)}")
    if not croniter.is_valid(cron):
        raise ScheduleError(f"cron {cron!r} is not a cron expression (five fields, e.g. '0 6 * * 1-5')")
    if not subscribers:
        raise ScheduleError("subscribers: give at least one e-mail address")
    for address in subscribers:
        try:
            validate_email(address)
        except ValidationError:
            raise ScheduleError(f"subscribers: {address!r} is not an e-mail address") from None
    if language not in dict(settings.LANGUAGES):
        raise ScheduleError(f"language {language!r}: expected one of {', '.join(dict(settings.LANGUAGES))}")
    codes = list(entity_codes or [])
    unknown = set(codes) - set(LegalEntity.objects.filter(code__in=codes).values_list("code", flat=True))
    if unknown:
        raise ScheduleError(f"entity: no legal entity with code {', '.join(sorted(unknown))}")
    return ReportSchedule.objects.create(pack=pack, cron=cron, subscribers=", ".join(subscribers),
                                         entity_codes=codes, created_at=now or timezone.now(), language=language)


def next_run(schedule: ReportSchedule) -> datetime:
    base = schedule.last_run_at or schedule.created_at
    return croniter(schedule.cron, base).get_next(datetime)


def latest_slot(schedule: ReportSchedule, now: datetime) -> datetime:
    """The latest cron time at or before ``now`` (the slot a catch-up run stands for)."""
    return croniter(schedule.cron, now + timedelta(seconds=1)).get_prev(datetime)


def due_schedules(now: datetime) -> list[ReportSchedule]:
    return [s for s in ReportSchedule.objects.filter(active=True).order_by("pk") if next_run(s) <= now]


@dataclass(frozen=True)
class ScheduledRun:
    schedule: ReportSchedule
    archive: ReportArchive
    recipients: list[str]


def archive_directory(pack: str) -> Path:
    return Path(settings.VAR_DIR) / "reports" / pack


def run_schedule(schedule_id: int, *, now: datetime, by: Actor, directory: Path | None = None) -> ScheduledRun:
    """Build, archive and e-mail one schedule's pack for its latest slot; record the run.

    The row is locked so that two schedulers (or a scheduler and a worker) never send it twice; a
    schedule that is no longer due when the lock is taken is skipped.
    """
    with transaction.atomic():
        schedule = ReportSchedule.objects.select_for_update().get(pk=schedule_id)
        slot = latest_slot(schedule, now)
        as_of: date = slot.date() - timedelta(days=1)
        ids = tuple(LegalEntity.objects.filter(code__in=schedule.entity_codes).values_list("pk", flat=True)) \
            if schedule.entity_codes else None
        result = build_pack(schedule.pack, as_of, entity_ids=ids, language=schedule.language)
        archive = archive_pack(result, directory or archive_directory(schedule.pack), by=by, now=now)
        schedule.last_run_at, schedule.last_archive = now, archive
        schedule.save(update_fields=["last_run_at", "last_archive"])
        recipients = schedule.subscriber_list()
        transaction.on_commit(lambda: _send(archive, recipients))
    return ScheduledRun(schedule, archive, recipients)


def _send(archive: ReportArchive, recipients: list[str]) -> None:
    status = "controls passed" if archive.checks_passed else "CONTROL CHECKS FAILED"
    lines = [f"Incasso {archive.pack} report pack as of {archive.as_of.isoformat()} "
             f"(from {archive.period_start.isoformat()}): {status}.", ""]
    for check in archive.checks:
        mark = "OK  " if check["passed"] else "FAIL"
        lines.append(f"{mark} {check['description']} ({check['currency']}): expected {check['expected']}, "
                     f"actual {check['actual']}, difference {check['difference']}")
    lines += ["", "Files (SHA-256):"] + [f"  {f['name']}  {f['sha256']}" for f in archive.files]
    message = EmailMessage(
        subject=f"[Incasso] {archive.pack} pack as of {archive.as_of.isoformat()} — {status}",
        body="\n".join(lines), to=recipients,
    )
    folder = Path(archive.directory)
    for entry in archive.files:
        if entry["name"].endswith((".xlsx", ".pdf")):
            message.attach_file(str(folder / entry["name"]))
    message.send()


def run_due(now: datetime, *, by: Actor, queue: bool = False) -> list[object]:
    """Run (or, with ``queue``, hand to the background worker) every schedule due at ``now``."""
    done: list[object] = []
    for schedule in due_schedules(now):
        if queue:
            from incasso.jobs.actions import enqueue

            done.append(enqueue("reports.pack", {"schedule_id": schedule.pk, "now": now.isoformat()}, by=by))
        else:
            done.append(run_schedule(schedule.pk, now=now, by=by))
    return done


def pack_job(job, *, schedule_id: int, now: str) -> str:  # type: ignore[no-untyped-def]
    """The background job of a scheduled pack (jobs kind ``reports.pack``)."""
    from incasso.jobs.actions import report_progress

    report_progress(job, 0, 1, "building the pack")
    run = run_schedule(schedule_id, now=datetime.fromisoformat(now), by=Actor(None, f"job {job.pk}"))
    report_progress(job, 1, 1, "sent")
    return f"{run.archive.pack} pack as of {run.archive.as_of} sent to {len(run.recipients)} subscriber(s)"
